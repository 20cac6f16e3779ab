"""What Firehose delivered to the bucket, read the same way from S3 and from a local copy of it.

Emulators differ from Firehose: LocalStack and moto neither gzip nor expand `!{timestamp:...}` in the
prefix (they append `YYYY/MM/DD/HH/`), so an object is recognised by its content, gzip or not, and its
delivery day by either folder form. Standard library only: the S3 client is handed in.
"""

from __future__ import annotations

import datetime
import gzip
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from contract.products import DEFAULT_PRODUCT_ID
from contract.warehouse import layout

GZIP_MAGIC = b"\x1f\x8b"
POLL_SECONDS = 0.2
_PARTITION_FOLDER = re.compile(rf"{layout.PARTITION_KEY}=(\d{{4}}-\d{{2}}-\d{{2}})")
_HOUR_FOLDERS = re.compile(r"(\d{4})/(\d{2})/(\d{2})/\d{2}")


class WarehouseLayoutError(ValueError):
    """An object's key does not say which day it was delivered."""


@dataclass(frozen=True)
class DeliveredObject:
    key: str  # below the bucket root
    raw: bytes

    @property
    def text(self) -> str:
        return decode(self.raw)

    @property
    def lines(self) -> list[str]:
        return self.text.splitlines(keepends=True)

    @property
    def records(self) -> list[dict]:
        return [json.loads(line) for line in self.lines]


def decode(raw: bytes) -> str:
    return (gzip.decompress(raw) if raw[:2] == GZIP_MAGIC else raw).decode("utf-8")


def _valid_day(text: str) -> str | None:
    try:
        return datetime.date.fromisoformat(text).isoformat()
    except ValueError:
        return None


def delivery_day(key: str) -> str:
    """The dt partition of an object, from its key."""
    for match in _PARTITION_FOLDER.finditer(key):
        if day := _valid_day(match.group(1)):
            return day
    for match in _HOUR_FOLDERS.finditer(key):
        if day := _valid_day("-".join(match.groups())):
            return day
    raise WarehouseLayoutError(
        f"cannot tell which day {key!r} was delivered: expected a "
        f"{layout.PARTITION_KEY}=YYYY-MM-DD folder or YYYY/MM/DD/HH folders in its key"
    )


def delivered_objects(s3, bucket: str, prefix: str = layout.REPORTS_PREFIX) -> list[DeliveredObject]:
    found = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for item in page.get("Contents", []):
            found.append(DeliveredObject(item["Key"], s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()))
    return sorted(found, key=lambda o: o.key)


@dataclass(frozen=True)
class LocalObject:
    """A delivered object in a local copy of the bucket, described without loading it (DuckDB reads the file)."""

    key: str  # below the reports folder
    gzipped: bool
    stored_bytes: int

    @property
    def dt(self) -> str:
        return delivery_day(self.key)


def _local_object(path: Path, root: Path) -> LocalObject:
    with path.open("rb") as file:
        head = file.read(len(GZIP_MAGIC))
    return LocalObject(path.relative_to(root).as_posix(), head == GZIP_MAGIC, path.stat().st_size)


def local_objects(warehouse_dir: str | Path) -> dict[Path, LocalObject]:
    """A local copy of the bucket (or of its reports folder): file path -> the object it holds."""
    warehouse_dir = Path(warehouse_dir)
    if not warehouse_dir.is_dir():
        raise FileNotFoundError(f"warehouse folder {warehouse_dir} does not exist")
    below = warehouse_dir / layout.REPORTS_PREFIX
    root = below if below.is_dir() else warehouse_dir
    return {
        path.resolve(): _local_object(path, root)
        for path in sorted(p for p in root.rglob("*") if p.is_file() and not p.name.startswith("."))
    }


def wait_for(
    s3,
    bucket: str,
    done: Callable[[list[DeliveredObject]], bool],
    deadline_seconds: float = 30.0,
    prefix: str = layout.REPORTS_PREFIX,
) -> list[DeliveredObject]:
    """Poll the bucket until `done(objects)` holds; fail with what was there at the deadline."""
    deadline = time.monotonic() + deadline_seconds
    while True:
        objects = delivered_objects(s3, bucket, prefix)
        if done(objects):
            return objects
        if time.monotonic() > deadline:
            raise TimeoutError(
                f"delivery not complete after {deadline_seconds:.0f}s; {len(objects)} object(s) under {prefix!r}"
            )
        time.sleep(POLL_SECONDS)


def counted_product(record: dict) -> str:
    """The product a stored line counts for, as contract/queries/counted_product.sqlpart says in SQL: the one it
    names; a line from the legacy routes names none and is the default product's."""
    return record.get("product") or DEFAULT_PRODUCT_ID


def records(objects: list[DeliveredObject]) -> list[dict]:
    return [record for obj in objects for record in obj.records]


def download(
    s3, bucket: str, folder: Path, keys: set[str] | None = None, prefix: str = layout.REPORTS_PREFIX
) -> list[Path]:
    """Copy delivered objects (all, or only `keys`) byte for byte into `folder`, under their keys."""
    written = []
    for obj in delivered_objects(s3, bucket, prefix):
        if keys is None or obj.key in keys:
            path = folder / obj.key
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(obj.raw)
            written.append(path)
    return written
