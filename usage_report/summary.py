"""The figures at the top of the HTML page, each read from a saved query's answer (never recomputed).

"A week earlier" is eight days back, outside daily_active_deployments' window; version_adoption's window
reaches further, and it counts each deployment once a day under one version, so its day total is the same
count of active deployments, and it is read from there (tests/test_html_report.py holds the two equal).
"""

import datetime
from dataclasses import dataclass

from usage_report.results import QueryResult

ACTIVE, VERSIONS, NEW, FRESHNESS = (
    "daily_active_deployments",
    "version_adoption",
    "new_deployments_per_week",
    "data_freshness",
)
SUMMARY_QUERIES = (ACTIVE, VERSIONS, NEW, FRESHNESS)
TOP_VERSIONS = 3
NO_VERSION = "(no version)"


@dataclass(frozen=True)
class VersionShare:
    version: str
    deployments: int
    share: float  # of the deployments active that day


@dataclass(frozen=True)
class Summary:
    last_full_day: datetime.date
    active: int
    week_earlier: datetime.date
    active_week_earlier: int
    week_start: datetime.date
    new_this_week: int
    new_last_week: int
    top_versions: tuple[VersionShare, ...]
    other_versions: tuple[VersionShare, ...]
    last_report_day: datetime.date | None
    newest_received_at: datetime.datetime | None  # UTC

    @property
    def change(self) -> int:
        return self.active - self.active_week_earlier

    @property
    def no_reports(self) -> bool:
        """Nothing delivered in data_freshness' window: a new stack, or reports are not arriving."""
        return self.newest_received_at is None


def _records(result: QueryResult) -> list[dict]:
    return [dict(zip(result.columns, row, strict=True)) for row in result.rows]


def _on(records: list[dict], column: str, day: datetime.date) -> list[dict]:
    return [record for record in records if record[column] == day]


def summarize(answers: dict[str, QueryResult], today: datetime.date) -> Summary:
    last_full_day = today - datetime.timedelta(days=1)
    week_earlier = last_full_day - datetime.timedelta(days=7)
    active = sum(r["active_deployments"] for r in _on(_records(answers[ACTIVE]), "report_day", last_full_day))
    versions = _records(answers[VERSIONS])
    active_week_earlier = sum(r["deployments"] for r in _on(versions, "report_day", week_earlier))

    that_day = sorted(
        _on(versions, "report_day", last_full_day), key=lambda r: (-r["deployments"], str(r["version"] or ""))
    )
    total = sum(r["deployments"] for r in that_day)
    shares = tuple(
        VersionShare(
            NO_VERSION if r["version"] is None else str(r["version"]), r["deployments"], r["deployments"] / total
        )
        for r in that_day
    )

    # The last full day's week (Monday-based, as Athena's date_trunc('week')): on a Monday, when the weekly
    # workflow runs, that is the week just ended, not the one whose first day has no reports yet.
    week_start = last_full_day - datetime.timedelta(days=last_full_day.weekday())
    weeks = _records(answers[NEW])
    new_this_week = sum(r["new_deployments"] for r in _on(weeks, "week_start", week_start))
    new_last_week = sum(r["new_deployments"] for r in _on(weeks, "week_start", week_start - datetime.timedelta(7)))

    (freshness,) = _records(answers[FRESHNESS]) or [{"last_report_day": None, "newest_received_at": None}]
    received_ms = freshness["newest_received_at"]
    newest = None if received_ms is None else datetime.datetime.fromtimestamp(received_ms / 1000, datetime.UTC)
    return Summary(
        last_full_day,
        active,
        week_earlier,
        active_week_earlier,
        week_start,
        new_this_week,
        new_last_week,
        shares[:TOP_VERSIONS],
        shares[TOP_VERSIONS:],
        freshness["last_report_day"],
        newest,
    )
