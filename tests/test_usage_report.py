"""`python -m usage_report` end to end: against moto's Athena with stack outputs from a stand-in Pulumi CLI,
and argument and failure handling as a user meets them."""

import datetime
import gzip
import io
import json
import stat
from pathlib import Path

import boto3
import pytest
from botocore.stub import Stubber

from contract.queries import load_saved_queries
from contract.warehouse import layout as warehouse_layout
from tests.support import docs
from tests.support.athena_results import FakeClock, athena_page, moto_athena, queue_static_results

# Stage 2's answers computed in plain Python from the deliveries (written from the queries' descriptions).
from tests.test_saved_queries import EXPECTED as PLAIN_PYTHON_ANSWERS
from tooling.fixtures import warehouse_files
from usage_report import charts, outliers, text_tables
from usage_report.cli import main
from usage_report.local_warehouse import run_locally
from usage_report.results import QueryResult
from usage_report.sections import SECTIONS, TABLE_ONLY
from usage_report.stack_outputs import OUTPUT_FOR_FLAG

WORKGROUP = "analytics-collector-prod"
DATABASE = "analytics_collector_prod"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def fake_pulumi(tmp_path, outputs: dict | None = None, fail_with: str | None = None):
    """An executable standing in for the Pulumi CLI: records its arguments, prints the outputs or fails."""
    folder = tmp_path / "fake-pulumi"
    folder.mkdir()
    (folder / "outputs.json").write_text(json.dumps(outputs or {}))
    body = f'echo "{fail_with}" >&2; exit 255' if fail_with else 'cat "$here/outputs.json"'
    script = folder / "pulumi"
    script.write_text(f'#!/bin/sh\nhere="$(dirname "$0")"\nprintf "%s\\n" "$*" > "$here/args"\n{body}\n')
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return script


def stack_outputs(**overrides) -> dict:
    outputs = {
        OUTPUT_FOR_FLAG["database"]: DATABASE,
        OUTPUT_FOR_FLAG["workgroup"]: WORKGROUP,
        "collector_url": "https://example.invalid/record",
    }
    outputs.update(overrides)
    return {name: value for name, value in outputs.items() if value is not None}


def run_report(*argv, clock: FakeClock | None = None) -> tuple[int, str, str]:
    stdout, stderr = io.StringIO(), io.StringIO()
    clock = clock or FakeClock()
    code = main(list(argv), stdout=stdout, stderr=stderr, clock=clock, sleep=clock.sleep)
    return code, stdout.getvalue(), stderr.getvalue()


# The static answers moto gives, one per section in the report's order, typed as Athena types them.
ATHENA_ANSWERS = {
    "daily_active_deployments": athena_page(
        [("report_day", "date"), ("active_deployments", "bigint")],
        [["2026-11-24", "118"], ["2026-11-25", "121"], ["2026-11-26", "1234"]],
    ),
    "daily_counter_totals": athena_page(
        [("report_day", "date"), ("counter", "varchar"), ("total", "bigint"), ("deployments", "bigint")],
        [["2026-11-26", "detokenizeSuccess", "20", "2"], ["2026-11-26", "tokenizeSuccess", "9001", "3"]],
    ),
    "version_adoption": athena_page(
        [("report_day", "date"), ("version", "varchar"), ("deployments", "bigint")],
        [["2026-11-26", "1.2.3", "100"], ["2026-11-26", "1.3.0", "21"]],
    ),
    "new_deployments_per_week": athena_page(
        [("week_start", "date"), ("new_deployments", "bigint")], [["2026-11-16", "7"], ["2026-11-23", "3"]]
    ),
    "suspicious_reports": athena_page(
        [
            ("day", "date"),
            ("finding", "varchar"),
            ("stack_id", "varchar"),
            ("detail", "varchar"),
            ("value", "bigint"),
            ("usual", "double"),
        ],
        [
            [
                "2026-11-25",
                "counter far above the fleet",
                "20202020-0000-4000-8000-000000000001",
                "tokenizeSuccess",
                "50000000",
                "988.0",
            ]
        ],
    ),
}


