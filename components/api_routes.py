"""The collector's API routes as data.

A stage serves a Deployment, a snapshot taken only when the Deployment's trigger changes. So the one description
here builds the route resources (components/collector_endpoint.py) and the trigger (`fingerprint`): a field the
resources read but the trigger did not would update the routes while the stage kept serving the old ones.
"""

import dataclasses
import hashlib
import json
from dataclasses import dataclass
from typing import Optional

from contract import products, schemas, templates

JSON = "application/json"
# Mappings are kept as (key, value) pairs so that a description is immutable all the way down.
Pairs = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class RequestModel:
    name: str
    content_type: str
    schema: str  # JSON Schema draft-04 text, as API Gateway stores it


@dataclass(frozen=True)
class RequestValidation:
    name: str
    validate_request_body: bool
    validate_request_parameters: bool


@dataclass(frozen=True)
class FirehoseIntegration:
    type: str
    http_method: str
    firehose_action: str  # also the one action the integration's role is allowed
    passthrough_behavior: str
    request_parameters: Pairs
    request_template: str  # a contract/templates file with the delivery stream's name to fill in


@dataclass(frozen=True)
class IntegrationResponse:
    status_code: str
    selection_pattern: Optional[str]  # None: the default response, for statuses no pattern matches
    template: str  # a contract/templates file
    content_type: str = JSON
    retry_after: bool = False  # the answer carries the endpoint's Retry-After header


@dataclass(frozen=True)
class ApiRoute:
    path: str
    http_method: str
    authorization: str
    validation: RequestValidation
    model: RequestModel
    integration: FirehoseIntegration
    responses: tuple[IntegrationResponse, ...]
    method_response_models: Pairs


@dataclass(frozen=True)
class GatewayResponse:
    response_type: str
    status_code: Optional[str]  # None: API Gateway's own status for the error
    template: str  # a contract/templates file
    content_type: str = JSON
    retry_after: bool = False  # the answer carries the endpoint's Retry-After header


REPORT_MODEL = RequestModel(name="UsageReport", content_type=JSON, schema=schemas.model_schema_json())
BODY_VALIDATION = RequestValidation(
    name="validate-report-body", validate_request_body=True, validate_request_parameters=False
)
PUT_RECORD = FirehoseIntegration(
    type="AWS",
    http_method="POST",
    firehose_action="PutRecord",
    # Without a mapping for a content type, NEVER answers 415 instead of passing the body on.
    passthrough_behavior="NEVER",
    request_parameters=(("integration.request.header.Content-Type", "'application/x-amz-json-1.1'"),),
    request_template=templates.FIREHOSE_PUT_RECORD,
)
# A Firehose 4xx means our setup is wrong (the report was valid), a 5xx is throttling or an outage: both are
# server errors, and 503 tells clients to retry, after its Retry-After.
DELIVERY_RESPONSES = (
    IntegrationResponse("200", None, "accepted_response.vtl"),
    IntegrationResponse("500", r"4\d{2}", "delivery_failed_response.vtl"),
    IntegrationResponse("503", r"5\d{2}", "delivery_failed_response.vtl", retry_after=True),
)


def _report_route(path: str) -> ApiRoute:
    return ApiRoute(
        path=path,
        http_method="POST",
        authorization="NONE",
        validation=BODY_VALIDATION,
        model=REPORT_MODEL,
        integration=PUT_RECORD,
        responses=DELIVERY_RESPONSES,
        method_response_models=((JSON, "Empty"),),
    )


# The default product's routes from its catalogue entry (`record`, where the first shipped reporter posts, and the
# documented `record/deployment`); they behave the same.
ROUTES = tuple(_report_route(path) for path in products.default().legacy_routes)
RECORD_PATHS = tuple(route.path for route in ROUTES)

# THROTTLED is the stage's 429 (its rate and burst); without its own response it answers as DEFAULT_4XX, with no
# Retry-After. The 5xx API Gateway itself answers (integration timeout, configuration) say when to come back too.
GATEWAY_RESPONSES = (
    GatewayResponse("BAD_REQUEST_BODY", "400", "bad_request_body_response.vtl"),
    GatewayResponse("UNSUPPORTED_MEDIA_TYPE", "415", "unsupported_media_type_response.vtl"),
    GatewayResponse("DEFAULT_4XX", None, "default_error_response.vtl"),
    GatewayResponse("DEFAULT_5XX", None, "default_error_response.vtl", retry_after=True),
    GatewayResponse("THROTTLED", None, "default_error_response.vtl", retry_after=True),
)

RETRY_AFTER = "Retry-After"


def retry_after_header(seconds: int) -> str:
    """The header's value as API Gateway maps a static one: a literal in single quotes."""
    return f"'{seconds}'"


def gateway_response_parameters(response: GatewayResponse, retry_after_seconds: int) -> Optional[dict[str, str]]:
    if not response.retry_after:
        return None
    return {f"gatewayresponse.header.{RETRY_AFTER}": retry_after_header(retry_after_seconds)}


def method_response_parameters(response: IntegrationResponse) -> Optional[dict[str, bool]]:
    """The headers the method may answer with (an integration response can only map those)."""
    return {f"method.response.header.{RETRY_AFTER}": True} if response.retry_after else None


def integration_response_parameters(
    response: IntegrationResponse, retry_after_seconds: int
) -> Optional[dict[str, str]]:
    if not response.retry_after:
        return None
    return {f"method.response.header.{RETRY_AFTER}": retry_after_header(retry_after_seconds)}


def fingerprint(
    routes: tuple[ApiRoute, ...],
    gateway_responses: tuple[GatewayResponse, ...],
    retry_after_seconds: int,
    delivery_stream_name: str,
) -> str:
    """A hash of every field of every route and gateway response, of every template they name, as rendered, and of
    the Retry-After they answer with."""
    responses: list[GatewayResponse | IntegrationResponse] = [
        *gateway_responses,
        *(r for route in routes for r in route.responses),
    ]
    response_templates = {response.template: templates.read(response.template) for response in responses}
    request_templates = {
        name: templates.for_stream(name, delivery_stream_name)
        for name in {route.integration.request_template for route in routes}
    }
    canonical = json.dumps(
        {
            "routes": [dataclasses.asdict(route) for route in routes],
            "gateway_responses": [dataclasses.asdict(response) for response in gateway_responses],
            "response_templates": response_templates,
            "request_templates": request_templates,
            "retry_after_seconds": retry_after_seconds,
        },
        sort_keys=True,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()
