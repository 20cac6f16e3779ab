"""The report_date window (schemas.REPORT_DATE_EARLIEST_DAYS) spans the longest an honest reporter's copy of a
report can take, replays from its dead-letter queue included, and the saved queries count exactly that window."""

from __future__ import annotations

import datetime

from contract import schemas
from handlers import daily_report
from tooling.docs_generation import warehouse_bounds
from tooling.fixtures import warehouse_files
from tooling.fixtures.warehouse_files import Delivery
from usage_report.local_duckdb import run_all_saved_queries


def test_the_window_spans_every_honest_delay_the_reporter_can_have():
    assert warehouse_bounds.latest_honest_receipt_days() <= schemas.REPORT_DATE_EARLIEST_DAYS


def test_the_last_honest_replay_counts_and_a_day_later_would_not(tmp_path):
    scheduled = datetime.datetime(2026, 11, 27, 23, tzinfo=datetime.UTC)  # the latest scheduleHour
    day = daily_report.report_day(scheduled)
    delays = list(warehouse_bounds.honest_delays().values())[1:]  # after the scheduled time
    last_honest = scheduled + sum(delays, datetime.timedelta()) - datetime.timedelta(minutes=1)
    too_late = datetime.datetime.combine(
        day + datetime.timedelta(days=schemas.REPORT_DATE_EARLIEST_DAYS + 1), datetime.time(), datetime.UTC
    )
    body = {
        "version": "1.0.0",
        "stack_id": warehouse_files.STACK_STEADY,
        "report_date": day.isoformat(),
        "metrics": {"tokenizeSuccess": 5},
    }
    warehouse_files.write_objects(
        tmp_path, [Delivery(body, last_honest, "req-replayed"), Delivery(body, too_late, "req-too-late")]
    )
    answers = run_all_saved_queries(tmp_path, today=too_late.date() + datetime.timedelta(days=1))
    assert [row["request_id"] for row in answers["deduplicated_reports"]] == ["req-replayed"]
    assert [(row["stack_id"], row["value"]) for row in answers["suspicious_reports"]] == [
        (warehouse_files.STACK_STEADY, -(schemas.REPORT_DATE_EARLIEST_DAYS + 1))
    ]
