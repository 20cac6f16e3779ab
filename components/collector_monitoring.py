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
from components.collector_dashboard import API, FIREHOSE, dashboard_body
from components.tunables import integer, matching, number, one_of, tunable, validate_args
from guardrails import transport

HOUR = 3600


@dataclass(frozen=True)
class CollectorMonitoringArgs:
    api_name: pulumi.Input[str]
    stage_name: pulumi.Input[str]
    delivery_stream_name: pulumi.Input[str]
    period_seconds: int = tunable(300, one_of(60, 300, 900, 3600), "Period the API and delivery alarms evaluate.")
    server_errors: int = tunable(1, integer(1, 1_000_000), "5XX responses in one period that raise an alarm.")
    client_error_percent: float = tunable(
        25.0, number(1, 100), "Share of requests answered 4XX in one period (%) that raises an alarm.")
    latency_p99_ms: int = tunable(2000, integer(50, 29000), "p99 latency (ms) in one period that raises an alarm.")
    delivery_success_min: float = tunable(
        0.99, number(0.5, 1), "Raise an alarm when Firehose's S3 delivery success rate falls below this.")
    data_freshness_seconds: int = tunable(
        1800, integer(60, 86400),
        "Age (s) of the oldest record not yet in S3 that raises an alarm; keep it above the buffering interval.")
    throttled_records: int = tunable(1, integer(1, 1_000_000), "Records Firehose throttled in one period (alarm).")
    silence_hours: int = tunable(24, integer(1, 24), "Raise an alarm when no report has arrived for this many hours.")
    alarm_email: Optional[str] = tunable(
        None, matching(r"[^@\s]+@[^@\s]+\.[A-Za-z]{2,}", "an email address", optional=True),
        "Send alarm notifications here (SNS email; the address must confirm the subscription).")

    def __post_init__(self):
        validate_args(self)


