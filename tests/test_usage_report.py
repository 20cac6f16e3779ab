"""`python -m report` end to end: against moto's Athena with stack outputs from a stand-in Pulumi CLI,
and argument and failure handling as a user meets them."""

import base64
import datetime
import gzip
import io
import json
import stat
from dataclasses import dataclass
from pathlib import Path

import boto3
import pytest
from botocore.stub import Stubber

import mapping_templates
import schemas
from components import warehouse_layout
from queries import load_saved_queries
from report import charts
from report.cli import main
from report.local_warehouse import run_locally
from report.results import QueryResult
from report.sections import SECTIONS
from report.stack_outputs import OUTPUT_FOR_FLAG
from tests.support.apigateway_vtl import RequestContext, render
from tests.support.athena_results import FakeClock, athena_page, moto_athena, queue_static_results

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
    outputs = {OUTPUT_FOR_FLAG["database"]: DATABASE, OUTPUT_FOR_FLAG["workgroup"]: WORKGROUP,
               "collector_url": "https://example.invalid/record"}
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
        [["2026-11-24", "118"], ["2026-11-25", "121"], ["2026-11-26", "1234"]]),
    "daily_counter_totals": athena_page(
        [("report_day", "date"), ("counter", "varchar"), ("total", "bigint"), ("deployments", "bigint")],
        [["2026-11-26", "detokenizeSuccess", "20", "2"], ["2026-11-26", "tokenizeSuccess", "9001", "3"]]),
    "version_adoption": athena_page(
        [("report_day", "date"), ("version", "varchar"), ("deployments", "bigint")],
        [["2026-11-26", "1.2.3", "100"], ["2026-11-26", "1.3.0", "21"]]),
    "new_deployments_per_week": athena_page(
        [("week_start", "date"), ("new_deployments", "bigint")],
        [["2026-11-16", "7"], ["2026-11-23", "3"]]),
}


def test_athena_report_from_a_stacks_outputs_prints_tables_and_writes_charts(tmp_path):
    pulumi = fake_pulumi(tmp_path, stack_outputs())
    charts_dir = tmp_path / "charts"
    with moto_athena(WORKGROUP, 10_000_000) as athena:
        queue_static_results(*(ATHENA_ANSWERS[name] for name in SECTIONS))
        code, out, err = run_report("--stack", "prod", "--pulumi", str(pulumi), "--charts", str(charts_dir))
        executions = [athena.get_query_execution(QueryExecutionId=execution_id)["QueryExecution"]
                      for execution_id in athena.list_query_executions(WorkGroup=WORKGROUP)["QueryExecutionIds"]]

    assert code == 0, err
    assert (pulumi.parent / "args").read_text() == "stack output --json --stack prod\n"
    # Each section ran its saved query, as written in queries/, in the stack's database.
    saved = load_saved_queries()
    assert sorted(execution["Query"] for execution in executions) == sorted(saved[name] for name in SECTIONS)
    assert {execution["QueryExecutionContext"]["Database"] for execution in executions} == {DATABASE}
    for title in SECTIONS.values():
        assert f"{title}\n{'=' * len(title)}\n" in out
    rows = [line.split() for line in out.splitlines()]
    assert ["2026-11-26", "1,234"] in rows
    assert ["2026-11-26", "tokenizeSuccess", "9,001", "3"] in rows
    assert f"Athena: workgroup {WORKGROUP}, database {DATABASE}, region us-east-1" in err
    assert "daily_active_deployments: SUCCEEDED" in err
    for name in SECTIONS:
        assert (charts_dir / f"{name}.png").read_bytes().startswith(PNG_MAGIC)


def test_flags_override_the_stack_outputs(tmp_path):
    pulumi = fake_pulumi(tmp_path, stack_outputs(**{OUTPUT_FOR_FLAG["workgroup"]: None}))
    with moto_athena("adhoc", 10_000_000) as athena:
        queue_static_results(ATHENA_ANSWERS["new_deployments_per_week"])
        code, out, err = run_report("--stack", "prod", "--pulumi", str(pulumi), "--workgroup", "adhoc",
                                    "--section", "new_deployments_per_week")
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


