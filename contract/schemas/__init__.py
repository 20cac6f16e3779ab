"""The report contract, read from the one JSON Schema file.

Standard library only: the reporter Lambda ships this module in its archive, and the
program, the tests and the docs all derive field lists from here rather than repeating them.
"""

import copy
import functools
import json
from pathlib import Path

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


def load_schema() -> dict:
    return json.loads(_cached_schema())


def counter_keys() -> list[str]:
    """The keys a counters object may arrive under, canonical first."""
    keys = [branch["required"][0] for branch in load_schema()["oneOf"]]
    keys.sort(key=lambda k: k != CANONICAL_COUNTERS_KEY)
    return keys


def counter_names() -> list[str]:
    return list(load_schema()["definitions"]["counters"]["properties"])


def counter_maximum() -> int:
    """The largest total one counter may report for one day: the schema's `count` maximum, the one place it lives."""
    return load_schema()["definitions"]["count"]["maximum"]


def scalar_fields() -> list[str]:
    """Top-level report fields other than the counters objects, in schema order."""
    keys = set(counter_keys())
    return [name for name in load_schema()["properties"] if name not in keys]


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


def model_schema_json() -> str:
    """The schema as deployed to API Gateway: refs inlined, compact."""
    return json.dumps(inline_local_refs(load_schema()), separators=(",", ":"), sort_keys=True)
