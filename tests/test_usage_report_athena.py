"""The usage report's Athena runner against moto (static query results) and botocore's Stubber (failures)."""

import datetime
import io
import subprocess
import sys
from pathlib import Path

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from tests.support.athena_results import FakeClock, athena_page, moto_athena, queue_static_results
from usage_report.athena_runner import AthenaQueryRunner
from usage_report.errors import QueryFailed, QueryTimedOut, ScanCutoffExceeded
from usage_report.progress import Progress

WORKGROUP = "analytics-collector-test"
DATABASE = "analytics_collector_test"
CUTOFF = 10_000_000


@pytest.fixture
def moto_client():
    with moto_athena(WORKGROUP, CUTOFF) as client:
        yield client


def make_runner(client, clock: FakeClock, stderr: io.StringIO, timeout: float = 600.0) -> AthenaQueryRunner:
    return AthenaQueryRunner(
        client,
        workgroup=WORKGROUP,
        database=DATABASE,
        progress=Progress(stderr, interactive=False),
        clock=clock,
        sleep=clock.sleep,
        timeout_seconds=timeout,
    )


def test_runs_in_the_workgroup_waits_and_returns_typed_rows(moto_client):
    queue_static_results(
        athena_page(
            [("day", "date"), ("version", "varchar"), ("deployments", "bigint"), ("share", "double")],
            [["2026-11-25", "1.2.3", "4", "0.5"], ["2026-11-26", None, "12", None]],
        )
    )
    clock, stderr = FakeClock(), io.StringIO()

    result = make_runner(moto_client, clock, stderr).run("version_adoption", "SELECT 1")

    assert result.columns == ("day", "version", "deployments", "share")
    assert result.rows == (
        (datetime.date(2026, 11, 25), "1.2.3", 4, 0.5),
        (datetime.date(2026, 11, 26), None, 12, None),
    )
    (execution_id,) = moto_client.list_query_executions(WorkGroup=WORKGROUP)["QueryExecutionIds"]
    execution = moto_client.get_query_execution(QueryExecutionId=execution_id)["QueryExecution"]
    assert execution["Query"] == "SELECT 1"
    assert execution["QueryExecutionContext"] == {"Database": DATABASE}
    # It polled through QUEUED and RUNNING with growing pauses, and said so on stderr.
    assert clock.sleeps == [0.5, 1.0, 2.0]
    progress_lines = stderr.getvalue().splitlines()
    assert [line.split(":")[1].split()[0] for line in progress_lines] == ["QUEUED", "RUNNING", "SUCCEEDED"]
    assert all(line.startswith("version_adoption: ") for line in progress_lines)


def test_a_result_without_rows_has_its_columns(moto_client):
    queue_static_results(athena_page([("day", "date"), ("deployments", "bigint")], []))
    result = make_runner(moto_client, FakeClock(), io.StringIO()).run("daily_active_deployments", "SELECT 1")
    assert result.columns == ("day", "deployments")
    assert result.rows == ()


def test_an_unknown_workgroup_is_an_aws_error(moto_client):
    runner = AthenaQueryRunner(
        moto_client,
        workgroup="no-such-workgroup",
        database=DATABASE,
        progress=Progress(io.StringIO(), interactive=False),
    )
    with pytest.raises(ClientError, match="WorkGroup does not exist"):
        runner.run("daily_active_deployments", "SELECT 1")


# moto always lets a query succeed; the failure shapes below are Athena's, checked by botocore's Stubber
# against the service model (an invented field or state would be rejected).


def stubbed_client():
    client = boto3.client("athena", region_name="us-east-1")
    return client, Stubber(client)


def execution(state: str, scanned: int = 0, reason: str | None = None) -> dict:
    status = {"State": state}
    if reason:
        status["StateChangeReason"] = reason
    return {
        "QueryExecution": {
            "QueryExecutionId": "exec-1",
            "Status": status,
            "Statistics": {"DataScannedInBytes": scanned},
        }
    }


def test_a_failed_query_shows_athenas_reason():
    client, stubber = stubbed_client()
    stubber.add_response("start_query_execution", {"QueryExecutionId": "exec-1"})
    stubber.add_response("get_query_execution", execution("RUNNING"))
    reason = "COLUMN_NOT_FOUND: line 1:8: Column 'pageviews' cannot be resolved"
    stubber.add_response("get_query_execution", execution("FAILED", reason=reason))
    with stubber, pytest.raises(QueryFailed) as raised:
        make_runner(client, FakeClock(), io.StringIO()).run("daily_counter_totals", "SELECT pageviews")
    assert not isinstance(raised.value, ScanCutoffExceeded)
    assert reason in str(raised.value)
    assert "daily_counter_totals" in str(raised.value) and "exec-1" in str(raised.value)
    stubber.assert_no_pending_responses()


