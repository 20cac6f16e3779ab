"""moto's AWS for one test or block, on one boto3 default session for the process.

By default moto swaps in a new default session on entry, so each `boto3.client()` inside re-reads botocore's
endpoint and service JSON: about 70 of the 85 CPU-milliseconds a moto test spent before its first call. moto does
it so a session holding real credentials is not reused; here every session holds tests/conftest.py's worthless
ones. State stays per block: moto still resets every backend on entry.
"""

import boto3
from moto import mock_aws

_KEPT: dict[str, boto3.Session] = {}


def mocked_aws():
    # A session takes botocore's handlers when it is made: one made before moto registered its own would send to
    # AWS (the loopback guard then refuses). So the session kept is one made here, after `import moto`.
    if _KEPT.get("session") is not boto3.DEFAULT_SESSION or boto3.DEFAULT_SESSION is None:
        boto3.setup_default_session()
        _KEPT["session"] = boto3.DEFAULT_SESSION
    return mock_aws(config={"core": {"reset_boto3_session": False}})
