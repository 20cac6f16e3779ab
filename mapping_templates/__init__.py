"""API Gateway mapping templates and the access-log format, read from the files beside this module."""

import json
from pathlib import Path

TEMPLATE_DIR = Path(__file__).parent
STREAM_NAME_TOKEN = "@DELIVERY_STREAM_NAME@"


def read(name: str) -> str:
    return (TEMPLATE_DIR / name).read_text(encoding="utf-8")


def firehose_put_record(delivery_stream_name: str) -> str:
    template = read("firehose_put_record.vtl")
    if STREAM_NAME_TOKEN not in template:
        raise ValueError(f"firehose_put_record.vtl lost its {STREAM_NAME_TOKEN} placeholder")
    return template.replace(STREAM_NAME_TOKEN, delivery_stream_name)


def access_log_format() -> str:
    """One-line JSON format, as API Gateway wants it."""
    return json.dumps(json.loads(read("access_log_format.json")), separators=(",", ":"))
