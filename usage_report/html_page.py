"""The usage report as one self-contained HTML page: a summary, then each saved query's chart and table.

Nothing on the page is fetched: styles are inline, charts are SVG in data URIs, and a Content-Security-Policy
forbids every other source (and all script), so a page opened from an artifact or a mail stays inert. Every
value that comes from data (versions, counter names, folder names) is HTML-escaped, its control characters
shown as escapes (usage_report/visible_text.py): reports are anonymous. The answers come already public
(usage_report/public_answers.py): deployments are numbers, not stack ids.
"""

import base64
import datetime
import html
import re
from dataclasses import dataclass
from importlib import resources

from usage_report import alt_text, charts, text_tables
from usage_report.outliers import Outlier, find_outliers
from usage_report.public_answers import DEPLOYMENT
from usage_report.query_windows import Window
from usage_report.results import QueryResult
from usage_report.sections import PANEL_PER_LINE, TABLE_ONLY
from usage_report.summary import Summary
from usage_report.visible_text import visible

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; img-src data:; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"
)
# Inches (96 px each on screen): narrow enough that a phone scales the text down by a quarter at most.
CHART_SIZE = (5.0, 3.2)
PANEL_SIZE = (4.6, 2.9)
OPEN_TABLE_ROWS = 10  # longer tables start folded: the chart carries them


def esc(value) -> str:
    return html.escape(visible(str(value)), quote=True)


@dataclass(frozen=True)
class Section:
    name: str  # the saved query's file (contract/queries/)
    title: str
    description: str  # the query's leading comment
    window: Window
    result: QueryResult
    saved_name: str = ""  # what Athena saves it as, when not `name` (another product's `<id>-<query>`)

    @property
    def saved_query(self) -> str:
        """The saved query's name in the workgroup, and the section's id on the page."""
        return self.saved_name or self.name


@dataclass(frozen=True)
class ProductPart:
    """One product's summary and sections, on the page of a stack that names its products."""

    product_id: str
    display_name: str
    prefix: str  # of its saved queries' names and its element ids ('' for the default product)
    summary: Summary
    freshness_window: Window
    sections: list[Section]


def _day(day: datetime.date) -> str:
    return f'<time datetime="{day.isoformat()}">{day:%a} {day.isoformat()}</time>'


def _figure(name: str, *, value) -> str:
    return f'<data id="{esc(name)}" class="figure-value" value="{esc(value)}">{esc(alt_text.number(value))}</data>'


def _window_text(window: Window) -> str:
    if window.column is None:
        return "Window: every report in the table"
    if window.first is None:
        raise ValueError(f"a window on {window.column} has no first day")
    if window.last is None:
        return f"Window: reports delivered since {_day(window.first)} (<code>{esc(window.column)}</code> partitions)"
    days = (window.last - window.first).days + 1
    return f"Window: <code>{esc(window.column)}</code> {_day(window.first)} to {_day(window.last)} ({days} days)"


def _plural(count: int, noun: str) -> str:
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


def _item(term: str, definition: str) -> str:
    return f"<div><dt>{term}</dt><dd>{definition}</dd></div>"


def _active_item(summary: Summary, prefix: str) -> str:
    change = summary.change
    trend = "no change" if change == 0 else f"{'up' if change > 0 else 'down'} {abs(change):,}"
    return _item(
        f"Deployments active on the last full day, {_day(summary.last_full_day)}",
        f"{_figure(prefix + 'active', value=summary.active)} <span>{trend} against "
        f"{_figure(prefix + 'active-week-earlier', value=summary.active_week_earlier)} a week earlier "
        f"({_day(summary.week_earlier)})</span>",
    )


def _new_item(summary: Summary, prefix: str) -> str:
    return _item(
        f"New deployments in the week since {_day(summary.week_start)}",
        f"{_figure(prefix + 'new-this-week', value=summary.new_this_week)} <span>the week before: "
        f"{_figure(prefix + 'new-last-week', value=summary.new_last_week)}</span>",
    )


