"""API Gateway and WAF rules: logging that keeps no client identity, tracing, and WAF when it is enabled."""

from __future__ import annotations

import re

from guardrails import stages
from policy.properties import as_list, get_path, known, of_types, refers_to
from policy.rule_kit import flag, resource_rule, stack_rule

STAGES = ("aws:apigateway/stage:Stage",)
METHOD_SETTINGS = ("aws:apigateway/methodSettings:MethodSettings",)
WEB_ACLS = ("aws:wafv2/webAcl:WebAcl",)
WEB_ACL_ASSOCIATIONS = ("aws:wafv2/webAclAssociation:WebAclAssociation",)
WAF_LOGGING = ("aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration",)
# $context.identity.* is who called: source IP, user agent, caller, account, Cognito ids, API key.
CLIENT_IDENTITY = re.compile(r"\$\{?context\.identity\.|\$\{?context\.authorizer\.", re.I)


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
        levels = [get_path(s.props, "settings", "loggingLevel") for s in settings
                  if _same_stage(s, stage) and s.props.get("methodPath") == stages.ALL_METHODS]
        if not any(level in stages.EXECUTION_LOG_LEVELS for level in levels):
            yield stage.urn, (f"stage {stage.name}: execution logging is off (no {stages.ALL_METHODS} method "
                              f"settings with loggingLevel {' or '.join(stages.EXECUTION_LOG_LEVELS)})")


def _no_data_trace(props, _config):
    if get_path(props, "settings", "dataTraceEnabled") is True:
        yield "full request/response logging (dataTraceEnabled) would store request bodies and headers"


def _access_logs_without_identity(props, _config):
    destination = get_path(props, "accessLogSettings", "destinationArn")
    log_format = get_path(props, "accessLogSettings", "format")
    if not destination or not log_format:
        yield "access logging is not configured (accessLogSettings with destinationArn and format)"
    elif CLIENT_IDENTITY.search(log_format):
        yield ("the access-log format records who called ($context.identity.* such as sourceIp or userAgent, "
               "or $context.authorizer.*)")


def _xray(props, config):
    if config["required"] and props.get("xrayTracingEnabled") is not True:
        yield "X-Ray tracing is off (xrayTracingEnabled)"


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


POLICIES = [
    stack_rule("apigateway-execution-logging",
               f"Every stage has execution logging at {' or '.join(stages.EXECUTION_LOG_LEVELS)}.",
               _execution_logging, control="APIGateway.1"),
    resource_rule("apigateway-xray-tracing", "Stages trace requests with X-Ray when the pack's config requires it.",
                  STAGES, _xray, control="APIGateway.3",
                  config=flag("required", "Fail stages without X-Ray tracing.")),
    stack_rule("apigateway-waf-associated", "When the stack has a WAF web ACL (or config requires it), every "
               "stage is associated with one.", _waf_on_every_stage, control="APIGateway.4",
               config=flag("required", "Require a web ACL on every stage even if the stack declares none.")),
    resource_rule("apigateway-access-logs-without-client-identity", "Stages write access logs, and the format "
                  "records no client identity (no sourceIp, userAgent or other $context.identity field).",
                  STAGES, _access_logs_without_identity, control="APIGateway.9"),
    resource_rule("apigateway-no-data-trace", "Method settings never log full requests and responses.",
                  METHOD_SETTINGS, _no_data_trace),
    resource_rule("waf-no-sampled-requests", "WAF web ACLs keep no sampled requests (they hold client IPs).",
                  WEB_ACLS, _waf_keeps_no_client_ips),
    resource_rule("waf-no-logging", "No WAF logging configuration (WAF logs hold client IPs).",
                  WAF_LOGGING, _no_waf_logging),
]
