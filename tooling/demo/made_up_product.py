"""The made-up product `make demo` serves beside the default one, as a vendor would add theirs without a fork: its
catalogue entry (acme-widgets.json beside this file: counters of its own, one with a daily maximum), its sample
posts, and a week of its deployments' reports, each posted by the product's own reporter to its route.

The demo posts these reports itself, to `products/<id>/reports`, to show a week of them in seconds; a vendor's own
deployments run the shipped reporter with the entry's text (docs/make-it-yours.md), which tests/test_make_it_yours.py
follows on LocalStack.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import uuid
from dataclasses import dataclass
from pathlib import Path

from components.api_routes import PRODUCT_ROUTE
from contract import products
from tooling.local_cloud.applier import LocalDeployment
from tooling.local_cloud.collector_client import post

ENTRY = Path(__file__).resolve().with_name("acme-widgets.json")
PRODUCT = products.load_file(ENTRY)
# What the demo's stack names (its `products` setting) and what the report is asked for: both products, in order.
STACK_PRODUCTS = (products.DEFAULT_PRODUCT_ID, str(ENTRY))
DEPLOYMENTS = 3
SEED = 20261206  # the same week every run, apart from the dates


def route(product: products.Product) -> str:
    return PRODUCT_ROUTE.format(product=product.id)


def sample_report(stack_id: str, day: dt.date, counters: dict[str, int], version: str = "2.0.0") -> dict:
    return {"version": version, "stack_id": stack_id, "report_date": day.isoformat(), "metrics": counters}


def invalid_reports(day: dt.date) -> dict[str, dict]:
    """What its route refuses (400): another product's counter, a claim to be another product, a daily maximum."""
    stack_id = str(uuid.UUID(int=1, version=4))
    recalled = PRODUCT.counter("widgetsRecalled")
    return {
        "another product's counter": sample_report(stack_id, day, {products.default().counters[0].name: 3}),
        "claims another product": {**sample_report(stack_id, day, {"widgetsMade": 3}), "product": "other"},
        "over its daily maximum": sample_report(stack_id, day, {recalled.name: (recalled.daily_maximum or 0) + 1}),
    }


@dataclass(frozen=True)
class Sent:
    day: dt.date
    stack_id: str
    version: str
    status: int

    def line(self) -> str:
        return f"{self.day}  {self.stack_id[:8]}  v{self.version:<6} HTTP {self.status}"


def run_week(deployment: LocalDeployment, today: dt.date, days: int) -> list[Sent]:
    """Each of DEPLOYMENTS posts its totals for each of `days` full days ending yesterday (one is off some days)."""
    rng = random.Random(SEED)
    fleet = [str(uuid.UUID(int=rng.getrandbits(128), version=4)) for _ in range(DEPLOYMENTS)]
    url = deployment.url(route(PRODUCT))
    sent = []
    for offset in range(days, 0, -1):
        day = today - dt.timedelta(days=offset)
        for index, stack_id in enumerate(fleet):
            if index and rng.random() < 0.2:
                continue
            counters = {name: rng.randrange(1, 500) for name in PRODUCT.counter_names if rng.random() < 0.7}
            counters = counters or {PRODUCT.counters[0].name: 1}
            version = "2.1.0" if offset <= index + 2 else "2.0.0"
            reply = post(url, json.dumps(sample_report(stack_id, day, counters, version)))
            sent.append(Sent(day, stack_id, version, reply.status))
    return sent
