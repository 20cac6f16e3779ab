"""Publishes counters the way the product does (namespace, dimensions stackID and version), for the reporter."""

from __future__ import annotations

import datetime as dt

UTC = dt.timezone.utc
NAMESPACE = "lunasec"


def dimensions(stack: str = "product-stack", version: str = "1.2.3") -> list[dict]:
    return [{"Name": "stackID", "Value": stack}, {"Name": "version", "Value": version}]


def publish(cloudwatch, name: str, value: float, when: dt.datetime, dims: list[dict] | None = None,
            namespace: str = NAMESPACE) -> None:
    cloudwatch.put_metric_data(Namespace=namespace, MetricData=[{
        "MetricName": name, "Dimensions": dimensions() if dims is None else dims, "Timestamp": when, "Value": value,
    }])


def count_calls(client) -> list[str]:
    """The API operations the client makes from now on, in order."""
    calls: list[str] = []
    client.meta.events.register("before-call.*.*", lambda model, **_: calls.append(model.name))
    return calls
