"""The CI's AWS roles (.github/aws-oidc/): a deploy role per environment that trusts only that environment's
jobs of the stack workflow on main, may create only roles that carry the permissions boundary and pass only
the program's roles to their own services; a preview role that reads staging's state and no data."""

import fnmatch
import json
import re
from pathlib import Path

import pytest
import yaml

from tests.support.policy_runner import ALL_OPTIONS
from tests.support.shared_runs import shared_run
from tests.test_iam_lint import findings_above_low
from tooling.mocked_program.pulumi_mocks import ACCOUNT, REGION, stack_config, stack_config_with

ROOT = Path(__file__).resolve().parents[1]
OIDC = ROOT / ".github" / "aws-oidc"
CLAIM = "token.actions.githubusercontent.com"
STACK_WORKFLOW = "OWNER/REPO/.github/workflows/pulumi-stack.yml"
DEPLOY_TRUST = {
    "staging": "deploy-staging-role-trust-policy.json",
    "production": "deploy-production-role-trust-policy.json",
}
# Every option that adds a role or a service: the policy pack's every-option variant (the account's API Gateway role,
# WAF, a domain, e-mail alarms, the warehouse's KMS key), with the catalog's key and the permissions boundary too.
EVERYTHING_ON = {
    **ALL_OPTIONS,
    "catalog": {"kmsKeyArn": ALL_OPTIONS["warehouse"]["kmsKeyArn"]},
    "iam": {"permissionsBoundaryPolicy": "analytics-collector-boundary"},
}
# Where a resource type's IAM actions live when its token's module is not the IAM prefix.
SERVICE_OF_MODULE = {"kinesis": "firehose"}
SERVICE_OF_TYPE = {"aws:cloudwatch/logGroup:LogGroup": "logs", "aws:cloudwatch/logStream:LogStream": "logs"}


def document(name: str) -> dict:
    return json.loads((OIDC / name).read_text())


def filled(name: str) -> dict:
    """A policy as an account fills its placeholders in (docs/ci-cd.md's `fill`)."""
    text = (OIDC / name).read_text()
    for placeholder, value in {
        "ACCOUNT_ID": ACCOUNT,
        "REGION": REGION,
        "STATE_BUCKET": "state-bucket",
        "HOSTED_ZONE_ID": EVERYTHING_ON["endpoint"]["hostedZoneId"],
    }.items():
        text = text.replace(placeholder, value)
    return json.loads(text)


def as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def allows(policy: dict, action: str, resource: str = "*") -> bool:
    """Whether an Allow statement without a Deny grants the action (an Allow's conditions set aside).

    A Deny with a condition may not apply, so only an unconditional Deny counts: a test that the role cannot do
    something then rests on a wall that always stands."""

    def matches(statement):
        return any(fnmatch.fnmatchcase(action, a) for a in as_list(statement["Action"])) and any(
            fnmatch.fnmatchcase(resource, r) or r == "*" for r in as_list(statement["Resource"])
        )

    statements = policy["Statement"]
    return any(s["Effect"] == "Allow" and matches(s) for s in statements) and not any(
        s["Effect"] == "Deny" and "Condition" not in s and matches(s) for s in statements
    )


@pytest.fixture(scope="module")
def runs():
    committed = {stack: shared_run(stack) for stack in ("dev", "staging", "prod")}
    return {**committed, "everything": shared_run("dev", stack_config_with("dev", **EVERYTHING_ON))}


# ---- trust ----


def _conditions(name: str) -> dict:
    (statement,) = document(name)["Statement"]
    assert statement["Action"] == "sts:AssumeRoleWithWebIdentity" and statement["Effect"] == "Allow"
    assert statement["Principal"] == {"Federated": f"arn:aws:iam::ACCOUNT_ID:oidc-provider/{CLAIM}"}
    return statement["Condition"]


# Roles that hold a stack's secrets on main: each trusts its own environment's jobs of the stack workflow, run by a
# push to main (the subject carries event_name once the repository's OIDC subject template includes it).
MAIN_PUSH_TRUST = {**DEPLOY_TRUST, "production-preview": "preview-production-role-trust-policy.json"}


