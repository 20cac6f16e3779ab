"""The flood section of docs/fleet-scale.md: its figures are the deployed reporter's, not restated numbers."""

import json

from components.daily_aggregator import DailyAggregatorArgs
from tests.support.shared_runs import shared_run
from tooling.docs_generation import flood_horizon
from tooling.mocked_program.pulumi_mocks import stack_config_with


def deployed():
    config = stack_config_with("dev")
    config.pop("analytics-collector:metricsConfig", None)
    return shared_run("dev", config)


def test_the_posts_a_lost_report_had_are_the_deployed_runs_retries_and_replays():
    run = deployed()
    function = run.named("reporter-function").inputs
    invoke = run.one("aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig").inputs
    replays = json.loads(run.named("reporter-retries").inputs["redrivePolicy"])["maxReceiveCount"]
    runs = 1 + int(invoke["maximumRetryAttempts"]) + int(replays)
    expected = int(function["environment"]["variables"]["MAX_ATTEMPTS"]) * runs
    defaults = DailyAggregatorArgs(collector_url="https://c.example.com/r")
    # Prod's 429s ask for 30 s: four POSTs still fit a 120 s run (10 s reads, then 110, 80, 50 s left).
    # docs/fleet-scale.md's flood table is generated from this figure (tests/test_readme.py keeps it fresh).
    assert flood_horizon.posts_per_lost_report(defaults, 30) == expected


def test_a_report_is_lost_only_when_every_post_is_refused():
    assert flood_horizon.loss_chance(10, 1) == 0.9
    assert flood_horizon.loss_chance(10, 108) < flood_horizon.loss_chance(100, 108) < 1
    longer = DailyAggregatorArgs(collector_url="https://c.example.com/r", retry_horizon_hours=48)
    assert flood_horizon.posts_per_lost_report(longer, 30) > flood_horizon.posts_per_lost_report(
        DailyAggregatorArgs(collector_url="https://c.example.com/r"), 30
    )


def test_a_longer_retry_after_leaves_fewer_posts_in_a_run():
    defaults = DailyAggregatorArgs(collector_url="https://c.example.com/r")
    # 120 s run, 10 s of reads: a wait, a 10 s POST and the 2 s reserve must fit in what is left.
    assert [flood_horizon.posts_per_run(defaults, seconds) for seconds in (None, 30, 60, 98, 99, 900)] == [
        4,
        4,
        2,
        2,
        1,
        1,
    ]
