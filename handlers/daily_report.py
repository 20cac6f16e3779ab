"""The daily reporter: sums yesterday's CloudWatch counters and posts the totals to the collector.

Runs on the Lambda Python runtime with boto3; everything else it imports ships in its archive.
Its environment is contract.reporter.Variables, the variables DailyAggregator sets: where to post, what to read
(namespace, product, per counter the metric summed), the retry queue the hourly replay reads (replay_failed_runs)
and the releases answer asked once after a scheduled run's report, when set (handlers/release_check.py).

An operator's dry run, with the function's environment and their own AWS credentials, prints the body a run
would post for a day and sends nothing: `python -m handlers.daily_report --dry-run --date YYYY-MM-DD`.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import email.utils
import functools
import http.client
import ipaddress
import json
import os
import random
import re
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any, Optional, TextIO

import boto3
import fastjsonschema

from contract import products, schemas
from contract.reporter import COUNTER_METRIC_KEYS, REPLAY_EVENT, REQUIRED_VARIABLES, Variables
from handlers import release_check

DAY = dt.timedelta(days=1)
# GetMetricData accepts at most 500 queries per request.
MAX_QUERIES_PER_REQUEST = 500
RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})
BACKOFF_BASE_SECONDS = 1.0
BACKOFF_CAP_SECONDS = 20.0
# The longest wait a collector's Retry-After can ask for: a Lambda function runs at most 900 s, and a longer wait
# ends the run anyway (may_retry), leaving the day to Lambda's retries and the hourly replay.
RETRY_AFTER_CAP_SECONDS = 900.0
_DELTA_SECONDS = re.compile(r"[0-9]{1,10}")
# Keep this much of the invocation for the final log line and the error, rather than being killed mid-retry.
TIME_RESERVE_SECONDS = 2.0
# AWS's common WAF rule set blocks a request without one (docs/guardrails.md).
USER_AGENT = "analytics-collector-reporter"

# boto3's clients (cloudwatch, sqs): the Lambda runtime's boto3 ships no type information.
AwsClient = Any


class CollectorRejected(RuntimeError):
    """The collector refused the report (4xx other than 429): sending it again as it is cannot help."""

    def __init__(self, status: int, answer: str):
        super().__init__(f"collector answered {status}: {answer}")
        self.status, self.answer = status, answer


# API Gateway's validation message for keys its model does not know (the README shows one in full).
NOT_ALLOWED = re.compile(r"properties which are not allowed by the schema: (\[[^\]]*\])")


class DeliveryFailed(RuntimeError):
    """Every attempt failed with a retryable error; the invocation fails so Lambda retries it later."""


@dataclass(frozen=True)
class MetricSource:
    """The CloudWatch metric a counter's total is read from, and the filter choosing its series."""

    namespace: str
    metric_name: str
    # (name, value) pairs a series must all have; () takes every series of the metric.
    dimensions: tuple[tuple[str, str], ...] = ()

    def matches(self, metric: dict[str, Any]) -> bool:
        if (metric["Namespace"], metric["MetricName"]) != (self.namespace, self.metric_name):
            return False
        found = {d["Name"]: d["Value"] for d in metric["Dimensions"]}
        return all(found.get(name) == value for name, value in self.dimensions)


@dataclass(frozen=True)
class Settings:
    collector_url: str
    stack_id: str
    version: str
    namespace: str
    http_timeout_seconds: float = 10.0
    max_attempts: int = 4
    # None: choose among the dimension sets found (see count_once); else only series with exactly these names.
    dimension_names: Optional[tuple[str, ...]] = None
    retry_queue_url: Optional[str] = None
    product_id: str = products.DEFAULT_PRODUCT_ID
    # The counters COUNTER_METRICS maps; every other counter is the metric of its own name in `namespace`.
    counter_metrics: tuple[tuple[str, MetricSource], ...] = ()
    # Where the product's releases are asked after a scheduled run's report; None: not asked.
    releases_url: Optional[str] = None

    def sources(self) -> dict[str, MetricSource]:
        """Each counter of the product, in its order, and where its total is read."""
        given = dict(self.counter_metrics)
        return {name: given.get(name, MetricSource(self.namespace, name)) for name in _counter_names(self.product_id)}

    @classmethod
    def from_env(cls, env: Optional[Mapping[str, str]] = None) -> Settings:
        variables = Variables.read(os.environ if env is None else env)
        settings = cls(
            collector_url=variables.collector_url,
            stack_id=variables.stack_id,
            version=variables.product_version,
            namespace=variables.metrics_namespace,
            http_timeout_seconds=float(variables.http_timeout_seconds or cls.http_timeout_seconds),
            max_attempts=int(variables.max_attempts or cls.max_attempts),
            dimension_names=_dimension_names(variables.dimension_names),
            retry_queue_url=variables.retry_queue_url,
            product_id=_product_id(variables.product_id),
            releases_url=variables.releases_url,
        )
        settings = replace(settings, counter_metrics=_counter_metrics(variables.counter_metrics, settings))
        require_secure_url(settings.collector_url)
        if settings.releases_url is not None:
            require_secure_url(settings.releases_url, "RELEASES_URL")
        if settings.max_attempts < 1 or settings.http_timeout_seconds <= 0:
            raise ValueError("reporter is misconfigured: MAX_ATTEMPTS must be >= 1 and HTTP_TIMEOUT_SECONDS > 0")
        return settings


