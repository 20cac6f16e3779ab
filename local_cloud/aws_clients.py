"""boto3 clients pointed at the local cloud, with worthless credentials so nothing can reach AWS."""

from __future__ import annotations

import boto3
from botocore.config import Config

REGION = "us-east-1"
DUMMY_CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}


def client(service: str, endpoint_url: str, **config):
    return boto3.session.Session(**DUMMY_CREDENTIALS, region_name=REGION).client(
        service, endpoint_url=endpoint_url,
        config=Config(retries={"max_attempts": 2, "mode": "standard"}, **config))
