"""The saved Athena queries: each parses as Athena SQL, and each answers correctly on a warehouse written the
way Firehose writes it (lines rendered by the real request template), compared with plain-Python answers."""

from __future__ import annotations

import datetime
import re
import tempfile
from collections import defaultdict
from pathlib import Path

import jsonschema
import pytest
import sqlglot
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from sqlglot import exp

from contract import queries, schemas
from contract.warehouse import delivered
from contract.warehouse.columns import PARTITION_COLUMN, columns
from tests.support import docs
from tooling.fixtures import warehouse_files
from tooling.fixtures.warehouse_files import Delivery
from usage_report import local_duckdb, query_windows

TODAY = datetime.date(2026, 11, 27)
SAVED = queries.load_saved_queries()


def days_ago(n: int) -> datetime.date:
    return TODAY - datetime.timedelta(days=n)


@pytest.fixture(scope="module")
def deliveries() -> list[Delivery]:
    return warehouse_files.reference_deliveries(TODAY)


@pytest.fixture(scope="module")
def answers(tmp_path_factory) -> dict[str, list[dict]]:
    root = tmp_path_factory.mktemp("bucket")
    warehouse_files.write_reference_warehouse(root, TODAY)
    return local_duckdb.run_all_saved_queries(root, today=TODAY)


# ---- plain-Python answers, written from the queries' descriptions, not from their SQL ----


def report_day(delivery: Delivery) -> datetime.date:
    try:
        return datetime.date.fromisoformat(delivery.body["report_date"])
    except (KeyError, ValueError):  # older reporters, or a date no calendar has: the UTC day it was received
        return delivery.received_at.date()


def in_receive_window(delivery: Delivery) -> bool:
    """The client's report_date counts only from the contract's window before the day it was received to that day."""
    received = delivery.received_at.date()
    return received - datetime.timedelta(days=schemas.REPORT_DATE_EARLIEST_DAYS) <= report_day(delivery) <= received


def counted(deliveries) -> list[Delivery]:
    return [delivery for delivery in deliveries if in_receive_window(delivery)]


def counters_of(delivery: Delivery) -> dict:
    return next(delivery.body[key] for key in schemas.counter_keys() if key in delivery.body)


def latest_per_stack_and_day(deliveries) -> dict[tuple, Delivery]:
    latest: dict[tuple, Delivery] = {}
    for delivery in deliveries:
        key = (delivery.body["stack_id"], report_day(delivery))
        if key not in latest or (delivery.received_at_ms, delivery.request_id) > (
            latest[key].received_at_ms,
            latest[key].request_id,
        ):
            latest[key] = delivery
    return latest


def in_last(days: int, day: datetime.date) -> bool:
    return days_ago(days) <= day <= days_ago(1)


def expected_deduplicated(deliveries):
    return sorted(
        (
            {
                "report_day": day,
                "stack_id": stack,
                "version": d.body["version"],
                "metrics": counters_of(d),
                "received_at": d.received_at_ms,
                "request_id": d.request_id,
            }
            for (stack, day), d in latest_per_stack_and_day(deliveries).items()
        ),
        key=lambda r: (r["report_day"], r["stack_id"]),
    )


def expected_daily_active(deliveries):
    active = defaultdict(set)
    for delivery in deliveries:
        if in_last(7, report_day(delivery)):
            active[report_day(delivery)].add(delivery.body["stack_id"])
    return [{"report_day": day, "active_deployments": len(stacks)} for day, stacks in sorted(active.items())]


def expected_counter_totals(deliveries):
    totals, reporters = defaultdict(int), defaultdict(set)
    for (stack, day), delivery in latest_per_stack_and_day(deliveries).items():
        if in_last(28, day):
            for counter, value in counters_of(delivery).items():
                totals[day, counter] += value
                reporters[day, counter].add(stack)
    return [
        {
            "report_day": day,
            "counter": counter,
            "total": totals[day, counter],
            "deployments": len(reporters[day, counter]),
        }
        for day, counter in sorted(totals)
    ]


def expected_version_adoption(deliveries):
    count = defaultdict(int)
    for (_stack, day), delivery in latest_per_stack_and_day(deliveries).items():
        if in_last(28, day):
            count[day, delivery.body["version"]] += 1
    return [{"report_day": day, "version": version, "deployments": n} for (day, version), n in sorted(count.items())]


