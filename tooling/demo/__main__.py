"""`python -m tooling.demo` (or `make demo`): start LocalStack, deploy the ingest path the program registers for a
stack serving two products (the default one and a made-up one, tooling/demo/made_up_product.py), post reports,
run the reporter for a simulated week and the made-up product's deployments for the same week, query what was
delivered, report it per product (PNG charts and the HTML report), stop.

Everything stays on 127.0.0.1; outputs go to demo-output/ (or the folder given as the one argument).
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import sys
import time
from pathlib import Path

from contract import products
from contract.queries import load_saved_queries, saved_query_name
from contract.warehouse import delivered
from stack_config import PRODUCTS_KEY, PROJECT
from tooling.demo import made_up_product, sample_posts, simulated_deployments
from tooling.local_cloud import offline
from tooling.local_cloud.applier import deploy_ingest_path
from tooling.local_cloud.aws_clients import client
from tooling.local_cloud.emulator import LocalCloud
from tooling.mocked_program.pulumi_mocks import stack_config
from usage_report import cli as usage_report
from usage_report import text_tables
from usage_report.local_warehouse import run_locally
from usage_report.results import QueryResult

REPO = Path(__file__).resolve().parents[2]


def step(number: int, title: str) -> None:
    print(f"\n== {number}. {title}", flush=True)


def demo_stack_config() -> dict[str, str]:
    """The dev stack's config, naming both products as a vendor's stack would (docs/products.md)."""
    config = stack_config("dev")
    config[f"{PROJECT}:{PRODUCTS_KEY}"] = json.dumps(list(made_up_product.STACK_PRODUCTS))
    return config


def lines_per_product(objects: list[delivered.DeliveredObject]) -> dict[str, int]:
    """Delivered lines by the product they count for: a line without one (a legacy route's) is the default's."""
    counted: dict[str, int] = {}
    for obj in objects:
        for record in obj.records:
            product = delivered.counted_product(record)
            counted[product] = counted.get(product, 0) + 1
    return counted


def active_on(warehouse: Path, today: dt.date, product: products.Product, served) -> int:
    """Deployments active yesterday, as the product's saved query (the report's summary figure) answers."""
    query = "daily_active_deployments"
    result = run_locally(
        saved_query_name(query, product),
        warehouse,
        today,
        sql=load_saved_queries(product)[query],
        catalogue=served,
    )
    yesterday = today - dt.timedelta(days=1)
    return sum(count for day, count in result.rows if day == yesterday)


def main(output: Path) -> int:
    offline.prepare()
    today = dt.datetime.now(dt.UTC).date()
    started = time.monotonic()
    step(1, "Local cloud: LocalStack on 127.0.0.1, and the ingest path the Pulumi program registers")
    with LocalCloud() as cloud:
        print(f"LocalStack {cloud.endpoint_url} (pid {cloud.pid}, data in {cloud.data_dir})")
        deployment = deploy_ingest_path(cloud.endpoint_url, config=demo_stack_config())
        print(
            f"created {len(deployment.applied)} resources; skipped {len(deployment.skipped)} "
            "that LocalStack does not run here:"
        )
        for reason in sorted(set(deployment.skipped.values())):
            names = sorted(name for name, why in deployment.skipped.items() if why == reason)
            print(f"  - {len(names)} ({', '.join(names[:3])}{', ...' if len(names) > 3 else ''}): {reason}")
        for path, url in deployment.record_urls().items():
            print(f"POST /{path}: {url}")
        served = products.catalogue(made_up_product.STACK_PRODUCTS)
        for product in served:
            path = made_up_product.route(product)
            print(f"POST /{path}: {deployment.url(path)} ({product.display_name})")

        step(2, "Posting reports")
        valid, invalid = sample_posts.posts(today)
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
        made_up = made_up_product.PRODUCT
        step(
            4,
            f"{made_up.display_name}: {made_up_product.DEPLOYMENTS} deployments of the made-up product, "
            f"{simulated_deployments.DAYS} days, each posting its own counters to /{made_up_product.route(made_up)}",
        )
        made_up_runs = made_up_product.run_week(deployment, today, simulated_deployments.DAYS)
        print("\n".join(run.line() for run in made_up_runs))

        step(5, "Delivered objects, and the saved queries on them with DuckDB")
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

    step(6, "Usage report, a part per product (the same command runs on Athena with --stack)")
    charts = output / "charts"
    shutil.rmtree(charts, ignore_errors=True)
    page = output / "report.html"
    named = [argument for reference in made_up_product.STACK_PRODUCTS for argument in ("--product", reference)]
    status = usage_report.main(
        ["--local", str(warehouse), "--today", today.isoformat(), *named, "--charts", str(charts), "--html", str(page)]
    )
    reporter_sent = [run for run in runs if " sent " in run]
    made_up_sent = [run for run in made_up_runs if run.status == 200]
    posted = {products.DEFAULT_PRODUCT_ID: 0, made_up.id: len(made_up_sent)}
    for post, (reply_status, *_) in zip(valid, accepted.rows, strict=True):
        if reply_status == 200:
            owner = made_up.id if post.path == made_up_product.route(made_up) else products.DEFAULT_PRODUCT_ID
            posted[owner] += 1
    posted[products.DEFAULT_PRODUCT_ID] += len(reporter_sent)
    yesterday = (today - dt.timedelta(days=1)).isoformat()
    active_expected = {
        products.DEFAULT_PRODUCT_ID: sum(run.startswith(yesterday) for run in reporter_sent),
        made_up.id: len({run.stack_id for run in made_up_sent if run.day.isoformat() == yesterday}),
    }
    # A sample post dated yesterday counts too: each product's route got one (sample_posts.product_posts).
    for product_id in active_expected:
        active_expected[product_id] += 1
    delivered_lines = lines_per_product(objects)
    summary = QueryResult(
        ("what", "count", "expected"),
        (
            ("valid reports accepted (200)", accepted.column("status").count(200), len(valid)),
            ("invalid reports rejected (400)", rejected.column("status").count(400), len(invalid)),
            ("reporter runs that sent", len(reporter_sent), len(runs)),
            (f"{made_up.id} reports accepted (200)", len(made_up_sent), len(made_up_runs)),
            ("lines delivered to S3", lines, sum(posted.values())),
            *(
                (f"{product.id} lines delivered", delivered_lines.get(product.id, 0), posted[product.id])
                for product in served
            ),
            *(
                (
                    f"{product.id} active yesterday ({saved_query_name('daily_active_deployments', product)})",
                    active_on(warehouse, today, product, served),
                    active_expected[product.id],
                )
                for product in served
            ),
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
