"""How much of the warehouse the 7-day "active deployments" saved query reads, with partition projection.

    .venv/bin/python tooling/benchmarks/athena_partition_pruning.py [--deployments 2000] [--days 365] \\
        [--objects-per-day 4]

Writes a synthetic year the way Firehose would (gzip JSON lines under reports/dt=YYYY-MM-DD/, lines shaped
exactly like the request template's, which tests/test_saved_queries.py checks), then takes the `dt`
predicates of contract/queries/daily_active_deployments.sql, evaluates them over the year's partition values as
Athena's projection does, and counts the objects and bytes those partitions hold against the whole table.
Athena scans whole objects of the partitions it selects (gzip cannot be split), so these bytes are what
it would bill. Finally it runs the query with DuckDB on the whole year and on the selected partitions
only, to show that pruning does not change the answer. Offline; about two minutes on 2 cores (most of it
writing the year; `--deployments 200` is quicker and gives the same ratio).
"""

from __future__ import annotations

import argparse
import datetime
import os
import random
import tempfile
import time
import uuid
from pathlib import Path

import duckdb
import sqlglot
from sqlglot import exp

from contract import queries, schemas
from contract.warehouse import delivered
from contract.warehouse.columns import PARTITION_COLUMN
from tooling.fixtures.warehouse_files import UTC, Delivery, stored_line_fast, write_objects
from usage_report import local_duckdb

QUERY = "daily_active_deployments"
WINDOW_DAYS = 7
VERSIONS = ("1.2.3", "1.3.0", "1.4.2", "2.0.0")
OLD_REPORTER_SHARE = 0.1  # deployments still on the first shipped reporter (no report_date)


def write_year(root: Path, today: datetime.date, deployments: int, days: int, objects_per_day: int) -> int:
    """Each deployment reports every day; a day's totals arrive in the first hour of the next UTC day."""
    rng = random.Random(42)
    stacks = [
        (
            str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            rng.choice(VERSIONS),
            rng.random() < OLD_REPORTER_SHARE,
            rng.randrange(3600),
        )
        for _ in range(deployments)
    ]
    counters = schemas.counter_names()
    lines = 0
    for n in range(days, 0, -1):
        covered = today - datetime.timedelta(days=n)
        arrival = datetime.datetime.combine(covered + datetime.timedelta(days=1), datetime.time(), UTC)
        batch: list[Delivery] = []
        for stack_id, version, old_reporter, offset in stacks:
            totals = {name: rng.randrange(1000) for name in rng.sample(counters, 3)}
            body = {"version": version, "stack_id": stack_id, "metrics": totals}
            if not old_reporter:
                body["report_date"] = covered.isoformat()
            batch.append(Delivery(body, arrival + datetime.timedelta(seconds=offset), f"req-{lines + len(batch)}"))
        write_objects(root, batch, line_for=stored_line_fast, objects_per_day=objects_per_day)
        lines += len(batch)
    return lines


def partition_predicates(sql: str) -> list[exp.Expr]:
    """The WHERE conditions that involve the partition column only: what Athena uses to pick partitions."""
    tree = sqlglot.parse_one(sql, read="athena")
    found: list[exp.Expr] = []
    for where in tree.find_all(exp.Where):
        for condition in where.this.flatten() if isinstance(where.this, exp.And) else [where.this]:
            names = {c.name for c in condition.find_all(exp.Column)}
            if names == {PARTITION_COLUMN.name}:
                found.append(condition)
    return found


def selected_partitions(sql: str, partitions: list[str], today: datetime.date) -> list[str]:
    predicates = partition_predicates(sql)
    if not predicates:
        raise SystemExit(f"{QUERY} has no predicate on {PARTITION_COLUMN.name}: Athena would read every partition")
    where = " AND ".join(p.sql("athena") for p in predicates)
    probe = local_duckdb.to_duckdb(f"SELECT {PARTITION_COLUMN.name} FROM partitions WHERE {where}", today)
    with duckdb.connect() as con:
        con.execute(f"CREATE TABLE partitions ({PARTITION_COLUMN.name} VARCHAR)")
        con.executemany("INSERT INTO partitions VALUES (?)", [(p,) for p in partitions])
        return sorted(row[0] for row in con.execute(probe).fetchall())


def timed_answer(warehouse: Path, today: datetime.date) -> tuple[list[dict], float]:
    started = time.perf_counter()
    rows = local_duckdb.run_saved_query(QUERY, warehouse, today=today)
    return rows, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deployments", type=int, default=2000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument(
        "--objects-per-day",
        type=int,
        default=4,
        help="objects Firehose writes per day (reports arrive within one hour)",
    )
    args = parser.parse_args()
    today = datetime.datetime.now(UTC).date()
    sql = queries.load_saved_queries()[QUERY]

    with tempfile.TemporaryDirectory(prefix="athena-pruning-") as tmp:
        year, pruned = Path(tmp) / "year", Path(tmp) / "pruned"
        started = time.perf_counter()
        lines = write_year(year, today, args.deployments, args.days, args.objects_per_day)
        written_in = time.perf_counter() - started

        objects = delivered.local_objects(year)
        partitions = sorted({o.dt for o in objects.values()})
        chosen = set(selected_partitions(sql, partitions, today))
        read = {path: o for path, o in objects.items() if o.dt in chosen}
        for path in read:  # the pruned warehouse: the same objects, linked, nothing else
            target = pruned / path.relative_to(year.resolve())
            target.parent.mkdir(parents=True, exist_ok=True)
            os.link(path, target)

        whole_bytes = sum(o.stored_bytes for o in objects.values())
        read_bytes = sum(o.stored_bytes for o in read.values())
        whole_answer, whole_seconds = timed_answer(year, today)
        pruned_answer, pruned_seconds = timed_answer(pruned, today)

    ratio, goal = read_bytes / whole_bytes, WINDOW_DAYS / args.days
    print(
        f"synthetic warehouse: {args.deployments} deployments x {args.days} days = {lines:,} reports, "
        f"{len(objects):,} objects in {len(partitions)} dt partitions, {whole_bytes:,} bytes gzip "
        f"(written in {written_in:.1f} s); query day {today}"
    )
    print(f"query {QUERY}: dt predicate(s) {'; '.join(p.sql('athena') for p in partition_predicates(sql))}")
    print(f"  partitions read: {len(chosen)} of {len(partitions)} ({min(chosen)} .. {max(chosen)})")
    print(f"  files read:      {len(read):,} of {len(objects):,}")
    print(f"  bytes read:      {read_bytes:,} of {whole_bytes:,}")
    print(
        f"  ratio:           {ratio:.4f} (bytes) = {len(chosen)}/{len(partitions)} partitions; "
        f"goal {WINDOW_DAYS}/{args.days} = {goal:.4f}: {'met' if ratio <= goal else 'NOT met'}"
    )
    print(
        f"  why {len(chosen)}: {WINDOW_DAYS} report days end yesterday, whose reports arrive today (1 more), and a "
        "report without report_date received just after midnight may sit in the previous day's object (1 more)"
    )
    print(
        f"  same answer with and without pruning: {whole_answer == pruned_answer} "
        f"({len(whole_answer)} days; DuckDB {whole_seconds:.2f} s whole year, {pruned_seconds:.2f} s pruned)"
    )


if __name__ == "__main__":
    main()
