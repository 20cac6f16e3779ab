"""The reporter honours the collector's Retry-After within its invocation's deadline (review finding 10).

Against moto's CloudWatch and a collector on 127.0.0.1, on a fake clock: sleeping moves it on, nothing waits.
"""

import datetime as dt
import email.utils

import boto3
import pytest

from handlers import daily_report
from handlers.daily_report import DeliveryFailed, Settings
from tests.support.moto_aws import mocked_aws
from tooling.fixtures.fake_collector import fake_collector
from tooling.fixtures.product_metrics import NAMESPACE, UTC

RUN_AT = dt.datetime(2026, 11, 27, 1, 17, tzinfo=UTC)
ACCEPTED = (200, {"status": "accepted"})
# Epoch seconds on the fake wall clock when the run starts.
STARTED = dt.datetime(2026, 11, 27, 3, 0, tzinfo=UTC).timestamp()


@pytest.fixture
def cloudwatch():
    with mocked_aws():
        yield boto3.client("cloudwatch", region_name="us-east-1")


class Clock:
    """An invocation with `budget` seconds left at its first POST; the POSTs themselves take no time."""

    def __init__(self, budget: float = float("inf")):
        self.elapsed, self.budget, self.sleeps = 0.0, budget, []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.elapsed += seconds

    def seconds_left(self) -> float:
        return self.budget - self.elapsed

    def wall(self) -> float:
        return STARTED + self.elapsed


def send(cloudwatch, url: str, clock: Clock, max_attempts: int = 4) -> dict:
    settings = Settings(
        collector_url=url,
        stack_id="3d9c49ce-8367-43ec-8884-568c8d43faec",
        version="1.2.3",
        namespace=NAMESPACE,
        http_timeout_seconds=10.0,
        max_attempts=max_attempts,
    )
    return daily_report.run(
        settings,
        cloudwatch,
        RUN_AT,
        sleep=clock.sleep,
        jitter=lambda: 1.0,
        seconds_left=clock.seconds_left,
        wall_clock=clock.wall,
    )


def throttled(retry_after: str, status: int = 429) -> tuple:
    return status, {"message": "Too Many Requests"}, {"Retry-After": retry_after}


def test_a_429_with_retry_after_waits_that_long_before_the_next_post(cloudwatch):
    clock = Clock()
    with fake_collector(throttled("7"), ACCEPTED) as collector:
        send(cloudwatch, collector.url, clock)
    assert clock.sleeps == [7.0]
    assert len(collector.received) == 2


def test_a_503_asking_for_more_than_the_run_has_left_ends_the_run_without_waiting(cloudwatch, capsys):
    clock = Clock(budget=50.0)  # 60 s of wait, a 10 s POST and the 2 s reserve do not fit in 50
    with fake_collector(throttled("60", status=503), ACCEPTED) as collector:
        with pytest.raises(DeliveryFailed, match=r"after 1 attempts \(the collector asked to wait 60 s\): HTTP 503"):
            send(cloudwatch, collector.url, clock)
    assert clock.sleeps == [] and len(collector.received) == 1
    assert '"outcome": "failed"' in capsys.readouterr().out  # so Lambda's retries and the replay take the day


def test_waits_are_taken_only_while_a_full_attempt_still_fits_the_deadline(cloudwatch):
    clock = Clock(budget=118.0)  # a 120 s function, 2 s to its first POST
    with fake_collector(throttled("30")) as collector:
        with pytest.raises(DeliveryFailed, match="after 4 attempts"):
            send(cloudwatch, collector.url, clock, max_attempts=8)
    # Left before each wait: 118, 88, 58 (each >= 30 + 10 + 2); then 28 is not.
    assert clock.sleeps == [30.0, 30.0, 30.0]
    assert len(collector.received) == 4


def test_an_http_date_is_a_wait_until_that_time(cloudwatch):
    clock = Clock()
    at = email.utils.format_datetime(dt.datetime.fromtimestamp(STARTED + 40, UTC), usegmt=True)
    with fake_collector(throttled(at), ACCEPTED) as collector:
        send(cloudwatch, collector.url, clock)
    assert clock.sleeps == [40.0]


def test_a_wait_longer_than_any_lambda_runs_is_capped(cloudwatch):
    clock = Clock()
    with fake_collector(throttled("86400"), ACCEPTED) as collector:
        send(cloudwatch, collector.url, clock)
    assert clock.sleeps == [900.0]


@pytest.mark.parametrize("header", ["soon", "-5", "1.5", ""])
def test_an_unreadable_retry_after_falls_back_to_the_backoff(cloudwatch, header):
    clock = Clock()
    with fake_collector(throttled(header), ACCEPTED) as collector:
        send(cloudwatch, collector.url, clock)
    assert clock.sleeps == [1.0]  # jitter pinned to its maximum: the first backoff step
