"""What one reporter run costs: CloudWatch API calls, and handler import time against `import boto3` alone; what
an hourly replay of an empty retry queue (nearly every replay) does and how long it takes.

    .venv/bin/python tooling/benchmarks/reporter_cost.py [--imports N]

Offline: CloudWatch is moto in-process and the collector listens on 127.0.0.1.
Goals (issue 4): at most 2 CloudWatch calls for 6 counters x 3 dimension sets; import ratio at most 1.3.
The replay's figures feed the assumption tooling/docs_generation/fleet_costs.py prices it at (REPLAY_START_SECONDS).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import io
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from unittest import mock

REPO = Path(__file__).resolve().parents[2]
# moto answers everything in-process; these credentials are worthless by design.
for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
    os.environ[key] = "testing"
os.environ["AWS_DEFAULT_REGION"] = "us-east-1"

CALLS_GOAL = 2
IMPORT_RATIO_GOAL = 1.3
DIMENSION_SETS = 3


def cloudwatch_calls_per_run() -> tuple[int, list[str], dict]:
    import boto3
    from moto import mock_aws

    from contract import schemas
    from handlers import daily_report
    from tooling.fixtures.fake_collector import fake_collector
    from tooling.fixtures.product_metrics import NAMESPACE, count_calls, dimensions, publish

    run_at = dt.datetime(2026, 11, 27, 1, 17, tzinfo=dt.UTC)
    day = run_at.replace(hour=0, minute=0) - dt.timedelta(days=1)
    with mock_aws(), fake_collector() as collector:
        cloudwatch = boto3.client("cloudwatch", region_name="us-east-1")
        for name in schemas.counter_names():
            for n in range(DIMENSION_SETS):
                publish(cloudwatch, name, n + 1, day + dt.timedelta(hours=n), dimensions(version=f"1.2.{n}"))
        calls = count_calls(cloudwatch)
        settings = daily_report.Settings(collector.url, "3d9c49ce-8367-43ec-8884-568c8d43faec", "1.2.3", NAMESPACE)
        with contextlib.redirect_stdout(io.StringIO()):
            report = daily_report.run(settings, cloudwatch, run_at)
    return len(calls), calls, report[schemas.CANONICAL_COUNTERS_KEY]


def empty_queue_replay() -> tuple[list[str], list[str], float]:
    """The replay trigger through the handler, against an empty retry queue: the clients it makes, the calls it
    sends, and its time, the long poll included (moto holds an empty receive for WaitTimeSeconds, as SQS does)."""
    import boto3
    from moto import mock_aws

    from contract.reporter import REPLAY_EVENT
    from handlers import daily_report

    clients: list[str] = []
    calls: list[str] = []
    with mock_aws():
        queue_url = boto3.client("sqs", region_name="us-east-1").create_queue(QueueName="retries")["QueueUrl"]
        # The handler makes its clients from the default session: listen there before it makes any.
        boto3.setup_default_session(region_name="us-east-1")
        events = boto3.DEFAULT_SESSION.events
        events.register("creating-client-class", lambda event_name, **_: clients.append(event_name.split(".")[-1]))
        events.register("before-call", lambda model, **_: calls.append(model.name))
        daily_report.sqs_client.cache_clear()
        daily_report.cloudwatch_client.cache_clear()
        environment = {
            "COLLECTOR_URL": "https://collector.invalid/record",
            "STACK_ID": "fleet",
            "PRODUCT_VERSION": "0.0.1",
            "METRICS_NAMESPACE": "lunasec",
            "RETRY_QUEUE_URL": queue_url,
        }
        try:
            with mock.patch.dict(os.environ, environment), contextlib.redirect_stdout(io.StringIO()):
                started = time.perf_counter()
                summary = daily_report.handler(dict(REPLAY_EVENT), None)
                seconds = time.perf_counter() - started
        finally:
            daily_report.sqs_client.cache_clear()
            daily_report.cloudwatch_client.cache_clear()
    assert summary["days"] == {}, summary
    return clients, calls, seconds


def _import_seconds(statement: str) -> float:
    code = f"import time; t = time.perf_counter(); {statement}; print(time.perf_counter() - t)"
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, check=True, capture_output=True, text=True)
    return float(out.stdout)


def import_times(rounds: int) -> tuple[float, float]:
    """Median cold import, each in a fresh interpreter, interleaved so drift hits both alike."""
    boto3_alone, handler = [], []
    for _ in range(rounds):
        boto3_alone.append(_import_seconds("import boto3"))
        handler.append(_import_seconds("import handlers.daily_report"))
    return statistics.median(boto3_alone), statistics.median(handler)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--imports", type=int, default=9, help="fresh interpreters per import measurement")
    rounds = parser.parse_args().imports

    count, calls, metrics = cloudwatch_calls_per_run()
    counters = len(metrics)
    print(
        f"CloudWatch API calls per run ({counters} counters x {DIMENSION_SETS} dimension sets): {count} "
        f"({', '.join(calls)}); goal <= {CALLS_GOAL}: {'met' if count <= CALLS_GOAL else 'MISSED'}"
    )
    clients, calls, seconds = empty_queue_replay()
    from handlers.daily_report import REPLAY_WAIT_SECONDS

    print(
        f"replay of an empty retry queue: clients made: {', '.join(clients) or 'none'}; calls: "
        f"{', '.join(calls) or 'none'}; {seconds:.2f} s through the handler, {seconds - REPLAY_WAIT_SECONDS:.2f} s "
        f"besides its {REPLAY_WAIT_SECONDS} s long poll"
    )
    boto3_alone, handler = import_times(rounds)
    ratio = handler / boto3_alone
    print(
        f"import boto3: {boto3_alone * 1000:.0f} ms; import handlers.daily_report: {handler * 1000:.0f} ms "
        f"(median of {rounds}, Python {sys.version.split()[0]})"
    )
    print(
        f"handler import time / boto3 import time: {ratio:.2f}; goal <= {IMPORT_RATIO_GOAL}: "
        f"{'met' if ratio <= IMPORT_RATIO_GOAL else 'MISSED'}"
    )


if __name__ == "__main__":
    main()
