"""Every IAM policy document the program registers passes parliament with no finding above LOW, and the one LOW
finding is the one docs/guardrails.md explains.

Documents are found with the policy pack's own list of where resources keep them (role, trust, bucket,
queue, topic and key policies), over every committed stack and a config with every option on.
"""

import functools
import json
import warnings

import pytest

from components.collector_monitoring import RESOURCE_NAME as MONITORING
from policy.iam_rules import POLICY_DOCUMENT_TYPES, policy_documents
from tests.support.policy_runner import VARIANTS, run_variant

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # parliament opens its config without closing it, at import
    import parliament

SEVERITIES = ["MUTE", "INFO", "LOW", "MEDIUM", "HIGH", "CRITICAL"]
# A trust policy has no Resource element by definition (IAM rejects one); parliament reads it as an
# identity policy and reports exactly that, so that one finding is not applicable to trust policies.
NOT_APPLICABLE_TO_TRUST = ("MALFORMED", "Statement contains neither Resource nor NotResource")
# parliament rates a misspelt action LOW, yet it silently grants nothing: count those too.
ALWAYS_COUNTED = {"UNKNOWN_ACTION", "UNKNOWN_PREFIX"}


@functools.cache
def documents(variant):
    """(resource name, document, is a trust policy) for every policy document the program registers."""
    found = []
    for resource in run_variant(variant).resources:
        if resource.typ in POLICY_DOCUMENT_TYPES:
            trust = [json.loads(resource.inputs["assumeRolePolicy"])] if "assumeRolePolicy" in resource.inputs else []
            found += [(resource.name, doc, doc in trust) for doc in policy_documents(resource.inputs)]
    return found


def _statement_documents(value) -> list[dict]:
    """Every policy document anywhere in a resource's inputs, found by its shape alone."""
    if isinstance(value, str) and value.lstrip().startswith("{"):
        try:
            value = json.loads(value)
        except ValueError:
            return []
    if isinstance(value, dict):
        found = [value] if "Statement" in value else []
        return found + [doc for v in value.values() for doc in _statement_documents(v)]
    if isinstance(value, list):
        return [doc for v in value for doc in _statement_documents(v)]
    return []


@pytest.mark.parametrize("variant", VARIANTS)
def test_the_pack_s_list_of_where_documents_live_misses_none(variant):
    # The lint reads documents through the pack's own list: a gap there would be a gap here too, so look by shape.
    run = run_variant(variant)
    linted = {(name, json.dumps(doc, sort_keys=True)) for name, doc, _ in documents(variant)}
    anywhere = {
        (r.name, json.dumps(doc, sort_keys=True)) for r in run.resources for doc in _statement_documents(r.inputs)
    }
    assert anywhere, "no policy document found in the program"
    assert anywhere <= linted, sorted(anywhere - linted)


def findings(document, trust: bool) -> list[tuple[str, str, str]]:
    """parliament's (issue, severity, detail) for a document, less what cannot apply to a trust policy."""
    analysed = parliament.analyze_policy_string(json.dumps(document))
    return [
        (f.issue, f.severity, f.detail)
        for f in map(parliament.enhance_finding, analysed.findings)
        if not (trust and (f.issue, f.detail) == NOT_APPLICABLE_TO_TRUST)
    ]


def findings_above_low(document, trust: bool):
    return [
        f
        for f in findings(document, trust)
        if SEVERITIES.index(f[1]) > SEVERITIES.index("LOW") or f[0] in ALWAYS_COUNTED
    ]


def documented_low_finding() -> tuple[str, str]:
    """(resource, issue) of the one LOW finding docs/guardrails.md explains: the alarm key's `*`, "this key"."""
    return f"{MONITORING}-alarm-key", "RESOURCE_STAR"


@pytest.mark.parametrize("variant", VARIANTS)
def test_every_policy_document_passes_parliament(variant):
    found = documents(variant)
    assert len({name for name, _, trust in found if trust}) >= 2, "expected the program's role trust policies"
    assert any(not trust for _, _, trust in found)
    problems = {name: f for name, doc, trust in found if (f := findings_above_low(doc, trust))}
    assert problems == {}


@pytest.mark.parametrize("variant", VARIANTS)
def test_the_only_low_finding_is_the_one_the_docs_explain(variant):
    found = documents(variant)
    low = {
        (name, issue) for name, doc, trust in found for issue, severity, _ in findings(doc, trust) if severity == "LOW"
    }
    documented = documented_low_finding()
    assert low == ({documented} if documented[0] in {name for name, _, _ in found} else set())


def test_the_lint_catches_what_it_should():
    misspelt = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "s3:GetObjekt", "Resource": "arn:aws:s3:::bucket/*"}],
    }
    assert [f[0] for f in findings_above_low(misspelt, trust=False)] == ["UNKNOWN_ACTION"]
    wrong_resource = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::bucket"}],
    }
    assert [f[1] for f in findings_above_low(wrong_resource, trust=False)] == ["MEDIUM"]
    mismatch = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "logs:DescribeLogGroups",
                "Resource": "arn:aws:logs:us-east-1:123456789012:log-group:*",
            }
        ],
    }
    assert [f[0] for f in findings_above_low(mismatch, trust=False)] == ["RESOURCE_MISMATCH"]
    trust_without_resource = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
    assert findings_above_low(trust_without_resource, trust=True) == []
    assert findings_above_low(trust_without_resource, trust=False)