def _dimension_names(raw: Optional[str]) -> Optional[tuple[str, ...]]:
    if raw is None:
        return None
    try:
        names = json.loads(raw)
    except json.JSONDecodeError:
        names = None
    if not isinstance(names, list) or not all(isinstance(n, str) and n for n in names):
        raise ValueError(f"reporter is misconfigured: DIMENSION_NAMES must be a JSON list of names, got {raw!r}")
    return dimension_set(names)


def _product_id(raw: Optional[str]) -> str:
    if raw is None:
        return products.DEFAULT_PRODUCT_ID
    try:
        return products.builtin(raw).id
    except products.CatalogueError as error:
        raise ValueError(f"reporter is misconfigured: PRODUCT_ID: {error}") from None


def _counter_names(product_id: str) -> list[str]:
    return schemas.counter_names(products.builtin(product_id))


def _is_text(value: Any) -> bool:
    return isinstance(value, str) and bool(value)


def _counter_metrics(raw: Optional[str], settings: Settings) -> tuple[tuple[str, MetricSource], ...]:
    """COUNTER_METRICS read and checked: each name a counter of the product, each source of the keys allowed."""
    if raw is None:
        return ()
    try:
        given = json.loads(raw)
    except json.JSONDecodeError:
        given = None
    shape = "a JSON object of counter name -> {" + ", ".join(COUNTER_METRIC_KEYS) + "}"
    if not isinstance(given, dict):
        raise ValueError(f"reporter is misconfigured: COUNTER_METRICS must be {shape}, got {raw[:200]!r}")
    names = _counter_names(settings.product_id)
    read = []
    for name, source in sorted(given.items()):
        if name not in names:
            raise ValueError(
                f"reporter is misconfigured: COUNTER_METRICS names {name!r}, not a counter of "
                f"{settings.product_id}: its counters are {', '.join(names)}"
            )
        dimensions = source.get("dimensions", {}) if isinstance(source, dict) else None
        if not (
            isinstance(source, dict)
            and set(source) <= set(COUNTER_METRIC_KEYS)
            and all(_is_text(source[key]) for key in ("namespace", "metric_name") if key in source)
            and isinstance(dimensions, dict)
            and all(_is_text(k) and _is_text(v) for k, v in dimensions.items())
        ):
            raise ValueError(f"reporter is misconfigured: COUNTER_METRICS[{name!r}] must be {shape}, got {source!r}")
        metric = MetricSource(
            str(source.get("namespace", settings.namespace)),
            str(source.get("metric_name", name)),
            tuple(sorted(dimensions.items())),
        )
        read.append((name, metric))
    return tuple(read)


