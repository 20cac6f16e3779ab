"""The columns of the `reports` table, derived from the report schema.

The Glue table and the local DuckDB view are both built from `columns()`, so a counter added to
the schema becomes a field of the `metrics` column everywhere with no second edit.
"""

from __future__ import annotations

from dataclasses import dataclass

from contract import schemas
from contract.warehouse import layout as warehouse_layout

# JSON Schema type -> Hive type, as Glue and the OpenX JSON SerDe name them.
HIVE_TYPES = {"string": "string", "integer": "bigint", "number": "double", "boolean": "boolean"}


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # Hive type string, e.g. "bigint" or "struct<a:bigint,b:bigint>"
    comment: str


PARTITION_COLUMN = Column(
    warehouse_layout.PARTITION_KEY,
    "string",
    f"UTC day ({warehouse_layout.PARTITION_FORMAT}) Firehose opened the object holding the report.",
)


def _hive_type(prop: dict) -> str:
    return HIVE_TYPES[prop["type"]]


def columns() -> list[Column]:
    schema = schemas.inline_local_refs(schemas.load_schema())
    props = schema["properties"]
    received = [Column(name, column_type, meaning) for name, (column_type, meaning) in schemas.RECEIVED_FIELDS.items()]
    scalars = [Column(name, _hive_type(props[name]), props[name]["description"]) for name in schemas.scalar_fields()]
    counters = props[schemas.CANONICAL_COUNTERS_KEY]["properties"]
    fields = ",".join(f"{name}:{_hive_type(counters[name])}" for name in schemas.counter_names())
    metrics = Column(
        schemas.CANONICAL_COUNTERS_KEY,
        f"struct<{fields}>",
        "Counter totals for the report day, one field per counter in the schema.",
    )
    return [*received, *scalars, metrics]
