"""Step 2: post the documented example, each key shape, the shipped reporter's form and invalid reports."""

from __future__ import annotations

import json
from dataclasses import dataclass

from local_cloud.applier import LocalDeployment
from local_cloud.collector_client import post
from report.results import QueryResult
from tests.support import reports


@dataclass(frozen=True)
class Post:
    name: str
    path: str
    body: str
    content_type: str | None = "application/json"


def posts() -> tuple[list[Post], list[Post]]:
    """(valid, invalid): the same cases the end-to-end test and the contract tests use."""
    valid = [Post("documentation's example", "record/deployment", reports.DOCUMENTED_EXAMPLE)]
    valid += [Post(f"counters under {key}", "record/deployment", json.dumps(report))
              for key, report in reports.each_key_shape().items()]
    shipped = {"version": "0.0.1", "stack_id": reports.STACK_ID, "collected_metrics": {"tokenizeSuccess": 7}}
    valid.append(Post("shipped reporter (/record, no Content-Type)", "record", json.dumps(shipped), None))
    invalid = [Post(name, "record/deployment", json.dumps(body)) for name, body in reports.INVALID_REPORTS.items()]
    return valid, invalid


def send(deployment: LocalDeployment, batch: list[Post]) -> QueryResult:
    rows = []
    for item in batch:
        reply = post(deployment.url(item.path), item.body, item.content_type)
        rows.append((reply.status, item.name, reply.message or reply.text))
    return QueryResult(("status", "report", "reply"), tuple(rows))
