"""suspicious_reports on a fleet with poison in it: each kind of poisoning is listed once, nothing honest is, and
the report prints the list and puts it on the HTML page as a table, each deployment by a number."""

from __future__ import annotations

import datetime
import io

import pytest

from contract import schemas
from tests.test_public_report import local_page_argv
from tooling.fixtures import warehouse_files as fleet
from usage_report.cli import main
from usage_report.local_duckdb import run_saved_query

TODAY = datetime.date(2026, 11, 27)
NAME = "suspicious_reports"


def days_ago(n: int) -> datetime.date:
    return TODAY - datetime.timedelta(days=n)


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    root = tmp_path_factory.mktemp("poisoned")
    fleet.write_objects(root, fleet.poisoned_deliveries(TODAY), line_for=fleet.stored_line_fast)
    return root


@pytest.fixture(scope="module")
def findings(warehouse) -> dict[tuple, dict]:
    rows = run_saved_query(NAME, warehouse, TODAY)
    return {(row["day"], row["finding"], row["stack_id"], row["detail"]): row for row in rows}


def test_each_kind_of_poison_is_listed_and_no_honest_deployment_is(findings):
    future = (days_ago(fleet.FUTURE_RECEIVED_DAY - 30)).isoformat()
    assert set(findings) == {
        (days_ago(fleet.FAR_ABOVE_DAY), "counter far above the fleet", fleet.POISON_FAR_ABOVE, "tokenizeSuccess"),
        (days_ago(fleet.AT_MAXIMUM_DAY), "counter far above the fleet", fleet.POISON_AT_MAXIMUM, "createGrantSuccess"),
        (days_ago(fleet.BURST_DAY), "burst of new deployments", None, None),
        (days_ago(fleet.FUTURE_RECEIVED_DAY), "report_date outside the window", fleet.POISON_FUTURE, future),
        (
            days_ago(fleet.FUTURE_RECEIVED_DAY),
            "report_date outside the window",
            fleet.STACK_FORGER,
            fleet.FORGED_REPORT_DATE,
        ),
    }


def test_each_finding_shows_the_value_and_what_it_is_compared_with(findings):
    rows = {(key[1], key[2]): row for key, row in findings.items()}
    far = rows["counter far above the fleet", fleet.POISON_FAR_ABOVE]
    assert far["value"] == fleet.FAR_ABOVE_TOTAL
    assert 100 <= far["usual"] < 1000, "the fleet's 99th percentile: honest totals are under 1,000"
    # Nobody else sends createGrantSuccess, so its percentile is the poison itself: the maximum rule names it.
    at_maximum = rows["counter far above the fleet", fleet.POISON_AT_MAXIMUM]
    assert at_maximum["value"] == at_maximum["usual"] == schemas.counter_maximum()
    burst = rows["burst of new deployments", None]
    assert (burst["value"], burst["usual"]) == (fleet.HONEST_NEW_PER_DAY + fleet.BURST_STACKS, fleet.HONEST_NEW_PER_DAY)
    future = rows["report_date outside the window", fleet.POISON_FUTURE]
    assert (future["value"], future["usual"]) == (30, None)


def test_a_tenth_of_the_maximum_is_listed_even_where_it_is_the_fleets_usual(tmp_path):
    """A fleet of one can hide nothing behind its percentile: the maximum rule reads the schema's number."""
    day = days_ago(2)
    tenth = schemas.counter_maximum() // 10
    received = datetime.datetime.combine(days_ago(1), datetime.time(1), datetime.UTC)
    for folder, total in (("below", tenth - 1), ("at", tenth)):
        fleet.write_objects(
            tmp_path / folder,
            [
                fleet.Delivery(
                    {
                        "version": "1.0.0",
                        "stack_id": fleet.STACK_STEADY,
                        "report_date": day.isoformat(),
                        "metrics": {"tokenizeSuccess": total},
                    },
                    received,
                    f"req-{folder}",
                )
            ],
        )
    assert run_saved_query(NAME, tmp_path / "below", TODAY) == []
    assert [row["value"] for row in run_saved_query(NAME, tmp_path / "at", TODAY)] == [tenth]


def test_the_report_prints_the_findings_and_the_page_lists_them_without_a_chart(warehouse, tmp_path):
    out, err = io.StringIO(), io.StringIO()
    page_path = tmp_path / "report.html"
    code = main(local_page_argv(warehouse, TODAY, page_path, NAME), stdout=out, stderr=err)
    assert code == 0, err.getvalue()
    printed = out.getvalue()
    assert printed.startswith("Suspicious data (possible poisoning)\n")
    # Each deployment by a number (tests/test_public_report.py: never by its stack id).
    assert fleet.POISON_FAR_ABOVE not in printed and f"{fleet.FAR_ABOVE_TOTAL:,}" in printed
    assert f"{NAME}: a table of findings, no chart" in err.getvalue()
    assert not (tmp_path / "charts" / f"{NAME}.png").exists()
    page = page_path.read_text(encoding="utf-8")
    section = page.split(f'<section id="{NAME}"', 1)[1].split("</section>", 1)[0]
    assert "<table>" in section and "<img" not in section
    assert section.count("<tr>") == 1 + 5, "a header row and one row per finding"
    assert "<code>suspicious_reports</code> in the workgroup" in section, "where the stack ids are"


def test_a_total_under_ten_thousand_is_never_listed_however_far_above_the_fleet(tmp_path):
    """docs/warehouse.md: "Totals under 10,000 are never listed: too small to move a sum"."""
    day = days_ago(2)
    received = datetime.datetime.combine(days_ago(1), datetime.time(1), datetime.UTC)

    def report(n: int, total: int) -> fleet.Delivery:
        return fleet.Delivery(
            {
                "version": "1.0.0",
                "stack_id": f"50505050-0000-4000-8000-{n:012d}",
                "report_date": day.isoformat(),
                "metrics": {"tokenizeSuccess": total},
            },
            received + datetime.timedelta(milliseconds=n),
            f"req-{n:05d}",
        )

    honest = [report(n, 1) for n in range(1, 201)]  # a 99th percentile of 1: any total of 10 is 10 times it
    for folder, total in (("under", 9_999), ("at", 10_000)):
        fleet.write_objects(tmp_path / folder, [*honest, report(0, total)], line_for=fleet.stored_line_fast)

    def far_above(folder: str) -> list[tuple]:  # all 201 are new that day: a burst too, not what this is about
        return [
            (row["stack_id"], row["value"])
            for row in run_saved_query(NAME, tmp_path / folder, TODAY)
            if row["finding"] == "counter far above the fleet"
        ]

    assert far_above("under") == []
    assert far_above("at") == [(report(0, 0).body["stack_id"], 10_000)]
