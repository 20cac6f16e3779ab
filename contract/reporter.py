"""The reporter Lambda's interface, stated once for the component that deploys it (components/daily_aggregator.py)
and the handler it runs (handlers/daily_report.py): the environment that configures it and the replay event."""

from typing import Any

# The handler refuses to run without these.
REQUIRED_VARIABLES = ("COLLECTOR_URL", "STACK_ID", "PRODUCT_VERSION", "METRICS_NAMESPACE")
# The handler has a default for each (DIMENSION_NAMES absent: it chooses among the dimension sets it finds;
# PRODUCT_ID absent: the catalogue's default product; COUNTER_METRICS absent: each counter is the metric of its
# own name in METRICS_NAMESPACE; RELEASES_URL absent: no releases check).
OPTIONAL_VARIABLES = (
    "HTTP_TIMEOUT_SECONDS",
    "MAX_ATTEMPTS",
    "DIMENSION_NAMES",
    "RETRY_QUEUE_URL",
    "PRODUCT_ID",
    "COUNTER_METRICS",
    "RELEASES_URL",
)
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
    """The function's environment, each keyword the variable's name in lower case; None leaves a variable out."""
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
