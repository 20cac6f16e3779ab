"""`GET /<stage>/products/<id>/schema`: each product a stack names answers, from API Gateway itself (a mock
integration: nothing runs, nothing is stored), exactly the report schema its reports are validated against, so an
operator audits a deployment's contract with one request. A stack that names no product has no such route."""

import json

import pytest

from components import api_routes
from contract import products, schemas, templates
from policy.vtl_references import caller_reads
from tests.support.made_up_product import config_with_products, made_up_product, served_products
from tests.support.shared_runs import shared_run
from tests.test_api_routes import template_dir, variants  # noqa: F401  (template_dir: a fixture)
from tooling.fixtures import apigateway_vtl
from tooling.mocked_program.pulumi_mocks import mock_id, run_program, stack_config

STREAM = "reports-stream"


@pytest.fixture(scope="module")
def served():
    return shared_run("dev", config_with_products("dev"))


def _rendered(template: str) -> dict:
    """What the client gets: the template rendered as API Gateway's Velocity would, parsed as JSON."""
    return json.loads(apigateway_vtl.render(template))


@pytest.mark.parametrize("product_id", ["lunasec-tokenizer", "acme-widgets"])
def test_each_named_product_answers_its_schema_from_the_gateway_itself(served, product_id):
    prefix = f"collector-products-{product_id}-schema-get"
    resource = served.named(f"collector-products-{product_id}-schema").inputs
    assert resource["pathPart"] == "schema"
    assert resource["parentId"] == mock_id(f"collector-products-{product_id}")

    method = served.named(prefix).inputs
    assert (method["httpMethod"], method["authorization"]) == ("GET", "NONE")
    assert method["resourceId"] == mock_id(f"collector-products-{product_id}-schema")
    assert "requestValidatorId" not in method and "requestModels" not in method

    integration = served.named(f"{prefix}-mock").inputs
    assert integration["type"] == "MOCK"
    assert integration["passthroughBehavior"] == "NEVER"
    for absent in ("uri", "credentials", "integrationHttpMethod", "requestParameters"):
        assert absent not in integration, f"a mock integration has no target: {absent}"
    assert _rendered(integration["requestTemplates"]["application/json"]) == {"statusCode": 200}

    assert served.named(f"{prefix}-200").inputs["responseModels"] == {"application/json": "Empty"}
    answer = served.named(f"{prefix}-200-mapping").inputs
    assert answer["statusCode"] == "200" and not answer.get("selectionPattern")
    (content_type,) = answer["responseTemplates"]
    assert content_type == "application/json"
    assert _rendered(answer["responseTemplates"][content_type]) == schemas.load_schema(served_products()[product_id])


def test_the_made_up_products_schema_carries_its_meanings_as_written(served):
    answer = served.named("collector-products-acme-widgets-schema-get-200-mapping").inputs
    schema = _rendered(answer["responseTemplates"]["application/json"])
    assert schema["$schema"] == "http://json-schema.org/draft-04/schema#"
    counters = schema["definitions"]["counters"]["properties"]
    assert counters["assemblyMinutes"] == {
        "description": "Minutes the assembly line ran (cost #1, in $ per minute).",
        "$ref": "#/definitions/count",
    }
    assert counters["widgetsRecalled"]["maximum"] == 1000000


def test_meanings_holding_velocity_reach_the_schema_as_written():
    hostile = {
        "id": "acme-widgets",
        "display_name": "Acme widgets ## not a comment",
        "version_format": "semver",
        "counters": [
            {"name": "widgetsMade", "meaning": "Widgets made (#1 of the counters; ## and $ as written)."},
            {"name": "widgetsRecalled", "meaning": "At most #if($count) a million a day.", "daily_maximum": 1000000},
        ],
    }
    product = products.parse(hostile, "hostile.json")
    (route,) = api_routes.schema_routes_for([product])
    counters = _rendered(route.body)["definitions"]["counters"]["properties"]
    assert [counter["description"] for counter in counters.values()] == [
        "Widgets made (#1 of the counters; ## and $ as written).",
        "At most #if($count) a million a day.",
    ]


