"""Test setup shared by every module: dummy AWS credentials, connects to loopback only, and Pulumi mocks, before
anything else."""

import os

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

from tests.support import loopback_only  # noqa: E402

loopback_only.install()

from tooling.mocked_program import pulumi_mocks  # noqa: E402  (after the credentials: nothing may see real ones)

pulumi_mocks.install()

# Session fixtures for LocalStack (started once per worker, on first use).
pytest_plugins = ("tests.support.local_cloud",)