class CollectorMonitoring(pulumi.ComponentResource):
    dashboard_name: pulumi.Output[str]
    alarm_names: pulumi.Output[list]
    alarm_topic_arn: Optional[pulumi.Output[str]]

    def __init__(self, name: str, args: CollectorMonitoringArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("analytics:operations:CollectorMonitoring", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)

        topic = self._alarm_topic(name, args.alarm_email, child) if args.alarm_email else None
        actions = [topic.arn] if topic else []
        alarms = [
            aws.cloudwatch.MetricAlarm(f"{name}-{spec.pop('key')}", alarm_actions=actions, ok_actions=actions,
                                       opts=child, **{k: v for k, v in spec.items() if k != "setting"})
            for spec in alarm_specs(args)
        ]
        dashboard = aws.cloudwatch.Dashboard(
            f"{name}-dashboard",
            dashboard_name=f"{pulumi.get_project()}-{pulumi.get_stack()}",
            dashboard_body=dashboard_body(args, aws.get_region_output().region, [a.arn for a in alarms]),
            opts=child,
        )

        self.dashboard_name = dashboard.dashboard_name
        self.alarm_names = pulumi.Output.all(*[a.name for a in alarms])
        self.alarm_topic_arn = topic.arn if topic else None
        self.register_outputs({"dashboard_name": self.dashboard_name, "alarm_names": self.alarm_names,
                               "alarm_topic_arn": self.alarm_topic_arn})

    @staticmethod
    def _alarm_topic(name: str, email: str, child: pulumi.ResourceOptions) -> aws.sns.Topic:
        account = iam_policies.current_account_id()
        key = aws.kms.Key(
            f"{name}-alarm-key",
            description="Encrypts the collector's alarm notifications at rest.",
            enable_key_rotation=True,
            deletion_window_in_days=30,
            policy=alarm_key_policy(account),
            opts=child,
        )
        topic = aws.sns.Topic(f"{name}-alarms", kms_master_key_id=key.arn, opts=child)
        aws.sns.TopicPolicy(f"{name}-alarms-policy", arn=topic.arn,
                            policy=alarm_topic_policy(topic.arn, account), opts=child)
        aws.sns.TopicSubscription(f"{name}-alarm-email", topic=topic.arn, protocol="email", endpoint=email,
                                  opts=child)
        return topic


def alarm_key_policy(account: pulumi.Input[str]) -> pulumi.Output[str]:
    """Named actions only: the account administers the key through IAM; CloudWatch may only encrypt with it."""
    root = iam_policies.arn("iam", "", account, "root")
    return iam_policies.policy_document(
        {"Sid": "AdministerThroughIam", "Effect": "Allow", "Principal": {"AWS": root}, "Resource": "*",
         "Action": sorted(["kms:CancelKeyDeletion", "kms:CreateAlias", "kms:DeleteAlias", "kms:DescribeKey",
                           "kms:DisableKey", "kms:DisableKeyRotation", "kms:EnableKey", "kms:EnableKeyRotation",
                           "kms:GetKeyPolicy", "kms:GetKeyRotationStatus", "kms:ListResourceTags",
                           "kms:PutKeyPolicy", "kms:ScheduleKeyDeletion", "kms:TagResource", "kms:UntagResource",
                           "kms:UpdateAlias", "kms:UpdateKeyDescription"])},
        {"Sid": "AlarmsPublishEncrypted", "Effect": "Allow", "Principal": {"Service": "cloudwatch.amazonaws.com"},
         "Action": ["kms:Decrypt", "kms:GenerateDataKey"], "Resource": "*",
         "Condition": {"StringEquals": {"aws:SourceAccount": account}}},
    )


def alarm_topic_policy(topic_arn: pulumi.Input[str], account: pulumi.Input[str]) -> pulumi.Output[str]:
    return iam_policies.policy_document(
        {"Sid": "AlarmsPublish", "Effect": "Allow", "Principal": {"Service": "cloudwatch.amazonaws.com"},
         "Action": "sns:Publish", "Resource": topic_arn,
         "Condition": {"StringEquals": {"aws:SourceAccount": account}}},
        transport.deny_without_tls("sns:Publish", topic_arn),
    )


def alarm_specs(args: CollectorMonitoringArgs) -> list[dict]:
    """Every alarm as MetricAlarm arguments, plus a `key` for its resource name and the `setting` (Args field)
    that sets its threshold or window. Data, so the tests and the README read the same list."""
    api = {"ApiName": args.api_name, "Stage": args.stage_name}
    stream = {"DeliveryStreamName": args.delivery_stream_name}
    quiet = {"period": args.period_seconds, "evaluation_periods": 1, "treat_missing_data": "notBreaching"}
    return [
        dict(key="api-5xx", setting="server_errors",
             namespace=API, metric_name="5XXError", dimensions=api, statistic="Sum",
             comparison_operator="GreaterThanOrEqualToThreshold", threshold=args.server_errors,
             alarm_description="The collector answered 5XX: reports may be lost (Firehose refused or throttled).",
             **quiet),
        {"key": "api-4xx-share", "setting": "client_error_percent",
             "metric_queries": [
                 _query("errors", API, "4XXError", api, args.period_seconds),
                 _query("requests", API, "Count", api, args.period_seconds),
                 {"id": "share", "expression": "IF(requests > 0, 100 * errors / requests, 0)",
                  "label": "4XX share (%)", "return_data": True},
             ],
             "comparison_operator": "GreaterThanThreshold", "threshold": args.client_error_percent,
             "evaluation_periods": 1, "treat_missing_data": "notBreaching",
             "alarm_description": "A large share of reports is rejected: a reporter may send a broken payload."},
        dict(key="api-latency-p99", setting="latency_p99_ms",
             namespace=API, metric_name="Latency", dimensions=api, extended_statistic="p99",
             comparison_operator="GreaterThanThreshold", threshold=args.latency_p99_ms,
             alarm_description="Reporters wait too long for the collector.", **quiet),
        dict(key="delivery-success", setting="delivery_success_min",
             namespace=FIREHOSE, metric_name="DeliveryToS3.Success", dimensions=stream, statistic="Average",
             comparison_operator="LessThanThreshold", threshold=args.delivery_success_min,
             alarm_description="Firehose fails to write reports to S3 (see its delivery-error log group).", **quiet),
        dict(key="data-freshness", setting="data_freshness_seconds",
             namespace=FIREHOSE, metric_name="DeliveryToS3.DataFreshness", dimensions=stream, statistic="Maximum",
             comparison_operator="GreaterThanThreshold", threshold=args.data_freshness_seconds,
             alarm_description="Reports wait in Firehose longer than expected before reaching S3.", **quiet),
        dict(key="throttled-records", setting="throttled_records",
             namespace=FIREHOSE, metric_name="ThrottledRecords", dimensions=stream, statistic="Sum",
             comparison_operator="GreaterThanOrEqualToThreshold", threshold=args.throttled_records,
             alarm_description="Firehose throttled records: raise the stream's limits or the stage's throttle.",
             **quiet),
        {"key": "no-reports", "setting": "silence_hours",
             "namespace": FIREHOSE, "metric_name": "IncomingRecords", "dimensions": stream, "statistic": "Sum",
             "comparison_operator": "LessThanThreshold", "threshold": 1, "period": HOUR,
             "evaluation_periods": args.silence_hours, "datapoints_to_alarm": args.silence_hours,
             "treat_missing_data": "breaching",
             "alarm_description": f"No report has arrived for {args.silence_hours} hours: reporters or the "
                               "endpoint may be broken."},
    ]


def _query(query_id: str, namespace: str, metric: str, dimensions: dict, period: int) -> dict:
    return {"id": query_id, "return_data": False,
            "metric": {"namespace": namespace, "metric_name": metric, "dimensions": dimensions,
                       "period": period, "stat": "Sum"}}
