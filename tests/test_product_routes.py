"""One collector, many products: each product the stack names gets its route `products/<id>/reports` and its own
model; the stored line names the product from the route (the template, at deploy time), never from the body; a
stack that names no product deploys exactly what it did (tests/test_component_package.py's URN snapshot, and the
fingerprint below)."""

import base64
import json

import pytest

from components import api_routes
from contract import products, templates
from tests.support.made_up_product import acme_entry
from tests.support.shared_runs import shared_run
from tooling.fixtures import apigateway_vtl
from tooling.mocked_program.pulumi_mocks import run_program, stack_config

ACME = acme_entry()


@pytest.fixture
def acme_entry(tmp_path):
    path = tmp_path / "acme-widgets.json"
    path.write_text(json.dumps(ACME), encoding="utf-8")
    return str(path)


def run_with_products(references):
    config = stack_config("staging")
    config["analytics-collector:products"] = json.dumps(references)
    return run_program("staging", config)


def paths_of(run):
    return sorted(r.inputs["pathPart"] for r in run.of_type("aws:apigateway/resource:Resource"))


def test_no_products_named_deploys_the_released_routes_and_model():
    run = shared_run("staging")
    assert paths_of(run) == ["deployment", "record"]
    (model,) = run.of_type("aws:apigateway/model:Model")
    assert model.name == "collector-report-model" and model.inputs["name"] == "UsageReport"


def test_the_released_routes_keep_their_deployment_trigger():
    # sha256 the last release's program computed for its routes with a 30 s Retry-After and stream "S": a changed
    # trigger would replace the Deployment of every stack that upgrades.
    assert (
        api_routes.fingerprint(api_routes.ROUTES, api_routes.GATEWAY_RESPONSES, 30, "S")
        == "ec23a2748f747ee73dcf0bdada712d67c645e7f88c3a5cba12e830117e0f7d35"
    )


def test_each_named_product_gets_its_route_and_model(acme_entry):
    run = run_with_products(["lunasec-tokenizer", acme_entry])
    assert paths_of(run) == [
        "acme-widgets",
        "deployment",
        "lunasec-tokenizer",
        "products",
        "record",
        "releases",
        "releases",
        "releases",
        "reports",
        "reports",
        "schema",
        "schema",
        "{product}",
    ]
    models = {m.name: m.inputs for m in run.of_type("aws:apigateway/model:Model")}
    assert set(models) == {"collector-report-model", "collector-acme-widgets-report-model"}
    assert models["collector-report-model"]["name"] == "UsageReport"
    acme = json.loads(models["collector-acme-widgets-report-model"]["schema"])
    assert models["collector-acme-widgets-report-model"]["name"] == "UsageReportAcmeWidgets"
    assert list(acme["properties"]["metrics"]["properties"]) == ["widgetsMade"]
    assert "metricsConfig" not in acme["properties"]
    methods = {m.name: m.inputs for m in run.of_type("aws:apigateway/method:Method")}
    assert methods["collector-products-acme-widgets-reports-post"]["requestModels"] == {
        "application/json": "UsageReportAcmeWidgets"
    }
    assert methods["collector-record-post"]["requestModels"] == {"application/json": "UsageReport"}


def test_a_product_only_stack_has_no_legacy_route(acme_entry):
    run = run_with_products([acme_entry])
    assert paths_of(run) == ["acme-widgets", "products", "releases", "releases", "reports", "schema", "{product}"]


def _stored_line(template: str, body: dict) -> dict:
    rendered = apigateway_vtl.render(template, json.dumps(body))
    data = json.loads(rendered)["Record"]["Data"]
    return json.loads(base64.b64decode(data))


REPORT = {"version": "1.0.0", "stack_id": "3d9c49ce-8367-43ec-8884-568c8d43faec", "metrics": {"widgetsMade": 2}}


def test_the_stored_line_names_the_product_of_the_route_not_of_the_body():
    product = products.parse(ACME, "inline")
    (route,) = api_routes.product_routes(product)
    template = api_routes.request_template(route.integration, "stream")
    line = _stored_line(template, {**REPORT, "product": "lunasec-tokenizer"})
    assert line["product"] == "acme-widgets"
    assert line["metrics"] == {"widgetsMade": 2}


def test_a_legacy_line_names_no_product_and_reads_the_legacy_keys():
    line = _stored_line(templates.firehose_put_record("stream"), {**REPORT, "metricsConfig": {"a": 1}, "metrics": None})
    assert "product" not in line
    assert line["metrics"] == {"a": 1}


def test_a_bad_products_input_is_refused_at_construction():
    from components.collector_endpoint import CollectorEndpointArgs
    from components.tunables import ArgsError

    with pytest.raises(
        ArgsError, match=r"CollectorEndpointArgs\.products = \['nope'\] is not allowed: .*'nope' is not a"
    ):
        CollectorEndpointArgs(delivery_stream_name="s", delivery_stream_arn="a", products=["nope"])


def test_the_url_output_names_a_route_the_collector_serves(acme_entry):
    released = shared_run("staging").exports["collector_url"]
    assert released.endswith("/record/deployment")
    assert run_with_products(["lunasec-tokenizer", acme_entry]).exports["collector_url"] == released
    assert run_with_products([acme_entry]).exports["collector_url"].endswith("/products/acme-widgets/reports")
