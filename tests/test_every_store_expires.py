"""The README's promise that every store expires what it holds, checked over each stack as a whole.

Each resource type a stack registers is either a store, whose bound is checked here, or a type that holds nothing a
report or a caller sent. A new type fails the first test until it is classified, so a store cannot slip in unbounded.
"""

import json

import pytest

from policy.properties import as_list
from tests.support.policy_statements import policy_statements
from tests.support.shared_runs import shared_run
from tooling.mocked_program.pulumi_mocks import STACKS, mock_id, stack_config

# Where a report's content, or a line about a request, can come to rest.
STORES = {
    "aws:s3/bucket:Bucket": "objects, expired by the bucket's lifecycle rules",
    "aws:cloudwatch/logGroup:LogGroup": "log events, expired by the group's retention",
    "aws:sqs/queue:Queue": "failed reporter runs, expired by the queue's message retention",
    "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream": "records in its buffer until delivered to S3",
}
# Spelled out, with why each holds nothing to expire.
HOLDS_NOTHING = {
    "aws:apigateway/deployment:Deployment": "a snapshot of the API's configuration",
    "aws:apigateway/integration:Integration": "configuration",
    "aws:apigateway/integrationResponse:IntegrationResponse": "configuration",
    "aws:apigateway/method:Method": "configuration",
    "aws:apigateway/methodResponse:MethodResponse": "configuration",
    "aws:apigateway/methodSettings:MethodSettings": "configuration",
    "aws:apigateway/model:Model": "the report schema",
    "aws:apigateway/requestValidator:RequestValidator": "configuration",
    "aws:apigateway/resource:Resource": "a path",
    "aws:apigateway/response:Response": "a gateway response template",
    "aws:apigateway/restApi:RestApi": "configuration",
    "aws:apigateway/stage:Stage": "configuration; its logs go to log groups checked here",
    "aws:athena/namedQuery:NamedQuery": "SQL text",
    "aws:athena/workgroup:Workgroup": "configuration; its results go to a bucket checked here",
    "aws:cloudwatch/dashboard:Dashboard": "a layout of aggregate metrics",
    "aws:cloudwatch/logStream:LogStream": "a name; its events are the log group's",
    "aws:cloudwatch/metricAlarm:MetricAlarm": "a threshold and a state",
    "aws:glue/catalogDatabase:CatalogDatabase": "metadata",
    "aws:glue/catalogTable:CatalogTable": "the table's columns; its rows are the bucket's objects",
    "aws:iam/role:Role": "permissions",
    "aws:iam/rolePolicy:RolePolicy": "permissions",
    "aws:lambda/function:Function": "code; its logs go to a log group checked here",
    "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig": "retry settings; failures go to a queue",
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": "rules",
    "aws:sqs/queuePolicy:QueuePolicy": "permissions",
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": "a setting",
    "aws:s3/bucketPolicy:BucketPolicy": "permissions",
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": "a setting",
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": "a setting",
    "aws:s3/bucketVersioning:BucketVersioning": "a setting; old versions are expired by lifecycle rules",
    "aws:scheduler/schedule:Schedule": "a schedule and a fixed input",
    "aws:wafv2/webAcl:WebAcl": "rules; no logging configuration is registered",
    "aws:wafv2/webAclAssociation:WebAclAssociation": "a link",
    "random:index/randomUuid:RandomUuid": "the deployment's own random id, held in the stack's state",
}
FOURTEEN_DAYS = 1_209_600  # SQS's own ceiling: a queue set above it is refused
FIREHOSE_MAX_BUFFER_SECONDS = 900


def program(stack):
    """The stack with its reporter on (prod opts out in its committed config), so the reporter's stores count too."""
    config = stack_config(stack)
    config.pop("analytics-collector:metricsConfig", None)
    return shared_run(stack, config)


@pytest.fixture(params=STACKS)
def stack(request):
    return request.param


def test_every_registered_type_is_a_store_or_holds_nothing(stack):
    run = program(stack)
    registered = {r.typ for r in run.resources if r.custom}
    assert STORES.keys() <= registered, "a store this test checks is no longer registered: update STORES"
    unclassified = registered - STORES.keys() - HOLDS_NOTHING.keys()
    assert not unclassified, f"classify each new type as a store (and check its bound) or not: {sorted(unclassified)}"


def _expiring_prefixes(lifecycle):
    return [
        rule["filter"]["prefix"]
        for rule in lifecycle.inputs["rules"]
        if rule["status"] == "Enabled" and rule.get("expiration", {}).get("days")
    ]


