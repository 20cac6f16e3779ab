"""Step 2: post the documented example, each key shape, the shipped reporter's form and invalid reports."""

from __future__ import annotations

import json
from dataclasses import dataclass

from components.api_routes import RECORD_PATHS
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


def posts() -> tuple[list[Post], list[Post]]:
    """(valid, invalid): the same cases the end-to-end test and the contract tests use."""
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
    return valid, invalid


def send(deployment: LocalDeployment, batch: list[Post]) -> QueryResult:
    rows = []
    for item in batch:
        reply = post(deployment.url(item.path), item.body, item.content_type)
        rows.append((reply.status, item.name, reply.message or reply.text))
    return QueryResult(("status", "report", "reply"), tuple(rows))
