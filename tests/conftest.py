"""Test setup shared by every module: dummy AWS credentials and Pulumi mocks, before anything else."""

import os
import sys
from pathlib import Path

# Nothing in the suite may reach real AWS; these credentials are worthless by design.
for _key, _value in {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_EC2_METADATA_DISABLED": "true",
}.items():
    os.environ[_key] = _value
os.environ.pop("AWS_PROFILE", None)

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.support import pulumi_mocks  # noqa: E402

pulumi_mocks.install()
