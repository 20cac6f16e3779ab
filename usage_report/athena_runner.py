"""Runs one SQL statement in an Athena workgroup with boto3: start, wait (with progress), fetch every page."""

import datetime
import decimal
import time
from collections.abc import Callable

from botocore.exceptions import BotoCoreError, ClientError

from usage_report.errors import QueryFailed, QueryTimedOut, ScanCutoffExceeded
from usage_report.progress import Progress
from usage_report.results import QueryResult

# Athena reports a query stopped by the workgroup's per-query cutoff with this reason (state CANCELLED
# on engine 3); matched case-insensitively since the wording around it varies.
CUTOFF_REASON = "bytes scanned limit was exceeded"
FINISHED_STATES = {"SUCCEEDED", "FAILED", "CANCELLED"}

_INTEGER_TYPES = {"tinyint", "smallint", "integer", "int", "bigint"}
_FLOAT_TYPES = {"double", "float", "real"}


def _typed(value: str | None, athena_type: str):
    # get_query_results returns every value as text; the column type says how to read it back.
    if value is None:
        return None
    athena_type = athena_type.lower()
    if athena_type in _INTEGER_TYPES:
        return int(value)
    if athena_type in _FLOAT_TYPES:
        return float(value)
    if athena_type == "decimal":
        # A whole decimal (an overflow-safe sum, DECIMAL(38,0)) stays exact; a fraction is a measure, not a count.
        number = decimal.Decimal(value)
        exponent = number.as_tuple().exponent  # a letter for NaN and infinity: those are no count
        return int(number) if isinstance(exponent, int) and exponent >= 0 else float(number)
    if athena_type == "date":
        return datetime.date.fromisoformat(value)
    if athena_type == "boolean":
        return value == "true"
    return value


class AthenaQueryRunner:
    def __init__(
        self,
        client,
        *,
        workgroup: str,
        database: str,
        progress: Progress,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        timeout_seconds: float = 600.0,
        first_poll_seconds: float = 0.5,
        max_poll_seconds: float = 5.0,
    ):
        self._client = client
        self._workgroup = workgroup
        self._database = database
        self._progress = progress
        self._clock = clock
        self._sleep = sleep
        self._timeout_seconds = timeout_seconds
        self._first_poll_seconds = first_poll_seconds
        self._max_poll_seconds = max_poll_seconds

    def run(self, name: str, sql: str) -> QueryResult:
        execution_id = self._client.start_query_execution(
            QueryString=sql,
            QueryExecutionContext={"Database": self._database},
            WorkGroup=self._workgroup,
        )["QueryExecutionId"]
        self._wait(name, execution_id)
        return self._fetch(execution_id)

    def _wait(self, name: str, execution_id: str) -> dict:
        started = self._clock()
        delay = self._first_poll_seconds
        while True:
            execution = self._client.get_query_execution(QueryExecutionId=execution_id)["QueryExecution"]
            state = execution["Status"]["State"]
            scanned = execution.get("Statistics", {}).get("DataScannedInBytes", 0)
            elapsed = self._clock() - started
            self._progress.update(name, state, elapsed, scanned)
            if state == "SUCCEEDED":
                self._progress.finish(name, state, elapsed, scanned)
                return execution
            if state in FINISHED_STATES:
                self._progress.finish(name, state, elapsed, scanned)
                raise self._failure(name, execution_id, execution, scanned)
            if elapsed >= self._timeout_seconds:
                self._client.stop_query_execution(QueryExecutionId=execution_id)
                self._progress.finish(name, "STOPPED", elapsed, scanned)
                raise QueryTimedOut(
                    f"query {name} was still {state} after {elapsed:.0f} s; it was stopped "
                    f"(execution {execution_id}). Raise --timeout to wait longer."
                )
            self._sleep(delay)
            delay = min(delay * 2, self._max_poll_seconds)

    def _failure(self, name: str, execution_id: str, execution: dict, scanned: int) -> QueryFailed:
        status = execution["Status"]
        reason = (
            status.get("StateChangeReason")
            or status.get("AthenaError", {}).get("ErrorMessage")
            or "Athena gave no reason"
        )
        if CUTOFF_REASON in reason.lower():
            return ScanCutoffExceeded(
                name, status["State"], reason, execution_id, self._workgroup, scanned, self._cutoff_bytes()
            )
        return QueryFailed(name, status["State"], reason, execution_id)

    def _cutoff_bytes(self) -> int | None:
        # Only to make the message concrete; the query has already failed, so a failure here is not news.
        try:
            workgroup = self._client.get_work_group(WorkGroup=self._workgroup)["WorkGroup"]
        except (BotoCoreError, ClientError):
            return None
        return workgroup.get("Configuration", {}).get("BytesScannedCutoffPerQuery")

    def _fetch(self, execution_id: str) -> QueryResult:
        columns: tuple[str, ...] = ()
        types: list[str] = []
        rows: list[tuple] = []
        pages = self._client.get_paginator("get_query_results").paginate(QueryExecutionId=execution_id)
        for page_number, page in enumerate(pages):
            result_set = page["ResultSet"]
            page_rows = [tuple(cell.get("VarCharValue") for cell in row["Data"]) for row in result_set["Rows"]]
            if page_number == 0:
                column_info = result_set["ResultSetMetadata"]["ColumnInfo"]
                columns = tuple(column["Name"] for column in column_info)
                types = [column["Type"] for column in column_info]
                # A SELECT's first page starts with the header row.
                if page_rows and page_rows[0] == columns:
                    page_rows = page_rows[1:]
            rows.extend(tuple(_typed(value, kind) for value, kind in zip(row, types, strict=True)) for row in page_rows)
        return QueryResult(columns, tuple(rows))
