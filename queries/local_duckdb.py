"""Run the saved Athena queries with DuckDB on a local copy of the warehouse bucket.

Point it at a folder laid out like the bucket (`reports/dt=YYYY-MM-DD/*.json.gz`, as Firehose writes it).
Objects are read tolerantly, the way emulators deliver them: gzip or plain, and with the day taken from a
`dt=YYYY-MM-DD` folder or, where the prefix was left unexpanded, from the `YYYY/MM/DD/HH/` folders moto and
LocalStack append. The `reports` view has the Glue table's columns (queries/reports_table.py) plus `dt`,
and a malformed line becomes a row of NULLs, as with the OpenX SerDe's `ignore.malformed.json`.

    from queries.local_duckdb import run_all_saved_queries
    answers = run_all_saved_queries("path/to/bucket-copy")   # {query name: [row dict, ...]}
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from pathlib import Path

import duckdb
import sqlglot
from sqlglot import exp

from components import warehouse_layout
from queries import TABLE_NAME, load_saved_queries
from queries.reports_table import PARTITION_COLUMN, columns

GZIP_MAGIC = b"\x1f\x8b"
_PARTITION_FOLDER = re.compile(rf"{warehouse_layout.PARTITION_KEY}=(\d{{4}}-\d{{2}}-\d{{2}})")
_HOUR_FOLDERS = re.compile(r"(\d{4})/(\d{2})/(\d{2})/\d{2}")
_HIVE_SCALARS = {"string": "VARCHAR", "bigint": "BIGINT", "double": "DOUBLE", "boolean": "BOOLEAN"}


class WarehouseLayoutError(ValueError):
    """An object's path does not say which day it was delivered."""


class UnknownSavedQuery(KeyError):
    def __str__(self) -> str:
        return f"no saved query {self.args[0]!r}: known are {', '.join(sorted(load_saved_queries()))}"


@dataclass(frozen=True)
class DeliveredObject:
    path: Path
    dt: str
    gzipped: bool


def _valid_day(text: str) -> str | None:
    try:
        return datetime.date.fromisoformat(text).isoformat()
    except ValueError:
        return None


def delivery_day(relative_path: str) -> str:
    """The dt partition of an object, from its key below the reports prefix."""
    for match in _PARTITION_FOLDER.finditer(relative_path):
        if day := _valid_day(match.group(1)):
            return day
    for match in _HOUR_FOLDERS.finditer(relative_path):
        if day := _valid_day("-".join(match.groups())):
            return day
    raise WarehouseLayoutError(
        f"cannot tell which day {relative_path!r} was delivered: expected a "
        f"{warehouse_layout.PARTITION_KEY}=YYYY-MM-DD folder or YYYY/MM/DD/HH folders in its key")


def _reports_root(warehouse_dir: Path) -> Path:
    below = warehouse_dir / warehouse_layout.REPORTS_PREFIX
    return below if below.is_dir() else warehouse_dir


def delivered_objects(warehouse_dir: str | Path) -> list[DeliveredObject]:
    warehouse_dir = Path(warehouse_dir)
    if not warehouse_dir.is_dir():
        raise FileNotFoundError(f"warehouse folder {warehouse_dir} does not exist")
    root = _reports_root(warehouse_dir)
    found = []
    for path in sorted(p for p in root.rglob("*") if p.is_file() and not p.name.startswith(".")):
        with path.open("rb") as handle:
            gzipped = handle.read(2) == GZIP_MAGIC
        found.append(DeliveredObject(path.resolve(), delivery_day(path.relative_to(root).as_posix()), gzipped))
    return found


def duckdb_type(hive_type: str) -> str:
    """Hive type string -> DuckDB type (scalars and flat structs, which is all the table uses)."""
    struct = re.fullmatch(r"struct<(.*)>", hive_type)
    if struct:
        fields = (field.split(":", 1) for field in struct.group(1).split(","))
        return "STRUCT(" + ", ".join(f'"{name}" {_HIVE_SCALARS[kind]}' for name, kind in fields) + ")"
    return _HIVE_SCALARS[hive_type]


