"""The report's offline engine: usage_report/local_duckdb.py runs the saved query on a folder of delivered objects."""

import datetime
from pathlib import Path

from usage_report.errors import ReportError
from usage_report.results import QueryResult


def run_locally(name: str, warehouse_dir: Path, today: datetime.date | None = None) -> QueryResult:
    from contract.warehouse.delivered import WarehouseLayoutError
    from usage_report.local_duckdb import UnknownSavedQuery, run_saved_query

    try:
        rows = run_saved_query(name, warehouse_dir, today)
    except (UnknownSavedQuery, WarehouseLayoutError, FileNotFoundError) as error:
        raise ReportError(f"{name} on {warehouse_dir}: {error}") from None
    # The runner hands back row dicts; a query that matched nothing therefore has no column names to show.
    columns = tuple(rows[0]) if rows else ()
    return QueryResult(columns, tuple(tuple(row[column] for column in columns) for row in rows))
