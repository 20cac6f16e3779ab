"""The columns of the `reports` table, derived from the report schema.

The Glue table and the local DuckDB view are both built from `columns()`, so a counter added to
the schema becomes a field of the `metrics` column everywhere with no second edit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Optional

from contract import products, schemas
from contract.warehouse import layout as warehouse_layout

# JSON Schema type -> Hive type, as Glue and the OpenX JSON SerDe name them.
HIVE_TYPES = {"string": "string", "integer": "bigint", "number": "double", "boolean": "boolean"}


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # Hive type string, e.g. "bigint", "struct<a:bigint,b:bigint>" or "map<string,bigint>"
    comment: str


PARTITION_COLUMN = Column(
    warehouse_layout.PARTITION_KEY,
    "string",
    f"UTC day ({warehouse_layout.PARTITION_FORMAT}) Firehose opened the object holding the report.",
)


def _hive_type(prop: dict) -> str:
    return HIVE_TYPES[prop["type"]]


# One table for every product: the product is a column and the counters a map, so a product or a counter added
# to the catalogue changes no column, and objects delivered before read the same (their lines have no product:
# the default product's; the JSON SerDe reads their counters object into the map as it read it into the struct).
PRODUCT_COLUMN = Column(
    "product",
    "string",
    "The product whose route received the report; absent on lines from the legacy routes (the default product's).",
)
COUNTER_MAP_TYPE = "map<string,bigint>"


def columns(catalogue: Optional[Sequence[products.Product]] = None) -> list[Column]:
    """The table's columns. No products named (None): as released, `metrics` a struct of the default product's
    counters. Products named: the one table for all of them (PRODUCT_COLUMN, and `metrics` a counter map)."""
    schema = schemas.inline_local_refs(schemas.load_schema())
    props = schema["properties"]
    received = [Column(name, column_type, meaning) for name, (column_type, meaning) in schemas.RECEIVED_FIELDS.items()]
    scalars = [Column(name, _hive_type(props[name]), props[name]["description"]) for name in schemas.scalar_fields()]
    if catalogue is not None:
        counter_map = Column(
            schemas.CANONICAL_COUNTERS_KEY,
            COUNTER_MAP_TYPE,
            "Counter totals for the report day, counter name to total, as the product's catalogue entry names them.",
        )
        return [*received, *scalars, PRODUCT_COLUMN, counter_map]
    counters = props[schemas.CANONICAL_COUNTERS_KEY]["properties"]
    fields = ",".join(f"{name}:{_hive_type(counters[name])}" for name in schemas.counter_names())
    metrics = Column(
        schemas.CANONICAL_COUNTERS_KEY,
        f"struct<{fields}>",
        "Counter totals for the report day, one field per counter in the schema.",
    )
    return [*received, *scalars, metrics]
