"""CollectorMonitoring: alarms that tell operators when reports fail or stop arriving, and one dashboard.

Alarms notify an SNS topic only when `monitoring.alarmEmail` is set; the topic is encrypted with its own
KMS key, because CloudWatch cannot publish to a topic under the AWS-managed SNS key.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import pulumi
import pulumi_aws as aws

from components import iam_policies
from components.alarm_spec import AlarmSpec, Comparison, Metric, MetricMath
from components.collector_dashboard import (
    API,
    ATHENA,
    CLIENT_ERRORS,
    DELIVERY_SUCCESS,
    FIREHOSE,
    FRESHNESS,
    INCOMING,
    LATENCY,
    QUERY_TIME,
    REQUESTS,
    SERVER_ERRORS,
    THROTTLED,
    api_dimensions,
    dashboard_body,
    failed_query_dimensions,
    stream_dimensions,
)
from components.outputs import publish_outputs
from components.tunables import integer, matching, number, one_of, required, tunable, validate_args
from contract.guardrails import transport

# The name the program gives its CollectorMonitoring. Its alarms are named `<RESOURCE_NAME>-<key>`, the names
# operators find in CloudWatch and docs/guardrails.md lists.
RESOURCE_NAME = "operations"
HOUR = 3600
AT_LEAST, ABOVE, BELOW = Comparison.AT_LEAST, Comparison.ABOVE, Comparison.BELOW


@dataclass(frozen=True)
class CollectorMonitoringArgs:
    api_name: pulumi.Input[str] = required("Name of the collector's REST API (a CollectorEndpoint's apiName).")
    stage_name: pulumi.Input[str] = required("Stage whose requests are watched (a CollectorEndpoint's stageName).")
    delivery_stream_name: pulumi.Input[str] = required(
        "Delivery stream whose deliveries are watched (a FirehoseToS3Warehouse's streamName)."
    )
    workgroup_name: pulumi.Input[str] = required(
        "Athena workgroup whose failed queries raise an alarm (an AthenaCatalog's workgroupName)."
    )
    period_seconds: int = tunable(300, one_of(60, 300, 900, 3600), "Period the API and delivery alarms evaluate.")
    server_errors: int = tunable(1, integer(1, 1_000_000), "5XX responses in one period that raise an alarm.")
    client_error_percent: float = tunable(
        25.0, number(1, 100), "Share of requests answered 4XX in one period (%) that raises an alarm."
    )
    latency_p99_ms: int = tunable(2000, integer(50, 29000), "p99 latency (ms) in one period that raises an alarm.")
    delivery_success_min: float = tunable(
        0.99, number(0.5, 1), "Raise an alarm when Firehose's S3 delivery success rate falls below this."
    )
    data_freshness_seconds: int = tunable(
        1800,
        integer(60, 86400),
        "Age (s) of the oldest record not yet in S3 that raises an alarm; keep it above the buffering interval.",
    )
    throttled_records: int = tunable(1, integer(1, 1_000_000), "Records Firehose throttled in one period (alarm).")
    failed_queries: int = tunable(
        1, integer(1, 10_000), "Athena queries of the workgroup that fail in one period and raise an alarm."
    )
    silence_hours: int = tunable(24, integer(1, 24), "Raise an alarm when no report has arrived for this many hours.")
    alarm_email: Optional[str] = tunable(
        None,
        matching(r"[^@\s]+@[^@\s]+\.[A-Za-z]{2,}", "an email address", optional=True),
        "Send alarm notifications here (SNS email; the address must confirm the subscription).",
    )

    def __post_init__(self) -> None:
        validate_args(self)


class CollectorMonitoring(pulumi.ComponentResource):
    """Alarms that tell operators when reports fail or stop arriving, one CloudWatch dashboard, and an encrypted
    SNS topic with an e-mail subscription when alarmEmail is set."""

    # Public API: part of every URN under it (the component package keys its schema by it too).
    TYPE_TOKEN = "analytics:operations:CollectorMonitoring"

    dashboard_name: pulumi.Output[str]
    """Name of the CloudWatch dashboard."""
    alarm_names: pulumi.Output[list[str]]
    """Names of the collector's alarms."""
    alarm_topic_arn: Optional[pulumi.Output[str]]
    """SNS topic the alarms notify; unset when alarmEmail is unset."""

    def __init__(self, name: str, args: CollectorMonitoringArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__(self.TYPE_TOKEN, name, None, opts)
        child = pulumi.ResourceOptions(parent=self)

        topic = self._alarm_topic(name, args.alarm_email, child) if args.alarm_email else None
        actions = [topic.arn] if topic else []
        alarms = [
            aws.cloudwatch.MetricAlarm(
                spec.resource_name(name),
                alarm_actions=actions,
                ok_actions=actions,
                opts=child,
                **spec.metric_alarm_args(),
            )
            for spec in alarm_specs(args)
        ]
        dashboard = aws.cloudwatch.Dashboard(
            f"{name}-dashboard",
            dashboard_name=f"{pulumi.get_project()}-{pulumi.get_stack()}",
            dashboard_body=dashboard_body(args, aws.get_region_output().region, [a.arn for a in alarms]),
            opts=child,
        )

        publish_outputs(
            self,
            dashboard_name=dashboard.dashboard_name,
            alarm_names=pulumi.Output.all(*[a.name for a in alarms]),
            alarm_topic_arn=topic.arn if topic else None,
        )

    @staticmethod
    def _alarm_topic(name: str, email: str, child: pulumi.ResourceOptions) -> aws.sns.Topic:
        account = iam_policies.current_account_id()
        key = aws.kms.Key(
            f"{name}-alarm-key",
            description="Encrypts the collector's alarm notifications at rest.",
            enable_key_rotation=True,
            deletion_window_in_days=30,
            policy=alarm_key_policy(account),
            tags=ALARM_KEY_TAGS,
            opts=child,
        )
        topic = aws.sns.Topic(f"{name}-alarms", kms_master_key_id=key.arn, opts=child)
        aws.sns.TopicPolicy(
            f"{name}-alarms-policy", arn=topic.arn, policy=alarm_topic_policy(topic.arn, account), opts=child
        )
        aws.sns.TopicSubscription(f"{name}-alarm-email", topic=topic.arn, protocol="email", endpoint=email, opts=child)
        return topic


# A CI deploy role may administer only keys carrying this tag (docs/ci-cd.md): key ids are random, so the tag
# is what tells the program's key from any other key of the account.
ALARM_KEY_TAGS = {"analytics-collector": "alarm-key"}


def alarm_key_policy(account: pulumi.Input[str]) -> pulumi.Output[str]:
    """Named actions only: the account administers the key through IAM; CloudWatch may only encrypt with it."""
    root = iam_policies.arn("iam", "", account, "root")
    return iam_policies.policy_document(
        {
            "Sid": "AdministerThroughIam",
            "Effect": "Allow",
            "Principal": {"AWS": root},
            "Resource": "*",
            "Action": sorted(
                [
                    "kms:CancelKeyDeletion",
                    "kms:CreateAlias",
                    "kms:DeleteAlias",
                    "kms:DescribeKey",
                    "kms:DisableKey",
                    "kms:DisableKeyRotation",
                    "kms:EnableKey",
                    "kms:EnableKeyRotation",
                    "kms:GetKeyPolicy",
                    "kms:GetKeyRotationStatus",
                    "kms:ListResourceTags",
                    "kms:PutKeyPolicy",
                    "kms:ScheduleKeyDeletion",
                    "kms:TagResource",
                    "kms:UntagResource",
                    "kms:UpdateAlias",
                    "kms:UpdateKeyDescription",
                ]
            ),
        },
        {
            "Sid": "AlarmsPublishEncrypted",
            "Effect": "Allow",
            "Principal": {"Service": "cloudwatch.amazonaws.com"},
            "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
            "Resource": "*",
            "Condition": {"StringEquals": {"aws:SourceAccount": account}},
        },
    )


def alarm_topic_policy(topic_arn: pulumi.Input[str], account: pulumi.Input[str]) -> pulumi.Output[str]:
    return iam_policies.policy_document(
        {
            "Sid": "AlarmsPublish",
            "Effect": "Allow",
            "Principal": {"Service": "cloudwatch.amazonaws.com"},
            "Action": "sns:Publish",
            "Resource": topic_arn,
            "Condition": {"StringEquals": {"aws:SourceAccount": account}},
        },
        transport.deny_without_tls("sns:Publish", topic_arn),
    )


def alarm_specs(args: CollectorMonitoringArgs) -> list[AlarmSpec]:
    """Every alarm of the component. Data, so the tests and docs/guardrails.md read the same list."""
    api, stream = api_dimensions(args), stream_dimensions(args)
    period = args.period_seconds
    share = MetricMath(
        "share",
        "IF(requests > 0, 100 * errors / requests, 0)",
        "4XX share (%)",
        {"errors": Metric(API, CLIENT_ERRORS, api), "requests": Metric(API, REQUESTS, api)},
    )
    return [
        AlarmSpec(
            "api-5xx",
            "server_errors",
            Metric(API, SERVER_ERRORS, api),
            AT_LEAST,
            args.server_errors,
            period,
            "The collector answered 5XX: reports may be lost (Firehose refused or throttled).",
            statistic="Sum",
        ),
        AlarmSpec(
            "api-4xx-share",
            "client_error_percent",
            share,
            ABOVE,
            args.client_error_percent,
            period,
            "A large share of reports is rejected: a reporter may send a broken payload.",
        ),
        AlarmSpec(
            "api-latency-p99",
            "latency_p99_ms",
            Metric(API, LATENCY, api),
            ABOVE,
            args.latency_p99_ms,
            period,
            "Reporters wait too long for the collector.",
            extended_statistic="p99",
        ),
        AlarmSpec(
            "delivery-success",
            "delivery_success_min",
            Metric(FIREHOSE, DELIVERY_SUCCESS, stream),
            BELOW,
            args.delivery_success_min,
            period,
            "Firehose fails to write reports to S3 (see its delivery-error log group).",
            statistic="Average",
        ),
        AlarmSpec(
            "data-freshness",
            "data_freshness_seconds",
            Metric(FIREHOSE, FRESHNESS, stream),
            ABOVE,
            args.data_freshness_seconds,
            period,
            "Reports wait in Firehose longer than expected before reaching S3.",
            statistic="Maximum",
        ),
        AlarmSpec(
            "throttled-records",
            "throttled_records",
            Metric(FIREHOSE, THROTTLED, stream),
            AT_LEAST,
            args.throttled_records,
            period,
            "Firehose throttled records: raise the stream's limits or the stage's throttle.",
            statistic="Sum",
        ),
        # Neither Firehose (it does not parse records without a transformation) nor Athena (its SerDe skips a
        # malformed line) counts bad lines; a line the table cannot type, or sums that overflow, fail the query.
        AlarmSpec(
            "athena-failed-queries",
            "failed_queries",
            Metric(ATHENA, QUERY_TIME, failed_query_dimensions(args)),
            AT_LEAST,
            args.failed_queries,
            period,
            "A query of the reports failed: a stored line the table cannot read (HIVE_BAD_DATA), a sum that "
            "overflows, or a broken saved query.",
            statistic="SampleCount",
        ),
        # Silence is judged hour by hour over the whole window, and an hour with no data counts as silent.
        AlarmSpec(
            "no-reports",
            "silence_hours",
            Metric(FIREHOSE, INCOMING, stream),
            BELOW,
            1,
            HOUR,
            f"No report has arrived for {args.silence_hours} hours: reporters or the endpoint may be broken.",
            statistic="Sum",
            evaluation_periods=args.silence_hours,
            datapoints=args.silence_hours,
            missing_data="breaching",
        ),
    ]
