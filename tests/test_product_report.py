"""The usage report per product: a stack that names its products gets a part per product (its saved queries as the
stack saves them, its own counters as the series), in the text, the charts and one HTML page; a stack that names
none gets the report it always got, byte for byte (tests/data/usage_report_without_products/)."""

from __future__ import annotations

import datetime
import io
import json
import re
from pathlib import Path

import pytest

from contract import products
from tests.test_html_report import parse
from tests.test_public_report import RAW_CONTROL, stack_ids_in, written_text
from tooling.demo import made_up_product
from tooling.fixtures import warehouse_files
from usage_report.athena_runner import AthenaQueryRunner
from usage_report.cli import main
from usage_report.local_warehouse import run_locally
from usage_report.sections import SECTIONS, TABLE_ONLY
from usage_report.stack_outputs import stack_products

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "tests" / "data" / "usage_report_without_products"
TODAY = datetime.date(2026, 11, 27)
GENERATED = datetime.datetime(2026, 11, 27, 7, 30, tzinfo=datetime.UTC)
ACME = made_up_product.PRODUCT
ACME_ENTRY = str(made_up_product.ENTRY)
DEFAULT_ID = "lunasec-tokenizer"
BOTH = ["--product", DEFAULT_ID, "--product", ACME_ENTRY]
ACME_A = "a0a0a0a0-0000-4000-8000-0000000000a1"
ACME_B = "a0a0a0a0-0000-4000-8000-0000000000b2"
ACME_FORGER = "a0a0a0a0-0000-4000-8000-0000000000c3"
ON_DEFAULT_ROUTE = "b0b0b0b0-0000-4000-8000-0000000000d4"


def day(n: int) -> datetime.date:
    return TODAY - datetime.timedelta(days=n)


def line(stack_id: str, covered: datetime.date | str, received_day: int, minute: int, counters: dict, **fields) -> dict:
    received = datetime.datetime.combine(day(received_day), datetime.time(3, minute), datetime.UTC)
    return {
        "received_at": int(received.timestamp() * 1000),
        "request_id": f"req-{stack_id[-2:]}-{received_day}-{minute}",
        "version": fields.pop("version", "2.0.0"),
        "stack_id": stack_id,
        "report_date": covered if isinstance(covered, str) else covered.isoformat(),
        **fields,
        "metrics": counters,
    }


def acme_lines() -> list[dict]:
    """Two deployments of the made-up product over two days (one retries with new totals), and one forged date."""
    acme = {"product": ACME.id}
    return [
        line(ACME_A, day(2), 1, 0, {"widgetsMade": 5, "assemblyMinutes": 60}, **acme),
        line(ACME_B, day(2), 1, 1, {"widgetsMade": 7}, **acme),
        line(ACME_A, day(1), 0, 0, {"widgetsMade": 9, "widgetsRecalled": 1}, **acme),
        line(ACME_A, day(1), 0, 5, {"widgetsMade": 11, "widgetsRecalled": 2}, **acme),  # the retry wins
        line(ACME_B, day(1), 0, 1, {"widgetsMade": 3, "assemblyMinutes": 30}, version="2.1.0", **acme),
        line(ACME_FORGER, "2020-01-01", 1, 9, {"widgetsMade": 1}, **acme),
    ]


def default_route_lines(product: dict) -> list[dict]:
    """The default product's own route names it; the same report from a legacy route would not (`product` {})."""
    return [line(ON_DEFAULT_ROUTE, day(1), 0, 30, {"tokenizeSuccess": 40}, version="1.4.0", **product)]


def write_lines(root: Path, lines: list[dict], name: str) -> None:
    for record in lines:
        received = datetime.datetime.fromtimestamp(record["received_at"] / 1000, datetime.UTC).date()
        folder = root / "reports" / f"dt={received.isoformat()}"
        folder.mkdir(parents=True, exist_ok=True)
        with (folder / f"{name}.json").open("a", encoding="utf-8") as file:
            file.write(json.dumps(record) + "\n")