def require_secure_url(url: str, variable: str = "COLLECTOR_URL") -> None:
    """Reports leave the deployment only over TLS; plain http is allowed to loopback, for local tests."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return
    if parts.scheme == "http" and parts.hostname and _is_loopback(parts.hostname):
        return
    raise ValueError(f"{variable} must be an https:// URL, got {url!r}")


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def report_day(now: dt.datetime) -> dt.date:
    """The last full UTC day before `now`: a rerun on the same day reports the same day."""
    return now.astimezone(dt.UTC).date() - DAY


def day_window(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    start = dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)
    return start, start + DAY


def dimension_set(names: Iterable[str]) -> tuple[str, ...]:
    """A dimension set as a key: the order EMF or PutMetricData listed the names in does not matter."""
    return tuple(sorted(set(names)))


def dimension_set_label(names: tuple[str, ...]) -> str:
    return ",".join(names) or "(none)"


@dataclass(frozen=True)
class CountedTotals:
    totals: dict[str, int]
    # Counters published under more than one dimension set: each set's total and the set counted.
    ambiguous: dict[str, dict[str, Any]]


def count_once(views: dict[tuple[str, ...], int], configured: Optional[tuple[str, ...]]) -> tuple[str, ...]:
    """Which dimension set's series to count for one counter, given every set's total for the day.

    One datapoint lands in exactly one series of each dimension set it is published under (EMF writes it
    once per set; an aggregate beside a breakdown is the same datapoints twice), so each set is a view of
    the same datapoints and summing two views counts them twice. A view can only fall short of the truth,
    never exceed it: a set added by an upgrade during the day, or a breakdown covering only some versions,
    misses datapoints. So the largest total is the closest to the truth; on a tie (the usual case: EMF
    views agree) the set with the most names wins, only so the choice is stable from day to day.
    """
    if configured is not None:
        return configured
    return max(views, key=lambda names: (views[names], len(names), names))


def read_totals(
    cloudwatch: AwsClient,
    sources: dict[str, MetricSource],
    day: dt.date,
    dimension_names: Optional[tuple[str, ...]] = None,
) -> CountedTotals:
    """Each counter's total for the day from its source's series, every datapoint counted once (see count_once).

    Two CloudWatch calls for up to 500 series: ListMetrics (once for each namespace the sources name), then one
    GetMetricData for every series the choice may need (all that match, unless the dimension set is configured);
    a series two counters read is queried once.
    """
    listed = [
        m for namespace in sorted({s.namespace for s in sources.values()}) for m in _list_metrics(cloudwatch, namespace)
    ]
    matching = {name: [m for m in listed if source.matches(m)] for name, source in sources.items()}
    wanted = {
        name: found if dimension_names is None else [m for m in found if _names_of(m) == dimension_names]
        for name, found in matching.items()
    }
    # every set found, so a configured set that is absent can be reported
    views = {name: dict.fromkeys((_names_of(m) for m in found), 0) for name, found in matching.items()}
    series = {_series_key(m): m for found in wanted.values() for m in found}
    sums = _sum_series(cloudwatch, list(series.values()), day)
    for name, found in wanted.items():
        for metric in found:
            views[name][_names_of(metric)] += sums[_series_key(metric)]
    counted = {name: _count(found, dimension_names) for name, found in views.items()}
    return CountedTotals(
        {name: total for name, (total, _) in counted.items()},
        {name: note for name, (_, note) in counted.items() if note},
    )


def _series_key(metric: dict[str, Any]) -> tuple[Any, ...]:
    return metric["Namespace"], metric["MetricName"], tuple((d["Name"], d["Value"]) for d in metric["Dimensions"])


def _sum_series(cloudwatch: AwsClient, series: list[dict[str, Any]], day: dt.date) -> dict[tuple[Any, ...], int]:
    """Each series' sum over the day, up to MAX_QUERIES_PER_REQUEST series a GetMetricData request."""
    start, end = day_window(day)
    sums = dict.fromkeys(map(_series_key, series), 0)
    for first in range(0, len(series), MAX_QUERIES_PER_REQUEST):
        batch = series[first : first + MAX_QUERIES_PER_REQUEST]
        queries = [
            {"Id": f"m{i}", "MetricStat": {"Metric": metric, "Period": 86400, "Stat": "Sum"}}
            for i, metric in enumerate(batch)
        ]
        for result in _get_metric_data(cloudwatch, queries, start, end):
            sums[_series_key(batch[int(result["Id"][1:])])] += round(sum(result["Values"]))
    return sums


def _count(
    found: dict[tuple[str, ...], int], configured: Optional[tuple[str, ...]]
) -> tuple[int, Optional[dict[str, Any]]]:
    """One counter's total, and what the warning line says of it when it came under other dimension sets."""
    if not found:
        return 0, None
    counted = count_once(found, configured)
    total = found.get(counted, 0)
    if len(found) == 1 and counted in found:
        return total, None
    note: dict[str, Any] = {"counted": dimension_set_label(counted), "total": total}
    if configured is None:
        note["dimension_sets"] = {dimension_set_label(n): t for n, t in sorted(found.items())}
    else:  # not read, so no totals to show
        note["not_read"] = [dimension_set_label(n) for n in sorted(found) if n != counted]
    return total, note


