"""What the weekly report publishes (the Actions log, the artifact): aggregates only, never a stack id, and no
stored value that a terminal would read as a control sequence.

Whoever reads a stack id can send that deployment's day again and replace it (the queries keep the latest report
per stack_id and day), so the workflow's own command is run here on a warehouse with poison in it, and
everything it writes is searched for every stack id in that warehouse, in any case, with or without hyphens.
"""

from __future__ import annotations

import base64
import datetime
import re
import shlex
from pathlib import Path

import pytest
import yaml

from tooling.fixtures import warehouse_files as fleet
from usage_report import text_tables
from usage_report.athena_runner import AthenaQueryRunner
from usage_report.cli import main
from usage_report.errors import QueryFailed
from usage_report.local_duckdb import run_saved_query
from usage_report.local_warehouse import run_locally
from usage_report.public_answers import DeploymentNumbers
from usage_report.results import QueryResult

ROOT = Path(__file__).resolve().parents[1]
TODAY = datetime.date(2026, 11, 27)
STARTED = datetime.datetime(2026, 11, 27, 7, 17, tzinfo=datetime.UTC)
HEX_RUN = re.compile(r"[0-9a-f]+")
# C0 but the newline that ends a line, DEL and C1 (0x9b is CSI on its own).
RAW_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f]")


def workflow_report_argv() -> list[str]:
    """The arguments the usage-report workflow gives `python -m usage_report`, its env variables put in."""
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "usage-report.yml").read_text(encoding="utf-8"))
    (job,) = workflow["jobs"].values()
    (run,) = [step["run"] for step in job["steps"] if "-m usage_report" in step.get("run", "")]
    argv = [re.sub(r"\$(\w+)", lambda m: job["env"][m.group(1)], word) for word in shlex.split(run)]
    assert argv[1:3] == ["-m", "usage_report"], argv
    return argv[3:]


def local_page_argv(warehouse: Path, today: datetime.date, page: Path, section: str) -> list[str]:
    """One section of a local warehouse's report as `python -m usage_report` makes it, the charts beside the page."""
    return [
        "--local",
        str(warehouse),
        "--today",
        today.isoformat(),
        "--html",
        str(page),
        "--charts",
        str(page.with_name("charts")),
        "--section",
        section,
    ]


@pytest.fixture(scope="module")
def poisoned(tmp_path_factory) -> tuple[Path, set[str]]:
    root = tmp_path_factory.mktemp("poisoned-warehouse")
    deliveries = fleet.poisoned_deliveries(TODAY)
    fleet.write_objects(root, deliveries, line_for=fleet.stored_line_fast)
    return root, {delivery.body["stack_id"] for delivery in deliveries}


def athena_answered_from(warehouse: Path, monkeypatch) -> list[str]:
    """Athena's answers come from DuckDB on `warehouse`: the CLI, its arguments and its outputs are the real ones."""
    asked = []

    def run(self, name: str, sql: str):
        asked.append(name)
        return run_locally(name, warehouse, TODAY)

    monkeypatch.setattr(AthenaQueryRunner, "run", run)
    return asked


def written_text(folder: Path) -> dict[str, str]:
    """Every file under folder as text, and each base64 `data:` URI in it (the page's charts) decoded."""
    texts = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        text = path.read_bytes().decode("latin-1")
        texts[str(path)] = text
        for n, data in enumerate(re.findall(r"data:[\w/+.-]+;base64,([A-Za-z0-9+/=]+)", text)):
            texts[f"{path} data URI {n}"] = base64.b64decode(data).decode("latin-1")
    return texts


def stack_ids_in(text: str, stack_ids: set[str]) -> set[str]:
    """The stack ids written in text, in any case, with or without their hyphens (or with others)."""
    plain = {stack_id.replace("-", "").lower(): stack_id for stack_id in stack_ids}
    squeezed = text.lower().replace("-", "")
    return {
        plain[run[start : start + 32]]
        for run in HEX_RUN.findall(squeezed)
        for start in range(len(run) - 31)
        if run[start : start + 32] in plain
    }


# The workflow's command as it is, and with the PNG charts as well: no flag of the report shows a stack id.
@pytest.mark.parametrize("extra", [[], ["--charts", "charts"]], ids=["as-the-workflow-runs-it", "with-charts"])
def test_the_workflows_report_command_writes_no_stack_id_of_a_poisoned_warehouse(
    poisoned, extra, tmp_path, monkeypatch, capfd
):
    warehouse, stack_ids = poisoned
    # The poison is there to be found: the saved query, in Athena, names the deployments behind it.
    named = {row["stack_id"] for row in run_saved_query("suspicious_reports", warehouse, TODAY)} - {None}
    assert {fleet.POISON_FAR_ABOVE, fleet.POISON_AT_MAXIMUM, fleet.POISON_FUTURE} <= named
    asked = athena_answered_from(warehouse, monkeypatch)
    monkeypatch.chdir(tmp_path)

    code = main(workflow_report_argv() + extra, now=lambda: STARTED)

    out, err = capfd.readouterr()
    assert code == 0, err
    assert not extra or list(tmp_path.rglob("*.png")), "the charts were written"
    assert "suspicious_reports" in asked and list(tmp_path.rglob("*.html")), "the page was written"
    outputs = {"stdout": out, "stderr": err, **written_text(tmp_path)}
    assert {where: found for where, text in outputs.items() if (found := stack_ids_in(text, stack_ids))} == {}
    # The findings are still there, each deployment by a number.
    assert f"{fleet.FAR_ABOVE_TOTAL:,}" in out
    assert re.search(r"counter far above the fleet\s+#\d+\s+tokenizeSuccess", out)


