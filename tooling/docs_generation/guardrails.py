"""docs/guardrails.md's tables, generated from the policy pack's catalog and the components' alarm specs."""

from __future__ import annotations

from pulumi_policy import StackValidationPolicy

from components.alarm_spec import MetricMath
from components.api_routes import RELEASES_ROUTE
from components.collector_monitoring import RESOURCE_NAME as MONITORING
from components.collector_monitoring import CollectorMonitoringArgs
from components.collector_monitoring import alarm_specs as collector_alarm_specs
from components.daily_aggregator import RESOURCE_NAME as REPORTER
from components.daily_aggregator import DailyAggregatorArgs
from components.daily_aggregator import alarm_specs as reporter_alarm_specs
from contract.guardrails.client_identity import STORES
from contract.products import DEFAULT_PRODUCT_ID
from policy.catalog import POLICIES
from policy.rule_kit import control_of
from stack_config import SECTIONS, config_key


def policy_rules() -> str:
    rows = ["| Rule | Control (AWS FSBP) | Checks | What it enforces |", "| --- | --- | --- | --- |"]
    for policy in POLICIES:
        kind = "whole stack" if isinstance(policy, StackValidationPolicy) else "each resource"
        rows.append(f"| `{policy.name}` | {control_of(policy) or '—'} | {kind} | {policy.description} |")
    return "\n".join(rows)


def client_identity_stores() -> str:
    """docs/privacy.md's table: each AWS feature that would keep who called, and the rule that refuses it."""
    rules = {policy.name for policy in POLICIES}
    rows = ["| AWS feature | What it would keep | Refused by (policy pack rule) |", "| --- | --- | --- |"]
    for store in STORES:
        if store.rule not in rules:
            raise ValueError(f"{store.feature}: no policy-pack rule named {store.rule!r}")
        rows.append(f"| {store.feature} | {store.keeps} | `{store.rule}` |")
    return "\n".join(rows)


def alarm_table() -> str:
    """Every alarm the program deploys: the collector's, then the reporter's (in the stacks that report)."""
    monitoring = CollectorMonitoringArgs(
        api_name="ApiName", stage_name="Stage", delivery_stream_name="Stream", workgroup_name="WorkGroup"
    )
    # The opt-in alarms on too, so the table lists them (the Config key column says what turns each on).
    reporter = DailyAggregatorArgs(
        collector_url="https://collector.example.com",
        releases_url=f"https://collector.example.com/v1/{RELEASES_ROUTE.format(product=DEFAULT_PRODUCT_ID)}",
        advisory_alarm=True,
        upgrade_alarm=True,
    )
    rows = ["| Alarm | Metric (statistic) | Raised when | Config key | Why |", "| --- | --- | --- | --- | --- |"]
    for component, args, specs in (
        (MONITORING, monitoring, collector_alarm_specs(monitoring)),
        (REPORTER, reporter, reporter_alarm_specs(reporter, "FunctionName", "QueueName")),
    ):
        section = next(name for name, args_type in SECTIONS.items() if args_type is type(args))
        for spec in specs:
            watches = spec.watches
            math = isinstance(watches, MetricMath)
            metric = watches.expression if isinstance(watches, MetricMath) else watches.name
            statistic = "metric math" if math else spec.extended_statistic or spec.statistic
            window = spec.period * spec.evaluation_periods
            key = f"`{section}.{config_key(spec.setting)}`" if spec.setting else "— (fixed)"
            if spec.setting and getattr(args, spec.setting) is True:  # a switch: the alarm exists only when it is on
                key += " (opt-in)"
            rows.append(
                f"| `{spec.resource_name(component)}` | `{metric}` ({statistic}) | {spec.comparison.symbol} "
                f"{spec.threshold} over {window // 60} min | {key} | {spec.description} |"
            )
    return "\n".join(rows)