@pytest.mark.parametrize("environment", MAIN_PUSH_TRUST)
def test_each_main_role_trusts_its_own_environment_and_the_stack_workflow_on_pushes_to_main_only(environment):
    conditions = _conditions(MAIN_PUSH_TRUST[environment])
    # Exact matches only: a StringLike anywhere could let another environment, ref, event or workflow in.
    assert conditions == {
        "StringEquals": {
            f"{CLAIM}:aud": "sts.amazonaws.com",
            f"{CLAIM}:sub": f"repo:OWNER/REPO:environment:{environment}:event_name:push",
            f"{CLAIM}:job_workflow_ref": f"{STACK_WORKFLOW}@refs/heads/main",
            f"{CLAIM}:ref": "refs/heads/main",
        }
    }


def test_no_deploy_role_admits_the_other_environment():
    for environment, name in DEPLOY_TRUST.items():
        text = json.dumps(_conditions(name))
        for other in set(DEPLOY_TRUST) - {environment}:
            assert f"environment:{other}" not in text
        assert "*" not in text


def test_the_preview_role_trusts_the_approved_preview_environment_of_pull_requests_only():
    conditions = _conditions("preview-role-trust-policy.json")
    assert conditions["StringEquals"] == {
        f"{CLAIM}:aud": "sts.amazonaws.com",
        f"{CLAIM}:sub": "repo:OWNER/REPO:environment:preview-staging:event_name:pull_request",
    }
    # Pull request runs carry the merge ref; the wildcard is the pull request number, nothing else.
    assert conditions["StringLike"] == {f"{CLAIM}:job_workflow_ref": f"{STACK_WORKFLOW}@refs/pull/*/merge"}


# ---- the boundary every role of the program carries ----


def _boundary_condition_arn() -> str:
    (statement,) = [
        s for s in document("deploy-role-policy.json")["Statement"] if "iam:CreateRole" in as_list(s["Action"])
    ]
    return statement["Condition"]["StringEquals"]["iam:PermissionsBoundary"]


def test_the_deploy_role_creates_and_widens_roles_only_with_the_boundary_on_them():
    arn = _boundary_condition_arn()
    for statement in document("deploy-role-policy.json")["Statement"]:
        actions = set(as_list(statement["Action"]))
        widening = {"iam:CreateRole", "iam:PutRolePolicy", "iam:AttachRolePolicy", "iam:PutRolePermissionsBoundary"}
        if statement["Effect"] == "Allow" and actions & widening:
            assert statement["Condition"] == {"StringEquals": {"iam:PermissionsBoundary": arn}}, statement["Sid"]
        assert not any(a in ("*", "iam:*") for a in actions), statement["Sid"]
    deploy = document("deploy-role-policy.json")
    assert not allows(deploy, "iam:DeleteRolePermissionsBoundary", "arn:aws:iam::ACCOUNT_ID:role/reporter-role-1")
    for change in ("iam:CreatePolicyVersion", "iam:SetDefaultPolicyVersion", "iam:DeletePolicy"):
        assert not allows(deploy, change, arn)
    for escalation in (
        "iam:CreateUser",
        "iam:CreateAccessKey",
        "iam:CreatePolicy",
        "iam:AttachUserPolicy",
        "sts:AssumeRole",
    ):
        assert not allows(deploy, escalation), escalation


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_the_stacks_ci_deploys_name_the_boundary_the_deploy_role_requires(stack, runs):
    policy_name = _boundary_condition_arn().rpartition(":policy/")[2]
    committed = json.loads(stack_config(stack)["analytics-collector:iam"])
    assert committed == {"permissionsBoundaryPolicy": policy_name}
    roles = runs[stack].of_type("aws:iam/role:Role")
    assert roles and {role.inputs.get("permissionsBoundary") for role in roles} == {
        f"arn:aws:iam::123456789012:policy/{policy_name}"
    }


def test_a_stack_without_the_setting_deploys_roles_without_a_boundary(runs):
    assert "analytics-collector:iam" not in stack_config("dev")
    assert all("permissionsBoundary" not in role.inputs for role in runs["dev"].of_type("aws:iam/role:Role"))


def test_the_boundary_allows_every_action_the_programs_roles_use_and_nothing_of_iam_or_sts(runs):
    boundary = document("permissions-boundary-policy.json")
    used = set()
    for run in runs.values():
        for policy in run.of_type("aws:iam/rolePolicy:RolePolicy"):
            for statement in json.loads(policy.inputs["policy"])["Statement"]:
                used |= set(as_list(statement["Action"]))
    assert used, "the program's role policies were not read"
    granted = {a for s in boundary["Statement"] for a in as_list(s["Action"])}
    assert granted == used, "the boundary grants exactly what the roles use, no more"
    assert not any(a.split(":")[0] in ("iam", "sts", "organizations") for a in granted)


