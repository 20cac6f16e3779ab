"""Ingest throughput through the local emulator: API Gateway validation + VTL + Firehose + S3 on LocalStack.

    .venv/bin/python tooling/benchmarks/localstack_ingest.py [--reports 1000] [--clients 8]

Posts valid reports with concurrent clients (one connection per report, as reporters do), then waits for
every one to land and measures what storing them costs after gzip. LocalStack writes one plain object
per record; Firehose on AWS buffers many records into one gzip object, so both are printed.
These are local-emulator figures on this machine, not AWS's.
"""

from __future__ import annotations

import argparse
import gzip
import statistics
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

from contract import schemas
from contract.warehouse import delivered
from tooling.fixtures import reports
from tooling.local_cloud import offline
from tooling.local_cloud.applier import deploy_ingest_path
from tooling.local_cloud.aws_clients import client
from tooling.local_cloud.collector_client import post
from tooling.local_cloud.emulator import LocalCloud

DELIVERY_DEADLINE_SECONDS = 120.0


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def timed_post(url: str, body: dict) -> tuple[int, float]:
    started = time.perf_counter()
    reply = post(url, body)
    return reply.status, time.perf_counter() - started


def main() -> int:
    offline.prepare()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=8)
    args = parser.parse_args()

    counters = schemas.counter_names()[:3]  # a typical report sends a few of the schema's counters
    bodies = [
        {
            **reports.valid_report(stack_id=str(uuid.uuid4())),
            schemas.CANONICAL_COUNTERS_KEY: dict(zip(counters, (i, i % 7, 1), strict=True)),
        }
        for i in range(args.reports)
    ]
    with LocalCloud() as cloud:
        deployment = deploy_ingest_path(cloud.endpoint_url)
        url = deployment.url()
        post(url, reports.valid_report())  # warm-up: first request compiles the model and the template
        s3 = client("s3", cloud.endpoint_url)
        before = {obj.key for obj in delivered.delivered_objects(s3, deployment.bucket_name)}

        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=args.clients) as pool:
            results = list(pool.map(lambda body: timed_post(url, body), bodies))
        elapsed = time.perf_counter() - started

        wanted = {body["stack_id"] for body in bodies}
        objects = delivered.wait_for(
            s3,
            deployment.bucket_name,
            lambda objs: wanted <= {r["stack_id"] for o in objs if o.key not in before for r in o.records},
            deadline_seconds=DELIVERY_DEADLINE_SECONDS,
        )
    new = [obj for obj in objects if obj.key not in before]
    stored = [record["stack_id"] for obj in new for record in obj.records]
    lines = "".join(obj.text for obj in new).encode()

    statuses = [status for status, _ in results]
    latencies_ms = [seconds * 1000 for _, seconds in results]
    print(f"LocalStack ingest, {args.reports} reports, {args.clients} concurrent clients (local-emulator figures)")
    print(
        f"  accepted (200):            {statuses.count(200)} of {len(statuses)}"
        + (f"  other statuses: {sorted(set(statuses) - {200})}" if set(statuses) - {200} else "")
    )
    print(f"  stored exactly once:       {len(set(stored)) == len(stored) == len(wanted)} ({len(stored)} lines)")
    print(f"  throughput:                {args.reports / elapsed:.0f} reports/s ({elapsed:.1f} s)")
    print(
        f"  latency p50 / p99:         {statistics.median(latencies_ms):.0f} ms / "
        f"{percentile(latencies_ms, 0.99):.0f} ms"
    )
    print(f"  stored line, plain:        {len(lines) / len(stored):.0f} bytes per report")
    print(
        f"  gzip, one object per report (as LocalStack writes): "
        f"{sum(len(gzip.compress(o.text.encode())) for o in new) / len(stored):.0f} bytes per report"
    )
    print(
        f"  gzip, all in one object (as Firehose buffers):      {len(gzip.compress(lines)) / len(stored):.0f} "
        "bytes per report"
    )
    return 0 if statuses.count(200) == len(bodies) and len(stored) == len(wanted) == len(set(stored)) else 1


if __name__ == "__main__":
    sys.exit(main())
