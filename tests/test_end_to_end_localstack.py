"""The ingest path for real on LocalStack: API Gateway's own validation and VTL, Firehose, S3.

What is deployed is what the program registers (local_cloud/applier.py replays it). If LocalStack
cannot start, these tests fail with its reason: they are never skipped.
"""

from __future__ import annotations

import json
import uuid

import pytest

import schemas
from local_cloud import delivered
from local_cloud.applier import deploy_ingest_path
from local_cloud.aws_clients import client
from local_cloud.collector_client import post
from local_cloud.emulator import LocalCloud, LocalCloudError
from tests.support import reports

STORED_FIELDS = set(schemas.RECEIVED_FIELDS) | set(schemas.scalar_fields()) | {schemas.CANONICAL_COUNTERS_KEY}


@pytest.fixture(scope="module")
def cloud():
    try:
        started = LocalCloud().start()
    except LocalCloudError as error:
        pytest.fail(f"LocalStack could not start: {error}", pytrace=False)
    yield started
    started.stop()


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
    posts = {"documentation's example, verbatim": (
        "record/deployment", json.loads(reports.DOCUMENTED_EXAMPLE), "application/json")}
    for key, report in reports.each_key_shape().items():
        posts[f"counters under {key}"] = ("record/deployment", report | {"stack_id": _fresh_id()}, "application/json")
    shipped = {"version": "0.0.1", "stack_id": _fresh_id(), "collected_metrics": {"tokenizeSuccess": 7}}
    posts["shipped reporter: /record, no Content-Type"] = ("record", shipped, None)
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
                restApiId=deployment.rest_api_id, resourceId=resource["id"], httpMethod="POST")
            assert integration["requestParameters"] == {
                "integration.request.header.Content-Type": "'application/x-amz-json-1.1'",
                "integration.request.header.X-Amz-Target": "'Firehose_20150804.PutRecord'",
            }
            assert integration["passthroughBehavior"] == "NEVER"
    assert "$ref" not in json.dumps(apigateway.get_models(restApiId=deployment.rest_api_id)["items"])
