"""What the reporter reads for each counter of its product: the product from the catalogue, and per counter the
CloudWatch metric summed (namespace, metric name, a dimension filter). Checked at construction against the
catalogue, with the closest names offered for a misspelt one."""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any, ClassVar, Optional

from components.tunables import ArgsError, Rule, camel_case, matching, tunable, validate_args
from contract import products

# A custom CloudWatch namespace (AWS/ is CloudWatch's own).
NAMESPACE_PATTERN = r"(?!AWS/)[0-9A-Za-z._/#-][0-9A-Za-z._/#: -]{0,254}"
# CloudWatch dimension names: printable ASCII, not starting with a colon or a space. No commas, no quotes:
# they travel to the function as JSON and appear in its log lines.
DIMENSION_NAME = r"[!#-+\--9;-~][ !#-+\--~]{0,254}"
# CloudWatch metric names and dimension values: printable ASCII, not starting with a space.
_METRIC_NAME = r"[!-~][ -~]{0,254}"
_DIMENSION_VALUE = r"[!-~][ -~]{0,1023}"
MAX_DIMENSIONS = 30


# Args errors quote the names they offer, as they quote the value refused.
did_you_mean = functools.partial(products.did_you_mean, show=repr)


def _dimension_filter() -> Rule:
    name, value = matching(DIMENSION_NAME, ""), matching(_DIMENSION_VALUE, "")

    def accepts(given: Any) -> bool:
        if given is None:
            return True
        if not isinstance(given, Mapping) or len(given) > MAX_DIMENSIONS:
            return False
        return all(name.accepts(k) and value.accepts(v) for k, v in given.items())

    return Rule(
        f"unset, or an object of up to {MAX_DIMENSIONS} CloudWatch dimension names -> values (printable ASCII)",
        accepts,
    )


@dataclass(frozen=True)
class CounterMetric:
    """The CloudWatch metric a counter's daily total is summed from, and which of its series count. Unset keys
    keep the default: the counter's own name in the reporter's namespace, every series."""

    # The package schema's name for this object type (public API, like a component's type token).
    TYPE_TOKEN: ClassVar[str] = "analytics:reporter:CounterMetric"

    namespace: Optional[str] = tunable(
        None,
        matching(NAMESPACE_PATTERN, "a custom CloudWatch namespace", optional=True),
        "CloudWatch namespace of the metric; unset: the reporter's namespace.",
    )
    metric_name: Optional[str] = tunable(
        None,
        matching(_METRIC_NAME, "a CloudWatch metric name (printable ASCII)", optional=True),
        "CloudWatch metric name; unset: the counter's name.",
    )
    dimensions: Optional[Mapping[str, str]] = tunable(
        None,
        _dimension_filter(),
        'Dimension filter, e.g. {"Outcome": "success"}: only series with each of these dimension values are '
        "summed (and of those, one dimension set: see dimensionNames); unset: every series of the metric.",
    )

    def __post_init__(self) -> None:
        validate_args(self)

    def variable(self) -> dict[str, Any]:
        """The counter's entry in the function's COUNTER_METRICS (contract/reporter.py): only what is set."""
        return {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name) is not None}

    @classmethod
    def from_input(cls, where: str, counter: str, value: Any) -> CounterMetric:
        """A CounterMetric, or an object with its camelCase keys (stack config, the component package). Errors
        name `where` (the Args field, the key the provider and stack config point at) and the counter in it."""
        if isinstance(value, cls):
            return value
        keys = {camel_case(f.name): f.name for f in fields(cls)}
        if not isinstance(value, Mapping):
            raise ArgsError(where, value, f"for {counter}, an object with keys {', '.join(keys)}")
        for key in value:
            if key not in keys:
                raise ArgsError(
                    where, key, f"for {counter}, one of the keys {', '.join(keys)}{did_you_mean(key, keys)}"
                )
        try:
            return cls(**{keys[key]: given for key, given in value.items()})
        except ArgsError as error:
            field = camel_case(error.name.rpartition(".")[2])
            raise ArgsError(where, error.value, f"for {counter}.{field}, {error.allowed}") from None


def product_rule() -> Rule:
    """The shape of the input; which product it names is checked with the other fields (check_product)."""
    return Rule(
        f"a built-in product's id ({', '.join(products.builtin_ids())}), or the JSON text of your own catalogue entry "
        "(docs/products.md), read from its file by your program",
        lambda value: isinstance(value, str) and bool(value.strip()),
    )


def counter_metrics_rule() -> Rule:
    return Rule(
        "unset, or an object of counter name (one of the product's) -> "
        f"{{{', '.join(camel_case(f.name) for f in fields(CounterMetric))}}}",
        lambda value: value is None or isinstance(value, Mapping),
    )


# A vendor's entry arrives as its JSON text: the component may run in the component package's plugin, whose working
# directory is the Pulumi program's (not always the project folder), so a relative path could name another file.
_ENTRY_TEXT_START = "{"


def is_entry_text(value: str) -> bool:
    return value.lstrip().startswith(_ENTRY_TEXT_START)


def _shown(text: str) -> str:
    """A long entry's text, cut for an error message."""
    return text if len(text) <= 60 else text[:57] + "..."


def check_product(where: str, value: str) -> products.Product:
    """The product a built-in id names, or the one a vendor's entry text declares."""
    ids = products.builtin_ids()
    if is_entry_text(value):
        try:
            product = products.parse_text(value, "the entry")
        except products.CatalogueError as error:
            raise ArgsError(where, _shown(value), f"a valid catalogue entry: {error}") from None
        if product.id in ids:
            raise ArgsError(
                where,
                _shown(value),
                f"an entry whose id is not a built-in product's ({product.id!r} is): name a built-in product by its id",
            )
        return product
    if value not in ids:
        hint = (
            ": a path is not read here, pass the file's text (docs/products.md)"
            if products.is_path(value)
            else did_you_mean(value, ids)
        )
        raise ArgsError(
            where, value, f"one of the catalogue's products: {', '.join(ids)}, or an entry's JSON text{hint}"
        )
    return products.builtin(value)


def check_counter_metrics(
    where: str, product: products.Product, given: Optional[Mapping[str, Any]]
) -> Optional[dict[str, CounterMetric]]:
    """Each name a counter of the product (with the closest ones when it is not), each value a CounterMetric."""
    if given is None:
        return None
    checked = {}
    for counter, value in given.items():
        if counter not in product.counter_names:
            raise ArgsError(
                where,
                counter,
                f"a counter of {product.id}: {', '.join(product.counter_names)}"
                f"{did_you_mean(counter, product.counter_names)}",
            )
        checked[counter] = CounterMetric.from_input(where, counter, value)
    return checked


def counter_metrics_variable(given: Optional[Mapping[str, CounterMetric]]) -> Optional[str]:
    """COUNTER_METRICS for the function; None (no variable) when nothing is mapped: every counter by its name."""
    if not given:
        return None
    return json.dumps({name: metric.variable() for name, metric in sorted(given.items())}, sort_keys=True)
