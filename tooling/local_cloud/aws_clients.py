"""boto3 clients pointed at the local cloud, with worthless credentials so nothing can reach AWS."""

from __future__ import annotations

import boto3
from botocore.config import Config

REGION = "us-east-1"
SECRET = "testing"
# LocalStack reads a 12-digit access key id as the account, so simulated product deployments can each
# have an account (and CloudWatch) of their own; any other key id means its default account.
DEFAULT_ACCESS_KEY = "testing"


def client(service: str, endpoint_url: str, account: str = DEFAULT_ACCESS_KEY, **config):
    session = boto3.session.Session(aws_access_key_id=account, aws_secret_access_key=SECRET, region_name=REGION)
    return session.client(
        service, endpoint_url=endpoint_url, config=Config(retries={"max_attempts": 2, "mode": "standard"}, **config)
    )
