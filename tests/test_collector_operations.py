"""Alarms, dashboard, alarm topic and the optional WAF, as the program registers them under mocks."""

import json

import pytest

from components.alarm_spec import AlarmSpec, Comparison, Metric, MetricMath
from components.collector_dashboard import API, ATHENA, FIREHOSE
from components.collector_monitoring import RESOURCE_NAME, CollectorMonitoringArgs, alarm_specs
from components.collector_waf import MANAGED_RULE_GROUPS, MAX_BODY_BYTES
from handlers import daily_report
from stack_config import StackConfigError
from tests.support import docs
from tests.support.shared_runs import shared_run
from tooling.mocked_program.pulumi_mocks import ACCOUNT, STACKS, stack_config, stack_config_with

ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
MONITORING = "analytics:operations:CollectorMonitoring"
SPECS = {
    spec.key: spec
    for spec in alarm_specs(
        CollectorMonitoringArgs(api_name="api", stage_name="v1", delivery_stream_name="stream", workgroup_name="wg")
    )
}


def run_with(**sections):
    return shared_run("dev", stack_config_with("dev", **sections))


def monitoring_alarms(run):
    """The collector's alarms, not the reporter's (DailyAggregator has its own)."""
    return [r for r in run.of_type(ALARM) if r.parent_type == MONITORING]


def alarms(run):
    return {r.name.removeprefix(f"{RESOURCE_NAME}-"): r.inputs for r in monitoring_alarms(run)}


def outputs(run, typ):
    return run.one(typ).outputs


@pytest.mark.parametrize("stack", STACKS)
def test_every_stack_has_the_collector_alarms_on_its_own_api_and_stream(stack):
    run = shared_run(stack)
    found = alarms(run)
    assert set(found) == set(SPECS)
    api = {"ApiName": outputs(run, "aws:apigateway/restApi:RestApi")["name"], "Stage": "v1"}
    stream = {"DeliveryStreamName": outputs(run, "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream")["name"]}
    queries = {
        "WorkGroup": outputs(run, "aws:athena/workgroup:Workgroup")["name"],
        "QueryState": "FAILED",
        "QueryType": "DML",
    }
    by_namespace = {API: api, FIREHOSE: stream, ATHENA: queries}
    for name, alarm in found.items():
        dimensions = [alarm.get("dimensions")] + [
            q["metric"]["dimensions"] for q in alarm.get("metricQueries", []) if "metric" in q
        ]
        watched = SPECS[name].watches
        metrics = watched.metrics.values() if isinstance(watched, MetricMath) else [watched]
        [namespace] = {m.namespace for m in metrics}
        expected = by_namespace[namespace]
        assert all(d == expected for d in dimensions if d is not None), name
        assert alarm["alarmDescription"] and alarm["alarmActions"] == []


def test_thresholds_come_from_config():
    found = alarms(
        run_with(
            monitoring={
                "serverErrors": 5,
                "clientErrorPercent": 40,
                "latencyP99Ms": 900,
                "deliverySuccessMin": 0.95,
                "dataFreshnessSeconds": 2400,
                "throttledRecords": 3,
                "silenceHours": 12,
                "periodSeconds": 60,
            }
        )
    )
    assert found["api-5xx"]["threshold"] == 5 and found["api-5xx"]["period"] == 60
    assert found["api-4xx-share"]["threshold"] == 40
    assert found["api-latency-p99"]["threshold"] == 900 and found["api-latency-p99"]["extendedStatistic"] == "p99"
    assert found["delivery-success"]["threshold"] == 0.95
    assert found["delivery-success"]["comparisonOperator"] == "LessThanThreshold"
    assert found["data-freshness"]["threshold"] == 2400
    assert found["throttled-records"]["threshold"] == 3
    silence = found["no-reports"]
    assert silence["period"] * silence["evaluationPeriods"] == 12 * 3600
    assert silence["datapointsToAlarm"] == 12 and silence["treatMissingData"] == "breaching"


def test_a_failed_query_of_the_reports_raises_an_alarm():
    """The one signal that a stored line hurt: Athena counts no malformed lines, Firehose parses no records."""
    failed = alarms(run_with(monitoring={"failedQueries": 2}))["athena-failed-queries"]
    assert (failed["namespace"], failed["metricName"], failed["statistic"]) == (
        "AWS/Athena",
        "TotalExecutionTime",
        "SampleCount",
    )
    assert failed["dimensions"]["QueryState"] == "FAILED"
    assert failed["threshold"] == 2 and failed["comparisonOperator"] == "GreaterThanOrEqualToThreshold"


def test_the_4xx_share_is_errors_over_requests_and_only_the_share_is_returned():
    share = alarms(shared_run("dev"))["api-4xx-share"]
    queries = {q["id"]: q for q in share["metricQueries"]}
    assert queries["errors"]["metric"]["metricName"] == "4XXError"
    assert queries["requests"]["metric"]["metricName"] == "Count"
    assert [q["id"] for q in share["metricQueries"] if q.get("returnData")] == ["share"]
    expression = queries["share"]["expression"]
    assert "errors / requests" in expression and "requests > 0" in expression


