"""The operator's dry run (python -m handlers.daily_report --dry-run): the exact body a run posts, and no request."""

import datetime as dt
import json
import os
import subprocess
import sys
import urllib.request

import boto3
import pytest
from moto.server import ThreadedMotoServer

from handlers import daily_report
from tests.support.moto_aws import mocked_aws
from tooling.fixtures.fake_collector import fake_collector
from tooling.fixtures.product_metrics import NAMESPACE, UTC, dimensions, publish, publish_emf

STACK_ID = "3d9c49ce-8367-43ec-8884-568c8d43faec"
DAY = dt.datetime(2026, 11, 26, tzinfo=UTC)
HOUR = dt.timedelta(hours=1)


def publish_a_day(cloudwatch) -> None:
    """A day with several versions, EMF's two views and a datapoint on each side of the day."""
    publish(cloudwatch, "tokenizeSuccess", 1000, DAY - dt.timedelta(seconds=1))
    publish(cloudwatch, "tokenizeSuccess", 4, DAY + HOUR)
    publish(cloudwatch, "tokenizeSuccess", 3, DAY + 2 * HOUR, dimensions(version="1.2.2"))
    publish_emf(cloudwatch, "createGrantFailure", 2, DAY + 23 * HOUR, [["stackID", "version"], ["stackID"]])
    publish(cloudwatch, "detokenizeSuccess", 5000, DAY + 24 * HOUR)


def function_environment(collector_url: str) -> dict[str, str]:
    return {
        "COLLECTOR_URL": collector_url,
        "STACK_ID": STACK_ID,
        "PRODUCT_VERSION": "1.2.3",
        "METRICS_NAMESPACE": NAMESPACE,
    }


@pytest.fixture
def cloudwatch(monkeypatch):
    with mocked_aws():
        daily_report.cloudwatch_client.cache_clear()
        yield boto3.client("cloudwatch", region_name="us-east-1")
    daily_report.cloudwatch_client.cache_clear()


def refuse_requests(monkeypatch) -> list:
    """Every way the handler could POST, made to fail the test; the list holds what was attempted."""
    attempted = []

    def refuse(request, *args, **kwargs):
        attempted.append(getattr(request, "full_url", request))
        raise AssertionError("the dry run made a request")

    monkeypatch.setattr(daily_report._OPENER, "open", refuse)
    monkeypatch.setattr(daily_report.urllib.request, "urlopen", refuse)
    return attempted


@pytest.fixture
def no_requests(monkeypatch):
    return refuse_requests(monkeypatch)


def test_the_dry_run_prints_exactly_the_body_the_real_run_posts_and_sends_nothing(cloudwatch, monkeypatch, capsys):
    publish_a_day(cloudwatch)
    with fake_collector() as collector:
        for key, value in function_environment(collector.url).items():
            monkeypatch.setenv(key, value)
        with monkeypatch.context() as patched:
            attempted = refuse_requests(patched)
            assert daily_report.main(["--dry-run", "--date", "2026-11-26"]) == 0
        printed = capsys.readouterr()
        assert collector.received == [] and attempted == []
        # The real run of the same day, as the schedule starts it.
        daily_report.handler({"time": "2026-11-27T01:17:00Z"}, None)

    [posted] = collector.received
    assert printed.out == posted.body.decode() + "\n"
    assert json.loads(printed.out)["metrics"]["tokenizeSuccess"] == 7
    assert json.loads(printed.out)["metrics"]["createGrantFailure"] == 2
    [log] = [json.loads(line) for line in printed.err.splitlines()[-1:]]
    assert (log["outcome"], log["attempts"], log["report_date"]) == ("dry_run", 0, "2026-11-26")


def test_without_a_date_the_dry_run_reports_yesterday(cloudwatch, monkeypatch, capsys, no_requests):
    for key, value in function_environment("https://collector.invalid/record").items():
        monkeypatch.setenv(key, value)
    assert daily_report.main(["--dry-run"]) == 0
    yesterday = dt.datetime.now(UTC).date() - dt.timedelta(days=1)
    assert json.loads(capsys.readouterr().out)["report_date"] == yesterday.isoformat()
    assert no_requests == []


