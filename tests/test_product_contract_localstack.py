"""A stack serving the default product and a made-up one, for real on LocalStack: each product's route stores its
reports naming the product, and each product's `GET products/<id>/schema` answers, from API Gateway itself, the schema
its route enforces, storing nothing. What is deployed is what the program registers (tooling/local_cloud/applier.py).
If LocalStack cannot start, these tests fail with its reason: they are never skipped."""

from __future__ import annotations

import json
import uuid

import pytest

from contract import schemas
from contract.warehouse import delivered
from tests.support.made_up_product import served_products
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


def test_reading_a_schema_stores_nothing(deployment, s3):
    before = {obj.key for obj in delivered.delivered_objects(s3, deployment.bucket_name)}
    for product_id in served_products():
        assert get(deployment.url(f"products/{product_id}/schema")).status == 200
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
