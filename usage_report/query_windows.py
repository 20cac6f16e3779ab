"""The window a saved query covers, read from its SQL so the page never restates it.

A windowed query bounds a column with `BETWEEN <current_date - ...> AND <current_date - ...>` (the report
day); a query without one may still read only recent partitions (`dt >= ...`). The bounds are evaluated for
the report's day with DuckDB, through the same translation the local runner uses.
"""

import datetime
from dataclasses import dataclass

import duckdb
import sqlglot
from sqlglot import exp

from contract.warehouse.columns import PARTITION_COLUMN
from usage_report.local_duckdb import to_duckdb


@dataclass(frozen=True)
class Window:
    column: str | None  # what is bounded: a day column, the partition column, or None (whole table)
    first: datetime.date | None
    last: datetime.date | None  # None with a partition bound: up to the newest delivery


WHOLE_TABLE = Window(None, None, None)


def _relative_to_today(node: exp.Expression) -> bool:
    return node.find(exp.CurrentDate) is not None


def _as_dates(expressions: list[exp.Expression], today: datetime.date) -> list[datetime.date]:
    select = "SELECT " + ", ".join(f"CAST({e.sql('athena')} AS DATE)" for e in expressions)
    with duckdb.connect() as con:
        row = con.execute(to_duckdb(select, today)).fetchone()
    if row is None:  # a SELECT without FROM gives one row
        raise AssertionError(f"{select} gave no row")
    return list(row)


def window_of(sql: str, today: datetime.date) -> Window:
    tree = sqlglot.parse_one(sql, read="athena")
    for between in tree.find_all(exp.Between):
        low, high = between.args["low"], between.args["high"]
        if isinstance(between.this, exp.Column) and _relative_to_today(low) and _relative_to_today(high):
            first, last = _as_dates([low, high], today)
            return Window(between.this.name, first, last)
    for bound in tree.find_all(exp.GTE):
        if (
            isinstance(bound.this, exp.Column)
            and bound.this.name == PARTITION_COLUMN.name
            and _relative_to_today(bound.expression)
        ):
            (first,) = _as_dates([bound.expression], today)
            return Window(PARTITION_COLUMN.name, first, None)
    return WHOLE_TABLE
