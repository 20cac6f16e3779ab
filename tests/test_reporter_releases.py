"""The reporter passes the product's releases on (handlers/release_check.py, docs/releases.md): after a scheduled
run's report it asks RELEASES_URL once, logs one WARNING line naming the newer version and the advisories affecting
its version (an INFO line otherwise), and publishes NewerVersionAvailable and AdvisoriesAffectingVersion in its
namespace. A missing or malformed answer publishes nothing and never fails the run. Against moto's CloudWatch and
a collector on 127.0.0.1; each case's expected line and metrics are spelt out."""

import datetime as dt
import json

import boto3
import pytest
from botocore.exceptions import ClientError

from handlers import daily_report, release_check
from tests.support.moto_aws import mocked_aws
from tooling.fixtures.fake_collector import fake_collector, silent_collector, unreachable_url
from tooling.fixtures.product_metrics import NAMESPACE, UTC, publish

STACK_ID = "3d9c49ce-8367-43ec-8884-568c8d43faec"
SCHEDULED = {"time": "2026-11-27T01:17:00Z"}
DAY = dt.datetime(2026, 11, 26, tzinfo=UTC)
RELEASES_PATH = "/v1/products/lunasec-tokenizer/releases"

ADVISORY = {
    "id": "TEST-2026-0001",
    "severity": "critical",
    "summary": "Tokens may be resolved without a grant.",
    "url": "https://example.com/advisories/TEST-2026-0001",
    "affected": [{"introduced": "1.3.0", "fixed": "1.3.2"}],
}


def answer(latest="1.4.0", advisories=(ADVISORY,), product="lunasec-tokenizer") -> tuple[int, str]:
    return 200, json.dumps({"product": product, "latest": latest, "advisories": list(advisories)})


@pytest.fixture
def cloudwatch():
    with mocked_aws():
        client = boto3.client("cloudwatch", region_name="us-east-1")
        publish(client, "tokenizeSuccess", 4, DAY + dt.timedelta(hours=2))
        yield client


@pytest.fixture
def reporter(monkeypatch, cloudwatch, capsys):
    """Runs the handler for a scheduled event as Lambda would, with PRODUCT_VERSION `version` and RELEASES_URL
    pointing at `releases_url` (None: the collector's own releases path); returns the releases log lines."""

    def run(version: str, collector, releases_url=None) -> list[dict]:
        base = collector.url.removesuffix("/v1/record/deployment")
        environment = {
            "COLLECTOR_URL": collector.url,
            "STACK_ID": STACK_ID,
            "PRODUCT_VERSION": version,
            "METRICS_NAMESPACE": NAMESPACE,
            "HTTP_TIMEOUT_SECONDS": "1",
            "RELEASES_URL": releases_url or base + RELEASES_PATH,
        }
        for key, value in environment.items():
            monkeypatch.setenv(key, value)
        daily_report.cloudwatch_client.cache_clear()
        assert daily_report.handler(SCHEDULED, None) == {"report_date": "2026-11-26", "sent": True}
        lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
        assert lines[0]["event"] == "usage_report" and lines[0]["outcome"] == "sent", "the report comes first"
        return [line for line in lines if line["event"] == "usage_report_releases"]

    yield run
    daily_report.cloudwatch_client.cache_clear()


def published(cloudwatch) -> dict[str, list[float]]:
    """Every value of the two metrics in the namespace, without dimensions."""
    found = {}
    for name in ("NewerVersionAvailable", "AdvisoriesAffectingVersion"):
        listed = cloudwatch.list_metrics(Namespace=NAMESPACE, MetricName=name)["Metrics"]
        if not listed:
            continue
        assert [m["Dimensions"] for m in listed] == [[]], name
        data = cloudwatch.get_metric_data(
            MetricDataQueries=[
                {
                    "Id": "m",
                    "MetricStat": {
                        "Metric": {"Namespace": NAMESPACE, "MetricName": name},
                        "Period": 60,
                        "Stat": "Maximum",
                    },
                }
            ],
            StartTime=dt.datetime.now(UTC) - dt.timedelta(hours=1),
            EndTime=dt.datetime.now(UTC) + dt.timedelta(hours=1),
        )
        found[name] = data["MetricDataResults"][0]["Values"]
    return found


