"""After a day's report: ask the collector once for the product's releases, and pass on what concerns this version.

One GET of RELEASES_URL (the collector's `products/<id>/releases`, docs/releases.md): it carries no query, no version
and nothing of the deployment, and every caller gets the same document; this version is matched here
(contract/releases.py). Then one JSON log line: WARNING naming the newer version and the advisories affecting this
version when there is either, INFO otherwise. The two metrics (contract/reporter.py) go to the deployment's
namespace, where DailyAggregator's opt-in alarms read them. An answer that is missing or malformed leaves an INFO
line naming why and publishes nothing (a gap, not a false 0). Nothing here raises: the report is already sent.
"""

from __future__ import annotations

import http.client
import json
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from contract import releases
from contract.reporter import ADVISORIES_METRIC, NEWER_VERSION_METRIC

EVENT = "usage_report_releases"
# The answer is a few kilobytes; a reporter waits for it no longer than this, whatever its report timeout.
TIMEOUT_SECONDS = 5.0
MAX_ANSWER_BYTES = 64 * 1024


@dataclass(frozen=True)
class ReleasesCheck:
    url: str
    product_id: str
    version: str
    namespace: str
    stack_id: str
    timeout_seconds: float
    user_agent: str


class _NoAnswer(Exception):
    """The collector did not answer with a releases document: a network error, a timeout or an HTTP error."""


def _fetch(check: ReleasesCheck, opener: urllib.request.OpenerDirector) -> str:
    request = urllib.request.Request(
        check.url, method="GET", headers={"Accept": "application/json", "User-Agent": check.user_agent}
    )
    try:
        with opener.open(request, timeout=check.timeout_seconds) as response:
            body: bytes = response.read(MAX_ANSWER_BYTES + 1)
    except urllib.error.HTTPError as error:
        raise _NoAnswer(f"HTTP {error.code}: {error.read(300).decode('utf-8', 'replace')}") from None
    except (urllib.error.URLError, OSError, http.client.HTTPException) as error:  # refused, reset, timeout...
        raise _NoAnswer(f"{type(error).__name__}: {getattr(error, 'reason', error)}") from None
    if len(body) > MAX_ANSWER_BYTES:
        raise releases.ReleasesError(f"the answer is larger than {MAX_ANSWER_BYTES} bytes")
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        raise releases.ReleasesError("the answer is not UTF-8 text") from None


def _publish(cloudwatch: Any, check: ReleasesCheck, verdict: releases.Verdict) -> dict[str, int]:
    values = {NEWER_VERSION_METRIC: int(verdict.newer is not None), ADVISORIES_METRIC: len(verdict.affecting)}
    cloudwatch.put_metric_data(
        Namespace=check.namespace,
        MetricData=[{"MetricName": name, "Value": float(value), "Unit": "Count"} for name, value in values.items()],
    )
    return values


def _message(check: ReleasesCheck, verdict: releases.Verdict) -> str:
    said = []
    if verdict.newer:
        said.append(f"version {verdict.newer} is available")
    if verdict.affecting:
        named = ", ".join(f"{a.id} ({a.severity}) {a.url}" for a in verdict.affecting)
        said.append(f"advisories affecting this version: {named}")
    if not said:
        return f"{check.product_id} {check.version} is the latest release and no advisory affects it"
    return f"{check.product_id} {check.version}: " + "; ".join(said)


def check_releases(
    check: ReleasesCheck,
    cloudwatch: Callable[[], Any],
    opener: urllib.request.OpenerDirector,
    seconds_left: Callable[[], float],
    reserve_seconds: float,
) -> dict[str, Any]:
    """Ask, match, publish the metrics and log one line, which is returned. `cloudwatch` makes the client, only
    once there is something to publish."""
    line: dict[str, Any] = {
        "event": EVENT,
        "level": "INFO",
        "stack_id": check.stack_id,
        "product": check.product_id,
        "version": check.version,
    }
    try:
        if seconds_left() < check.timeout_seconds + reserve_seconds:
            line.update(outcome="no_time", message="the run has no time left to ask for the releases")
        else:
            line.update(_outcome(check, lambda: _fetch(check, opener), cloudwatch))
    except Exception as error:  # never fail a run whose report is sent: say what happened instead
        line.update(outcome="failed", message=f"{type(error).__name__}: {error}")
    print(json.dumps(line, sort_keys=True), flush=True)
    return line


def _outcome(check: ReleasesCheck, fetch: Callable[[], str], cloudwatch: Callable[[], Any]) -> dict[str, Any]:
    try:
        found = releases.read_answer(fetch(), check.product_id)
    except _NoAnswer as error:
        return {"outcome": "no_answer", "message": f"the collector gave no releases: {error}"}
    except releases.ReleasesError as error:
        return {"outcome": "malformed_answer", "message": f"the releases answer is not usable: {error}"}
    try:
        verdict = releases.verdict(found, check.version)
    except ValueError as error:  # this deployment's own version: nothing can be compared with it
        return {"outcome": "version_not_comparable", "message": f"the product version {error}"}
    concerns = verdict.newer is not None or bool(verdict.affecting)
    outcome: dict[str, Any] = {
        "level": "WARNING" if concerns else "INFO",
        "outcome": "checked",
        "latest": found.latest.text,
        "newer_version": verdict.newer,
        "advisories": [
            {"id": a.id, "severity": a.severity, "summary": a.summary, "url": a.url} for a in verdict.affecting
        ],
        "message": _message(check, verdict),
    }
    try:
        outcome["metrics"] = _publish(cloudwatch(), check, verdict)
    except (BotoCoreError, ClientError) as error:
        outcome["metrics_error"] = f"{type(error).__name__}: {error}"
    return outcome
