"""Run the saved Athena queries with DuckDB on a local copy of the warehouse bucket.

Point it at a folder laid out like the bucket (`reports/dt=YYYY-MM-DD/*.json.gz`, as Firehose writes it).
Objects are read tolerantly, the way emulators deliver them: gzip or plain, and with the day taken from a
`dt=YYYY-MM-DD` folder or, where the prefix was left unexpanded, from the `YYYY/MM/DD/HH/` folders moto and
LocalStack append. The `reports` view has the Glue table's columns (contract/warehouse/columns.py) plus `dt`,
and a malformed line becomes a row of NULLs, as with the OpenX SerDe's `ignore.malformed.json`.

    from usage_report.local_duckdb import run_all_saved_queries
    answers = run_all_saved_queries("path/to/bucket-copy")   # {query name: [row dict, ...]}
"""

from __future__ import annotations

import datetime
import decimal
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Optional

import duckdb
import sqlglot
from sqlglot import exp

from contract.products import Product
from contract.queries import TABLE_NAME, load_saved_queries
from contract.warehouse.columns import PARTITION_COLUMN, columns
from contract.warehouse.delivered import local_objects

_HIVE_SCALARS = {"string": "VARCHAR", "bigint": "BIGINT", "double": "DOUBLE", "boolean": "BOOLEAN"}


class UnknownSavedQuery(KeyError):
    def __str__(self) -> str:
        return f"no saved query {self.args[0]!r}: known are {', '.join(sorted(load_saved_queries()))}"


def duckdb_type(hive_type: str) -> str:
    """Hive type string -> DuckDB type (scalars, flat structs and scalar maps, which is all the table uses)."""
    mapped = re.fullmatch(r"map<(\w+),(\w+)>", hive_type)
    if mapped:
        return f"MAP({_HIVE_SCALARS[mapped.group(1)]}, {_HIVE_SCALARS[mapped.group(2)]})"
    struct = re.fullmatch(r"struct<(.*)>", hive_type)
    if struct:
        fields = (field.split(":", 1) for field in struct.group(1).split(","))
        return "STRUCT(" + ", ".join(f'"{name}" {_HIVE_SCALARS[kind]}' for name, kind in fields) + ")"
    return _HIVE_SCALARS[hive_type]


def _sql_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def create_reports_view(
    con: duckdb.DuckDBPyConnection, warehouse_dir: str | Path, catalogue: Optional[Sequence[Product]] = None
) -> int:
    """Create the `reports` view over the delivered objects, with the Glue table's columns for the products named
    (contract/warehouse/columns.py); returns how many objects it reads."""
    objects = local_objects(warehouse_dir)
    table_columns = columns(catalogue)
    json_columns = (
        "{" + ", ".join(f"{_sql_string(c.name)}: {_sql_string(duckdb_type(c.type))}" for c in table_columns) + "}"
    )
    names = ", ".join(c.name for c in table_columns)
    con.execute("CREATE OR REPLACE TEMP TABLE delivered_object (filename VARCHAR, dt VARCHAR)")
    if objects:
        con.executemany("INSERT INTO delivered_object VALUES (?, ?)", [(str(p), o.dt) for p, o in objects.items()])
    selects = []
    for gzipped in (True, False):
        paths = [str(p) for p, o in objects.items() if o.gzipped is gzipped]
        if paths:
            selects.append(
                f"SELECT {names}, filename FROM read_json([{', '.join(map(_sql_string, paths))}], "
                f"columns = {json_columns}, format = 'newline_delimited', "
                f"compression = '{'gzip' if gzipped else 'none'}', ignore_errors = true, filename = true)"
            )
    if not selects:  # an empty warehouse is a valid one: the view has the columns and no rows
        casts = ", ".join(f"CAST(NULL AS {duckdb_type(c.type)}) AS {c.name}" for c in table_columns)
        selects.append(f"SELECT {casts}, CAST(NULL AS VARCHAR) AS filename WHERE false")
    con.execute(
        f"CREATE OR REPLACE TEMP VIEW {TABLE_NAME} AS "
        f"SELECT delivered.{names.replace(', ', ', delivered.')}, delivered_object.dt AS {PARTITION_COLUMN.name} "
        f"FROM ({' UNION ALL '.join(selects)}) AS delivered JOIN delivered_object USING (filename)"
    )
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
    selects = ", ".join(
        f"UNNEST({array.sql('duckdb')}) AS {column.sql('duckdb')}"
        for array, column in zip(node.expressions, alias.columns, strict=True)
    )
    lateral = sqlglot.parse_one(
        f"SELECT 1 FROM LATERAL (SELECT {selects}) AS {alias.this.sql('duckdb')}", read="duckdb"
    )
    return lateral.args["from_"].this


