"""Charts of the report's series with matplotlib (Agg canvas, no display needed): PNG files for `--charts`,
SVG text for the HTML page.

A result is read as series by its shape (usage_report/result_shape.py), not by column names.
"""

import datetime
import io
import itertools
import math
from dataclasses import dataclass
from pathlib import Path

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.dates import MO, AutoDateLocator, ConciseDateFormatter, DateFormatter, DayLocator, WeekdayLocator
from matplotlib.figure import Figure
from matplotlib.ticker import FixedLocator, FuncFormatter, MaxNLocator

from usage_report.result_shape import shape_of, step_days
from usage_report.results import QueryResult
from usage_report.visible_text import visible

# More lines than this are unreadable; the smallest are summed into one "other" line.
MAX_LINES = 8
OTHER = "other"
# Okabe-Ito: told apart with the common colour-vision deficiencies; each line also gets its own marker.
COLOURS = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]
MARKERS = ["o", "s", "^", "D", "v", "P", "X", "*"]
OUTLIER_COLOUR = "#C00000"


@dataclass(frozen=True)
class Series:
    x_label: str
    y_label: str
    lines: dict[str, dict[datetime.date, float]]
    label_names: tuple[str, ...] = ()  # the columns whose values name the lines


def series_of(result: QueryResult, max_lines: int | None = MAX_LINES) -> Series | None:
    """The lines a result draws, or None when it has no date column or no number to draw.

    `max_lines=None` keeps every line (one panel each, where summing into "other" would mix quantities).
    """
    shape = shape_of(result)
    if shape is None:
        return None
    lines: dict[str, dict[datetime.date, float]] = {}
    for row in result.rows:
        day = shape.day_of(row)
        if row[shape.y] is None or day is None:  # no value, or no place on the axis
            continue
        points = lines.setdefault(shape.line_of(row), {})
        points[day] = points.get(day, 0) + row[shape.y]
    lines = _with_zeros(lines)
    if max_lines is not None:
        lines = _keep_largest(lines, max_lines)
    return Series(shape.x_label, shape.y_label, lines, shape.label_names)


def _with_zeros(lines: dict[str, dict[datetime.date, float]]) -> dict[str, dict[datetime.date, float]]:
    """The queries leave out empty groups (a version nobody ran that day); a chart must show them as 0,
    or a line would bridge the gap as if the value had held. Weekly series step by 7 days, others by 1."""
    days = sorted({day for points in lines.values() for day in points})
    step = step_days(days)
    every_step = [days[0] + datetime.timedelta(days=offset) for offset in range(0, (days[-1] - days[0]).days + 1, step)]
    return {name: {day: points.get(day, 0) for day in every_step} for name, points in lines.items()}


Lines = dict[str, dict[datetime.date, float]]


def largest_first(lines: Lines) -> list[str]:
    """Line names by their total, largest first (ties by name)."""
    return sorted(lines, key=lambda name: (-sum(lines[name].values()), name))


def _keep_largest(lines: Lines, max_lines: int) -> Lines:
    if len(lines) <= max_lines:
        return lines
    ranked = largest_first(lines)
    kept = {name: lines[name] for name in ranked[: max_lines - 1]}
    other: dict[datetime.date, float] = {}
    for name in ranked[max_lines - 1 :]:
        for day, value in lines[name].items():
            other[day] = other.get(day, 0) + value
    kept[OTHER] = other
    return kept


def plain(text: str) -> str:
    """Text from data, shown as written: matplotlib would read `$...$` as mathtext (and fail on bad TeX),
    leaves a legend label that starts with `_` out of the legend, and has no glyph for a control character."""
    text = visible(text).replace("$", r"\$")
    return "\u200b" + text if text.startswith("_") else text


def compact_number(value: float, _position=None) -> str:
    """Tick labels for a logarithmic axis, where 1,000,000,000,000 would crowd the panel."""
    for size, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= size:
            return f"{value / size:g}{suffix}"
    return f"{value:g}"


def log_ticks(highest: float, most: int = 6) -> list[float]:
    """0 and powers of ten up to `highest`, thinned to at most `most`: matplotlib's own symlog ticks label every
    power, which crowds a short panel."""
    top = max(0, math.ceil(math.log10(max(highest, 1))))
    step = max(1, math.ceil((top + 1) / (most - 1)))
    return [0, *(10.0**k for k in range(0, top + 1, step))]