def _names_of(metric: dict[str, Any]) -> tuple[str, ...]:
    return dimension_set(d["Name"] for d in metric["Dimensions"])


def _list_metrics(cloudwatch: AwsClient, namespace: str) -> list[dict[str, Any]]:
    """Each series once: summing a series twice would double its count (moto, for one, lists repeats)."""
    series, token = {}, None
    while True:
        page = cloudwatch.list_metrics(Namespace=namespace, **({"NextToken": token} if token else {}))
        for m in page.get("Metrics", []):
            dims = sorted((d["Name"], d["Value"]) for d in m.get("Dimensions", []))
            series[(m["MetricName"], tuple(dims))] = {
                "Namespace": m["Namespace"],
                "MetricName": m["MetricName"],
                "Dimensions": [{"Name": n, "Value": v} for n, v in dims],
            }
        token = page.get("NextToken")
        if not token:
            return list(series.values())


def _get_metric_data(
    cloudwatch: AwsClient, queries: list[dict[str, Any]], start: dt.datetime, end: dt.datetime
) -> list[dict[str, Any]]:
    results, token = [], None
    while True:
        page = cloudwatch.get_metric_data(
            MetricDataQueries=queries, StartTime=start, EndTime=end, **({"NextToken": token} if token else {})
        )
        results += page.get("MetricDataResults", [])
        token = page.get("NextToken")
        if not token:
            return results


def daily_maximums(product_id: str) -> dict[str, int]:
    """Each counter's daily maximum: its catalogue entry's, else the schema's `count` maximum."""
    ceiling = schemas.counter_maximum()
    declared = {c.name: c.daily_maximum for c in products.builtin(product_id).counters}
    return {name: declared.get(name) or ceiling for name in _counter_names(product_id)}


def within_maximum(
    totals: dict[str, int], maximums: Optional[dict[str, int]] = None
) -> tuple[dict[str, int], dict[str, int]]:
    """The totals the schema accepts, and those above their daily maximum, which are left out rather than clamped.

    A clamped total would be a false number that every sum then counts as true; left out, the day's other
    counters still arrive (less data, never other data, as with counters an older collector refuses). A total
    that high is a metrics mistake (another namespace's series, a unit error) more likely than real traffic.
    `maximums`: per counter, when the product sets lower ones than the schema's.
    """
    ceiling = schemas.counter_maximum()
    maximums = maximums or {}
    kept = {name: total for name, total in totals.items() if total <= maximums.get(name, ceiling)}
    over = {name: total for name, total in totals.items() if name not in kept}
    if totals and not kept:
        lower = " or the product's lower one" if any(maximums.get(name, ceiling) < ceiling for name in over) else ""
        raise ValueError(
            f"every counter's total is above the schema's daily maximum of {ceiling}{lower}: {over}; nothing to send"
        )
    return kept, over


@functools.lru_cache(maxsize=4)
def report_validator(product_id: str) -> Callable[[object], dict[str, Any]]:
    """The product's report schema, compiled once per product a warm function reports."""
    return fastjsonschema.compile(schemas.load_schema(products.builtin(product_id)))


def build_report(settings: Settings, day: dt.date, totals: dict[str, int]) -> dict[str, Any]:
    report = {
        "version": settings.version,
        "stack_id": settings.stack_id,
        "report_date": day.isoformat(),
        schemas.CANONICAL_COUNTERS_KEY: totals,
    }
    try:
        return report_validator(settings.product_id)(report)
    except fastjsonschema.JsonSchemaValueException as error:
        raise ValueError(f"report does not match the schema, not sent: {error.message}") from None


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    # urllib would follow a 30x to any URL (even http://) as a GET; a collector that redirects is misconfigured.
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirects)


@dataclass
class Delivery:
    attempts: int = 0
    status: Optional[int] = None
    last_error: str = ""


def without_unknown_counters(
    report: dict[str, Any], rejected: CollectorRejected, validate: Callable[[object], dict[str, Any]]
) -> dict[str, Any]:
    """The report without the counters an older collector refused, so a newer reporter loses no day.

    Only when the 400 names nothing but keys of this report's counters: the resend is then the same report
    with fewer counters (less data, never other data), still valid under the reporter's own schema, and
    is sent once. Anything else re-raises the rejection.
    """
    counters = report[schemas.CANONICAL_COUNTERS_KEY]
    try:
        reason = json.loads(rejected.answer).get("reason", "")
        named = {name for found in NOT_ALLOWED.findall(reason) for name in json.loads(found)}
    except (json.JSONDecodeError, AttributeError, TypeError):
        named = set()
    if rejected.status != 400 or not named or not named <= set(counters) - set(report) or named == set(counters):
        raise rejected
    return validate(
        {
            **report,
            schemas.CANONICAL_COUNTERS_KEY: {name: value for name, value in counters.items() if name not in named},
        }
    )


