"""The collector's CloudWatch dashboard body: requests and errors, latency, Firehose in/out, data freshness."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pulumi

if TYPE_CHECKING:  # the monitoring component imports this module
    from components.collector_monitoring import CollectorMonitoringArgs

API = "AWS/ApiGateway"
FIREHOSE = "AWS/Firehose"
ATHENA = "AWS/Athena"
# CloudWatch's metric names, graphed here and watched by CollectorMonitoring's alarms.
REQUESTS, CLIENT_ERRORS, SERVER_ERRORS = "Count", "4XXError", "5XXError"
LATENCY, INTEGRATION_LATENCY = "Latency", "IntegrationLatency"
INCOMING, DELIVERED, THROTTLED = "IncomingRecords", "DeliveryToS3.Records", "ThrottledRecords"
FRESHNESS, DELIVERY_SUCCESS = "DeliveryToS3.DataFreshness", "DeliveryToS3.Success"
# Athena publishes a datapoint per finished query; its SampleCount under QueryState FAILED counts failures.
QUERY_TIME, FAILED = "TotalExecutionTime", "FAILED"
WIDTH, HEIGHT = 12, 6


def api_dimensions(args: CollectorMonitoringArgs) -> dict[str, pulumi.Input[str]]:
    return {"ApiName": args.api_name, "Stage": args.stage_name}


def stream_dimensions(args: CollectorMonitoringArgs) -> dict[str, pulumi.Input[str]]:
    return {"DeliveryStreamName": args.delivery_stream_name}


def failed_query_dimensions(args: CollectorMonitoringArgs) -> dict[str, pulumi.Input[str]]:
    return {"WorkGroup": args.workgroup_name, "QueryState": FAILED, "QueryType": "DML"}


def dashboard_body(
    args: CollectorMonitoringArgs, region: pulumi.Input[str], alarm_arns: list[pulumi.Output[str]]
) -> pulumi.Output[str]:
    # A graph's metric row spells dimensions flat: name, value, name, value...
    api = [part for pair in api_dimensions(args).items() for part in pair]
    stream = [part for pair in stream_dimensions(args).items() for part in pair]
    graphs = [
        (
            "Requests and errors",
            [
                [API, REQUESTS, *api, {"stat": "Sum", "label": "requests"}],
                [API, CLIENT_ERRORS, *api, {"stat": "Sum", "label": "4XX"}],
                [API, SERVER_ERRORS, *api, {"stat": "Sum", "label": "5XX"}],
            ],
        ),
        (
            "Latency (ms)",
            [
                [API, LATENCY, *api, {"stat": "p50", "label": "p50"}],
                [API, LATENCY, *api, {"stat": "p99", "label": "p99"}],
                [API, INTEGRATION_LATENCY, *api, {"stat": "p99", "label": "Firehose p99"}],
            ],
        ),
        (
            "Firehose records in and delivered",
            [
                [FIREHOSE, INCOMING, *stream, {"stat": "Sum", "label": "in"}],
                [FIREHOSE, DELIVERED, *stream, {"stat": "Sum", "label": "delivered to S3"}],
                [FIREHOSE, THROTTLED, *stream, {"stat": "Sum", "label": "throttled"}],
            ],
        ),
        (
            "Data freshness (s) and delivery success",
            [
                [FIREHOSE, FRESHNESS, *stream, {"stat": "Maximum", "label": "oldest record age"}],
                [FIREHOSE, DELIVERY_SUCCESS, *stream, {"stat": "Average", "label": "success", "yAxis": "right"}],
            ],
        ),
    ]
    widgets = [
        _graph(title, metrics, region, args.period_seconds, index) for index, (title, metrics) in enumerate(graphs)
    ]
    widgets.append(
        {
            "type": "alarm",
            "x": 0,
            "y": HEIGHT * ((len(graphs) + 1) // 2),
            "width": 2 * WIDTH,
            "height": HEIGHT // 2,
            "properties": {"title": "Alarms", "alarms": alarm_arns},
        }
    )
    return pulumi.Output.json_dumps({"widgets": widgets})


def _graph(title: str, metrics: list[list[Any]], region: pulumi.Input[str], period: int, index: int) -> dict[str, Any]:
    return {
        "type": "metric",
        "x": WIDTH * (index % 2),
        "y": HEIGHT * (index // 2),
        "width": WIDTH,
        "height": HEIGHT,
        "properties": {"title": title, "region": region, "view": "timeSeries", "period": period, "metrics": metrics},
    }
