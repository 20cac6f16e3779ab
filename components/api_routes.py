"""The collector's API routes as data.

A stage serves a Deployment, a snapshot taken only when the Deployment's trigger changes. So the one description
here builds the route resources (components/collector_endpoint.py) and the trigger (`fingerprint`): a field the
resources read but the trigger did not would update the routes while the stage kept serving the old ones.
"""

import dataclasses
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Optional

from contract import products, schemas, templates

JSON = "application/json"
# Mappings are kept as (key, value) pairs so that a description is immutable all the way down.
Pairs = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class RequestModel:
    name: str
    content_type: str
    schema: str  # JSON Schema draft-04 text, as API Gateway stores it
    product: Optional[str] = None  # None: the default product's model, as released before the catalogue


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
    # The catalogue's part of the template (templates.for_stream): the product the stored line names (None: a
    # legacy route's line, which names none; the queries count it as the default product's) and the keys
    # besides `metrics` counters are read from.
    product: Optional[str] = None
    counters_keys: tuple[str, ...] = templates.legacy_counters_keys()


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
class MockIntegration:
    """API Gateway answers by itself: nothing runs behind the route and nothing is stored."""

    type: str
    passthrough_behavior: str
    request_template: str  # a contract/templates file: the status the mock answers with


@dataclass(frozen=True)
class AnsweredRoute:
    """A GET API Gateway answers itself with a body rendered at deploy time, the same for every caller: a product's
    report schema, its releases, or the 404 of a product the stack does not serve."""

    path: str
    http_method: str
    authorization: str
    integration: MockIntegration
    status_code: str
    content_type: str
    body: str  # the response template: the schema as JSON text every Velocity engine renders unchanged
    method_response_models: Pairs


@dataclass(frozen=True)
class GatewayResponse:
    response_type: str
    status_code: Optional[str]  # None: API Gateway's own status for the error
    template: str  # a contract/templates file
    content_type: str = JSON
    retry_after: bool = False  # the answer carries the endpoint's Retry-After header


REPORT_MODEL = RequestModel(name="UsageReport", content_type=JSON, schema=schemas.model_schema_json())
# A product's own route, besides the legacy routes its catalogue entry may keep.
PRODUCT_ROUTE = f"{products.RESERVED_ROUTE_PREFIX}/{{product}}/reports"
# Added to the descriptions after routes were deployed: left out of the fingerprint at their default, so that a
# stack serving the default product only keeps the Deployment it has.
_LATER_FIELDS = ("product", "counters_keys")
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


def _report_route(
    path: str, model: RequestModel = REPORT_MODEL, integration: FirehoseIntegration = PUT_RECORD
) -> ApiRoute:
    return ApiRoute(
        path=path,
        http_method="POST",
        authorization="NONE",
        validation=BODY_VALIDATION,
        model=model,
        integration=integration,
        responses=DELIVERY_RESPONSES,
        method_response_models=((JSON, "Empty"),),
    )


def model_name(product: products.Product) -> str:
    """The default product keeps the released model's name; another's adds its id (API Gateway: letters, digits)."""
    if product.id == products.DEFAULT_PRODUCT_ID:
        return REPORT_MODEL.name
    return REPORT_MODEL.name + "".join(part.title() for part in product.id.split("-"))


def product_model(product: products.Product) -> RequestModel:
    if product.id == products.DEFAULT_PRODUCT_ID:
        return REPORT_MODEL
    return RequestModel(model_name(product), JSON, schemas.model_schema_json(product), product.id)


def product_routes(product: products.Product) -> tuple[ApiRoute, ...]:
    """The product's legacy routes (lines without a product, as they were), then its own route (lines naming it)."""
    model = product_model(product)
    keys = tuple(alias.key for alias in product.counters_keys)
    legacy = dataclasses.replace(PUT_RECORD, counters_keys=keys)
    own = dataclasses.replace(legacy, product=product.id)
    return (
        *(_report_route(path, model, legacy) for path in product.legacy_routes),
        _report_route(PRODUCT_ROUTE.format(product=product.id), model, own),
    )


# Where an operator reads the contract a product's reports must meet (docs/products.md).
SCHEMA_ROUTE = f"{products.RESERVED_ROUTE_PREFIX}/{{product}}/schema"
GATEWAY_ANSWER = MockIntegration(
    type="MOCK",
    # A request of a content type other than the template's is refused (415), as on the report routes.
    passthrough_behavior="NEVER",
    request_template=templates.MOCK_ANSWER_REQUEST,
)


def _answered(path: str, status_code: str, body: Any) -> AnsweredRoute:
    return AnsweredRoute(
        path=path,
        http_method="GET",
        authorization="NONE",
        integration=GATEWAY_ANSWER,
        status_code=status_code,
        content_type=JSON,
        body=templates.verbatim_json(body),
        method_response_models=((JSON, "Empty"),),
    )


def schema_route(product: products.Product) -> AnsweredRoute:
    """`GET products/<id>/schema`: the schema rendered into the answer at deploy time, from the same
    `load_schema(product)` the product's model is built from."""
    return _answered(SCHEMA_ROUTE.format(product=product.id), "200", schemas.load_schema(product))


def schema_routes_for(catalogue: Optional[Sequence[products.Product]]) -> tuple[AnsweredRoute, ...]:
    """None (no products named): none, so that a stack on the last release deploys what it did."""
    return tuple(schema_route(product) for product in catalogue or ())


