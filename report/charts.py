"""PNG charts of the report's series with matplotlib (Agg canvas, no display needed).

The series are read from a result's shape rather than from column names, so a saved query can change
its columns without a second edit here: the first date column is the x axis, numeric columns are values,
and any other columns (a version, a counter name) split the values into one line each.
"""

import datetime
from dataclasses import dataclass
from pathlib import Path

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from report.results import QueryResult

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


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _all_present(result: QueryResult, index: int, test) -> bool:
    values = [row[index] for row in result.rows if row[index] is not None]
    return bool(values) and all(test(value) for value in values)


def series_of(result: QueryResult) -> Series | None:
    """The lines a result draws, or None when it has no date column or no numbers to draw."""
    indexes = range(len(result.columns))
    date_columns = [i for i in indexes if _all_present(result, i, lambda v: _as_date(v) is not None)]
    if not date_columns:
        return None
    x = date_columns[0]
    values = [i for i in indexes if i != x and _all_present(result, i, _is_number)]
    labels = [i for i in indexes if i != x and i not in values]
    if not values:
        return None
    lines: dict[str, dict[datetime.date, float]] = {}
    for row in result.rows:
        key = " ".join(str(row[i]) for i in labels)
        for value_index in values:
            name = key if len(values) == 1 and key else " ".join(filter(None, [key, result.columns[value_index]]))
            if row[value_index] is not None:
                points = lines.setdefault(name, {})
                day = _as_date(row[x])
                points[day] = points.get(day, 0) + row[value_index]
    y_label = result.columns[values[0]] if len(values) == 1 else "count"
    return Series(result.columns[x], y_label, _keep_largest(lines))


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
    axes.grid(True, alpha=0.3)
    if len(series.lines) > 1 or next(iter(series.lines), ""):
        axes.legend(loc="upper left", fontsize="small")
    figure.autofmt_xdate()
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, format="png")
    return path
