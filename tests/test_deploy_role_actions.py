"""The deploy role's actions (.github/aws-oidc/deploy-role-policy.json): named control-plane actions only, each
scoped to the ARNs of the program's own resources, `*` only where AWS defines no resource for the action, and no
read of the data plane: not granted, and explicitly denied so that no bucket, key or queue policy the role writes
can grant it back."""

import fnmatch
import functools
import json
import os
import re
import warnings

import pytest
import yaml

from tests.support import docs
from tests.support.shared_runs import shared_run
from tests.test_ci_roles import EVERYTHING_ON, OIDC, ROOT, allows, as_list, filled
from tooling.mocked_program.pulumi_mocks import ACCOUNT, REGION, mock_id, stack_config_with

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # parliament opens its config without closing it, at import
    import parliament

# The call that creates each resource type the program registers, and the ARN IAM authorises it on, in AWS's
# format. `{key}` is the resource's input of that name (a reference to another resource reads as that resource's
# name); `{name}` is the resource's own physical name. API Gateway authorises REST calls by HTTP verb on a path.
APIGATEWAY = "arn:aws:apigateway:{region}::"
REST_API = APIGATEWAY + "/restapis/{restApi}"
METHOD = REST_API + "/resources/r/methods/POST"
STAGE = APIGATEWAY + "/restapis/api-id/stages/{resourceArn}"
CREATE_CALLS = {
    "aws:apigateway/account:Account": [("apigateway:PATCH", APIGATEWAY + "/account")],
    "aws:apigateway/basePathMapping:BasePathMapping": [
        ("apigateway:POST", APIGATEWAY + "/domainnames/{domainName}/basepathmappings")
    ],
    "aws:apigateway/deployment:Deployment": [("apigateway:POST", REST_API + "/deployments")],
    "aws:apigateway/domainName:DomainName": [("apigateway:POST", APIGATEWAY + "/domainnames")],
    "aws:apigateway/integration:Integration": [("apigateway:PUT", METHOD + "/integration")],
    "aws:apigateway/integrationResponse:IntegrationResponse": [
        ("apigateway:PUT", METHOD + "/integration/responses/200")
    ],
    "aws:apigateway/method:Method": [("apigateway:PUT", METHOD)],
    "aws:apigateway/methodResponse:MethodResponse": [("apigateway:PUT", METHOD + "/responses/200")],
    "aws:apigateway/methodSettings:MethodSettings": [("apigateway:PATCH", REST_API + "/stages/{stageName}")],
    "aws:apigateway/model:Model": [("apigateway:POST", REST_API + "/models")],
    "aws:apigateway/requestValidator:RequestValidator": [("apigateway:POST", REST_API + "/requestvalidators")],
    "aws:apigateway/resource:Resource": [("apigateway:POST", REST_API + "/resources/r")],
    "aws:apigateway/response:Response": [
        ("apigateway:PUT", APIGATEWAY + "/restapis/{restApiId}/gatewayresponses/DEFAULT_4XX")
    ],
    "aws:apigateway/restApi:RestApi": [("apigateway:POST", APIGATEWAY + "/restapis")],
    "aws:apigateway/stage:Stage": [("apigateway:POST", REST_API + "/stages")],
    "aws:athena/namedQuery:NamedQuery": [
        ("athena:CreateNamedQuery", "arn:aws:athena:{region}:{account}:workgroup/{workgroup}")
    ],
    "aws:athena/workgroup:Workgroup": [
        ("athena:CreateWorkGroup", "arn:aws:athena:{region}:{account}:workgroup/{name}")
    ],
    "aws:cloudwatch/dashboard:Dashboard": [
        ("cloudwatch:PutDashboard", "arn:aws:cloudwatch::{account}:dashboard/{dashboardName}")
    ],
    "aws:cloudwatch/logGroup:LogGroup": [("logs:CreateLogGroup", "arn:aws:logs:{region}:{account}:log-group:{name}")],
    "aws:cloudwatch/logStream:LogStream": [
        ("logs:CreateLogStream", "arn:aws:logs:{region}:{account}:log-group:{logGroupName}:log-stream:{name}")
    ],
    "aws:cloudwatch/metricAlarm:MetricAlarm": [
        ("cloudwatch:PutMetricAlarm", "arn:aws:cloudwatch:{region}:{account}:alarm:{name}")
    ],
    "aws:glue/catalogDatabase:CatalogDatabase": [
        ("glue:CreateDatabase", "arn:aws:glue:{region}:{account}:database/{name}")
    ],
    "aws:glue/catalogTable:CatalogTable": [
        ("glue:CreateTable", "arn:aws:glue:{region}:{account}:database/{databaseName}"),
        ("glue:CreateTable", "arn:aws:glue:{region}:{account}:table/{databaseName}/{name}"),
    ],
    "aws:iam/role:Role": [("iam:CreateRole", "arn:aws:iam::{account}:role/{name}")],
    "aws:iam/rolePolicy:RolePolicy": [("iam:PutRolePolicy", "arn:aws:iam::{account}:role/{role}")],
    "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream": [
        ("firehose:CreateDeliveryStream", "arn:aws:firehose:{region}:{account}:deliverystream/{name}")
    ],
    "aws:kms/key:Key": [("kms:CreateKey", "*"), ("kms:PutKeyPolicy", "arn:aws:kms:{region}:{account}:key/key-id")],
    "aws:lambda/function:Function": [("lambda:CreateFunction", "arn:aws:lambda:{region}:{account}:function:{name}")],
    "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig": [
        ("lambda:PutFunctionEventInvokeConfig", "arn:aws:lambda:{region}:{account}:function:{functionName}")
    ],
    "aws:route53/record:Record": [("route53:ChangeResourceRecordSets", "arn:aws:route53:::hostedzone/{zoneId}")],
    "aws:s3/bucket:Bucket": [("s3:CreateBucket", "arn:aws:s3:::{name}")],
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": [
        ("s3:PutLifecycleConfiguration", "arn:aws:s3:::{bucket}")
    ],
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": [
        ("s3:PutBucketOwnershipControls", "arn:aws:s3:::{bucket}")
    ],
    "aws:s3/bucketPolicy:BucketPolicy": [("s3:PutBucketPolicy", "arn:aws:s3:::{bucket}")],
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": [
        ("s3:PutBucketPublicAccessBlock", "arn:aws:s3:::{bucket}")
    ],
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": [
        ("s3:PutEncryptionConfiguration", "arn:aws:s3:::{bucket}")
    ],
    "aws:s3/bucketVersioning:BucketVersioning": [("s3:PutBucketVersioning", "arn:aws:s3:::{bucket}")],
    "aws:scheduler/schedule:Schedule": [
        ("scheduler:CreateSchedule", "arn:aws:scheduler:{region}:{account}:schedule/default/{name}")
    ],
    "aws:sns/topic:Topic": [("sns:CreateTopic", "arn:aws:sns:{region}:{account}:{name}")],
    "aws:sns/topicPolicy:TopicPolicy": [("sns:SetTopicAttributes", "arn:aws:sns:{region}:{account}:{arn}")],
    "aws:sns/topicSubscription:TopicSubscription": [("sns:Subscribe", "arn:aws:sns:{region}:{account}:{topic}")],
    "aws:sqs/queue:Queue": [("sqs:CreateQueue", "arn:aws:sqs:{region}:{account}:{name}")],
    "aws:sqs/queuePolicy:QueuePolicy": [("sqs:SetQueueAttributes", "arn:aws:sqs:{region}:{account}:{queueUrl}")],
    "aws:wafv2/webAcl:WebAcl": [
        ("wafv2:CreateWebACL", "arn:aws:wafv2:{region}:{account}:regional/webacl/{name}/acl-id")
    ],
    "aws:wafv2/webAclAssociation:WebAclAssociation": [
        ("wafv2:AssociateWebACL", "arn:aws:wafv2:{region}:{account}:regional/webacl/{webAclArn}/acl-id"),
        ("wafv2:AssociateWebACL", STAGE),
        ("apigateway:SetWebACL", STAGE),
    ],
}
# What a deploy credential must never do to the data: read reports, query results, logs or dead letters, decrypt,
# or write records. Each is tried on the resources that hold the data.
DATA_PLANE = (
    "s3:GetObject",
    "s3:GetObjectVersion",
    "s3:GetObjectAttributes",
    "s3:PutObject",
    "s3:DeleteObject",
    "s3:DeleteObjectVersion",
    "logs:GetLogEvents",
    "logs:FilterLogEvents",
    "logs:StartQuery",
    "logs:GetQueryResults",
    "logs:StartLiveTail",
    "athena:GetQueryResults",
    "athena:StartQueryExecution",
    "kms:Decrypt",
    "sqs:ReceiveMessage",
    "firehose:PutRecord",
    "firehose:PutRecordBatch",
    "lambda:InvokeFunction",
)
DATA = (
    "arn:aws:s3:::warehouse-reports-3c6ef57/reports/dt=2026-01-01/x.gz",
    "arn:aws:s3:::catalog-results-a2a0258/results/q.csv",
    f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/aws/lambda/reporter-x:log-stream:s",
    f"arn:aws:athena:{REGION}:{ACCOUNT}:workgroup/analytics-collector-prod",
    f"arn:aws:kms:{REGION}:{ACCOUNT}:key/key-id",
    f"arn:aws:sqs:{REGION}:{ACCOUNT}:reporter-dead-letters-5baf07e",
    f"arn:aws:firehose:{REGION}:{ACCOUNT}:deliverystream/warehouse-stream-6ce43cf",
    f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:reporter-function-aa11b4a",
)
STATE_OBJECTS = "arn:aws:s3:::state-bucket/.pulumi/"