def backoff_seconds(attempts: int, jitter: Any) -> Any:
    """The wait after failed attempt number `attempts`: capped exponential backoff with full jitter
    (`jitter` in [0, 1); an array of them works too, for tooling/benchmarks/fleet_simulation.py)."""
    return jitter * min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2 ** (attempts - 1))


def retry_after_seconds(header: Optional[str], now: float) -> Optional[float]:
    """The wait a Retry-After header asks for (RFC 9110: delta-seconds, or an HTTP-date, `now` being the epoch
    seconds it is measured from), capped at RETRY_AFTER_CAP_SECONDS; None when there is none or it is unreadable
    (the backoff applies then)."""
    if header is None:
        return None
    value = header.strip()
    if _DELTA_SECONDS.fullmatch(value):
        seconds = float(value)
    else:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:  # "-0000": a time in UTC whose sender did not say where it is
            when = when.replace(tzinfo=dt.UTC)
        seconds = max(0.0, when.timestamp() - now)
    return min(seconds, RETRY_AFTER_CAP_SECONDS)


def retry_wait(attempts: int, jitter: Any, retry_after: Optional[float]) -> Any:
    """The wait before the next attempt: what the collector asked for (Retry-After), else the backoff."""
    return backoff_seconds(attempts, jitter) if retry_after is None else retry_after


def may_retry(settings: Settings, attempts: int, delay: Any, seconds_left: Any) -> Any:
    """Whether another attempt fits: attempts left, and time for the wait, one full attempt and the reserve.
    `&`, not `and`, so the fleet simulation can ask for a whole array of runs at once."""
    return (attempts < settings.max_attempts) & (
        seconds_left >= delay + settings.http_timeout_seconds + TIME_RESERVE_SECONDS
    )


def report_body(report: dict[str, Any]) -> bytes:
    """The bytes POSTed for a report; the dry run prints the same."""
    return json.dumps(report, separators=(",", ":")).encode()


def post_report(
    settings: Settings,
    report: dict[str, Any],
    delivery: Delivery,
    sleep: Callable[[float], None] = time.sleep,
    jitter: Callable[[], float] = random.random,
    seconds_left: Callable[[], float] = lambda: float("inf"),
    wall_clock: Callable[[], float] = time.time,
) -> None:
    """POST the report; retry network errors, 429 and 5xx after the collector's Retry-After when it sends one,
    else with capped exponential backoff and full jitter. A wait this run has no time for ends it: the day is
    then Lambda's retries' and the hourly replay's to send."""
    request = urllib.request.Request(
        settings.collector_url,
        data=report_body(report),
        method="POST",
        headers={"Content-Type": "application/json", "User-Agent": USER_AGENT},
    )
    while True:
        delivery.attempts += 1
        retry_after = None
        try:
            with _OPENER.open(request, timeout=settings.http_timeout_seconds) as response:
                delivery.status = response.status
                return
        except urllib.error.HTTPError as error:
            delivery.status = error.code
            message = error.read(2048).decode("utf-8", "replace")
            if error.code not in RETRYABLE_STATUSES:
                raise CollectorRejected(error.code, message) from None
            delivery.last_error = f"HTTP {error.code}: {message}"
            retry_after = retry_after_seconds(error.headers.get("Retry-After"), wall_clock())
        except (urllib.error.URLError, OSError, http.client.HTTPException) as error:  # refused, reset, timeout...
            delivery.status = None
            delivery.last_error = f"{type(error).__name__}: {getattr(error, 'reason', error)}"
        delay = retry_wait(delivery.attempts, jitter(), retry_after)
        if not may_retry(settings, delivery.attempts, delay, seconds_left()):
            asked = "" if retry_after is None else f" (the collector asked to wait {retry_after:g} s)"
            raise DeliveryFailed(
                f"report not delivered after {delivery.attempts} attempts{asked}: {delivery.last_error}"
            )
        sleep(delay)


@functools.lru_cache(maxsize=1)
def cloudwatch_client() -> AwsClient:
    # Created on first use and kept for warm invocations; creating it costs more than importing boto3's core.
    return boto3.client("cloudwatch")


