"""The reporter handler against moto's CloudWatch and a collector on 127.0.0.1: what it sums and how it sends."""

import datetime as dt
import json
import re
import shutil
from dataclasses import replace

import boto3
import pytest

from components.api_routes import GATEWAY_RESPONSES
from components.daily_aggregator import SCHEDULED_TIME
from contract import products, schemas, templates
from handlers import daily_report
from handlers.daily_report import CollectorRejected, DeliveryFailed, Settings
from tests.support.docs import section
from tests.support.moto_aws import mocked_aws
from tests.support.shared_runs import shared_run
from tooling.fixtures.apigateway_vtl import RequestContext, render
from tooling.fixtures.fake_collector import fake_collector, silent_collector, unreachable_url
from tooling.fixtures.product_metrics import NAMESPACE, UTC, count_calls, dimensions, publish, publish_emf
from tooling.mocked_program.pulumi_mocks import stack_config_with

STACK_ID = "3d9c49ce-8367-43ec-8884-568c8d43faec"
RUN_AT = dt.datetime(2026, 11, 27, 1, 17, tzinfo=UTC)
DAY = dt.datetime(2026, 11, 26, tzinfo=UTC)
NEXT_DAY = DAY + dt.timedelta(days=1)
SECOND = dt.timedelta(seconds=1)


@pytest.fixture
def cloudwatch():
    with mocked_aws():
        yield boto3.client("cloudwatch", region_name="us-east-1")


def settings(url: str, **overrides) -> Settings:
    return Settings(
        **{
            "collector_url": url,
            "stack_id": STACK_ID,
            "version": "1.2.3",
            "namespace": NAMESPACE,
            "http_timeout_seconds": 2.0,
            "max_attempts": 4,
            **overrides,
        }
    )


class Sleeps(list):
    """Records the backoff delays instead of waiting them."""

    def __call__(self, seconds):
        self.append(seconds)


def run(cloudwatch, url, sleeps=None, **overrides):
    return daily_report.run(
        settings(url, **overrides), cloudwatch, RUN_AT, sleep=Sleeps() if sleeps is None else sleeps, jitter=lambda: 1.0
    )


def log_lines(capsys) -> list[dict]:
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


def test_sums_the_previous_utc_day_across_the_versions_of_one_dimension_set(cloudwatch, capsys):
    publish(cloudwatch, "tokenizeSuccess", 1000, DAY - SECOND)  # the day before: excluded
    publish(cloudwatch, "tokenizeSuccess", 3, DAY)  # first instant: included
    publish(cloudwatch, "tokenizeSuccess", 4, NEXT_DAY - SECOND)  # last second: included
    publish(cloudwatch, "tokenizeSuccess", 5, DAY + dt.timedelta(hours=5), dimensions(version="1.2.4"))
    publish(cloudwatch, "tokenizeSuccess", 2000, NEXT_DAY)  # the run's own day: excluded
    publish(cloudwatch, "detokenizeFailure", 2, DAY + dt.timedelta(hours=12))
    publish(cloudwatch, "notACounter", 7, DAY + dt.timedelta(hours=1))
    # Its own dimensions: moto's GetMetricData ignores the namespace of a query that has dimensions.
    publish(cloudwatch, "tokenizeSuccess", 9, DAY + dt.timedelta(hours=1), dimensions(stack="other"), "other")

    with fake_collector() as collector:
        run(cloudwatch, collector.url)

    [request] = collector.received
    expected_metrics = dict.fromkeys(schemas.counter_names(), 0)
    expected_metrics.update(tokenizeSuccess=12, detokenizeFailure=2)
    assert request.json() == {
        "version": "1.2.3",
        "stack_id": STACK_ID,
        "report_date": "2026-11-26",
        "metrics": expected_metrics,
    }
    assert request.headers["Content-Type"] == "application/json"
    # AWS's common WAF rule set blocks a request without a User-Agent (docs/guardrails.md).
    assert request.headers["User-Agent"] == "analytics-collector-reporter"
    assert request.path == "/v1/record/deployment"
    [log] = log_lines(capsys)
    assert log == {
        "event": "usage_report",
        "report_date": "2026-11-26",
        "stack_id": STACK_ID,
        "namespace": NAMESPACE,
        "totals": expected_metrics,
        "attempts": 1,
        "status": 200,
        "outcome": "sent",
    }