def expected_new_per_week(deliveries):
    first: dict[str, datetime.date] = {}
    for delivery in deliveries:
        stack = delivery.body["stack_id"]
        first[stack] = min(first.get(stack, datetime.date.max), report_day(delivery))
    weeks = defaultdict(int)
    for day in first.values():
        weeks[day - datetime.timedelta(days=day.weekday())] += 1
    return [{"week_start": week, "new_deployments": n} for week, n in sorted(weeks.items())]


def expected_freshness(deliveries):
    recent = [d for d in deliveries if datetime.date.fromisoformat(d.dt) >= days_ago(28)]
    if not recent:
        return []
    return [
        {
            "last_report_day": max((report_day(d) for d in recent if report_day(d) < TODAY), default=None),
            "newest_received_at": max(d.received_at_ms for d in recent),
        }
    ]


def expected_outside_window(deliveries):
    """suspicious_reports' rows for reports dated outside the window. Its other findings need a fleet (a 99th
    percentile, a median of days): tests/test_suspicious_reports.py shows them on one, and the data here, a
    handful of deployments with small totals, must give none of them."""
    rows = []
    for delivery in deliveries:
        received = delivery.received_at.date()
        if (
            not in_receive_window(delivery)
            and in_last(28, received)
            and datetime.date.fromisoformat(delivery.dt) >= days_ago(29)
        ):
            claimed = datetime.date.fromisoformat(delivery.body["report_date"])
            rows.append(
                {
                    "day": received,
                    "finding": "report_date outside the window",
                    "stack_id": delivery.body["stack_id"],
                    "detail": delivery.body["report_date"],
                    "value": (claimed - received).days,
                    "usual": None,
                }
            )
    return sorted(rows, key=lambda r: (r["day"], r["stack_id"], r["detail"]))


def _counted_only(expected):
    return lambda deliveries: expected(counted(deliveries))


EXPECTED = {
    **{
        name: _counted_only(expected)
        for name, expected in {
            "deduplicated_reports": expected_deduplicated,
            "daily_active_deployments": expected_daily_active,
            "daily_counter_totals": expected_counter_totals,
            "version_adoption": expected_version_adoption,
            "new_deployments_per_week": expected_new_per_week,
            "data_freshness": expected_freshness,
        }.items()
    },
    "suspicious_reports": expected_outside_window,
}


# ---- the files ----


def test_the_saved_queries_are_the_documented_ones():
    assert set(SAVED) == set(EXPECTED)
    section = docs.section("SQL warehouse: Athena catalog and saved queries")
    table = section.split("\n| Saved query | Answers |\n", 1)[1].split("\n\n", 1)[0]
    assert set(re.findall(r"^\| `(\w+)` \|", table, re.M)) == set(SAVED), "the docs' saved-query table"


@pytest.mark.parametrize("name", sorted(SAVED))
def test_query_parses_as_one_athena_select_over_the_reports_table(name):
    statements = sqlglot.parse(SAVED[name], read="athena", error_level=sqlglot.ErrorLevel.RAISE)
    assert len([s for s in statements if s is not None]) == 1
    tree = statements[0]
    assert isinstance(tree, exp.Select), f"{name} is not a SELECT"
    ctes = {cte.alias for cte in tree.find_all(exp.CTE)}
    tables = {t.name for t in tree.find_all(exp.Table)} - ctes
    assert tables == {queries.TABLE_NAME}


@pytest.mark.parametrize("name", sorted(SAVED))
def test_query_starts_with_a_description(name):
    assert SAVED[name].startswith("-- ")
    assert 40 <= len(queries.description(SAVED[name])) <= 1024


@pytest.mark.parametrize("name", sorted(SAVED))
def test_every_query_dates_reports_with_the_one_shared_part(name):
    """The report-day rule lives once, in contract/queries/_dated_reports.sql; each saved query holds it in full."""
    assert queries.shared_parts()["dated_reports"] in SAVED[name]
    assert "{" not in SAVED[name], "a shared part was left unfilled"


