"""Figures the docs state about the benchmark scripts: their defaults, the settings a run simulates, and what the
fleet table's numbers say in the prose around them.

A script's argparse default is read from its source, so stating it imports nothing the script needs at run time
(LocalStack, DuckDB). The fleet table in docs/fleet-scale.md is the simulation's printed output (the million rows
take minutes, so they are pasted, and tests/test_benchmarks.py reruns the smaller ones); a figure the prose draws
from it is computed from that table, not restated.
"""

from __future__ import annotations

import ast
from pathlib import Path

from contract import schemas
from tooling.benchmarks import fleet_simulation, reporter_cost

REPO = Path(__file__).resolve().parents[2]
BENCHMARKS = REPO / "tooling" / "benchmarks"
FLEET_DOC = REPO / "docs" / "fleet-scale.md"
MILLION = 1_000_000


def script_default(script: str, option: str) -> object:
    """The default `script`'s argparse gives `option`, read without running or importing the script."""
    tree = ast.parse((BENCHMARKS / script).read_text(encoding="utf-8"))
    found = [
        keyword.value.value
        for call in ast.walk(tree)
        if isinstance(call, ast.Call) and getattr(call.func, "attr", "") == "add_argument"
        if call.args and isinstance(call.args[0], ast.Constant) and call.args[0].value == option
        for keyword in call.keywords
        if keyword.arg == "default" and isinstance(keyword.value, ast.Constant)
    ]
    if len(found) != 1:
        raise ValueError(f"{script}: expected one literal default for {option}, found {found}")
    return found[0]


def _default_window() -> int:
    args, _ = fleet_simulation.reporter_defaults()
    return args.schedule_window_minutes


def _prod_rate() -> float:
    return fleet_simulation.stage_limits("prod").rate


def million_per_second(window_minutes: int) -> float:
    """A million deployments' runs a second, spread evenly over a window of `window_minutes`."""
    return MILLION / (60 * window_minutes)


def _table_row(deployments: str, schedule: str) -> list[int]:
    """docs/fleet-scale.md's fleet table row: [deployments, peak/s, 429s, first attempt, after retries, by a replay,
    dead-lettered]."""
    for line in FLEET_DOC.read_text(encoding="utf-8").splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) == 9 and cells[0] == deployments and cells[1].startswith(schedule):
            return [int(cell.replace(",", "")) for cell in cells[:1] + cells[2:8]]
    raise ValueError(f"docs/fleet-scale.md has no fleet table row for {deployments} deployments, {schedule!r}")


def million_replay_share() -> str:
    """Of a million deployments on the old schedule, the share whose report came only through a replay."""
    row = _table_row("1,000,000", "old")
    return f"{round(100 * row[5] / row[0])}%"


FIGURES = {
    "fleet-prod-stage": lambda: fleet_simulation.stage_limits("prod").limits(),
    "fleet-reporter-defaults": lambda: fleet_simulation.reporter_shown(),
    "fleet-seed": lambda: fleet_simulation.SEED,
    "fleet-million-replay-share": million_replay_share,
    "fleet-million-per-second": lambda: round(million_per_second(_default_window())),
    "fleet-million-share-of-prod": lambda: f"{round(100 * million_per_second(_default_window()) / _prod_rate())}%",
    "fleet-million-per-second-at-480": lambda: round(million_per_second(480)),
    "fleet-million-per-second-at-360": lambda: round(million_per_second(360)),
    "fleet-headroom-at-360": lambda: f"{round(100 * (1 - million_per_second(360) / _prod_rate()))}%",
    "fleet-growth-at-default-window": lambda: f"{_prod_rate() / million_per_second(_default_window()):.1f}",
    "reporter-cost-counters": lambda: len(schemas.counter_names()),
    "reporter-cost-dimension-sets": lambda: reporter_cost.DIMENSION_SETS,
    "reporter-cost-calls-goal": lambda: reporter_cost.CALLS_GOAL,
    "reporter-cost-import-goal": lambda: f"{reporter_cost.IMPORT_RATIO_GOAL:g}",
    "pruning-objects-per-day": lambda: script_default("athena_partition_pruning.py", "--objects-per-day"),
    "ingest-reports": lambda: f"{script_default('localstack_ingest.py', '--reports'):,}",
    "ingest-clients": lambda: script_default("localstack_ingest.py", "--clients"),
    "plugin-start-runs": lambda: script_default("component_package_start.py", "--runs"),
}
