"""The releases route keeps the privacy promise (docs/releases.md, docs/privacy.md): the policy pack passes the stack
that serves it and refuses it the moment its templates read anything of the caller (the version asked about in a
query string, the mock selecting its answer from it as AWS's own example does, a header, the IP), and the stage's
access-log format records no client identity, for this route as for the others."""

import copy

import pytest

from contract.guardrails import client_identity
from policy.catalog import POLICIES
from tests.support.policy_runner import from_run, run_variant, violations

RULES = {policy.name: policy for policy in POLICIES}
TEMPLATES = RULES[client_identity.TEMPLATE_IDENTITY_FIELDS.rule]
ACCESS_LOGS = RULES[client_identity.ACCESS_LOG_IDENTITY.rule]
RELEASES_ANSWER = "collector-products-acme-widgets-releases-get-200-mapping"
RELEASES_MOCK = "collector-products-acme-widgets-releases-get-mock"
UNKNOWN_ANSWER = "collector-products-any_product-releases-get-404-mapping"


@pytest.fixture(scope="module")
def served():
    return from_run(run_variant("two-products"))


def _with(resources, name: str, kind: str, template: str):
    changed = copy.deepcopy(resources)
    (resource,) = [r for r in changed if r.name == name]
    resource.props[kind] = {"application/json": template}
    return changed


def test_the_stack_serving_releases_passes_every_rule(served):
    assert {r.name for r in served} >= {RELEASES_ANSWER, RELEASES_MOCK, UNKNOWN_ANSWER}
    assert {name: violations(policy, served) for name, policy in RULES.items() if violations(policy, served)} == {}


@pytest.mark.parametrize(
    ("name", "kind", "template"),
    [
        # The answer made to depend on the version the caller sends.
        (RELEASES_ANSWER, "responseTemplates", '{"asked": "$input.params(\'version\')"}'),
        (RELEASES_ANSWER, "responseTemplates", '{"asked": "$input.params().querystring.get(\'version\')"}'),
        # AWS's mock example: the request template selects the status from a parameter.
        (RELEASES_MOCK, "requestTemplates", "#if($input.params('version') == '1.3.1'){\"statusCode\": 409}#end"),
        (UNKNOWN_ANSWER, "responseTemplates", '{"you": "$context.identity.sourceIp"}'),
        (UNKNOWN_ANSWER, "responseTemplates", '#set($c = $context){"agent": "$c.identity.userAgent"}'),
    ],
)
def test_a_releases_template_reading_the_caller_is_refused(served, name, kind, template):
    found = violations(TEMPLATES, _with(served, name, kind, template))
    assert found and all("reads the caller's identity or request headers" in v for v in found), found


def test_the_stages_access_log_format_serving_releases_records_no_client(served):
    (stage,) = [r for r in served if r.resource_type == "aws:apigateway/stage:Stage"]
    assert violations(ACCESS_LOGS, [stage]) == []
    changed = copy.deepcopy(stage)
    changed.props["accessLogSettings"]["format"] = '{"ip":"$context.identity.sourceIp"}'
    assert violations(ACCESS_LOGS, [changed]) != []