def test_the_bytes_scanned_cutoff_is_named_with_its_figures():
    client, stubber = stubbed_client()
    stubber.add_response("start_query_execution", {"QueryExecutionId": "exec-1"})
    stubber.add_response("get_query_execution", execution("RUNNING", scanned=4_000_000))
    stubber.add_response(
        "get_query_execution", execution("CANCELLED", scanned=10_485_760, reason="Bytes scanned limit was exceeded")
    )
    stubber.add_response(
        "get_work_group",
        {"WorkGroup": {"Name": WORKGROUP, "Configuration": {"BytesScannedCutoffPerQuery": CUTOFF}}},
        {"WorkGroup": WORKGROUP},
    )
    with stubber, pytest.raises(ScanCutoffExceeded) as raised:
        make_runner(client, FakeClock(), io.StringIO()).run("daily_active_deployments", "SELECT *")
    error = raised.value
    assert (error.scanned_bytes, error.cutoff_bytes, error.state) == (10_485_760, CUTOFF, "CANCELLED")
    message = str(error)
    assert "bytes-scanned cutoff" in message and WORKGROUP in message
    assert "10,000,000 bytes" in message and "10,485,760 bytes" in message
    stubber.assert_no_pending_responses()


def test_a_query_running_past_the_timeout_is_stopped():
    client, stubber = stubbed_client()
    stubber.add_response("start_query_execution", {"QueryExecutionId": "exec-1"})
    for _ in range(4):
        stubber.add_response("get_query_execution", execution("RUNNING"))
    stubber.add_response("stop_query_execution", {}, {"QueryExecutionId": "exec-1"})
    clock = FakeClock()
    with stubber, pytest.raises(QueryTimedOut, match="still RUNNING"):
        make_runner(client, clock, io.StringIO(), timeout=3.0).run("version_adoption", "SELECT 1")
    stubber.assert_no_pending_responses()
    assert clock.now == pytest.approx(3.5)


def test_every_result_page_is_read_and_only_the_first_has_a_header():
    client, stubber = stubbed_client()
    stubber.add_response("start_query_execution", {"QueryExecutionId": "exec-1"})
    stubber.add_response("get_query_execution", execution("SUCCEEDED"))
    columns = [("week", "date"), ("new_deployments", "bigint")]

    def page(rows, header, token=None):
        content = athena_page(columns, rows, header)
        response = {"ResultSet": {"Rows": content["rows"], "ResultSetMetadata": {"ColumnInfo": content["column_info"]}}}
        if token:
            response["NextToken"] = token
        return response

    stubber.add_response(
        "get_query_results", page([["2026-11-02", "3"]], True, "page-2"), {"QueryExecutionId": "exec-1"}
    )
    stubber.add_response(
        "get_query_results", page([["2026-11-09", "5"]], False), {"QueryExecutionId": "exec-1", "NextToken": "page-2"}
    )
    with stubber:
        result = make_runner(client, FakeClock(), io.StringIO()).run("new_deployments_per_week", "SELECT 1")
    assert result.rows == ((datetime.date(2026, 11, 2), 3), (datetime.date(2026, 11, 9), 5))


def test_progress_redraws_one_line_on_a_terminal():
    stream = io.StringIO()
    progress = Progress(stream, interactive=True)
    progress.update("version_adoption", "QUEUED", 0.0, 0)
    progress.update("version_adoption", "RUNNING", 1.0, 1_500_000)
    progress.finish("version_adoption", "SUCCEEDED", 2.25, 3_000_000)
    text = stream.getvalue()
    assert text.count("\r") == 3 and text.count("\n") == 1 and text.endswith("\n")
    assert text.split("\r")[2].rstrip() == "version_adoption: RUNNING 1.0 s, 1.5 MB scanned"
    assert text.split("\r")[3].rstrip() == "version_adoption: SUCCEEDED 2.2 s, 3.0 MB scanned"


def test_the_module_runs_as_python_dash_m(tmp_path):
    root = Path(__file__).resolve().parents[1]
    completed = subprocess.run(
        [sys.executable, "-m", "usage_report", "--local", str(tmp_path), "--section", "nope"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert completed.returncode == 2
    assert "usage: python -m usage_report" in completed.stderr and "invalid choice: 'nope'" in completed.stderr
