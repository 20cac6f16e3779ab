"""API Gateway mapping templates and the access-log format, read from the files beside this module."""

import json
from pathlib import Path

TEMPLATE_DIR = Path(__file__).parent
STREAM_NAME_TOKEN = "@DELIVERY_STREAM_NAME@"
# Named once: the routes (components/api_routes.py) use it, and fixtures render reports through it.
FIREHOSE_PUT_RECORD = "firehose_put_record.vtl"


def read(name: str) -> str:
    return (TEMPLATE_DIR / name).read_text(encoding="utf-8")


def for_stream(name: str, delivery_stream_name: str) -> str:
    """A request template with the delivery stream it writes to filled in."""
    template = read(name)
    if STREAM_NAME_TOKEN not in template:
        raise ValueError(f"{name} lost its {STREAM_NAME_TOKEN} placeholder")
    return template.replace(STREAM_NAME_TOKEN, delivery_stream_name)


def firehose_put_record(delivery_stream_name: str) -> str:
    return for_stream(FIREHOSE_PUT_RECORD, delivery_stream_name)


def access_log_format() -> str:
    """One-line JSON format, as API Gateway wants it."""
    return json.dumps(json.loads(read("access_log_format.json")), separators=(",", ":"))