@pytest.mark.parametrize("state, reason, expected", [
    ("FAILED", "COLUMN_NOT_FOUND: line 3:5: Column 'pageviews' cannot be resolved",
     "daily_active_deployments FAILED in Athena (execution exec-1): COLUMN_NOT_FOUND: line 3:5"),
    ("CANCELLED", "Bytes scanned limit was exceeded",
     "stopped by the bytes-scanned cutoff of workgroup analytics-collector-prod (10,000,000 bytes per query) "
     "after scanning 12,345,678 bytes"),
])
def test_a_query_athena_stops_ends_the_report_with_its_reason(monkeypatch, state, reason, expected):
    client = boto3.client("athena", region_name="us-east-1")
    stubber = Stubber(client)
    stubber.add_response("start_query_execution", {"QueryExecutionId": "exec-1"})
    stubber.add_response("get_query_execution", {"QueryExecution": {
        "QueryExecutionId": "exec-1", "Status": {"State": state, "StateChangeReason": reason},
        "Statistics": {"DataScannedInBytes": 12_345_678}}})
    stubber.add_response("get_work_group", {"WorkGroup": {
        "Name": WORKGROUP, "Configuration": {"BytesScannedCutoffPerQuery": 10_000_000}}})
    monkeypatch.setattr(boto3, "client", lambda service, region_name=None: client)
    with stubber:
        code, out, err = run_report("--database", DATABASE, "--workgroup", WORKGROUP)
    assert code == 1
    assert out == ""
    assert expected in err.splitlines()[-1]


@pytest.mark.parametrize("argv, message", [
    ([], "say where the data is"),
    (["--database", "d"], "say where the data is"),
    (["--local", ".", "--stack", "prod"], "--local runs offline; it cannot be combined with --stack"),
    (["--local", "/no/such/folder"], "--local /no/such/folder: no such directory"),
    (["--stack", "prod", "--section", "pageviews"], "invalid choice: 'pageviews'"),
    (["--stack", "prod", "--timeout", "0"], "--timeout must be positive"),
])
def test_argument_errors_exit_2_with_a_message(capsys, argv, message):
    with pytest.raises(SystemExit) as raised:
        main(argv)
    assert raised.value.code == 2
    assert message in capsys.readouterr().err


def test_every_report_section_is_a_saved_query():
    assert set(SECTIONS) <= set(load_saved_queries())


# ---- The local path: a warehouse on disk, as Firehose lays it out, with records rendered by the real template.

TODAY = datetime.date(2026, 11, 27)
STACK_A, STACK_B, STACK_C, STACK_D = (f"{n}d9c49ce-8367-43ec-8884-568c8d43faec" for n in "1234")


@dataclass(frozen=True)
class Sent:
    stack_id: str
    version: str
    received: datetime.datetime
    report_date: datetime.date | None
    metrics: dict

    @property
    def report_day(self) -> datetime.date:
        # The contract: a report without report_date counts on the UTC day it was received.
        return self.report_date or self.received.date()


def at(day: int, hour: int, month: int = 11) -> datetime.datetime:
    return datetime.datetime(2026, month, day, hour, tzinfo=datetime.timezone.utc)