# --- Each datapoint counted once, whatever dimension sets it was published under ------------------------------

BY_VERSION, AGGREGATE = ["stackID", "version"], ["stackID"]
HOUR = dt.timedelta(hours=1)


def sent_metrics(collector) -> dict:
    [request] = collector.received
    return request.json()["metrics"]


def warnings_logged(capsys) -> list[dict]:
    return [line for line in log_lines(capsys) if line["event"] == "usage_report_dimension_sets"]


def test_emf_with_two_dimension_sets_counts_each_datapoint_once_and_says_so(cloudwatch, capsys):
    publish_emf(cloudwatch, "tokenizeSuccess", 3, DAY + HOUR, [BY_VERSION, AGGREGATE])
    publish_emf(cloudwatch, "tokenizeSuccess", 4, DAY + 2 * HOUR, [BY_VERSION, AGGREGATE], {"version": "1.2.4"})
    publish_emf(cloudwatch, "detokenizeFailure", 1, DAY + 3 * HOUR, [BY_VERSION, AGGREGATE])
    with fake_collector() as collector:
        run(cloudwatch, collector.url)
    assert (sent_metrics(collector)["tokenizeSuccess"], sent_metrics(collector)["detokenizeFailure"]) == (7, 1)
    [warning] = warnings_logged(capsys)
    assert warning["level"] == "WARNING" and warning["report_date"] == "2026-11-26"
    assert warning["counters"] == {
        "tokenizeSuccess": {
            "counted": "stackID,version",
            "total": 7,
            "dimension_sets": {"stackID": 7, "stackID,version": 7},
        },
        "detokenizeFailure": {
            "counted": "stackID,version",
            "total": 1,
            "dimension_sets": {"stackID": 1, "stackID,version": 1},
        },
    }
    assert "reporter.dimensionNames" in warning["message"]


def test_emf_with_three_dimension_sets_counts_each_datapoint_once(cloudwatch, capsys):
    # Not the empty set: moto sums every series for a query without dimensions (CloudWatch does not).
    for hour, version in ((1, "1.2.3"), (5, "1.2.4"), (9, "1.2.4")):
        publish_emf(
            cloudwatch,
            "createGrantSuccess",
            10,
            DAY + hour * HOUR,
            [BY_VERSION, AGGREGATE, ["version"]],
            {"version": version},
        )
    with fake_collector() as collector:
        run(cloudwatch, collector.url)
    assert sent_metrics(collector)["createGrantSuccess"] == 30
    [warning] = warnings_logged(capsys)
    assert warning["counters"]["createGrantSuccess"]["dimension_sets"] == {
        "stackID": 30,
        "stackID,version": 30,
        "version": 30,
    }


def test_an_aggregate_beside_a_breakdown_counts_the_view_that_saw_more(cloudwatch, capsys):
    # The breakdown only covers one version; the aggregate saw everything: it is the closer to the truth.
    publish(cloudwatch, "tokenizeFailure", 6, DAY + HOUR, [{"Name": "stackID", "Value": "product-stack"}])
    publish(cloudwatch, "tokenizeFailure", 4, DAY + HOUR, dimensions(version="1.2.3"))
    # The breakdown started before the aggregate (say an upgrade at noon added it): now it saw more.
    publish(cloudwatch, "tokenizeSuccess", 5, DAY + HOUR, dimensions())
    publish(cloudwatch, "tokenizeSuccess", 2, DAY + 13 * HOUR, dimensions())
    publish(cloudwatch, "tokenizeSuccess", 2, DAY + 13 * HOUR, [{"Name": "stackID", "Value": "product-stack"}])
    with fake_collector() as collector:
        run(cloudwatch, collector.url)
    assert (sent_metrics(collector)["tokenizeFailure"], sent_metrics(collector)["tokenizeSuccess"]) == (6, 7)
    [warning] = warnings_logged(capsys)
    assert {name: (c["counted"], c["dimension_sets"]) for name, c in warning["counters"].items()} == {
        "tokenizeFailure": ("stackID", {"stackID": 6, "stackID,version": 4}),
        "tokenizeSuccess": ("stackID,version", {"stackID": 2, "stackID,version": 7}),
    }


