"""A fleet of reporters against the collector's throttle: the old schedule (a cron rule) and the new one
(EventBridge Scheduler's flexible window), at 1,000, 100,000 and 1,000,000 deployments.

    PYTHONPATH=$PWD .venv/bin/python benchmarks/fleet_simulation.py [--deployments 1000 100000 1000000]
        [--stack prod] [--rate R --burst B] [--rule-spread 60] [--seed 11]

What is the project's own, imported rather than restated: each deployment's cron expression
(components.daily_aggregator.schedule_expression), the reporter's defaults (DailyAggregatorArgs: schedule
hour and window, POST attempts, HTTP and function timeouts, Lambda's retries), the backoff and the
decision to try again (handlers.daily_report.backoff_seconds and may_retry), and the stage's rate and
burst (Pulumi.<stack>.yaml over CollectorEndpointArgs' defaults).

What is AWS's, modelled here and said so:
- the stage throttle is a token bucket: `rate` tokens a second up to `burst`; a request finding no
  token gets 429. Time moves in ticks of TICK_SECONDS; within a tick the earliest requests take the
  tokens, and an attempt never lands in the tick that refused it.
- a cron rule starts its target somewhere in its minute (EventBridge promises the minute, not the
  second): uniform over the first `--rule-spread` seconds, 60 by default, the kindest reading.
- Scheduler starts a run at a uniform random time in the flexible window after the scheduled time.
- a run spends START_SECONDS (cold start, ListMetrics, GetMetricData) before its first POST.
- a failed run is retried by Lambda 1 minute, then 2 minutes, after it fails, up to
  async_retry_attempts times, then dead-lettered (AWS Lambda's documented async retry behaviour).
- each deployment is its own account, so no Lambda concurrency limit applies.
Only 429s are modelled: the collector itself never fails here.

Offline and deterministic for a seed; about half a minute on 2 cores for the three sizes.
"""

from __future__ import annotations

import argparse
import heapq
import re
import time
import uuid
from dataclasses import dataclass

import numpy as np

from components.collector_endpoint import CollectorEndpointArgs
from components.daily_aggregator import MAX_EVENT_AGE_SECONDS, DailyAggregatorArgs, schedule_expression
from docs_generation.fleet_costs import stack_args
from handlers.daily_report import Settings, backoff_seconds, may_retry

TICK_SECONDS = 0.1
START_SECONDS = (0.5, 2.0)  # from the invocation to the first POST, uniform
ANSWER_SECONDS = 0.05  # a 429 comes back at once
LAMBDA_RETRY_WAITS = (60.0, 120.0)
SIZES = (1_000, 100_000, 1_000_000)
FIRST, RETRYING, RETRIED, DEAD = 0, 1, 2, 3


@dataclass(frozen=True)
class Stage:
    name: str
    rate: float
    burst: int


@dataclass(frozen=True)
class Outcome:
    schedule: str
    deployments: int
    peak_per_second: int
    throttled: int
    first_attempt: int
    after_retries: int
    dead_lettered: int
    seconds: float


def stage_limits(stack: str) -> Stage:
    """The stage throttle a stack deploys: its Pulumi.<stack>.yaml endpoint section over the Args defaults."""
    endpoint = stack_args(stack, "endpoint", CollectorEndpointArgs, delivery_stream_name="fleet",
                          delivery_stream_arn="arn:aws:firehose:us-east-1:123456789012:deliverystream/fleet")
    return Stage(stack, float(endpoint.throttle_rate_limit), int(endpoint.throttle_burst_limit))


def reporter_defaults() -> tuple[DailyAggregatorArgs, Settings]:
    args = DailyAggregatorArgs(collector_url="https://collector.example.com/v1/record/deployment")
    settings = Settings(collector_url=args.collector_url, stack_id="fleet", version=args.product_version,
                        namespace=args.namespace, http_timeout_seconds=float(args.http_timeout_seconds),
                        max_attempts=args.max_attempts)
    return args, settings


def scheduled_seconds(deployments: int, hour: int, rng: np.random.Generator) -> np.ndarray:
    """Seconds after midnight UTC each deployment's cron expression names (random stack ids, as RandomUuid)."""
    raw = rng.integers(0, 256, size=(deployments, 16), dtype=np.uint8)
    cron = re.compile(r"cron\((\d+) (\d+) ")
    seconds = np.empty(deployments)
    for i, row in enumerate(raw):
        minute, hours = cron.match(schedule_expression(str(uuid.UUID(bytes=row.tobytes(), version=4)), hour)).groups()
        seconds[i] = int(hours) * 3600 + int(minute) * 60
    return seconds


