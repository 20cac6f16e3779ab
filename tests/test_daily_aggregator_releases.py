"""DailyAggregator's releases check (docs/releases.md) under mocks: off by default (the function, its role and its
alarms as before); `releasesUrl` gives the function RELEASES_URL and the right to publish in its own namespace
only; the two alarms are opt-in and notify the operator's topic."""

import json

import pytest

from components.daily_aggregator import DailyAggregatorArgs
from components.tunables import ArgsError
from stack_config import StackConfigError
from tooling.mocked_program.pulumi_mocks import run_program, stack_config_with

RELEASES_URL = "https://telemetry.example.com/v1/products/lunasec-tokenizer/releases"
TOPIC = "arn:aws:sns:us-east-1:123456789012:operators"


def run_with(**reporter):
    return run_program("dev", stack_config_with("dev", reporter=reporter))


def statements(run) -> dict[str, dict]:
    (policy,) = [p for p in run.of_type("aws:iam/rolePolicy:RolePolicy") if p.name == "reporter-policy"]
    return {s["Sid"]: s for s in json.loads(policy.inputs["policy"])["Statement"]}


def alarm_names(run) -> set[str]:
    return {a.name for a in run.of_type("aws:cloudwatch/metricAlarm:MetricAlarm") if a.name.startswith("reporter-")}


def test_unset_the_reporter_is_as_before():
    run = run_program("dev")
    (function,) = run.of_type("aws:lambda/function:Function")
    assert "RELEASES_URL" not in function.inputs["environment"]["variables"]
    assert "PublishReleaseMetrics" not in statements(run)
    assert not [a for s in statements(run).values() for a in s["Action"] if a == "cloudwatch:PutMetricData"]
    assert alarm_names(run) == {"reporter-errors", "reporter-dead-letters-waiting"}


def test_releases_url_is_passed_on_and_the_role_publishes_in_its_own_namespace_only():
    run = run_with(releasesUrl=RELEASES_URL, namespace="acme")
    (function,) = run.of_type("aws:lambda/function:Function")
    assert function.inputs["environment"]["variables"]["RELEASES_URL"] == RELEASES_URL
    assert statements(run)["PublishReleaseMetrics"] == {
        "Sid": "PublishReleaseMetrics",
        "Effect": "Allow",
        "Action": ["cloudwatch:PutMetricData"],
        "Resource": ["*"],
        "Condition": {"StringEquals": {"cloudwatch:namespace": "acme"}},
    }
    assert alarm_names(run) == {"reporter-errors", "reporter-dead-letters-waiting"}, "alarms stay opt-in"


def test_the_opt_in_alarms_watch_the_release_metrics_and_notify_the_operators_topic():
    run = run_with(releasesUrl=RELEASES_URL, advisoryAlarm=True, upgradeAlarm=True, alarmTopicArn=TOPIC)
    alarms = {a.name: a.inputs for a in run.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")}
    for name, metric in (
        ("reporter-advisories-affecting-version", "AdvisoriesAffectingVersion"),
        ("reporter-newer-version-available", "NewerVersionAvailable"),
    ):
        alarm = alarms[name]
        assert (alarm["namespace"], alarm["metricName"], alarm.get("dimensions", {})) == ("lunasec", metric, {})
        assert (alarm["statistic"], alarm["period"], alarm["threshold"]) == ("Maximum", 86400, 1)
        assert alarm["comparisonOperator"] == "GreaterThanOrEqualToThreshold"
        assert alarm["treatMissingData"] == "notBreaching"
        assert alarm["alarmActions"] == [TOPIC]
    only_advisories = run_with(releasesUrl=RELEASES_URL, advisoryAlarm=True)
    assert "reporter-advisories-affecting-version" in alarm_names(only_advisories)
    assert "reporter-newer-version-available" not in alarm_names(only_advisories)


@pytest.mark.parametrize("switch", ["advisory_alarm", "upgrade_alarm"])
def test_an_alarm_without_the_check_is_refused(switch):
    with pytest.raises(
        ArgsError,
        match=rf"^DailyAggregatorArgs.releases_url = None is not allowed: expected a value, because {switch} is on",
    ):
        DailyAggregatorArgs(collector_url="https://collector.example.com", **{switch: True})


def test_an_alarm_without_the_check_is_refused_in_the_stack_config():
    with pytest.raises(
        StackConfigError, match=r"^analytics-collector:reporter.releasesUrl is missing: expected a value"
    ):
        run_with(advisoryAlarm=True)


def test_a_releases_url_without_tls_is_refused_in_the_stack_config():
    with pytest.raises(
        StackConfigError,
        match=r"^analytics-collector:reporter.releasesUrl = 'http://telemetry.example.com/x' is not allowed: "
        r"expected an https:// URL",
    ):
        run_with(releasesUrl="http://telemetry.example.com/x")
