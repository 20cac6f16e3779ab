"""The weekly report's role (.github/aws-oidc/usage-report-role-policy.json): no wildcard action or resource,
exactly the Athena calls the report makes, and every name and prefix it grants as the program deploys them."""

import ast
import json
import re
from pathlib import Path

import yaml

from components.athena_catalog import RESULTS_PREFIX
from contract.queries import TABLE_NAME
from contract.warehouse.layout import REPORTS_PREFIX
from tests.support.shared_runs import shared_run
from tests.test_ci_roles import CLAIM, as_list
from tests.test_iam_lint import findings_above_low

ROOT = Path(__file__).resolve().parents[1]
POLICY_PATH = ROOT / ".github" / "aws-oidc" / "usage-report-role-policy.json"
# What docs/html-report.md tells the reader to replace before creating the policy.
PLACEHOLDERS = {
    "ACCOUNT_ID": "123456789012",
    "WAREHOUSE_BUCKET": "warehouse-bucket-1a2b3c",
    "RESULTS_BUCKET": "catalog-results-4d5e6f",
}


def statements() -> list[dict]:
    return json.loads(POLICY_PATH.read_text())["Statement"]


def granted(service: str) -> dict[str, set[str]]:
    """Action -> the resources it is granted on, for one service."""
    found: dict[str, set[str]] = {}
    for statement in statements():
        for action in as_list(statement["Action"]):
            if action.startswith(f"{service}:"):
                found.setdefault(action, set()).update(as_list(statement["Resource"]))
    return found


def athena_calls_the_report_makes() -> set[str]:
    """Every Athena operation usage_report/athena_runner.py calls on its client, as an IAM action."""
    tree = ast.parse((ROOT / "usage_report" / "athena_runner.py").read_text())
    names = set()
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and isinstance(node.func.value, ast.Attribute)
            and node.func.value.attr == "_client"
        ):
            if node.func.attr == "get_paginator":
                names.add(node.args[0].value)
            else:
                names.add(node.func.attr)
    return {"athena:" + "".join(part.title() for part in name.split("_")) for name in names}


def test_no_wildcard_action_and_no_wildcard_resource():
    for statement in statements():
        assert statement["Effect"] == "Allow" and "NotAction" not in statement and "NotResource" not in statement
        assert all("*" not in action for action in as_list(statement["Action"])), statement["Sid"]
        for resource in as_list(statement["Resource"]):
            assert resource != "*" and re.fullmatch(r"arn:aws:[a-z0-9]+:[^*]*(\*)?", resource), resource


def test_athena_actions_are_exactly_the_calls_the_report_makes():
    calls = athena_calls_the_report_makes()
    assert {"athena:StartQueryExecution", "athena:GetQueryResults"} <= calls, "the scan found the calls"
    assert set(granted("athena")) == calls


def test_every_name_and_prefix_is_the_one_prod_deploys():
    exports = shared_run("prod").exports
    region = yaml.safe_load((ROOT / "Pulumi.prod.yaml").read_text())["config"]["aws:region"]
    database, workgroup = exports["athena_database_name"], exports["athena_workgroup_name"]
    assert set().union(*granted("athena").values()) == {f"arn:aws:athena:{region}:ACCOUNT_ID:workgroup/{workgroup}"}
    glue = f"arn:aws:glue:{region}:ACCOUNT_ID"
    assert set().union(*granted("glue").values()) == {
        f"{glue}:catalog",
        f"{glue}:database/{database}",
        f"{glue}:table/{database}/{TABLE_NAME}",
    }
    s3 = granted("s3")
    assert s3["s3:GetObject"] == {
        f"arn:aws:s3:::WAREHOUSE_BUCKET/{REPORTS_PREFIX}*",
        f"arn:aws:s3:::RESULTS_BUCKET/{RESULTS_PREFIX}*",
    }
    assert s3["s3:PutObject"] == {f"arn:aws:s3:::RESULTS_BUCKET/{RESULTS_PREFIX}*"}, "writes results only"
    listings = {
        statement["Resource"]: statement["Condition"]["StringLike"]["s3:prefix"]
        for statement in statements()
        if statement["Action"] == "s3:ListBucket"
    }
    assert listings == {
        "arn:aws:s3:::WAREHOUSE_BUCKET": [REPORTS_PREFIX, f"{REPORTS_PREFIX}*"],
        "arn:aws:s3:::RESULTS_BUCKET": [RESULTS_PREFIX, f"{RESULTS_PREFIX}*"],
    }


def test_the_policy_passes_parliament_once_its_placeholders_are_filled():
    text = POLICY_PATH.read_text()
    for placeholder, example in PLACEHOLDERS.items():
        text = text.replace(placeholder, example)
    assert findings_above_low(json.loads(text), trust=False) == []


def test_only_the_usage_report_workflow_on_main_in_its_environment_may_assume_the_role():
    trust = json.loads((ROOT / ".github" / "aws-oidc" / "usage-report-role-trust-policy.json").read_text())
    (statement,) = trust["Statement"]
    assert statement["Condition"] == {
        "StringEquals": {
            f"{CLAIM}:aud": "sts.amazonaws.com",
            # The subject names the event once the repository's OIDC subject template includes it (docs/ci-cd.md).
            f"{CLAIM}:sub": [
                "repo:OWNER/REPO:environment:usage-report:event_name:schedule",
                "repo:OWNER/REPO:environment:usage-report:event_name:workflow_dispatch",
            ],
            # A branch's copy of the workflow, dispatched into the environment, cannot assume it.
            f"{CLAIM}:job_workflow_ref": "OWNER/REPO/.github/workflows/usage-report.yml@refs/heads/main",
            f"{CLAIM}:ref": "refs/heads/main",
        }
    }
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "usage-report.yml").read_text())
    assert {job.get("environment") for job in workflow["jobs"].values()} == {"usage-report"}