class Fleet:
    """Every deployment's reporter, one state per deployment in arrays, moved forward tick by tick."""

    def __init__(self, invoked: np.ndarray, stage: Stage, args: DailyAggregatorArgs, settings: Settings,
                 rng: np.random.Generator):
        self.stage, self.args, self.settings, self.rng = stage, args, settings, rng
        n = len(invoked)
        self.invoked = invoked.copy()  # when the current run started
        self.next_post = invoked + rng.uniform(*START_SECONDS, n)
        self.attempt = np.ones(n, dtype=np.int64)  # POST attempt within the current run
        self.run = np.zeros(n, dtype=np.int64)  # 0, then Lambda's retries
        self.outcome = np.full(n, FIRST, dtype=np.int8)
        self.pending: dict[int, list[np.ndarray]] = {}
        self.heap: list[int] = []
        self.throttled = 0
        # Lambda drops an event older than its maximum age, so no run starts later than that after the first.
        horizon = self.next_post.max() + MAX_EVENT_AGE_SECONDS + args.timeout_seconds
        self.per_second = np.zeros(int(horizon), dtype=np.int64)

    def _tick(self, seconds: np.ndarray) -> np.ndarray:
        return np.floor(seconds / TICK_SECONDS).astype(np.int64)

    def _schedule(self, ids: np.ndarray, ticks: np.ndarray) -> None:
        if not len(ids):
            return
        order = np.argsort(ticks, kind="stable")
        ticks, ids = ticks[order], ids[order]
        firsts, starts = np.unique(ticks, return_index=True)
        bounds = [*starts.tolist(), len(ids)]
        for i, tick in enumerate(firsts.tolist()):
            if tick not in self.pending:
                self.pending[tick] = []
                heapq.heappush(self.heap, tick)
            self.pending[tick].append(ids[bounds[i]:bounds[i + 1]])

    def simulate(self) -> None:
        # First POSTs are known up front: walk them in tick order; retries join through the heap.
        first_ticks = self._tick(self.next_post)
        order = np.argsort(first_ticks, kind="stable")
        counts = np.bincount(first_ticks)
        busy = np.flatnonzero(counts)
        starts = np.concatenate(([0], np.cumsum(counts[busy])))
        tokens, last, b, refill = float(self.stage.burst), 0, 0, self.stage.rate * TICK_SECONDS
        while b < len(busy) or self.heap:
            tick = min(busy[b] if b < len(busy) else np.iinfo(np.int64).max, self.heap[0] if self.heap else
                       np.iinfo(np.int64).max)
            tokens = min(self.stage.burst, tokens + refill * (tick - last))
            last = tick
            fresh = order[starts[b]:starts[b + 1]] if b < len(busy) and busy[b] == tick else order[:0]
            b += len(fresh) > 0
            retries = self.pending.pop(tick, None)
            if retries is not None:
                heapq.heappop(self.heap)
            if retries is None and len(fresh) <= tokens:
                tokens -= len(fresh)  # everyone on a first attempt gets through: nothing else to record
                self.per_second[int(tick * TICK_SECONDS)] += len(fresh)
                continue
            ids = np.concatenate([fresh, *(retries or ())])
            self.per_second[int(tick * TICK_SECONDS)] += len(ids)
            ids = ids[np.argsort(self.next_post[ids], kind="stable")]
            taken = min(len(ids), int(tokens))
            tokens -= taken
            self._delivered(ids[:taken])
            self._throttled(ids[taken:])

    def _delivered(self, ids: np.ndarray) -> None:
        retried = (self.run[ids] > 0) | (self.attempt[ids] > 1)
        self.outcome[ids[retried]] = RETRIED

    def _throttled(self, ids: np.ndarray) -> None:
        self.throttled += len(ids)
        self.outcome[ids] = RETRYING
        answered = self.next_post[ids] + ANSWER_SECONDS
        for attempt in np.unique(self.attempt[ids]):
            mine = self.attempt[ids] == attempt
            group, at = ids[mine], answered[mine]
            delay = backoff_seconds(int(attempt), self.rng.random(len(group)))
            left = self.args.timeout_seconds - (at - self.invoked[group])
            again = np.asarray(may_retry(self.settings, int(attempt), delay, left), dtype=bool)
            self._post_again(group[again], at[again] + delay[again])
            self._run_failed(group[~again], at[~again])

    def _post_again(self, ids: np.ndarray, when: np.ndarray) -> None:
        self.attempt[ids] += 1
        self._at(ids, when)

    def _run_failed(self, ids: np.ndarray, when: np.ndarray) -> None:
        retry = self.run[ids] < self.args.async_retry_attempts
        self.outcome[ids[~retry]] = DEAD
        ids, when = ids[retry], when[retry]
        waits = np.asarray(LAMBDA_RETRY_WAITS)[self.run[ids]]
        self.run[ids] += 1
        self.attempt[ids] = 1
        self.invoked[ids] = when + waits
        self._at(ids, self.invoked[ids] + self.rng.uniform(*START_SECONDS, len(ids)))

    def _at(self, ids: np.ndarray, when: np.ndarray) -> None:
        # Never back into the tick that just answered: that tick's tokens are spent.
        self.next_post[ids] = when
        now = self._tick(when - ANSWER_SECONDS)
        self._schedule(ids, np.maximum(self._tick(when), now + 1))


