"""API Gateway, WAF and CloudFront rules: nothing that would keep who called (contract/guardrails/client_identity.py
lists each feature and the rule here that refuses it), and WAF on every stage when the stack has one."""

from __future__ import annotations

from contract.guardrails import client_identity
from contract.guardrails.client_identity import IdentityStore
from policy.properties import as_list, get_path, known, of_types, refers_to
from policy.rule_kit import flag, resource_rule, stack_rule
from policy.vtl_references import caller_reads

STAGES = ("aws:apigateway/stage:Stage",)
# HTTP and WebSocket APIs set execution logging and data trace on the stage itself (default and per route).
V2_STAGES = ("aws:apigatewayv2/stage:Stage",)
METHOD_SETTINGS = ("aws:apigateway/methodSettings:MethodSettings",)
WEB_ACLS = ("aws:wafv2/webAcl:WebAcl",)
WEB_ACL_ASSOCIATIONS = ("aws:wafv2/webAclAssociation:WebAclAssociation",)
WAF_LOGGING = ("aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration",)
INTEGRATIONS = ("aws:apigateway/integration:Integration", "aws:apigatewayv2/integration:Integration")
INTEGRATION_RESPONSES = ("aws:apigateway/integrationResponse:IntegrationResponse",)
GATEWAY_RESPONSES = ("aws:apigateway/response:Response",)
DISTRIBUTIONS = ("aws:cloudfront/distribution:Distribution",)
REALTIME_LOGS = ("aws:cloudfront/realtimeLogConfig:RealtimeLogConfig",)
# CloudFront's standard logging v2 (and other services' vended access logs) go through a delivery source.
LOG_DELIVERY_SOURCES = ("aws:cloudwatch/logDeliverySource:LogDeliverySource",)
ACCESS_LOGS = "ACCESS_LOGS"

# Spelled here, not read from contract/guardrails/stages.py (which the stage is built from): flipping a value there
# must fail this pack, not move its answer along.
ERROR = "ERROR"  # the only execution-log level allowed; INFO keeps request headers
OFF = "OFF"  # keeps nothing, but fails AWS's control APIGateway.1
ALL_METHODS = "*/*"
# Parameter mappings that read the caller: request headers, query strings and path parts, and identity fields.
CALLER_MAPPINGS = (
    "method.request.header.",
    "method.request.multivalueheader.",
    "method.request.querystring.",
    "method.request.multivaluequerystring.",
    "method.request.path.",
    "context.identity.",
    "context.authorizer.",
)


def _same_api(a, b) -> bool:
    def api_urns(resource):
        return {d.urn for d in (getattr(resource, "property_dependencies", None) or {}).get("restApi", [])}

    if api_urns(a) & api_urns(b):
        return True
    api = known(a.props, "restApi")
    return api is not None and api == known(b.props, "restApi")


def _same_stage(settings, stage) -> bool:
    """Same REST API and stage name (a name a preview cannot know yet counts as the same)."""
    names = {known(settings.props, "stageName"), known(stage.props, "stageName")}
    return _same_api(settings, stage) and (len(names) == 1 or None in names)


def _execution_logging(resources, _config):
    settings = list(of_types(resources, METHOD_SETTINGS))
    for stage in of_types(resources, STAGES):
        mine = [s for s in settings if _same_stage(s, stage)]
        # Settings for one method override the stage-wide ones for that method: every path counts.
        for s in mine:
            level = get_path(s.props, "settings", "loggingLevel")
            if level not in (ERROR, OFF, None):
                yield (
                    stage.urn,
                    (
                        f"stage {stage.name}: execution logging at {level} for method path "
                        f"{s.props.get('methodPath')} would keep request headers (client IP, user agent) "
                        f"and rejected bodies; use {ERROR}"
                    ),
                )
        if not any(
            s.props.get("methodPath") == ALL_METHODS and get_path(s.props, "settings", "loggingLevel") == ERROR
            for s in mine
        ):
            yield (
                stage.urn,
                (
                    f"stage {stage.name}: execution logging is off (no {ALL_METHODS} method settings "
                    f"with loggingLevel {ERROR})"
                ),
            )
    for stage in of_types(resources, V2_STAGES):
        for where, route in _v2_route_settings(stage.props):
            level = get_path(route, "loggingLevel")
            if level not in (ERROR, OFF, None):
                yield stage.urn, f"stage {stage.name}: execution logging at {level} for {where}; use {ERROR}"


def _v2_route_settings(props) -> list[tuple[str, dict]]:
    found = [("the default route", props.get("defaultRouteSettings") or {})]
    return found + [(f"route {get_path(r, 'routeKey')}", r) for r in as_list(props.get("routeSettings"))]


def _no_data_trace(props, _config):
    """Method settings (REST, any methodPath) and HTTP/WebSocket stages (default and per-route settings)."""
    places = [(f"method path {props.get('methodPath')}", props.get("settings") or {})] if "settings" in props else []
    for where, settings in places + (_v2_route_settings(props) if "settings" not in props else []):
        if get_path(settings, "dataTraceEnabled") not in (False, None):
            yield (
                f"full request/response logging (dataTraceEnabled) for {where} would store request bodies and headers"
            )


def _access_logs_without_identity(props, _config):
    destination = get_path(props, "accessLogSettings", "destinationArn")
    log_format = get_path(props, "accessLogSettings", "format")
    if not destination or not log_format:
        yield "access logging is not configured (accessLogSettings with destinationArn and format)"
    for problem in caller_reads(log_format):
        yield (
            f"the access-log format records who called ($context.identity.* such as sourceIp or userAgent, "
            f"or $context.authorizer.*): {problem}"
        )


