"""API Gateway mapping templates and the access-log format, read from the files beside this module."""

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Optional

from contract import products

TEMPLATE_DIR = Path(__file__).parent
STREAM_NAME_TOKEN = "@DELIVERY_STREAM_NAME@"
# The catalogue's part of a request template (for_stream): a line holding COUNTERS_KEY_TOKEN is written once per
# legacy counters key (none: left out), and PRODUCT_TOKEN becomes PRODUCT_FIELD on a product's own route.
COUNTERS_KEY_TOKEN = "@COUNTERS_KEY@"
PRODUCT_TOKEN = "@PRODUCT_FIELD@"
PRODUCT_FIELD = '""product"":""{product}"",'  # inside the template's double-quoted $line: "" is one quote
# Named once: the routes (components/api_routes.py) use it, and fixtures render reports through it.
FIREHOSE_PUT_RECORD = "firehose_put_record.vtl"
# The request of a route API Gateway answers itself (a mock integration): its status, nothing of the caller.
MOCK_ANSWER_REQUEST = "mock_answer_request.vtl"
# JSON's own escapes for the two characters Velocity acts on (`$` a reference, `#` a directive or comment). In JSON
# text they can only stand inside a string, where the escape decodes to the same character.
_VELOCITY_ESCAPES = {"$": "\\u0024", "#": "\\u0023"}


def read(name: str) -> str:
    return (TEMPLATE_DIR / name).read_text(encoding="utf-8")


def legacy_counters_keys() -> tuple[str, ...]:
    """The keys besides `metrics` the default product's reporters send counters under (its catalogue entry)."""
    return tuple(alias.key for alias in products.default().counters_keys)


def for_stream(
    name: str,
    delivery_stream_name: str,
    product: Optional[str] = None,
    counters_keys: Optional[Sequence[str]] = None,
) -> str:
    """A request template with the delivery stream it writes to filled in, and the catalogue's part: the line that
    reads counters under a legacy key repeated for each of `counters_keys` (None: the default product's), and the
    product the stored line names (None: none, as on the legacy routes, whose lines predate the catalogue)."""
    template = read(name)
    if STREAM_NAME_TOKEN not in template:
        raise ValueError(f"{name} lost its {STREAM_NAME_TOKEN} placeholder")
    keys = legacy_counters_keys() if counters_keys is None else tuple(counters_keys)
    lines = []
    for line in template.splitlines(keepends=True):
        lines += [line.replace(COUNTERS_KEY_TOKEN, key) for key in keys] if COUNTERS_KEY_TOKEN in line else [line]
    stamped = "".join(lines).replace(PRODUCT_TOKEN, PRODUCT_FIELD.format(product=product) if product else "")
    return stamped.replace(STREAM_NAME_TOKEN, delivery_stream_name)


def firehose_put_record(
    delivery_stream_name: str, product: Optional[str] = None, counters_keys: Optional[Sequence[str]] = None
) -> str:
    return for_stream(FIREHOSE_PUT_RECORD, delivery_stream_name, product, counters_keys)


def verbatim_json(value: Any) -> str:
    """`value` as JSON text for a response template that every Velocity engine (API Gateway's, LocalStack's,
    airspeed-ext) renders unchanged: with no `$` or `#` left, the template has no reference, directive or comment,
    and a JSON parser reads back exactly `value` (`"\\u0024schema"` is `"$schema"`)."""
    text = json.dumps(value, indent=2)
    for character, escape in _VELOCITY_ESCAPES.items():
        text = text.replace(character, escape)
    return text


def access_log_format() -> str:
    """One-line JSON format, as API Gateway wants it."""
    return json.dumps(json.loads(read("access_log_format.json")), separators=(",", ":"))