def test_a_query_naming_a_missing_part_is_a_clear_error(tmp_path, monkeypatch):
    (tmp_path / "_known.sql").write_text("-- who uses it\nknown AS (SELECT 1 AS one)\n")
    (tmp_path / "uses_known.sql").write_text("-- fine\nWITH {known} SELECT one FROM known\n")
    monkeypatch.setattr(queries, "QUERY_DIR", tmp_path)
    assert queries.load_saved_queries() == {
        "uses_known": "-- fine\nWITH known AS (SELECT 1 AS one) SELECT one FROM known\n"
    }
    (tmp_path / "typo.sql").write_text("-- broken\nWITH {knwon} SELECT 1\n")
    with pytest.raises(ValueError, match=r"typo.sql uses \{knwon\} but contract/queries/ has no _knwon.sql"):
        queries.load_saved_queries()


# Every query whose SQL bounds a day relative to current_date (usage_report/query_windows.py), not a list restating
# them.
WINDOWED = sorted(
    name for name, sql in SAVED.items() if query_windows.window_of(sql, TODAY) != query_windows.WHOLE_TABLE
)


def test_the_windowed_queries_are_found_from_their_sql():
    """So the check below cannot quietly run over no query at all."""
    assert {"daily_active_deployments", "daily_counter_totals", "version_adoption", "data_freshness"} <= set(WINDOWED)
    assert "deduplicated_reports" not in WINDOWED, "documented to read every partition"


@pytest.mark.parametrize("name", WINDOWED)
def test_windowed_queries_prune_partitions(name):
    tree = sqlglot.parse_one(SAVED[name], read="athena")
    assert any(isinstance(c, exp.GTE) and c.this.name == PARTITION_COLUMN.name for c in tree.find_all(exp.GTE)), (
        f"{name} has no `{PARTITION_COLUMN.name} >= ...` filter, so Athena would read every partition"
    )


# ---- the answers ----


def test_reference_reports_are_valid_under_the_schema(deliveries):
    validator = jsonschema.Draft4Validator(schemas.load_schema())
    for delivery in deliveries:
        validator.validate(delivery.body)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_answers_match_plain_python(name, answers, deliveries):
    got = answers[name]
    if name == "deduplicated_reports":  # a struct has every counter; the report only those it sent
        got = [{**row, "metrics": {k: v for k, v in row["metrics"].items() if v is not None}} for row in got]
    assert got == EXPECTED[name](deliveries)
    assert got, f"{name} answered nothing: the reference data do not exercise it"


def test_the_edge_cases_are_in_the_answers(answers):
    dedup = {(r["stack_id"], r["report_day"]): r for r in answers["deduplicated_reports"]}
    retried = dedup[warehouse_files.STACK_STEADY, days_ago(3)]
    assert retried["metrics"]["tokenizeSuccess"] == 99, "the latest received copy wins"
    assert (warehouse_files.STACK_LATE, days_ago(5)) in dedup, "a late report counts on its report day"
    assert (warehouse_files.STACK_OLD_REPORTER, days_ago(7)) in dedup, "no report_date: counts on the received day"
    assert (warehouse_files.STACK_ODD_DATE, days_ago(4)) in dedup, "an impossible report_date falls back too"
    active = {r["report_day"]: r["active_deployments"] for r in answers["daily_active_deployments"]}
    # Steady, late and the old reporter, whose report sits in the previous day's object (the dt margin).
    assert active[days_ago(7)] == 3
    assert set(active) <= {days_ago(n) for n in range(1, 8)}


def test_malformed_line_is_a_null_row_that_no_query_counts(tmp_path):
    warehouse_files.write_reference_warehouse(tmp_path, TODAY)
    with local_duckdb._connect(tmp_path) as con:
        rows = con.execute("SELECT count(*), count(stack_id) FROM reports").fetchone()
    reference = warehouse_files.reference_deliveries(TODAY)
    assert rows == (len(reference) + 1, len(reference))


def test_emulator_layout_gives_the_same_answers(tmp_path, answers):
    """moto/LocalStack: plain text, `!{timestamp:...}` left unexpanded and YYYY/MM/DD/HH/ appended."""
    objects = warehouse_files.write_objects(tmp_path, warehouse_files.reference_deliveries(TODAY), emulator_layout=True)
    assert all("!{timestamp:" in str(p) and not p.name.endswith(".gz") for p in objects)
    emulated = local_duckdb.run_all_saved_queries(tmp_path, today=TODAY)
    assert emulated == answers