def test_the_schema_answered_is_the_one_the_model_enforces(served):
    models = {m.inputs["name"]: m.inputs["schema"] for m in served.of_type("aws:apigateway/model:Model")}
    for product_id, model in (("lunasec-tokenizer", "UsageReport"), ("acme-widgets", "UsageReportAcmeWidgets")):
        answer = served.named(f"collector-products-{product_id}-schema-get-200-mapping").inputs
        schema = _rendered(answer["responseTemplates"]["application/json"])
        assert json.loads(models[model]) == schemas.inline_local_refs(schema), product_id


def test_a_stack_that_names_no_product_has_no_schema_route():
    run = shared_run("dev")
    assert {m.inputs["httpMethod"] for m in run.of_type("aws:apigateway/method:Method")} == {"POST"}
    assert not [r for r in run.of_type("aws:apigateway/integration:Integration") if r.inputs["type"] == "MOCK"]
    assert api_routes.schema_routes_for(None) == ()


@pytest.mark.usefixtures("template_dir")
def test_the_stage_takes_a_new_deployment_when_a_schema_route_changes(served):
    (route,) = api_routes.schema_routes_for([made_up_product()])
    base = api_routes.fingerprint(api_routes.ROUTES, api_routes.GATEWAY_RESPONSES, 30, STREAM, (route,))
    assert base != api_routes.fingerprint(api_routes.ROUTES, api_routes.GATEWAY_RESPONSES, 30, STREAM)
    for label, changed in variants((route,)):
        assert api_routes.fingerprint(api_routes.ROUTES, api_routes.GATEWAY_RESPONSES, 30, STREAM, changed) != base, (
            label
        )
    trigger = served.one("aws:apigateway/deployment:Deployment").inputs["triggers"]["configuration"]
    routes = api_routes.routes_for([products.default(), made_up_product()])
    answered_routes = api_routes.answered_routes_for(list(served_products().values()))
    stream = served.one("aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream").outputs["name"]
    assert trigger == api_routes.fingerprint(routes, api_routes.GATEWAY_RESPONSES, 30, stream, answered_routes)


@pytest.mark.usefixtures("template_dir")
def test_the_mock_request_templates_text_reaches_the_trigger():
    routes = api_routes.schema_routes_for([made_up_product()])
    base = api_routes.fingerprint(api_routes.ROUTES, api_routes.GATEWAY_RESPONSES, 30, STREAM, routes)
    (templates.TEMPLATE_DIR / "mock_answer_request.vtl").write_text('{"statusCode": 200}\n', encoding="utf-8")
    assert api_routes.fingerprint(api_routes.ROUTES, api_routes.GATEWAY_RESPONSES, 30, STREAM, routes) != base


# JSON Velocity would act on if written as is: references (caller ones included), directives, comments, escapes.
HOSTILE = {
    "$schema": "http://json-schema.org/draft-04/schema#",
    "a": "#if(true)x#end ## a line comment #* a block comment *# #set($x = 1)",
    "b": "$context.identity.sourceIp $!{input.params('User-Agent')} \\$escaped \\#escaped \\\\$both",
    "c": ["#/definitions/count", "$", "#", "\\", "\u00e9\u2603", '\n\t"quoted"'],
}


def test_any_json_renders_verbatim_and_reads_nothing_of_the_caller():
    text = templates.verbatim_json(HOSTILE)
    assert "$" not in text and "#" not in text
    for missing_json in apigateway_vtl.MISSING_JSON_FORMS:
        assert json.loads(apigateway_vtl.render(text, missing_json=missing_json)) == HOSTILE
    assert caller_reads(text) == []


def test_products_whose_paths_would_share_a_resource_name_are_refused(tmp_path):
    # `products/acme/schema` and `products/acme-schema` would both be the resource `collector-products-acme-schema`:
    # the mocks accept two resources under one URN, and the engine's error names neither product nor path.
    references = []
    for product_id in ("acme", "acme-schema"):
        entry = tmp_path / f"{product_id}.json"
        counter = {"name": "made", "meaning": "Made."}
        entry.write_text(
            json.dumps(
                {"id": product_id, "display_name": product_id, "version_format": "semver", "counters": [counter]}
            )
        )
        references.append(str(entry))
    config = {**stack_config("dev"), "analytics-collector:products": json.dumps(references)}
    with pytest.raises(
        ValueError,
        match=r"routes products/acme-schema and products/acme/schema .*resource collector-products-acme-schema",
    ):
        run_program("dev", config)