@pytest.fixture(scope="module")
def both_products(tmp_path_factory) -> Path:
    """The reference warehouse (lines without a product: the default product's, as delivered before), a line from
    the default product's own route and the made-up product's lines."""
    root = tmp_path_factory.mktemp("both-products")
    warehouse_files.write_reference_warehouse(root, TODAY)
    write_lines(root, default_route_lines({"product": DEFAULT_ID}), "default-route")
    write_lines(root, acme_lines(), "acme")
    return root


@pytest.fixture(scope="module")
def default_only(tmp_path_factory) -> Path:
    """What the default product's part must read in `both_products`: its lines, none naming a product."""
    root = tmp_path_factory.mktemp("default-only")
    warehouse_files.write_reference_warehouse(root, TODAY)
    write_lines(root, default_route_lines({}), "legacy-route")
    return root


def report(*argv: str) -> tuple[int, str, str]:
    stdout, stderr = io.StringIO(), io.StringIO()
    code = main(["--today", TODAY.isoformat(), *argv], stdout=stdout, stderr=stderr, now=lambda: GENERATED)
    return code, stdout.getvalue(), stderr.getvalue()


def tables(text: str) -> dict[str, list[str]]:
    """The text report's tables by title: each title is underlined with `=`, its rows follow to a blank line."""
    found = {}
    lines = text.splitlines()
    for index, title in enumerate(lines[:-1]):
        if lines[index + 1] and set(lines[index + 1]) == {"="} and len(lines[index + 1]) == len(title):
            body = []
            for row in lines[index + 2 :]:
                if not row:
                    break
                body.append(row)
            found[title] = body
    return found


def rows_of(body: list[str]) -> list[list[str]]:
    return [row.split() for row in body[2:]]


# ---- a stack that names no products ----


def normalized(text: str, folder: Path) -> str:
    text = re.sub(r"data:image/svg\+xml;base64,[A-Za-z0-9+/=]+", "SVG", text.replace(str(folder), "TMP"))
    return re.sub(r"<style>.*?</style>", "<style>STYLE</style>", text, flags=re.S)


def test_a_stack_naming_no_products_gets_the_report_as_released(tmp_path):
    warehouse_files.write_reference_warehouse(tmp_path / "bucket", TODAY)
    page = tmp_path / "r.html"

    code, out, err = report(
        "--local", str(tmp_path / "bucket"), "--html", str(page), "--charts", str(tmp_path / "charts")
    )

    assert code == 0, err
    assert normalized(out, tmp_path) == (GOLDEN / "stdout.txt").read_text(encoding="utf-8")
    assert normalized(err, tmp_path) == (GOLDEN / "stderr.txt").read_text(encoding="utf-8")
    assert normalized(page.read_text(encoding="utf-8"), tmp_path) == (GOLDEN / "page.html").read_text(encoding="utf-8")


# ---- a stack that names its products ----


def test_each_products_part_reports_its_own_lines_and_old_lines_count_as_the_default_products(
    both_products, default_only
):
    code, out, err = report("--local", str(both_products), *BOTH)
    assert code == 0, err
    _, released, _ = report("--local", str(default_only))
    parts = tables(out)

    # The default product's part: every table as the released report gives it for the same reports, whether a line
    # came from a legacy route (no product) or from its own route; none of the made-up product's lines.
    expected_titles = [f"LunaSec tokenizer: {title}" for title in SECTIONS.values()]
    expected_titles += [f"Acme widgets: {title}" for title in SECTIONS.values()]
    assert list(parts) == expected_titles
    for title, body in tables(released).items():
        assert parts[f"LunaSec tokenizer: {title}"] == body, title

    # The made-up product's part: its own counters as the series, the retry's totals, its deployments only.
    totals = rows_of(parts["Acme widgets: Totals per counter per day"])
    assert totals == [
        [day(2).isoformat(), "assemblyMinutes", "60", "1"],
        [day(2).isoformat(), "widgetsMade", "12", "2"],
        [day(1).isoformat(), "assemblyMinutes", "30", "1"],
        [day(1).isoformat(), "widgetsMade", "14", "2"],
        [day(1).isoformat(), "widgetsRecalled", "2", "1"],
    ]
    assert rows_of(parts["Acme widgets: Active deployments per day"]) == [
        [day(2).isoformat(), "2"],
        [day(1).isoformat(), "2"],
    ]
    assert rows_of(parts["Acme widgets: Deployments per version per day"]) == [
        [day(2).isoformat(), "2.0.0", "2"],
        [day(1).isoformat(), "2.0.0", "1"],
        [day(1).isoformat(), "2.1.0", "1"],
    ]
    (forged,) = rows_of(parts["Acme widgets: Suspicious data (possible poisoning)"])
    assert forged[1:5] == ["report_date", "outside", "the", "window"] and forged[6] == "2020-01-01"
    default_text = "\n".join("\n".join(body) for title, body in parts.items() if title.startswith("LunaSec"))
    assert not [name for name in ACME.counter_names if name in default_text]


