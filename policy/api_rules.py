"""API Gateway, WAF and CloudFront rules: nothing that would keep who called (guardrails/client_identity.py lists
each feature and the rule here that refuses it), and WAF on every stage when the stack has one."""

from __future__ import annotations

import re

from guardrails import client_identity, stages
from guardrails.client_identity import IdentityStore
from policy.properties import as_list, get_path, known, of_types, refers_to
from policy.rule_kit import flag, resource_rule, stack_rule

STAGES = ("aws:apigateway/stage:Stage",)
METHOD_SETTINGS = ("aws:apigateway/methodSettings:MethodSettings",)
WEB_ACLS = ("aws:wafv2/webAcl:WebAcl",)
WEB_ACL_ASSOCIATIONS = ("aws:wafv2/webAclAssociation:WebAclAssociation",)
WAF_LOGGING = ("aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration",)
INTEGRATIONS = ("aws:apigateway/integration:Integration",)
DISTRIBUTIONS = ("aws:cloudfront/distribution:Distribution",)
REALTIME_LOGS = ("aws:cloudfront/realtimeLogConfig:RealtimeLogConfig",)
# CloudFront's standard logging v2 (and other services' vended access logs) go through a delivery source.
LOG_DELIVERY_SOURCES = ("aws:cloudwatch/logDeliverySource:LogDeliverySource",)
ACCESS_LOGS = "ACCESS_LOGS"
CLIENT_IDENTITY = re.compile(client_identity.CONTEXT_IDENTITY, re.I)
TEMPLATE_IDENTITY = re.compile(client_identity.TEMPLATE_IDENTITY, re.I)


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
    allowed = " or ".join(stages.EXECUTION_LOG_LEVELS)
    for stage in of_types(resources, STAGES):
        levels = [get_path(s.props, "settings", "loggingLevel") for s in settings
                  if _same_stage(s, stage) and s.props.get("methodPath") == stages.ALL_METHODS]
        kept = [level for level in levels if level not in (*stages.EXECUTION_LOG_LEVELS, stages.LOGGING_OFF, None)]
        if kept:
            yield stage.urn, (f"stage {stage.name}: execution logging at {', '.join(kept)} would keep request "
                              f"headers (client IP, user agent) and rejected bodies; use {allowed}")
        elif not any(level in stages.EXECUTION_LOG_LEVELS for level in levels):
            yield stage.urn, (f"stage {stage.name}: execution logging is off (no {stages.ALL_METHODS} method "
                              f"settings with loggingLevel {allowed})")


def _no_data_trace(props, _config):
    if get_path(props, "settings", "dataTraceEnabled") not in (stages.DATA_TRACE_ENABLED, None):
        yield "full request/response logging (dataTraceEnabled) would store request bodies and headers"


def _access_logs_without_identity(props, _config):
    destination = get_path(props, "accessLogSettings", "destinationArn")
    log_format = get_path(props, "accessLogSettings", "format")
    if not destination or not log_format:
        yield "access logging is not configured (accessLogSettings with destinationArn and format)"
    elif CLIENT_IDENTITY.search(log_format):
        yield ("the access-log format records who called ($context.identity.* such as sourceIp or userAgent, "
               "or $context.authorizer.*)")


def _no_xray(props, _config):
    if props.get("xrayTracingEnabled") not in (stages.XRAY_TRACING_ENABLED, None):
        yield "X-Ray tracing (xrayTracingEnabled) would keep each caller's IP and user agent in trace segments"


def _templates_without_identity(props, _config):
    templates = props.get("requestTemplates") or {}
    for content_type, template in (templates.items() if hasattr(templates, "items") else []):
        if isinstance(template, str) and TEMPLATE_IDENTITY.search(template):
            yield (f"the {content_type} request template reads the caller's identity or request headers "
                   "($context.identity.*, $context.authorizer.*, $input.params)")


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
    visibility += [(f"rule {get_path(r, 'name')}", get_path(r, "visibilityConfig"))
                   for r in as_list(props.get("rules"))]
    for where, config in visibility:
        if get_path(config or {}, "sampledRequestsEnabled") is not False:
            yield f"{where} keeps sampled requests, which hold client IPs and headers (sampledRequestsEnabled)"


def _no_waf_logging(_props, _config):
    yield "WAF logs hold client IPs and headers; the collector stores none"


def _refuses(store: IdentityStore, description: str, types, check, **kwargs):
    """A rule named by the client-identity store it refuses (guardrails/client_identity.py)."""
    return resource_rule(store.rule, description, types, check, **kwargs)


POLICIES = [
    stack_rule(client_identity.INFO_EXECUTION_LOGS.rule,
               f"Every stage has execution logging at {' or '.join(stages.EXECUTION_LOG_LEVELS)} only (INFO keeps "
               "request headers).", _execution_logging, control="APIGateway.1"),
    _refuses(client_identity.XRAY, "Stages never trace requests with X-Ray (segments keep client IPs).",
             STAGES, _no_xray),
    stack_rule("apigateway-waf-associated", "When the stack has a WAF web ACL (or config requires it), every "
               "stage is associated with one.", _waf_on_every_stage, control="APIGateway.4",
               config=flag("required", "Require a web ACL on every stage even if the stack declares none.")),
    _refuses(client_identity.ACCESS_LOG_IDENTITY, "Stages write access logs, and the format records no client "
             "identity (no sourceIp, userAgent or other $context.identity field).",
             STAGES, _access_logs_without_identity, control="APIGateway.9"),
    _refuses(client_identity.TEMPLATE_IDENTITY_FIELDS, "Request templates copy no caller identity or request "
             "header into what they send.", INTEGRATIONS, _templates_without_identity),
    _refuses(client_identity.DATA_TRACE, "Method settings never log full requests and responses.",
             METHOD_SETTINGS, _no_data_trace),
    _refuses(client_identity.WAF_SAMPLED_REQUESTS, "WAF web ACLs keep no sampled requests (they hold client IPs).",
             WEB_ACLS, _waf_keeps_no_client_ips),
    _refuses(client_identity.WAF_LOGGING, "No WAF logging configuration (WAF logs hold client IPs).",
             WAF_LOGGING, _no_waf_logging),
    _refuses(client_identity.CLOUDFRONT_LOGS, "No CloudFront standard or real-time request logs (they hold "
             "client IPs).", (*DISTRIBUTIONS, *REALTIME_LOGS, *LOG_DELIVERY_SOURCES), _no_cloudfront_request_logs),
]