def simulate(name: str, invoked: np.ndarray, stage: Stage, seed: int) -> Outcome:
    args, settings = reporter_defaults()
    started = time.perf_counter()
    fleet = Fleet(invoked, stage, args, settings, np.random.default_rng(seed))
    fleet.simulate()
    counts = np.bincount(fleet.outcome, minlength=4)
    assert counts[RETRYING] == 0, "a deployment was left between attempts"
    return Outcome(name, len(invoked), int(fleet.per_second.max()), fleet.throttled, int(counts[FIRST]),
                   int(counts[RETRIED]), int(counts[DEAD]), time.perf_counter() - started)


def compare(deployments: int, stage: Stage, rule_spread: float, window_minutes: int, seed: int) -> list[Outcome]:
    args, _ = reporter_defaults()
    rng = np.random.default_rng(seed)
    scheduled = scheduled_seconds(deployments, args.schedule_hour, rng)
    rule = scheduled + rng.uniform(0, rule_spread, deployments)
    window = scheduled + rng.uniform(0, window_minutes * 60, deployments)
    return [simulate("old: cron rule", rule, stage, seed + 1),
            simulate(f"new: Scheduler, {window_minutes} min window", window, stage, seed + 2)]


def table(outcomes: list[Outcome]) -> str:
    rows = ["| Deployments | Schedule | Peak arrivals/s | 429 answers | Delivered, 1st attempt | "
            "Delivered after retries | Dead-lettered |", "| ---: | --- | ---: | ---: | ---: | ---: | ---: |"]
    rows += [f"| {o.deployments:,} | {o.schedule} | {o.peak_per_second:,} | {o.throttled:,} | {o.first_attempt:,} | "
             f"{o.after_retries:,} | {o.dead_lettered:,} |" for o in outcomes]
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--deployments", type=int, nargs="+", default=list(SIZES))
    parser.add_argument("--stack", default="prod", help="whose stage throttle to use (Pulumi.<stack>.yaml)")
    parser.add_argument("--rate", type=float, help="override the stage's steady rate (requests/s)")
    parser.add_argument("--burst", type=int, help="override the stage's burst")
    parser.add_argument("--rule-spread", type=float, default=60.0,
                        help="seconds of its minute over which a cron rule starts its targets")
    parser.add_argument("--window", type=int, help="override reporter.scheduleWindowMinutes")
    parser.add_argument("--seed", type=int, default=11)
    options = parser.parse_args()
    stage = stage_limits(options.stack)
    if options.rate or options.burst:
        stage = Stage(f"{stage.name} overridden", options.rate or stage.rate, options.burst or stage.burst)
    args, settings = reporter_defaults()
    window = options.window or args.schedule_window_minutes
    print(f"stage: {stage.name}, {stage.rate:g} requests/s steady, burst {stage.burst}; reporter: "
          f"{settings.max_attempts} POST attempts, {settings.http_timeout_seconds:g} s HTTP timeout, "
          f"{args.timeout_seconds} s function timeout, {args.async_retry_attempts} Lambda retries, "
          f"scheduleHour {args.schedule_hour}, window {window} min; "
          f"cron rule spread {options.rule_spread:g} s; seed {options.seed}")
    outcomes = []
    for deployments in options.deployments:
        outcomes += compare(deployments, stage, options.rule_spread, window, options.seed)
    print(table(outcomes))
    for o in outcomes:
        print(f"simulated {o.deployments:,} deployments, {o.schedule}, in {o.seconds:.1f} s")


if __name__ == "__main__":
    main()