def test_the_deploy_role_can_neither_attach_nor_detach_a_managed_policy():
    # The program attaches no managed policy, so none is attachable: a role holding AdministratorAccess would be
    # limited by its boundary alone.
    deploy = document("deploy-role-policy.json")
    for action in ("iam:AttachRolePolicy", "iam:DetachRolePolicy"):
        for role in (
            "arn:aws:iam::ACCOUNT_ID:role/reporter-role-1a2b3c4",
            "arn:aws:iam::ACCOUNT_ID:role/warehouse-delivery-role-1a2b3c4",
        ):
            assert not allows(deploy, action, role), (action, role)


# What each of the program's roles does at run time, on the resources it does it to (us-east-1, 123456789012).
ROLES_AT_WORK = [
    ("firehose:PutRecord", "arn:aws:firehose:us-east-1:123456789012:deliverystream/warehouse-stream-6ce43cf"),
    ("s3:PutObject", "arn:aws:s3:::warehouse-reports-3c6ef57/reports/dt=2026-01-01/x.gz"),
    ("s3:AbortMultipartUpload", "arn:aws:s3:::warehouse-reports-3c6ef57/errors/x.gz"),
    ("s3:ListBucket", "arn:aws:s3:::warehouse-reports-3c6ef57"),
    ("s3:GetBucketLocation", "arn:aws:s3:::warehouse-reports-3c6ef57"),
    ("s3:ListBucketMultipartUploads", "arn:aws:s3:::warehouse-reports-3c6ef57"),
    ("kms:GenerateDataKey", "arn:aws:kms:us-east-1:123456789012:key/k"),
    ("kms:Decrypt", "arn:aws:kms:us-east-1:123456789012:key/k"),
    (
        "logs:PutLogEvents",
        "arn:aws:logs:us-east-1:123456789012:log-group:/aws/kinesisfirehose/warehouse-prod:log-stream:S3Delivery",
    ),
    ("logs:CreateLogStream", "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/reporter-1:log-stream:a"),
    ("logs:PutLogEvents", "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/reporter-1:log-stream:a"),
    ("logs:CreateLogGroup", "arn:aws:logs:us-east-1:123456789012:log-group:API-Gateway-Execution-Logs_a1b2/v1"),
    (
        "logs:PutLogEvents",
        "arn:aws:logs:us-east-1:123456789012:log-group:/aws/apigateway/collector-prod/access:log-stream:s",
    ),
    ("logs:DescribeLogGroups", "*"),
    ("cloudwatch:GetMetricData", "*"),
    ("cloudwatch:ListMetrics", "*"),
    ("cloudwatch:PutMetricData", "*"),
    ("sqs:SendMessage", "arn:aws:sqs:us-east-1:123456789012:reporter-retries-12f133b"),
    ("sqs:SendMessage", "arn:aws:sqs:us-east-1:123456789012:reporter-dead-letters-5baf07e"),
    ("sqs:ReceiveMessage", "arn:aws:sqs:us-east-1:123456789012:reporter-retries-12f133b"),
    ("sqs:DeleteMessage", "arn:aws:sqs:us-east-1:123456789012:reporter-retries-12f133b"),
    ("lambda:InvokeFunction", "arn:aws:lambda:us-east-1:123456789012:function:reporter-function-aa11b4a"),
]
# What a role with AdministratorAccess attached would try beyond that: other projects' queues, buckets, state,
# functions and logs, the reporter's dead letters (failed reports), and another region.
BEYOND_THE_PROGRAM = [
    ("sqs:ReceiveMessage", "arn:aws:sqs:us-east-1:123456789012:orders"),
    ("sqs:ReceiveMessage", "arn:aws:sqs:us-east-1:123456789012:reporter-dead-letters-5baf07e"),
    ("s3:PutObject", "arn:aws:s3:::state-bucket/.pulumi/stacks/another-project/prod.json"),
    ("s3:PutObject", "arn:aws:s3:::warehouse-reports-3c6ef57/elsewhere/x"),
    ("s3:ListBucket", "arn:aws:s3:::state-bucket"),
    ("lambda:InvokeFunction", "arn:aws:lambda:us-east-1:123456789012:function:payments"),
    ("firehose:PutRecord", "arn:aws:firehose:us-east-1:123456789012:deliverystream/clickstream"),
    ("logs:PutLogEvents", "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/payments:log-stream:a"),
    ("kms:Decrypt", "arn:aws:kms:eu-west-1:123456789012:key/k"),
    ("sqs:SendMessage", "arn:aws:sqs:eu-west-1:123456789012:reporter-retries-12f133b"),
]


