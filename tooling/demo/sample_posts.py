"""Step 2: post the documented example, each key shape, the shipped reporter's form and invalid reports, then a
report to each product's own route and what the made-up product's route refuses."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from components.api_routes import RECORD_PATHS
from contract import products
from tooling.demo import made_up_product
from tooling.fixtures import reports
from tooling.local_cloud.applier import LocalDeployment
from tooling.local_cloud.collector_client import post
from usage_report.results import QueryResult

SHIPPED_REPORTER_PATH, DOCUMENTED_PATH = RECORD_PATHS


@dataclass(frozen=True)
class Post:
    name: str
    path: str
    body: str
    content_type: str | None = "application/json"


def posts(today: dt.date) -> tuple[list[Post], list[Post]]:
    """(valid, invalid): the legacy routes' cases (those the end-to-end test and the contract tests use), then the
    products' routes'."""
    valid = [Post("documentation's example", DOCUMENTED_PATH, reports.DOCUMENTED_EXAMPLE)]
    valid += [
        Post(f"counters under {key}", DOCUMENTED_PATH, json.dumps(report))
        for key, report in reports.each_key_shape().items()
    ]
    valid.append(
        Post(
            f"shipped reporter (/{SHIPPED_REPORTER_PATH}, no Content-Type)",
            SHIPPED_REPORTER_PATH,
            json.dumps(reports.shipped_reporter_report()),
            None,
        )
    )
    invalid = [Post(name, DOCUMENTED_PATH, json.dumps(body)) for name, body in reports.INVALID_REPORTS.items()]
    product_valid, product_invalid = product_posts(today)
    return valid + product_valid, invalid + product_invalid


def product_posts(today: dt.date) -> tuple[list[Post], list[Post]]:
    """A report to each product's own route (its line names the product), and what the made-up one's refuses."""
    made_up = made_up_product.PRODUCT
    made_up_route = made_up_product.route(made_up)
    yesterday = today - dt.timedelta(days=1)
    valid = [
        Post(
            f"{products.DEFAULT_PRODUCT_ID} on its own route",
            made_up_product.route(products.default()),
            json.dumps(reports.valid_report(report_date=yesterday.isoformat())),
        ),
        Post(
            f"{made_up.id}: its own counters",
            made_up_route,
            json.dumps(made_up_product.sample_report(reports.STACK_ID, yesterday, {made_up.counters[0].name: 12})),
        ),
    ]
    invalid = [
        Post(f"{made_up.id}: {name}", made_up_route, json.dumps(body))
        for name, body in made_up_product.invalid_reports(yesterday).items()
    ]
    return valid, invalid


def send(deployment: LocalDeployment, batch: list[Post]) -> QueryResult:
    rows = []
    for item in batch:
        reply = post(deployment.url(item.path), item.body, item.content_type)
        rows.append((reply.status, item.name, reply.message or reply.text))
    return QueryResult(("status", "report", "reply"), tuple(rows))
