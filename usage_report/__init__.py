"""The usage report: runs the saved queries (Athena, or DuckDB on local files) and prints tables, draws charts
and writes an HTML page."""