def test_the_same_stack_id_gets_the_same_number_throughout_a_report_and_its_rows_stay(poisoned, tmp_path, capsys):
    warehouse, _ = poisoned
    rows = run_saved_query("suspicious_reports", warehouse, TODAY)

    assert main(["--local", str(warehouse), "--today", TODAY.isoformat(), "--section", "suspicious_reports"]) == 0

    lines = capsys.readouterr().out.splitlines()
    header = lines[2].split()
    assert header == ["day", "finding", "deployment", "detail", "value", "usual"]
    table = lines[4 : 4 + len(rows)]
    numbers = [re.search(r"#(\d+)", line) for line in table]
    # In the order the saved query lists the stack ids, so the operator finds each one there.
    order = list(dict.fromkeys(row["stack_id"] for row in rows if row["stack_id"] is not None))
    assert [int(m.group(1)) if m else None for m in numbers] == [
        None if row["stack_id"] is None else order.index(row["stack_id"]) + 1 for row in rows
    ]


HOSTILE_VERSIONS = {
    "hyperlink": "1.2.3\x1b]8;;https://example.invalid/\x1b\\click\x1b]8;;\x1b\\",
    "clear screen": "1.2.4\x1b[2J",
    "8-bit CSI": "1.2.5\x9b31m",
    "carriage return": "1.2.6\rok",
    "newline and a workflow command": "1.2.7\n::warning::fake",
    "DEL and NUL": "1.2.8\x7f\x00",
}


@pytest.fixture(scope="module")
def hostile_warehouse(tmp_path_factory) -> Path:
    """Versions a reporter could not send today (the schema's pattern) but a warehouse may hold: stored before it."""
    root = tmp_path_factory.mktemp("hostile-versions")
    received = datetime.datetime.combine(TODAY - datetime.timedelta(days=1), datetime.time(3), datetime.UTC)
    fleet.write_objects(
        root,
        [
            fleet.Delivery(
                {
                    "version": version,
                    "stack_id": f"60606060-0000-4000-8000-{n:012d}",
                    "report_date": (TODAY - datetime.timedelta(days=2)).isoformat(),
                    "metrics": {"tokenizeSuccess": 5},
                },
                received + datetime.timedelta(minutes=n),
                f"req-h{n}",
            )
            for n, version in enumerate(HOSTILE_VERSIONS.values())
        ],
        line_for=fleet.stored_line_fast,
    )
    return root


def test_control_characters_in_stored_values_reach_stdout_and_the_page_only_as_visible_escapes(
    hostile_warehouse, tmp_path, capfd
):
    page = tmp_path / "report.html"
    code = main(local_page_argv(hostile_warehouse, TODAY, page, "version_adoption"))

    out, err = capfd.readouterr()
    assert code == 0, err
    assert RAW_CONTROL.findall(out) == [] and RAW_CONTROL.findall(err) == []
    lines = out.splitlines()
    assert not any(line.startswith("::") for line in lines), "a stored value never starts a log line"
    for written in (
        r"1.2.3\x1b]8;;https://example.invalid/\x1b\click\x1b]8;;\x1b\ ",
        r"1.2.4\x1b[2J ",
        r"1.2.5\x9b31m ",
        r"1.2.6\x0dok ",
        r"1.2.7\x0a::warning::fake ",
        r"1.2.8\x7f\x00 ",
    ):
        assert sum(written in line + " " for line in lines) == 1, written
    pages_and_charts = {
        where: text
        for where, text in written_text(tmp_path).items()
        if where.endswith(".html") or " data URI " in where
    }
    assert len(pages_and_charts) >= 2
    assert {where: found for where, text in pages_and_charts.items() if (found := RAW_CONTROL.findall(text))} == {}
    assert r"1.2.4\x1b[2J" in page.read_text(encoding="utf-8")


def test_an_athena_error_quoting_a_stored_value_is_printed_with_its_controls_visible_and_lines_indented(
    monkeypatch, tmp_path, capfd
):
    def fail(self, name, sql):
        raise QueryFailed(
            name, "FAILED", "INVALID_CAST_ARGUMENT: '1.2.4\x1b[2J\x9b31m' to DATE\n::error::forged", "e-1"
        )

    monkeypatch.setattr(AthenaQueryRunner, "run", fail)
    monkeypatch.chdir(tmp_path)

    assert main(workflow_report_argv(), now=lambda: STARTED) == 1

    _, err = capfd.readouterr()
    assert RAW_CONTROL.findall(err) == []
    assert r"'1.2.4\x1b[2J\x9b31m' to DATE" in err
    assert not any(line.startswith("::") for line in err.splitlines()), "the message's own lines are indented"


def test_a_uuid_in_any_other_text_is_the_same_deployment_number_and_hidden_controls_are_shown():
    numbers = DeploymentNumbers()
    findings = QueryResult(
        ("day", "stack_id", "detail"),
        (
            (TODAY, "0A0A0A0A-0000-4000-8000-00000000000A", "x"),
            (TODAY, None, "seen with 0a0a0a0a00004000800000000000000a and 0b0b0b0b-0000-4000-8000-00000000000b"),
            (TODAY, "0b0b0b0b-0000-4000-8000-00000000000b", "1.2.3\u202egpj.exe"),
        ),
    )

    published = numbers.public(findings)

    assert published.columns == ("day", "deployment", "detail")
    assert published.rows == (
        (TODAY, "#1", "x"),
        (TODAY, None, "seen with deployment #1 and deployment #2"),
        (TODAY, "#2", "1.2.3\u202egpj.exe"),
    )
    assert text_tables.cell(published.rows[2][2]) == r"1.2.3\u202egpj.exe"
