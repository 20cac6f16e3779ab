"""What a million reports cost at AWS list prices, from a stack's config: the table in docs/fleet-scale.md.

`python -m tooling.docs_generation` rewrites it; tests/test_readme.py fails when it is stale. Quantities come
from the code and the config (the stored line the mapping template renders, Firehose's buffering, the
reporter's memory and window, the hourly replay's schedule and long poll); prices are list prices, us-east-1,
read on PRICES_READ_ON, and live here alone.
"""

from __future__ import annotations

import datetime
import gzip
import math
import random
import uuid
from dataclasses import dataclass
from pathlib import Path

import yaml

from components.daily_aggregator import REPLAY_INTERVAL_SECONDS, REPLAY_SCHEDULE, DailyAggregatorArgs
from components.firehose_warehouse import FirehoseToS3WarehouseArgs
from contract import schemas
from handlers import daily_report
from stack_config import PROJECT, section_keys
from tooling.fixtures import reports
from tooling.fixtures.warehouse_files import Delivery, stored_line, stored_line_fast

REPO = Path(__file__).resolve().parents[2]
REPORTS = 1_000_000
PRICES_READ_ON = "2026-11-29"
FIELD_NOTES = "shared field notes"
PRICING_PAGES = "AWS pricing pages, not in the field notes"
FIREHOSE_INCREMENT_BYTES = 5 * 1024
GB, TB, MB = 1024**3, 1024**4, 1024**2
ATHENA_MINIMUM_BYTES = 10 * MB
# Assumed, not measured: billed time of one run (start, ListMetrics, GetMetricData, one POST).
BILLED_SECONDS_PER_RUN = 2.0
RUNS_PER_MONTH = 30
# Assumed, argued from tooling/benchmarks/reporter_cost.py: a replay that finds the retry queue empty (nearly every one)
# is billed its INIT (taken to start cold: an hour idle is assumed to outlast the execution environment; Lambda
# bills INIT since 1 August 2025), one SQS client, and one ReceiveMessage that SQS holds for the handler's long
# poll. On this machine the handler's import and everything besides the poll take about a third of a second;
# 1 s allows for the fraction of a vCPU that 128 MB gets.
REPLAY_START_SECONDS = 1.0
DAY_SECONDS = 24 * 3600
# Lines gzip together in an object; a sample this size gives the ratio a busy object has.
GZIP_SAMPLE_LINES = 5_000


@dataclass(frozen=True)
class ListPrice:
    usd: float
    per: str
    source: str
    # How many of what is counted (requests, bytes, GB-seconds) make the `per` the price is for.
    unit: float

    def cost(self, amount: float) -> float:
        return amount / self.unit * self.usd

    def shown(self) -> str:
        whole, _, cents = f"{self.usd:.10f}".rstrip("0").partition(".")
        amount = f"{whole}.{cents.ljust(2, '0')}"
        return f"${amount} per {self.per} ({self.source})"


PRICES = {
    "apigateway": ListPrice(3.50, "million REST API requests, first 333 million a month", FIELD_NOTES, 1e6),
    "firehose": ListPrice(0.029, "GB ingested by direct PUT, first 500 TB a month", PRICING_PAGES, GB),
    "s3_put": ListPrice(0.005, "1,000 PUT requests", FIELD_NOTES, 1000),
    "athena": ListPrice(5.00, "TB scanned, 10 MB minimum per query", FIELD_NOTES, TB),
    "scheduler": ListPrice(1.00, "million invocations after 14 million free a month per account", PRICING_PAGES, 1e6),
    "lambda_requests": ListPrice(0.20, "million requests", FIELD_NOTES, 1e6),
    "lambda_duration": ListPrice(0.0000133334, "GB-second on arm64", PRICING_PAGES, 1),
    "get_metric_data": ListPrice(0.01, "1,000 metrics requested by GetMetricData", PRICING_PAGES, 1000),
    "sqs_requests": ListPrice(
        0.40, "million standard-queue requests after 1 million free a month per account", PRICING_PAGES, 1e6
    ),
}


@dataclass(frozen=True)
class Row:
    item: str
    quantity: str
    price: str
    usd: float
    side: str  # "collector" (the stack's account) or "reporters" (spread over the product deployments)


def priced(item: str, quantity: str, side: str, **amounts: float) -> Row:
    """A row costing each amount (keyed by its PRICES entry, counted in what that price counts) at its list price."""
    prices = "; ".join(PRICES[key].shown() for key in amounts)
    return Row(item, quantity, prices, sum(PRICES[key].cost(amount) for key, amount in amounts.items()), side)