def deploy_policy() -> dict:
    policy = filled("deploy-role-policy.json")
    assert f":{REGION}:{ACCOUNT}:" in json.dumps(policy), "the mocked program's region and account fill the policy"
    return policy


def allow_statements(policy: dict) -> list[dict]:
    return [s for s in policy["Statement"] if s["Effect"] == "Allow"]


@functools.cache
def runs():
    return {
        **{stack: shared_run(stack) for stack in ("dev", "staging", "prod")},
        "everything": shared_run("dev", stack_config_with("dev", **EVERYTHING_ON)),
    }


def arns_of(run) -> list[tuple[str, str, str]]:
    """(resource, action, ARN) for each create call of each AWS resource the run registers."""
    physical = {mock_id(r.name): _physical(r) for r in run.resources}

    def field(value) -> str:
        value = physical.get(value, value)
        # A URL or an ARN another resource's output stands for: its last segment is the resource's name.
        return value.rsplit("/", 1)[-1] if value.startswith("https://") else value.rsplit(":", 1)[-1]

    calls = []
    for resource in run.resources:
        if resource.typ.startswith("aws:"):
            values = {k: field(v) for k, v in resource.inputs.items() if isinstance(v, str)}
            values.update(name=_physical(resource), region=REGION, account=ACCOUNT)
            calls += [
                (resource.name, action, arn.format(**values)) for action, arn in CREATE_CALLS.get(resource.typ, [])
            ]
    return calls


