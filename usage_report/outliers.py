"""Points that dwarf the rest of their line: named on the page so a reader can tell poisoning from growth.

Reports are anonymous, so one deployment can send a counter at the schema's maximum (or a larger one stored
before the maximum existed) and flatten every other point of a chart. A point is named when it is at least
FACTOR times its baseline: the median of its own line's other points (at least MIN_HISTORY of them), or, for
a line too new to have a history, the median of the line with the largest median. The named point carries
its row's context columns (how many deployments reported that total) beside their median over the
baseline's points: one deployment behind a jump suggests poisoning; the usual number of deployments, or
more, suggests growth.
"""

import datetime
import statistics
from dataclasses import dataclass

from usage_report.result_shape import ResultShape, shape_of, step_days
from usage_report.results import QueryResult

FACTOR = 100
MIN_HISTORY = 3


@dataclass(frozen=True)
class Outlier:
    day: datetime.date
    line: str  # the label columns' values ('' when the result has one line)
    measure: str  # the value's column
    value: float
    baseline: float  # the median it is compared with
    baseline_line: str  # whose points give that median: `line` itself, or another line
    baseline_points: int  # how many points
    unit: str  # what a point is: "day" or "week"
    context: dict[str, float]  # the row's context columns, e.g. {"deployments": 1}
    usual_context: dict[str, float]  # their median over the baseline's points


@dataclass(frozen=True)
class _Point:
    day: datetime.date
    value: float
    context: dict[str, float]


def _points_by_line(result: QueryResult, shape: ResultShape) -> dict[str, list[_Point]]:
    lines: dict[str, list[_Point]] = {}
    for row in result.rows:
        day = shape.day_of(row)
        if row[shape.y] is None or day is None:  # as the chart leaves it off
            continue
        context = {shape.columns[i]: row[i] for i in shape.context if row[i] is not None}
        lines.setdefault(shape.line_of(row), []).append(_Point(day, row[shape.y], context))
    return lines


def _median_context(points: list[_Point]) -> dict[str, float]:
    names = sorted({name for point in points for name in point.context})
    return {name: statistics.median(p.context[name] for p in points if name in p.context) for name in names}


def _baseline(line: str, point: _Point, lines: dict[str, list[_Point]]) -> tuple[str, list[_Point]] | None:
    history = [other for other in lines[line] if other is not point]
    if len(history) >= MIN_HISTORY:
        return line, history
    established = {name: points for name, points in lines.items() if name != line and len(points) >= MIN_HISTORY}
    if not established:
        return None
    largest = max(sorted(established), key=lambda name: statistics.median(p.value for p in established[name]))
    return largest, established[largest]


def find_outliers(result: QueryResult) -> list[Outlier]:
    shape = shape_of(result)
    if shape is None:
        return []
    lines = _points_by_line(result, shape)
    unit = "week" if step_days(p.day for points in lines.values() for p in points) == 7 else "day"
    found = []
    for line, points in lines.items():
        for point in points:
            baseline = _baseline(line, point, lines)
            if baseline is None:
                continue
            baseline_line, behind = baseline
            median = statistics.median(p.value for p in behind)
            # Against a baseline of 0 any 1 would stand out; compare with at least 1.
            if point.value >= FACTOR * max(median, 1):
                found.append(
                    Outlier(
                        point.day,
                        line,
                        shape.y_label,
                        point.value,
                        median,
                        baseline_line,
                        len(behind),
                        unit,
                        point.context,
                        _median_context(behind),
                    )
                )
    return sorted(found, key=lambda o: (o.day, o.line))
