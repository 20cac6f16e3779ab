"""`python -m usage_report --html`: the page's structure, its summary against the saved queries' answers, escaping of
anonymous data, the empty warehouse, and outliers named and drawn on a scale that shows the rest.
(tests/test_html_report_browser.py opens the same pages in Chromium.)"""

import base64
import datetime
import html.parser
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from contract.queries import load_saved_queries
from tests.support.athena_results import FakeClock, athena_page, moto_athena, queue_static_results
from tests.test_usage_report import ATHENA_ANSWERS, DATABASE, WORKGROUP
from tooling.fixtures import warehouse_files
from tooling.fixtures.warehouse_files import Delivery
from usage_report import html_page, outliers, query_windows, summary
from usage_report.cli import main
from usage_report.html_page import Section, render_page
from usage_report.local_duckdb import run_all_saved_queries
from usage_report.results import QueryResult
from usage_report.sections import PANEL_PER_LINE, SECTIONS, TABLE_ONLY

TODAY = datetime.date(2026, 11, 27)  # a Friday; the reference warehouse's windows end on Thursday the 26th
GENERATED = datetime.datetime(2026, 11, 27, 7, 30, tzinfo=datetime.UTC)
POISON = 999_999_999_999


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    text: str = ""
    children: list["Element"] = field(default_factory=list)

    def all(self, tag: str) -> list["Element"]:
        found = [self] if self.tag == tag else []
        for child in self.children:
            found += child.all(tag)
        return found

    def by_id(self, element_id: str) -> "Element":
        (found,) = [e for e in self.walk() if e.attrs.get("id") == element_id]
        return found

    def walk(self):
        yield self
        for child in self.children:
            yield from child.walk()

    def full_text(self) -> str:
        return self.text + "".join(child.full_text() for child in self.children)


class _TreeBuilder(html.parser.HTMLParser):
    VOID = frozenset({"meta", "img", "br", "hr", "link", "input", "source"})

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = Element("#document", {})
        self.stack = [self.root]

    def handle_starttag(self, tag, attrs):
        element = Element(tag, {name: value or "" for name, value in attrs})
        self.stack[-1].children.append(element)
        if tag not in self.VOID:
            self.stack.append(element)

    def handle_endtag(self, tag):
        if tag in self.VOID:
            return
        assert self.stack[-1].tag == tag, f"</{tag}> closes <{self.stack[-1].tag}>"
        self.stack.pop()

    def handle_data(self, data):
        self.stack[-1].children.append(Element("#text", {}, data))


def parse(page: str) -> Element:
    builder = _TreeBuilder()
    builder.feed(page)
    builder.close()
    assert builder.stack == [builder.root], "unclosed elements"
    return builder.root


def write_page(warehouse: Path, out: Path, *extra: str) -> tuple[str, str]:
    stdout, stderr = io.StringIO(), io.StringIO()
    code = main(
        ["--local", str(warehouse), "--today", TODAY.isoformat(), "--html", str(out), *extra],
        stdout=stdout,
        stderr=stderr,
        now=lambda: GENERATED,
    )
    assert code == 0, stderr.getvalue()
    return out.read_text(encoding="utf-8"), stderr.getvalue()


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> tuple[Path, str]:
    root = tmp_path_factory.mktemp("reference")
    warehouse_files.write_reference_warehouse(root / "bucket", TODAY)
    page, _ = write_page(root / "bucket", root / "report.html")
    return root / "bucket", page


def poisoned_deliveries() -> list[Delivery]:
    return warehouse_files.reference_with_an_outlier(TODAY)


def section_of(tree: Element, name: str) -> Element:
    (section,) = [s for s in tree.all("section") if s.attrs.get("id") == name]
    return section


def svg_of(img: Element) -> str:
    prefix = "data:image/svg+xml;base64,"
    assert img.attrs["src"].startswith(prefix)
    return base64.b64decode(img.attrs["src"].removeprefix(prefix)).decode("utf-8")