def test_the_latest_version_unaffected_logs_one_info_line_and_publishes_zeroes(reporter, cloudwatch):
    with fake_collector(releases=answer()) as collector:
        lines = reporter("1.4.0", collector)
    assert [r.path for r in collector.received] == ["/v1/record/deployment", RELEASES_PATH]
    assert lines == [
        {
            "event": "usage_report_releases",
            "level": "INFO",
            "stack_id": STACK_ID,
            "product": "lunasec-tokenizer",
            "version": "1.4.0",
            "outcome": "checked",
            "latest": "1.4.0",
            "newer_version": None,
            "advisories": [],
            "message": "lunasec-tokenizer 1.4.0 is the latest release and no advisory affects it",
            "metrics": {"NewerVersionAvailable": 0, "AdvisoriesAffectingVersion": 0},
        }
    ]
    assert published(cloudwatch) == {"NewerVersionAvailable": [0.0], "AdvisoriesAffectingVersion": [0.0]}


def test_a_newer_version_unaffected_logs_one_warning_naming_it(reporter, cloudwatch):
    with fake_collector(releases=answer()) as collector:
        (line,) = reporter("1.2.9", collector)
    assert (line["level"], line["newer_version"], line["advisories"]) == ("WARNING", "1.4.0", [])
    assert line["message"] == "lunasec-tokenizer 1.2.9: version 1.4.0 is available"
    assert line["metrics"] == {"NewerVersionAvailable": 1, "AdvisoriesAffectingVersion": 0}
    assert published(cloudwatch) == {"NewerVersionAvailable": [1.0], "AdvisoriesAffectingVersion": [0.0]}


def test_an_affected_version_logs_one_warning_naming_the_advisory_and_the_newer_version(reporter, cloudwatch):
    with fake_collector(releases=answer()) as collector:
        (line,) = reporter("1.3.1", collector)
    assert line["level"] == "WARNING"
    assert line["newer_version"] == "1.4.0"
    assert line["advisories"] == [
        {
            "id": "TEST-2026-0001",
            "severity": "critical",
            "summary": "Tokens may be resolved without a grant.",
            "url": "https://example.com/advisories/TEST-2026-0001",
        }
    ]
    assert line["message"] == (
        "lunasec-tokenizer 1.3.1: version 1.4.0 is available; advisories affecting this version: "
        "TEST-2026-0001 (critical) https://example.com/advisories/TEST-2026-0001"
    )
    assert published(cloudwatch) == {"NewerVersionAvailable": [1.0], "AdvisoriesAffectingVersion": [1.0]}


def test_an_affected_latest_version_still_warns(reporter, cloudwatch):
    # No fix released yet: the advisory's range is open at the top.
    unfixed = {**ADVISORY, "id": "TEST-2026-0002", "severity": "medium", "affected": [{"introduced": "1.4.0"}]}
    with fake_collector(releases=answer(advisories=[ADVISORY, unfixed])) as collector:
        (line,) = reporter("1.4.0", collector)
    assert (line["level"], line["newer_version"]) == ("WARNING", None)
    assert [a["id"] for a in line["advisories"]] == ["TEST-2026-0002"]
    assert published(cloudwatch) == {"NewerVersionAvailable": [0.0], "AdvisoriesAffectingVersion": [1.0]}


def test_a_version_past_the_fix_is_unaffected(reporter, cloudwatch):
    with fake_collector(releases=answer(latest="1.3.2")) as collector:
        (line,) = reporter("1.3.2", collector)
    assert (line["level"], line["newer_version"], line["advisories"]) == ("INFO", None, [])
    assert published(cloudwatch) == {"NewerVersionAvailable": [0.0], "AdvisoriesAffectingVersion": [0.0]}


