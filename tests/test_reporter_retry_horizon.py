"""The retry horizon end to end under moto: Lambda's failure record in a retry queue built as deployed, the hourly
replay, a collector on 127.0.0.1 that throttles for hours, and SQS moving the run to the dead-letter queue."""

import datetime as dt
import json

import boto3
import moto.sqs.models
import pytest

from handlers import daily_report
from handlers.daily_report import Settings
from tests.support.moto_aws import mocked_aws
from tests.test_daily_report_handler import STACK_ID, reporting_program, scheduled_event, set_reporter_environment
from tooling.fixtures.fake_collector import ACCEPTED, fake_collector
from tooling.fixtures.product_metrics import NAMESPACE, UTC, count_calls, publish

DAY = dt.datetime(2026, 11, 26, tzinfo=UTC)
THROTTLED = (429, {"message": "Too Many Requests"})
HOUR = 3600


@pytest.fixture(scope="module")
def program():
    return reporting_program()


def failure_record(program, scheduled: str) -> dict:
    """What Lambda's on-failure destination sends: the failed event, as Scheduler filled in the deployed input."""
    return {
        "version": "1.0",
        "timestamp": "2026-11-27T01:09:00.000Z",
        "requestContext": {"condition": "RetriesExhausted", "approximateInvokeCount": 3},
        "requestPayload": scheduled_event(program, scheduled),
    }


class Clock:
    """moto's SQS clock, moved by hand: a replay an hour later without waiting an hour."""

    def __init__(self):
        self.now = 1_790_000_000.0

    def advance(self, seconds):
        self.now += seconds


@pytest.fixture
def clock(monkeypatch):
    clock = Clock()
    monkeypatch.setattr(moto.sqs.models, "unix_time", lambda: clock.now)
    monkeypatch.setattr(moto.sqs.models, "unix_time_millis", lambda: clock.now * 1000)
    return clock


