"""The cost table in docs/fleet-scale.md: its quantities follow the stack config, not constants (tests/test_readme.py
checks the table is current)."""

import math
import re

import pytest
import yaml

from components.daily_aggregator import REPLAY_INTERVAL_SECONDS, DailyAggregatorArgs
from components.firehose_warehouse import FirehoseToS3WarehouseArgs
from contract import schemas
from handlers import daily_report
from tooling.docs_generation import fleet_costs
from tooling.mocked_program.pulumi_mocks import REPO

# The tests check quantities; a price is read once, in fleet_costs.PRICES, and changes there alone.
PRICES = fleet_costs.PRICES
WINDOW = DailyAggregatorArgs(collector_url="https://c.example.com/r").schedule_window_minutes


def committed_buffering(stack):
    warehouse = yaml.safe_load((REPO / f"Pulumi.{stack}.yaml").read_text())["config"]["analytics-collector:warehouse"]
    return warehouse["bufferingSizeMib"], warehouse["bufferingIntervalSeconds"]


def row(stack, item):
    return next(r for r in fleet_costs.cost_rows(stack) if r.item.startswith(item))


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_s3_puts_follow_the_stacks_buffering(stack):
    size_mib, interval = committed_buffering(stack)
    # A million reports over the window never fill these buffers first: one object per interval.
    expected = math.ceil(WINDOW * 60 / interval)
    s3 = row(stack, "S3 PUTs")
    assert s3.quantity.startswith(f"{expected:,} objects: buffering {size_mib} MiB / {interval} s")
    assert s3.usd == pytest.approx(expected / 1000 * PRICES["s3_put"].usd)


def test_a_buffer_that_fills_before_its_interval_sets_the_object_count():
    line = fleet_costs.record_bytes()
    small = FirehoseToS3WarehouseArgs(buffering_size_mib=1, buffering_interval_seconds=900)
    seconds_to_fill = 1024**2 / (fleet_costs.REPORTS / (WINDOW * 60) * line)
    assert seconds_to_fill < 900
    assert fleet_costs.s3_objects(small, WINDOW, line) == math.ceil(WINDOW * 60 / seconds_to_fill)
    assert (
        fleet_costs.s3_objects(FirehoseToS3WarehouseArgs(buffering_interval_seconds=0), WINDOW, line)
        == fleet_costs.REPORTS
    )


def test_firehose_bills_each_report_as_5_kb():
    assert fleet_costs.record_bytes() < 5 * 1024  # a report is far smaller than Firehose's increment
    firehose = row("prod", "Firehose")
    assert firehose.usd == pytest.approx(fleet_costs.REPORTS * 5 * 1024 / 1024**3 * PRICES["firehose"].usd)


def test_reporter_reads_are_billed_per_counter_series():
    reads = row("prod", "Reporter CloudWatch reads")
    assert reads.usd == pytest.approx(
        fleet_costs.REPORTS * len(schemas.counter_names()) / 1000 * PRICES["get_metric_data"].usd
    )
    assert reads.side == "reporters" and row("prod", "API Gateway").side == "collector"


def test_every_price_names_where_it_was_read():
    assert {p.source for p in fleet_costs.PRICES.values()} == {fleet_costs.FIELD_NOTES, fleet_costs.PRICING_PAGES}


def replay_rows(stack="prod"):
    return [r for r in fleet_costs.cost_rows(stack) if r.item.startswith("Hourly replay")]


def test_every_deployment_pays_its_hourly_replays_every_day_failed_run_or_not():
    replays = fleet_costs.REPORTS * (24 * 3600 // REPLAY_INTERVAL_SECONDS)
    assert replays == 24 * fleet_costs.REPORTS  # rate(1 hour)
    scheduler, function, sqs = replay_rows()
    assert scheduler.usd == pytest.approx(replays / 1e6 * PRICES["scheduler"].usd)
    assert sqs.usd == pytest.approx(replays / 1e6 * PRICES["sqs_requests"].usd)  # one empty receive a replay
    memory_gb = DailyAggregatorArgs(collector_url="https://c.example.com/r").memory_size_mb / 1024
    seconds = fleet_costs.REPLAY_START_SECONDS + daily_report.REPLAY_WAIT_SECONDS
    assert function.usd == pytest.approx(
        replays / 1e6 * PRICES["lambda_requests"].usd + replays * seconds * memory_gb * PRICES["lambda_duration"].usd
    )
    assert {r.side for r in replay_rows()} == {"reporters"}


def test_a_replays_billed_time_follows_the_handlers_long_poll_and_the_schedule_its_interval(monkeypatch):
    before = {r.item: r.usd for r in replay_rows()}
    monkeypatch.setattr(daily_report, "REPLAY_WAIT_SECONDS", 5)
    monkeypatch.setattr(fleet_costs, "REPLAY_INTERVAL_SECONDS", 2 * REPLAY_INTERVAL_SECONDS)
    after = {r.item: r.usd for r in replay_rows()}
    assert after["Hourly replay: SQS"] == pytest.approx(before["Hourly replay: SQS"] / 2)
    assert after["Hourly replay: Lambda"] > before["Hourly replay: Lambda"]  # half as many, each 3 s longer
    assert "5 s long poll" in next(r.quantity for r in replay_rows() if r.item == "Hourly replay: Lambda")


def test_one_deployments_month_counts_its_runs_and_its_replays():
    rows = fleet_costs.cost_rows("prod")
    month = fleet_costs.RUNS_PER_MONTH / fleet_costs.REPORTS
    replays = sum(r.usd for r in replay_rows()) * month
    everything = sum(r.usd for r in rows if r.side == "reporters") * month
    line = next(s for s in fleet_costs.cost_table("prod").splitlines() if s.startswith("One deployment's reporter"))
    total, runs, replayed = (float(x) for x in re.findall(r"\$(\d+\.\d+)", line))
    assert f"{fleet_costs.RUNS_PER_MONTH} runs and {fleet_costs.RUNS_PER_MONTH * 24} replays a month" in line
    assert total == pytest.approx(everything, abs=5e-5) and replayed == pytest.approx(replays, abs=5e-5)
    assert runs == pytest.approx(everything - replays, abs=5e-5) and replayed > runs