@pytest.mark.parametrize(
    ("releases", "reason"),
    [
        ((200, "<html>maintenance</html>"), "the releases answer is not usable: the answer is not JSON"),
        (answer(latest="1.4"), "answer.latest = '1.4' is not allowed"),
        (
            answer(advisories=[{**ADVISORY, "affected": [{"fixed": "one"}]}]),
            r"answer.advisories[0].affected[0].fixed = 'one' is not allowed",
        ),
        (answer(product="acme-widgets"), "answer.product = 'acme-widgets' is not allowed"),
        ((200, "x" * 70000), "the answer is larger than 65536 bytes"),
    ],
)
def test_a_malformed_answer_logs_why_publishes_nothing_and_the_run_succeeds(reporter, cloudwatch, releases, reason):
    with fake_collector(releases=releases) as collector:
        (line,) = reporter("1.3.1", collector)
    assert (line["level"], line["outcome"]) == ("INFO", "malformed_answer")
    assert reason in line["message"]
    assert "metrics" not in line
    assert published(cloudwatch) == {}


@pytest.mark.parametrize(
    ("releases", "reason"),
    [
        (
            (404, '{"status":"error","message":"lunasec-tokenizer publishes no releases at this collector"}'),
            "the collector gave no releases: HTTP 404: ",
        ),
        ((503, '{"message":"unavailable"}'), "the collector gave no releases: HTTP 503"),
    ],
)
def test_an_error_answer_logs_why_publishes_nothing_and_the_run_succeeds(reporter, cloudwatch, releases, reason):
    with fake_collector(releases=releases) as collector:
        (line,) = reporter("1.3.1", collector)
    assert (line["level"], line["outcome"]) == ("INFO", "no_answer")
    assert line["message"].startswith(reason)
    assert published(cloudwatch) == {}


def test_no_answer_at_all_is_logged_and_the_run_succeeds(reporter, cloudwatch):
    with fake_collector() as collector:
        (refused,) = reporter("1.3.1", collector, releases_url=unreachable_url())
    assert (refused["level"], refused["outcome"]) == ("INFO", "no_answer")
    assert refused["message"].startswith("the collector gave no releases: URLError: ")
    with fake_collector() as collector, silent_collector() as silent:
        (timed_out,) = reporter("1.3.1", collector, releases_url=silent)
    assert timed_out["outcome"] == "no_answer" and "timed out" in timed_out["message"]
    assert published(cloudwatch) == {}


def test_the_request_reveals_nothing_of_the_deployment(reporter):
    with fake_collector(releases=answer()) as collector:
        reporter("1.3.1", collector)
    (asked,) = [r for r in collector.received if r.path.endswith("/releases")]
    assert asked.path == RELEASES_PATH, "no query string: the version is not sent"
    assert asked.body == b""
    assert asked.headers["User-Agent"] == "analytics-collector-reporter"
    assert "1.3.1" not in json.dumps(asked.headers) and STACK_ID not in json.dumps(asked.headers)


def test_without_releases_url_nothing_is_asked(monkeypatch, cloudwatch, capsys):
    with fake_collector(releases=answer()) as collector:
        for key, value in {
            "COLLECTOR_URL": collector.url,
            "STACK_ID": STACK_ID,
            "PRODUCT_VERSION": "1.3.1",
            "METRICS_NAMESPACE": NAMESPACE,
        }.items():
            monkeypatch.setenv(key, value)
        monkeypatch.delenv("RELEASES_URL", raising=False)
        daily_report.cloudwatch_client.cache_clear()
        daily_report.handler(SCHEDULED, None)
    daily_report.cloudwatch_client.cache_clear()
    assert [r.path for r in collector.received] == ["/v1/record/deployment"]
    assert [json.loads(line)["event"] for line in capsys.readouterr().out.splitlines()] == ["usage_report"]
    assert published(cloudwatch) == {}