def _sql_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def create_reports_view(con: duckdb.DuckDBPyConnection, warehouse_dir: str | Path) -> int:
    """Create the `reports` view over the delivered objects; returns how many objects it reads."""
    objects = delivered_objects(warehouse_dir)
    table_columns = columns()
    json_columns = "{" + ", ".join(f"{_sql_string(c.name)}: {_sql_string(duckdb_type(c.type))}"
                                   for c in table_columns) + "}"
    names = ", ".join(c.name for c in table_columns)
    con.execute("CREATE OR REPLACE TEMP TABLE delivered_object (filename VARCHAR, dt VARCHAR)")
    if objects:
        con.executemany("INSERT INTO delivered_object VALUES (?, ?)", [(str(o.path), o.dt) for o in objects])
    selects = []
    for gzipped in (True, False):
        paths = [str(o.path) for o in objects if o.gzipped is gzipped]
        if paths:
            selects.append(
                f"SELECT {names}, filename FROM read_json([{', '.join(map(_sql_string, paths))}], "
                f"columns = {json_columns}, format = 'newline_delimited', "
                f"compression = '{'gzip' if gzipped else 'none'}', ignore_errors = true, filename = true)")
    if not selects:  # an empty warehouse is a valid one: the view has the columns and no rows
        casts = ", ".join(f"CAST(NULL AS {duckdb_type(c.type)}) AS {c.name}" for c in table_columns)
        selects.append(f"SELECT {casts}, CAST(NULL AS VARCHAR) AS filename WHERE false")
    con.execute(
        f"CREATE OR REPLACE TEMP VIEW {TABLE_NAME} AS "
        f"SELECT delivered.{names.replace(', ', ', delivered.')}, delivered_object.dt AS {PARTITION_COLUMN.name} "
        f"FROM ({' UNION ALL '.join(selects)}) AS delivered JOIN delivered_object USING (filename)")
    return len(objects)


def _zip_unnest(node: exp.Expression) -> exp.Expression:
    """Athena's `UNNEST(a, b) AS t (x, y)` zips arrays into rows; DuckDB's UNNEST takes one list.

    The DuckDB equivalent is a lateral select of one UNNEST per array, which zips the same way
    (shorter arrays are padded with NULL, as in Trino).
    """
    if not isinstance(node, exp.Unnest) or len(node.expressions) < 2:
        return node
    alias = node.args.get("alias")
    if alias is None or len(alias.columns) != len(node.expressions):
        raise ValueError(f"cannot translate {node.sql('athena')}: name one column per unnested array")
    selects = ", ".join(f"UNNEST({array.sql('duckdb')}) AS {column.sql('duckdb')}"
                        for array, column in zip(node.expressions, alias.columns))
    lateral = sqlglot.parse_one(f"SELECT 1 FROM LATERAL (SELECT {selects}) AS {alias.this.sql('duckdb')}",
                                read="duckdb")
    return lateral.args["from_"].this


def to_duckdb(athena_sql: str, today: datetime.date | None = None) -> str:
    """Athena SQL -> DuckDB SQL. `today` pins CURRENT_DATE, so answers over fixed data are reproducible."""
    tree = sqlglot.parse_one(athena_sql, read="athena")
    tree = tree.transform(_zip_unnest)
    if today is not None:
        tree = tree.transform(lambda node: exp.cast(exp.Literal.string(today.isoformat()), "DATE")
                              if isinstance(node, exp.CurrentDate) else node)
    return tree.sql(dialect="duckdb")


def _connect(warehouse_dir: str | Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")  # Athena's session zone: from_unixtime and current_date are UTC days
    create_reports_view(con, warehouse_dir)
    return con


def _rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[dict]:
    cursor = con.execute(sql)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


def run_saved_query(name: str, warehouse_dir: str | Path, today: datetime.date | None = None) -> list[dict]:
    queries = load_saved_queries()
    if name not in queries:
        raise UnknownSavedQuery(name)
    with _connect(warehouse_dir) as con:
        return _rows(con, to_duckdb(queries[name], today))


def run_all_saved_queries(warehouse_dir: str | Path,
                          today: datetime.date | None = None) -> dict[str, list[dict]]:
    with _connect(warehouse_dir) as con:
        return {name: _rows(con, to_duckdb(sql, today)) for name, sql in load_saved_queries().items()}
