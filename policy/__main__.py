"""Entry point the Pulumi CLI runs for `--policy-pack policy`. Constructing PolicyPack starts a gRPC
server and blocks, which is why no module the tests import does it."""

import sys
from pathlib import Path

# The CLI runs this file with policy/ itself on sys.path; the rules (the `policy` package) and the guard data
# they check against (the `contract.guardrails` package) are imported from the repository root.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pulumi_policy import EnforcementLevel, PolicyPack

from policy.catalog import POLICIES

PolicyPack(
    name="analytics-collector-guardrails",
    enforcement_level=EnforcementLevel.MANDATORY,
    policies=POLICIES,
)
