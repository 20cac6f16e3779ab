"""The reporter handler against moto's CloudWatch and a collector on 127.0.0.1: what it sums and how it sends."""

import datetime as dt
import json

import boto3
import pytest
from moto import mock_aws

import schemas
from fixtures.fake_collector import fake_collector, silent_collector, unreachable_url
from fixtures.product_metrics import NAMESPACE, UTC, count_calls, dimensions, publish
from handlers import daily_report
from handlers.daily_report import CollectorRejected, DeliveryFailed, Settings
from mocked_program.pulumi_mocks import run_program, stack_config

STACK_ID = "3d9c49ce-8367-43ec-8884-568c8d43faec"
RUN_AT = dt.datetime(2026, 11, 27, 1, 17, tzinfo=UTC)
DAY = dt.datetime(2026, 11, 26, tzinfo=UTC)
NEXT_DAY = DAY + dt.timedelta(days=1)
SECOND = dt.timedelta(seconds=1)


@pytest.fixture
def cloudwatch():
    with mock_aws():
        yield boto3.client("cloudwatch", region_name="us-east-1")


def settings(url: str, **overrides) -> Settings:
    return Settings(**{"collector_url": url, "stack_id": STACK_ID, "version": "1.2.3", "namespace": NAMESPACE,
                       "http_timeout_seconds": 2.0, "max_attempts": 4, **overrides})


class Sleeps(list):
    """Records the backoff delays instead of waiting them."""

    def __call__(self, seconds):
        self.append(seconds)


def run(cloudwatch, url, sleeps=None, **overrides):
    return daily_report.run(settings(url, **overrides), cloudwatch, RUN_AT,
                            sleep=Sleeps() if sleeps is None else sleeps, jitter=lambda: 1.0)


def log_lines(capsys) -> list[dict]:
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


def test_sums_the_previous_utc_day_across_every_dimension_set(cloudwatch, capsys):
    publish(cloudwatch, "tokenizeSuccess", 1000, DAY - SECOND)       # the day before: excluded
    publish(cloudwatch, "tokenizeSuccess", 3, DAY)                   # first instant: included
    publish(cloudwatch, "tokenizeSuccess", 4, NEXT_DAY - SECOND)     # last second: included
    publish(cloudwatch, "tokenizeSuccess", 5, DAY + dt.timedelta(hours=5), dimensions(version="1.2.4"))
    publish(cloudwatch, "tokenizeSuccess", 2000, NEXT_DAY)           # the run's own day: excluded
    publish(cloudwatch, "detokenizeFailure", 2, DAY + dt.timedelta(hours=12))
    publish(cloudwatch, "notACounter", 7, DAY + dt.timedelta(hours=1))
    # Its own dimensions: moto's GetMetricData ignores the namespace of a query that has dimensions.
    publish(cloudwatch, "tokenizeSuccess", 9, DAY + dt.timedelta(hours=1), dimensions(stack="other"), "other")

    with fake_collector() as collector:
        run(cloudwatch, collector.url)

    [request] = collector.received
    expected_metrics = dict.fromkeys(schemas.counter_names(), 0)
    expected_metrics.update(tokenizeSuccess=12, detokenizeFailure=2)
    assert request.json() == {"version": "1.2.3", "stack_id": STACK_ID, "report_date": "2026-11-26",
                              "metrics": expected_metrics}
    assert request.headers["Content-Type"] == "application/json"
    assert request.path == "/v1/record/deployment"
    [log] = log_lines(capsys)
    assert log == {"event": "usage_report", "report_date": "2026-11-26", "stack_id": STACK_ID,
                   "namespace": NAMESPACE, "totals": expected_metrics, "attempts": 1, "status": 200,
                   "outcome": "sent"}


def test_a_namespace_without_data_reports_zero_for_every_counter(cloudwatch):
    with fake_collector() as collector:
        run(cloudwatch, collector.url)
    assert collector.received[0].json()["metrics"] == dict.fromkeys(schemas.counter_names(), 0)


def test_rerun_on_the_same_day_sends_the_same_report(cloudwatch):
    publish(cloudwatch, "createGrantSuccess", 6, DAY + dt.timedelta(hours=3))
    with fake_collector() as collector:
        first = daily_report.run(settings(collector.url), cloudwatch, RUN_AT)
        again = daily_report.run(settings(collector.url), cloudwatch, RUN_AT + dt.timedelta(hours=20))
    assert first == again
    assert collector.received[0].body == collector.received[1].body


