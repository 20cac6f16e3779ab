"""A stack serving the default product and a made-up one, for real on LocalStack: each product's route stores its
reports naming the product, each product's `GET products/<id>/schema` answers, from API Gateway itself, the schema
its route enforces, storing nothing, and `GET products/<id>/releases` its releases (an unknown id: a 404 saying so),
which the reporter's check reads back. What is deployed is what the program registers
(tooling/local_cloud/applier.py). If LocalStack cannot start, these tests fail with its reason: never skipped."""

from __future__ import annotations

import json
import uuid

import pytest

from contract import schemas
from contract.warehouse import delivered
from handlers import release_check
from handlers.daily_report import _OPENER, USER_AGENT
from tests.support.made_up_product import ENTRY, RELEASE_FILES, served_products
from tooling.fixtures import reports
from tooling.local_cloud.applier import LocalDeployment
from tooling.local_cloud.aws_clients import client
from tooling.local_cloud.collector_client import get, post

pytestmark = pytest.mark.localstack


@pytest.fixture(scope="module")
def deployment(two_products):
    return two_products


@pytest.fixture(scope="module")
def s3(deployment):
    return client("s3", deployment.endpoint_url)


def _report(counters: dict) -> dict:
    return {"version": "1.4.0", "stack_id": str(uuid.uuid4()), "metrics": counters}


def _stored(deployment: LocalDeployment, s3, stack_ids: set[str]) -> dict[str, list[dict]]:
    objects = delivered.wait_for(
        s3, deployment.bucket_name, lambda objs: stack_ids <= {r["stack_id"] for r in delivered.records(objs)}
    )
    found: dict[str, list[dict]] = {}
    for record in delivered.records(objects):
        found.setdefault(record["stack_id"], []).append(record)
    return found


def test_each_products_route_stores_its_reports_naming_the_product(deployment, s3):
    posts = {
        "products/lunasec-tokenizer/reports": (reports.valid_report(stack_id=str(uuid.uuid4())), "lunasec-tokenizer"),
        "products/acme-widgets/reports": (_report({"widgetsMade": 3, "widgetsRecalled": 1}), "acme-widgets"),
        "record/deployment": (reports.valid_report(stack_id=str(uuid.uuid4())), None),
    }
    for path, (report, _) in posts.items():
        reply = post(deployment.url(path), report)
        assert (reply.status, reply.json) == (200, {"status": "accepted"}), f"{path}: {reply.text}"
    stored = _stored(deployment, s3, {report["stack_id"] for report, _ in posts.values()})
    for path, (report, product) in posts.items():
        (line,) = stored[report["stack_id"]]
        assert line.get("product") == product, path
        assert line["metrics"] == report["metrics"], path


def test_each_product_answers_the_schema_it_enforces(deployment):
    for product_id, product in served_products().items():
        reply = get(deployment.url(f"products/{product_id}/schema"))
        assert reply.status == 200, f"{product_id}: {reply.text}"
        assert reply.content_type == "application/json", product_id
        assert reply.json == schemas.load_schema(product), product_id
    acme = get(deployment.url("products/acme-widgets/schema")).json
    assert list(acme["definitions"]["counters"]["properties"]) == ["widgetsMade", "widgetsRecalled", "assemblyMinutes"]
    # What the schema leaves out, the route refuses: the default product's counter is not the made-up product's.
    refused = post(deployment.url("products/acme-widgets/reports"), _report({"tokenizeSuccess": 1}))
    assert refused.status == 400, refused.text


def test_an_unknown_products_schema_is_a_path_the_api_does_not_have(deployment):
    # API Gateway's answer for a path with no resource, as on AWS (where the stage's DEFAULT_4XX response wraps the
    # same message): 403 "Missing Authentication Token", not a 404.
    reply = get(deployment.url("products/no-such-product/schema"))
    assert reply.status == 403, reply.text
    assert reply.message == "Missing Authentication Token"


def _data(path) -> dict:
    with open(path, encoding="utf-8") as file:
        return json.load(file)


def test_each_product_answers_its_releases(deployment):
    declared = {
        "acme-widgets": _data(ENTRY)["releases"],
        "lunasec-tokenizer": _data(RELEASE_FILES["lunasec-tokenizer"]),
    }
    for product_id, releases in declared.items():
        reply = get(deployment.url(f"products/{product_id}/releases"))
        assert (reply.status, reply.content_type) == (200, "application/json"), f"{product_id}: {reply.text}"
        assert reply.json == {"product": product_id, **releases}, product_id
    # The same answer whatever the caller adds: the route reads nothing of the request.
    asked_with_more = get(deployment.url("products/acme-widgets/releases?version=1.2.5"))
    assert asked_with_more.json == {"product": "acme-widgets", **declared["acme-widgets"]}


def test_an_unknown_products_releases_is_a_404_naming_the_products_served(deployment):
    reply = get(deployment.url("products/no-such-product/releases"))
    assert (reply.status, reply.content_type) == (404, "application/json"), reply.text
    assert reply.json == {
        "status": "error",
        "message": "no such product at this collector: it serves lunasec-tokenizer, acme-widgets",
    }


def test_the_reporter_reads_the_answer_and_publishes_what_concerns_its_version(deployment, capsys):
    cloudwatch = client("cloudwatch", deployment.endpoint_url)
    check = release_check.ReleasesCheck(
        url=deployment.url("products/acme-widgets/releases"),
        product_id="acme-widgets",
        version="1.2.5",
        namespace="acme-releases-check",
        stack_id="3d9c49ce-8367-43ec-8884-568c8d43faec",
        timeout_seconds=5.0,
        user_agent=USER_AGENT,
    )
    line = release_check.check_releases(check, lambda: cloudwatch, _OPENER, lambda: 60.0, 2.0)
    assert (line["level"], line["outcome"], line["newer_version"]) == ("WARNING", "checked", "2.1.0")
    assert [a["id"] for a in line["advisories"]] == ["ACME-2026-001"]
    assert line["metrics"] == {"NewerVersionAvailable": 1, "AdvisoriesAffectingVersion": 1}
    listed = cloudwatch.list_metrics(Namespace="acme-releases-check")["Metrics"]
    assert sorted(m["MetricName"] for m in listed) == ["AdvisoriesAffectingVersion", "NewerVersionAvailable"]


def test_reading_a_schema_or_releases_stores_nothing(deployment, s3):
    before = {obj.key for obj in delivered.delivered_objects(s3, deployment.bucket_name)}
    for product_id in served_products():
        assert get(deployment.url(f"products/{product_id}/schema")).status == 200
        assert get(deployment.url(f"products/{product_id}/releases")).status == 200
    assert get(deployment.url("products/no-such-product/releases")).status == 404
    # A report posted after the reads: once it has landed, anything the reads stored has too.
    sentinel = reports.valid_report(stack_id=str(uuid.uuid4()))
    assert post(deployment.url("products/lunasec-tokenizer/reports"), sentinel).status == 200
    objects = delivered.wait_for(
        s3,
        deployment.bucket_name,
        lambda objs: sentinel["stack_id"] in {r["stack_id"] for r in delivered.records(objs)},
    )
    new = [obj for obj in objects if obj.key not in before]
    assert [json.loads(line)["stack_id"] for obj in new for line in obj.lines] == [sentinel["stack_id"]]
