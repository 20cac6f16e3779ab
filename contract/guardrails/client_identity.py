"""Every AWS feature around the collector that would store who called (an IP, a user agent, a caller identity),
and the policy-pack rule that refuses it. policy/api_rules.py names its rules from here, docs/privacy.md's
table is generated from it, and tests/test_policy_pack.py makes each rule refuse its feature."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class IdentityStore:
    feature: str  # the AWS feature, as its documentation names it
    keeps: str  # what of a client it would store
    rule: str  # the policy-pack rule that refuses it


ACCESS_LOG_IDENTITY = IdentityStore(
    "API Gateway access logs with `$context.identity.*` fields (`sourceIp`, `userAgent`, `caller`, ...)",
    "the client's IP and user agent in every log line",
    "apigateway-access-logs-without-client-identity",
)
TEMPLATE_IDENTITY_FIELDS = IdentityStore(
    "A mapping template reading `$context.identity.*`, `$context.authorizer.*` or `$input.params` (headers, query "
    "string, path), in any form: quiet `$!x`, formal `${x}`, `.get('identity')`, an alias made with `#set`",
    "the client's IP, user agent or any header, in the stored report itself; on the routes the gateway answers "
    "itself (a product's schema and releases), an answer that depends on who asks or on the version they send",
    "apigateway-templates-without-client-identity",
)
XRAY = IdentityStore(
    "AWS X-Ray tracing on the stage (`xrayTracingEnabled`)",
    "a trace segment per request with the client's IP and user agent, for 30 days",
    "apigateway-no-xray-tracing",
)
DATA_TRACE = IdentityStore(
    "API Gateway full request/response logging (`dataTraceEnabled`)",
    "request headers and bodies in the execution logs",
    "apigateway-no-data-trace",
)
INFO_EXECUTION_LOGS = IdentityStore(
    "API Gateway execution logs at `INFO`",
    "request headers (`X-Forwarded-For`, `User-Agent`) and rejected bodies' content in validation messages",
    "apigateway-execution-logging",
)
WAF_LOGGING = IdentityStore(
    "AWS WAF logging (`WebAclLoggingConfiguration`)", "every request's client IP, country and headers", "waf-no-logging"
)
WAF_SAMPLED_REQUESTS = IdentityStore(
    "AWS WAF sampled requests (`sampledRequestsEnabled` on the web ACL or a rule)",
    "a sample of requests with client IP and headers, for three hours",
    "waf-no-sampled-requests",
)
CLOUDFRONT_LOGS = IdentityStore(
    "CloudFront standard logs (legacy, or v2 through a log delivery source) or real-time logs, should a "
    "distribution ever front the API (the endpoint is REGIONAL: none does)",
    "every request's client IP and user agent",
    "cloudfront-no-request-logs",
)

STORES = (
    ACCESS_LOG_IDENTITY,
    TEMPLATE_IDENTITY_FIELDS,
    XRAY,
    DATA_TRACE,
    INFO_EXECUTION_LOGS,
    WAF_LOGGING,
    WAF_SAMPLED_REQUESTS,
    CLOUDFRONT_LOGS,
)
