"""The warehouse's two bounds on anonymous input, as arithmetic in docs/warehouse.md: why a counter may report at
most the schema's maximum a day, and why a report_date counts only within schemas.REPORT_DATE_EARLIEST_DAYS of
the day it was received.

The numbers themselves live in the schema and in `contract.schemas`; here are the assumptions they are checked against
(tests/test_query_overflow.py, tests/test_report_date_window.py), and the sections `python -m tooling.docs_generation`
writes from them.
"""

from __future__ import annotations

import dataclasses
import datetime

from components import daily_aggregator
from components.daily_aggregator import DailyAggregatorArgs
from contract import schemas

BIGINT_MAX = 2**63 - 1
SECONDS_PER_DAY = 86_400
# The fleet the sums must survive, and the longest window a saved query covers (a test holds them to it).
FLEET_DEPLOYMENTS = 10_000_000
SUM_WINDOW_DAYS = 28
# The fastest a real deployment's counter can plausibly grow all day: ten times API Gateway's default regional
# account throttle (10,000 requests a second), as if every request counted, all day long.
LARGEST_PLAUSIBLE_RATE = 100_000
# Room left for copies of a report that a hand-written query forgets to deduplicate (reporters retry).
MIN_HEADROOM = 3


def headroom() -> float:
    return BIGINT_MAX / (FLEET_DEPLOYMENTS * SUM_WINDOW_DAYS * schemas.counter_maximum())


def bounds_table() -> str:
    maximum = schemas.counter_maximum()
    fleet_sum = FLEET_DEPLOYMENTS * SUM_WINDOW_DAYS * maximum
    rows = [
        "Generated from the schema's `count` maximum and `tooling/docs_generation/warehouse_bounds.py`.",
        "",
        "| Quantity | Value |",
        "| --- | --- |",
        f"| Largest daily total one counter may report (schema) | {maximum:,} |",
        f"| ... as a rate sustained for 24 hours | {maximum / SECONDS_PER_DAY:,.0f} a second |",
        f"| Fastest plausible real deployment (10 x API Gateway's default account throttle) | "
        f"{LARGEST_PLAUSIBLE_RATE:,} a second = {LARGEST_PLAUSIBLE_RATE * SECONDS_PER_DAY:,} a day |",
        f"| Fleet x longest saved-query window | {FLEET_DEPLOYMENTS:,} deployments x {SUM_WINDOW_DAYS} days |",
        f"| Their sum, every counter at the maximum every day | {fleet_sum:,} |",
        f"| BIGINT maximum (2^63 - 1) | {BIGINT_MAX:,} |",
        f"| Headroom (copies a hand-written sum may count before it overflows) | {headroom():.2f} |",
    ]
    return "\n".join(rows)


def _largest_accepted(field: str, ceiling: int) -> int:
    """The largest value a reporter tunable accepts (its rule, read as data), so the docs follow the config."""
    (rule,) = [f.metadata["rule"] for f in dataclasses.fields(DailyAggregatorArgs) if f.name == field]
    return max(value for value in range(ceiling) if rule.accepts(value))


def honest_delays() -> dict[str, datetime.timedelta]:
    """From the end of a report's day to the latest an honest reporter's copy of it can reach the collector."""
    return {
        "the run is scheduled the next day, at scheduleHour at the latest": datetime.timedelta(
            hours=_largest_accepted("schedule_hour", 24)
        ),
        "Scheduler starts it anywhere in its flexible window (scheduleWindowMinutes at most)": datetime.timedelta(
            minutes=_largest_accepted("schedule_window_minutes", 24 * 60 + 1)
        ),
        "Lambda retries a failed run for the event's maximum age": datetime.timedelta(
            seconds=daily_aggregator.MAX_EVENT_AGE_SECONDS
        ),
        "then the hourly replay runs it again, retryHorizonHours times at most, each within its window": (
            _largest_accepted("retry_horizon_hours", 24 * 7)
            * datetime.timedelta(seconds=daily_aggregator.REPLAY_INTERVAL_SECONDS)
            + datetime.timedelta(minutes=daily_aggregator.REPLAY_WINDOW_MINUTES)
        ),
        "then the dead-letter queue keeps it for a replay, which reports the same day": datetime.timedelta(
            seconds=daily_aggregator.DEAD_LETTER_RETENTION_SECONDS
        ),
    }


def latest_honest_receipt_days() -> int:
    """How many days after its report_date the last honest copy can be received (the report day ends a day later)."""
    return (datetime.timedelta(days=1) + sum(honest_delays().values(), datetime.timedelta())).days


def window_table() -> str:
    rows = [
        "Generated from `contract.schemas.REPORT_DATE_EARLIEST_DAYS` and the reporter's tunables and constants "
        "(`components/daily_aggregator.py`).",
        "",
        "| Step after the report day ends | At most |",
        "| --- | --- |",
    ]
    rows += [f"| {step} | {_shown(delay)} |" for step, delay in honest_delays().items()]
    rows += [
        f"| Received, counted from the report day | day + {latest_honest_receipt_days()} |",
        f"| Window the saved queries count | receive day - {schemas.REPORT_DATE_EARLIEST_DAYS} to the receive day |",
    ]
    return "\n".join(rows)


def _shown(delay: datetime.timedelta) -> str:
    hours = delay.total_seconds() / 3600
    return f"{hours / 24:g} days" if hours >= 48 else f"{hours:g} hours"