def test_dashboard_shows_requests_errors_latency_firehose_and_freshness():
    run = shared_run("prod")
    body = json.loads(run.one("aws:cloudwatch/dashboard:Dashboard").inputs["dashboardBody"])
    # What docs/guardrails.md says the dashboard shows, as (metric, statistic).
    graphed = {
        (m[1], m[-1]["stat"]) for w in body["widgets"] if w["type"] == "metric" for m in w["properties"]["metrics"]
    }
    assert graphed == {
        ("Count", "Sum"),
        ("4XXError", "Sum"),
        ("5XXError", "Sum"),
        ("Latency", "p50"),
        ("Latency", "p99"),
        ("IntegrationLatency", "p99"),
        ("IncomingRecords", "Sum"),
        ("DeliveryToS3.Records", "Sum"),
        ("ThrottledRecords", "Sum"),
        ("DeliveryToS3.DataFreshness", "Maximum"),
        ("DeliveryToS3.Success", "Average"),
    }
    assert all(w["properties"]["region"] == "us-east-1" for w in body["widgets"] if w["type"] == "metric")
    (alarm_widget,) = [w for w in body["widgets"] if w["type"] == "alarm"]
    assert sorted(alarm_widget["properties"]["alarms"]) == sorted(r.outputs["arn"] for r in monitoring_alarms(run))
    assert run.exports["dashboard_name"] == "analytics-collector-prod"


def test_no_alarm_topic_unless_an_email_is_configured():
    assert not shared_run("dev").of_type("aws:sns/topic:Topic")


def test_alarm_email_gets_an_encrypted_topic_that_every_alarm_notifies():
    run = run_with(monitoring={"alarmEmail": "ops@example.com"})
    key = run.one("aws:kms/key:Key")
    topic = run.one("aws:sns/topic:Topic")
    assert key.inputs["enableKeyRotation"] is True
    assert topic.inputs["kmsMasterKeyId"] == key.outputs["arn"]
    subscription = run.one("aws:sns/topicSubscription:TopicSubscription").inputs
    assert subscription == {
        **subscription,
        "protocol": "email",
        "endpoint": "ops@example.com",
        "topic": topic.outputs["arn"],
    }
    for name, alarm in alarms(run).items():
        assert alarm["alarmActions"] == [topic.outputs["arn"]] == alarm["okActions"], name
    key_policy = json.loads(key.inputs["policy"])
    cloudwatch = [s for s in key_policy["Statement"] if s["Principal"] == {"Service": "cloudwatch.amazonaws.com"}]
    assert cloudwatch and set(cloudwatch[0]["Action"]) == {"kms:Decrypt", "kms:GenerateDataKey"}
    assert cloudwatch[0]["Condition"] == {"StringEquals": {"aws:SourceAccount": ACCOUNT}}


def test_only_cloudwatch_from_this_account_may_publish_to_the_alarm_topic_and_only_over_tls():
    run = run_with(monitoring={"alarmEmail": "ops@example.com"})
    topic_arn = run.one("aws:sns/topic:Topic").outputs["arn"]
    policy = run.one("aws:sns/topicPolicy:TopicPolicy").inputs
    assert policy["arn"] == topic_arn
    statements = json.loads(policy["policy"])["Statement"]
    [allow] = [s for s in statements if s["Effect"] == "Allow"]
    assert allow == {
        **allow,
        "Principal": {"Service": "cloudwatch.amazonaws.com"},
        "Action": "sns:Publish",
        "Resource": topic_arn,
        "Condition": {"StringEquals": {"aws:SourceAccount": ACCOUNT}},
    }
    [deny] = [s for s in statements if s["Effect"] == "Deny"]
    assert deny == {
        **deny,
        "Principal": "*",
        "Action": "sns:Publish",
        "Resource": topic_arn,
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }


@pytest.mark.parametrize(
    "settings,needle",
    [
        ({"alarmEmail": "not an address"}, "monitoring.alarmEmail"),
        ({"silenceHours": 48}, "monitoring.silenceHours"),
        ({"periodSeconds": 120}, "monitoring.periodSeconds"),
        ({"alarmMail": "ops@example.com"}, "monitoring.alarmMail is not a known setting"),
    ],
)
def test_bad_monitoring_settings_stop_the_program_with_the_key(settings, needle):
    with pytest.raises(StackConfigError, match=needle):
        run_with(monitoring=settings)


def test_waf_is_off_by_default_and_on_in_prod():
    assert "analytics-collector:waf" not in stack_config("staging")
    assert not [r for r in shared_run("staging").resources if r.typ.startswith("aws:wafv2")]
    prod = shared_run("prod")
    acl = prod.one("aws:wafv2/webAcl:WebAcl")
    assert prod.one("aws:wafv2/webAclAssociation:WebAclAssociation").inputs["webAclArn"] == acl.outputs["arn"]


