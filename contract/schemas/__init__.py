"""The report contract: the envelope in the one JSON Schema file, a product's counters from its catalogue entry.

`usage_report.schema.json` holds what every product's report shares (version, stack_id, report_date, the canonical
`metrics` key, the `count` bounds) with an empty counters object; `load_schema(product)` fills in the product's
counters and its legacy counters keys (contract/products). Without a product, the default one.

Standard library only: the reporter Lambda ships this module in its archive, and the
program, the tests and the docs all derive field lists from here rather than repeating them.
"""

import copy
import functools
import json
from pathlib import Path
from typing import Optional

from contract import products as catalogue

SCHEMA_PATH = Path(__file__).with_name("usage_report.schema.json")

# Where the stored line keeps the counters, whichever accepted key the client used.
CANONICAL_COUNTERS_KEY = "metrics"

# Added by the API Gateway mapping template, not sent by clients.
RECEIVED_FIELDS = {
    "received_at": ("bigint", "Receive time at the collector, epoch milliseconds (UTC)."),
    "request_id": ("string", "API Gateway request id, for tracing one delivery."),
}


# A report counts only when its report_date lies from this many UTC days before the day the collector received it
# up to that day itself: the longest delay an honest reporter can have, its dead-letter queue's replays included
# (docs/warehouse.md derives it; tests/test_report_date_window.py checks it against the reporter's retry horizon).
# The saved queries read it where they write {report_date_earliest_days}.
REPORT_DATE_EARLIEST_DAYS = 20


@functools.lru_cache(maxsize=1)
def _cached_schema() -> str:
    return SCHEMA_PATH.read_text(encoding="utf-8")


def load_envelope() -> dict:
    """The schema every product's report shares, with no counter in it."""
    return json.loads(_cached_schema())


@functools.lru_cache(maxsize=1)
def _default_product() -> catalogue.Product:
    return catalogue.default()


def load_schema(product: Optional[catalogue.Product] = None) -> dict:
    """The product's report schema: the envelope with its counters and legacy counters keys inserted."""
    product = product or _default_product()
    schema = load_envelope()
    definitions = schema["definitions"]
    ceiling = definitions["count"]["maximum"]
    counters = definitions["counters"]["properties"]
    for counter in product.counters:
        maximum = counter.daily_maximum
        if maximum is not None and maximum > ceiling:
            raise catalogue.CatalogueError(
                f"{product.source}: {counter.name}.daily_maximum = {maximum!r} is not allowed: "
                f"expected at most the report schema's count maximum, {ceiling}"
            )
        if maximum is None or maximum == ceiling:
            counters[counter.name] = {"description": counter.meaning, "$ref": "#/definitions/count"}
        else:
            counters[counter.name] = {**definitions["count"], "maximum": maximum, "description": counter.meaning}
    canonical = schema["properties"][CANONICAL_COUNTERS_KEY]
    for alias in product.counters_keys:
        schema["properties"][alias.key] = {**canonical, "description": alias.meaning}
        schema["oneOf"].append({"required": [alias.key]})
    return schema


def counter_keys(product: Optional[catalogue.Product] = None) -> list[str]:
    """The keys a counters object may arrive under, canonical first."""
    keys = [branch["required"][0] for branch in load_schema(product)["oneOf"]]
    keys.sort(key=lambda k: k != CANONICAL_COUNTERS_KEY)
    return keys


def counter_names(product: Optional[catalogue.Product] = None) -> list[str]:
    return list(load_schema(product)["definitions"]["counters"]["properties"])


def counter_maximum() -> int:
    """The largest total any counter may report for one day: the schema's `count` maximum, the one place it lives.
    A catalogue entry may set a lower one per counter (`daily_maximum`)."""
    return load_envelope()["definitions"]["count"]["maximum"]


def scalar_fields() -> list[str]:
    """Top-level report fields other than the counters objects, in schema order (the same for every product)."""
    return [name for name in load_envelope()["properties"] if name != CANONICAL_COUNTERS_KEY]


def inline_local_refs(schema: dict) -> dict:
    """Return the schema with every `#/definitions/...` reference replaced by its target.

    API Gateway (and LocalStack) treat a `$ref` as a reference to another Model, so the
    model we deploy must be self-contained.
    """
    definitions = schema.get("definitions", {})

    def resolve(node):
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/definitions/"):
                target = definitions[ref.removeprefix("#/definitions/")]
                merged = {k: v for k, v in node.items() if k != "$ref"}
                merged.update(copy.deepcopy(target))
                return resolve(merged)
            return {k: resolve(v) for k, v in node.items() if k != "definitions"}
        if isinstance(node, list):
            return [resolve(item) for item in node]
        return node

    return resolve(schema)


def model_schema_json(product: Optional[catalogue.Product] = None) -> str:
    """The product's schema as deployed to API Gateway: refs inlined, compact."""
    return json.dumps(inline_local_refs(load_schema(product)), separators=(",", ":"), sort_keys=True)