def test_windows_follow_current_date(tmp_path, answers):
    warehouse_files.write_reference_warehouse(tmp_path, TODAY)
    later = local_duckdb.run_all_saved_queries(tmp_path, today=TODAY + datetime.timedelta(days=60))
    assert later["daily_active_deployments"] == later["daily_counter_totals"] == later["version_adoption"] == []
    assert later["data_freshness"] == [], "nothing delivered in its window: no row"
    assert later["deduplicated_reports"] == answers["deduplicated_reports"]


def test_no_query_counts_a_report_dated_outside_the_window(tmp_path):
    """A report_date is the client's word; the receive time is the collector's. A report dated after the day it
    arrived, or earlier than the window allows, counts nowhere: not as fresh, not as active, not in a total."""

    def sent(report_date: datetime.date, received: datetime.datetime, request_id: str) -> Delivery:
        body = {
            "version": "1.0.0",
            "stack_id": warehouse_files.STACK_STEADY,
            "report_date": report_date.isoformat(),
            "metrics": {"tokenizeSuccess": 1},
        }
        return Delivery(body, received, request_id)

    honest = sent(days_ago(2), datetime.datetime.combine(days_ago(1), datetime.time(1), datetime.UTC), "req-honest")
    future = sent(
        TODAY + datetime.timedelta(days=30),
        datetime.datetime.combine(days_ago(1), datetime.time(9), datetime.UTC),
        "req-future",
    )
    earliest = schemas.REPORT_DATE_EARLIEST_DAYS
    received = datetime.datetime.combine(days_ago(1), datetime.time(10), datetime.UTC)
    oldest_counted = sent(days_ago(1 + earliest), received, "req-oldest")
    too_old = sent(days_ago(2 + earliest), received + datetime.timedelta(minutes=1), "req-too-old")
    warehouse_files.write_objects(tmp_path, [honest, future, oldest_counted, too_old])
    answers = local_duckdb.run_all_saved_queries(tmp_path, TODAY)
    assert answers["data_freshness"] == [
        {"last_report_day": days_ago(2), "newest_received_at": oldest_counted.received_at_ms}
    ]
    assert {row["report_day"] for row in answers["deduplicated_reports"]} == {days_ago(2), days_ago(1 + earliest)}
    assert [row["week_start"] for row in answers["new_deployments_per_week"]] == [
        days_ago(1 + earliest) - datetime.timedelta(days=days_ago(1 + earliest).weekday())
    ]


def test_unpinned_runs_use_the_real_current_date(tmp_path):
    yesterday = datetime.datetime.now(datetime.UTC).date() - datetime.timedelta(days=1)
    received = datetime.datetime.combine(yesterday, datetime.time(12), datetime.UTC)
    body = {"version": "1.0.0", "stack_id": warehouse_files.STACK_STEADY, "metrics": {"tokenizeSuccess": 1}}
    warehouse_files.write_objects(tmp_path, [Delivery(body, received, "req-now")])
    rows = local_duckdb.run_saved_query("daily_active_deployments", tmp_path)
    assert rows == [{"report_day": yesterday, "active_deployments": 1}]


# ---- the local runner itself ----


def test_view_has_the_glue_tables_columns(tmp_path):
    with local_duckdb._connect(tmp_path) as con:
        names = [row[0] for row in con.execute("DESCRIBE reports").fetchall()]
    assert names == [c.name for c in columns()] + [PARTITION_COLUMN.name]


def test_stored_lines_come_from_the_real_template(deliveries):
    line = warehouse_files.stored_line(deliveries[0])
    assert line.endswith("\n") and line.count("\n") == 1
    assert re.fullmatch(r'\{"received_at":\d+,"request_id":"req-0000",.*\}\n', line)


def test_the_fast_line_builder_writes_what_the_template_renders(deliveries):
    for delivery in deliveries:
        assert warehouse_files.stored_line_fast(delivery) == warehouse_files.stored_line(delivery)


