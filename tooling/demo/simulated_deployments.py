"""Step 3: a week of a few product deployments, each with its own account and CloudWatch in LocalStack.

Each day every active deployment publishes its counters the way the product does, then the reporter
handler runs as its schedule would just after midnight UTC and posts through the real endpoint.
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from dataclasses import dataclass

from contract import schemas
from tooling.fixtures import product_metrics
from tooling.local_cloud.applier import LocalDeployment
from tooling.local_cloud.aws_clients import client
from tooling.local_cloud.reporter_run import run_reporter

DEPLOYMENTS = 5
DAYS = 7
SEED = 20261127  # the same week every run, apart from the dates
RUN_AFTER_MIDNIGHT = dt.timedelta(minutes=17)


@dataclass(frozen=True)
class Deployment:
    account: str
    stack_id: str
    upgrade_day: int  # from this day on it runs the newer version


def run_week(deployment: LocalDeployment, today: dt.date) -> list[str]:
    """Seed and report DAYS full days ending yesterday; returns one line per reporter run."""
    rng = random.Random(SEED)
    fleet = [
        Deployment(
            f"{100000000000 + i:012d}", str(uuid.UUID(int=rng.getrandbits(128), version=4)), rng.randrange(DAYS + 1)
        )
        for i in range(DEPLOYMENTS)
    ]
    lines = []
    for offset in range(DAYS, 0, -1):
        day = today - dt.timedelta(days=offset)
        for index, member in enumerate(fleet):
            if rng.random() < 0.2 and index:  # some deployments are switched off on some days
                continue
            version = "1.3.0" if DAYS - offset >= member.upgrade_day else "1.2.3"
            cloudwatch = client("cloudwatch", deployment.endpoint_url, account=member.account)
            for name in schemas.counter_names():
                if rng.random() < 0.6:
                    when = dt.datetime.combine(day, dt.time(rng.randrange(24), rng.randrange(60)), dt.UTC)
                    product_metrics.publish(
                        cloudwatch,
                        name,
                        rng.randrange(1, 50),
                        when,
                        product_metrics.dimensions(member.stack_id, version),
                    )
            lines.append(_report(deployment, member, version, day))
    return lines


def _report(deployment: LocalDeployment, member: Deployment, version: str, day: dt.date) -> str:
    scheduled = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), dt.UTC) + RUN_AFTER_MIDNIGHT
    entry = run_reporter(
        collector_url=deployment.url(),
        endpoint_url=deployment.endpoint_url,
        account=member.account,
        stack_id=member.stack_id,
        version=version,
        namespace=product_metrics.NAMESPACE,
        scheduled=scheduled,
    )
    total = sum(entry["totals"].values())
    return (
        f"{entry['report_date']}  {member.stack_id[:8]}  v{version:<6} {entry['outcome']} "
        f"(HTTP {entry['status']}, {entry['attempts']} attempt(s)), {total:,} events in total"
    )