def run(
    settings: Settings,
    cloudwatch: AwsClient,
    now: dt.datetime,
    dry_run: Optional[TextIO] = None,
    **post_options: Any,
) -> dict[str, Any]:
    """One reporting run; prints exactly one JSON outcome line, whether it succeeds or not, after a warning line
    when a counter came under several dimension sets (so an operator can pin the right one) and one when a
    total is above the schema's daily maximum. With `dry_run`, the body is written there instead of posted."""
    day = report_day(now)
    delivery = Delivery()
    log: dict[str, Any] = {
        "event": "usage_report",
        "report_date": day.isoformat(),
        "stack_id": settings.stack_id,
        "namespace": settings.namespace,
    }
    try:
        counted = read_totals(cloudwatch, settings.sources(), day, settings.dimension_names)
        log["totals"] = counted.totals
        if counted.ambiguous:
            _warn_dimension_sets(log, settings, counted.ambiguous)
        totals, over = within_maximum(counted.totals, daily_maximums(settings.product_id))
        if over:
            _warn_over_maximum(log, settings, over)
            log["over_maximum"] = sorted(over)
        report = build_report(settings, day, totals)
        if dry_run is not None:
            dry_run.write(report_body(report).decode() + "\n")
            dry_run.flush()
            log["outcome"] = "dry_run"
            return report
        try:
            post_report(settings, report, delivery, **post_options)
        except CollectorRejected as rejected:
            report = without_unknown_counters(report, rejected, report_validator(settings.product_id))
            log["dropped_counters"] = sorted(set(log["totals"]) - set(report[schemas.CANONICAL_COUNTERS_KEY]))
            post_report(settings, report, delivery, **post_options)
        log["outcome"] = "sent"
        return report
    except Exception as error:
        log["outcome"] = "failed"
        log["error"] = f"{type(error).__name__}: {error}"
        raise
    finally:
        log.update(attempts=delivery.attempts, status=delivery.status)
        print(json.dumps(log, sort_keys=True), flush=True)


def _warn_dimension_sets(log: dict[str, Any], settings: Settings, ambiguous: dict[str, dict[str, Any]]) -> None:
    why = (
        "these counters have series outside the configured dimension set; only that set is counted"
        if settings.dimension_names is not None
        else "these counters come under several dimension sets, views of the same datapoints: the largest is "
        "counted, not their sum; set reporter.dimensionNames to choose"
    )
    print(
        json.dumps(
            {
                "event": "usage_report_dimension_sets",
                "level": "WARNING",
                "report_date": log["report_date"],
                "stack_id": settings.stack_id,
                "namespace": settings.namespace,
                "message": why,
                "counters": ambiguous,
            },
            sort_keys=True,
        ),
        flush=True,
    )


def _warn_over_maximum(log: dict[str, Any], settings: Settings, over: dict[str, int]) -> None:
    print(
        json.dumps(
            {
                "event": "usage_report_over_maximum",
                "level": "WARNING",
                "report_date": log["report_date"],
                "stack_id": settings.stack_id,
                "namespace": settings.namespace,
                "message": "these counters' totals are above the daily maximum the collector accepts: they "
                "are left out of the report and the other counters are sent",
                "maximum": schemas.counter_maximum(),
                "maximums": {name: daily_maximums(settings.product_id)[name] for name in over},
                "counters": over,
            },
            sort_keys=True,
        ),
        flush=True,
    )


EVENT_SHAPES = (
    'a scheduled run {"time": "<ISO 8601 time with a zone>"}, Lambda\'s failure record of one '
    '{"requestPayload": {"time": ...}}, the replay trigger '
    + json.dumps(REPLAY_EVENT)
    + ", or {} for a manual run of yesterday"
)
# Long polling, however short, asks every SQS server; a short poll samples some and can miss the one message.
REPLAY_WAIT_SECONDS = 1
# Time a run needs before its first POST (ListMetrics, GetMetricData): a replay starts another failed run only
# with this, one POST and the reserve left, so no run is cut off by the function's timeout.
CLOUDWATCH_READ_SECONDS = 10.0


def is_replay_trigger(event: object) -> bool:
    if not (isinstance(event, dict) and set(event) & set(REPLAY_EVENT)):
        return False
    if event != REPLAY_EVENT:
        raise ValueError(
            f"unknown replay event {json.dumps(event, sort_keys=True)[:200]}: "
            f"expected exactly {json.dumps(REPLAY_EVENT)}"
        )
    return True