# ---- structure and accessibility ----


def test_the_page_has_a_language_a_title_and_one_section_per_saved_query(reference):
    _, page = reference
    tree = parse(page)
    (document,) = tree.all("html")
    assert document.attrs["lang"] == "en"
    (title,) = tree.all("title")
    assert title.full_text().strip() == "Usage report, 2026-11-27: analytics-collector"
    ids = [s.attrs.get("id") for s in tree.all("section") if s.attrs.get("id")]
    assert ids == list(SECTIONS)
    for name, title_text in SECTIONS.items():
        (heading,) = section_of(tree, name).all("h2")
        assert heading.full_text() == title_text
    assert page.startswith("<!doctype html>\n")


def test_every_table_has_a_caption_and_column_headers(reference):
    _, page = reference
    tables = parse(page).all("table")
    assert len(tables) == len(SECTIONS)
    for table in tables:
        (caption,) = table.all("caption")
        assert "saved query" in caption.full_text()
        headers = table.all("th")
        assert headers and all(th.attrs["scope"] == "col" for th in headers)
        assert len(table.all("td")) % len(headers) == 0
    # Numbers are right-aligned (class "num"), the same columns as in the text report; dates and names are not.
    (table,) = section_of(parse(page), "version_adoption").all("table")
    aligned = {th.full_text(): th.attrs.get("class") == "num" for th in table.all("th")}
    assert aligned == {"report_day": False, "version": False, "deployments": True}
    row = table.all("tr")[1]
    assert [td.attrs.get("class") == "num" for td in row.all("td")] == list(aligned.values())


def test_tables_longer_than_ten_rows_start_folded(reference):
    """docs/html-report.md: "Tables longer than ten rows start folded" (the chart carries them)."""
    _, page = reference
    folded = {}
    for name in SECTIONS:
        (details,) = section_of(parse(page), name).all("details")
        rows = len(details.all("tbody")[0].all("tr"))
        folded[name] = "open" not in details.attrs
        assert folded[name] == (rows > 10), (name, rows)
    assert set(folded.values()) == {True, False}, "the reference has both a short and a long table"


def test_every_chart_has_a_text_alternative_that_states_what_it_shows(reference):
    warehouse, page = reference
    tree = parse(page)
    answers = run_all_saved_queries(warehouse, today=TODAY)
    for name, title in SECTIONS.items():
        images = section_of(tree, name).all("img")
        if name in TABLE_ONLY:
            assert not images, f"{name} is a list of findings, not a chart"
            continue
        assert images, f"{name} has no chart"
        for img in images:
            alt = img.attrs["alt"]
            assert alt.startswith(title) and "line chart of" in alt
            assert re.search(r"latest [\d,]+ on \d{4}-\d\d-\d\d", alt), alt
            assert int(img.attrs["width"]) > 0 and int(img.attrs["height"]) > 0
            assert svg_of(img).lstrip().startswith("<?xml")
    # The single-line chart names the last day's figure from the query's answer.
    last = answers["daily_active_deployments"][-1]
    (alt,) = [img.attrs["alt"] for img in section_of(tree, "daily_active_deployments").all("img")]
    assert f"latest {last['active_deployments']} on {last['report_day'].isoformat()}" in alt
    # A chart of several lines says what names them, in the words of the query's own columns.
    versions = {row["version"] for row in answers["version_adoption"]}
    (alt,) = [img.attrs["alt"] for img in section_of(tree, "version_adoption").all("img")]
    assert f"one line per version ({len(versions)})" in alt
    assert "One panel per counter," in section_of(tree, "daily_counter_totals").full_text()
    # Each counter gets its own panel, named in its alternative text.
    counters = {row["counter"] for row in answers["daily_counter_totals"]}
    panels = section_of(tree, "daily_counter_totals").all("img")
    assert "daily_counter_totals" in PANEL_PER_LINE
    named = [img.attrs["alt"].split(": ", 1)[0].removeprefix(f"{SECTIONS['daily_counter_totals']}, ") for img in panels]
    assert set(named) == counters
    # Largest first, as the page says: by each counter's total over the window.
    totals = {
        counter: sum(r["total"] for r in answers["daily_counter_totals"] if r["counter"] == counter)
        for counter in counters
    }
    assert named == sorted(counters, key=lambda counter: (-totals[counter], counter))
    assert len(set(totals.values())) > 1, "the reference counters' totals differ, so the order is tested"


