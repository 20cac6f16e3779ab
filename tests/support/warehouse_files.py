"""Delivered-report objects on disk, made the way the collector makes them: for tests, demos and benchmarks.

Each report body goes through the real request template (mapping_templates' firehose_put_record,
rendered with tests/support/apigateway_vtl.py); the decoded `Record.Data` is the stored line. Lines
are packed into objects under `reports/dt=YYYY-MM-DD/` as Firehose writes them (gzip), or as the
emulators do (plain text under the unexpanded prefix plus `YYYY/MM/DD/HH/`).
"""

from __future__ import annotations

import base64
import datetime
import gzip
import json
import uuid
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import mapping_templates
import schemas
from components import warehouse_layout
from tests.support.apigateway_vtl import RequestContext, render

STREAM_NAME = "warehouse-stream"
UTC = datetime.timezone.utc


@dataclass(frozen=True)
class Delivery:
    """One accepted POST: the body the client sent, when it arrived and the gateway's request id."""
    body: dict
    received_at: datetime.datetime  # UTC
    request_id: str
    # The day Firehose stamps on the object: the arrival day of the object's oldest record, so a record
    # received just after midnight can land in the previous day's object. None means the received day.
    object_day: datetime.date | None = None

    @property
    def received_at_ms(self) -> int:
        return int(self.received_at.timestamp() * 1000)

    @property
    def dt(self) -> str:
        return (self.object_day or self.received_at.date()).isoformat()


def stored_line(delivery: Delivery) -> str:
    """The line the collector stores for this delivery, rendered by the real mapping template."""
    rendered = render(mapping_templates.firehose_put_record(STREAM_NAME), json.dumps(delivery.body),
                      RequestContext(requestTimeEpoch=delivery.received_at_ms, requestId=delivery.request_id))
    return base64.b64decode(json.loads(rendered)["Record"]["Data"]).decode("utf-8")


def stored_line_fast(delivery: Delivery) -> str:
    """The same line built directly, for bulk data (benchmarks); tests hold it equal to `stored_line`."""
    counters = next(delivery.body[key] for key in schemas.counter_keys() if key in delivery.body)
    line = {"received_at": delivery.received_at_ms, "request_id": delivery.request_id,
            "version": delivery.body["version"], "stack_id": delivery.body["stack_id"],
            "report_date": delivery.body.get("report_date"), schemas.CANONICAL_COUNTERS_KEY: counters}
    return json.dumps(line, separators=(",", ":"), ensure_ascii=False) + "\n"