def test_athena_report_from_a_stacks_outputs_prints_tables_and_writes_charts(tmp_path):
    pulumi = fake_pulumi(tmp_path, stack_outputs())
    charts_dir = tmp_path / "charts"
    with moto_athena(WORKGROUP, 10_000_000) as athena:
        queue_static_results(*(ATHENA_ANSWERS[name] for name in SECTIONS))
        code, out, err = run_report("--stack", "prod", "--pulumi", str(pulumi), "--charts", str(charts_dir))
        executions = [
            athena.get_query_execution(QueryExecutionId=execution_id)["QueryExecution"]
            for execution_id in athena.list_query_executions(WorkGroup=WORKGROUP)["QueryExecutionIds"]
        ]

    assert code == 0, err
    assert (pulumi.parent / "args").read_text() == "stack output --json --stack prod\n"
    # Each section ran its saved query, as written in contract/queries/, in the stack's database.
    saved = load_saved_queries()
    assert sorted(execution["Query"] for execution in executions) == sorted(saved[name] for name in SECTIONS)
    assert {execution["QueryExecutionContext"]["Database"] for execution in executions} == {DATABASE}
    for title in SECTIONS.values():
        assert f"{title}\n{'=' * len(title)}\n" in out
    rows = [line.split() for line in out.splitlines()]
    assert ["2026-11-26", "1,234"] in rows
    assert ["2026-11-26", "tokenizeSuccess", "9,001", "3"] in rows
    assert f"Athena workgroup {WORKGROUP}, database {DATABASE}, region us-east-1" in err
    assert "daily_active_deployments: SUCCEEDED" in err
    for name in SECTIONS:
        assert (charts_dir / f"{name}.png").exists() is (name not in TABLE_ONLY)
        if name not in TABLE_ONLY:
            assert (charts_dir / f"{name}.png").read_bytes().startswith(PNG_MAGIC)


def test_flags_override_the_stack_outputs(tmp_path):
    pulumi = fake_pulumi(tmp_path, stack_outputs(**{OUTPUT_FOR_FLAG["workgroup"]: None}))
    with moto_athena("adhoc", 10_000_000) as athena:
        queue_static_results(ATHENA_ANSWERS["new_deployments_per_week"])
        code, out, err = run_report(
            "--stack", "prod", "--pulumi", str(pulumi), "--workgroup", "adhoc", "--section", "new_deployments_per_week"
        )
        (execution_id,) = athena.list_query_executions(WorkGroup="adhoc")["QueryExecutionIds"]
    assert code == 0, err
    assert ["2026-11-16", "7"] in [line.split() for line in out.splitlines()]
    assert execution_id


def test_a_missing_stack_output_is_named_with_the_flag_that_replaces_it(tmp_path):
    pulumi = fake_pulumi(tmp_path, stack_outputs(**{OUTPUT_FOR_FLAG["workgroup"]: None}))
    code, out, err = run_report("--stack", "prod", "--pulumi", str(pulumi))
    assert code == 1
    assert out == ""
    assert f"stack prod has no output '{OUTPUT_FOR_FLAG['workgroup']}'" in err
    assert "collector_url" in err and "--workgroup" in err


def test_a_pulumi_cli_failure_is_shown(tmp_path):
    pulumi = fake_pulumi(tmp_path, fail_with="error: no stack named 'prod' found")
    code, _, err = run_report("--stack", "prod", "--pulumi", str(pulumi))
    assert code == 1
    assert "error: no stack named 'prod' found" in err and "exit 255" in err


def test_a_missing_pulumi_cli_suggests_the_flags(tmp_path):
    code, _, err = run_report("--stack", "prod", "--pulumi", str(tmp_path / "not-installed"))
    assert code == 1
    assert "not installed" in err and "--database and --workgroup" in err


def test_an_unknown_workgroup_is_reported_not_raised():
    with moto_athena(WORKGROUP, 10_000_000):
        code, _, err = run_report("--database", DATABASE, "--workgroup", "nope", "--region", "us-east-1")
    assert code == 1
    assert err.splitlines()[-1].startswith("error: AWS: ") and "WorkGroup does not exist" in err


