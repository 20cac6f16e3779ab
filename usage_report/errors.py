"""The report's failures: each carries a message fit to show a user as-is."""


class ReportError(Exception):
    """A failure the user can act on; the CLI prints it and exits 1."""


class StackOutputsUnavailable(ReportError):
    pass


class UnknownStackOutput(ReportError):
    pass


class QueryFailed(ReportError):
    def __init__(self, query_name: str, state: str, reason: str, execution_id: str):
        self.query_name, self.state, self.reason, self.execution_id = query_name, state, reason, execution_id
        super().__init__(f"query {query_name} {state} in Athena (execution {execution_id}): {reason}")


class ScanCutoffExceeded(QueryFailed):
    def __init__(
        self,
        query_name: str,
        state: str,
        reason: str,
        execution_id: str,
        workgroup: str,
        scanned_bytes: int,
        cutoff_bytes: int | None,
    ):
        super().__init__(query_name, state, reason, execution_id)
        self.workgroup, self.scanned_bytes, self.cutoff_bytes = workgroup, scanned_bytes, cutoff_bytes
        limit = f"{cutoff_bytes:,} bytes" if cutoff_bytes else "its configured limit"
        self.args = (
            f"query {query_name} was stopped by the bytes-scanned cutoff of workgroup {workgroup} "
            f"({limit} per query) after scanning {scanned_bytes:,} bytes (execution {execution_id}): "
            f"{reason}. Narrow the query's date range, or raise the stack's cutoff if the data has grown.",
        )


class QueryTimedOut(ReportError):
    pass