def test_each_section_states_its_window_from_the_query_and_its_source(reference):
    warehouse, page = reference
    tree = parse(page)
    saved = load_saved_queries()
    for name in SECTIONS:
        meta = section_of(tree, name).all("p")[0].full_text()
        window = query_windows.window_of(saved[name], TODAY)
        if window.column:
            assert f"{window.first.isoformat()} to " in meta and window.last.isoformat() in meta
        else:
            assert "every report in the table" in meta
        assert f"saved query {name}" in meta
        assert f"DuckDB on the delivered objects under {warehouse}" in meta
    active = query_windows.window_of(saved["daily_active_deployments"], TODAY)
    assert (active.first, active.last) == (datetime.date(2026, 11, 20), datetime.date(2026, 11, 26))


def test_a_window_is_read_from_the_sql_not_restated():
    sql = load_saved_queries()["daily_active_deployments"].replace("INTERVAL '7' DAY", "INTERVAL '14' DAY")
    window = query_windows.window_of(sql, TODAY)
    assert (window.column, window.first, window.last) == (
        "report_day",
        datetime.date(2026, 11, 13),
        datetime.date(2026, 11, 26),
    )
    assert query_windows.window_of(load_saved_queries()["new_deployments_per_week"], TODAY) == query_windows.WHOLE_TABLE


def test_nothing_on_the_page_is_fetched_and_no_script_runs(reference):
    _, page = reference
    tree = parse(page)
    assert not tree.all("script") and not tree.all("link") and not tree.all("iframe")
    for element in tree.walk():
        for name, value in element.attrs.items():
            assert not name.startswith("on"), (element.tag, name)
            if name in ("src", "href"):
                assert value.startswith(("data:image/svg+xml;base64,", "#")), value
    (policy,) = [m for m in tree.all("meta") if m.attrs.get("http-equiv") == "Content-Security-Policy"]
    assert "default-src 'none'" in policy.attrs["content"] and "script-src" not in policy.attrs["content"]
    style = "".join(s.full_text() for s in tree.all("style"))
    assert "url(" not in style and "@import" not in style
    for img in tree.all("img"):
        svg = svg_of(img)
        assert "<script" not in svg and 'xlink:href="http' not in svg and 'href="http' not in svg


# ---- the summary: the saved queries' answers ----


