"""The ingest path for real on LocalStack: API Gateway's own validation and VTL, Firehose, S3.

What is deployed is what the program registers (tooling/local_cloud/applier.py replays it). If LocalStack
cannot start, these tests fail with its reason: they are never skipped.
"""

from __future__ import annotations

import datetime
import json
import time
import uuid
from collections import Counter

import pytest

from components.api_routes import PUT_RECORD
from contract import schemas
from contract.warehouse import delivered
from tests.support.local_cloud import running_local_cloud
from tooling.demo.sample_posts import DOCUMENTED_PATH, SHIPPED_REPORTER_PATH
from tooling.fixtures import reports
from tooling.local_cloud.applier import LOCALSTACK_INTEGRATION_HEADERS, deploy_ingest_path
from tooling.local_cloud.aws_clients import client
from tooling.local_cloud.collector_client import post

pytestmark = pytest.mark.localstack

STORED_FIELDS = set(schemas.RECEIVED_FIELDS) | set(schemas.scalar_fields()) | {schemas.CANONICAL_COUNTERS_KEY}


@pytest.fixture(scope="module")
def cloud():
    with running_local_cloud() as started:
        yield started


@pytest.fixture(scope="module")
def deployment(cloud):
    return deploy_ingest_path(cloud.endpoint_url)


@pytest.fixture(scope="module")
def s3(cloud):
    return client("s3", cloud.endpoint_url)


def _fresh_id() -> str:
    return str(uuid.uuid4())


def _valid_posts() -> dict[str, tuple[str, dict, str | None]]:
    """name -> (path, report, content type); all but the verbatim example get a stack_id of their own."""
    posts = {
        "documentation's example, verbatim": (
            DOCUMENTED_PATH,
            json.loads(reports.DOCUMENTED_EXAMPLE),
            "application/json",
        )
    }
    for key, report in reports.each_key_shape().items():
        posts[f"counters under {key}"] = (DOCUMENTED_PATH, report | {"stack_id": _fresh_id()}, "application/json")
    posts["shipped reporter: /record, no Content-Type"] = (
        SHIPPED_REPORTER_PATH,
        reports.shipped_reporter_report(_fresh_id()),
        None,
    )
    return posts


def _body(report: dict) -> str:
    return reports.DOCUMENTED_EXAMPLE if report == json.loads(reports.DOCUMENTED_EXAMPLE) else json.dumps(report)


def _counters(report: dict) -> dict:
    return next(report[key] for key in schemas.counter_keys() if key in report)


def _by_stack(objects) -> dict[str, list[dict]]:
    found: dict[str, list[dict]] = {}
    for record in delivered.records(objects):
        found.setdefault(record["stack_id"], []).append(record)
    return found


def test_every_valid_report_lands_once_as_one_canonical_line(deployment, s3):
    posts = _valid_posts()
    for name, (path, report, content_type) in posts.items():
        reply = post(deployment.url(path), _body(report), content_type)
        assert reply.status == 200, f"{name}: {reply.status} {reply.text}"
        assert reply.json == {"status": "accepted"}, name

    wanted = {report["stack_id"] for _, report, _ in posts.values()}
    objects = delivered.wait_for(s3, deployment.bucket_name, lambda objs: wanted <= set(_by_stack(objs)))
    stored = _by_stack(objects)
    for name, (_, report, _) in posts.items():
        lines = stored[report["stack_id"]]
        assert len(lines) == 1, f"{name}: stored {len(lines)} times"
        line = lines[0]
        assert set(line) == STORED_FIELDS, name
        assert line[schemas.CANONICAL_COUNTERS_KEY] == _counters(report), name
        assert line["version"] == report["version"] and line["report_date"] == report.get("report_date"), name
        assert isinstance(line["received_at"], int) and line["request_id"], name
    for obj in objects:
        assert obj.text.endswith("\n") and all(line.endswith("\n") for line in obj.lines), obj.key
        assert "127.0.0.1" not in obj.text, f"{obj.key} holds the client address"


