"""Read what Firehose delivered to the bucket, tolerating what emulators do differently.

LocalStack neither gzips nor expands `!{timestamp:...}` in the prefix (it appends `YYYY/MM/DD/HH/`),
so objects are recognised by content, gzip or not. queries/local_duckdb.py reads such copies as they are.
"""

from __future__ import annotations

import gzip
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from components import warehouse_layout

GZIP_MAGIC = b"\x1f\x8b"
POLL_SECONDS = 0.2


@dataclass(frozen=True)
class DeliveredObject:
    key: str
    text: str
    stored_bytes: int

    @property
    def lines(self) -> list[str]:
        return self.text.splitlines(keepends=True)

    @property
    def records(self) -> list[dict]:
        return [json.loads(line) for line in self.lines]


def decode(raw: bytes) -> str:
    return (gzip.decompress(raw) if raw[:2] == GZIP_MAGIC else raw).decode("utf-8")


def delivered_objects(s3, bucket: str, prefix: str = warehouse_layout.REPORTS_PREFIX) -> list[DeliveredObject]:
    found = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for item in page.get("Contents", []):
            raw = s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()
            found.append(DeliveredObject(item["Key"], decode(raw), len(raw)))
    return sorted(found, key=lambda o: o.key)


def wait_for(s3, bucket: str, done: Callable[[list[DeliveredObject]], bool], deadline_seconds: float = 30.0,
             prefix: str = warehouse_layout.REPORTS_PREFIX) -> list[DeliveredObject]:
    """Poll the bucket until `done(objects)` holds; fail with what was there at the deadline."""
    deadline = time.monotonic() + deadline_seconds
    while True:
        objects = delivered_objects(s3, bucket, prefix)
        if done(objects):
            return objects
        if time.monotonic() > deadline:
            raise TimeoutError(f"delivery not complete after {deadline_seconds:.0f}s; "
                               f"{len(objects)} object(s) under {prefix!r}")
        time.sleep(POLL_SECONDS)


def records(objects: list[DeliveredObject]) -> list[dict]:
    return [record for obj in objects for record in obj.records]


def download(s3, bucket: str, folder: Path, keys: set[str] | None = None,
             prefix: str = warehouse_layout.REPORTS_PREFIX) -> list[Path]:
    """Copy delivered objects (all, or only `keys`) byte for byte into `folder`, under their keys."""
    written = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for item in page.get("Contents", []):
            if keys is None or item["Key"] in keys:
                path = folder / item["Key"]
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read())
                written.append(path)
    return written