def _no_xray(props, _config):
    if props.get("xrayTracingEnabled") not in (False, None):
        yield "X-Ray tracing (xrayTracingEnabled) would keep each caller's IP and user agent in trace segments"


def _mapping_reads_caller(expression) -> bool:
    """REST mappings name a source bare (`method.request.header.X`); HTTP APIs' use `$request...`/`$context...`."""
    return isinstance(expression, str) and (
        expression.strip().lower().startswith(CALLER_MAPPINGS) or bool(caller_reads(expression))
    )


def _templates_without_identity(props, _config):
    for problem in caller_reads(get_path(props, "accessLogSettings", "format")):  # HTTP and WebSocket API stages
        yield f"the access-log format records who called: {problem}"
    for kind in ("requestTemplates", "responseTemplates"):
        templates = props.get(kind) or {}
        for content_type, template in templates.items() if hasattr(templates, "items") else []:
            for problem in caller_reads(template):
                yield f"the {content_type} template ({kind}) reads the caller's identity or request headers: {problem}"
    for kind in ("requestParameters", "responseParameters"):
        mappings = props.get(kind) or {}
        for target, expression in mappings.items() if hasattr(mappings, "items") else []:
            if _mapping_reads_caller(expression):
                yield f"{kind} maps {expression} (the caller's identity or request) into {target}"


def _no_cloudfront_request_logs(props, _config):
    # A distribution's legacy standard logs, a real-time log config (its endpoints) or a vended-log source.
    if get_path(props, "loggingConfig", "bucket") or props.get("endpoints") or props.get("logType") == ACCESS_LOGS:
        yield "request logs would keep every client's IP and user agent"


def _waf_on_every_stage(resources, config):
    if not (config["required"] or any(of_types(resources, WEB_ACLS))):
        return
    associations = list(of_types(resources, WEB_ACL_ASSOCIATIONS))
    for stage in of_types(resources, STAGES):
        if not any(refers_to(a, "resourceArn", stage) for a in associations):
            yield stage.urn, f"stage {stage.name}: no WAF web ACL is associated"


def _waf_keeps_no_client_ips(props, _config):
    visibility = [("the web ACL", props.get("visibilityConfig"))]
    visibility += [
        (f"rule {get_path(r, 'name')}", get_path(r, "visibilityConfig")) for r in as_list(props.get("rules"))
    ]
    for where, config in visibility:
        if get_path(config or {}, "sampledRequestsEnabled") is not False:
            yield f"{where} keeps sampled requests, which hold client IPs and headers (sampledRequestsEnabled)"


def _no_waf_logging(_props, _config):
    yield "WAF logs hold client IPs and headers; the collector stores none"


def _refuses(store: IdentityStore, description: str, types, check, **kwargs):
    """A rule named by the client-identity store it refuses (contract/guardrails/client_identity.py)."""
    return resource_rule(store.rule, description, types, check, **kwargs)


POLICIES = [
    stack_rule(
        client_identity.INFO_EXECUTION_LOGS.rule,
        f"Every stage has execution logging at {ERROR} only, for every method (INFO keeps request headers).",
        _execution_logging,
        control="APIGateway.1",
    ),
    _refuses(
        client_identity.XRAY, "Stages never trace requests with X-Ray (segments keep client IPs).", STAGES, _no_xray
    ),
    stack_rule(
        "apigateway-waf-associated",
        "When the stack has a WAF web ACL (or config requires it), every stage is associated with one.",
        _waf_on_every_stage,
        control="APIGateway.4",
        config=flag("required", "Require a web ACL on every stage even if the stack declares none."),
    ),
    _refuses(
        client_identity.ACCESS_LOG_IDENTITY,
        "Stages write access logs, and the format records no client "
        "identity (no sourceIp, userAgent or other $context.identity or $context.authorizer field, in any "
        "reference form).",
        STAGES,
        _access_logs_without_identity,
        control="APIGateway.9",
    ),
    _refuses(
        client_identity.TEMPLATE_IDENTITY_FIELDS,
        "Request, integration-response and gateway-response "
        "templates and parameter mappings read no caller identity or request header (every Velocity reference "
        "parsed, aliases followed), nor do HTTP or WebSocket API stages' access-log formats.",
        (*INTEGRATIONS, *INTEGRATION_RESPONSES, *GATEWAY_RESPONSES, *V2_STAGES),
        _templates_without_identity,
    ),
    _refuses(
        client_identity.DATA_TRACE,
        "Method settings of any method, and HTTP or WebSocket API stages' route "
        "settings, never log full requests and responses.",
        (*METHOD_SETTINGS, *V2_STAGES),
        _no_data_trace,
    ),
    _refuses(
        client_identity.WAF_SAMPLED_REQUESTS,
        "WAF web ACLs keep no sampled requests (they hold client IPs).",
        WEB_ACLS,
        _waf_keeps_no_client_ips,
    ),
    _refuses(
        client_identity.WAF_LOGGING,
        "No WAF logging configuration (WAF logs hold client IPs).",
        WAF_LOGGING,
        _no_waf_logging,
    ),
    _refuses(
        client_identity.CLOUDFRONT_LOGS,
        "No CloudFront standard or real-time request logs (they hold client IPs).",
        (*DISTRIBUTIONS, *REALTIME_LOGS, *LOG_DELIVERY_SOURCES),
        _no_cloudfront_request_logs,
    ),
]
