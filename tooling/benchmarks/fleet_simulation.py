"""A fleet of reporters against the collector's throttle: the old schedule (a cron rule) and the new one
(EventBridge Scheduler's flexible window), at 1,000, 100,000 and 1,000,000 deployments.

    PYTHONPATH=$PWD .venv/bin/python tooling/benchmarks/fleet_simulation.py [--deployments 1000 100000 1000000]
        [--stack prod] [--rate R --burst B] [--retry-after S | --no-retry-after] [--rule-spread 60]
        [--outage-hours 0] [--seed 11]
    PYTHONPATH=$PWD .venv/bin/python tooling/benchmarks/fleet_simulation.py --deployments 10000000
        --products 40 30 20 10 [--find-stage] [--shared-bucket]

`--products W1 W2 ...`: the deployments are split over one product per weight (uneven shares, as a real collector's),
each product's reporters posting to its own route, all on the Scheduler's window. API Gateway applies the stage's
`*/*` method settings (components/collector_endpoint.py's MethodSettings) to each method on its own, so each
product's route has its own bucket of the stage's rate and burst: each product is simulated against its own.
`--shared-bucket` puts every product in one bucket instead: what the account's throttle, shared by every method of
every API in the region, must allow. `--find-stage` searches the smallest whole rate (the burst in the stage's ratio
to it) at which no POST of any product is refused, checked on the first POSTs' arrival ticks with the simulation's
own token bucket, then runs the fleet at it; a fleet at that setting never retries, so none is lost.

What is the project's own, imported rather than restated: each deployment's cron expression
(components.daily_aggregator.schedule_expression), the reporter's defaults (DailyAggregatorArgs: schedule
hour and window, POST attempts, HTTP and function timeouts, Lambda's retries, the retry horizon), Lambda's
retry waits and the hourly replay's interval, window and the retry queue's visibility timeout
(components.daily_aggregator's constants), the backoff and the decision to try again
(handlers.daily_report.retry_after_seconds, retry_wait and may_retry: the collector's Retry-After when it sends
one, else the backoff), and the stage's rate, burst and Retry-After (Pulumi.<stack>.yaml over
CollectorEndpointArgs' defaults; `--no-retry-after` models a collector that sends none, as before).

What is AWS's, modelled here and said so:
- the stage throttle is a token bucket: `rate` tokens a second up to `burst`; a request finding no
  token gets 429, with the stage's Retry-After. Time moves in ticks of TICK_SECONDS; within a tick the
  earliest requests take the tokens, and an attempt never lands in the tick that refused it.
- a cron rule starts its target somewhere in its minute (EventBridge promises the minute, not the
  second): uniform over the first `--rule-spread` seconds, 60 by default, the kindest reading.
- Scheduler starts a run at a uniform random time in the flexible window after the scheduled time.
- a run spends START_SECONDS (cold start, ListMetrics, GetMetricData) before its first POST.
- a failed run is retried by Lambda LAMBDA_RETRY_WAIT_SECONDS after it fails, up to async_retry_attempts
  times (AWS Lambda's documented async retry behaviour); then its failure record waits in the retry queue.
- each deployment's replay schedule (rate(1 hour)) falls at its own, uniform, point of the hour (when
  the schedule was created) and starts a uniform time inside its flexible window after it. The first
  replay after the record lands receives it; a failed replay hides it for the visibility timeout, so the
  next hour's replay tries again; after retry_horizon_hours failed replays it is dead-lettered. A replay
  runs like a run (START_SECONDS, then the POSTs) and is never retried by Lambda.
- `--outage-hours H`: for H hours from scheduleHour every token is taken (a flood far above the stage's
  rate): every POST then gets 429; the stage recovers, empty, at the end.
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
from typing import Optional

import numpy as np

from components.collector_endpoint import CollectorEndpointArgs
from components.daily_aggregator import (
    LAMBDA_RETRY_WAIT_SECONDS,
    MAX_EVENT_AGE_SECONDS,
    REPLAY_INTERVAL_SECONDS,
    REPLAY_WINDOW_MINUTES,
    RETRY_VISIBILITY_SECONDS,
    DailyAggregatorArgs,
    schedule_expression,
)
from handlers.daily_report import Settings, may_retry, retry_after_seconds, retry_wait
from tooling.docs_generation.fleet_costs import stack_args

TICK_SECONDS = 0.1
START_SECONDS = (0.5, 2.0)  # from the invocation to the first POST, uniform
ANSWER_SECONDS = 0.05  # a 429 comes back at once
SIZES = (1_000, 100_000, 1_000_000)
SEED = 11
ROUNDING = 1e-6
STACK_ID_POOL = 200_000  # stack ids whose cron minute is computed; a larger fleet draws its minutes from them
FIRST, RETRYING, RETRIED, REPLAYED, DEAD = 0, 1, 2, 3, 4


@dataclass(frozen=True)
class Stage:
    name: str
    rate: float
    burst: int
    retry_after: Optional[int]  # seconds its 429s ask for; None: no header

    def limits(self) -> str:
        asks = "no Retry-After" if self.retry_after is None else f"Retry-After {self.retry_after} s"
        return f"{self.rate:g} requests/s steady, burst {self.burst}, {asks}"

    def shown(self) -> str:
        return f"{self.name}, {self.limits()}"


@dataclass(frozen=True)
class Outcome:
    schedule: str
    deployments: int
    peak_per_second: int
    throttled: int
    first_attempt: int
    after_retries: int
    by_replay: int
    dead_lettered: int
    posts: int  # every POST the fleet sent, retries and replays included
    seconds: float

    @property
    def posts_per_report(self) -> float:
        return self.posts / self.deployments


def stage_limits(stack: str) -> Stage:
    """The stage throttle a stack deploys: its Pulumi.<stack>.yaml endpoint section over the Args defaults."""
    endpoint = stack_args(
        stack,
        "endpoint",
        CollectorEndpointArgs,
        delivery_stream_name="fleet",
        delivery_stream_arn="arn:aws:firehose:us-east-1:123456789012:deliverystream/fleet",
    )
    return Stage(
        stack,
        float(endpoint.throttle_rate_limit),
        int(endpoint.throttle_burst_limit),
        int(endpoint.retry_after_seconds),
    )


def reporter_defaults() -> tuple[DailyAggregatorArgs, Settings]:
    collector_url = "https://collector.example.com/v1/record/deployment"
    args = DailyAggregatorArgs(collector_url=collector_url)
    settings = Settings(
        collector_url=collector_url,
        stack_id="fleet",
        version=args.product_version,
        namespace=args.namespace,
        http_timeout_seconds=float(args.http_timeout_seconds),
        max_attempts=args.max_attempts,
    )
    return args, settings


def reporter_shown(window_minutes: Optional[int] = None) -> str:
    """The reporter defaults a run simulates, as its first line prints them (docs/fleet-scale.md's figure too)."""
    args, settings = reporter_defaults()
    return (
        f"{settings.max_attempts} POST attempts, {settings.http_timeout_seconds:g} s HTTP timeout, "
        f"{args.timeout_seconds} s function timeout, {args.async_retry_attempts} Lambda retries, "
        f"hourly replays for {args.retry_horizon_hours} h, scheduleHour {args.schedule_hour}, "
        f"window {window_minutes or args.schedule_window_minutes} min"
    )


def scheduled_seconds(deployments: int, hour: int, rng: np.random.Generator) -> np.ndarray:
    """Seconds after midnight UTC each deployment's cron expression names (random stack ids, as RandomUuid)."""
    raw = rng.integers(0, 256, size=(deployments, 16), dtype=np.uint8)
    cron = re.compile(r"cron\((\d+) (\d+) ")
    seconds = np.empty(deployments)
    for i, row in enumerate(raw):
        expression = schedule_expression(str(uuid.UUID(bytes=row.tobytes(), version=4)), hour)
        found = cron.match(expression)
        if found is None:
            raise ValueError(f"{expression} is not the cron expression this simulation reads")
        minute, hours = found.groups()
        seconds[i] = int(hours) * 3600 + int(minute) * 60
    return seconds


def _ticks(seconds: np.ndarray) -> np.ndarray:
    return np.floor(seconds / TICK_SECONDS).astype(np.int64)


class Fleet:
    """Every deployment's reporter, one state per deployment in arrays, moved forward tick by tick."""

    def __init__(
        self,
        invoked: np.ndarray,
        stage: Stage,
        args: DailyAggregatorArgs,
        settings: Settings,
        rng: np.random.Generator,
        outage: tuple[float, float] = (0.0, 0.0),
    ):
        self.stage, self.args, self.settings, self.rng = stage, args, settings, rng
        # Read as the reporter reads the header (its cap included).
        self.retry_after = None if stage.retry_after is None else retry_after_seconds(str(stage.retry_after), 0.0)
        n = len(invoked)
        self.invoked = invoked.copy()  # when the current run started
        self.next_post = invoked + rng.uniform(*START_SECONDS, n)
        self.attempt = np.ones(n, dtype=np.int64)  # POST attempt within the current run
        self.run = np.zeros(n, dtype=np.int64)  # 0, then Lambda's retries
        self.replays = np.zeros(n, dtype=np.int64)  # replays that received the run's failure record
        self.replay_phase = rng.uniform(0, REPLAY_INTERVAL_SECONDS, n)  # where its hourly schedule falls
        self.outcome = np.full(n, FIRST, dtype=np.int8)
        self.outage = (int(np.floor(outage[0] / TICK_SECONDS)), int(np.floor(outage[1] / TICK_SECONDS)))
        self.pending: dict[int, list[np.ndarray]] = {}
        self.heap: list[int] = []
        self.throttled = 0
        # Lambda drops an event older than its maximum age, and SQS dead-letters a record after the horizon.
        replay_span = (args.retry_horizon_hours + 2) * (REPLAY_INTERVAL_SECONDS + REPLAY_WINDOW_MINUTES * 60)
        horizon = self.next_post.max() + MAX_EVENT_AGE_SECONDS + replay_span + args.timeout_seconds
        self.per_second = np.zeros(int(horizon), dtype=np.int64)

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
            self.pending[tick].append(ids[bounds[i] : bounds[i + 1]])

    def simulate(self) -> None:
        # First POSTs are known up front: walk them in tick order; retries join through the heap.
        first_ticks = _ticks(self.next_post)
        order = np.argsort(first_ticks, kind="stable")
        counts = np.bincount(first_ticks)
        busy = np.flatnonzero(counts)
        starts = np.concatenate(([0], np.cumsum(counts[busy])))
        tokens, last, b, refill = float(self.stage.burst), 0, 0, self.stage.rate * TICK_SECONDS
        while b < len(busy) or self.heap:
            tick = min(
                busy[b] if b < len(busy) else np.iinfo(np.int64).max,
                self.heap[0] if self.heap else np.iinfo(np.int64).max,
            )
            start, end = self.outage
            if start < end and last < end and tick >= start:  # the flood took every token since `last`
                tokens, last = 0.0, max(last, min(tick, end))
            tokens = min(self.stage.burst, tokens + refill * (tick - last))
            last = tick
            fresh = order[starts[b] : starts[b + 1]] if b < len(busy) and busy[b] == tick else order[:0]
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
        self.outcome[ids[self.replays[ids] > 0]] = REPLAYED

    def _throttled(self, ids: np.ndarray) -> None:
        self.throttled += len(ids)
        self.outcome[ids] = RETRYING
        answered = self.next_post[ids] + ANSWER_SECONDS
        # A snapshot: _post_again moves a group to the next attempt, which this loop must not see again.
        attempts = self.attempt[ids].copy()
        for attempt in np.unique(attempts):
            mine = attempts == attempt
            group, at = ids[mine], answered[mine]
            delay = np.broadcast_to(
                retry_wait(int(attempt), self.rng.random(len(group)), self.retry_after), group.shape
            )
            left = self.args.timeout_seconds - (at - self.invoked[group])
            again = np.asarray(may_retry(self.settings, int(attempt), delay, left), dtype=bool)
            self._post_again(group[again], at[again] + delay[again])
            self._run_failed(group[~again], at[~again])

    def _post_again(self, ids: np.ndarray, when: np.ndarray) -> None:
        self.attempt[ids] += 1
        self._at(ids, when)

    def _run_failed(self, ids: np.ndarray, when: np.ndarray) -> None:
        # A failed replay does not fail its invocation: Lambda retries only the scheduled run.
        retry = (self.run[ids] < self.args.async_retry_attempts) & (self.replays[ids] == 0)
        self._queued(ids[~retry], when[~retry])
        ids, when = ids[retry], when[retry]
        waits = np.asarray(LAMBDA_RETRY_WAIT_SECONDS, dtype=float)[self.run[ids]]
        self.run[ids] += 1
        self._start(ids, when + waits)

    def _queued(self, ids: np.ndarray, when: np.ndarray) -> None:
        """The failure record in the retry queue: the next replay that can see it receives it."""
        exhausted = self.replays[ids] >= self.args.retry_horizon_hours
        self.outcome[ids[exhausted]] = DEAD  # moved to the dead-letter queue at the next replay's receive
        ids, when = ids[~exhausted], when[~exhausted]
        # Landed from Lambda: visible at once. Received by a replay that failed: hidden until the timeout ends.
        visible = np.where(self.replays[ids] > 0, self.invoked[ids] + RETRY_VISIBILITY_SECONDS, when)
        self.replays[ids] += 1
        self._start(ids, self._next_replay(ids, visible))

    def _next_replay(self, ids: np.ndarray, visible: np.ndarray) -> np.ndarray:
        """The first replay of each deployment's schedule that starts once its record is visible."""
        interval, window = REPLAY_INTERVAL_SECONDS, REPLAY_WINDOW_MINUTES * 60
        phase = self.replay_phase[ids]
        earlier = phase + np.floor((visible - phase) / interval) * interval  # its window may still be open
        starts = earlier + self.rng.uniform(0, window, len(ids))
        later = earlier + interval + self.rng.uniform(0, window, len(ids))
        return np.where(starts >= visible, starts, later)

    def _start(self, ids: np.ndarray, invoked: np.ndarray) -> None:
        self.attempt[ids] = 1
        self.invoked[ids] = invoked
        self._at(ids, invoked + self.rng.uniform(*START_SECONDS, len(ids)))

    def _at(self, ids: np.ndarray, when: np.ndarray) -> None:
        # Never back into the tick that just answered: that tick's tokens are spent.
        self.next_post[ids] = when
        now = _ticks(when - ANSWER_SECONDS)
        self._schedule(ids, np.maximum(_ticks(when), now + 1))


def simulate(name: str, invoked: np.ndarray, stage: Stage, seed: int, outage: tuple[float, float]) -> Outcome:
    args, settings = reporter_defaults()
    started = time.perf_counter()
    fleet = Fleet(invoked, stage, args, settings, np.random.default_rng(seed), outage)
    return run(name, fleet, started)


def run(name: str, fleet: Fleet, started: float) -> Outcome:
    fleet.simulate()
    counts = np.bincount(fleet.outcome, minlength=5)
    assert counts[RETRYING] == 0, "a deployment was left between attempts"
    return Outcome(
        name,
        len(fleet.invoked),
        int(fleet.per_second.max()),
        fleet.throttled,
        int(counts[FIRST]),
        int(counts[RETRIED]),
        int(counts[REPLAYED]),
        int(counts[DEAD]),
        int(fleet.per_second.sum()),
        time.perf_counter() - started,
    )


def compare(
    deployments: int, stage: Stage, rule_spread: float, window_minutes: int, seed: int, outage_hours: float = 0.0
) -> list[Outcome]:
    args, _ = reporter_defaults()
    rng = np.random.default_rng(seed)
    scheduled = scheduled_seconds(deployments, args.schedule_hour, rng)
    rule = scheduled + rng.uniform(0, rule_spread, deployments)
    window = scheduled + rng.uniform(0, window_minutes * 60, deployments)
    outage = (args.schedule_hour * 3600.0, (args.schedule_hour + outage_hours) * 3600.0)
    return [
        simulate("old: cron rule", rule, stage, seed + 1, outage),
        simulate(f"new: Scheduler, {window_minutes} min window", window, stage, seed + 2, outage),
    ]


def product_shares(deployments: int, weights: list[float]) -> list[int]:
    """Deployments per product, in proportion to the weights; the rounding goes to the first product."""
    if not weights or min(weights) <= 0:
        raise ValueError(f"--products = {weights} is not allowed: expected one positive weight per product")
    shares = [int(deployments * weight / sum(weights)) for weight in weights]
    shares[0] += deployments - sum(shares)
    return shares


def scheduler_starts(deployments: int, window_minutes: int, rng: np.random.Generator) -> np.ndarray:
    """When each deployment's run starts: its cron minute, then a uniform time in the Scheduler's window.

    Stack ids are random, so a deployment's minute is schedule_expression's for a random id: it is computed for a
    pool of at most STACK_ID_POOL ids and drawn from it, which keeps ten million deployments to seconds."""
    args, _ = reporter_defaults()
    pool = scheduled_seconds(min(deployments, STACK_ID_POOL), args.schedule_hour, rng)
    scheduled = pool if len(pool) == deployments else rng.choice(pool, deployments)
    return scheduled + rng.uniform(0, window_minutes * 60, deployments)


def never_refused(first_ticks: np.ndarray, rate: float, burst: float) -> bool:
    """Whether Fleet.simulate's token bucket (full at the start, `rate * TICK_SECONDS` a tick, capped at `burst`)
    takes every first POST: tokens after tick t are min over s <= t of burst - arrivals(s..t) + refill * (t - s)."""
    arrivals = np.bincount(first_ticks)
    refill = rate * TICK_SECONDS
    drawn = np.cumsum(arrivals) - refill * np.arange(len(arrivals))  # D(t) = C(t) - refill * t
    before = np.concatenate(([refill], drawn[:-1]))  # D(s - 1), with D(-1) = refill
    # A token short by float rounding is refused by the simulation's bucket: keep a margin far above rounding.
    return bool(np.all(drawn - np.minimum.accumulate(before) + refill <= burst - ROUNDING))


def smallest_stage(first_ticks: list[np.ndarray], burst_per_rate: float, shared: bool) -> tuple[int, int]:
    """The smallest whole rate, with its burst in the stage's ratio, at which no first POST is refused: of every
    product's own bucket (the stage's `*/*` setting applies to each method), or of one bucket they share."""
    buckets = [np.concatenate(first_ticks)] if shared else first_ticks

    def enough(rate: int) -> bool:
        return all(never_refused(ticks, rate, max(1, round(rate * burst_per_rate))) for ticks in buckets)

    low, high = 0, 1
    while not enough(high):
        low, high = high, high * 2
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (low, middle) if enough(middle) else (middle, high)
    return high, max(1, round(high * burst_per_rate))


def product_fleets(
    deployments: int, weights: list[float], window_minutes: int, seed: int
) -> list[tuple[str, np.ndarray, int]]:
    """Per product: its name, its runs' start times and the seed its fleet simulates with."""
    rng = np.random.default_rng(seed)
    starts = scheduler_starts(deployments, window_minutes, rng)
    fleets, first = [], 0
    for index, share in enumerate(product_shares(deployments, weights)):
        fleets.append((f"product {index + 1} ({share / deployments:.0%})", starts[first : first + share], seed + index))
        first += share
    return fleets


def compare_products(
    deployments: int,
    weights: list[float],
    stage: Stage,
    window_minutes: int,
    seed: int,
    find_stage: bool,
    shared: bool,
) -> tuple[Stage, list[Outcome]]:
    args, settings = reporter_defaults()
    started = time.perf_counter()
    fleets = [
        (name, Fleet(invoked, stage, args, settings, np.random.default_rng(fleet_seed)))
        for name, invoked, fleet_seed in product_fleets(deployments, weights, window_minutes, seed)
    ]
    if find_stage:
        first_ticks = [_ticks(fleet.next_post) for _, fleet in fleets]
        rate, burst = smallest_stage(first_ticks, stage.burst / stage.rate, shared)
        stage = Stage(f"{stage.name}, smallest that refuses nothing", float(rate), burst, stage.retry_after)
        for _, fleet in fleets:
            fleet.stage = stage
    if shared:
        merged = Fleet(
            np.concatenate([fleet.invoked for _, fleet in fleets]),
            stage,
            args,
            settings,
            np.random.default_rng(seed),
        )
        merged.next_post = np.concatenate([fleet.next_post for _, fleet in fleets])
        return stage, [run(f"{len(fleets)} products, one shared bucket", merged, started)]
    return stage, [run(name, fleet, time.perf_counter()) for name, fleet in fleets]


def table(outcomes: list[Outcome], label: str = "Schedule") -> str:
    rows = [
        f"| Deployments | {label} | Peak arrivals/s | 429 answers | Delivered, 1st attempt | "
        "Delivered after retries | Delivered by a replay | Dead-lettered | POSTs per report |",
        "| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    rows += [
        f"| {o.deployments:,} | {o.schedule} | {o.peak_per_second:,} | {o.throttled:,} | {o.first_attempt:,} | "
        f"{o.after_retries:,} | {o.by_replay:,} | {o.dead_lettered:,} | {o.posts_per_report:.2f} |"
        for o in outcomes
    ]
    return "\n".join(rows)


def simulate_products(deployments: int, options: argparse.Namespace, stage: Stage, window: int) -> None:
    used, outcomes = compare_products(
        deployments, options.products, stage, window, options.seed, options.find_stage, options.shared_bucket
    )
    bucket = "one bucket for every product" if options.shared_bucket else "one bucket per product's route"
    print(f"{deployments:,} deployments over {len(options.products)} products, {bucket}: {used.shown()}")
    print(table(outcomes, label="Product"))
    lost = sum(o.dead_lettered for o in outcomes)
    posts = sum(o.posts for o in outcomes)
    print(
        f"every product: {sum(o.deployments for o in outcomes):,} deployments, "
        f"{sum(o.throttled for o in outcomes):,} 429 answers, {lost:,} dead-lettered, "
        f"{posts / deployments:.2f} POSTs per report; simulated in {sum(o.seconds for o in outcomes):.1f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--deployments", type=int, nargs="+", default=list(SIZES))
    parser.add_argument("--stack", default="prod", help="whose stage throttle to use (Pulumi.<stack>.yaml)")
    parser.add_argument("--rate", type=float, help="override the stage's steady rate (requests/s)")
    parser.add_argument("--burst", type=int, help="override the stage's burst")
    asks = parser.add_mutually_exclusive_group()
    asks.add_argument("--retry-after", type=int, help="override the Retry-After seconds the stage's 429s carry")
    asks.add_argument(
        "--no-retry-after",
        action="store_true",
        help="the stage's 429s carry no Retry-After (the collector before it sent one)",
    )
    parser.add_argument(
        "--rule-spread",
        type=float,
        default=60.0,
        help="seconds of its minute over which a cron rule starts its targets",
    )
    parser.add_argument("--window", type=int, help="override reporter.scheduleWindowMinutes")
    parser.add_argument(
        "--outage-hours",
        type=float,
        default=0.0,
        help="hours from scheduleHour during which a flood takes every token of the stage",
    )
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument(
        "--products",
        type=float,
        nargs="+",
        help="split the deployments over products in these proportions, each on its own route, Scheduler's window",
    )
    parser.add_argument(
        "--find-stage",
        action="store_true",
        help="with --products: use the smallest rate (burst in the stage's ratio) that refuses no POST",
    )
    parser.add_argument(
        "--shared-bucket",
        action="store_true",
        help="with --products: one bucket for every product (the account's), not one per route",
    )
    options = parser.parse_args()
    stage = stage_limits(options.stack)
    if options.rate or options.burst or options.retry_after or options.no_retry_after:
        retry_after = None if options.no_retry_after else options.retry_after or stage.retry_after
        stage = Stage(f"{stage.name} overridden", options.rate or stage.rate, options.burst or stage.burst, retry_after)
    args, _ = reporter_defaults()
    window = options.window or args.schedule_window_minutes
    print(
        f"stage: {stage.shown()}; reporter: {reporter_shown(window)}; "
        f"cron rule spread {options.rule_spread:g} s; outage {options.outage_hours:g} h; seed {options.seed}"
    )
    if options.products:
        for deployments in options.deployments:
            simulate_products(deployments, options, stage, window)
        return
    outcomes = []
    for deployments in options.deployments:
        outcomes += compare(deployments, stage, options.rule_spread, window, options.seed, options.outage_hours)
    print(table(outcomes))
    for o in outcomes:
        print(f"simulated {o.deployments:,} deployments, {o.schedule}, in {o.seconds:.1f} s")


if __name__ == "__main__":
    main()