def scheduled_time(event: object) -> dt.datetime:
    """The time the schedule meant, so a late start inside Scheduler's flexible window, Lambda's retries and the
    hourly replays all report the same day as an on-time first attempt; now for a manual invocation ({}).

    `time` is what the schedule's input carries (Scheduler's <aws.scheduler.scheduled-time>, the start of
    the window, not when the run started) and what an EventBridge rule's event carried before it. A
    failure record (Lambda's on-failure destination, in the retry or dead-letter queue) holds the event as
    `requestPayload`, so it can be replayed as it is. Any other shape is refused: guessing a day could
    report the wrong one.
    """
    if event is None or event == {}:
        return dt.datetime.now(dt.UTC)
    if isinstance(event, dict) and "requestPayload" in event:
        payload = event["requestPayload"]
        if not (isinstance(payload, dict) and "time" in payload):
            raise ValueError(
                f"a failure record whose requestPayload is not a scheduled run: "
                f"{json.dumps(payload, sort_keys=True, default=str)[:200]}; expected {EVENT_SHAPES}"
            )
        event = payload
    if not (isinstance(event, dict) and "time" in event):
        shown = f"keys {sorted(event)}" if isinstance(event, dict) else f"a {type(event).__name__}, not an object"
        raise ValueError(f"unknown event ({shown}): expected {EVENT_SHAPES}")
    stamp = event["time"]
    try:
        when = dt.datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except (AttributeError, ValueError):
        raise ValueError(f"the event's time {stamp!r} is not an ISO 8601 time") from None
    if when.tzinfo is None:
        raise ValueError(f"the event's time {stamp!r} has no time zone; the report day would be a guess")
    return when


@functools.lru_cache(maxsize=1)
def sqs_client() -> AwsClient:
    return boto3.client("sqs")


def require_retry_queue(settings: Settings) -> str:
    if not settings.retry_queue_url:
        raise ValueError("reporter is misconfigured: the replay needs RETRY_QUEUE_URL")
    return settings.retry_queue_url


def replay_failed_runs(
    settings: Settings,
    sqs: AwsClient,
    cloudwatch: Callable[[], AwsClient],
    wait_seconds: int = REPLAY_WAIT_SECONDS,
    seconds_left: Callable[[], float] = lambda: float("inf"),
    **post_options: Any,
) -> dict[str, Any]:
    """Run again, each for the day it was scheduled for, the runs Lambda gave up on (their failure records in
    the retry queue); prints one JSON summary line and returns it.

    `cloudwatch` makes the client, called only once a message arrives: most replays find the queue empty and
    are billed for one ReceiveMessage, not for a client they never use (docs/fleet-scale.md prices them).

    One message at a time, and only with time for a run: each receive counts one of the queue's
    maxReceiveCount tries. A report sent (or already sent by this replay) is deleted; a failed one stays,
    hidden for the queue's visibility timeout, until the next hourly replay or, its tries used up, until SQS
    moves it to the dead-letter queue. A failed report never fails the replay: Lambda would retry the
    replay and put its failure record in this same queue.
    """
    queue_url = require_retry_queue(settings)
    summary: dict[str, Any] = {
        "event": "usage_report_replay",
        "stack_id": settings.stack_id,
        "days": {},
        "unreadable": 0,
    }
    while seconds_left() >= CLOUDWATCH_READ_SECONDS + settings.http_timeout_seconds + TIME_RESERVE_SECONDS:
        messages = sqs.receive_message(
            QueueUrl=queue_url,
            MaxNumberOfMessages=1,
            WaitTimeSeconds=wait_seconds,
            AttributeNames=["ApproximateReceiveCount"],
        ).get("Messages", [])
        if not messages:
            break
        [message] = messages
        if _replay(settings, cloudwatch(), message, summary, seconds_left=seconds_left, **post_options):
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
    print(json.dumps(summary, sort_keys=True), flush=True)
    return summary