def test_every_invalid_report_gets_400_with_a_reason_and_lands_nowhere(deployment, s3):
    before = {obj.key for obj in delivered.delivered_objects(s3, deployment.bucket_name)}
    for name, body in reports.INVALID_REPORTS.items():
        reply = post(deployment.url(), json.dumps(body))
        assert reply.status == 400, f"{name}: {reply.status} {reply.text}"
        assert "invalid" in reply.message.lower(), f"{name}: {reply.text}"

    # A valid report posted after the batch: once it has landed, anything the batch let through has too.
    sentinel = reports.valid_report(stack_id=_fresh_id())
    assert post(deployment.url(), sentinel).status == 200
    objects = delivered.wait_for(s3, deployment.bucket_name, lambda objs: sentinel["stack_id"] in _by_stack(objs))
    new = [obj for obj in objects if obj.key not in before]
    assert [record["stack_id"] for obj in new for record in obj.records] == [sentinel["stack_id"]]
    assert not delivered.delivered_objects(s3, deployment.bucket_name, prefix="errors/")


def test_the_deployed_integration_is_the_programs_plus_only_the_localstack_target_header(deployment, cloud):
    apigateway = client("apigateway", cloud.endpoint_url)
    resources = apigateway.get_resources(restApiId=deployment.rest_api_id)["items"]
    paths = {r["path"] for r in resources if "POST" in r.get("resourceMethods", {})}
    assert paths == {f"/{path}" for path in deployment.record_urls()}
    for resource in resources:
        if resource["path"] in paths:
            integration = apigateway.get_integration(
                restApiId=deployment.rest_api_id, resourceId=resource["id"], httpMethod="POST"
            )
            assert integration["requestParameters"] == {
                **dict(PUT_RECORD.request_parameters),
                **LOCALSTACK_INTEGRATION_HEADERS,
            }
            assert integration["passthroughBehavior"] == "NEVER"
    assert "$ref" not in json.dumps(apigateway.get_models(restApiId=deployment.rest_api_id)["items"])


def _saved_query_posts(today: datetime.date) -> list[dict]:
    """Three deployments over three days, one retry with new totals, one report without report_date."""
    a, b, c = (_fresh_id() for _ in range(3))

    def day(n: int) -> str:
        return (today - datetime.timedelta(days=n)).isoformat()

    return [
        {"version": "1.0.0", "stack_id": a, "report_date": day(1), "metrics": {"tokenizeSuccess": 5}},
        {
            "version": "1.0.0",
            "stack_id": a,
            "report_date": day(2),
            "metrics": {"tokenizeSuccess": 3, "detokenizeSuccess": 1},
        },
        {"version": "1.1.0", "stack_id": b, "report_date": day(1), "metrics": {"tokenizeSuccess": 2}},
        {"version": "1.1.0", "stack_id": b, "report_date": day(1), "metrics": {"tokenizeSuccess": 4}},  # retry
        {"version": "1.0.0", "stack_id": c, "report_date": day(3), "metricsConfig": {"createGrantSuccess": 1}},
        {"version": "1.0.0", "stack_id": c, "collected_metrics": {"tokenizeFailure": 2}},  # counts on today
    ]


def _expected_answers(posts: list[dict], today: datetime.date) -> dict[str, object]:
    latest: dict[tuple[str, str], dict] = {}
    for report in posts:  # posted one after another, so later means received later
        latest[(report.get("report_date") or today.isoformat(), report["stack_id"])] = report
    window = {(today - datetime.timedelta(days=n)).isoformat() for n in range(1, 8)}
    in_window = {key: report for key, report in latest.items() if key[0] in window}
    totals: dict[tuple[str, str], list[int]] = {}
    for (day, _), report in in_window.items():
        for counter, value in _counters(report).items():
            entry = totals.setdefault((day, counter), [0, 0])
            entry[0] += value
            entry[1] += 1
    firsts: dict[str, str] = {}
    for day, stack in sorted(latest):
        firsts.setdefault(stack, day)
    weeks: dict[str, int] = {}
    for first in firsts.values():
        first_day = datetime.date.fromisoformat(first)
        week = (first_day - datetime.timedelta(days=first_day.weekday())).isoformat()
        weeks[week] = weeks.get(week, 0) + 1
    return {
        "daily_active_deployments": Counter(day for day, _ in in_window),
        "daily_counter_totals": {key: tuple(value) for key, value in totals.items()},
        "version_adoption": Counter((day, report["version"]) for (day, _), report in in_window.items()),
        "new_deployments_per_week": weeks,
        "deduplicated_reports": {key: (report["version"], _counters(report)) for key, report in latest.items()},
        "data_freshness": [max(day for day, _ in latest if day < today.isoformat())],
        "suspicious_reports": [],  # honest posts, received today: nothing to list
    }