def _versions_item(summary: Summary, prefix: str) -> str:
    term = f"Most used versions on {_day(summary.last_full_day)}"
    if not summary.top_versions:
        return _item(term, f'<span id="{esc(prefix)}versions" class="empty">No deployment reported that day.</span>')
    versions = "".join(
        f'<li><code>{esc(v.version)}</code>: <data class="share" value="{v.share:.6f}">{v.share:.0%}</data> '
        f"({_plural(v.deployments, 'deployment')})</li>"
        for v in summary.top_versions
    )
    if summary.other_versions:
        share = sum(v.share for v in summary.other_versions)
        versions += f"<li>{_plural(len(summary.other_versions), 'other version')}: {share:.0%}</li>"
    return _item(term, f'<ol id="{esc(prefix)}versions">{versions}</ol>')


def _freshness_item(summary: Summary, since: str, prefix: str) -> str:
    term = "How fresh the data is"
    received = summary.newest_received_at
    if received is None:
        return _item(term, f'<span id="{esc(prefix)}freshness">No report delivered since {since}.</span>')
    last_day = _day(summary.last_report_day) if summary.last_report_day else "none before today"
    late = ""
    if summary.last_report_day is None or summary.last_report_day < summary.last_full_day:
        late = (
            f'<p class="notice">No report covers {_day(summary.last_full_day)} yet: reporters send a '
            "day's totals after it ends, so they may still be on their way, or delivery has stopped.</p>"
        )
    return _item(
        term,
        f'<span id="{esc(prefix)}freshness">Last report day: {last_day}. Newest report received '
        f'<time id="{esc(prefix)}newest-received" datetime="{received:%Y-%m-%dT%H:%M:%SZ}">'
        f"{received:%Y-%m-%d %H:%M} UTC</time>.</span>{late}",
    )


def _summary_html(summary: Summary, freshness_window: Window, prefix: str = "", level: int = 2) -> str:
    since = _day(freshness_window.first) if freshness_window.first else "the table began"
    notice = ""
    if summary.no_reports:
        notice = (
            f'<p class="notice" role="status"><strong>No reports yet.</strong> Nothing was delivered since '
            f"{since}: a new stack, or reports are not reaching the collector.</p>"
        )
    items = [
        _active_item(summary, prefix),
        _new_item(summary, prefix),
        _versions_item(summary, prefix),
        _freshness_item(summary, since, prefix),
    ]
    heading = esc(f"{prefix}summary-heading")
    return (
        f'<section aria-labelledby="{heading}" class="summary"><h{level} id="{heading}">Summary</h{level}>'
        f"{notice}<dl>{''.join(items)}</dl></section>"
    )


def _svg_attribute(svg: str, attr: str) -> str:
    found = re.search(rf'{attr}="([\d.]+)pt"', svg)
    if found is None:
        raise ValueError(f"the chart's SVG states no {attr} in pt")
    return found.group(1)


def _img(svg: str, alt: str) -> str:
    # The SVG's own size (in pt) becomes the img's, so the layout is known before it decodes.
    width, height = (float(_svg_attribute(svg, attr)) * 4 / 3 for attr in ("width", "height"))
    data = base64.b64encode(svg.encode("utf-8")).decode("ascii")
    return (
        f'<figure><img src="data:image/svg+xml;base64,{data}" width="{width:.0f}" height="{height:.0f}" '
        f'alt="{esc(alt)}"></figure>'
    )


def outlier_html(outlier: Outlier) -> str:
    """The paragraph naming an outlier above its chart (docs/html-report.md shows one, generated from this)."""
    where = f"{esc(outlier.line)} on {_day(outlier.day)}" if outlier.line else _day(outlier.day)
    context = ", ".join(f"{esc(name)}: {alt_text.number(value)}" for name, value in outlier.context.items())
    usual = ", ".join(f"{esc(name)}: {alt_text.number(value)}" for name, value in outlier.usual_context.items())
    whose = (
        f"its other {outlier.baseline_points} {outlier.unit}s"
        if outlier.baseline_line == outlier.line
        else f"{esc(outlier.baseline_line)}'s {outlier.baseline_points} {outlier.unit}s"
    )
    ratio = alt_text.number(round(outlier.value / max(outlier.baseline, 1)))
    return (
        f'<p class="outlier"><strong>Outlier:</strong> {where}, {esc(outlier.measure)} '
        f"<strong>{alt_text.number(outlier.value)}</strong>"
        + (f" ({context})" if context else "")
        + f", {ratio} times the median of {whose} ({alt_text.number(outlier.baseline)}"
        + (f"; {usual}" if usual else "")
        + ").</p>"
    )


