"""Why a counter may report at most the schema's maximum a day: the arithmetic in docs/warehouse.md.

The maximum itself lives in schemas/usage_report.schema.json; here are the assumptions it is checked against
(tests/test_query_overflow.py), and the section `python -m docs_generation` writes from them.
"""

from __future__ import annotations

import schemas

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
        "Generated from the schema's `count` maximum and `docs_generation/counter_bounds.py`.", "",
        "| Quantity | Value |", "| --- | --- |",
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
