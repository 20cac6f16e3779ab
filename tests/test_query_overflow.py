"""No saved query can fail on overflow, whatever is stored, and the counter maximum keeps a fleet's sums in BIGINT.

Athena (Trino) fails a whole query with "bigint addition overflow" when a BIGINT sum passes 2^63 - 1; DuckDB
widens the sum instead, so a local run cannot show the failure. Hence a structural check of the SQL as Trino
reads it, plus DuckDB answers at maximal values compared with Python's exact integers.
"""

from __future__ import annotations

import datetime
import io

import pytest
import sqlglot
from sqlglot import exp

from contract import queries, schemas
from tooling.docs_generation import warehouse_bounds
from tooling.fixtures import warehouse_files
from tooling.fixtures.warehouse_files import Delivery
from usage_report import query_windows
from usage_report.cli import main
from usage_report.local_duckdb import run_saved_query

TODAY = datetime.date(2026, 11, 27)
BIGINT_MAX = 2**63 - 1
# What the schema accepted before counters were capped at a day's plausible maximum: still in old objects.
FORMER_MAXIMUM = 2**53 - 1
SAFE_SUM_TYPES = {exp.DataType.Type.DECIMAL, exp.DataType.Type.DOUBLE}


def unsafe_sums(sql: str) -> list[str]:
    """Every sum whose argument is not cast to DECIMAL or DOUBLE first, as Trino would run it."""
    tree = sqlglot.parse_one(sql, read="trino")
    return [
        node.sql("trino")
        for node in tree.find_all(exp.Sum)
        if not (isinstance(node.this, exp.Cast) and node.this.to.this in SAFE_SUM_TYPES)
    ]


@pytest.mark.parametrize("name", sorted(queries.load_saved_queries()))
def test_every_sum_in_a_saved_query_is_overflow_safe(name):
    assert unsafe_sums(queries.load_saved_queries()[name]) == [], (
        f"{name}: sum a BIGINT as sum(CAST(x AS DECIMAL(38, 0))); a plain BIGINT sum fails the query on overflow"
    )


def test_the_check_finds_a_plain_bigint_sum():
    assert unsafe_sums("SELECT sum(total), sum(CAST(total AS DECIMAL(38, 0))) FROM t") == ["SUM(total)"]
    assert unsafe_sums("SELECT sum(CAST(total AS BIGINT)) OVER (PARTITION BY k) FROM t") != []
    assert unsafe_sums("SELECT sum(CAST(total AS DOUBLE)) FROM t") == []


def test_the_counter_maximum_lets_a_fleet_sum_the_longest_window_in_bigint():
    """A BIGINT sum written by hand (ad-hoc SQL on deduplicated_reports) still fits: the derivation's promise."""
    maximum = schemas.counter_maximum()
    assert warehouse_bounds.FLEET_DEPLOYMENTS * warehouse_bounds.SUM_WINDOW_DAYS * maximum <= BIGINT_MAX
    # ... with room for retried copies a query forgets to deduplicate.
    assert warehouse_bounds.headroom() >= warehouse_bounds.MIN_HEADROOM
    assert maximum >= warehouse_bounds.SECONDS_PER_DAY * warehouse_bounds.LARGEST_PLAUSIBLE_RATE


def test_the_derivation_assumes_the_longest_window_a_saved_query_sums_over():
    """docs/warehouse.md calls SUM_WINDOW_DAYS the longest saved-query window: no query's is longer, and one's is
    that long (a shorter one everywhere would leave the docs' figure stale)."""
    spans = {}
    for name, sql in queries.load_saved_queries().items():
        window = query_windows.window_of(sql, TODAY)
        if window.first is not None and window.last is not None:
            spans[name] = (window.last - window.first).days + 1
    assert max(spans.values()) == warehouse_bounds.SUM_WINDOW_DAYS, spans


def maximal_deliveries(stacks: int, value: int) -> list[Delivery]:
    """`stacks` fresh deployments each reporting `value` for every counter on one day (anonymous, so possible)."""
    day = TODAY - datetime.timedelta(days=2)
    received = datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time(3), datetime.UTC)
    return [
        Delivery(
            {
                "version": "1.0.0",
                "stack_id": f"{n:08x}-0000-4000-8000-{n:012x}",
                "report_date": day.isoformat(),
                "metrics": dict.fromkeys(schemas.counter_names(), value),
            },
            received + datetime.timedelta(milliseconds=n),
            f"req-{n:05d}",
        )
        for n in range(stacks)
    ]


# The attack: about a thousand reports at the former maximum pass 2^63 - 1.
OVERFLOWING_STACKS = BIGINT_MAX // FORMER_MAXIMUM + 1


@pytest.fixture(scope="module")
def overflowing_warehouse(tmp_path_factory):
    root = tmp_path_factory.mktemp("overflow")
    warehouse_files.write_objects(
        root, maximal_deliveries(OVERFLOWING_STACKS, FORMER_MAXIMUM), line_for=warehouse_files.stored_line_fast
    )
    return root


def test_totals_past_bigint_come_back_exact(overflowing_warehouse):
    rows = run_saved_query("daily_counter_totals", overflowing_warehouse, TODAY)
    assert {row["counter"] for row in rows} == set(schemas.counter_names())
    for row in rows:
        assert row["total"] == OVERFLOWING_STACKS * FORMER_MAXIMUM > BIGINT_MAX
        assert type(row["total"]) is int and row["deployments"] == OVERFLOWING_STACKS


def test_the_report_prints_and_draws_totals_past_bigint(overflowing_warehouse, tmp_path):
    out, err = io.StringIO(), io.StringIO()
    code = main(
        [
            "--local",
            str(overflowing_warehouse),
            "--today",
            TODAY.isoformat(),
            "--html",
            str(tmp_path / "report.html"),
            "--charts",
            str(tmp_path / "charts"),
        ],
        stdout=out,
        stderr=err,
    )
    assert code == 0, err.getvalue()
    assert f"{OVERFLOWING_STACKS * FORMER_MAXIMUM:,}" in out.getvalue()
    assert (tmp_path / "charts" / "daily_counter_totals.png").stat().st_size > 0
    assert "daily_counter_totals" in (tmp_path / "report.html").read_text(encoding="utf-8")