def _physical(resource) -> str:
    """The name AWS knows it by: given, or the prefix plus what the provider appends, or Pulumi's auto-name."""
    inputs = resource.inputs
    if isinstance(inputs.get("namePrefix"), str):
        return inputs["namePrefix"] + "20260101000000000000000001"
    return inputs.get("name") or resource.outputs.get("bucket") or resource.outputs["name"]


def test_every_resource_type_the_program_registers_has_its_create_call_listed():
    registered = {r.typ for run in runs().values() for r in run.resources if r.typ.startswith("aws:")}
    missing = sorted(registered - set(CREATE_CALLS))
    assert missing == [], f"add {missing} to CREATE_CALLS and its control-plane actions to deploy-role-policy.json"
    assert not set(CREATE_CALLS) - registered, "a create call for a type the program no longer registers"


@pytest.mark.parametrize("run_name", ["dev", "staging", "prod", "everything"])
def test_the_deploy_role_may_create_each_resource_the_program_registers_under_its_own_arn(run_name):
    policy = deploy_policy()
    calls = arns_of(runs()[run_name])
    assert len(calls) > 40
    assert [c for c in calls if not allows(policy, c[1], c[2])] == []


def test_the_deploy_role_could_not_touch_a_resource_outside_the_programs_names_or_region():
    policy = deploy_policy()
    assert allows(policy, "s3:CreateBucket", "arn:aws:s3:::warehouse-reports-x")
    elsewhere = f"arn:aws:lambda:eu-west-1:{ACCOUNT}:function:reporter-function-1"
    for action, arn in [
        ("s3:CreateBucket", "arn:aws:s3:::someone-elses-bucket"),
        ("s3:PutBucketPolicy", "arn:aws:s3:::state-bucket"),
        ("lambda:CreateFunction", f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:miner"),
        ("lambda:UpdateFunctionCode", elsewhere),
        ("logs:DeleteLogGroup", f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/aws/lambda/other"),
        ("sqs:DeleteQueue", f"arn:aws:sqs:{REGION}:{ACCOUNT}:orders"),
        ("glue:DeleteTable", f"arn:aws:glue:{REGION}:{ACCOUNT}:table/finance/ledger"),
    ]:
        assert not allows(policy, action, arn), (action, arn)


def test_no_statement_grants_a_wildcard_action():
    for statement in allow_statements(deploy_policy()):
        assert all("*" not in action for action in as_list(statement["Action"])), statement["Sid"]


@functools.cache
def _resource_types() -> dict[str, list[str]]:
    """IAM's resource types per action, from parliament's copy of the Service Authorization Reference."""
    with open(os.path.join(os.path.dirname(parliament.__file__), "iam_definition.json")) as f:
        services = json.load(f)
    return {
        f"{s['prefix']}:{p['privilege']}": [r["resource_type"] for r in p["resource_types"] if r["resource_type"]]
        for s in services
        for p in s["privileges"]
    }


def test_star_resources_only_for_actions_aws_defines_no_resource_for():
    for statement in allow_statements(deploy_policy()):
        if "*" in as_list(statement["Resource"]):
            assert statement["Resource"] == "*", statement["Sid"]
            scoped = [a for a in as_list(statement["Action"]) if _resource_types()[a]]
            assert scoped == [], f"{statement['Sid']}: these actions take a resource ARN: {scoped}"


@pytest.mark.parametrize("action", DATA_PLANE)
def test_the_deploy_role_neither_grants_nor_can_be_granted_a_data_plane_action(action):
    policy = deploy_policy()
    granted = {"Statement": allow_statements(policy)}
    denies = [s for s in policy["Statement"] if s["Effect"] == "Deny" and action in as_list(s["Action"])]
    resources = [r for r in DATA if r.split(":")[2] == action.split(":")[0]]
    assert resources, f"DATA names no {action.split(':')[0]} resource to try {action} on"
    for resource in resources:
        # Not granted even before the Deny: the Deny is a second wall, not the only one.
        assert not allows(granted, action, resource), (action, resource)
        # The explicit deny is what stops a bucket, key or queue policy the role writes granting it back.
        assert any(r == "*" or fnmatch.fnmatchcase(resource, r) for s in denies for r in as_list(s["Resource"])), (
            action,
            resource,
        )


def test_the_deploy_role_reads_and_writes_this_projects_state_only():
    project = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())["name"]
    policy = deploy_policy()
    for action in ("s3:GetObject", "s3:PutObject", "s3:DeleteObject"):
        assert allows(policy, action, f"{STATE_OBJECTS}stacks/{project}/prod.json")
        assert allows(policy, action, f"{STATE_OBJECTS}locks/{project}/prod/1.json")
        assert not allows(policy, action, f"{STATE_OBJECTS}stacks/another-project/prod.json")
        assert not allows(policy, action, "arn:aws:s3:::state-bucket/elsewhere")


def test_the_stacks_ci_deploys_name_the_region_the_policy_is_filled_with():
    # docs/ci-cd.md fills REGION from the stack's aws:region: a stack without one would get a policy for no region.
    for stack in ("staging", "prod"):
        assert yaml.safe_load((ROOT / f"Pulumi.{stack}.yaml").read_text())["config"]["aws:region"]
    assert "REGION" in (OIDC / "deploy-role-policy.json").read_text()


def test_the_deploy_role_cannot_empty_a_bucket_that_holds_reports():
    # docs/ci-cd.md: no s3:DeleteObject or s3:ListBucketVersions, so `pulumi destroy` stops at BucketNotEmpty.
    policy = deploy_policy()
    for bucket in ("arn:aws:s3:::warehouse-reports-3c6ef57", "arn:aws:s3:::catalog-results-a2a0258"):
        assert not allows(policy, "s3:ListBucketVersions", bucket)
        for action in ("s3:DeleteObject", "s3:DeleteObjectVersion"):
            assert not allows(policy, action, f"{bucket}/reports/x.gz"), (action, bucket)


def test_the_denies_the_docs_name_are_the_policys():
    # Names a reader looks up in the policy, checked as the docs' paths and links are; how many the prose names is
    # its own business.
    named = set(re.findall(r"`(Never\w+)`", docs.section("What the deploy role cannot do, and what it still can")))
    denies = {s["Sid"] for s in deploy_policy()["Statement"] if s["Effect"] == "Deny"}
    assert named and named <= denies, (named, denies)


def _conditions_granting(policy: dict, action: str) -> list:
    return [s.get("Condition") for s in allow_statements(policy) if action in as_list(s["Action"])]


def test_the_deploy_role_administers_only_keys_tagged_as_the_programs_and_creates_keys_only_so_tagged():
    policy = deploy_policy()
    tagged = {"StringEquals": {"aws:ResourceTag/analytics-collector": "alarm-key"}}
    for action in ("kms:PutKeyPolicy", "kms:ScheduleKeyDeletion", "kms:DisableKey", "kms:UntagResource"):
        assert _conditions_granting(policy, action) == [tagged], action
    tagging = {"StringEquals": {"aws:RequestTag/analytics-collector": "alarm-key"}}
    assert _conditions_granting(policy, "kms:CreateKey") == [tagging]
    assert _conditions_granting(policy, "kms:TagResource") == [tagging]
    (key,) = runs()["everything"].of_type("aws:kms/key:Key")
    assert key.inputs["tags"] == {"analytics-collector": "alarm-key"}


def test_the_deploy_role_changes_records_in_the_configured_zone_only():
    policy = deploy_policy()
    assert allows(policy, "route53:ChangeResourceRecordSets", "arn:aws:route53:::hostedzone/Z0123456789ABC")
    for zone in ("arn:aws:route53:::hostedzone/ZOTHERZONE1", "arn:aws:route53:::hostedzone/Z0123456789ABCD"):
        assert not allows(policy, "route53:ChangeResourceRecordSets", zone), zone
