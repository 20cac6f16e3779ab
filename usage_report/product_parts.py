"""A report in parts, one per product: each product's saved queries, named and filtered as the stack saves them.

A stack that names no products has one part, its product None: the saved queries as released, titled and named
as they always were. A stack that names its products (contract/products; docs/products.md) has a part per product,
in the order named: that product's queries (contract.queries.load_saved_queries(product), its reports only, lines
without a product counting as the default product's), under the names Athena saves them by (the default product's
keep the released names, another's are `<id>-<query>`), titled with the product's display name.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from contract import products
from contract.queries import load_saved_queries, saved_name_prefix, saved_query_name
from usage_report.errors import ReportError
from usage_report.results import QueryResult
from usage_report.sections import SECTIONS
from usage_report.visible_text import visible


@dataclass(frozen=True)
class ReportPart:
    product: Optional[products.Product]  # None: a stack that names no products

    @property
    def prefix(self) -> str:
        """Of its saved queries' names, and of the page's element ids for it (the default product's keep theirs)."""
        return saved_name_prefix(self.product)

    def saved_name(self, query: str) -> str:
        return saved_query_name(query, self.product)

    def title(self, query: str) -> str:
        """The section's title; a product's part says whose it is (a catalogue entry's name, shown as written)."""
        title = SECTIONS[query]
        return title if self.product is None else f"{visible(self.product.display_name)}: {title}"

    def saved_queries(self, names: Sequence[str]) -> dict[str, str]:
        """Query (the file's stem) -> the SQL saved for this part."""
        saved = load_saved_queries(self.product)
        missing = [name for name in names if name not in saved]
        if missing:
            raise ReportError(
                f"no saved query named {', '.join(missing)} in contract/queries/ (have: {', '.join(sorted(saved))})"
            )
        return {name: saved[name] for name in names}


@dataclass(frozen=True)
class PartAnswers:
    """One part's answers, made public, and the SQL that gave them, by query."""

    part: ReportPart
    answers: dict[str, QueryResult]
    sql_by_name: dict[str, str]


def report_parts(catalogue: Optional[Sequence[products.Product]]) -> list[ReportPart]:
    if catalogue is None:
        return [ReportPart(None)]
    return [ReportPart(product) for product in catalogue]


def load_products(references: Optional[Sequence[str]], base_dir: Path) -> Optional[tuple[products.Product, ...]]:
    """The products named (built-in ids, or paths of entries relative to base_dir), checked together; None: none."""
    if not references:
        return None
    try:
        return products.catalogue(list(references), base_dir)
    except products.CatalogueError as error:
        raise ReportError(str(error)) from None