def write_objects(root: Path, deliveries: list[Delivery], *, extra_lines: dict[str, list[str]] | None = None,
                  emulator_layout: bool = False, line_for=stored_line, objects_per_day: int = 1) -> list[Path]:
    """Write each delivery day's lines under root (the bucket) as `objects_per_day` objects, in arrival order;
    `extra_lines` adds raw lines to a day's last object.

    `line_for` turns a delivery into its stored line; the default renders the template (exact, slower).
    """
    by_day: dict[str, list[str]] = defaultdict(list)
    first_arrival: dict[str, datetime.datetime] = {}
    for delivery in sorted(deliveries, key=lambda d: d.received_at):
        by_day[delivery.dt].append(line_for(delivery))
        first_arrival.setdefault(delivery.dt, delivery.received_at)
    for day, lines in (extra_lines or {}).items():
        by_day[day].extend(line if line.endswith("\n") else line + "\n" for line in lines)
        first_arrival.setdefault(day, datetime.datetime.fromisoformat(day).replace(tzinfo=UTC))
    written = []
    for day, lines in sorted(by_day.items()):
        size = -(-len(lines) // objects_per_day)
        for part, start in enumerate(range(0, len(lines), size)):
            written.append(_write_object(root, day, "".join(lines[start:start + size]), first_arrival[day], part,
                                         emulator_layout))
    return written


def _write_object(root: Path, day: str, text: str, opened: datetime.datetime, part: int,
                  emulator_layout: bool) -> Path:
    stamp = opened.strftime("%Y-%m-%d-%H-%M-%S")
    name = f"{STREAM_NAME}-1-{stamp}-{uuid.uuid5(uuid.NAMESPACE_URL, f'{day}/{stamp}/{part}')}"
    if emulator_layout:  # moto and LocalStack: prefix left unexpanded, hour folders appended, not compressed
        path = root / warehouse_layout.FIREHOSE_REPORTS_PREFIX / f"{day.replace('-', '/')}/{opened:%H}" / name
        data = text.encode("utf-8")
    else:
        path = (root / warehouse_layout.REPORTS_PREFIX / f"{warehouse_layout.PARTITION_KEY}={day}"
                / f"{name}{warehouse_layout.OBJECT_EXTENSION}")
        data = gzip.compress(text.encode("utf-8"), compresslevel=6, mtime=0)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


# A small fixed cast for query tests and demos: every case the saved queries must get right.
STACK_STEADY = "0a0a0a0a-0000-4000-8000-00000000000a"      # reports every day, one retried with new totals
STACK_UPGRADER = "0b0b0b0b-0000-4000-8000-00000000000b"    # moves from 1.2.3 to 1.3.0 mid-window
STACK_LATE = "0c0c0c0c-0000-4000-8000-00000000000c"        # one report arrives three days late
STACK_OLD_REPORTER = "0d0d0d0d-0000-4000-8000-00000000000d"  # first shipped reporter: no report_date
STACK_RETURNING = "0e0e0e0e-0000-4000-8000-00000000000e"   # first seen long ago, back in the window
STACK_ODD_DATE = "0f0f0f0f-0000-4000-8000-00000000000f"    # a report_date the pattern allows but no calendar has
MALFORMED_LINE = '{"received_at": 1, "stack_id": "truncated'


def _at(day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    return datetime.datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)


def reference_deliveries(today: datetime.date) -> list[Delivery]:
    """Deliveries over the weeks before `today` (UTC); the saved queries' windows end yesterday."""
    day = lambda n: today - datetime.timedelta(days=n)  # noqa: E731 - n days ago
    out: list[Delivery] = []

    def send(stack_id, version, covered, received, counters, key=schemas.CANONICAL_COUNTERS_KEY, object_day=None,
             **extra):
        body = {"version": version, "stack_id": stack_id, key: counters, **extra}
        if covered is not None:
            body["report_date"] = covered if isinstance(covered, str) else covered.isoformat()
        out.append(Delivery(body, received, f"req-{len(out):04d}", object_day))

    for n in range(10, 0, -1):  # each day's totals arrive just after that day ends
        send(STACK_STEADY, "1.2.3", day(n), _at(day(n - 1), 0, 20), {"tokenizeSuccess": 10 + n, "detokenizeSuccess": n})
    # The reporter retried day 3: a later copy with different totals must win, an identical copy must not count twice.
    send(STACK_STEADY, "1.2.3", day(3), _at(day(2), 0, 25), {"tokenizeSuccess": 99, "detokenizeSuccess": 7})
    send(STACK_STEADY, "1.2.3", day(3), _at(day(2), 0, 30), {"tokenizeSuccess": 99, "detokenizeSuccess": 7})
    for n in range(6, 0, -1):
        version = "1.2.3" if n > 3 else "1.3.0"
        send(STACK_UPGRADER, version, day(n), _at(day(n - 1), 1), {"tokenizeSuccess": 5, "createGrantSuccess": n},
             key="metricsConfig")
    for n in (9, 8, 7, 6):
        send(STACK_LATE, "1.3.0", day(n), _at(day(n - 1), 2), {"detokenizeFailure": 1})
    send(STACK_LATE, "1.3.0", day(5), _at(day(2), 10), {"detokenizeFailure": 4})  # late by three days
    # The first shipped reporter: no report_date, so each counts on its received day. The day-7 one came in
    # just after midnight into an object Firehose had opened the evening before.
    send(STACK_OLD_REPORTER, "0.0.1", None, _at(day(7), 0, 3), {"tokenizeSuccess": 2}, key="collected_metrics",
         object_day=day(8))
    send(STACK_OLD_REPORTER, "0.0.1", None, _at(day(3), 9), {"tokenizeSuccess": 3}, key="collected_metrics")
    send(STACK_OLD_REPORTER, "0.0.1", None, _at(day(1), 12), {"tokenizeSuccess": 4}, key="collected_metrics")
    send(STACK_RETURNING, "1.0.0", day(41), _at(day(40), 3), {"tokenizeFailure": 1})
    send(STACK_RETURNING, "1.3.0", day(2), _at(day(1), 3), {"tokenizeFailure": 2, "createGrantFailure": 1})
    send(STACK_ODD_DATE, "1.3.0", f"{day(4).year}-02-31", _at(day(4), 6), {"createGrantSuccess": 1})
    return out


def write_reference_warehouse(root: Path, today: datetime.date, emulator_layout: bool = False) -> list[Delivery]:
    """The reference deliveries plus one malformed line (in the day-3 object), written under root."""
    deliveries = reference_deliveries(today)
    malformed_day = (today - datetime.timedelta(days=3)).isoformat()
    write_objects(root, deliveries, extra_lines={malformed_day: [MALFORMED_LINE]}, emulator_layout=emulator_layout)
    return deliveries
