"""The API routes as data: every field of the description reaches the Deployment's trigger, and the resources the
program registers are the description."""

import dataclasses
import itertools
import json
import shutil

import pytest

from components import api_routes
from components.api_routes import GATEWAY_RESPONSES, ROUTES, fingerprint
from contract import templates as mapping_templates
from tests.support.shared_runs import shared_run
from tooling.mocked_program.pulumi_mocks import mock_id, run_program, stack_config_with

STREAM = "reports-stream"
# The dev stack's endpoint.retryAfterSeconds (the tunable's default: dev leaves it out).
RETRY_AFTER_SECONDS = 30
CHANGED = "-changed"
# The fields the live bug missed (issue 14): the enumeration below must reach each of them.
ONCE_MISSED = {
    "authorization",
    "model.name",
    "model.content_type",
    "validation.validate_request_body",
    "validation.validate_request_parameters",
    "integration.type",
    "integration.http_method",
    "integration.firehose_action",
    "integration.passthrough_behavior",
    "integration.request_parameters",
    "integration.request_template",
    "method_response_models",
}


def variants(value, label=""):
    """(label, a different value) for every way `value` can change: each field of a dataclass, recursively,
    and each item of a tuple, plus the tuple with one item fewer and one more. A field of a type this does not
    know fails the test, so a field added later is covered or noticed."""
    if dataclasses.is_dataclass(value):
        for field in dataclasses.fields(value):
            for sub, changed in variants(getattr(value, field.name), f"{label}.{field.name}".lstrip(".")):
                yield sub, dataclasses.replace(value, **{field.name: changed})
    elif isinstance(value, tuple):
        for index, item in enumerate(value):
            for sub, changed in variants(item, f"{label}[{index}]"):
                yield sub, (*value[:index], changed, *value[index + 1 :])
        if value:
            yield f"{label}[one fewer]", value[:-1]
            yield f"{label}[one more]", (*value, value[-1])
    elif isinstance(value, bool):
        yield label, not value
    elif isinstance(value, str):
        yield label, value + CHANGED
    elif value is None:
        yield label, CHANGED
    else:
        raise TypeError(f"{label}: teach variants() how to change a {type(value).__name__}")


@pytest.fixture
def template_dir(tmp_path, monkeypatch):
    """The mapping templates, each also under its name + CHANGED with the same text: a renamed template then
    still renders, and only its name differs."""
    for template in mapping_templates.TEMPLATE_DIR.iterdir():
        if template.is_file():
            shutil.copy(template, tmp_path / template.name)
            shutil.copy(template, tmp_path / f"{template.name}{CHANGED}")
    monkeypatch.setattr(mapping_templates, "TEMPLATE_DIR", tmp_path)
    return tmp_path


def index_free(label):
    return ".".join(part.split("[")[0] for part in label.split(".")).strip(".")


def test_every_field_of_every_route_changes_the_trigger(template_dir):
    base = fingerprint(ROUTES, GATEWAY_RESPONSES, RETRY_AFTER_SECONDS, STREAM)
    seen = set()
    for label, routes in variants(ROUTES):
        seen.add(index_free(label.split("]", 1)[-1]))
        assert fingerprint(routes, GATEWAY_RESPONSES, RETRY_AFTER_SECONDS, STREAM) != base, f"routes{label}"
    for label, responses in variants(GATEWAY_RESPONSES):
        assert fingerprint(ROUTES, responses, RETRY_AFTER_SECONDS, STREAM) != base, f"gateway_responses{label}"
    assert not ONCE_MISSED - seen, f"never changed: {sorted(ONCE_MISSED - seen)}"


def test_the_retry_after_seconds_change_the_trigger():
    assert fingerprint(ROUTES, GATEWAY_RESPONSES, 31, STREAM) != fingerprint(
        ROUTES, GATEWAY_RESPONSES, RETRY_AFTER_SECONDS, STREAM
    )


def test_every_template_text_and_the_stream_change_the_trigger(template_dir):
    base = fingerprint(ROUTES, GATEWAY_RESPONSES, RETRY_AFTER_SECONDS, STREAM)
    assert fingerprint(ROUTES, GATEWAY_RESPONSES, RETRY_AFTER_SECONDS, "another-stream") != base
    named = {r.template for r in GATEWAY_RESPONSES} | {r.template for route in ROUTES for r in route.responses}
    named |= {route.integration.request_template for route in ROUTES}
    for name in sorted(named):
        original = (template_dir / name).read_text(encoding="utf-8")
        (template_dir / name).write_text(original + "\n## edited\n", encoding="utf-8")
        assert fingerprint(ROUTES, GATEWAY_RESPONSES, RETRY_AFTER_SECONDS, STREAM) != base, name
        (template_dir / name).write_text(original, encoding="utf-8")
    assert fingerprint(ROUTES, GATEWAY_RESPONSES, RETRY_AFTER_SECONDS, STREAM) == base