def stack_sections(stack: str) -> dict:
    """The project's sections of the committed Pulumi.<stack>.yaml, keyed without the project prefix."""
    raw = yaml.safe_load((REPO / f"Pulumi.{stack}.yaml").read_text(encoding="utf-8"))["config"]
    return {k.removeprefix(f"{PROJECT}:"): v for k, v in raw.items() if k.startswith(f"{PROJECT}:")}


def stack_args(stack: str, section: str, args_type: type, **wiring):
    """The section's Args as the stack's Pulumi.<stack>.yaml sets them (defaults for what it leaves out)."""
    config = stack_sections(stack).get(section, {})
    keys = section_keys(args_type)
    return args_type(**wiring, **{keys[key].name: value for key, value in config.items()})


def record_bytes() -> int:
    """One report as Firehose receives it: the line the real mapping template renders."""
    delivery = Delivery(
        reports.valid_report(metrics=dict.fromkeys(schemas.counter_names(), 123456)),
        datetime.datetime(2026, 11, 27, 7, 30, tzinfo=datetime.UTC),
        str(uuid.UUID(int=1)),
    )
    return len(stored_line(delivery).encode())


def gzip_bytes_per_report(seed: int = 11) -> float:
    """Stored size per report, gzip as Firehose writes it, over a sample of varied reports."""
    rng = random.Random(seed)
    received = datetime.datetime(2026, 11, 27, 1, tzinfo=datetime.UTC)
    lines = []
    for i in range(GZIP_SAMPLE_LINES):
        body = reports.valid_report(
            stack_id=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            metrics={n: rng.randrange(0, 100_000) for n in schemas.counter_names()},
        )
        delivery = Delivery(body, received + datetime.timedelta(seconds=i), str(uuid.UUID(int=rng.getrandbits(128))))
        lines.append(stored_line_fast(delivery))
    return len(gzip.compress("".join(lines).encode())) / GZIP_SAMPLE_LINES


def s3_objects(warehouse: FirehoseToS3WarehouseArgs, window_minutes: int, line_bytes: int) -> int:
    """Objects Firehose writes for a day's REPORTS spread evenly over the window: it flushes when the buffer
    reaches its size or its oldest record its interval, whichever comes first."""
    if warehouse.buffering_interval_seconds == 0:
        return REPORTS  # no buffering: an object per record
    window = window_minutes * 60
    fill_seconds = warehouse.buffering_size_mib * MB / (REPORTS / window * line_bytes)
    return math.ceil(window / min(warehouse.buffering_interval_seconds, fill_seconds))


def replays_per_day() -> int:
    """Every deployment's replay schedule fires this often, whether a run failed or not."""
    return DAY_SECONDS // REPLAY_INTERVAL_SECONDS


def replay_billed_seconds() -> float:
    """A replay of an empty queue: its start (assumed) and the long poll SQS holds it for (the handler's)."""
    return REPLAY_START_SECONDS + daily_report.REPLAY_WAIT_SECONDS


def replay_rows(reporter: DailyAggregatorArgs) -> list[Row]:
    """The hourly replays of REPORTS deployment-days (one report each), priced as if every queue were empty:
    a failed run adds its own CloudWatch reads and POST, which the rows above already count once."""
    replays = REPORTS * replays_per_day()
    seconds = replay_billed_seconds()
    gb_seconds = replays * seconds * reporter.memory_size_mb / 1024
    return [
        priced(
            "Hourly replay: EventBridge Scheduler",
            f"{replays:,} invocations (`{REPLAY_SCHEDULE}`: "
            f"{replays_per_day()} a day per deployment, failed runs or not)",
            "reporters",
            scheduler=replays,
        ),
        priced(
            "Hourly replay: Lambda",
            f"{replays:,} requests; {gb_seconds:,.0f} GB-s ({seconds:g} s assumed at "
            f"{reporter.memory_size_mb} MB: a {daily_report.REPLAY_WAIT_SECONDS} s long poll of the empty queue "
            f"and a {REPLAY_START_SECONDS:g} s start)",
            "reporters",
            lambda_requests=replays,
            lambda_duration=gb_seconds,
        ),
        priced(
            "Hourly replay: SQS",
            f"{replays:,} ReceiveMessage requests (one a replay of an empty queue)",
            "reporters",
            sqs_requests=replays,
        ),
    ]