def test_a_failed_report_asks_nothing(reporter, monkeypatch, cloudwatch, capsys):
    with fake_collector((400, {"message": "Invalid report"}), releases=answer()) as collector:
        monkeypatch.setenv("COLLECTOR_URL", collector.url)
        monkeypatch.setenv("STACK_ID", STACK_ID)
        monkeypatch.setenv("PRODUCT_VERSION", "1.3.1")
        monkeypatch.setenv("METRICS_NAMESPACE", NAMESPACE)
        monkeypatch.setenv("RELEASES_URL", collector.url.removesuffix("/v1/record/deployment") + RELEASES_PATH)
        daily_report.cloudwatch_client.cache_clear()
        with pytest.raises(daily_report.CollectorRejected):
            daily_report.handler(SCHEDULED, None)
    assert [r.path for r in collector.received] == ["/v1/record/deployment"]
    assert published(cloudwatch) == {}


def test_a_version_that_is_not_semver_is_logged_not_compared(reporter, cloudwatch):
    with fake_collector(releases=answer()) as collector:
        (line,) = reporter("01.3.1", collector)
    assert (line["level"], line["outcome"]) == ("INFO", "version_not_comparable")
    assert line["message"] == "the product version '01.3.1' is not a SemVer 2.0.0 version such as 1.4.2 or 1.5.0-rc.1"
    assert published(cloudwatch) == {}


def test_a_metrics_failure_is_logged_and_never_raised(cloudwatch, capsys):
    class Refusing:
        """PutMetricData refused, as IAM refuses it outside the namespace the role may publish in."""

        def put_metric_data(self, **_kwargs):
            raise ClientError({"Error": {"Code": "AccessDenied", "Message": "not allowed"}}, "PutMetricData")

    with fake_collector(releases=answer()) as collector:
        check = release_check.ReleasesCheck(
            url=collector.url.removesuffix("/v1/record/deployment") + RELEASES_PATH,
            product_id="lunasec-tokenizer",
            version="1.3.1",
            namespace=NAMESPACE,
            stack_id=STACK_ID,
            timeout_seconds=2.0,
            user_agent="analytics-collector-reporter",
        )
        line = release_check.check_releases(check, Refusing, daily_report._OPENER, lambda: 60.0, 2.0)
    assert line["level"] == "WARNING" and "metrics" not in line
    assert line["metrics_error"] == (
        "ClientError: An error occurred (AccessDenied) when calling the PutMetricData operation: not allowed"
    )
    assert [json.loads(text) for text in capsys.readouterr().out.splitlines()] == [line]


def test_a_run_without_time_left_does_not_ask(cloudwatch, capsys):
    settings = daily_report.Settings(
        collector_url="https://collector.example.com/v1/record/deployment",
        stack_id=STACK_ID,
        version="1.3.1",
        namespace=NAMESPACE,
        releases_url="https://collector.example.com/v1/products/lunasec-tokenizer/releases",
    )
    daily_report.pass_on_releases(settings, seconds_left=lambda: 3.0)
    (line,) = [json.loads(text) for text in capsys.readouterr().out.splitlines()]
    assert (line["outcome"], line["level"]) == ("no_time", "INFO")


@pytest.mark.parametrize("url", ["http://collector.example.com/x", "ftp://collector.example.com/x"])
def test_a_releases_url_without_tls_is_refused_at_start(url):
    environment = {
        "COLLECTOR_URL": "https://collector.example.com/v1/record/deployment",
        "STACK_ID": STACK_ID,
        "PRODUCT_VERSION": "1.3.1",
        "METRICS_NAMESPACE": NAMESPACE,
        "RELEASES_URL": url,
    }
    with pytest.raises(ValueError, match=rf"^RELEASES_URL must be an https:// URL, got '{url}'$"):
        daily_report.Settings.from_env(environment)