@pytest.fixture
def aws(program, clock):
    """moto's SQS and CloudWatch, with the retry queue made from the deployed one's settings."""
    with mocked_aws():
        sqs = boto3.client("sqs", region_name="us-east-1")
        retries = program.named("reporter-retries").inputs
        dead_url = sqs.create_queue(QueueName="dead-letters")["QueueUrl"]
        dead_arn = sqs.get_queue_attributes(QueueUrl=dead_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        redrive = {**json.loads(retries["redrivePolicy"]), "deadLetterTargetArn": dead_arn}
        retry_url = sqs.create_queue(
            QueueName="retries",
            Attributes={
                "VisibilityTimeout": str(int(retries["visibilityTimeoutSeconds"])),
                "MessageRetentionPeriod": str(int(retries["messageRetentionSeconds"])),
                "RedrivePolicy": json.dumps(redrive),
            },
        )["QueueUrl"]
        cloudwatch = boto3.client("cloudwatch", region_name="us-east-1")
        publish(cloudwatch, "tokenizeSuccess", 4, DAY + dt.timedelta(hours=2))
        yield {
            "sqs": sqs,
            "cloudwatch": cloudwatch,
            "retries": retry_url,
            "dead": dead_url,
            "horizon": redrive["maxReceiveCount"],
        }


def settings(url, queue_url) -> Settings:
    return Settings(
        collector_url=url,
        stack_id=STACK_ID,
        version="1.2.3",
        namespace=NAMESPACE,
        http_timeout_seconds=2.0,
        max_attempts=2,
        retry_queue_url=queue_url,
    )


def reporter_environment(monkeypatch, url: str, queue_url: str | None) -> None:
    """The function's environment, as DailyAggregator sets it; without RETRY_QUEUE_URL when queue_url is None."""
    set_reporter_environment(monkeypatch, url)
    if queue_url is None:
        monkeypatch.delenv("RETRY_QUEUE_URL", raising=False)
    else:
        monkeypatch.setenv("RETRY_QUEUE_URL", queue_url)


def replay(aws, url, clock=None):
    """One hourly replay: the clock moves to the next one first."""
    if clock:
        clock.advance(HOUR)
    return daily_report.replay_failed_runs(
        settings(url, aws["retries"]),
        aws["sqs"],
        lambda: aws["cloudwatch"],
        wait_seconds=0,
        sleep=lambda _: None,
        jitter=lambda: 1.0,
    )


def bodies(aws, queue) -> list[dict]:
    messages = aws["sqs"].receive_message(QueueUrl=aws[queue], MaxNumberOfMessages=10).get("Messages", [])
    return [json.loads(m["Body"]) for m in messages]


def test_a_flood_of_hours_shorter_than_the_horizon_costs_no_report(program, aws, clock):
    aws["sqs"].send_message(
        QueueUrl=aws["retries"], MessageBody=json.dumps(failure_record(program, "2026-11-27T01:05:00Z"))
    )
    # Throttled through five hourly replays (two POSTs each), accepted at the sixth.
    with fake_collector(*[THROTTLED] * 10, ACCEPTED) as collector:
        for _ in range(5):
            assert replay(aws, collector.url, clock)["days"] == {"2026-11-26": "failed (try " + str(_ + 1) + ")"}
        assert replay(aws, collector.url, clock)["days"] == {"2026-11-26": "sent"}
    assert len(collector.received) == 11
    # The day the schedule meant, hours later: not the day the replay ran.
    assert collector.received[-1].json()["report_date"] == "2026-11-26"
    assert collector.received[-1].json()["metrics"]["tokenizeSuccess"] == 4
    clock.advance(HOUR)
    assert bodies(aws, "retries") == [] and bodies(aws, "dead") == []


def test_a_failed_run_is_tried_once_per_replay_not_again_within_the_hour(program, aws, clock):
    aws["sqs"].send_message(
        QueueUrl=aws["retries"], MessageBody=json.dumps(failure_record(program, "2026-11-27T01:05:00Z"))
    )
    with fake_collector(THROTTLED) as collector:
        replay(aws, collector.url)
        clock.advance(HOUR / 4)  # a manual replay a quarter of an hour later finds it still hidden
        assert replay(aws, collector.url)["days"] == {}
    assert len(collector.received) == 2


def test_a_flood_longer_than_the_horizon_dead_letters_the_run_which_can_still_be_replayed(program, aws, clock):
    record = failure_record(program, "2026-11-27T01:05:00Z")
    aws["sqs"].send_message(QueueUrl=aws["retries"], MessageBody=json.dumps(record))
    with fake_collector(THROTTLED) as collector:
        for _ in range(aws["horizon"]):
            replay(aws, collector.url, clock)
        assert len(collector.received) == aws["horizon"] * 2
        assert bodies(aws, "dead") == []  # every try used, but not moved until the next replay asks
        assert replay(aws, collector.url, clock)["days"] == {}
    assert len(collector.received) == aws["horizon"] * 2
    [dead] = bodies(aws, "dead")
    assert dead == record
    # The operator's replay of the dead letter, as it is, still reports the scheduled day.
    with fake_collector() as collector:
        report = daily_report.run(
            settings(collector.url, aws["retries"]), aws["cloudwatch"], daily_report.scheduled_time(dead)
        )
    assert report["report_date"] == "2026-11-26"


def test_two_failed_runs_of_one_day_send_it_once_and_other_days_each(program, aws):
    for scheduled in ("2026-11-27T01:05:00Z", "2026-11-27T01:05:00Z", "2026-11-28T01:05:00Z"):
        aws["sqs"].send_message(QueueUrl=aws["retries"], MessageBody=json.dumps(failure_record(program, scheduled)))
    with fake_collector() as collector:
        summary = replay(aws, collector.url)
    assert summary["days"] == {"2026-11-26": "sent", "2026-11-27": "sent"}
    assert sorted(r.json()["report_date"] for r in collector.received) == ["2026-11-26", "2026-11-27"]
    assert bodies(aws, "retries") == []


def test_a_failed_replay_is_dropped_and_an_unreadable_message_is_left_for_the_dead_letter_queue(
    program, aws, clock, capsys
):
    failed_replay = {
        **failure_record(program, "2026-11-27T01:05:00Z"),
        "requestPayload": json.loads(program.named("reporter-replay-schedule").inputs["target"]["input"]),
    }
    aws["sqs"].send_message(QueueUrl=aws["retries"], MessageBody=json.dumps(failed_replay))
    aws["sqs"].send_message(QueueUrl=aws["retries"], MessageBody='{"not": "a failure record"}')
    with fake_collector() as collector:
        summary = replay(aws, collector.url)
    assert collector.received == []
    assert (summary["days"], summary["unreadable"]) == ({}, 1)
    [error] = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"ERROR"' in line]
    assert "not a Lambda failure record" in error["error"]
    clock.advance(HOUR)
    assert bodies(aws, "retries") == [{"not": "a failure record"}]


def test_a_replay_with_too_little_time_left_takes_no_message(program, aws):
    aws["sqs"].send_message(
        QueueUrl=aws["retries"], MessageBody=json.dumps(failure_record(program, "2026-11-27T01:05:00Z"))
    )
    with fake_collector() as collector:
        daily_report.replay_failed_runs(
            settings(collector.url, aws["retries"]),
            aws["sqs"],
            lambda: aws["cloudwatch"],
            wait_seconds=0,
            seconds_left=lambda: 13.0,
        )
    assert collector.received == []
    [message] = aws["sqs"].receive_message(QueueUrl=aws["retries"], AttributeNames=["ApproximateReceiveCount"])[
        "Messages"
    ]
    assert message["Attributes"]["ApproximateReceiveCount"] == "1"  # this receive, the test's own


def test_the_deployed_replay_trigger_runs_the_replay_through_the_handler(program, aws, monkeypatch):
    aws["sqs"].send_message(
        QueueUrl=aws["retries"], MessageBody=json.dumps(failure_record(program, "2026-11-27T01:05:00Z"))
    )
    trigger = json.loads(program.named("reporter-replay-schedule").inputs["target"]["input"])
    monkeypatch.setattr(daily_report, "REPLAY_WAIT_SECONDS", 0)
    with fake_collector() as collector:
        reporter_environment(monkeypatch, collector.url, aws["retries"])
        monkeypatch.setattr(daily_report, "sqs_client", lambda: aws["sqs"])
        monkeypatch.setattr(daily_report, "cloudwatch_client", lambda: aws["cloudwatch"])
        summary = daily_report.handler(trigger, None)
    assert summary["days"] == {"2026-11-26": "sent"}
    assert [r.json()["report_date"] for r in collector.received] == ["2026-11-26"]


def test_a_replay_of_an_empty_queue_makes_one_receive_and_no_cloudwatch_client(program, aws, monkeypatch):
    """The usual hour: what docs/fleet-scale.md prices a replay at (one ReceiveMessage, nothing else)."""
    trigger = json.loads(program.named("reporter-replay-schedule").inputs["target"]["input"])
    monkeypatch.setattr(daily_report, "REPLAY_WAIT_SECONDS", 0)
    calls = count_calls(aws["sqs"])
    monkeypatch.setattr(daily_report, "sqs_client", lambda: aws["sqs"])
    monkeypatch.setattr(daily_report, "cloudwatch_client", lambda: pytest.fail("CloudWatch client made"))
    reporter_environment(monkeypatch, "https://collector.invalid/", aws["retries"])
    summary = daily_report.handler(trigger, None)
    assert (summary["days"], summary["unreadable"]) == ({}, 0)
    assert calls == ["ReceiveMessage"]


def test_a_replay_without_its_queue_is_a_clear_misconfiguration(monkeypatch, capsys):
    reporter_environment(monkeypatch, "https://collector.invalid/", None)
    with pytest.raises(ValueError, match="the replay needs RETRY_QUEUE_URL"):
        daily_report.handler({"replay": "failed-runs"}, None)
    [log] = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert log["outcome"] == "failed"