def test_each_products_charts_are_named_as_its_saved_queries(both_products, tmp_path):
    code, _, err = report("--local", str(both_products), *BOTH, "--charts", str(tmp_path))

    assert code == 0, err
    drawn = set(SECTIONS) - TABLE_ONLY
    assert sorted(p.name for p in tmp_path.glob("*.png")) == sorted(
        [f"{name}.png" for name in drawn] + [f"acme-widgets-{name}.png" for name in drawn]
    )
    assert "acme-widgets-suspicious_reports: a table of findings, no chart" in err


@pytest.fixture(scope="module")
def both_pages(both_products, default_only, tmp_path_factory) -> tuple[str, str]:
    folder = tmp_path_factory.mktemp("pages")
    code, _, err = report("--local", str(both_products), *BOTH, "--html", str(folder / "both.html"))
    assert code == 0, err
    code, _, err = report("--local", str(default_only), "--html", str(folder / "released.html"))
    assert code == 0, err
    return (folder / "both.html").read_text(encoding="utf-8"), (folder / "released.html").read_text(encoding="utf-8")


def test_the_page_shows_each_product_with_its_summary_and_sections(both_pages):
    page, released_page = both_pages
    tree = parse(page)
    articles = tree.all("article")
    assert [a.attrs["id"] for a in articles] == ["product-lunasec-tokenizer", "product-acme-widgets"]
    assert [a.all("h2")[0].full_text() for a in articles] == ["LunaSec tokenizer", "Acme widgets"]
    default, acme = articles
    assert [s.attrs["id"] for s in default.all("section") if "id" in s.attrs] == list(SECTIONS)
    assert [s.attrs["id"] for s in acme.all("section") if "id" in s.attrs] == [f"acme-widgets-{q}" for q in SECTIONS]
    for article in articles:
        (summary,) = [s for s in article.all("section") if s.attrs.get("class") == "summary"]
        assert [h.full_text() for h in summary.all("h3")] == ["Summary"]

    # Ids are unique and every link lands: the default product keeps the released ids, another's carry its id.
    ids = [e.attrs["id"] for e in tree.walk() if "id" in e.attrs]
    assert len(ids) == len(set(ids))
    assert {a.attrs["href"][1:] for a in tree.all("a")} <= set(ids)

    # The summary per product: the default product's figures as the released page gives them for its reports.
    released = parse(released_page)
    for figure in ("active", "active-week-earlier", "new-this-week", "new-last-week"):
        assert tree.by_id(figure).attrs["value"] == released.by_id(figure).attrs["value"], figure
    assert tree.by_id("acme-widgets-active").attrs["value"] == "2"
    assert tree.by_id("acme-widgets-new-this-week").attrs["value"] == "2"

    # The made-up product's counters are its panels, and its tables name its saved queries.
    acme_panels = [img.attrs["alt"] for img in acme.by_id("acme-widgets-daily_counter_totals").all("img")]
    assert sorted(alt.split(", ")[1].split(":")[0] for alt in acme_panels) == sorted(ACME.counter_names)
    captions = [c.full_text() for c in acme.all("caption")]
    assert all("the answer of saved query acme-widgets-" in caption for caption in captions), captions
    assert "tokenizeSuccess" not in acme.full_text() and "widgetsMade" not in default.full_text()