def test_an_object_outside_any_day_folder_is_a_clear_error(tmp_path):
    (tmp_path / "reports" / "misplaced").mkdir(parents=True)
    (tmp_path / "reports" / "misplaced" / "object.json").write_text("{}\n")
    with pytest.raises(delivered.WarehouseLayoutError, match="misplaced/object.json"):
        local_duckdb.run_all_saved_queries(tmp_path)


def test_unknown_query_and_missing_folder_are_clear_errors(tmp_path):
    with pytest.raises(local_duckdb.UnknownSavedQuery, match="known are .*daily_active_deployments"):
        local_duckdb.run_saved_query("weekly_magic", tmp_path)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        local_duckdb.run_all_saved_queries(tmp_path / "nowhere")


def test_an_empty_warehouse_answers_with_no_rows(tmp_path):
    assert local_duckdb.run_all_saved_queries(tmp_path, today=TODAY) == {name: [] for name in SAVED}


def test_multi_array_unnest_is_zipped_like_athena():
    sql = "SELECT k, v FROM (SELECT ARRAY['a', 'b'] AS ks, ARRAY[1] AS vs) AS t CROSS JOIN UNNEST(ks, vs) AS u (k, v)"
    import duckdb

    with duckdb.connect() as con:
        assert sorted(con.execute(local_duckdb.to_duckdb(sql)).fetchall(), key=str) == [("a", 1), ("b", None)]


# ---- any mix of deliveries, not only the reference cast ----

STACKS = [f"{n:08x}-0000-4000-8000-{n:012x}" for n in range(1, 5)]


@st.composite
def delivery_mixes(draw) -> list[Delivery]:
    """Dated reports arriving any time after their day ended, undated ones, retries, midnight objects."""
    out = []
    for index in range(draw(st.integers(1, 20))):
        covered = days_ago(draw(st.integers(1, 40)))
        dated = draw(st.booleans())
        # Seconds past the covered day's end; the index keeps receive times unique, as real ones are.
        after = draw(st.integers(0, 4 * 24 * 60)) * 60 + index
        received = datetime.datetime.combine(covered, datetime.time(), datetime.UTC) + datetime.timedelta(
            days=1 if dated else draw(st.integers(0, 1)), seconds=after
        )
        received = min(
            received,
            datetime.datetime.combine(TODAY, datetime.time(23, 59), datetime.UTC) + datetime.timedelta(seconds=index),
        )
        # Below a tenth of the counter maximum, which suspicious_reports lists whatever the fleet.
        counters = draw(
            st.dictionaries(
                st.sampled_from(schemas.counter_names()),
                st.integers(0, schemas.counter_maximum() // 10 - 1),
                min_size=1,
            )
        )
        body = {
            "version": draw(st.sampled_from(["1.0.0", "1.1.0", "2.0.0-rc.1"])),
            "stack_id": draw(st.sampled_from(STACKS)),
            draw(st.sampled_from(schemas.counter_keys())): counters,
        }
        if dated:
            # Now and then a forged date: far before the receive day, or after it (counted nowhere).
            forged = draw(st.sampled_from([0, 0, 0, -(schemas.REPORT_DATE_EARLIEST_DAYS + 10), 30]))
            body["report_date"] = (covered + datetime.timedelta(days=forged)).isoformat()
        just_after_midnight = received.time() < datetime.time(0, 15)
        object_day = (
            received.date() - datetime.timedelta(days=1) if just_after_midnight and draw(st.booleans()) else None
        )
        out.append(Delivery(body, received, f"req-{index:04d}", object_day))
    return out


# Each example runs DuckDB over fresh files (~0.5 s): few examples, fixed seed, and no shrinking, which would
# take minutes; a failure still prints the whole mix and both answers.
@pytest.mark.slow
@settings(
    max_examples=20,
    deadline=None,
    derandomize=True,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(delivery_mixes())
def test_answers_match_plain_python_for_any_mix(mix):
    with tempfile.TemporaryDirectory() as tmp:
        warehouse_files.write_objects(Path(tmp), mix, line_for=warehouse_files.stored_line_fast)
        got = local_duckdb.run_all_saved_queries(tmp, today=TODAY)
    got["deduplicated_reports"] = [
        {**row, "metrics": {k: v for k, v in row["metrics"].items() if v is not None}}
        for row in got["deduplicated_reports"]
    ]
    assert got == {name: expected(mix) for name, expected in EXPECTED.items()}