def _exact_percentile(node: exp.Expression) -> exp.Expression:
    """Athena's approx_percentile as DuckDB's exact quantile_disc (a value of the set, as Athena's is for
    integers), so answers over small test data are the ones plain Python computes."""
    if not isinstance(node, exp.ApproxQuantile):
        return node
    return exp.Anonymous(this="QUANTILE_DISC", expressions=[node.this, node.args["quantile"]])


def to_duckdb(athena_sql: str, today: datetime.date | None = None) -> str:
    """Athena SQL -> DuckDB SQL. `today` pins CURRENT_DATE, so answers over fixed data are reproducible."""
    tree = sqlglot.parse_one(athena_sql, read="athena")
    tree = tree.transform(_zip_unnest).transform(_exact_percentile)
    if today is not None:
        tree = tree.transform(
            lambda node: (
                exp.cast(exp.Literal.string(today.isoformat()), "DATE") if isinstance(node, exp.CurrentDate) else node
            )
        )
    return tree.sql(dialect="duckdb")


def _connect(warehouse_dir: str | Path, catalogue: Optional[Sequence[Product]] = None) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")  # Athena's session zone: from_unixtime and current_date are UTC days
    create_reports_view(con, warehouse_dir, catalogue)
    return con


def _plain(value):
    """A whole DECIMAL (an overflow-safe sum) as an int, as the Athena runner reads it; other values as they are."""
    if isinstance(value, decimal.Decimal) and value.as_tuple().exponent >= 0:
        return int(value)
    return value


def _rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[dict]:
    cursor = con.execute(sql)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, map(_plain, row), strict=True)) for row in cursor.fetchall()]


def run_sql(
    athena_sql: str,
    warehouse_dir: str | Path,
    today: datetime.date | None = None,
    catalogue: Optional[Sequence[Product]] = None,
) -> list[dict]:
    """A saved query's SQL as Athena runs it; `catalogue`: read the objects with the table the named products have."""
    with _connect(warehouse_dir, catalogue) as con:
        return _rows(con, to_duckdb(athena_sql, today))


def products_found(warehouse_dir: str | Path) -> list[str]:
    """The products the delivered lines count for, sorted: a line without one (a legacy route's, or delivered before
    the catalogue) is the default product's, as the saved queries count it."""
    from contract.products import default
    from contract.queries import counted_product

    with _connect(warehouse_dir, (default(),)) as con:
        found = con.execute(
            f"SELECT DISTINCT {counted_product()} AS product FROM {TABLE_NAME} ORDER BY product"
        ).fetchall()
    return [product for (product,) in found]


def run_saved_query(name: str, warehouse_dir: str | Path, today: datetime.date | None = None) -> list[dict]:
    queries = load_saved_queries()
    if name not in queries:
        raise UnknownSavedQuery(name)
    return run_sql(queries[name], warehouse_dir, today)


def run_all_saved_queries(
    warehouse_dir: str | Path, today: datetime.date | None = None, catalogue: Optional[Sequence[Product]] = None
) -> dict[str, list[dict]]:
    """Every saved query's answer; `catalogue`: read the objects with the table the named products have."""
    with _connect(warehouse_dir, catalogue) as con:
        return {name: _rows(con, to_duckdb(sql, today)) for name, sql in load_saved_queries().items()}