def test_more_than_500_series_are_read_in_batches(cloudwatch):
    for i in range(501):
        publish(cloudwatch, "tokenizeFailure", 1, DAY + dt.timedelta(minutes=i), dimensions(stack=f"s{i}"))
    calls = count_calls(cloudwatch)
    with fake_collector() as collector:
        run(cloudwatch, collector.url)
    assert calls == ["ListMetrics", "ListMetrics", "GetMetricData", "GetMetricData"]  # 500 a page, 500 a query
    assert collector.received[0].json()["metrics"]["tokenizeFailure"] == 501


def test_server_errors_are_retried_with_growing_jittered_backoff(cloudwatch, capsys):
    sleeps = Sleeps()
    with fake_collector((500, {"message": "x"}), (503, {"message": "y"}), (200, {"status": "accepted"})) as collector:
        run(cloudwatch, collector.url, sleeps)
    assert len(collector.received) == 3
    assert sleeps == [1.0, 2.0]  # jitter pinned to its maximum: base * 2**(attempt-1)
    assert log_lines(capsys)[0] | {"totals": None} == {
        "event": "usage_report", "report_date": "2026-11-26", "stack_id": STACK_ID, "namespace": NAMESPACE,
        "totals": None, "attempts": 3, "status": 200, "outcome": "sent"}


def test_backoff_is_capped_and_jitter_can_shrink_it(cloudwatch):
    sleeps = Sleeps()
    with fake_collector((429, {"message": "slow down"})) as collector:
        with pytest.raises(DeliveryFailed, match="after 8 attempts: HTTP 429"):
            daily_report.run(settings(collector.url, max_attempts=8), cloudwatch, RUN_AT,
                             sleep=sleeps, jitter=lambda: 0.5)
    assert sleeps == [0.5, 1.0, 2.0, 4.0, 8.0, 10.0, 10.0]


def test_a_bad_request_is_not_retried_and_the_collector_message_is_surfaced(cloudwatch, capsys):
    reason = {"status": "rejected", "message": "Invalid report", "reason": "[version does not match]"}
    sleeps = Sleeps()
    with fake_collector((400, reason)) as collector:
        with pytest.raises(CollectorRejected, match=r"collector answered 400: .*Invalid report.*version does not"):
            run(cloudwatch, collector.url, sleeps)
    assert len(collector.received) == 1 and sleeps == []
    log = log_lines(capsys)[0]
    assert (log["outcome"], log["attempts"], log["status"]) == ("failed", 1, 400)
    assert "Invalid report" in log["error"]


def test_a_redirect_is_not_followed(cloudwatch):
    with fake_collector((302, {"location": "elsewhere"})) as collector:
        with pytest.raises(CollectorRejected, match="collector answered 302"):
            run(cloudwatch, collector.url)
    assert len(collector.received) == 1


def test_a_collector_that_never_answers_times_out_on_every_attempt(cloudwatch, capsys):
    sleeps = Sleeps()
    with silent_collector() as url, pytest.raises(DeliveryFailed, match="after 2 attempts: .*timed out"):
        run(cloudwatch, url, sleeps, http_timeout_seconds=0.2, max_attempts=2)
    assert len(sleeps) == 1
    log = log_lines(capsys)[0]
    assert (log["outcome"], log["attempts"], log["status"]) == ("failed", 2, None)


def test_an_unreachable_collector_fails_after_the_bounded_attempts(cloudwatch, capsys):
    sleeps = Sleeps()
    with pytest.raises(DeliveryFailed, match="after 4 attempts: .*refused"):
        run(cloudwatch, unreachable_url(), sleeps)
    assert sleeps == [1.0, 2.0, 4.0]
    assert log_lines(capsys)[0]["attempts"] == 4


def test_retries_stop_early_when_the_invocation_would_run_out_of_time(cloudwatch):
    sleeps = Sleeps()
    with pytest.raises(DeliveryFailed, match="after 1 attempts"):
        daily_report.run(settings(unreachable_url()), cloudwatch, RUN_AT, sleep=sleeps, seconds_left=lambda: 3.0)
    assert sleeps == []


