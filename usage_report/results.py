"""A query's answer in one shape, whichever engine produced it."""

from dataclasses import dataclass


@dataclass(frozen=True)
class QueryResult:
    columns: tuple[str, ...]
    rows: tuple[tuple, ...]

    def column(self, name: str) -> list:
        index = self.columns.index(name)
        return [row[index] for row in self.rows]


def is_number(value) -> bool:
    """A value drawn or right-aligned as a quantity (a bool is a flag, not a number)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)