@pytest.mark.parametrize(
    "state, reason, expected",
    [
        (
            "FAILED",
            "COLUMN_NOT_FOUND: line 3:5: Column 'pageviews' cannot be resolved",
            "daily_active_deployments FAILED in Athena (execution exec-1): COLUMN_NOT_FOUND: line 3:5",
        ),
        (
            "CANCELLED",
            "Bytes scanned limit was exceeded",
            "stopped by the bytes-scanned cutoff of workgroup analytics-collector-prod (10,000,000 bytes per query) "
            "after scanning 12,345,678 bytes",
        ),
    ],
)
def test_a_query_athena_stops_ends_the_report_with_its_reason(monkeypatch, state, reason, expected):
    client = boto3.client("athena", region_name="us-east-1")
    stubber = Stubber(client)
    stubber.add_response("start_query_execution", {"QueryExecutionId": "exec-1"})
    stubber.add_response(
        "get_query_execution",
        {
            "QueryExecution": {
                "QueryExecutionId": "exec-1",
                "Status": {"State": state, "StateChangeReason": reason},
                "Statistics": {"DataScannedInBytes": 12_345_678},
            }
        },
    )
    stubber.add_response(
        "get_work_group",
        {"WorkGroup": {"Name": WORKGROUP, "Configuration": {"BytesScannedCutoffPerQuery": 10_000_000}}},
    )
    monkeypatch.setattr(boto3, "client", lambda service, region_name=None: client)
    with stubber:
        code, out, err = run_report("--database", DATABASE, "--workgroup", WORKGROUP)
    assert code == 1
    assert out == ""
    assert expected in err.splitlines()[-1]


@pytest.mark.parametrize(
    "argv, message",
    [
        ([], "say where the data is"),
        (["--database", "d"], "say where the data is"),
        (["--local", ".", "--stack", "prod"], "--local runs offline; it cannot be combined with --stack"),
        (["--local", "/no/such/folder"], "--local /no/such/folder: no such directory"),
        (["--stack", "prod", "--section", "pageviews"], "invalid choice: 'pageviews'"),
        (["--stack", "prod", "--timeout", "0"], "--timeout must be positive"),
    ],
)
def test_argument_errors_exit_2_with_a_message(capsys, argv, message):
    with pytest.raises(SystemExit) as raised:
        main(argv)
    assert raised.value.code == 2
    assert message in capsys.readouterr().err


def test_every_report_section_is_a_saved_query():
    assert set(SECTIONS) <= set(load_saved_queries())


# ---- The local path: Stage 2's reference warehouse (records rendered by the real template, laid out as
# Firehose writes them, with a retry, a late report, an old reporter, an impossible date, a malformed line),
# checked against Stage 2's plain-Python answers.

TODAY = datetime.date(2026, 11, 27)


def reference_warehouse(root: Path) -> tuple[Path, list]:
    return root, warehouse_files.write_reference_warehouse(root, TODAY)


def expected_result(name: str, deliveries) -> QueryResult:
    rows = PLAIN_PYTHON_ANSWERS[name](deliveries)
    columns = tuple(rows[0])
    return QueryResult(columns, tuple(tuple(row[column] for column in columns) for row in rows))


def as_published(result: QueryResult) -> QueryResult:
    """The answer as the report prints it: no stack id, each deployment numbered in the order the answer lists it."""
    if "stack_id" not in result.columns:
        return result
    at = result.columns.index("stack_id")
    order = list(dict.fromkeys(row[at] for row in result.rows if row[at] is not None))
    rows = tuple(
        (*row[:at], None if row[at] is None else f"#{order.index(row[at]) + 1}", *row[at + 1 :]) for row in result.rows
    )
    return QueryResult((*result.columns[:at], "deployment", *result.columns[at + 1 :]), rows)