def test_the_boundary_reaches_the_programs_resources_and_nothing_beyond_them():
    boundary = filled("permissions-boundary-policy.json")
    assert [pair for pair in ROLES_AT_WORK if not allows(boundary, *pair)] == []
    assert [pair for pair in BEYOND_THE_PROGRAM if allows(boundary, *pair)] == []
    anywhere = {a for s in boundary["Statement"] if s["Resource"] == "*" for a in as_list(s["Action"])}
    assert anywhere == {
        "logs:DescribeLogGroups",
        "cloudwatch:GetMetricData",
        "cloudwatch:ListMetrics",
        "cloudwatch:PutMetricData",
    }
    by_action = {a: s.get("Condition") for s in boundary["Statement"] for a in as_list(s["Action"])}
    # A key is used only by S3 on the role's behalf; S3 ARNs name no account, so the condition does.
    assert by_action["kms:Decrypt"] == {"StringEquals": {"kms:ViaService": "s3.us-east-1.amazonaws.com"}}
    for action in ("s3:PutObject", "s3:ListBucket"):
        assert by_action[action] == {"StringEquals": {"aws:ResourceAccount": "123456789012"}}


def test_a_bad_boundary_setting_names_the_key_the_value_and_what_is_allowed():
    import pulumi

    from stack_config import StackConfigError, load_stack_config

    pulumi.runtime.set_all_config(stack_config_with("staging", iam={"permissionsBoundaryPolicy": "arn:aws:iam::1:x"}))
    with pytest.raises(StackConfigError) as raised:
        load_stack_config()
    message = str(raised.value)
    assert "analytics-collector:iam.permissionsBoundaryPolicy" in message and "arn:aws:iam::1:x" in message
    assert "an IAM policy name" in message


# ---- PassRole: the program's roles, to their own services ----


def _pass_role_grants() -> list[tuple[str, str]]:
    grants = []
    for statement in document("deploy-role-policy.json")["Statement"]:
        if statement["Effect"] == "Allow" and "iam:PassRole" in as_list(statement["Action"]):
            services = as_list(statement["Condition"]["StringEquals"]["iam:PassedToService"])
            grants += [(resource, service) for resource in as_list(statement["Resource"]) for service in services]
    return grants


def test_every_role_the_program_creates_is_passable_to_its_own_service_only(runs):
    grants = _pass_role_grants()
    seen = set()
    for run in runs.values():
        for role in run.of_type("aws:iam/role:Role"):
            arn = role.outputs["arn"].replace("123456789012", "ACCOUNT_ID")
            (trusted,) = [s["Principal"]["Service"] for s in json.loads(role.inputs["assumeRolePolicy"])["Statement"]]
            passable_to = {service for pattern, service in grants if fnmatch.fnmatchcase(arn, pattern)}
            assert passable_to == {trusted}, (role.name, passable_to)
            seen |= {pattern for pattern, _ in grants if fnmatch.fnmatchcase(arn, pattern)}
    assert seen == {pattern for pattern, _ in grants}, "a PassRole grant for a role the program never creates"
    assert all(
        pattern.startswith("arn:aws:iam::ACCOUNT_ID:role/") and pattern.endswith("-*") and pattern.count("*") == 1
        for pattern, _ in grants
    )


def test_the_deploy_role_manages_exactly_the_services_the_program_deploys(runs):
    types = set().union(*(run.types() for run in runs.values()))
    needed = set()
    for typ in types:
        provider, module = typ.split(":")[0], typ.split(":")[1].split("/")[0]
        if provider == "aws" and module != "iam":
            needed.add(SERVICE_OF_TYPE.get(typ, SERVICE_OF_MODULE.get(module, module)))
    granted = {
        action.split(":")[0]
        for s in document("deploy-role-policy.json")["Statement"]
        if s["Effect"] == "Allow"
        for action in as_list(s["Action"])
    }
    # IAM for the program's roles, STS for the account id; tests/test_deploy_role_actions.py checks each action.
    assert granted - {"iam", "sts"} == needed


