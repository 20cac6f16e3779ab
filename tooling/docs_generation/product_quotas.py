"""What one more product costs a collector, counted from the program under mocks, and how many products fit before an
AWS quota binds (the "What a product costs" section of docs/products.md).

The prod stack is run naming 1, 2 and 3 products (the default one, then made-up entries): the difference between
consecutive runs, by resource type, is what one more product adds; it must be the same both times, or the table
would not be a per-product figure. The stage's throttle is read from the MethodSettings the run registers.

API Gateway applies a stage's `*/*` method settings to each method on its own (AWS's "Throttle requests to your REST
APIs" page: per-API, per-stage limits are applied at the API method level), so every POST route has its own bucket
of the stage's rate and burst; the account's limits are one bucket over every method of every API in the region.
"""

from __future__ import annotations

import functools
import itertools
import json
import tempfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from contract import products
from stack_config import PRODUCTS_KEY, PROJECT
from tooling.mocked_program.pulumi_mocks import ProgramRun, run_program, stack_config

STACK = "prod"
RESOURCE = "aws:apigateway/resource:Resource"
METHOD = "aws:apigateway/method:Method"
MODEL = "aws:apigateway/model:Model"
NAMED_QUERY = "aws:athena/namedQuery:NamedQuery"
METHOD_SETTINGS = "aws:apigateway/methodSettings:MethodSettings"
SAMPLE_SIZES = (1, 2, 3)


@dataclass(frozen=True)
class Quota:
    what: str
    limit: int
    source: str


READ_ON = "read on 2026-12-06"
REST_QUOTAS_PAGE = (
    "[REST API quotas](https://docs.aws.amazon.com/apigateway/latest/developerguide/"
    f"api-gateway-execution-service-limits-table.html), default, adjustable; {READ_ON}"
)
ACCOUNT_THROTTLE = "account-level, per region (shared field notes; AWS's API Gateway quotas page)"
RESOURCES_PER_API = Quota("Resources per API", 300, REST_QUOTAS_PAGE)
ACCOUNT_RATE = Quota("Account throttle, steady requests/s", 10_000, ACCOUNT_THROTTLE)
ACCOUNT_BURST = Quota("Account throttle, burst", 5_000, ACCOUNT_THROTTLE)


def _entry(index: int) -> dict:
    return {
        "id": f"fleet-product-{index}",
        "display_name": f"Fleet product {index}",
        "version_format": "semver",
        "counters": [{"name": "itemsMade", "meaning": "Items made."}],
    }


def run_with(count: int, folder: Path) -> ProgramRun:
    """The prod stack naming the default product and `count - 1` made-up ones."""
    references = [products.DEFAULT_PRODUCT_ID]
    for index in range(1, count):
        path = folder / f"fleet-product-{index}.json"
        path.write_text(json.dumps(_entry(index)), encoding="utf-8")
        references.append(str(path))
    config = stack_config(STACK)
    config[f"{PROJECT}:{PRODUCTS_KEY}"] = json.dumps(references)
    return run_program(STACK, config)


@dataclass(frozen=True)
class ProductCosts:
    base: Counter  # what a stack naming only the default product registers, by type
    per_product: Counter  # what each further product adds, by type
    rate: float  # each method's steady rate, from the stage's method settings
    burst: int

    def at(self, typ: str, count: int) -> int:
        return self.base[typ] + (count - 1) * self.per_product[typ]


# Three runs of the program: the docs' freshness test and the table's own tests ask for it in one process.
@functools.cache
def product_costs() -> ProductCosts:
    with tempfile.TemporaryDirectory() as folder:
        runs = [run_with(count, Path(folder)) for count in SAMPLE_SIZES]
    counts = [Counter(r.typ for r in run.resources) for run in runs]
    steps = [later - earlier for earlier, later in itertools.pairwise(counts)]
    if any(earlier - later for earlier, later in itertools.pairwise(counts)):
        raise AssertionError("a further product removed a resource: the per-product table would not add up")
    if len({tuple(sorted(step.items())) for step in steps}) != 1:
        raise AssertionError(f"one more product does not add the same resources each time: {steps}")
    settings = runs[0].one(METHOD_SETTINGS).inputs["settings"]
    return ProductCosts(
        counts[0], steps[0], float(settings["throttlingRateLimit"]), int(settings["throttlingBurstLimit"])
    )


def quota_use(costs: ProductCosts) -> dict[Quota, tuple[float, float, str]]:
    """Per quota: what the first product uses of it, what each further product adds, and in what."""
    return {
        RESOURCES_PER_API: (costs.at(RESOURCE, 1), costs.per_product[RESOURCE], "resources"),
        ACCOUNT_RATE: (costs.at(METHOD, 1) * costs.rate, costs.per_product[METHOD] * costs.rate, "requests/s"),
        ACCOUNT_BURST: (costs.at(METHOD, 1) * costs.burst, costs.per_product[METHOD] * costs.burst, "requests"),
    }


def largest_counts(costs: ProductCosts) -> dict[Quota, int]:
    """Per quota, the most products a collector holds while still within it."""
    return {quota: 1 + int((quota.limit - first) // each) for quota, (first, each, _) in quota_use(costs).items()}


def _short(typ: str) -> str:
    return typ.split(":")[-1]


def quota_table() -> str:
    costs = product_costs()
    rows = [
        f"Generated by `python -m tooling.docs_generation` from the `{STACK}` stack run under mocks naming 1, 2 and 3 "
        "products (`tooling/docs_generation/product_quotas.py`).",
        "",
        "| Resource type | One product (the default) | Each further product | Three products |",
        "| --- | ---: | ---: | ---: |",
    ]
    for typ in sorted(costs.per_product):
        rows.append(f"| `{typ}` | {costs.base[typ]} | +{costs.per_product[typ]} | {costs.at(typ, 3)} |")
    total_base, total_each = sum(costs.base.values()), sum(costs.per_product.values())
    rows.append(
        f"| **Every resource the stack registers** | {total_base} | +{total_each} | {total_base + 2 * total_each} |"
    )
    largest = largest_counts(costs)
    rows += [
        "",
        f"Each method has its own bucket of the stage's {costs.rate:g} requests/s (burst {costs.burst}); the account's "
        "bucket is shared by every method of every API in the region.",
        "",
        "| Quota | Limit | Used by one product | Each further product | Most products within it | Source |",
        "| --- | ---: | ---: | ---: | ---: | --- |",
    ]
    used = quota_use(costs)
    for quota, count in largest.items():
        first, each, unit = used[quota]
        rows.append(f"| {quota.what} | {quota.limit:,} | {first:,g} {unit} | +{each:,g} | {count:,} | {quota.source} |")
    binding = min(largest, key=largest.__getitem__)
    rows += [
        "",
        f"The first quota to bind: **{binding.what.lower()}, at {largest[binding]:,} products** "
        f"(`{_short(NAMED_QUERY)}`: {costs.per_product[NAMED_QUERY]} saved queries a product; Athena documents no "
        "quota on saved queries per workgroup or account, so they do not bind).",
    ]
    return "\n".join(rows)
