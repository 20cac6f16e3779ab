"""Per-resource rules for the services around the collector: encryption at rest, metrics, retention, Lambda."""

from __future__ import annotations

from policy.properties import get_path
from policy.rule_kit import resource_rule

FIREHOSE_STREAMS = ("aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream",)
ATHENA_WORKGROUPS = ("aws:athena/workgroup:Workgroup",)
LAMBDA_PERMISSIONS = ("aws:lambda/permission:Permission",)
LAMBDA_FUNCTION_URLS = ("aws:lambda/functionUrl:FunctionUrl",)
LAMBDA_FUNCTIONS = ("aws:lambda/function:Function",)
LOG_GROUPS = ("aws:cloudwatch/logGroup:LogGroup",)
SNS_TOPICS = ("aws:sns/topic:Topic",)
SQS_QUEUES = ("aws:sqs/queue:Queue",)
SCHEDULES = ("aws:scheduler/schedule:Schedule",)

# Runtimes past their deprecation date by late 2026 are left out (python3.10 and older, nodejs20.x, dotnet8,
# everything on Amazon Linux 2). Review this list when AWS publishes new deprecation dates.
SUPPORTED_RUNTIMES = (
    "python3.11",
    "python3.12",
    "python3.13",
    "python3.14",
    "nodejs22.x",
    "nodejs24.x",
    "java17",
    "java21",
    "java25",
    "dotnet10",
    "ruby3.3",
    "ruby3.4",
    "provided.al2023",
)


def _firehose_encrypted(props, _config):
    if get_path(props, "serverSideEncryption", "enabled") is not True:
        yield "server-side encryption at rest is off (serverSideEncryption.enabled)"


def _athena_metrics(props, _config):
    if get_path(props, "configuration", "publishCloudwatchMetricsEnabled") is not True:
        yield "the workgroup does not publish CloudWatch metrics (configuration.publishCloudwatchMetricsEnabled)"


def _lambda_permission_not_public(props, _config):
    principal = props.get("principal")
    if principal == "*":
        yield "invocation is allowed to principal '*', which is public"
    elif str(principal).endswith(".amazonaws.com") and not (props.get("sourceArn") or props.get("sourceAccount")):
        yield (
            f"service principal {principal} may invoke on behalf of any account or resource: set sourceArn "
            "(or sourceAccount)"
        )
    if props.get("functionUrlAuthType") == "NONE":
        yield "grants an unauthenticated function URL"


def _function_url_authenticated(props, _config):
    if props.get("authorizationType") != "AWS_IAM":
        yield "the function URL accepts unauthenticated calls (authorizationType NONE)"


def _supported_runtime(props, _config):
    if props.get("packageType") == "Image":
        return
    runtime = props.get("runtime")
    if runtime not in SUPPORTED_RUNTIMES:
        yield f"runtime {runtime!r} is not a supported runtime ({', '.join(SUPPORTED_RUNTIMES)})"


def _log_retention(props, _config):
    days = props.get("retentionInDays")
    if not isinstance(days, (int, float)) or days <= 0:
        yield "log events are kept forever (retentionInDays unset)"


def _topic_encrypted(props, _config):
    if not props.get("kmsMasterKeyId"):
        yield "the topic is not encrypted at rest (kmsMasterKeyId)"


def _queue_encrypted(props, _config):
    # Unset means SQS-managed encryption, AWS's default for new queues; only an explicit opt-out fails.
    if props.get("sqsManagedSseEnabled") is False and not props.get("kmsMasterKeyId"):
        yield "the queue is not encrypted at rest (sqsManagedSseEnabled false and no kmsMasterKeyId)"


def _schedule_dead_letters(props, _config):
    if not get_path(props, "target", "deadLetterConfig", "arn"):
        yield (
            "an invocation Scheduler cannot deliver is dropped without a trace: no dead-letter queue "
            "(target.deadLetterConfig.arn)"
        )


POLICIES = [
    resource_rule(
        "firehose-encrypted-at-rest",
        "Firehose delivery streams encrypt data at rest.",
        FIREHOSE_STREAMS,
        _firehose_encrypted,
        control="DataFirehose.1",
    ),
    resource_rule(
        "athena-workgroup-metrics",
        "Athena workgroups publish CloudWatch metrics.",
        ATHENA_WORKGROUPS,
        _athena_metrics,
        control="Athena.4",
    ),
    resource_rule(
        "lambda-not-public",
        "No Lambda permission or function URL lets the public invoke a function.",
        LAMBDA_PERMISSIONS,
        _lambda_permission_not_public,
        control="Lambda.1",
    ),
    resource_rule(
        "lambda-function-url-authenticated",
        "Lambda function URLs require IAM authentication.",
        LAMBDA_FUNCTION_URLS,
        _function_url_authenticated,
        control="Lambda.1",
    ),
    resource_rule(
        "lambda-supported-runtime",
        "Lambda functions use a supported runtime.",
        LAMBDA_FUNCTIONS,
        _supported_runtime,
        control="Lambda.2",
    ),
    resource_rule(
        "log-group-retention", "Every log group has a retention period (bounded retention).", LOG_GROUPS, _log_retention
    ),
    resource_rule(
        "sns-topic-encrypted",
        "SNS topics are encrypted at rest with KMS.",
        SNS_TOPICS,
        _topic_encrypted,
        control="SNS.1",
    ),
    resource_rule(
        "sqs-queue-encrypted", "SQS queues are encrypted at rest.", SQS_QUEUES, _queue_encrypted, control="SQS.1"
    ),
    resource_rule(
        "scheduler-dead-letter-queue",
        "EventBridge Scheduler schedules keep the invocations they could not deliver in a dead-letter queue.",
        SCHEDULES,
        _schedule_dead_letters,
    ),
]