# ---- the preview role reads no data ----

DATA_READS = (
    "s3:GetObject",
    "s3:GetObjectVersion",
    "logs:GetLogEvents",
    "logs:FilterLogEvents",
    "logs:StartQuery",
    "logs:GetQueryResults",
    "athena:GetQueryResults",
    "athena:StartQueryExecution",
    "secretsmanager:GetSecretValue",
    "ssm:GetParameter",
    "ssm:GetParameters",
    "kms:Decrypt",
    "sqs:ReceiveMessage",
    "firehose:DescribeDeliveryStream",
    "lambda:GetFunction",
    "glue:GetPartitions",
    "cloudwatch:GetMetricData",
    "dynamodb:GetItem",
    "iam:PassRole",
    "sts:AssumeRole",
)


def test_the_preview_role_reads_no_data_and_writes_nothing():
    preview = document("preview-role-policy.json")
    for statement in preview["Statement"]:
        assert statement["Effect"] == "Allow"
        assert all("*" not in action for action in as_list(statement["Action"])), statement["Sid"]
    state = "arn:aws:s3:::STATE_BUCKET/.pulumi/"
    for action in DATA_READS:
        for resource in (
            "*",
            "arn:aws:s3:::WAREHOUSE_BUCKET/reports/x.gz",
            "arn:aws:s3:::RESULTS_BUCKET/results/x",
            f"{state}stacks/analytics-collector/prod.json",
            "arn:aws:logs:us-east-1:1:log-group:x",
        ):
            assert not allows(preview, action, resource), (action, resource)
    # What it may read: its stack's state (STACK: staging for pull requests, prod for main's preview of prod) and
    # the backend's marker, and nothing in any other bucket.
    reads = {r for s in preview["Statement"] if "s3:GetObject" in as_list(s["Action"]) for r in as_list(s["Resource"])}
    assert reads == {f"{state}meta.yaml", f"{state}stacks/analytics-collector/STACK.json*"}
    # A preview never takes the stack's lock (Pulumi's DIY backend locks in update, refresh, import and destroy, not
    # in preview): a role that could write the lock could block or break a live `up` of staging.
    granted = {a for s in preview["Statement"] for a in as_list(s["Action"])}
    assert granted == {"sts:GetCallerIdentity", "s3:ListBucket", "s3:GetObject"}
    for action in ("s3:PutObject", "s3:DeleteObject"):
        assert not allows(preview, action, "arn:aws:s3:::STATE_BUCKET/.pulumi/locks/analytics-collector/staging/1.json")
    (listing,) = [s for s in preview["Statement"] if "s3:ListBucket" in as_list(s["Action"])]
    assert not any("locks" in prefix for prefix in listing["Condition"]["StringLike"]["s3:prefix"])
    assert allows(preview, "sts:GetCallerIdentity")


def test_the_stack_state_paths_name_this_project():
    project = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())["name"]
    text = (OIDC / "preview-role-policy.json").read_text()
    named = re.findall(r"\.pulumi/stacks/([^/\"]+)/STACK\.json", text)
    assert len(named) == 2 and set(named) == {project}, named


@pytest.mark.parametrize(
    "name", ["deploy-role-policy.json", "permissions-boundary-policy.json", "preview-role-policy.json"]
)
def test_the_policies_pass_parliament_once_their_placeholders_are_filled(name):
    policy = filled(name)
    found = findings_above_low(policy, trust=False)
    # parliament warns that a role which may write a bucket's policy or lifecycle could grant itself what it lacks
    # on the objects; the explicit Deny of those object actions is what a resource policy cannot override.
    closed = [f for f in found if f[0] == "RESOURCE_POLICY_PRIVILEGE_ESCALATION" and _denied_on_objects(policy, f[2])]
    assert [f for f in found if f not in closed] == []
    assert not closed or name == "deploy-role-policy.json"


def _denied_on_objects(policy: dict, detail: str) -> bool:
    bucket, action = re.search(r"on (arn:aws:s3:::\S+) due to (s3:\w+) not", detail).groups()
    objects = bucket.replace("*", "1a2b3c4") + "/reports/x.gz"
    return any(
        s["Effect"] == "Deny"
        and action in as_list(s["Action"])
        and any(fnmatch.fnmatchcase(objects, r) for r in as_list(s["Resource"]))
        for s in policy["Statement"]
    )
