"""Athena stand-ins for the usage report's tests: moto with static results, and a clock that never waits."""

import contextlib

import boto3
import requests
from moto.moto_api import state_manager

from tests.support.moto_aws import mocked_aws

STATIC_RESULTS_URL = "http://motoapi.amazonaws.com/moto-api/static/athena/query-results"
_MOTO_ACTIVE: list[str] = []  # workgroups of the moto_athena blocks we are inside


class FakeClock:
    """Time that moves only when the code under test sleeps, so no test ever waits."""

    def __init__(self):
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def athena_page(columns: list[tuple[str, str]], rows: list[list[str | None]], header: bool = True) -> dict:
    """Rows as get_query_results returns them: text values, a missing value for NULL, a header row first."""

    def data(values):
        return {"Data": [{} if value is None else {"VarCharValue": value} for value in values]}

    return {
        "rows": ([data([name for name, _ in columns])] if header else []) + [data(row) for row in rows],
        "column_info": [{"Name": name, "Type": kind} for name, kind in columns],
    }


def queue_static_results(*results: dict, region: str = "us-east-1") -> None:
    """moto answers the next executions' get_query_results with these, in order (moto runs no SQL)."""
    # Only moto's interception keeps this request on the machine; outside it the URL is a real host.
    assert _MOTO_ACTIVE, "queue_static_results() must run inside moto_athena()"
    response = requests.post(STATIC_RESULTS_URL, json={"region": region, "results": list(results)}, timeout=5)
    assert response.status_code == 201


@contextlib.contextmanager
def moto_athena(workgroup: str, cutoff_bytes: int, region: str = "us-east-1"):
    with mocked_aws():
        client = boto3.client("athena", region_name=region)
        client.create_work_group(Name=workgroup, Configuration={"BytesScannedCutoffPerQuery": cutoff_bytes})
        # Each state lasts two polls, so a runner really waits through QUEUED and RUNNING.
        state_manager.set_transition(model_name="athena::execution", transition={"progression": "manual", "times": 2})
        _MOTO_ACTIVE.append(workgroup)
        try:
            yield client
        finally:
            _MOTO_ACTIVE.pop()
            state_manager.unset_transition("athena::execution")