SENT = [
    Sent(STACK_A, "1.2.3", at(25, 1), datetime.date(2026, 11, 24), {"tokenizeSuccess": 4, "detokenizeSuccess": 1}),
    Sent(STACK_A, "1.2.3", at(26, 1), datetime.date(2026, 11, 25), {"tokenizeSuccess": 6}),
    Sent(STACK_A, "1.3.0", at(27, 1), datetime.date(2026, 11, 26), {"tokenizeSuccess": 2}),
    # The reporter retried: the later copy is the one that counts.
    Sent(STACK_A, "1.3.0", at(27, 3), datetime.date(2026, 11, 26), {"tokenizeSuccess": 3, "createGrantSuccess": 1}),
    Sent(STACK_B, "1.2.3", at(26, 2), datetime.date(2026, 11, 25), {"tokenizeSuccess": 10}),
    Sent(STACK_B, "1.2.3", at(27, 2), datetime.date(2026, 11, 26), {"detokenizeSuccess": 7}),
    # A late report: for the 22nd, delivered on the 26th.
    Sent(STACK_B, "1.2.3", at(26, 9), datetime.date(2026, 11, 22), {"tokenizeSuccess": 1}),
    # An older reporter without report_date: counts on the day it arrived.
    Sent(STACK_C, "0.0.1", at(26, 14), None, {"tokenizeSuccess": 5}),
    # First seen weeks ago, outside the 7-day window but inside the 28-day ones.
    Sent(STACK_D, "1.1.0", at(3, 1), datetime.date(2026, 11, 2), {"tokenizeSuccess": 8}),
    Sent(STACK_D, "1.1.0", at(24, 1), datetime.date(2026, 11, 23), {"tokenizeSuccess": 9}),
]


def stored_line(sent: Sent, number: int) -> str:
    body = {"version": sent.version, "stack_id": sent.stack_id, schemas.CANONICAL_COUNTERS_KEY: sent.metrics}
    if sent.report_date:
        body["report_date"] = sent.report_date.isoformat()
    context = RequestContext(requestTimeEpoch=int(sent.received.timestamp() * 1000), requestId=f"req-{number:04d}")
    put_record = json.loads(render(mapping_templates.firehose_put_record("stream"), json.dumps(body), context))
    return base64.b64decode(put_record["Record"]["Data"]).decode()


def build_warehouse(root: Path) -> Path:
    """reports/dt=<arrival day>/ objects of gzip JSON lines, one object per arrival hour, plus a malformed line."""
    objects: dict[tuple[str, int], list[str]] = {}
    for number, sent in enumerate(SENT):
        objects.setdefault((sent.received.date().isoformat(), sent.received.hour), []).append(stored_line(sent, number))
    objects[("2026-11-26", 2)].append('{"received_at": 1764122400000, "stack_id": "truncated\n')
    for (day, hour), lines in objects.items():
        folder = root / warehouse_layout.REPORTS_PREFIX / f"{warehouse_layout.PARTITION_KEY}={day}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"stream-{hour:02d}.gz").write_bytes(gzip.compress("".join(lines).encode()))
    return root


def latest_per_deployment_day(window_days: int) -> dict[tuple[str, datetime.date], Sent]:
    first = TODAY - datetime.timedelta(days=window_days)
    latest: dict[tuple[str, datetime.date], Sent] = {}
    for sent in SENT:
        key = (sent.stack_id, sent.report_day)
        if first <= sent.report_day < TODAY and (key not in latest or sent.received > latest[key].received):
            latest[key] = sent
    return latest


def expected_tables() -> dict[str, list[list[str]]]:
    """The report's answers, computed from SENT in plain Python (no SQL), as printed rows."""
    active: dict[datetime.date, set] = {}
    for stack_id, day in latest_per_deployment_day(7):
        active.setdefault(day, set()).add(stack_id)
    totals: dict[tuple[datetime.date, str], list[int]] = {}
    versions: dict[tuple[datetime.date, str], int] = {}
    for (_, day), sent in latest_per_deployment_day(28).items():
        for counter, value in sent.metrics.items():
            totals.setdefault((day, counter), []).append(value)
        versions[(day, sent.version)] = versions.get((day, sent.version), 0) + 1
    first_days: dict[str, datetime.date] = {}
    for sent in SENT:
        first_days[sent.stack_id] = min(first_days.get(sent.stack_id, sent.report_day), sent.report_day)
    weeks: dict[datetime.date, int] = {}
    for day in first_days.values():
        monday = day - datetime.timedelta(days=day.weekday())
        weeks[monday] = weeks.get(monday, 0) + 1
    return {
        "daily_active_deployments": [[day.isoformat(), str(len(ids))] for day, ids in sorted(active.items())],
        "daily_counter_totals": [[day.isoformat(), counter, f"{sum(values):,}", str(len(values))]
                                 for (day, counter), values in sorted(totals.items())],
        "version_adoption": [[day.isoformat(), version, str(count)]
                             for (day, version), count in sorted(versions.items())],
        "new_deployments_per_week": [[week.isoformat(), str(count)] for week, count in sorted(weeks.items())],
    }


