"""One table for every product: with products named, the Glue table has a `product` column and `metrics` as a
counter map. Objects delivered before (no product, counters as an object read into a struct) read the same, and
a product route's lines read their product, with the local DuckDB warehouse the saved-query tests use."""

import datetime
import json

import duckdb
import pytest

from contract import products
from contract.warehouse.columns import PARTITION_COLUMN, columns
from tests.support.made_up_product import acme_entry
from tests.support.shared_runs import shared_run
from tooling.fixtures import warehouse_files
from tooling.mocked_program.pulumi_mocks import run_program, stack_config
from usage_report import local_duckdb

TODAY = datetime.date(2026, 11, 27)
DEFAULT = (products.default(),)


@pytest.fixture(scope="module")
def old_objects(tmp_path_factory):
    root = tmp_path_factory.mktemp("bucket")
    warehouse_files.write_reference_warehouse(root, TODAY)
    return root


def test_no_products_named_keeps_the_released_columns():
    assert [c.type for c in columns()][-1].startswith("struct<")
    assert "product" not in [c.name for c in columns()]


def test_products_named_make_one_table_for_all():
    named = {c.name: c.type for c in columns(DEFAULT)}
    assert named["product"] == "string"
    assert named["metrics"] == "map<string,bigint>"
    # The released columns keep their names, types and order; product comes before metrics, metrics stays last.
    released = [(c.name, c.type) for c in columns()][:-1]
    assert [(c.name, c.type) for c in columns(DEFAULT)][: len(released)] == released


def test_objects_delivered_before_give_the_same_answers_under_the_counter_map(old_objects):
    as_released = local_duckdb.run_all_saved_queries(old_objects, today=TODAY)
    as_one_table = local_duckdb.run_all_saved_queries(old_objects, today=TODAY, catalogue=DEFAULT)
    assert any(as_released.values())
    # The one difference: a query that returns the counters themselves shows a counter a report left out as null
    # in the struct and not at all in the map. Every total, count and list is the same.
    assert as_one_table == {**as_released, "deduplicated_reports": as_one_table["deduplicated_reports"]}
    assert as_one_table["deduplicated_reports"] == [
        {**row, "metrics": {k: v for k, v in row["metrics"].items() if v is not None}}
        for row in as_released["deduplicated_reports"]
    ]


def _rows(root, catalogue):
    con = duckdb.connect()
    local_duckdb.create_reports_view(con, root, catalogue)
    names = [c.name for c in columns(catalogue)] + [PARTITION_COLUMN.name]
    return con.execute(f"SELECT {', '.join(names)} FROM reports ORDER BY request_id").fetchall(), names


def test_an_old_line_reads_no_product_and_its_counters_into_the_map(old_objects):
    struct_rows, _ = _rows(old_objects, None)
    map_rows, names = _rows(old_objects, DEFAULT)
    assert len(map_rows) == len(struct_rows) > 0
    product = names.index("product")
    assert {row[product] for row in map_rows} == {None}
    for old, new in zip(struct_rows, map_rows, strict=True):
        counters = {k: v for k, v in (old[-2] or {}).items() if v is not None}
        assert (new[-2] or {}) == counters


def test_a_product_routes_line_reads_its_product(tmp_path):
    line = {
        "received_at": 1764201600000,
        "request_id": "r-1",
        "version": "1.0.0",
        "stack_id": "3d9c49ce-8367-43ec-8884-568c8d43faec",
        "report_date": "2025-11-26",
        "product": "acme-widgets",
        "metrics": {"widgetsMade": 7},
    }
    folder = tmp_path / "reports" / "dt=2025-11-27"
    folder.mkdir(parents=True)
    (folder / "part.json").write_text(json.dumps(line) + "\n", encoding="utf-8")
    rows, names = _rows(tmp_path, DEFAULT)
    assert dict(zip(names, rows[0], strict=True))["product"] == "acme-widgets"
    assert rows[0][-2] == {"widgetsMade": 7}


def test_the_glue_table_changes_in_place_when_products_are_named():
    config = stack_config("staging")
    before = shared_run("staging", config).one("aws:glue/catalogTable:CatalogTable")
    config["analytics-collector:products"] = json.dumps(["lunasec-tokenizer"])
    after = run_program("staging", config).one("aws:glue/catalogTable:CatalogTable")
    assert after.name == before.name and after.inputs["name"] == before.inputs["name"]
    columns_after = {c["name"]: c["type"] for c in after.inputs["storageDescriptor"]["columns"]}
    assert columns_after["metrics"] == "map<string,bigint>" and columns_after["product"] == "string"


ACME = acme_entry()


def test_saved_queries_are_unchanged_without_products_and_filtered_per_product():
    from contract import queries

    released = queries.load_saved_queries()
    assert not [name for name, sql in released.items() if "COALESCE(product" in sql]
    acme = queries.load_saved_queries(products.parse(ACME, "inline"))
    assert set(acme) == set(released)
    for sql in acme.values():
        assert "COALESCE(product, 'lunasec-tokenizer') = 'acme-widgets'" in sql


def test_each_products_saved_queries_count_its_reports_only(old_objects, tmp_path):
    from contract import queries

    acme = products.parse(ACME, "inline")
    # The reference warehouse (lines without product: the default product's), plus one acme line.
    root = tmp_path / "bucket"
    warehouse_files.write_reference_warehouse(root, TODAY)
    received = datetime.datetime.combine(TODAY - datetime.timedelta(days=1), datetime.time(3), datetime.UTC)
    line = {
        "received_at": int(received.timestamp() * 1000),
        "request_id": "acme-1",
        "version": "1.0.0",
        "stack_id": "3d9c49ce-8367-43ec-8884-568c8d43faec",
        "report_date": (TODAY - datetime.timedelta(days=2)).isoformat(),
        "product": "acme-widgets",
        "metrics": {"widgetsMade": 7},
    }
    folder = root / "reports" / f"dt={received.date().isoformat()}"
    (folder / "acme.json").write_text(json.dumps(line) + "\n", encoding="utf-8")
    served = (products.default(), acme)
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    local_duckdb.create_reports_view(con, root, served)

    def answer(product, name):
        sql = local_duckdb.to_duckdb(queries.load_saved_queries(product)[name], TODAY)
        cursor = con.execute(sql)
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    acme_totals = answer(acme, "daily_counter_totals")
    assert [(r["counter"], int(r["total"])) for r in acme_totals] == [("widgetsMade", 7)]
    default_totals = answer(products.default(), "daily_counter_totals")
    released = local_duckdb.run_all_saved_queries(old_objects, today=TODAY)["daily_counter_totals"]
    assert [(r["report_day"], r["counter"], int(r["total"])) for r in default_totals] == [
        (r["report_day"], r["counter"], r["total"]) for r in released
    ]


def test_a_stack_naming_products_saves_a_set_per_product(tmp_path):
    path = tmp_path / "acme.json"
    path.write_text(json.dumps(ACME), encoding="utf-8")
    config = stack_config("staging")
    released = {q.name: q.inputs for q in shared_run("staging", config).of_type("aws:athena/namedQuery:NamedQuery")}
    config["analytics-collector:products"] = json.dumps(["lunasec-tokenizer", str(path)])
    named = {q.name: q.inputs for q in run_program("staging", config).of_type("aws:athena/namedQuery:NamedQuery")}
    assert set(released) < set(named)
    acme = {name: q for name, q in named.items() if name.startswith("catalog-acme-widgets-query-")}
    assert len(acme) == len(released)
    assert all(q["name"].startswith("acme-widgets-") for q in acme.values())
    for name, query in released.items():
        assert named[name]["name"] == query["name"]