def test_the_summary_reads_the_saved_queries_answers(reference):
    warehouse, page = reference
    answers = run_all_saved_queries(warehouse, today=TODAY)
    yesterday, week_earlier = TODAY - datetime.timedelta(days=1), TODAY - datetime.timedelta(days=8)
    active = {r["report_day"]: r["active_deployments"] for r in answers["daily_active_deployments"]}
    per_version_day: dict = {}
    for row in answers["version_adoption"]:
        per_version_day[row["report_day"]] = per_version_day.get(row["report_day"], 0) + row["deployments"]
    weeks = {r["week_start"]: r["new_deployments"] for r in answers["new_deployments_per_week"]}
    (freshness,) = answers["data_freshness"]

    tree = parse(page)

    def figure(element_id: str) -> int:
        element = tree.by_id(element_id)
        assert element.full_text() == f"{int(element.attrs['value']):,}"
        return int(element.attrs["value"])

    assert figure("active") == active[yesterday] == 3
    assert figure("active-week-earlier") == per_version_day[week_earlier] == 2
    assert figure("new-this-week") == weeks[datetime.date(2026, 11, 23)] == 1
    assert figure("new-last-week") == weeks[datetime.date(2026, 11, 16)] == 4
    versions = [
        (li.all("code")[0].full_text(), float(li.all("data")[0].attrs["value"]))
        for li in tree.by_id("versions").all("li")
    ]
    on_yesterday = [r for r in answers["version_adoption"] if r["report_day"] == yesterday]
    total = sum(r["deployments"] for r in on_yesterday)
    assert sorted(versions) == sorted((r["version"], pytest.approx(r["deployments"] / total)) for r in on_yesterday)
    freshness_text = tree.by_id("freshness").full_text()
    assert f"Last report day: Thu {freshness['last_report_day'].isoformat()}." in freshness_text
    received = datetime.datetime.fromtimestamp(freshness["newest_received_at"] / 1000, datetime.UTC)
    assert tree.by_id("newest-received").attrs["datetime"] == f"{received:%Y-%m-%dT%H:%M:%SZ}" == "2026-11-27T01:00:00Z"


def test_a_week_earlier_comes_from_version_adoption_which_counts_each_active_deployment_once(reference):
    """The summary reads day-8 from version_adoption: on the days both queries cover, the totals agree."""
    warehouse, _ = reference
    answers = run_all_saved_queries(warehouse, today=TODAY)
    per_day: dict = {}
    for row in answers["version_adoption"]:
        per_day[row["report_day"]] = per_day.get(row["report_day"], 0) + row["deployments"]
    active = {r["report_day"]: r["active_deployments"] for r in answers["daily_active_deployments"]}
    assert active and {day: per_day[day] for day in active} == active


def test_on_a_monday_the_new_deployments_are_the_week_just_ended():
    """The weekly workflow runs on Mondays: "this week" is the last full day's week, not a day-old one."""
    monday = datetime.date(2026, 11, 30)
    weeks = QueryResult(
        ("week_start", "new_deployments"), ((datetime.date(2026, 11, 16), 4), (datetime.date(2026, 11, 23), 1))
    )
    empty = {name: QueryResult((), ()) for name in summary.SUMMARY_QUERIES}
    found = summary.summarize({**empty, summary.NEW: weeks}, monday)
    assert (found.week_start, found.new_this_week, found.new_last_week) == (datetime.date(2026, 11, 23), 1, 4)
    # Any other day of the week counts the week it is in.
    assert summary.summarize({**empty, summary.NEW: weeks}, datetime.date(2026, 11, 24)).new_this_week == 1


def test_the_summary_needs_its_queries_even_when_sections_are_chosen(tmp_path, reference):
    warehouse, _ = reference
    page, _ = write_page(warehouse, tmp_path / "one.html", "--section", "daily_counter_totals")
    tree = parse(page)
    assert [s.attrs.get("id") for s in tree.all("section") if s.attrs.get("id")] == ["daily_counter_totals"]
    assert tree.by_id("active").attrs["value"] == "3"


def test_the_athena_page_names_its_workgroup_and_database(tmp_path):
    freshness = athena_page(
        [("last_report_day", "date"), ("newest_received_at", "bigint")], [["2026-11-26", "1795741200000"]]
    )
    out = tmp_path / "athena.html"
    clock = FakeClock()
    with moto_athena(WORKGROUP, 10_000_000):
        queue_static_results(*(ATHENA_ANSWERS[name] for name in SECTIONS), freshness)
        code = main(
            ["--database", DATABASE, "--workgroup", WORKGROUP, "--region", "us-east-1", "--html", str(out)],
            stdout=io.StringIO(),
            stderr=io.StringIO(),
            clock=clock,
            sleep=clock.sleep,
            now=lambda: GENERATED,
        )
    assert code == 0
    tree = parse(out.read_text(encoding="utf-8"))
    source = f"Athena workgroup {WORKGROUP}, database {DATABASE}, region us-east-1"
    assert all(source in section_of(tree, name).all("p")[0].full_text() for name in SECTIONS)
    assert tree.by_id("active").attrs["value"] == "1234"  # ATHENA_ANSWERS' 2026-11-26
    assert tree.by_id("newest-received").attrs["datetime"] == "2026-11-27T01:00:00Z"


