"""A CloudWatch alarm as typed data: what it watches, when it fires and which setting moves it.

CollectorMonitoring turns each spec into a MetricAlarm; the alarm table in docs/guardrails.md and the tests
read the same specs, so an alarm is stated once.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any, Optional, Union

import pulumi


@dataclass(frozen=True)
class Metric:
    namespace: str
    name: str
    dimensions: Mapping[str, pulumi.Input[str]]


@dataclass(frozen=True)
class MetricMath:
    """An expression over metrics, each read with `stat` per period; only the expression is alarmed on."""

    id: str
    expression: str
    label: str
    metrics: Mapping[str, Metric]  # the id the expression uses -> the metric
    stat: str = "Sum"


class Comparison(Enum):
    """CloudWatch's operator, and the symbol the docs' alarm table shows for it."""

    AT_LEAST = ("GreaterThanOrEqualToThreshold", "≥")
    ABOVE = ("GreaterThanThreshold", ">")
    BELOW = ("LessThanThreshold", "<")

    def __init__(self, operator: str, symbol: str):
        self.operator = operator
        self.symbol = symbol


@dataclass(frozen=True)
class AlarmSpec:
    key: str  # names the alarm's resource within its component (resource_name)
    setting: Optional[str]  # the component Args field that sets its threshold or its window; None if fixed
    watches: Union[Metric, MetricMath]
    comparison: Comparison
    threshold: float
    period: int  # seconds
    description: str
    statistic: Optional[str] = None  # Sum, Average, Maximum...; percentiles go in extended_statistic
    extended_statistic: Optional[str] = None
    evaluation_periods: int = 1
    datapoints: Optional[int] = None  # of the evaluation periods that must breach; unset means all
    missing_data: str = "notBreaching"

    def __post_init__(self) -> None:
        # CloudWatch wants exactly one statistic for a plain metric, and none beside metric math.
        wanted = 1 if isinstance(self.watches, Metric) else 0
        if (self.statistic is not None) + (self.extended_statistic is not None) != wanted:
            raise ValueError(f"alarm {self.key}: give {'one statistic' if wanted else 'no statistic'}")

    def resource_name(self, component: str) -> str:
        return f"{component}-{self.key}"

    def metric_alarm_args(self) -> dict[str, Any]:
        """The MetricAlarm arguments, leaving out what is unset. A plain metric's period belongs to the alarm;
        metric math takes it on each metric it reads."""
        args: dict[str, Any] = {
            "comparison_operator": self.comparison.operator,
            "threshold": self.threshold,
            "evaluation_periods": self.evaluation_periods,
            "datapoints_to_alarm": self.datapoints,
            "treat_missing_data": self.missing_data,
            "alarm_description": self.description,
        }
        if isinstance(self.watches, MetricMath):
            args["metric_queries"] = self._queries(self.watches)
        else:
            args.update(
                namespace=self.watches.namespace,
                metric_name=self.watches.name,
                dimensions=self.watches.dimensions,
                statistic=self.statistic,
                extended_statistic=self.extended_statistic,
                period=self.period,
            )
        return {name: value for name, value in args.items() if value is not None}

    def _queries(self, math: MetricMath) -> list[dict[str, Any]]:
        reads = [
            {
                "id": query_id,
                "return_data": False,
                "metric": {
                    "namespace": m.namespace,
                    "metric_name": m.name,
                    "dimensions": m.dimensions,
                    "period": self.period,
                    "stat": math.stat,
                },
            }
            for query_id, m in math.metrics.items()
        ]
        return [*reads, {"id": math.id, "expression": math.expression, "label": math.label, "return_data": True}]