def test_a_report_that_breaks_the_schema_is_not_sent(cloudwatch):
    with fake_collector() as collector:
        with pytest.raises(ValueError, match="report does not match the schema, not sent: .*version"):
            run(cloudwatch, collector.url, version="latest")
    assert collector.received == []


@pytest.mark.parametrize("url", ["http://collector.example.com/record", "ftp://127.0.0.1/x", "https://", "nope"])
def test_settings_refuse_a_collector_url_without_tls(url):
    env = {"COLLECTOR_URL": url, "STACK_ID": STACK_ID, "PRODUCT_VERSION": "1.2.3", "METRICS_NAMESPACE": NAMESPACE}
    with pytest.raises(ValueError, match="must be an https:// URL"):
        Settings.from_env(env)


def test_settings_read_the_environment_the_daily_aggregator_deploys():
    config = stack_config("dev")
    config.pop("analytics-collector:metricsConfig", None)  # reporting on, whatever dev's committed choice
    (function,) = [r for r in run_program("dev", config).of_type("aws:lambda/function:Function")
                   if r.parent_type == "analytics:reporter:DailyAggregator"]
    deployed = function.inputs["environment"]["variables"]
    assert set(deployed) == set(daily_report.REQUIRED_VARIABLES + daily_report.OPTIONAL_VARIABLES)
    # Values unlike the defaults, so reading each variable is what makes the settings match.
    variables = {**deployed, "HTTP_TIMEOUT_SECONDS": "7", "MAX_ATTEMPTS": "3"}
    assert Settings.from_env(variables) == Settings(
        deployed["COLLECTOR_URL"], deployed["STACK_ID"], deployed["PRODUCT_VERSION"],
        deployed["METRICS_NAMESPACE"], http_timeout_seconds=7.0, max_attempts=3)


def test_settings_name_every_missing_variable():
    with pytest.raises(ValueError, match="STACK_ID, PRODUCT_VERSION, METRICS_NAMESPACE"):
        Settings.from_env({"COLLECTOR_URL": "https://c.example.com/record"})


def test_handler_reports_the_day_before_the_scheduled_time_not_the_retry_time(cloudwatch, monkeypatch, capsys):
    publish(cloudwatch, "tokenizeSuccess", 4, DAY + dt.timedelta(hours=2))
    with fake_collector() as collector:
        monkeypatch.setenv("COLLECTOR_URL", collector.url)
        monkeypatch.setenv("STACK_ID", STACK_ID)
        monkeypatch.setenv("PRODUCT_VERSION", "0.0.1")
        monkeypatch.setenv("METRICS_NAMESPACE", NAMESPACE)
        daily_report.cloudwatch_client.cache_clear()
        # An async retry hours later still carries EventBridge's original schedule time.
        result = daily_report.handler({"time": "2026-11-27T01:17:00Z", "detail-type": "Scheduled Event"}, None)
    daily_report.cloudwatch_client.cache_clear()
    assert result == {"report_date": "2026-11-26", "sent": True}
    assert collector.received[0].json()["metrics"]["tokenizeSuccess"] == 4


def test_a_misconfigured_function_still_logs_one_failed_line(monkeypatch, capsys):
    monkeypatch.delenv("COLLECTOR_URL", raising=False)
    with pytest.raises(ValueError, match="missing environment variables COLLECTOR_URL"):
        daily_report.handler({"time": "2026-11-27T01:17:00Z"}, None)
    [log] = log_lines(capsys)
    assert log["outcome"] == "failed" and "COLLECTOR_URL" in log["error"]


class AlmostOutOfTime:
    """A Lambda context with 3 s left: too little for another 2 s attempt after the 2 s reserve."""

    @staticmethod
    def get_remaining_time_in_millis():
        return 3000


def test_handler_stops_retrying_when_lambda_time_runs_short(cloudwatch, monkeypatch):
    for key, value in {"COLLECTOR_URL": unreachable_url(), "STACK_ID": STACK_ID, "PRODUCT_VERSION": "0.0.1",
                       "METRICS_NAMESPACE": NAMESPACE, "HTTP_TIMEOUT_SECONDS": "2"}.items():
        monkeypatch.setenv(key, value)
    daily_report.cloudwatch_client.cache_clear()
    try:
        with pytest.raises(DeliveryFailed, match="after 1 attempts"):
            daily_report.handler({"time": "2026-11-27T01:17:00Z"}, AlmostOutOfTime())
    finally:
        daily_report.cloudwatch_client.cache_clear()