@pytest.fixture(scope="module")
def dev():
    return shared_run("dev")


def stream_name(run):
    return run.one("aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream").outputs["name"]


def test_registered_routes_are_the_description(dev):
    assert len(dev.of_type("aws:apigateway/method:Method")) == len(ROUTES)
    for route in ROUTES:
        prefix = f"collector-{route.path.replace('/', '-')}-{route.http_method.lower()}"
        method = dev.named(prefix).inputs
        assert method["resourceId"] == mock_id(f"collector-{route.path.replace('/', '-')}")
        assert method["httpMethod"] == route.http_method
        assert method["authorization"] == route.authorization
        assert method["requestValidatorId"] == mock_id("collector-body-validator")
        assert method["requestModels"] == {route.model.content_type: route.model.name}
        spec = route.integration
        integration = dev.named(f"{prefix}-firehose").inputs
        assert integration["type"] == spec.type
        assert integration["integrationHttpMethod"] == spec.http_method
        assert integration["uri"] == f"arn:aws:apigateway:us-east-1:firehose:action/{spec.firehose_action}"
        assert integration["passthroughBehavior"] == spec.passthrough_behavior
        assert integration["requestParameters"] == dict(spec.request_parameters)
        assert integration["requestTemplates"] == {
            route.model.content_type: mapping_templates.for_stream(spec.request_template, stream_name(dev))
        }
        for response in route.responses:
            method_response = dev.named(f"{prefix}-{response.status_code}").inputs
            assert method_response["statusCode"] == response.status_code
            assert method_response["responseModels"] == dict(route.method_response_models)
            mapping = dev.named(f"{prefix}-{response.status_code}-mapping").inputs
            assert mapping["statusCode"] == response.status_code
            assert mapping.get("selectionPattern") == response.selection_pattern
            assert mapping["responseTemplates"] == {response.content_type: mapping_templates.read(response.template)}
        model = dev.one("aws:apigateway/model:Model").inputs
        assert (model["name"], model["contentType"], model["schema"]) == (
            route.model.name,
            route.model.content_type,
            route.model.schema,
        )
        validator = dev.one("aws:apigateway/requestValidator:RequestValidator").inputs
        assert (validator["name"], validator["validateRequestBody"], validator["validateRequestParameters"]) == (
            route.validation.name,
            route.validation.validate_request_body,
            route.validation.validate_request_parameters,
        )
        put = json.loads(dev.named("collector-firehose-put").inputs["policy"])["Statement"][0]
        assert put["Action"] == [f"firehose:{spec.firehose_action}"]


def test_registered_gateway_responses_are_the_description(dev):
    registered = {r.inputs["responseType"]: r.inputs for r in dev.of_type("aws:apigateway/response:Response")}
    assert set(registered) == {response.response_type for response in GATEWAY_RESPONSES}
    for response in GATEWAY_RESPONSES:
        inputs = registered[response.response_type]
        assert inputs.get("statusCode") == response.status_code
        assert inputs["responseTemplates"] == {response.content_type: mapping_templates.read(response.template)}


def retry_after_headers(run) -> dict:
    """Where each 429 and 5xx answer gets its headers: gateway responses by type, method and integration responses
    by name."""
    found = {
        r.inputs["responseType"]: r.inputs.get("responseParameters")
        for r in run.of_type("aws:apigateway/response:Response")
    }
    for typ in (
        "aws:apigateway/methodResponse:MethodResponse",
        "aws:apigateway/integrationResponse:IntegrationResponse",
    ):
        found |= {r.name: r.inputs.get("responseParameters") for r in run.of_type(typ)}
    return found


