"""What a chart shows, in words: the text alternative of each chart on the HTML page.

Written from the same series the chart draws, so a reader who cannot see it gets its span, each line's
latest value and its highest and lowest points, and why a scale is logarithmic.
"""

import datetime
from collections.abc import Sequence

from usage_report.charts import Series
from usage_report.outliers import Outlier


def number(value: float) -> str:
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.2f}"
    return f"{int(value):,}"


def _line_facts(points: dict[datetime.date, float]) -> str:
    days = sorted(points)
    latest = days[-1]
    highest = max(days, key=lambda day: (points[day], day))
    lowest = min(days, key=lambda day: (points[day], day))
    return (
        f"latest {number(points[latest])} on {latest.isoformat()}, highest {number(points[highest])} "
        f"on {highest.isoformat()}, lowest {number(points[lowest])} on {lowest.isoformat()}"
    )


def describe(title: str, series: Series, *, log_scale: bool = False, outliers: Sequence[Outlier] = ()) -> str:
    days = sorted({day for points in series.lines.values() for day in points})
    text = [
        f"{title}: line chart of {series.y_label} per {series.x_label}, {days[0].isoformat()} to {days[-1].isoformat()}"
    ]
    named = [name for name in series.lines if name]
    if named:
        by = " and ".join(series.label_names) or "line"
        text[0] += f", one line per {by} ({len(named)})"
        text += [f"{name}: {_line_facts(series.lines[name])}" for name in series.lines]
    else:
        text += [_line_facts(next(iter(series.lines.values())))]
    if log_scale:
        text.append("Logarithmic scale, so that an outlier and the ordinary values both show")
    text += [
        f"Outlier ringed: {number(o.value)} on {o.day.isoformat()}" + (f" ({o.line})" if o.line else "")
        for o in outliers
    ]
    return ". ".join(text) + "."