# ---- empty data ----


def test_an_empty_warehouse_gives_a_page_that_says_so(tmp_path):
    (tmp_path / "bucket" / "reports").mkdir(parents=True)
    page, _ = write_page(tmp_path / "bucket", tmp_path / "empty.html")
    tree = parse(page)
    assert "No reports yet." in tree.all("main")[0].full_text()
    assert "No report delivered since Fri 2026-10-30." in tree.by_id("freshness").full_text()
    assert tree.by_id("active").attrs["value"] == "0"
    assert "No deployment reported that day." in tree.by_id("versions").full_text()
    for name in SECTIONS:
        section = section_of(tree, name)
        said = "nothing in this window looks suspicious" if name in TABLE_ONLY else "nothing to chart"
        assert "No rows:" in section.full_text() and said in section.full_text()
        assert not section.all("img") and not section.all("table")


# ---- anonymous data is escaped ----

HOSTILE_VERSION = '<script>alert("v")</script>'
HOSTILE_COUNTER = '"><img src=x onerror=alert(1)>$\\frac{$'
STACK = "12345678-0000-4000-8000-000000000099"


def hostile_page() -> str:
    day = datetime.date(2026, 11, 26)
    days = [day - datetime.timedelta(days=n) for n in range(5)]
    versions = QueryResult(("report_day", "version", "deployments"), tuple((d, HOSTILE_VERSION, 2) for d in days))
    counters = QueryResult(
        ("report_day", "counter", "total", "deployments"), tuple((d, HOSTILE_COUNTER, 10, 1) for d in days)
    )
    answers = {
        "daily_active_deployments": QueryResult(("report_day", "active_deployments"), ((day, 2),)),
        "version_adoption": versions,
        "daily_counter_totals": counters,
        "new_deployments_per_week": QueryResult((), ()),
        "suspicious_reports": QueryResult(
            ("day", "finding", "stack_id", "detail", "value", "usual"),
            ((day, "counter far above the fleet", STACK, HOSTILE_COUNTER, 10**9, 10.0),),
        ),
        "data_freshness": QueryResult(("last_report_day", "newest_received_at"), ((day, 1795741200000),)),
    }
    window = query_windows.Window("report_day", days[-1], day)
    sections = [Section(name, title, f"about {name} <b>", window, answers[name]) for name, title in SECTIONS.items()]
    return render_page(
        summary=summary.summarize(answers, TODAY),
        freshness_window=window,
        sections=sections,
        source="DuckDB on the delivered objects under /tmp/<i>bucket</i>",
        today=TODAY,
        generated_at=GENERATED,
    )


def test_values_from_reports_are_escaped_everywhere():
    page = hostile_page()
    tree = parse(page)
    assert not tree.all("script") and not tree.all("b") and not tree.all("i")
    assert [img for img in tree.all("img") if not img.attrs["src"].startswith("data:")] == []
    assert all(not name.startswith("on") for element in tree.walk() for name in element.attrs)
    text = tree.all("body")[0].full_text()
    assert HOSTILE_VERSION in text and HOSTILE_COUNTER in text and "/tmp/<i>bucket</i>" in text
    alts = [img.attrs["alt"] for img in tree.all("img")]
    assert any(HOSTILE_COUNTER in alt for alt in alts) and any(HOSTILE_VERSION in alt for alt in alts)
    assert "&lt;script&gt;" in page and "&quot;&gt;&lt;img src=x" in page