def test_the_throttle_and_the_5xx_answers_tell_clients_when_to_retry(dev):
    headers = retry_after_headers(dev)
    assert headers["THROTTLED"] == {"gatewayresponse.header.Retry-After": "'30'"}
    assert headers["DEFAULT_5XX"] == {"gatewayresponse.header.Retry-After": "'30'"}
    for path in ("record", "record-deployment"):
        # Firehose's 5xx: the method declares the header, its integration response maps the value.
        assert headers[f"collector-{path}-post-503"] == {"method.response.header.Retry-After": True}
        assert headers[f"collector-{path}-post-503-mapping"] == {"method.response.header.Retry-After": "'30'"}
        # Accepted, and our own setup refused (Firehose 4xx): no time would help.
        for status in ("200", "500"):
            assert not headers[f"collector-{path}-post-{status}"]
            assert not headers[f"collector-{path}-post-{status}-mapping"]
    for refusal in ("BAD_REQUEST_BODY", "UNSUPPORTED_MEDIA_TYPE", "DEFAULT_4XX"):
        assert not headers[refusal], refusal


def test_the_operator_sets_the_retry_after_and_the_stage_takes_a_new_deployment(dev):
    slowed = shared_run("dev", stack_config_with("dev", endpoint={"retryAfterSeconds": 600}))
    headers = retry_after_headers(slowed)
    assert headers["THROTTLED"] == {"gatewayresponse.header.Retry-After": "'600'"}
    assert headers["collector-record-post-503-mapping"] == {"method.response.header.Retry-After": "'600'"}
    trigger = slowed.one("aws:apigateway/deployment:Deployment").inputs["triggers"]["configuration"]
    assert trigger != dev.one("aws:apigateway/deployment:Deployment").inputs["triggers"]["configuration"]


@pytest.mark.parametrize("seconds", [0, 901, 30.5, "30"])
def test_a_retry_after_outside_its_bounds_is_refused_naming_the_key(seconds):
    with pytest.raises(Exception, match=r"retryAfterSeconds.*expected an integer from 1 to 900"):
        run_program("dev", stack_config_with("dev", endpoint={"retryAfterSeconds": seconds}))


def test_the_trigger_is_the_fingerprint_of_the_description(dev):
    trigger = dev.one("aws:apigateway/deployment:Deployment").inputs["triggers"]["configuration"]
    assert trigger == fingerprint(ROUTES, GATEWAY_RESPONSES, RETRY_AFTER_SECONDS, stream_name(dev))


def test_a_changed_route_changes_its_resources_and_takes_a_new_deployment(dev, monkeypatch):
    # The live bug: a route setting changed, the integration was updated, and the stage kept the old snapshot.
    changed = tuple(
        dataclasses.replace(
            route, integration=dataclasses.replace(route.integration, passthrough_behavior="WHEN_NO_TEMPLATES")
        )
        for route in ROUTES
    )
    monkeypatch.setattr(api_routes, "ROUTES", changed)
    run = run_program("dev")
    for integration in run.of_type("aws:apigateway/integration:Integration"):
        assert integration.inputs["passthroughBehavior"] == "WHEN_NO_TEMPLATES"
    trigger = run.one("aws:apigateway/deployment:Deployment").inputs["triggers"]["configuration"]
    assert trigger != dev.one("aws:apigateway/deployment:Deployment").inputs["triggers"]["configuration"]
    assert trigger == fingerprint(changed, GATEWAY_RESPONSES, RETRY_AFTER_SECONDS, stream_name(run))


def test_routes_that_disagree_on_the_shared_model_are_refused(monkeypatch):
    other = dataclasses.replace(ROUTES[0].model, name="OtherReport")
    monkeypatch.setattr(api_routes, "ROUTES", (dataclasses.replace(ROUTES[0], model=other), *ROUTES[1:]))
    with pytest.raises(ValueError, match="different models"):
        run_program("dev")


def test_an_unrouted_ancestor_of_a_route_is_still_a_resource(monkeypatch):
    # Only the deeper route: its parent path has no method of its own but must exist for the child to hang on.
    deep = max(ROUTES, key=lambda route: route.path.count("/"))
    monkeypatch.setattr(api_routes, "ROUTES", (deep,))
    run = run_program("dev")
    parts = deep.path.split("/")
    paths = ["/".join(parts[:depth]) for depth in range(1, len(parts) + 1)]
    assert len(paths) > 1
    resources = {r.name: r.inputs for r in run.of_type("aws:apigateway/resource:Resource")}
    assert sorted(resources) == sorted(f"collector-{path.replace('/', '-')}" for path in paths)
    for parent, child in itertools.pairwise(paths):
        assert resources[f"collector-{child.replace('/', '-')}"]["parentId"] == mock_id(
            f"collector-{parent.replace('/', '-')}"
        )
    assert len(run.of_type("aws:apigateway/method:Method")) == 1
