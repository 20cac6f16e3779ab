"""The usage report: runs the saved queries (Athena, or DuckDB on local files) and prints tables and charts."""
