"""PNG charts of the report's series with matplotlib (Agg canvas, no display needed).

The series are read from a result's shape rather than from column names, so a saved query can change
its columns without a second edit here: the first date column is the x axis, the first numeric column
is the value, and text columns (a version, a counter name) split it into one line each.
"""

import datetime
import itertools
import math
from dataclasses import dataclass
from pathlib import Path

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.dates import AutoDateLocator, ConciseDateFormatter, DateFormatter, DayLocator
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from report.results import QueryResult, is_number

# More lines than this are unreadable; the smallest are summed into one "other" line.
MAX_LINES = 8
OTHER = "other"


@dataclass(frozen=True)
class Series:
    x_label: str
    y_label: str
    lines: dict[str, dict[datetime.date, float]]


def _as_date(value):
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


def _all_present(result: QueryResult, index: int, test) -> bool:
    values = [row[index] for row in result.rows if row[index] is not None]
    return bool(values) and all(test(value) for value in values)


def series_of(result: QueryResult) -> Series | None:
    """The lines a result draws, or None when it has no date column or no number to draw."""
    indexes = range(len(result.columns))
    date_columns = [i for i in indexes if _all_present(result, i, lambda v: _as_date(v) is not None)]
    if not date_columns:
        return None
    x = date_columns[0]
    numeric = [i for i in indexes if i != x and _all_present(result, i, is_number)]
    if not numeric:
        return None
    # The first number is the measure (later ones, like a count of reporters, are context for the table).
    y = numeric[0]
    labels = [i for i in indexes if i != x and i not in numeric]
    lines: dict[str, dict[datetime.date, float]] = {}
    for row in result.rows:
        if row[y] is None:
            continue
        points = lines.setdefault(" ".join(str(row[i]) for i in labels), {})
        day = _as_date(row[x])
        points[day] = points.get(day, 0) + row[y]
    return Series(result.columns[x], result.columns[y], _keep_largest(_with_zeros(lines)))


def _with_zeros(lines: dict[str, dict[datetime.date, float]]) -> dict[str, dict[datetime.date, float]]:
    """The queries leave out empty groups (a version nobody ran that day); a chart must show them as 0,
    or a line would bridge the gap as if the value had held. Weekly series step by 7 days, others by 1."""
    days = sorted({day for points in lines.values() for day in points})
    gaps = [(later - earlier).days for earlier, later in itertools.pairwise(days)]
    step = 7 if gaps and math.gcd(*gaps) % 7 == 0 else 1
    every_step = [days[0] + datetime.timedelta(days=offset) for offset in range(0, (days[-1] - days[0]).days + 1, step)]
    return {name: {day: points.get(day, 0) for day in every_step} for name, points in lines.items()}


def _keep_largest(lines: dict[str, dict[datetime.date, float]]) -> dict[str, dict[datetime.date, float]]:
    if len(lines) <= MAX_LINES:
        return lines
    ranked = sorted(lines, key=lambda name: (-sum(lines[name].values()), name))
    kept = {name: lines[name] for name in ranked[:MAX_LINES - 1]}
    other: dict[datetime.date, float] = {}
    for name in ranked[MAX_LINES - 1:]:
        for day, value in lines[name].items():
            other[day] = other.get(day, 0) + value
    kept[OTHER] = other
    return kept


def write_chart(path: Path, title: str, series: Series) -> Path:
    figure = Figure(figsize=(9, 4.5), dpi=100)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    for name, points in series.lines.items():
        days = sorted(points)
        axes.plot(days, [points[day] for day in days], marker="o", markersize=3, label=name or series.y_label)
    axes.set_title(title)
    axes.set_xlabel(series.x_label)
    axes.set_ylabel(series.y_label)
    axes.set_ylim(bottom=0)
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    days = sorted({day for points in series.lines.values() for day in points})
    if days:
        # A single day would otherwise be centred in a range of years.
        axes.set_xlim(days[0] - datetime.timedelta(days=1), days[-1] + datetime.timedelta(days=1))
    span_days = (days[-1] - days[0]).days if days else 0
    if span_days <= 62:
        # Daily data: ticks on whole days (matplotlib would otherwise tick hours on a short range).
        axes.xaxis.set_major_locator(DayLocator(interval=max(1, span_days // 8)))
        axes.xaxis.set_major_formatter(DateFormatter("%b %d"))
    else:
        locator = AutoDateLocator()
        axes.xaxis.set_major_locator(locator)
        axes.xaxis.set_major_formatter(ConciseDateFormatter(locator))
    axes.grid(True, alpha=0.3)
    if len(series.lines) > 1 or next(iter(series.lines), ""):
        axes.legend(loc="upper left", fontsize="small")
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, format="png")
    return path