def test_one_dimension_set_over_several_versions_is_summed_without_a_warning(cloudwatch, capsys):
    for version, value in (("1.2.2", 1), ("1.2.3", 2), ("1.3.0", 4)):
        publish(cloudwatch, "createGrantFailure", value, DAY + HOUR, dimensions(version=version))
    with fake_collector() as collector:
        run(cloudwatch, collector.url)
    assert sent_metrics(collector)["createGrantFailure"] == 7
    assert warnings_logged(capsys) == []


def test_a_configured_dimension_set_is_the_only_one_read(cloudwatch, capsys):
    publish_emf(cloudwatch, "tokenizeSuccess", 3, DAY + HOUR, [BY_VERSION, AGGREGATE])
    publish(cloudwatch, "tokenizeSuccess", 100, DAY + HOUR, dimensions(version="9.9.9"))  # only in the breakdown
    publish_emf(cloudwatch, "detokenizeSuccess", 2, DAY + HOUR, [AGGREGATE])
    publish_emf(cloudwatch, "createGrantSuccess", 8, DAY + HOUR, [BY_VERSION])  # not in the configured set
    calls = count_calls(cloudwatch)
    queried = []
    cloudwatch.meta.events.register(
        "provide-client-params.cloudwatch.GetMetricData",
        lambda params, **_: queried.extend(params["MetricDataQueries"]),
    )
    with fake_collector() as collector:
        run(cloudwatch, collector.url, dimension_names=("stackID",))
    metrics = sent_metrics(collector)
    assert (metrics["tokenizeSuccess"], metrics["detokenizeSuccess"], metrics["createGrantSuccess"]) == (3, 2, 0)
    assert calls == ["ListMetrics", "GetMetricData"]
    assert {len(q["MetricStat"]["Metric"]["Dimensions"]) for q in queried} == {1}  # the breakdown is not read
    [warning] = warnings_logged(capsys)
    assert "only that set is counted" in warning["message"]
    assert warning["counters"] == {
        "tokenizeSuccess": {"counted": "stackID", "total": 3, "not_read": ["stackID,version"]},
        "createGrantSuccess": {"counted": "stackID", "total": 0, "not_read": ["stackID,version"]},
    }


def test_every_counter_under_three_dimension_sets_still_takes_two_cloudwatch_calls(cloudwatch):
    for name in schemas.counter_names():
        for version in ("1.2.3", "1.2.4"):
            publish_emf(cloudwatch, name, 1, DAY + HOUR, [BY_VERSION, AGGREGATE, ["version"]], {"version": version})
    calls = count_calls(cloudwatch)
    with fake_collector() as collector:
        run(cloudwatch, collector.url)
    assert calls == ["ListMetrics", "GetMetricData"]
    assert sent_metrics(collector) == dict.fromkeys(schemas.counter_names(), 2)


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
        "event": "usage_report",
        "report_date": "2026-11-26",
        "stack_id": STACK_ID,
        "namespace": NAMESPACE,
        "totals": None,
        "attempts": 3,
        "status": 200,
        "outcome": "sent",
    }


def test_backoff_is_capped_and_jitter_can_shrink_it(cloudwatch):
    sleeps = Sleeps()
    with fake_collector((429, {"message": "slow down"})) as collector:
        with pytest.raises(DeliveryFailed, match="after 8 attempts: HTTP 429"):
            daily_report.run(
                settings(collector.url, max_attempts=8), cloudwatch, RUN_AT, sleep=sleeps, jitter=lambda: 0.5
            )
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


# --- A newer reporter, an older collector: a counter the collector does not know yet -------------------------

NEW_COUNTER = "revokeGrantSuccess"