def test_the_product_report_publishes_no_stack_id_and_shows_controls_as_escapes(both_products, tmp_path, capfd):
    hostile = tmp_path / "hostile.json"
    entry = json.loads(made_up_product.ENTRY.read_text(encoding="utf-8"))
    hostile.write_text(json.dumps({**entry, "display_name": "Acme\x1b[2J widgets\n::warning::x"}), encoding="utf-8")
    warehouse = tmp_path / "warehouse"
    write_lines(warehouse, acme_lines(), "acme")
    write_lines(
        warehouse, [line(ACME_B, day(1), 0, 40, {"widgetsMade": 1}, version="2.2.0\x9b31m", product=ACME.id)], "x"
    )
    out_dir = tmp_path / "out"

    code = main(
        [
            *("--local", str(warehouse), "--today", TODAY.isoformat(), "--product", DEFAULT_ID, "--product"),
            *(str(hostile), "--html", str(out_dir / "report.html"), "--charts", str(out_dir / "charts")),
        ],
        now=lambda: GENERATED,
    )

    out, err = capfd.readouterr()
    assert code == 0, err
    outputs = {"stdout": out, "stderr": err, **written_text(out_dir)}
    stack_ids = {ACME_A, ACME_B, ACME_FORGER}
    assert {where: found for where, text in outputs.items() if (found := stack_ids_in(text, stack_ids))} == {}
    assert re.search(r"report_date outside the window\s+#\d+\s+2020-01-01", out)
    texts = {where: text for where, text in outputs.items() if not where.endswith(".png")}  # PNGs are binary
    assert {where: RAW_CONTROL.findall(text) for where, text in texts.items() if RAW_CONTROL.findall(text)} == {}
    assert r"Acme\x1b[2J widgets\x0a::warning::x: Active deployments per day" in out
    assert not any(row.startswith("::") for row in out.splitlines())
    assert r"2.2.0\x9b31m" in out
    assert r"Acme\x1b[2J widgets\x0a::warning::x" in (out_dir / "report.html").read_text(encoding="utf-8")


# ---- which products: --product, or the stack's own setting ----


def test_an_unknown_product_is_refused_naming_it_and_the_built_in_ones(both_products):
    code, out, err = report("--local", str(both_products), "--product", "lunasec-tokeniser")

    assert code == 1 and out == ""
    assert "'lunasec-tokeniser' is not a built-in product (did you mean lunasec-tokenizer?)" in err


def stack_project(folder: Path, products_setting) -> Path:
    (folder / "Pulumi.yaml").write_text("name: analytics-collector\nruntime: python\n", encoding="utf-8")
    config = {"aws:region": "eu-west-1"}
    if products_setting is not None:
        config["analytics-collector:products"] = products_setting
    (folder / "Pulumi.prod.yaml").write_text(json.dumps({"config": config}), encoding="utf-8")
    return folder


def test_the_stacks_own_file_names_its_products(tmp_path):
    assert stack_products("prod", stack_project(tmp_path, None)) is None
    assert stack_products("prod", stack_project(tmp_path, [DEFAULT_ID, "mine/acme.json"])) == [
        DEFAULT_ID,
        "mine/acme.json",
    ]
    from usage_report.errors import ReportError

    with pytest.raises(
        ReportError, match=r"analytics-collector:products = 'acme' is not allowed: expected a non-empty"
    ):
        stack_products("prod", stack_project(tmp_path, "acme"))


def test_the_weekly_workflows_command_reports_each_product_its_stack_names(both_products, tmp_path, monkeypatch):
    project = stack_project(tmp_path, [DEFAULT_ID, "catalogue/acme.json"])
    (project / "catalogue").mkdir()
    (project / "catalogue" / "acme.json").write_text(made_up_product.ENTRY.read_text(encoding="utf-8"), "utf-8")
    monkeypatch.setattr("usage_report.stack_outputs.PROJECT_DIR", project)
    served = products.catalogue([DEFAULT_ID, ACME_ENTRY])
    asked = []

    def run(self, name: str, sql: str):
        asked.append(name)
        return run_locally(name, both_products, TODAY, sql=sql, catalogue=served)

    monkeypatch.setattr(AthenaQueryRunner, "run", run)

    stdout, stderr = io.StringIO(), io.StringIO()
    code = main(
        ["--stack", "prod", "--database", "d", "--workgroup", "w", "--section", "daily_active_deployments"],
        stdout=stdout,
        stderr=stderr,
    )

    assert code == 0, stderr.getvalue()
    assert asked == ["daily_active_deployments", "acme-widgets-daily_active_deployments"]
    assert list(tables(stdout.getvalue())) == [
        "LunaSec tokenizer: Active deployments per day",
        "Acme widgets: Active deployments per day",
    ]


