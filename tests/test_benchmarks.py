"""The benchmark scripts still run and still measure what they claim, at a size that takes seconds.

Only behaviour is asserted (which partitions, how many API calls, same answers); the timings they print
are figures for people, not pass/fail. The LocalStack ingest benchmark needs the emulator and is left
to `make demo`-style runs.
"""

import re
import subprocess
import sys
from pathlib import Path

import schemas

ROOT = Path(__file__).resolve().parents[1]


def run_benchmark(script: str, *args: str) -> str:
    completed = subprocess.run([sys.executable, f"benchmarks/{script}", *args], cwd=ROOT,
                               capture_output=True, text=True, timeout=240)
    assert completed.returncode == 0, completed.stderr
    return completed.stdout


def test_partition_pruning_reads_the_window_plus_two_days_and_keeps_the_answer():
    out = run_benchmark("athena_partition_pruning.py", "--deployments", "20", "--days", "30", "--objects-per-day", "1")
    assert re.search(r"partitions read: 9 of 30 ", out), out
    assert re.search(r"files read:\s+9 of 30\n", out), out
    assert "same answer with and without pruning: True (7 days;" in out


def test_reporter_cost_counts_two_cloudwatch_calls_for_every_counter():
    out = run_benchmark("reporter_cost.py", "--imports", "1")
    assert (f"CloudWatch API calls per run ({len(schemas.counter_names())} counters x 3 dimension sets): 2 "
            "(ListMetrics, GetMetricData)") in out
