"""The report's offline engine: report/local_duckdb.py runs the saved query on a folder of delivered objects."""

import datetime
from pathlib import Path

from report.errors import ReportError
from report.results import QueryResult


def run_locally(name: str, warehouse_dir: Path, today: datetime.date | None = None) -> QueryResult:
    from report.local_duckdb import UnknownSavedQuery, run_saved_query
    from warehouse.delivered import WarehouseLayoutError

    try:
        rows = run_saved_query(name, warehouse_dir, today)
    except (UnknownSavedQuery, WarehouseLayoutError, FileNotFoundError) as error:
        raise ReportError(f"{name} on {warehouse_dir}: {error}") from None
    # The runner hands back row dicts; a query that matched nothing therefore has no column names to show.
    columns = tuple(rows[0]) if rows else ()
    return QueryResult(columns, tuple(tuple(row[column] for column in columns) for row in rows))