def test_a_dry_run_that_cannot_build_a_report_prints_no_body_and_fails(cloudwatch, monkeypatch, capsys):
    for key, value in function_environment("https://collector.invalid/record").items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("PRODUCT_VERSION", "latest")
    assert daily_report.main(["--dry-run", "--date", "2026-11-26"]) == 1
    printed = capsys.readouterr()
    assert printed.out == ""
    log = json.loads(printed.err.splitlines()[-1])
    assert log["outcome"] == "failed" and "report does not match the schema" in log["error"]


@pytest.mark.parametrize(
    "argv,says",
    [
        (["--date", "2026-11-26"], "the following arguments are required: --dry-run"),
        (["--dry-run", "--date", "26/11/2026"], "--date '26/11/2026' is not a date: expected YYYY-MM-DD"),
        (["--dry-run", "--date", "2999-01-01"], "--date '2999-01-01' has not closed yet (UTC): expected a day before"),
    ],
    ids=["without-dry-run", "not-a-date", "not-closed"],
)
def test_the_command_line_refuses_what_it_cannot_do(argv, says, monkeypatch, capsys):
    for key, value in function_environment("https://collector.invalid/record").items():
        monkeypatch.setenv(key, value)
    with pytest.raises(SystemExit) as exited:
        daily_report.main(argv)
    assert exited.value.code == 2
    assert says in capsys.readouterr().err


def test_a_missing_variable_is_named(monkeypatch, capsys):
    monkeypatch.delenv("METRICS_NAMESPACE", raising=False)
    for key, value in function_environment("https://collector.invalid/record").items():
        if key != "METRICS_NAMESPACE":
            monkeypatch.setenv(key, value)
    with pytest.raises(SystemExit):
        daily_report.main(["--dry-run"])
    assert "missing environment variables METRICS_NAMESPACE" in capsys.readouterr().err


def reset_moto(endpoint: str) -> None:
    """Moto's servers in one process share their data: none of another test's metrics here, none of ours left."""
    urllib.request.urlopen(urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST"), timeout=30).close()


def test_the_documented_command_runs_as_an_operator_types_it(tmp_path):
    """`python -m handlers.daily_report` in a fresh interpreter, CloudWatch at a moto server on 127.0.0.1."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    try:
        reset_moto(endpoint)
        publish_a_day(boto3.client("cloudwatch", region_name="us-east-1", endpoint_url=endpoint))
        with fake_collector() as collector:
            env = {
                "PATH": os.environ.get("PATH", ""),
                "HOME": str(tmp_path),
                "AWS_ACCESS_KEY_ID": "testing",
                "AWS_SECRET_ACCESS_KEY": "testing",
                "AWS_DEFAULT_REGION": "us-east-1",
                "AWS_ENDPOINT_URL": endpoint,
                "AWS_EC2_METADATA_DISABLED": "true",
                "AWS_CONFIG_FILE": os.devnull,
                "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
                **function_environment(collector.url),
            }
            done = subprocess.run(
                [sys.executable, "-m", "handlers.daily_report", "--dry-run", "--date", "2026-11-26"],
                env=env,
                cwd=tmp_path,  # the installed package, not the checkout's folder
                capture_output=True,
                text=True,
                timeout=120,
            )
            assert collector.received == []
    finally:
        reset_moto(endpoint)
        server.stop()
    assert done.returncode == 0, done.stderr
    [line] = done.stdout.splitlines()
    body = json.loads(line)
    assert (body["stack_id"], body["report_date"], body["metrics"]["tokenizeSuccess"]) == (STACK_ID, "2026-11-26", 7)
    assert done.stdout == json.dumps(body, separators=(",", ":")) + "\n"