def test_a_dollar_sign_in_a_name_is_drawn_as_text_not_read_as_math():
    # matplotlib reads `$...$` as mathtext; `$\frac{$` would make it raise while drawing.
    svg = html_page.charts.svg(
        "x", html_page.charts.Series("day", "total", {HOSTILE_COUNTER: {datetime.date(2026, 11, 26): 1}}), size=(3, 2)
    )
    assert svg.lstrip().startswith("<?xml")


# ---- outliers ----


def counter_days(values: dict[str, list[tuple[int, int]]]) -> QueryResult:
    """28 days ending yesterday; each counter's (total, deployments) per day, oldest first."""
    first = TODAY - datetime.timedelta(days=28)
    rows = [
        (first + datetime.timedelta(days=n), counter, total, deployments)
        for counter, points in values.items()
        for n, (total, deployments) in enumerate(points)
    ]
    return QueryResult(("report_day", "counter", "total", "deployments"), tuple(sorted(rows, key=lambda r: r[:2])))


def test_a_poisoned_day_is_named_with_its_counter_and_how_many_deployments_sent_it():
    steady = [(20 + n % 3, 3) for n in range(28)]
    poisoned = list(steady)
    poisoned[20] = (POISON, 1)
    result = counter_days({"tokenizeSuccess": poisoned, "detokenizeSuccess": [(5, 2)] * 28})
    (found,) = outliers.find_outliers(result)
    assert (found.day, found.line, found.measure, found.value) == (
        TODAY - datetime.timedelta(days=8),
        "tokenizeSuccess",
        "total",
        POISON,
    )
    assert found.context == {"deployments": 1} and found.usual_context == {"deployments": 3}
    assert (found.baseline_line, found.baseline_points, found.unit) == ("tokenizeSuccess", 27, "day")


def test_growth_and_a_quiet_counter_waking_up_are_not_outliers():
    growing = [(10 * 2 ** (n // 4), 1 + n) for n in range(28)]  # 10 to 640 over four weeks
    waking = [(0, 1)] * 27 + [(50, 1)]  # 0 every day, then 50
    assert outliers.find_outliers(counter_days({"tokenizeSuccess": growing, "createGrantFailure": waking})) == []


def test_a_new_line_is_compared_with_the_largest_established_one():
    result = QueryResult(
        ("report_day", "version", "deployments"),
        (
            *((TODAY - datetime.timedelta(days=n), "1.2.3", 40) for n in range(1, 8)),
            (TODAY - datetime.timedelta(days=1), "9.9.9", 50_000),
        ),
    )
    (found,) = outliers.find_outliers(result)
    assert (found.line, found.baseline_line, found.baseline) == ("9.9.9", "1.2.3", 40)


def test_the_poisoned_counter_is_named_on_the_page_and_only_its_panel_is_logarithmic(tmp_path):
    warehouse_files.write_objects(tmp_path / "bucket", poisoned_deliveries())
    page, _ = write_page(tmp_path / "bucket", tmp_path / "poisoned.html")
    section = section_of(parse(page), "daily_counter_totals")
    (named,) = [p.full_text() for p in section.all("p") if "Outlier:" in p.full_text()]
    assert named.startswith("Outlier: tokenizeSuccess on Tue 2026-11-24, total 1,000,000,000,106 (deployments: 4)")
    panels = {img.attrs["alt"].split(": ", 1)[0].rsplit(", ", 1)[1]: img for img in section.all("img")}
    assert "Logarithmic scale" in panels["tokenizeSuccess"].attrs["alt"]
    assert "Outlier ringed: 1,000,000,000,106 on 2026-11-24" in panels["tokenizeSuccess"].attrs["alt"]
    assert all("Logarithmic" not in img.attrs["alt"] for name, img in panels.items() if name != "tokenizeSuccess")
    # The other counters keep their own scales: detokenizeSuccess peaks at 10, not flattened to 0.
    assert "highest 10 on 2026-11-17" in panels["detokenizeSuccess"].attrs["alt"]