def _answers_as_posted(answers: dict[str, list[dict]]) -> dict[str, object]:
    def day(value) -> str:
        return value.isoformat() if hasattr(value, "isoformat") else str(value)

    return {
        "daily_active_deployments": Counter(
            {day(r["report_day"]): r["active_deployments"] for r in answers["daily_active_deployments"]}
        ),
        "daily_counter_totals": {
            (day(r["report_day"]), r["counter"]): (r["total"], r["deployments"])
            for r in answers["daily_counter_totals"]
        },
        "version_adoption": Counter(
            {(day(r["report_day"]), r["version"]): r["deployments"] for r in answers["version_adoption"]}
        ),
        "new_deployments_per_week": {
            day(r["week_start"]): r["new_deployments"] for r in answers["new_deployments_per_week"]
        },
        "deduplicated_reports": {
            (day(r["report_day"]), r["stack_id"]): (
                r["version"],
                {k: v for k, v in r["metrics"].items() if v is not None},
            )
            for r in answers["deduplicated_reports"]
        },
        "data_freshness": [day(r["last_report_day"]) for r in answers["data_freshness"]],
        "suspicious_reports": answers["suspicious_reports"],
    }


def test_saved_queries_answer_from_what_was_delivered(deployment, s3, tmp_path):
    from contract.queries import load_saved_queries
    from usage_report.local_duckdb import run_all_saved_queries

    today = datetime.datetime.now(datetime.UTC).date()
    before = {obj.key for obj in delivered.delivered_objects(s3, deployment.bucket_name)}
    posts = _saved_query_posts(today)
    posting_started_ms = time.time() * 1000
    for report in posts:
        reply = post(deployment.url(), report)
        assert reply.status == 200, reply.text
    posting_ended_ms = time.time() * 1000
    stacks = {report["stack_id"] for report in posts}
    objects = delivered.wait_for(
        s3,
        deployment.bucket_name,
        lambda objs: sum(len(lines) for stack, lines in _by_stack(objs).items() if stack in stacks) == len(posts),
    )

    delivered.download(s3, deployment.bucket_name, tmp_path, keys={o.key for o in objects} - before)
    answers = run_all_saved_queries(tmp_path, today=today)
    expected = _expected_answers(posts, today)
    assert set(answers) == set(load_saved_queries()) == set(expected), "every saved query's answer is checked"
    assert _answers_as_posted(answers) == expected
    # The newest receive time is the collector's clock (same host): within the posting, a second's slack each side.
    (freshness,) = answers["data_freshness"]
    assert posting_started_ms - 1000 <= freshness["newest_received_at"] <= posting_ended_ms + 1000


def test_the_reporter_posts_yesterdays_totals_through_the_endpoint(deployment, s3, cloud):
    from tooling.fixtures import product_metrics
    from tooling.local_cloud.reporter_run import run_reporter

    account, stack_id = "000000000042", _fresh_id()  # the product deployment's own account
    cloudwatch = client("cloudwatch", cloud.endpoint_url, account=account)
    now = datetime.datetime.now(datetime.UTC)
    yesterday = datetime.datetime.combine(
        now.date() - datetime.timedelta(days=1), datetime.time(12), tzinfo=datetime.UTC
    )
    for name, value, when, version in [
        ("tokenizeSuccess", 3, yesterday, "1.2.3"),
        ("tokenizeSuccess", 4, yesterday + datetime.timedelta(hours=3), "1.2.4"),  # another dimension value
        ("detokenizeFailure", 2, yesterday - datetime.timedelta(hours=11), "1.2.3"),
        ("tokenizeSuccess", 100, yesterday - datetime.timedelta(days=1), "1.2.3"),  # the day before: not summed
    ]:
        product_metrics.publish(cloudwatch, name, value, when, product_metrics.dimensions(version=version))

    log = run_reporter(
        collector_url=deployment.url(),
        endpoint_url=cloud.endpoint_url,
        account=account,
        stack_id=stack_id,
        version="1.2.4",
        namespace=product_metrics.NAMESPACE,
        scheduled=now,
    )
    assert (log["outcome"], log["status"], log["report_date"]) == ("sent", 200, yesterday.date().isoformat())

    objects = delivered.wait_for(s3, deployment.bucket_name, lambda objs: stack_id in _by_stack(objs))
    [line] = _by_stack(objects)[stack_id]
    expected = dict.fromkeys(schemas.counter_names(), 0) | {"tokenizeSuccess": 7, "detokenizeFailure": 2}
    assert line[schemas.CANONICAL_COUNTERS_KEY] == expected
    assert (line["version"], line["report_date"]) == ("1.2.4", yesterday.date().isoformat())
