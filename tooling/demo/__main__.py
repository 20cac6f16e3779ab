"""`python -m tooling.demo` (or `make demo`): start LocalStack, deploy the ingest path the program registers,
post reports, run the reporter for a simulated week, query what was delivered, chart it (PNG charts and the
HTML report), stop.

Everything stays on 127.0.0.1; outputs go to demo-output/ (or the folder given as the one argument).
"""

from __future__ import annotations

import datetime as dt
import shutil
import sys
import time
from pathlib import Path

from contract.warehouse import delivered
from tooling.demo import sample_posts, simulated_deployments
from tooling.local_cloud import offline
from tooling.local_cloud.applier import deploy_ingest_path
from tooling.local_cloud.aws_clients import client
from tooling.local_cloud.emulator import LocalCloud
from usage_report import cli as usage_report
from usage_report import text_tables
from usage_report.results import QueryResult

REPO = Path(__file__).resolve().parents[2]


def step(number: int, title: str) -> None:
    print(f"\n== {number}. {title}", flush=True)


def main(output: Path) -> int:
    offline.prepare()
    today = dt.datetime.now(dt.UTC).date()
    started = time.monotonic()
    step(1, "Local cloud: LocalStack on 127.0.0.1, and the ingest path the Pulumi program registers")
    with LocalCloud() as cloud:
        print(f"LocalStack {cloud.endpoint_url} (pid {cloud.process.pid}, data in {cloud.data_dir})")
        deployment = deploy_ingest_path(cloud.endpoint_url)
        print(
            f"created {len(deployment.applied)} resources; skipped {len(deployment.skipped)} "
            "that LocalStack does not run here:"
        )
        for reason in sorted(set(deployment.skipped.values())):
            names = sorted(name for name, why in deployment.skipped.items() if why == reason)
            print(f"  - {len(names)} ({', '.join(names[:3])}{', ...' if len(names) > 3 else ''}): {reason}")
        for path, url in deployment.record_urls().items():
            print(f"POST /{path}: {url}")

        step(2, "Posting reports")
        valid, invalid = sample_posts.posts()
        accepted = sample_posts.send(deployment, valid)
        rejected = sample_posts.send(deployment, invalid)
        print(text_tables.render("Valid reports", accepted))
        print(text_tables.render("Invalid reports", rejected))
        print(
            "(LocalStack answers a rejected body with its own message; AWS renders the BAD_REQUEST_BODY\n"
            " template, contract/templates/bad_request_body_response.vtl, with the validation error.)"
        )

        step(
            3,
            f"Reporter: {simulated_deployments.DEPLOYMENTS} simulated deployments, "
            f"{simulated_deployments.DAYS} days, each with its own CloudWatch",
        )
        runs = simulated_deployments.run_week(deployment, today)
        print("\n".join(runs))

        step(4, "Delivered objects, and the saved queries on them with DuckDB")
        s3 = client("s3", cloud.endpoint_url)
        objects = delivered.delivered_objects(s3, deployment.bucket_name)
        lines = sum(len(obj.lines) for obj in objects)
        print(
            f"{len(objects)} objects in s3://{deployment.bucket_name}/ "
            "(LocalStack writes one object per record and does not gzip)"
        )
        warehouse = output / "warehouse"
        shutil.rmtree(warehouse, ignore_errors=True)
        delivered.download(s3, deployment.bucket_name, warehouse)

    step(5, "Usage report (the same command runs on Athena with --stack)")
    charts = output / "charts"
    shutil.rmtree(charts, ignore_errors=True)
    page = output / "report.html"
    status = usage_report.main(
        ["--local", str(warehouse), "--today", today.isoformat(), "--charts", str(charts), "--html", str(page)]
    )
    sent = sum(status == 200 for status, *_ in accepted.rows) + sum(" sent " in run for run in runs)
    summary = QueryResult(
        ("what", "count", "expected"),
        (
            ("valid reports accepted (200)", accepted.column("status").count(200), len(valid)),
            ("invalid reports rejected (400)", rejected.column("status").count(400), len(invalid)),
            ("reporter runs that sent", sum(" sent " in run for run in runs), len(runs)),
            ("lines delivered to S3", lines, sent),
        ),
    )
    print(text_tables.render("Summary", summary))
    print(f"charts: {', '.join(str(p) for p in sorted(charts.glob('*.png')))}")
    print(f"report: {page} (open it in a browser)")
    print(f"LocalStack stopped; demo took {time.monotonic() - started:.0f}s")
    complete = all(count == expected for _, count, expected in summary.rows)
    return status or (0 if complete else 1)


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]) if len(sys.argv) > 1 else REPO / "demo-output"))