def cost_rows(stack: str = "prod") -> list[Row]:
    warehouse = stack_args(stack, "warehouse", FirehoseToS3WarehouseArgs)
    reporter = DailyAggregatorArgs(collector_url="https://collector.example.com/v1/record/deployment")
    line = record_bytes()
    billed = math.ceil(line / FIREHOSE_INCREMENT_BYTES) * FIREHOSE_INCREMENT_BYTES
    objects = s3_objects(warehouse, reporter.schedule_window_minutes, line)
    stored = gzip_bytes_per_report() * REPORTS
    gb_seconds = REPORTS * BILLED_SECONDS_PER_RUN * reporter.memory_size_mb / 1024
    metrics = REPORTS * len(schemas.counter_names())
    return [
        priced("API Gateway REST requests", f"{REPORTS:,} requests", "collector", apigateway=REPORTS),
        priced(
            "Firehose ingestion",
            f"{REPORTS:,} records of {line} B, billed {billed // 1024} KB each: {REPORTS * billed / GB:.2f} GB",
            "collector",
            firehose=REPORTS * billed,
        ),
        priced(
            "S3 PUTs",
            f"{objects:,} objects: buffering {warehouse.buffering_size_mib} MiB / "
            f"{warehouse.buffering_interval_seconds} s, reports over a {reporter.schedule_window_minutes} min window",
            "collector",
            s3_put=objects,
        ),
        priced(
            "Athena, one query reading them all",
            f"{stored / MB:.1f} MB of gzip lines ({stored / REPORTS:.0f} B a report)",
            "collector",
            athena=max(stored, ATHENA_MINIMUM_BYTES),
        ),
        priced("EventBridge Scheduler", f"{REPORTS:,} invocations", "reporters", scheduler=REPORTS),
        priced(
            "Reporter Lambda",
            f"{REPORTS:,} requests; {gb_seconds:,.0f} GB-s ({BILLED_SECONDS_PER_RUN:g} s "
            f"assumed at {reporter.memory_size_mb} MB)",
            "reporters",
            lambda_requests=REPORTS,
            lambda_duration=gb_seconds,
        ),
        priced(
            "Reporter CloudWatch reads",
            f"{metrics:,} metrics ({len(schemas.counter_names())} counters, one series each)",
            "reporters",
            get_metric_data=metrics,
        ),
        *replay_rows(reporter),
    ]


def _usd(amount: float) -> str:
    return f"${amount:,.2f}" if amount >= 0.01 else f"${amount:.4f}"


def cost_table(stack: str = "prod") -> str:
    rows = cost_rows(stack)
    lines = [
        f"Generated by `python -m tooling.docs_generation` from `Pulumi.{stack}.yaml` and the reporter's defaults; "
        f"list prices, us-east-1, read on {PRICES_READ_ON}.",
        "",
        "| Item | Per million reports | List price | Cost |",
        "| --- | --- | --- | ---: |",
    ]
    lines += [f"| {r.item} | {r.quantity} | {r.price} | {_usd(r.usd)} |" for r in rows]
    for side, who in (
        ("collector", f"the `{stack}` collector's account"),
        ("reporters", "the product deployments, together"),
    ):
        lines.append(f"| **Total, {who}** | | | **{_usd(sum(r.usd for r in rows if r.side == side))}** |")
    replays = sum(r.usd for r in rows if r.item.startswith("Hourly replay"))
    runs = sum(r.usd for r in rows if r.side == "reporters") - replays
    month = RUNS_PER_MONTH / REPORTS
    lines += [
        "",
        f"One deployment's reporter, {RUNS_PER_MONTH} runs and {RUNS_PER_MONTH * replays_per_day():,} "
        f"replays a month: {_usd((runs + replays) * month)} at list prices ({_usd(runs * month)} the runs, "
        f"{_usd(replays * month)} the replays), before the free tiers its own account has.",
        "",
        f"A replay's billed time is assumed: {replay_billed_seconds():g} s, the handler's "
        f"{daily_report.REPLAY_WAIT_SECONDS} s long poll (`REPLAY_WAIT_SECONDS`: SQS holds a receive from an "
        f"empty queue that long) and {REPLAY_START_SECONDS:g} s for a cold start, the SQS client and the "
        "request at 128 MB (`REPLAY_START_SECONDS`); `tooling/benchmarks/reporter_cost.py` measures the replay of an "
        "empty queue under moto.",
    ]
    return "\n".join(lines)