def test_an_address_over_its_rate_is_answered_429_which_the_reporter_retries_after_the_window():
    rate_rule = waf_rules(run_with(waf={"enabled": True, "rateWindowSeconds": 120}))["rate-limit-per-ip"]
    assert rate_rule["action"] == {
        "block": {"customResponse": {"responseCode": 429, "responseHeaders": [{"name": "Retry-After", "value": "120"}]}}
    }
    assert 429 in daily_report.RETRYABLE_STATUSES


def waf_rules(run):
    return {rule["name"]: rule for rule in run.one("aws:wafv2/webAcl:WebAcl").inputs["rules"]}


def test_waf_rate_limits_per_ip_caps_the_body_and_uses_aws_managed_groups():
    run = run_with(waf={"enabled": True, "rateLimitPerIp": 120, "rateWindowSeconds": 60})
    rules = waf_rules(run)
    rate = rules["rate-limit-per-ip"]["statement"]["rateBasedStatement"]
    assert rate == {**rate, "aggregateKeyType": "IP", "limit": 120, "evaluationWindowSec": 60}
    size = rules["body-too-large"]["statement"]["sizeConstraintStatement"]
    assert (size["comparisonOperator"], size["size"]) == ("GT", MAX_BODY_BYTES)
    assert size["fieldToMatch"]["body"]["oversizeHandling"] == "MATCH"
    for group in MANAGED_RULE_GROUPS:
        statement = rules[group]["statement"]["managedRuleGroupStatement"]
        assert (statement["vendorName"], statement["name"]) == ("AWS", group)
    assert len({r["priority"] for r in rules.values()}) == len(rules)


def test_waf_is_associated_with_the_stage_and_keeps_no_client_ips():
    run = run_with(waf={"enabled": True})
    association = run.one("aws:wafv2/webAclAssociation:WebAclAssociation").inputs
    assert association["resourceArn"] == outputs(run, "aws:apigateway/stage:Stage")["arn"]
    acl = run.one("aws:wafv2/webAcl:WebAcl").inputs
    visibility = [acl["visibilityConfig"]] + [r["visibilityConfig"] for r in acl["rules"]]
    assert all(v["sampledRequestsEnabled"] is False for v in visibility)
    assert all(v["cloudwatchMetricsEnabled"] is True for v in visibility)  # only aggregate counts per rule
    assert not run.of_type("aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration")


def test_waf_rate_limit_below_the_wafv2_minimum_is_refused():
    with pytest.raises(StackConfigError, match="waf.rateLimitPerIp"):
        run_with(waf={"enabled": True, "rateLimitPerIp": 5})


def test_each_alarm_names_the_setting_that_sets_it():
    args = CollectorMonitoringArgs(
        api_name="api",
        stage_name="v1",
        delivery_stream_name="stream",
        workgroup_name="wg",
        failed_queries=3,
        server_errors=7,
        client_error_percent=33.0,
        latency_p99_ms=777,
        delivery_success_min=0.9,
        data_freshness_seconds=999,
        throttled_records=5,
        silence_hours=6,
    )
    for spec in alarm_specs(args):
        value = getattr(args, spec.setting)
        assert value in (spec.threshold, spec.evaluation_periods), spec.key


def test_every_alarm_the_program_deploys_is_in_the_alarm_table():
    """The reporter's alarms too: they were built as dicts once, beside the specs the table is generated from."""
    table = docs.section("Alarms and dashboard (`monitoring` section)")
    deployed = {r.name for r in shared_run("dev").of_type(ALARM)}
    assert {"reporter-errors", "reporter-dead-letters-waiting"} <= deployed
    assert [name for name in sorted(deployed) if f"| `{name}` |" not in table] == []


def test_an_alarm_spec_has_one_statistic_for_a_metric_and_none_for_metric_math():
    metric = Metric(API, "Count", {})
    for statistics in ({}, {"statistic": "Sum", "extended_statistic": "p99"}):
        with pytest.raises(ValueError, match="alarm k: give one statistic"):
            AlarmSpec("k", "server_errors", metric, Comparison.ABOVE, 1, 60, "why", **statistics)
    math = MetricMath("share", "100 * a", "share", {"a": metric})
    with pytest.raises(ValueError, match="alarm k: give no statistic"):
        AlarmSpec("k", "server_errors", math, Comparison.ABOVE, 1, 60, "why", statistic="Sum")


@pytest.mark.parametrize("stack", STACKS)
def test_freshness_alarm_leaves_room_for_normal_buffering(stack):
    """Firehose holds records up to the buffering interval by design; the alarm must not fire on that."""
    run = shared_run(stack)
    interval = run.one("aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream").inputs["extendedS3Configuration"][
        "bufferingInterval"
    ]
    assert alarms(run)["data-freshness"]["threshold"] >= 2 * interval