# Where a reporter, or anyone, learns a product's latest version and advisories (docs/releases.md).
RELEASES_ROUTE = f"{products.RESERVED_ROUTE_PREFIX}/{{product}}/releases"
# API Gateway's path parameter beside each served product's own resource: a request reaches it only with an id the
# stack does not serve (a resource with the method asked for wins over its parameter sibling).
ANY_PRODUCT = "{product}"
# How that parameter reads in resource names: `pulumi state rename` takes letters, digits, `_ - . /` only, and no
# product id has an `_`, so no product's resources can take these names.
ANY_PRODUCT_NAME = "any_product"


def path_name(path: str) -> str:
    """A route's path as it reads in the names of its resources (`products/acme/reports`: products-acme-reports)."""
    return path.replace(ANY_PRODUCT, ANY_PRODUCT_NAME).replace("/", "-")


def _not_found(message: str) -> dict[str, str]:
    """The shape of the collector's other error answers (contract/templates/default_error_response.vtl)."""
    return {"status": "error", "message": message}


def releases_route(product: products.Product) -> AnsweredRoute:
    """`GET products/<id>/releases`: the product's releases rendered into the answer at deploy time (contract.releases);
    404 when it declares none. Nothing of the request is read, so the answer cannot depend on the caller."""
    path = RELEASES_ROUTE.format(product=product.id)
    if product.releases is None:
        return _answered(path, "404", _not_found(f"{product.id} publishes no releases at this collector"))
    return _answered(path, "200", product.releases.answer(product.id))


def unknown_product_route(catalogue: Sequence[products.Product]) -> AnsweredRoute:
    """`GET products/<anything else>/releases`: a 404 naming the products served, not API Gateway's 403."""
    served = ", ".join(product.id for product in catalogue)
    return _answered(
        RELEASES_ROUTE.format(product=ANY_PRODUCT),
        "404",
        _not_found(f"no such product at this collector: it serves {served}"),
    )


def answered_routes_for(catalogue: Optional[Sequence[products.Product]]) -> tuple[AnsweredRoute, ...]:
    """Every GET the gateway answers itself: each product's schema and releases, and the unknown product's 404.
    None (no products named): none, so that a stack on the last release deploys what it did."""
    if not catalogue:
        return ()
    return (
        *schema_routes_for(catalogue),
        *(releases_route(product) for product in catalogue),
        unknown_product_route(catalogue),
    )


def routes_for(catalogue: Optional[Sequence[products.Product]]) -> tuple[ApiRoute, ...]:
    """A collector's routes. None (no products named): the default product's legacy routes only, as released."""
    if catalogue is None:
        return ROUTES
    return tuple(route for product in catalogue for route in product_routes(product))


# The default product's routes from its catalogue entry (`record`, where the first shipped reporter posts, and the
# documented `record/deployment`); they behave the same.
ROUTES = tuple(_report_route(path) for path in products.default().legacy_routes)
RECORD_PATHS = tuple(route.path for route in ROUTES)


def url_path(routes: tuple[ApiRoute, ...]) -> str:
    """The path the endpoint's `url` output names: the documented route when it is served (as released), else the
    first product's own route."""
    if any(route.path == RECORD_PATHS[-1] for route in routes):
        return RECORD_PATHS[-1]
    return next(route.path for route in routes if route.integration.product is not None)


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


def request_template(integration: FirehoseIntegration, delivery_stream_name: str) -> str:
    return templates.for_stream(
        integration.request_template, delivery_stream_name, integration.product, integration.counters_keys
    )


def template_key(integration: FirehoseIntegration) -> str:
    """The template's file name, and the product when it differs from the file rendered as released."""
    if integration == dataclasses.replace(integration, product=None, counters_keys=PUT_RECORD.counters_keys):
        return integration.request_template
    return f"{integration.request_template} {integration.product} {','.join(integration.counters_keys)}"


def _described(value: Any) -> Any:
    """dataclasses.asdict, with the fields in _LATER_FIELDS left out where they hold their default."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            field.name: _described(getattr(value, field.name))
            for field in dataclasses.fields(value)
            if field.name not in _LATER_FIELDS or getattr(value, field.name) != field.default
        }
    if isinstance(value, tuple):
        return [_described(item) for item in value]
    return value


def fingerprint(
    routes: tuple[ApiRoute, ...],
    gateway_responses: tuple[GatewayResponse, ...],
    retry_after_seconds: int,
    delivery_stream_name: str,
    answered_routes: tuple[AnsweredRoute, ...] = (),
) -> str:
    """A hash of every field of every route and gateway response, of every template they name, as rendered, and of
    the Retry-After they answer with. Answered routes count only when there are any: the trigger of a stack without
    them is the one it had before they existed."""
    responses: list[GatewayResponse | IntegrationResponse] = [
        *gateway_responses,
        *(r for route in routes for r in route.responses),
    ]
    response_templates = {response.template: templates.read(response.template) for response in responses}
    request_templates = {
        template_key(route.integration): request_template(route.integration, delivery_stream_name) for route in routes
    }
    described: dict[str, Any] = {
        "routes": [_described(route) for route in routes],
        "gateway_responses": [dataclasses.asdict(response) for response in gateway_responses],
        "response_templates": response_templates,
        "request_templates": request_templates,
        "retry_after_seconds": retry_after_seconds,
    }
    if answered_routes:
        described["answered_routes"] = {
            "routes": [dataclasses.asdict(route) for route in answered_routes],
            "request_templates": {
                name: templates.read(name)
                for name in sorted({route.integration.request_template for route in answered_routes})
            },
        }
    canonical = json.dumps(described, sort_keys=True)
    return hashlib.sha256(canonical.encode()).hexdigest()
