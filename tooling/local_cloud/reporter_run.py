"""Run the reporter handler as one product deployment's Lambda would, against the local cloud.

Each run gets what a fresh Lambda has: its own environment and a new boto3 default session (boto3
caches the first credentials it finds, and here each deployment is a LocalStack account of its own).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
import os

import boto3

from handlers import daily_report
from tooling.local_cloud.aws_clients import REGION, SECRET


@contextlib.contextmanager
def _fresh_lambda(environment: dict[str, str]):
    saved = {key: os.environ.get(key) for key in environment}
    os.environ.update(environment)
    boto3.DEFAULT_SESSION = None
    daily_report.cloudwatch_client.cache_clear()
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        boto3.DEFAULT_SESSION = None
        daily_report.cloudwatch_client.cache_clear()


def run_reporter(
    *,
    collector_url: str,
    endpoint_url: str,
    account: str,
    stack_id: str,
    version: str,
    namespace: str,
    scheduled: dt.datetime,
) -> dict:
    """Invoke the handler for the schedule time `scheduled`; returns its one JSON log line, parsed."""
    environment = {
        "COLLECTOR_URL": collector_url,
        "STACK_ID": stack_id,
        "PRODUCT_VERSION": version,
        "METRICS_NAMESPACE": namespace,
        "AWS_ACCESS_KEY_ID": account,
        "AWS_SECRET_ACCESS_KEY": SECRET,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_ENDPOINT_URL_CLOUDWATCH": endpoint_url,
    }
    log = io.StringIO()
    with _fresh_lambda(environment), contextlib.redirect_stdout(log):
        daily_report.handler({"time": scheduled.isoformat()}, None)
    return json.loads(log.getvalue().strip().splitlines()[-1])