def draw(
    figure: Figure,
    title: str,
    series: Series,
    *,
    log_scale: bool = False,
    marked: dict[str, set[datetime.date]] | None = None,
) -> None:
    """One axes on `figure`: a line per series line; `marked` rings the points named as outliers."""
    axes = figure.add_subplot()
    for (name, points), colour, marker in zip(
        series.lines.items(), itertools.cycle(COLOURS), itertools.cycle(MARKERS), strict=False
    ):
        days = sorted(points)
        # matplotlib plots dates through its unit converters; its stubs type the x values as numbers only.
        axes.plot(
            days,  # type: ignore[arg-type]
            [points[day] for day in days],
            color=colour,
            marker=marker,
            markersize=3.5,
            label=plain(name or series.y_label),
        )
        rings = sorted((marked or {}).get(name, ()))
        if rings:
            axes.plot(
                rings,  # type: ignore[arg-type]
                [points[day] for day in rings],
                linestyle="none",
                marker="o",
                markersize=11,
                markerfacecolor="none",
                markeredgecolor=OUTLIER_COLOUR,
                markeredgewidth=2,
                label="_outlier",
            )
    axes.set_title(plain(title))
    axes.set_xlabel(plain(series.x_label))
    axes.set_ylabel(plain(series.y_label) + (" (log scale)" if log_scale else ""))
    if log_scale:
        # symlog, not log: the zeros filled in for missing days stay on the chart.
        axes.set_yscale("symlog", linthresh=1)
        highest = max((value for points in series.lines.values() for value in points.values()), default=1)
        axes.yaxis.set_major_locator(FixedLocator(log_ticks(highest)))
        axes.yaxis.set_major_formatter(FuncFormatter(compact_number))
    else:
        axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_ylim(bottom=0)
    days = sorted({day for points in series.lines.values() for day in points})
    if days:
        # A single day would otherwise be centred in a range of years.
        axes.set_xlim(days[0] - datetime.timedelta(days=1), days[-1] + datetime.timedelta(days=1))  # type: ignore[arg-type]
    span_days = (days[-1] - days[0]).days if days else 0
    if span_days <= 62:
        # Daily data: ticks on whole days (matplotlib would otherwise tick hours on a short range), as many as
        # fit the figure's width without overlapping.
        fitting = max(2, int(figure.get_figwidth() * 1.3))
        if step_days(days) == 7:  # weekly points: tick the weeks' Mondays, not days between them
            weeks = max(1, math.ceil((span_days // 7 + 2) / fitting))
            axes.xaxis.set_major_locator(WeekdayLocator(byweekday=MO, interval=weeks))
        else:
            axes.xaxis.set_major_locator(DayLocator(interval=max(1, math.ceil((span_days + 2) / fitting))))
        axes.xaxis.set_major_formatter(DateFormatter("%b %d"))
    else:
        locator = AutoDateLocator()
        axes.xaxis.set_major_locator(locator)
        axes.xaxis.set_major_formatter(ConciseDateFormatter(locator))
    axes.grid(True, alpha=0.3)
    if len(series.lines) > 1 or next(iter(series.lines), ""):
        axes.legend(loc="upper left", fontsize="small")
    figure.autofmt_xdate(rotation=30, ha="right")
    figure.tight_layout()


def _figure(width_inches: float, height_inches: float) -> Figure:
    figure = Figure(figsize=(width_inches, height_inches), dpi=100)
    FigureCanvasAgg(figure)
    return figure


def write_chart(path: Path, title: str, series: Series) -> Path:
    figure = _figure(9, 4.5)
    draw(figure, title, series)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, format="png")
    return path


def svg(
    title: str,
    series: Series,
    *,
    size: tuple[float, float],
    log_scale: bool = False,
    marked: dict[str, set[datetime.date]] | None = None,
) -> str:
    figure = _figure(*size)
    draw(figure, title, series, log_scale=log_scale, marked=marked)
    out = io.StringIO()
    # No date in the metadata: the same answers give the same page.
    figure.savefig(out, format="svg", metadata={"Date": None})
    return out.getvalue()
