"""The collector's CloudWatch dashboard body: requests and errors, latency, Firehose in/out, data freshness."""

from __future__ import annotations

import pulumi

API = "AWS/ApiGateway"
FIREHOSE = "AWS/Firehose"
WIDTH, HEIGHT = 12, 6


def dashboard_body(args, region: pulumi.Input[str], alarm_arns: list) -> pulumi.Output[str]:
    api = ["ApiName", args.api_name, "Stage", args.stage_name]
    stream = ["DeliveryStreamName", args.delivery_stream_name]
    graphs = [
        ("Requests and errors", [[API, "Count", *api, {"stat": "Sum", "label": "requests"}],
                                 [API, "4XXError", *api, {"stat": "Sum", "label": "4XX"}],
                                 [API, "5XXError", *api, {"stat": "Sum", "label": "5XX"}]]),
        ("Latency (ms)", [[API, "Latency", *api, {"stat": "p50", "label": "p50"}],
                          [API, "Latency", *api, {"stat": "p99", "label": "p99"}],
                          [API, "IntegrationLatency", *api, {"stat": "p99", "label": "Firehose p99"}]]),
        ("Firehose records in and delivered", [
            [FIREHOSE, "IncomingRecords", *stream, {"stat": "Sum", "label": "in"}],
            [FIREHOSE, "DeliveryToS3.Records", *stream, {"stat": "Sum", "label": "delivered to S3"}],
            [FIREHOSE, "ThrottledRecords", *stream, {"stat": "Sum", "label": "throttled"}]]),
        ("Data freshness (s) and delivery success", [
            [FIREHOSE, "DeliveryToS3.DataFreshness", *stream, {"stat": "Maximum", "label": "oldest record age"}],
            [FIREHOSE, "DeliveryToS3.Success", *stream, {"stat": "Average", "label": "success", "yAxis": "right"}]]),
    ]
    widgets = [_graph(title, metrics, region, args.period_seconds, index)
               for index, (title, metrics) in enumerate(graphs)]
    widgets.append({"type": "alarm", "x": 0, "y": HEIGHT * ((len(graphs) + 1) // 2), "width": 2 * WIDTH,
                    "height": HEIGHT // 2, "properties": {"title": "Alarms", "alarms": alarm_arns}})
    return pulumi.Output.json_dumps({"widgets": widgets})


def _graph(title: str, metrics: list, region, period: int, index: int) -> dict:
    return {"type": "metric", "x": WIDTH * (index % 2), "y": HEIGHT * (index // 2), "width": WIDTH,
            "height": HEIGHT, "properties": {"title": title, "region": region, "view": "timeSeries",
                                             "period": period, "metrics": metrics}}