@pytest.fixture
def archived_catalogue(monkeypatch, tmp_path):
    """Stand in the catalogue folder a reporter's archive ships (contract/products/): the handler reads its product's
    entry there. Returns a function writing an entry into it, over the shipped one of the same id."""
    folder = tmp_path / "archived-products"
    shutil.copytree(products.BUILTIN_DIR, folder, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    monkeypatch.setattr(products, "BUILTIN_DIR", folder)
    daily_report.report_validator.cache_clear()

    def ship(entry: dict) -> products.Product:
        (folder / f"{entry['id']}.json").write_text(json.dumps(entry), encoding="utf-8")
        return products.builtin(entry["id"])

    yield ship
    daily_report.report_validator.cache_clear()


@pytest.fixture
def newer_reporter(archived_catalogue):
    """The reporter as a release with one more counter in the default product's catalogue entry would ship it."""
    entry = json.loads((products.BUILTIN_DIR / "lunasec-tokenizer.json").read_text(encoding="utf-8"))
    entry["counters"].append({"name": NEW_COUNTER, "meaning": "Grants revoked."})
    archived_catalogue(entry)


def refused(*names) -> tuple[int, dict]:
    """The collector's 400 for keys its model does not know: API Gateway's validation error as the README shows
    it (tests/test_readme_promises.py pins that to the template), with these names, through the deployed
    BAD_REQUEST_BODY template. Not a wording of this test's own, which the handler's pattern would match by
    construction."""
    shown = re.search(r'"reason":"(.*?)\[\\"email\\"\]\]"', section("Sending a report")).group(1)
    listed = json.dumps(list(names)).replace('"', '\\"')  # API Gateway hands it over with quotes escaped
    [response] = [r for r in GATEWAY_RESPONSES if r.response_type == "BAD_REQUEST_BODY"]
    context = RequestContext(error={"validationErrorString": f"{shown}{listed}]"})
    return int(response.status_code), json.loads(render(templates.read(response.template), "", context))


def test_a_counter_the_collector_does_not_know_is_dropped_and_the_day_still_sent(cloudwatch, newer_reporter, capsys):
    publish(cloudwatch, NEW_COUNTER, 5, DAY + HOUR)
    publish(cloudwatch, "tokenizeSuccess", 3, DAY + HOUR)
    with fake_collector(refused(NEW_COUNTER), (200, {"status": "accepted"})) as collector:
        report = run(cloudwatch, collector.url)
    first, resent = (r.json() for r in collector.received)
    assert first["metrics"][NEW_COUNTER] == 5
    assert resent == {**first, "metrics": {k: v for k, v in first["metrics"].items() if k != NEW_COUNTER}}
    assert report == resent and resent["metrics"]["tokenizeSuccess"] == 3
    [log] = log_lines(capsys)
    assert (log["outcome"], log["attempts"], log["dropped_counters"]) == ("sent", 2, [NEW_COUNTER])


@pytest.mark.parametrize(
    "answers",
    [
        [refused("email")],  # not a counter of this report: nothing to drop
        [refused(NEW_COUNTER, "version")],  # names a top-level field too
        [refused(NEW_COUNTER), refused(NEW_COUNTER)],  # resent once only
        [(403, {"message": "Forbidden"})],  # not a validation refusal
    ],
    ids=["unknown-field", "top-level-field", "once", "forbidden"],
)
def test_only_a_refusal_of_counters_alone_is_resent_and_only_once(cloudwatch, newer_reporter, answers):
    with fake_collector(*answers) as collector:
        with pytest.raises(CollectorRejected):
            run(cloudwatch, collector.url)
    assert len(collector.received) == len(answers)
    assert NEW_COUNTER in collector.received[0].json()["metrics"]


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


def test_a_total_above_the_schema_maximum_is_left_out_and_the_other_counters_are_sent(cloudwatch, capsys):
    maximum = schemas.counter_maximum()
    publish(cloudwatch, "tokenizeSuccess", maximum + 1, DAY + HOUR)
    publish(cloudwatch, "detokenizeSuccess", maximum, DAY + HOUR)  # at the maximum: sent as it is
    publish(cloudwatch, "tokenizeFailure", 3, DAY + HOUR)
    with fake_collector() as collector:
        report = run(cloudwatch, collector.url)
    sent = sent_metrics(collector)
    assert "tokenizeSuccess" not in sent and report["metrics"] == sent
    assert (sent["detokenizeSuccess"], sent["tokenizeFailure"]) == (maximum, 3)
    warning, outcome = log_lines(capsys)
    assert warning["event"] == "usage_report_over_maximum" and warning["level"] == "WARNING"
    assert (warning["counters"], warning["maximum"]) == ({"tokenizeSuccess": maximum + 1}, maximum)
    assert outcome["outcome"] == "sent" and outcome["over_maximum"] == ["tokenizeSuccess"]
    assert outcome["totals"]["tokenizeSuccess"] == maximum + 1, "the log keeps what was read"


def test_when_every_total_is_above_the_maximum_nothing_is_sent_and_the_error_says_why(cloudwatch, capsys):
    for name in schemas.counter_names():
        publish(cloudwatch, name, schemas.counter_maximum() * 2, DAY + HOUR)
    with fake_collector() as collector:
        with pytest.raises(ValueError, match=r"every counter's total is above the schema's daily maximum of \d+"):
            run(cloudwatch, collector.url)
    assert collector.received == []
    assert log_lines(capsys)[-1]["outcome"] == "failed"


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


def reporting_program(**reporter_settings):
    """The dev stack under mocks with reporting on, whatever dev's committed choice, and these reporter settings."""
    config = stack_config_with("dev", reporter=reporter_settings)
    config.pop("analytics-collector:metricsConfig", None)
    return shared_run("dev", config)


def deployed_environment(**reporter_settings) -> dict:
    (function,) = [
        r
        for r in reporting_program(**reporter_settings).of_type("aws:lambda/function:Function")
        if r.parent_type == "analytics:reporter:DailyAggregator"
    ]
    return function.inputs["environment"]["variables"]


def test_settings_read_the_environment_the_daily_aggregator_deploys():
    deployed = deployed_environment(dimensionNames=["version", "stackID"])
    # Values unlike the defaults, so reading each variable is what makes the settings match.
    variables = {**deployed, "HTTP_TIMEOUT_SECONDS": "7", "MAX_ATTEMPTS": "3"}
    assert Settings.from_env(variables) == Settings(
        deployed["COLLECTOR_URL"],
        deployed["STACK_ID"],
        deployed["PRODUCT_VERSION"],
        deployed["METRICS_NAMESPACE"],
        http_timeout_seconds=7.0,
        max_attempts=3,
        dimension_names=("stackID", "version"),
        retry_queue_url=deployed["RETRY_QUEUE_URL"],
    )


def test_without_dimension_names_the_function_gets_no_variable_and_chooses_itself():
    deployed = deployed_environment()
    assert "DIMENSION_NAMES" not in deployed
    assert Settings.from_env(deployed).dimension_names is None
    # An empty list is a choice (the series without dimensions), so it is sent, not dropped.
    assert Settings.from_env(deployed_environment(dimensionNames=[])).dimension_names == ()


@pytest.mark.parametrize("raw", ["stackID", '"stackID"', '[""]', "[1]", "{}"])
def test_settings_refuse_dimension_names_that_are_not_a_list_of_names(raw):
    env = {
        "COLLECTOR_URL": "https://c.example.com/r",
        "STACK_ID": STACK_ID,
        "PRODUCT_VERSION": "1.2.3",
        "METRICS_NAMESPACE": NAMESPACE,
        "DIMENSION_NAMES": raw,
    }
    with pytest.raises(ValueError, match="DIMENSION_NAMES must be a JSON list of names"):
        Settings.from_env(env)


def test_settings_name_every_missing_variable():
    with pytest.raises(ValueError, match="STACK_ID, PRODUCT_VERSION, METRICS_NAMESPACE"):
        Settings.from_env({"COLLECTOR_URL": "https://c.example.com/record"})


def set_reporter_environment(monkeypatch, url: str, **more: str) -> None:
    """The variables DailyAggregator gives the function, the collector at `url`; `more` adds or overrides."""
    for key, value in {
        "COLLECTOR_URL": url,
        "STACK_ID": STACK_ID,
        "PRODUCT_VERSION": "0.0.1",
        "METRICS_NAMESPACE": NAMESPACE,
        **more,
    }.items():
        monkeypatch.setenv(key, value)


def test_handler_reports_the_day_before_the_scheduled_time_not_the_retry_time(cloudwatch, monkeypatch, capsys):
    publish(cloudwatch, "tokenizeSuccess", 4, DAY + dt.timedelta(hours=2))
    with fake_collector() as collector:
        set_reporter_environment(monkeypatch, collector.url)
        daily_report.cloudwatch_client.cache_clear()
        # An async retry hours later still carries EventBridge's original schedule time.
        result = daily_report.handler({"time": "2026-11-27T01:17:00Z", "detail-type": "Scheduled Event"}, None)
    daily_report.cloudwatch_client.cache_clear()
    assert result == {"report_date": "2026-11-26", "sent": True}
    assert collector.received[0].json()["metrics"]["tokenizeSuccess"] == 4


def scheduled_event(program, scheduled: str) -> dict:
    """The event Scheduler sends: the schedule's target input as deployed, its context attribute filled in."""
    return json.loads(program.named("reporter-schedule").inputs["target"]["input"].replace(SCHEDULED_TIME, scheduled))


def scheduler_input(scheduled: str) -> dict:
    return scheduled_event(reporting_program(), scheduled)


@pytest.fixture
def reporter_environment(monkeypatch):
    def configure(url):
        set_reporter_environment(monkeypatch, url)
        daily_report.cloudwatch_client.cache_clear()

    yield configure
    daily_report.cloudwatch_client.cache_clear()


def test_a_run_late_in_the_flexible_window_reports_the_day_the_schedule_meant(cloudwatch, reporter_environment):
    publish(cloudwatch, "tokenizeSuccess", 4, DAY + dt.timedelta(hours=2))
    # Scheduled for 01:05 on the 27th; the window lets it start any time up to 13:05, and Lambda may retry later.
    event = scheduler_input("2026-11-27T01:05:00Z")
    with fake_collector() as collector:
        reporter_environment(collector.url)
        assert daily_report.handler(event, None) == {"report_date": "2026-11-26", "sent": True}
    assert collector.received[0].json()["metrics"]["tokenizeSuccess"] == 4


def test_a_record_replayed_from_the_dead_letter_queue_reports_its_original_day(cloudwatch, reporter_environment):
    # What Lambda's on-failure destination keeps: the event that failed, under requestPayload.
    record = {
        "version": "1.0",
        "timestamp": "2026-11-27T13:09:00.000Z",
        "requestContext": {"condition": "RetriesExhausted", "approximateInvokeCount": 3},
        "requestPayload": scheduler_input("2026-11-27T01:05:00Z"),
    }
    with fake_collector() as collector:
        reporter_environment(collector.url)
        assert daily_report.handler(record, None)["report_date"] == "2026-11-26"


def test_a_scheduled_time_without_a_zone_is_refused_rather_than_guessed(reporter_environment, capsys):
    reporter_environment("https://collector.invalid/")
    with pytest.raises(ValueError, match="no time zone"):
        daily_report.handler({"time": "2026-11-27T01:05:00"}, None)
    assert log_lines(capsys)[0]["outcome"] == "failed"


def test_a_manual_invocation_without_an_event_reports_yesterday(cloudwatch, reporter_environment):
    with fake_collector() as collector:
        reporter_environment(collector.url)
        result = daily_report.handler({}, None)
    yesterday = dt.datetime.now(UTC).date() - dt.timedelta(days=1)
    assert result == {"report_date": yesterday.isoformat(), "sent": True}


@pytest.mark.parametrize(
    "event,named",
    [
        ({"key1": "value1"}, "keys ['key1']"),
        ({"detail-type": "Scheduled Event"}, "keys ['detail-type']"),
        ({"requestPayload": {"key1": 1}}, "requestPayload is not a scheduled run"),
        ({"requestPayload": {"replay": "failed-runs"}}, "requestPayload is not a scheduled run"),
        ({"replay": "everything"}, 'unknown replay event {"replay": "everything"}'),
        ({"replay": "failed-runs", "time": "2026-11-27T01:05:00Z"}, "unknown replay event"),
        ({"time": 1764205500}, "is not an ISO 8601 time"),
        ({"time": "yesterday"}, "is not an ISO 8601 time"),
        (["2026-11-27T01:05:00Z"], "a list, not an object"),
    ],
)
def test_an_event_of_unknown_shape_is_refused_naming_what_came_and_what_is_allowed(
    event, named, reporter_environment, capsys
):
    reporter_environment("https://collector.invalid/")
    with pytest.raises(ValueError, match=re.escape(named)) as refused:
        daily_report.handler(event, None)
    if "ISO" not in named:
        assert "expected" in str(refused.value)
    [log] = log_lines(capsys)
    assert log["outcome"] == "failed" and named in log["error"]


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
    set_reporter_environment(monkeypatch, unreachable_url(), HTTP_TIMEOUT_SECONDS="2")
    daily_report.cloudwatch_client.cache_clear()
    try:
        with pytest.raises(DeliveryFailed, match="after 1 attempts"):
            daily_report.handler({"time": "2026-11-27T01:17:00Z"}, AlmostOutOfTime())
    finally:
        daily_report.cloudwatch_client.cache_clear()


# --- Per counter, the metric the product publishes (issue 19, item 4) -------------------------------------------

OUTCOME_SETS = [["Outcome", "stackID"], ["Outcome"]]


def outcome(value: str) -> dict:
    return {"Outcome": value}


def test_a_mapped_counter_sums_its_metric_with_the_dimension_filter_counting_each_datapoint_once(cloudwatch, capsys):
    # One metric, the outcome as a dimension, in EMF's two views: each counter reads its outcome's series.
    publish_emf(cloudwatch, "Tokenize", 5, DAY + HOUR, OUTCOME_SETS, outcome("success"))
    publish_emf(cloudwatch, "Tokenize", 2, DAY + 2 * HOUR, OUTCOME_SETS, outcome("success"))
    publish_emf(cloudwatch, "Tokenize", 1, DAY + 3 * HOUR, OUTCOME_SETS, outcome("failure"))
    publish(cloudwatch, "tokenizeSuccess", 1000, DAY + HOUR)  # the counter's own name: not what it is mapped to
    publish(cloudwatch, "detokenizeSuccess", 4, DAY + HOUR)  # not mapped: read by its name, as before
    mapped = (
        ("tokenizeFailure", daily_report.MetricSource(NAMESPACE, "Tokenize", (("Outcome", "failure"),))),
        ("tokenizeSuccess", daily_report.MetricSource(NAMESPACE, "Tokenize", (("Outcome", "success"),))),
    )
    calls = count_calls(cloudwatch)
    with fake_collector() as collector:
        run(cloudwatch, collector.url, counter_metrics=mapped)
    metrics = sent_metrics(collector)
    assert (metrics["tokenizeSuccess"], metrics["tokenizeFailure"], metrics["detokenizeSuccess"]) == (7, 1, 4)
    assert calls == ["ListMetrics", "GetMetricData"]
    [warning] = warnings_logged(capsys)
    assert warning["counters"]["tokenizeSuccess"]["dimension_sets"] == {"Outcome": 7, "Outcome,stackID": 7}


def test_a_counter_mapped_to_another_namespace_is_read_there(cloudwatch):
    # Its own dimensions: moto's GetMetricData ignores the namespace of a query that has dimensions.
    publish(cloudwatch, "Grants", 3, DAY + HOUR, [{"Name": "service", "Value": "vault"}], "acme/grants")
    publish(cloudwatch, "Grants", 50, DAY + HOUR, [{"Name": "service", "Value": "other"}], "acme/grants")
    publish(cloudwatch, "createGrantSuccess", 9, DAY + HOUR)
    mapped = (("createGrantSuccess", daily_report.MetricSource("acme/grants", "Grants", (("service", "vault"),))),)
    calls = count_calls(cloudwatch)
    with fake_collector() as collector:
        run(cloudwatch, collector.url, counter_metrics=mapped)
    assert sent_metrics(collector)["createGrantSuccess"] == 3
    assert calls == ["ListMetrics", "ListMetrics", "GetMetricData"]  # one listing per namespace


def test_settings_read_the_counter_mapping_the_daily_aggregator_deploys():
    deployed = deployed_environment(
        counterMetrics={"tokenizeSuccess": {"metricName": "Tokenize", "dimensions": {"Outcome": "success"}}}
    )
    sources = Settings.from_env(deployed).sources()
    assert list(sources) == schemas.counter_names()
    assert sources["tokenizeSuccess"] == daily_report.MetricSource(
        deployed["METRICS_NAMESPACE"], "Tokenize", (("Outcome", "success"),)
    )
    assert sources["tokenizeFailure"] == daily_report.MetricSource(deployed["METRICS_NAMESPACE"], "tokenizeFailure")


@pytest.mark.parametrize(
    "variables,says",
    [
        ({"PRODUCT_ID": "lunasec-tokeniser"}, "PRODUCT_ID: 'lunasec-tokeniser' is not a built-in product"),
        ({"COUNTER_METRICS": '{"tokenizeSucess": {}}'}, "COUNTER_METRICS names 'tokenizeSucess', not a counter of"),
        ({"COUNTER_METRICS": "[]"}, "COUNTER_METRICS must be a JSON object of counter name -> {namespace, "),
        ({"COUNTER_METRICS": '{"tokenizeSuccess": {"metric": "x"}}'}, "COUNTER_METRICS['tokenizeSuccess'] must be"),
        ({"COUNTER_METRICS": '{"tokenizeSuccess": {"dimensions": {"a": 1}}}'}, "COUNTER_METRICS['tokenizeSuccess']"),
    ],
    ids=["product", "counter", "not-an-object", "key", "dimension-value"],
)
def test_settings_refuse_a_product_or_mapping_the_function_cannot_read(variables, says):
    env = {
        "COLLECTOR_URL": "https://c.example.com/r",
        "STACK_ID": STACK_ID,
        "PRODUCT_VERSION": "1.2.3",
        "METRICS_NAMESPACE": NAMESPACE,
        **variables,
    }
    with pytest.raises(ValueError, match=re.escape(says)):
        Settings.from_env(env)


WIDGETS = {
    "id": "acme-widgets",
    "display_name": "Acme widgets",
    "version_format": "semver",
    "counters": [
        {"name": "widgetsMade", "meaning": "Widgets made.", "daily_maximum": 100},
        {"name": "widgetsSold", "meaning": "Widgets sold."},
    ],
}


@pytest.fixture
def widgets_product(archived_catalogue):
    """A second product, shipped in the reporter's archive as a vendor's deployment ships it, with a daily maximum of
    its own."""
    return archived_catalogue(WIDGETS)


def test_another_product_reports_its_own_counters_and_leaves_out_one_above_its_daily_maximum(
    cloudwatch, widgets_product, capsys
):
    publish(cloudwatch, "widgetsMade", 150, DAY + HOUR)  # above the product's 100, far below the schema's
    publish(cloudwatch, "Sales", 3, DAY + HOUR, [{"Name": "shop", "Value": "web"}])
    publish(cloudwatch, "tokenizeSuccess", 5, DAY + HOUR)  # the default product's: not this one's
    env = {
        "COLLECTOR_URL": "https://c.example.com/r",
        "STACK_ID": STACK_ID,
        "PRODUCT_VERSION": "1.2.3",
        "METRICS_NAMESPACE": NAMESPACE,
        "PRODUCT_ID": "acme-widgets",
        "COUNTER_METRICS": json.dumps({"widgetsSold": {"metric_name": "Sales", "dimensions": {"shop": "web"}}}),
    }
    with fake_collector() as collector:
        report = daily_report.run(replace(Settings.from_env(env), collector_url=collector.url), cloudwatch, RUN_AT)
    assert sent_metrics(collector) == {"widgetsSold": 3} == report["metrics"]
    warning, outcome = log_lines(capsys)
    assert (warning["counters"], warning["maximums"]) == ({"widgetsMade": 150}, {"widgetsMade": 100})
    assert outcome["totals"] == {"widgetsMade": 150, "widgetsSold": 3}