def _writable_prefixes(run, arn):
    """The key prefixes anyone may put objects under: the bucket policy's sole writer and that writer's grants."""
    statements = policy_statements(run)
    deny = [
        s
        for s in statements
        if s["Effect"] == "Deny" and "s3:PutObject" in as_list(s["Action"]) and as_list(s["Resource"]) == [f"{arn}/*"]
    ]
    if not deny:
        return None  # any principal the account allows may write anywhere
    (writer,) = deny[0]["Condition"]["ArnNotEquals"].values()
    role_name = writer.rsplit("/", 1)[1]
    (role,) = [r for r in run.of_type("aws:iam/role:Role") if r.outputs.get("name") == role_name]
    granted = [
        resource
        for r in run.of_type("aws:iam/rolePolicy:RolePolicy")
        if r.inputs["role"] in (role.outputs.get("name"), mock_id(role.name))
        for s in json.loads(r.inputs["policy"])["Statement"]
        if s["Effect"] == "Allow" and "s3:PutObject" in as_list(s["Action"])
        for resource in as_list(s["Resource"])
        if resource.startswith(f"{arn}/")
    ]
    assert all(g.endswith("/*") for g in granted), granted
    return [g[len(arn) + 1 : -1] for g in granted]


def test_every_object_a_bucket_can_hold_expires(stack):
    run = program(stack)
    buckets = run.of_type("aws:s3/bucket:Bucket")
    assert len(buckets) == 2
    for bucket in buckets:
        (lifecycle,) = [
            r
            for r in run.of_type("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration")
            if r.inputs["bucket"] == mock_id(bucket.name)
        ]
        expiring = _expiring_prefixes(lifecycle)
        if "" in expiring:
            continue
        writable = _writable_prefixes(run, bucket.outputs["arn"])
        assert writable, f"{bucket.name}: anyone allowed may write any key, and no rule expires every key"
        for prefix in writable:
            assert any(prefix.startswith(p) for p in expiring), f"{bucket.name}: objects under {prefix!r} never expire"


def test_old_versions_and_unfinished_uploads_expire_in_every_bucket(stack):
    run = program(stack)
    for lifecycle in run.of_type("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"):
        everywhere = [r for r in lifecycle.inputs["rules"] if r["filter"]["prefix"] == "" and r["status"] == "Enabled"]
        assert any(r.get("noncurrentVersionExpiration", {}).get("noncurrentDays") for r in everywhere), lifecycle.name
        assert any(r.get("abortIncompleteMultipartUpload", {}).get("daysAfterInitiation") for r in everywhere), (
            lifecycle.name
        )


def _log_group(run, reference):
    for group in run.of_type("aws:cloudwatch/logGroup:LogGroup"):
        if reference in (group.outputs.get("name"), group.outputs.get("arn"), group.inputs.get("name")):
            return group
    raise AssertionError(f"logs go to {reference!r}, a group no resource precreates: it would keep them forever")


def test_every_log_destination_is_a_precreated_group_that_expires(stack):
    run = program(stack)
    destinations = [f.inputs["loggingConfig"]["logGroup"] for f in run.of_type("aws:lambda/function:Function")]
    destinations += [
        s.inputs["extendedS3Configuration"]["cloudwatchLoggingOptions"]["logGroupName"]
        for s in run.of_type("aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream")
    ]
    for stage in run.of_type("aws:apigateway/stage:Stage"):
        destinations.append(stage.inputs["accessLogSettings"]["destinationArn"])
        logging = [
            m
            for m in run.of_type("aws:apigateway/methodSettings:MethodSettings")
            if m.inputs["settings"].get("loggingLevel", "OFF") != "OFF"
        ]
        if logging:
            # API Gateway writes execution logs to a group of this fixed name, creating it without retention if absent.
            destinations.append(f"API-Gateway-Execution-Logs_{stage.inputs['restApi']}/{stage.inputs['stageName']}")
    assert len(destinations) >= 3
    for destination in destinations:
        retention = _log_group(run, destination).inputs.get("retentionInDays")
        assert retention and retention > 0, f"{destination}: no retention, kept forever"


def test_every_queue_states_its_retention(stack):
    queues = program(stack).of_type("aws:sqs/queue:Queue")
    assert queues
    for queue in queues:
        assert 0 < queue.inputs.get("messageRetentionSeconds", 0) <= FOURTEEN_DAYS, queue.name


def test_firehose_holds_a_record_no_longer_than_its_buffer(stack):
    for stream in program(stack).of_type("aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream"):
        assert 0 < stream.inputs["extendedS3Configuration"]["bufferingInterval"] <= FIREHOSE_MAX_BUFFER_SECONDS
