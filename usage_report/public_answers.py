"""The answers as the report may publish them: deployments by a number, never by stack id.

Everything the report writes is public: the weekly workflow prints the tables to the Actions log and keeps the
page as an artifact. A stack id is not just a label: the queries keep the latest report per stack_id and day,
so whoever reads one can send that deployment's day again and replace it. So each answer is made public before
anything draws or prints it: the stack_id column becomes `deployment`, holding `#1`, `#2`, ... in the order
the answers list the stack ids (the same number for the same deployment throughout one report), and any UUID
inside other text is replaced the same way (`deployment #3`), whatever its case and with or without hyphens.

A number, rather than a digest of the stack id: it cannot be replayed, it links nothing across weeks (a plain
hash of the same id would be the same every week, and anyone who knows a stack id could look for it), and a
keyed digest would need a key the workflow keeps, which it does not have. The stack ids stay in Athena: the
saved query, run by whoever holds the read role, lists them in the order the numbers follow.
"""

import re

from usage_report.results import QueryResult

STACK_ID = "stack_id"  # the report schema's field, and the column the saved queries keep its name in
DEPLOYMENT = "deployment"  # what the published answer calls that column
_UUID = re.compile(
    r"(?<![0-9a-f])[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}(?![0-9a-f])", re.IGNORECASE
)


class DeploymentNumbers:
    """Numbers stack ids in the order met; one instance per report, so a number means something on one page only."""

    def __init__(self):
        self._numbers: dict[str, int] = {}

    def number(self, stack_id: str) -> str:
        key = stack_id.replace("-", "").lower()
        return f"#{self._numbers.setdefault(key, len(self._numbers) + 1)}"

    def _public(self, column: str, value):
        if value is None:
            return None
        if column.lower() == STACK_ID:
            return self.number(str(value))
        if isinstance(value, str):
            return _UUID.sub(lambda match: f"{DEPLOYMENT} {self.number(match.group())}", value)
        return value

    def public(self, result: QueryResult) -> QueryResult:
        columns = tuple(DEPLOYMENT if column.lower() == STACK_ID else column for column in result.columns)
        rows = tuple(
            tuple(self._public(column, value) for column, value in zip(result.columns, row, strict=True))
            for row in result.rows
        )
        return QueryResult(columns, rows)
