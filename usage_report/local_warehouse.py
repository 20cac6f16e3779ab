"""The report's offline engine: usage_report/local_duckdb.py runs the saved query on a folder of delivered objects."""

import datetime
from collections.abc import Sequence
from pathlib import Path
from typing import Optional

from contract.products import Product
from usage_report.errors import ReportError
from usage_report.results import QueryResult


def run_locally(
    name: str,
    warehouse_dir: Path,
    today: datetime.date | None = None,
    *,
    sql: Optional[str] = None,
    catalogue: Optional[Sequence[Product]] = None,
) -> QueryResult:
    """The saved query `name` (as released), or `sql` (the SQL saved under `name`) over the table the products in
    `catalogue` read the objects with."""
    from contract.warehouse.delivered import WarehouseLayoutError
    from usage_report.local_duckdb import UnknownSavedQuery, run_saved_query, run_sql

    try:
        rows = (
            run_saved_query(name, warehouse_dir, today)
            if sql is None
            else run_sql(sql, warehouse_dir, today, catalogue)
        )
    except (UnknownSavedQuery, WarehouseLayoutError, FileNotFoundError) as error:
        raise ReportError(f"{name} on {warehouse_dir}: {error}") from None
    # The runner hands back row dicts; a query that matched nothing therefore has no column names to show.
    columns = tuple(rows[0]) if rows else ()
    return QueryResult(columns, tuple(tuple(row[column] for column in columns) for row in rows))


def products_delivered(warehouse_dir: Path) -> list[str]:
    """The products the delivered lines count for (usage_report/local_duckdb.py's products_found)."""
    from contract.warehouse.delivered import WarehouseLayoutError
    from usage_report.local_duckdb import products_found

    try:
        return products_found(warehouse_dir)
    except (WarehouseLayoutError, FileNotFoundError) as error:
        raise ReportError(f"{warehouse_dir}: {error}") from None