def _charts_html(section: Section, outliers: list[Outlier]) -> str:
    per_line = section.name in PANEL_PER_LINE
    series = charts.series_of(section.result, max_lines=None if per_line else charts.MAX_LINES)
    if series is None:
        return '<p class="empty">No dated numbers to chart.</p>'
    if not per_line:
        marked: dict[str, set[datetime.date]] = {}
        for outlier in outliers:
            marked.setdefault(outlier.line, set()).add(outlier.day)
        log_scale = bool(outliers)
        svg = charts.svg(section.title, series, size=CHART_SIZE, log_scale=log_scale, marked=marked)
        alt = alt_text.describe(section.title, series, log_scale=log_scale, outliers=outliers)
        return _img(svg, alt)
    panels = []
    for line in charts.largest_first(series.lines):
        own = [o for o in outliers if o.line == line]
        # The panel's title names its line; an unnamed line draws no legend.
        one = charts.Series(series.x_label, series.y_label, {"": series.lines[line]})
        svg = charts.svg(line, one, size=PANEL_SIZE, log_scale=bool(own), marked={"": {o.day for o in own}})
        alt = alt_text.describe(f"{section.title}, {line}", one, log_scale=bool(own), outliers=own)
        panels.append(_img(svg, alt))
    by = " and ".join(series.label_names)
    return (
        f'<p class="meta">One panel per {esc(by)}, each on its own scale, largest first.</p>'
        f'<div class="panels">{"".join(panels)}</div>'
    )


def _table_html(section: Section) -> str:
    result = section.result
    numeric = text_tables.numeric_columns(result)

    def cls(i: int) -> str:
        return ' class="num"' if numeric[i] else ""

    head = "".join(f'<th scope="col"{cls(i)}>{esc(name)}</th>' for i, name in enumerate(result.columns))
    body = "".join(
        "<tr>" + "".join(f"<td{cls(i)}>{esc(text_tables.cell(value))}</td>" for i, value in enumerate(row)) + "</tr>"
        for row in result.rows
    )
    rows = len(result.rows)
    table = (
        f"<table><caption>{esc(section.title)}: the answer of saved query <code>{esc(section.saved_query)}</code>, "
        f"{_plural(rows, 'row')}</caption><thead><tr>{head}</tr></thead>"
        f"<tbody>{body}</tbody></table>"
    )
    opened = " open" if rows <= OPEN_TABLE_ROWS else ""
    return f"<details{opened}><summary>Table: {_plural(rows, 'row')}</summary>{table}</details>"


def _deployment_note(query: str) -> str:
    return (
        f'<p class="meta">Deployments are numbered in the order the saved query lists their stack ids, which '
        "this page does not publish: whoever reads a stack id can replace that deployment's reports. Whoever "
        f"holds the report's read role finds them by running <code>{esc(query)}</code> in the workgroup.</p>"
    )


def _section_html(section: Section, source_html: str, level: int = 2) -> str:
    heading = f"{section.saved_query}-heading"
    parts = [
        f'<section id="{esc(section.saved_query)}" aria-labelledby="{esc(heading)}">',
        f'<h{level} id="{esc(heading)}">{esc(section.title)}</h{level}>',
        f'<p class="meta">{_window_text(section.window)} &middot; saved query <code>{esc(section.saved_query)}</code>'
        f" &middot; Source: {source_html}</p>",
        f"<p>{esc(section.description)}</p>",
    ]
    if section.name in TABLE_ONLY:
        parts.append(
            _table_html(section)
            if section.result.rows
            else '<p class="empty">No rows: nothing in this window looks suspicious.</p>'
        )
        if DEPLOYMENT in section.result.columns:
            parts.append(_deployment_note(section.saved_query))
    elif not section.result.rows:
        parts.append(
            '<p class="empty">No rows: no report in this window, so there is nothing to chart.</p>'
            if section.window.column
            else '<p class="empty">No rows: the table holds no report, so there is nothing to chart.</p>'
        )
    else:
        outliers = find_outliers(section.result)
        if outliers:
            parts.append('<div class="outliers" role="note">' + "".join(outlier_html(o) for o in outliers) + "</div>")
        # Beside each other where the screen is wide enough, one under the other on a phone.
        layout = "stacked" if section.name in PANEL_PER_LINE else "pair"
        parts.append(f'<div class="{layout}">{_charts_html(section, outliers)}{_table_html(section)}</div>')
    parts.append("</section>")
    return "".join(parts)


