"""How a query's answer reads as dated series, found from the values rather than from column names.

A saved query can then change its columns without a second edit in the report: the first date column is
the x axis, the first numeric column is the measure, text columns (a version, a counter name) split it into
one line each, and any later numeric column (how many deployments reported a total) is context for a point.
"""

import datetime
import itertools
import math
from collections.abc import Iterable
from dataclasses import dataclass

from usage_report.results import QueryResult, is_number


def as_date(value) -> datetime.date | None:
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, str):
        try:
            return datetime.date.fromisoformat(value)
        except ValueError:
            return None
    return None


@dataclass(frozen=True)
class ResultShape:
    columns: tuple[str, ...]
    x: int
    y: int
    labels: tuple[int, ...]
    context: tuple[int, ...]

    @property
    def x_label(self) -> str:
        return self.columns[self.x]

    @property
    def y_label(self) -> str:
        return self.columns[self.y]

    @property
    def label_names(self) -> tuple[str, ...]:
        return tuple(self.columns[i] for i in self.labels)

    def line_of(self, row: tuple) -> str:
        return " ".join(str(row[i]) for i in self.labels)

    def day_of(self, row: tuple) -> datetime.date | None:
        return as_date(row[self.x])


def step_days(days: Iterable[datetime.date]) -> int:
    """7 for a weekly series (every gap a whole number of weeks), else 1."""
    ordered = sorted(set(days))
    gaps = [(later - earlier).days for earlier, later in itertools.pairwise(ordered)]
    return 7 if gaps and math.gcd(*gaps) % 7 == 0 else 1


def _all_present(result: QueryResult, index: int, test) -> bool:
    values = [row[index] for row in result.rows if row[index] is not None]
    return bool(values) and all(test(value) for value in values)


def shape_of(result: QueryResult) -> ResultShape | None:
    """The result's series layout, or None when it has no date column or no number to draw."""
    indexes = range(len(result.columns))
    date_columns = [i for i in indexes if _all_present(result, i, lambda v: as_date(v) is not None)]
    if not date_columns:
        return None
    x = date_columns[0]
    numeric = [i for i in indexes if i != x and _all_present(result, i, is_number)]
    if not numeric:
        return None
    labels = tuple(i for i in indexes if i != x and i not in numeric)
    return ResultShape(tuple(result.columns), x, numeric[0], labels, tuple(numeric[1:]))
