"""Plain-text tables for a terminal: numbers right-aligned, thousands separated, nulls shown as '-', and control
characters in stored text shown as escapes (usage_report/visible_text.py) rather than obeyed."""

import datetime

from usage_report.results import QueryResult, is_number
from usage_report.visible_text import visible


def cell(value) -> str:
    """A value as a reader sees it in a table."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.2f}"
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    return visible(str(value))


def numeric_columns(result: QueryResult) -> list[bool]:
    """Per column, whether it holds a number (then it is right-aligned)."""
    return [any(is_number(row[index]) for row in result.rows) for index in range(len(result.columns))]


def render(title: str, result: QueryResult) -> str:
    names = [visible(name) for name in result.columns]
    cells = [[cell(value) for value in row] for row in result.rows]
    widths = [max([len(name)] + [len(row[index]) for row in cells]) for index, name in enumerate(names)]
    numeric = numeric_columns(result)

    def line(values: list[str]) -> str:
        return "  ".join(
            value.rjust(width) if is_number else value.ljust(width)
            for value, width, is_number in zip(values, widths, numeric, strict=True)
        ).rstrip()

    body = [line(names), line(["-" * width for width in widths])]
    body += [line(row) for row in cells] or ["(no rows)"]
    return "\n".join([title, "=" * len(title), *body, ""])