def _nav_items(sections: list[Section]) -> str:
    return "".join(f'<li><a href="#{esc(s.saved_query)}">{esc(s.title)}</a></li>' for s in sections)


def _product_html(product: ProductPart, source_html: str) -> str:
    element = f"product-{product.product_id}"
    # The default product's queries also count the lines of its legacy routes, which name no product.
    names = (
        f"named <code>{esc(product.prefix)}&lt;query&gt;</code>"
        if product.prefix
        else "under their released names (they count the lines that name no product too)"
    )
    return "".join(
        [
            f'<article id="{esc(element)}" class="product" aria-labelledby="{esc(element)}-heading">',
            f'<h2 id="{esc(element)}-heading">{esc(product.display_name)}</h2>',
            f'<p class="meta">Product <code>{esc(product.product_id)}</code>: its reports only, each section the '
            f"answer of its own saved query, {names}.</p>",
            _summary_html(product.summary, product.freshness_window, product.prefix, level=3),
            *(_section_html(section, source_html, level=3) for section in product.sections),
            "</article>",
        ]
    )


def _page(*, nav: str, body: list[str], source_html: str, today: datetime.date, generated_at: datetime.datetime) -> str:
    style = resources.files("usage_report").joinpath("html_report.css").read_text(encoding="utf-8")
    return "\n".join(
        [
            "<!doctype html>",
            '<html lang="en">',
            "<head>",
            '<meta charset="utf-8">',
            f'<meta http-equiv="Content-Security-Policy" content="{CONTENT_SECURITY_POLICY}">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>Usage report, {today.isoformat()}: analytics-collector</title>",
            f"<style>{style}</style>",
            "</head>",
            "<body>",
            "<header><h1>Usage report</h1>",
            f'<p class="meta">As of {_day(today)} (UTC): windows end on the last full day. Data: {source_html}.</p>',
            f'<nav aria-label="Sections"><ul>{nav}</ul></nav></header>',
            "<main>",
            *body,
            "</main>",
            f"<footer>Generated {generated_at:%Y-%m-%d %H:%M} UTC by <code>python -m usage_report --html</code> "
            "from the saved queries in <code>contract/queries/</code>. Reports are anonymous: a named outlier may be "
            "one deployment's "
            "error or a poisoned report.</footer>",
            "</body>",
            "</html>",
            "",
        ]
    )


def render_page(
    *,
    summary: Summary,
    freshness_window: Window,
    sections: list[Section],
    source: str,
    today: datetime.date,
    generated_at: datetime.datetime,
) -> str:
    """The page of a stack that names no products. `source` says where the answers came from; it is escaped here."""
    source_html = esc(source)
    return _page(
        nav=_nav_items(sections),
        body=[_summary_html(summary, freshness_window), *(_section_html(s, source_html) for s in sections)],
        source_html=source_html,
        today=today,
        generated_at=generated_at,
    )


def render_products_page(
    *, products: list[ProductPart], source: str, today: datetime.date, generated_at: datetime.datetime
) -> str:
    """The page of a stack that names its products: a part per product, in order, each its summary and sections."""
    source_html = esc(source)
    nav = "".join(
        f'<li><a href="#product-{esc(p.product_id)}">{esc(p.display_name)}</a><ul>{_nav_items(p.sections)}</ul></li>'
        for p in products
    )
    return _page(
        nav=nav,
        body=[_product_html(product, source_html) for product in products],
        source_html=source_html,
        today=today,
        generated_at=generated_at,
    )
