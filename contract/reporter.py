"""The reporter Lambda's interface, stated once for the component that deploys it (components/daily_aggregator.py)
and the handler it runs (handlers/daily_report.py): the environment that configures it and the replay event."""

import json
from collections.abc import Mapping
from dataclasses import MISSING, dataclass, fields
from typing import Any, Optional


@dataclass(frozen=True)
class Variables:
    """The function's environment as the handler reads it: each field is the variable of its name in upper case
    (collector_url: COLLECTOR_URL). A field without a default is required: the handler refuses to run without it.
    An optional one is None when the variable is absent or empty, and the handler has a default for each."""

    collector_url: str
    stack_id: str
    product_version: str
    metrics_namespace: str
    http_timeout_seconds: Optional[str] = None
    max_attempts: Optional[str] = None
    # A JSON list: the dimension set whose series are summed. Absent: the handler chooses among the sets it finds.
    dimension_names: Optional[str] = None
    retry_queue_url: Optional[str] = None
    # The catalogue product whose counters are reported, an entry the archive ships. Absent: the default product.
    product_id: Optional[str] = None
    # Per counter, the metric summed (COUNTER_METRIC_KEYS). Absent: each counter is the metric of its own name in
    # METRICS_NAMESPACE.
    counter_metrics: Optional[str] = None
    # Where the collector answers the product's releases (docs/releases.md). Absent: no releases check.
    releases_url: Optional[str] = None

    @classmethod
    def read(cls, env: Mapping[str, str]) -> "Variables":
        missing = [name for name in REQUIRED_VARIABLES if not env.get(name)]
        if missing:
            raise ValueError(f"reporter is misconfigured: missing environment variables {', '.join(missing)}")
        read: dict[str, Any] = {field.name: env.get(field.name.upper()) or None for field in fields(cls)}
        return cls(**read)


REQUIRED_VARIABLES = tuple(f.name.upper() for f in fields(Variables) if f.default is MISSING)
OPTIONAL_VARIABLES = tuple(f.name.upper() for f in fields(Variables) if f.default is not MISSING)
# Lambda refuses a function whose environment variables take more than 4 KB together (AWS Lambda quotas, "Function
# configuration, deployment, and execution": 4 KB for all of a function's environment variables, in aggregate).
ENVIRONMENT_LIMIT_BYTES = 4096


def environment_size(variables: Mapping[str, str]) -> int:
    """The bytes the variables take as Lambda counts them, their names and values and the JSON quoting around them:
    measured as the compact JSON text of the map, which counts no less than the names and values alone."""
    return len(json.dumps(dict(variables), separators=(",", ":"), ensure_ascii=False).encode("utf-8"))


# COUNTER_METRICS is a JSON object: counter name -> an object with any of these keys (an absent one: the default).
# "dimensions" is the filter, an object of dimension name -> value: only the series that have each are summed.
COUNTER_METRIC_KEYS = ("namespace", "metric_name", "dimensions")
# After a day's report, the reporter asks RELEASES_URL (the collector's products/<id>/releases, docs/releases.md) and
# publishes what concerns its version in METRICS_NAMESPACE, no dimensions: the metrics an operator's alarm reads.
NEWER_VERSION_METRIC = "NewerVersionAvailable"  # 1 when the latest release is above this version, else 0
ADVISORIES_METRIC = "AdvisoriesAffectingVersion"  # how many advisories affect this version
# The hourly replay schedule's input: the handler then reruns the failed runs waiting in the retry queue.
REPLAY_EVENT = {"replay": "failed-runs"}


def environment(**values: Any) -> dict[str, Any]:
    """The function's environment, each keyword a field of Variables; None leaves a variable out."""
    allowed = REQUIRED_VARIABLES + OPTIONAL_VARIABLES
    for key, value in values.items():
        if key.upper() not in allowed:
            raise TypeError(
                f"{key}={value!r} is not a reporter variable: allowed are {', '.join(name.lower() for name in allowed)}"
            )
    missing = [name for name in REQUIRED_VARIABLES if values.get(name.lower()) is None]
    if missing:
        raise TypeError(f"the reporter needs {', '.join(name.lower() for name in missing)}")
    return {key.upper(): value for key, value in values.items() if value is not None}
