"""Settings that decide what the program deploys, not how a component behaves: they belong to the program.

They share a config section with a component's Args (`waf.enabled` beside `waf.rateLimitPerIp`), so a stack
file reads naturally, but no component sees them: `CollectorWaf` is simply not declared when WAF is off.
"""

from dataclasses import dataclass
from typing import Optional, Union

from components.tunables import boolean, https_url, matching, tunable


@dataclass(frozen=True)
class WafProgramSettings:
    enabled: bool = tunable(False, boolean(), "Put an AWS WAF web ACL in front of the stage (billed per ACL and rule).")


@dataclass(frozen=True)
class ReporterProgramSettings:
    collector_url: Optional[str] = tunable(
        None,
        https_url(optional=True),
        "Where this stack's own reporter posts; unset, it posts to this stack's collector.",
    )


@dataclass(frozen=True)
class IamProgramSettings:
    # A policy name, not an ARN: the committed stack files then hold no account id, and each environment's
    # account has its own policy of that name (docs/ci-cd.md, "What to set up once").
    permissions_boundary_policy: Optional[str] = tunable(
        None,
        matching(r"[\w+=,.@-]{1,128}", "an IAM policy name in this account", optional=True),
        "Managed policy every IAM role of the stack carries as its permissions boundary; the CI deploy roles "
        "refuse a role without it.",
    )


@dataclass(frozen=True)
class ProgramOnlyArgs:
    """The component side of a section only the program reads: no component takes its settings."""


ProgramSettings = Union[WafProgramSettings, ReporterProgramSettings, IamProgramSettings]
PROGRAM_SETTINGS: dict[str, type[ProgramSettings]] = {
    "waf": WafProgramSettings,
    "reporter": ReporterProgramSettings,
    "iam": IamProgramSettings,
}
