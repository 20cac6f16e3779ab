"""The benchmark scripts still run and still measure what they claim, at a size that takes seconds.

Only behaviour is asserted (which partitions, how many API calls, same answers); the timings they print
are figures for people, not pass/fail. The LocalStack ingest benchmark needs the emulator and is left
to `make demo`-style runs.
"""

import re
import subprocess
import sys
from pathlib import Path

import pytest

from components.daily_aggregator import DailyAggregatorArgs
from contract import schemas
from tests.support.docs import all_text, section
from tooling.docs_generation.benchmark_figures import script_default

ROOT = Path(__file__).resolve().parents[1]


def run_benchmark(script: str, *args: str) -> str:
    completed = subprocess.run(
        [sys.executable, f"tooling/benchmarks/{script}", *args], cwd=ROOT, capture_output=True, text=True, timeout=240
    )
    assert completed.returncode == 0, completed.stderr
    return completed.stdout


@pytest.mark.slow
def test_partition_pruning_reads_the_window_plus_two_days_and_keeps_the_answer():
    out = run_benchmark("athena_partition_pruning.py", "--deployments", "20", "--days", "30", "--objects-per-day", "1")
    assert re.search(r"partitions read: 9 of 30 ", out), out
    assert re.search(r"files read:\s+9 of 30\n", out), out
    assert "same answer with and without pruning: True (7 days;" in out


@pytest.mark.slow
def test_reporter_cost_counts_two_cloudwatch_calls_for_every_counter():
    out = run_benchmark("reporter_cost.py", "--imports", "1")
    assert (
        f"CloudWatch API calls per run ({len(schemas.counter_names())} counters x 3 dimension sets): 2 "
        "(ListMetrics, GetMetricData)"
    ) in out
    # The replay of an empty queue, what docs/fleet-scale.md prices: one SQS client, one receive, no CloudWatch.
    assert "replay of an empty retry queue: clients made: sqs; calls: ReceiveMessage;" in out


def fleet_rows(out: str) -> dict[str, list[int]]:
    """The simulation's table: schedule (a product, in the products mode) -> [deployments, peak/s, 429s, first
    attempt, after retries, by a replay, dead]."""
    return {schedule: counts for schedule, (counts, _) in _fleet_table(out).items()}


def posts_per_report(out: str) -> dict[str, float]:
    """The simulation's table: schedule -> every POST the fleet sent, divided by its reports."""
    return {schedule: posts for schedule, (_, posts) in _fleet_table(out).items()}


def _fleet_table(out: str) -> dict[str, tuple[list[int], float]]:
    rows = {}
    for line in out.splitlines():
        cells = [c.strip() for c in line.strip("|").split("|")]
        if len(cells) == 9 and cells[0].replace(",", "").isdigit():
            rows[cells[1].split(":")[0]] = ([int(c.replace(",", "")) for c in cells[:1] + cells[2:8]], float(cells[8]))
    return rows


@pytest.mark.slow
def test_fleet_simulation_old_schedule_overruns_a_small_stage_and_the_window_does_not():
    # 2 requests/s for 20,000 deployments is prod's 50/s for 500,000: seconds to run instead of a minute.
    out = run_benchmark("fleet_simulation.py", "--deployments", "20000", "--rate", "2", "--burst", "5")
    assert "stage: prod overridden, 2 requests/s steady, burst 5, Retry-After 30 s; reporter: 4 POST attempts" in out, (
        out
    )
    rows = fleet_rows(out)
    assert set(rows) == {"old", "new"}, out
    for deployments, _, _, first, retried, replayed, dead in rows.values():
        assert deployments == first + retried + replayed + dead == 20000
    # The old schedule's storm: most reports only arrive hours late, through the hourly replays.
    _, old_peak, old_429, old_first, old_retried, old_replayed, _ = rows["old"]
    assert old_peak > 2 and old_429 > 20000 and old_retried > 0 and old_replayed > old_first
    _, new_peak, new_429, new_first, _, new_replayed, new_dead = rows["new"]
    assert new_dead == new_replayed == 0 and new_first > 19900 and new_429 < 100 and new_peak < old_peak


@pytest.mark.slow
def test_fleet_simulation_a_flooded_hour_costs_no_report_the_replays_deliver_them_after_it():
    out = run_benchmark("fleet_simulation.py", "--deployments", "20000", "--outage-hours", "1")
    assert "; outage 1 h;" in out, out
    horizon = DailyAggregatorArgs(collector_url="https://c.example.com/r").retry_horizon_hours
    assert f"hourly replays for {horizon} h" in out, out
    _, _, throttled, first, _, replayed, dead = fleet_rows(out)["new"]
    # About one report in twelve falls in the flooded first hour of the 720 min window.
    assert throttled > 0 and 0 < replayed < first and dead == 0
    *_, old_replayed, old_dead = fleet_rows(out)["old"]
    # Most, not all: a run's POSTs spread over its Retry-After waits, so Lambda's retries reach past the hour.
    assert old_replayed > 0.8 * 20000 and old_dead == 0
    shown = [line for line in section(FLEET_SECTION).splitlines() if line.startswith("| 20,000 |")]
    assert len(shown) == 2 and set(shown) <= set(out.splitlines()), out