# ---- --local without --product ----


def test_local_without_product_on_a_warehouse_of_several_products_refuses_naming_product_and_those_found(
    both_products,
):
    code, out, err = report("--local", str(both_products))
    assert (code, out) == (1, ""), "nothing reported: every line would have counted as the default product's"
    assert err.strip().splitlines()[-1] == (
        f"error: {both_products} holds reports of several products (acme-widgets, lunasec-tokenizer): name the ones "
        "to report with --product ID|PATH, a built-in id or the path of the product's catalogue entry "
        "(e.g. --product path/to/acme-widgets.json --product lunasec-tokenizer)"
    )


def test_local_without_product_on_the_default_products_lines_alone_reports_as_released(default_only, tmp_path):
    named = tmp_path / "named"
    warehouse_files.write_reference_warehouse(named, TODAY)
    write_lines(named, default_route_lines({"product": DEFAULT_ID}), "default-route")
    assert report("--local", str(named))[:2] == report("--local", str(default_only))[:2]


# ---- deployments numbered once for the whole report ----


def test_a_deployment_reporting_for_two_products_has_one_number_in_both_parts(tmp_path):
    """docs/usage-report.md: a deployment that reports for two products has the same #N in both parts, and a
    deployment of one product only never shares a number with another's. Forged dates make each row findable."""
    shared, default_only, acme_only = (f"c0c0c0c0-0000-4000-8000-0000000000{tail}" for tail in ("e5", "f6", "a7"))
    write_lines(
        tmp_path,
        [
            line(default_only, "2018-01-01", 1, 0, {"tokenizeSuccess": 1}, product=DEFAULT_ID),
            line(shared, "2019-01-01", 1, 1, {"tokenizeSuccess": 1}, product=DEFAULT_ID),
            line(acme_only, "2017-01-01", 1, 2, {"widgetsMade": 1}, product=ACME.id),
            line(shared, "2019-01-01", 1, 3, {"widgetsMade": 1}, product=ACME.id),
        ],
        "forged",
    )

    code, out, err = report("--local", str(tmp_path), *BOTH)

    assert code == 0, err
    suspicious = {title.split(":")[0]: rows_of(body) for title, body in tables(out).items() if "Suspicious" in title}
    numbers = {part: {row[-3]: row[-4] for row in rows} for part, rows in suspicious.items()}  # forged date -> #N
    assert numbers == {
        "LunaSec tokenizer": {"2019-01-01": "#1", "2018-01-01": "#2"},
        "Acme widgets": {"2017-01-01": "#3", "2019-01-01": "#1"},
    }, out


def test_the_sql_and_the_python_count_a_line_for_the_same_product(both_products):
    # The saved queries' rule (contract/queries/counted_product.sqlpart) and the Python one the demo uses agree.
    from contract.warehouse.delivered import counted_product, decode
    from usage_report.local_duckdb import products_found

    def parsed(text: str) -> dict | None:
        try:
            return json.loads(text)
        except json.JSONDecodeError:  # the reference warehouse holds a torn line on purpose: no product to count
            return None

    files = sorted(f for f in (both_products / "reports").rglob("*") if f.is_file())
    lines = [record for f in files for text in decode(f.read_bytes()).splitlines() if (record := parsed(text))]
    assert {line.get("product") for line in lines} == {None, "lunasec-tokenizer", "acme-widgets"}
    assert products_found(both_products) == ["acme-widgets", "lunasec-tokenizer"]
    assert sorted({counted_product(line) for line in lines}) == products_found(both_products)