def _replay(
    settings: Settings, cloudwatch: AwsClient, message: dict[str, Any], summary: dict[str, Any], **run_options: Any
) -> bool:
    """Whether the message is done with: its day sent, or a failed replay that the next replay supersedes."""
    try:
        record = json.loads(message["Body"])
        if isinstance(record, dict) and is_replay_trigger(record.get("requestPayload")):
            return True
        if not (isinstance(record, dict) and "requestPayload" in record):
            raise ValueError(f"not a Lambda failure record (no requestPayload); expected {EVENT_SHAPES}")
        when = scheduled_time(record)
    except ValueError as error:  # left in the queue: it reaches the dead-letter queue, and its alarm
        summary["unreadable"] += 1
        print(
            json.dumps(
                {
                    "event": "usage_report_replay",
                    "level": "ERROR",
                    "message_id": message["MessageId"],
                    "error": str(error),
                },
                sort_keys=True,
            ),
            flush=True,
        )
        return False
    day = report_day(when).isoformat()
    if summary["days"].get(day) == "sent":
        return True
    try:
        run(settings, cloudwatch, when, **run_options)
    except Exception:  # run() logged why; the message stays for the next replay
        tries = message.get("Attributes", {}).get("ApproximateReceiveCount", "?")
        summary["days"][day] = f"failed (try {tries})"
        return False
    summary["days"][day] = "sent"
    return True


def handler(event: object, context: Any) -> dict[str, Any]:
    seconds_left = (lambda: context.get_remaining_time_in_millis() / 1000) if context else (lambda: float("inf"))
    try:
        settings = Settings.from_env()
        replay = is_replay_trigger(event)
        if replay:
            require_retry_queue(settings)
        now = None if replay else scheduled_time(event)
    except ValueError as error:  # misconfigured or an unknown event: still the one log line an operator looks for
        print(
            json.dumps(
                {"event": "usage_report", "outcome": "failed", "error": f"{type(error).__name__}: {error}"},
                sort_keys=True,
            ),
            flush=True,
        )
        raise
    if replay:
        return replay_failed_runs(
            settings, sqs_client(), cloudwatch_client, wait_seconds=REPLAY_WAIT_SECONDS, seconds_left=seconds_left
        )
    assert now is not None  # not a replay: scheduled_time set it
    report = run(settings, cloudwatch_client(), now, seconds_left=seconds_left)
    pass_on_releases(settings, seconds_left)
    return {"report_date": report["report_date"], "sent": True}


def pass_on_releases(settings: Settings, seconds_left: Callable[[], float] = lambda: float("inf")) -> None:
    """Once a day, after the scheduled run's report is sent (not after a failed run, which Lambda retries, nor in
    the replays): what the product's releases say of this version, in the log and in two metrics."""
    if settings.releases_url is None:
        return
    release_check.check_releases(
        release_check.ReleasesCheck(
            url=settings.releases_url,
            product_id=settings.product_id,
            version=settings.version,
            namespace=settings.namespace,
            stack_id=settings.stack_id,
            timeout_seconds=min(release_check.TIMEOUT_SECONDS, settings.http_timeout_seconds),
            user_agent=USER_AGENT,
        ),
        cloudwatch_client,
        _OPENER,
        seconds_left,
        TIME_RESERVE_SECONDS,
    )


def _closed_day(text: str) -> dt.date:
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--date {text!r} is not a date: expected YYYY-MM-DD") from None
    today = dt.datetime.now(dt.UTC).date()
    if day >= today:
        raise argparse.ArgumentTypeError(
            f"--date {text!r} has not closed yet (UTC): expected a day before {today.isoformat()}, as a run reports"
        )
    return day


def main(argv: Optional[list[str]] = None) -> int:
    """The operator's dry run: the function's environment, the operator's AWS credentials and region."""
    parser = argparse.ArgumentParser(
        prog="python -m handlers.daily_report",
        description="Print the exact JSON body the reporter would POST for a day, and send nothing. Reads the "
        "function's environment variables (" + ", ".join(REQUIRED_VARIABLES) + ", and the optional ones) and "
        "your AWS credentials and region. The body goes to stdout; the run's log lines to stderr.",
    )
    parser.add_argument(
        "--dry-run", action="store_true", required=True, help="required: this command never sends; Lambda does"
    )
    parser.add_argument(
        "--date",
        type=_closed_day,
        default=report_day(dt.datetime.now(dt.UTC)),
        help="the UTC day to report, YYYY-MM-DD (default: yesterday, as a manual run)",
    )
    options = parser.parse_args(argv)
    try:
        settings = Settings.from_env()
    except ValueError as error:
        parser.error(str(error))
    body = sys.stdout
    with contextlib.redirect_stdout(sys.stderr):
        try:
            run(settings, cloudwatch_client(), day_window(options.date)[1], dry_run=body)
        except Exception:  # run() logged why on stderr
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