def printed_rows(out: str, title: str) -> list[list[str]]:
    section = out.split(f"{title}\n{'=' * len(title)}\n", 1)[1].split("\n\n", 1)[0]
    return [line.split() for line in section.splitlines()[2:]]


def test_local_report_on_a_generated_warehouse_prints_the_right_answers_and_charts(tmp_path):
    warehouse = build_warehouse(tmp_path / "bucket")
    charts_dir = tmp_path / "charts"

    code, out, err = run_report("--local", str(warehouse), "--today", TODAY.isoformat(), "--charts", str(charts_dir))

    assert code == 0, err
    expected = expected_tables()
    # The scenario reaches every case it was written for.
    assert ["2026-11-22", "1"] in expected["daily_active_deployments"]
    assert ["2026-11-26", "tokenizeSuccess", "8", "2"] in expected["daily_counter_totals"]  # retry: 3, not 2+3
    assert ["2026-11-26", "createGrantSuccess", "1", "1"] in expected["daily_counter_totals"]
    for name, title in SECTIONS.items():
        assert printed_rows(out, title) == expected[name], name
        assert (charts_dir / f"{name}.png").read_bytes().startswith(PNG_MAGIC)
    assert f"DuckDB: delivered objects under {warehouse}, as of {TODAY}" in err


def test_local_chart_series_are_the_query_answers(tmp_path):
    warehouse = build_warehouse(tmp_path / "bucket")
    series = charts.series_of(run_locally("version_adoption", warehouse, TODAY))
    latest = latest_per_deployment_day(28).values()
    first, last = min(sent.report_day for sent in latest), max(sent.report_day for sent in latest)
    days = [first + datetime.timedelta(days=n) for n in range((last - first).days + 1)]
    # One line per version, a point every day of the range, 0 where no deployment ran that version.
    expected = {version: {day: sum(1 for sent in latest if sent.version == version and sent.report_day == day)
                          for day in days}
                for version in {sent.version for sent in latest}}
    assert series.lines == expected
    assert series.lines["1.1.0"][datetime.date(2026, 11, 10)] == 0
    assert (series.x_label, series.y_label) == ("report_day", "deployments")


def test_weekly_series_step_by_week():
    weekly = QueryResult(("week_start", "new_deployments"),
                         ((datetime.date(2026, 11, 2), 1), (datetime.date(2026, 11, 23), 2)))
    assert charts.series_of(weekly).lines == {"": {datetime.date(2026, 11, 2): 1, datetime.date(2026, 11, 9): 0,
                                                   datetime.date(2026, 11, 16): 0, datetime.date(2026, 11, 23): 2}}


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
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    section = readme.split("\n## Usage report\n", 1)[1].split("\n## ", 1)[0]
    example = section.split("```text\n", 1)[1].split("```", 1)[0]
    code, out, err = run_report("--local", str(build_warehouse(tmp_path / "bucket")), "--today", TODAY.isoformat())
    assert code == 0, err
    # The README elides rows with "..."; every line it shows is printed, in the same order.
    printed = iter(out.splitlines())
    for line in example.splitlines():
        if line != "...":
            assert any(printed_line == line for printed_line in printed), line
