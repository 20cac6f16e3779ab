"""How fast the component package's plugin starts and constructs DailyAggregator, against `import pulumi_aws`.

    .venv/bin/python tooling/benchmarks/component_package_start.py [--runs N]

Needs `make plugin-venv`. Each figure is the median of N fresh runs, in the plugin's own venv, from an empty
folder, as the Pulumi language host starts it; the engine it calls back is faked on 127.0.0.1
(tooling/mocked_program/plugin_engine.py). Goal (issue 10): start at most 1.5 x `python -c "import pulumi_aws"`.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from tooling.mocked_program import pulumi_mocks
from tooling.mocked_program.plugin_engine import PLUGIN_PYTHON, running_plugin

START_RATIO_GOAL = 1.5
COLLECTOR_URL = "https://collector.example.com/v1/record"


def import_seconds() -> float:
    began = time.perf_counter()
    subprocess.run([str(PLUGIN_PYTHON), "-c", "import pulumi_aws"], check=True)
    return time.perf_counter() - began


def start_and_construct_seconds() -> tuple[float, float]:
    with tempfile.TemporaryDirectory() as consumer, running_plugin(Path(consumer)) as plugin:
        began = time.perf_counter()
        plugin.construct("analytics:reporter:DailyAggregator", "reporter", {"collectorUrl": COLLECTOR_URL})
        return plugin.started_seconds, time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    if not PLUGIN_PYTHON.exists():
        raise SystemExit(f"{PLUGIN_PYTHON} is missing: run `make plugin-venv`")
    pulumi_mocks.install("dev")
    imports, starts, constructs = [], [], []
    for _ in range(runs):  # interleaved, so a busy moment weighs on every figure alike
        imports.append(import_seconds())
        start, construct = start_and_construct_seconds()
        starts.append(start)
        constructs.append(construct)
    base = statistics.median(imports)
    start, construct = statistics.median(starts), statistics.median(constructs)
    print(f"python -c 'import pulumi_aws': {base * 1000:.0f} ms (median of {runs})")
    print(
        f"plugin start, process start to port printed: {start * 1000:.0f} ms = {start / base:.2f} x import "
        f"(goal <= {START_RATIO_GOAL})"
    )
    print(f"one Construct of DailyAggregator: {construct * 1000:.0f} ms = {construct / base:.2f} x import")


if __name__ == "__main__":
    main()
