"""Saved Athena queries, one `.sql` file each, read by the Pulumi program, the local runner and the tests.

Standard library only. Every query reads the Glue table `reports` by its plain name: the saved query's
database sets the schema. Athena saved queries cannot share definitions, so a part several queries need
lives once in a `_<part>.sql` file, and a query writes `{<part>}` where it goes: the loader puts it in,
and the saved query (what Athena stores, the local runner runs and the tests read) is complete SQL. A number
the report contract owns (CONTRACT_VALUES) goes in the same way, so the SQL never restates it.
"""

import re
from pathlib import Path
from typing import Optional

from contract import products, schemas

QUERY_DIR = Path(__file__).parent
TABLE_NAME = "reports"
_SHARED_PART = re.compile(r"\{(\w+)\}")


# Filled in as `{product_filter}` where a query reads the table: nothing for a stack that names no products (the
# queries as released), else the one product's rows (`load_saved_queries(product)`).
PRODUCT_FILTER_PATH = QUERY_DIR / "product_filter.sqlpart"


COUNTED_PRODUCT_PATH = QUERY_DIR / "counted_product.sqlpart"


def counted_product() -> str:
    """The SQL expression of the product a stored line counts for (the default one for a line naming none)."""
    sql = _without_leading_comment(COUNTED_PRODUCT_PATH.read_text(encoding="utf-8"))
    return _compose(COUNTED_PRODUCT_PATH.name, sql, {"default_product": products.DEFAULT_PRODUCT_ID}).strip()


def product_filter(product: Optional[products.Product]) -> str:
    if product is None:
        return ""
    sql = _without_leading_comment(PRODUCT_FILTER_PATH.read_text(encoding="utf-8"))
    values = {"counted_product": counted_product(), "product": product.id}
    return " " + _compose(PRODUCT_FILTER_PATH.name, sql, values)


def contract_values(product: Optional[products.Product] = None) -> dict[str, str]:
    """Placeholder -> the contract's value, as SQL: the report_date window, the largest daily counter and the
    product filter (None: none)."""
    return {
        "report_date_earliest_days": str(schemas.REPORT_DATE_EARLIEST_DAYS),
        "counter_maximum": str(schemas.counter_maximum()),
        "product_filter": product_filter(product),
    }


def query_paths() -> list[Path]:
    return sorted(p for p in QUERY_DIR.glob("*.sql") if not p.name.startswith("_"))


def shared_parts(product: Optional[products.Product] = None) -> dict[str, str]:
    """Part name -> its SQL with contract values put in, without the leading comment that says who uses it."""
    constants = contract_values(product)
    return {
        path.stem.removeprefix("_"): _compose(path.name, _without_leading_comment(path.read_text("utf-8")), constants)
        for path in QUERY_DIR.glob("_*.sql")
    }


def _without_leading_comment(sql: str) -> str:
    lines = sql.splitlines()
    while lines and lines[0].startswith("--"):
        lines.pop(0)
    return "\n".join(lines).strip()


def _compose(name: str, sql: str, values: dict[str, str]) -> str:
    def value(match: re.Match) -> str:
        if match.group(1) not in values:
            raise ValueError(
                f"{name} uses {match.group(0)} but contract/queries/ has no _{match.group(1)}.sql "
                f"(contract values: {', '.join(sorted(contract_values()))})"
            )
        return values[match.group(1)]

    return _SHARED_PART.sub(value, sql)


def load_saved_queries(product: Optional[products.Product] = None) -> dict[str, str]:
    """Saved query name (the file's stem) -> its complete SQL, shared parts and contract values put in; with a
    product, over that product's reports only (a stack that names its products saves a set per product)."""
    values = {**contract_values(product), **shared_parts(product)}
    return {path.stem: _compose(path.name, path.read_text(encoding="utf-8"), values) for path in query_paths()}


def saved_name_prefix(product: Optional[products.Product] = None) -> str:
    """What a product's saved queries' names start with: nothing for a stack that names no products (None) and for
    the default product, whose queries keep their released names; `<id>-` for another product."""
    if product is None or product.id == products.DEFAULT_PRODUCT_ID:
        return ""
    return f"{product.id}-"


def saved_query_name(query: str, product: Optional[products.Product] = None) -> str:
    """The name Athena saves a query (its file's stem) under for `product` (saved_name_prefix)."""
    return saved_name_prefix(product) + query


def description(sql: str) -> str:
    """The query's leading `--` comment, as one line: it becomes the saved query's description."""
    lines = []
    for line in sql.splitlines():
        if not line.startswith("--"):
            break
        lines.append(line.removeprefix("--").strip())
    return " ".join(lines)