FLEET_SECTION = "The fleet simulation: old schedule against new"
RETRY_AFTER_SECTION = "Retry-After: how an operator slows the fleet"


def test_a_longer_retry_after_cuts_the_posts_a_flooded_hour_costs_and_loses_no_report():
    out = run_benchmark("fleet_simulation.py", "--deployments", "20000", "--outage-hours", "1", "--retry-after", "120")
    assert "burst 100, Retry-After 120 s;" in out, out
    slowed = posts_per_report(out)
    assert all(dead == 0 for *_, dead in fleet_rows(out).values()), out
    shown = [line for line in section(RETRY_AFTER_SECTION).splitlines() if line.startswith("| 20,000 |")]
    assert len(shown) == 4 and len(set(shown) & set(out.splitlines())) == 2, out
    # The other two rows are the collector without Retry-After: more POSTs for the same reports.
    before = posts_per_report("\n".join(line for line in shown if line not in out.splitlines()))
    assert before.keys() == slowed.keys() == {"old", "new"}
    assert all(slowed[schedule] < before[schedule] for schedule in slowed), (before, slowed)


@pytest.mark.slow
def test_the_fleet_table_in_the_docs_is_what_the_simulation_prints():
    """The rows up to 100,000 deployments are rerun (seconds); the million rows (a minute or more) are not. The
    settings the docs give above the table are figures of the script's own (benchmark_figures.py)."""
    out = run_benchmark("fleet_simulation.py", "--deployments", "1000", "100000")
    doc = section(FLEET_SECTION)
    shown = [line for line in doc.splitlines() if re.match(r"\| (1,000|100,000) \|", line)]
    assert len(shown) == 4 and set(shown) <= set(out.splitlines()), out


def command_comment(script: str) -> str:
    """The comment on the docs' one command that runs `script` as it comes, with no options."""
    blocks = "\n".join(re.findall(r"```sh\n(.*?)```", all_text(), re.S))
    (comment,) = [
        line.split("#", 1)[1].strip()
        for line in blocks.splitlines()
        if line.split("#", 1)[0].split()[-1:] == [f"tooling/benchmarks/{script}"] and "#" in line
    ]
    return comment


def test_the_commands_the_docs_give_say_what_a_default_run_takes():
    """The LocalStack ingest benchmark is not run here, and the pruning one only small: their defaults are read."""
    pruning = command_comment("athena_partition_pruning.py")
    deployments, days = (script_default("athena_partition_pruning.py", f"--{o}") for o in ("deployments", "days"))
    assert pruning.startswith(f"{deployments:,} deployments x {days} days"), pruning
    reports, clients = (script_default("localstack_ingest.py", f"--{o}") for o in ("reports", "clients"))
    assert command_comment("localstack_ingest.py") == f"--reports {reports} --clients {clients}"


def stage_found(out: str) -> tuple[float, int]:
    rate, burst = re.search(r"smallest that refuses nothing, ([\d.]+) requests/s steady, burst (\d+),", out).groups()
    return float(rate), int(burst)


@pytest.mark.slow
def test_a_fleet_over_uneven_products_loses_none_at_the_stage_found_and_some_at_a_far_smaller_one():
    # 40,000 deployments split 40/30/20/10 over four products' routes: ten million's shape, in seconds.
    products = ["--deployments", "40000", "--products", "40", "30", "20", "10"]
    out = run_benchmark("fleet_simulation.py", *products, "--find-stage")
    assert "40,000 deployments over 4 products, one bucket per product's route" in out, out
    rows = fleet_rows(out)
    assert [row[0] for row in rows.values()] == [16000, 12000, 8000, 4000], out
    assert all(throttled == 0 and first == deployments for deployments, _, throttled, first, *_ in rows.values())
    assert "40,000 deployments, 0 429 answers, 0 dead-lettered" in out, out
    rate, burst = stage_found(out)
    assert burst == 2 * rate  # prod's ratio, 100 to 50
    # The smallest such stage (docs/products.md): one request/s less, burst in the same ratio, refuses some POSTs.
    below = int(rate) - 1
    slower = run_benchmark("fleet_simulation.py", *products, "--rate", str(below), "--burst", str(2 * below))
    assert any(throttled > 0 for _, _, throttled, *_ in fleet_rows(slower).values()), slower
    # One bucket for all four products needs more than each route's own.
    shared = run_benchmark("fleet_simulation.py", *products, "--find-stage", "--shared-bucket")
    assert stage_found(shared)[0] > rate and "0 dead-lettered" in shared, shared
    # One request in 500 s for the largest product's 400 reports a day cannot carry them within the retry horizon
    # (a thousand deployments: a starved fleet's retries are slow to simulate).
    starved = run_benchmark(
        "fleet_simulation.py", *products[2:], "--deployments", "1000", "--rate", "0.002", "--burst", "1"
    )
    largest = fleet_rows(starved)["product 1 (40%)"]
    assert largest[0] == 400 and largest[-1] > 0, starved
    # docs/products.md states this run's losses: 146 of product 1's 400, 60 of product 2's 300, none of the others.
    assert [row[-1] for row in fleet_rows(starved).values()] == [146, 60, 0, 0], starved
