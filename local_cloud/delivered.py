"""Read what Firehose delivered to the bucket, tolerating what emulators do differently.

LocalStack neither gzips nor expands `!{timestamp:...}` in the prefix, and appends `YYYY/MM/DD/HH/`.
So objects are recognised by content (gzip or not), and `download()` lays them out the way AWS
would: `reports/dt=<UTC arrival day>/<name>.json.gz`, gzip-compressed.
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
    arrival_day: str  # UTC, YYYY-MM-DD: what Firehose's !{timestamp:...} would have written
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
            found.append(DeliveredObject(item["Key"], item["LastModified"].strftime("%Y-%m-%d"), decode(raw), len(raw)))
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


def download(objects: list[DeliveredObject], folder: Path) -> list[Path]:
    """Write the objects as AWS would have laid them out, gzip JSON lines per arrival day."""
    written = []
    for obj in objects:
        name = obj.key.rsplit("/", 1)[-1].removesuffix(warehouse_layout.OBJECT_EXTENSION)
        path = (folder / warehouse_layout.REPORTS_PREFIX / f"{warehouse_layout.PARTITION_KEY}={obj.arrival_day}"
                / f"{name}{warehouse_layout.OBJECT_EXTENSION}")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(gzip.compress(obj.text.encode("utf-8"), mtime=0))
        written.append(path)
    return written
