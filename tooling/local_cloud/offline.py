"""What every offline entry point (demo, benchmark, `python -m tooling.local_cloud`) sets up first."""

import os

from tooling.mocked_program import pulumi_mocks


def prepare() -> None:
    """Worthless AWS credentials (nothing here may reach AWS) and the Pulumi mocks the applier runs under."""
    os.environ.update(
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_DEFAULT_REGION="us-east-1",
        AWS_EC2_METADATA_DISABLED="true",
    )
    for key in ("AWS_PROFILE", "AWS_SESSION_TOKEN"):
        os.environ.pop(key, None)
    pulumi_mocks.install()