def test_local_report_on_a_generated_warehouse_prints_the_right_answers_and_charts(tmp_path):
    warehouse, deliveries = reference_warehouse(tmp_path / "bucket")
    charts_dir = tmp_path / "charts"

    code, out, err = run_report("--local", str(warehouse), "--today", TODAY.isoformat(), "--charts", str(charts_dir))

    assert code == 0, err
    for name, title in SECTIONS.items():
        expected = expected_result(name, deliveries)
        assert expected.rows, f"the reference data leave {name} empty"
        assert out.count(text_tables.render(title, as_published(expected))) == 1, name
        if name not in TABLE_ONLY:
            assert (charts_dir / f"{name}.png").read_bytes().startswith(PNG_MAGIC)
    assert f"DuckDB on the delivered objects under {warehouse}, as of {TODAY}" in err


def test_local_chart_series_are_the_query_answers(tmp_path):
    warehouse, deliveries = reference_warehouse(tmp_path / "bucket")
    series = charts.series_of(run_locally("version_adoption", warehouse, TODAY))
    rows = PLAIN_PYTHON_ANSWERS["version_adoption"](deliveries)
    first, last = min(row["report_day"] for row in rows), max(row["report_day"] for row in rows)
    days = [first + datetime.timedelta(days=n) for n in range((last - first).days + 1)]
    # One line per version, a point every day of the range, 0 where no deployment ran that version.
    expected = {version: dict.fromkeys(days, 0) for version in {row["version"] for row in rows}}
    for row in rows:
        expected[row["version"]][row["report_day"]] = row["deployments"]
    assert series.lines == expected
    assert any(0 in points.values() for points in series.lines.values()), "no gap to fill: weak data"
    assert (series.x_label, series.y_label) == ("report_day", "deployments")


def test_weekly_series_step_by_week():
    weekly = QueryResult(
        ("week_start", "new_deployments"), ((datetime.date(2026, 11, 2), 1), (datetime.date(2026, 11, 23), 2))
    )
    assert charts.series_of(weekly).lines == {
        "": {
            datetime.date(2026, 11, 2): 1,
            datetime.date(2026, 11, 9): 0,
            datetime.date(2026, 11, 16): 0,
            datetime.date(2026, 11, 23): 2,
        }
    }


def test_a_row_without_a_day_is_left_off_the_chart_and_out_of_the_outliers():
    # A NULL in the date column (SQL a reader adds) has no place on a dated axis, as a NULL value has none.
    result = QueryResult(
        ("report_day", "total"),
        ((datetime.date(2026, 11, 1), 1), (None, 2), (datetime.date(2026, 11, 2), 3), (datetime.date(2026, 11, 3), 4)),
    )
    assert charts.series_of(result).lines == {
        "": {datetime.date(2026, 11, 1): 1, datetime.date(2026, 11, 2): 3, datetime.date(2026, 11, 3): 4}
    }
    assert outliers.find_outliers(result) == []


def test_an_empty_local_warehouse_prints_empty_tables(tmp_path):
    (tmp_path / warehouse_layout.REPORTS_PREFIX).mkdir(parents=True)
    code, out, err = run_report("--local", str(tmp_path), "--charts", str(tmp_path / "charts"))
    assert code == 0, err
    assert out.count("(no rows)") == len(SECTIONS)
    assert "nothing to chart" in err and not (tmp_path / "charts").exists()


def test_an_object_outside_the_layout_is_a_clear_error(tmp_path):
    stray = tmp_path / warehouse_layout.REPORTS_PREFIX / "misplaced.gz"
    stray.parent.mkdir(parents=True)
    stray.write_bytes(gzip.compress(b"{}\n"))
    code, out, err = run_report("--local", str(tmp_path))
    assert code == 1 and out == ""
    assert "misplaced.gz" in err and "cannot tell which day" in err


def test_readme_example_is_this_reports_output(tmp_path):
    example = docs.section("Usage report").split("```text\n", 1)[1].split("```", 1)[0]
    warehouse, _ = reference_warehouse(tmp_path / "bucket")
    code, out, err = run_report("--local", str(warehouse), "--today", TODAY.isoformat())
    assert code == 0, err
    # The docs elide rows with "..."; every line they show is printed, in the same order.
    printed = iter(out.splitlines())
    for line in example.splitlines():
        if line != "...":
            assert any(printed_line == line for printed_line in printed), line
