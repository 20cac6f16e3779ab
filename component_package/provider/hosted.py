"""The components the package hosts, each under the type token its class registers (the URNs of existing stacks)."""

import dataclasses
import inspect
import sys
import typing
from collections.abc import Awaitable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ForwardRef, Union

import pulumi

from components.athena_catalog import AthenaCatalog
from components.collector_endpoint import CollectorEndpoint
from components.collector_monitoring import CollectorMonitoring
from components.collector_waf import CollectorWaf
from components.daily_aggregator import DailyAggregator
from components.firehose_warehouse import FirehoseToS3Warehouse
from components.tunables import camel_case

# Each is built as Component(name, args, opts), unlike pulumi.ComponentResource's own (type, name, props, opts).
HostedComponent = type[
    Union[CollectorEndpoint, FirehoseToS3Warehouse, AthenaCatalog, DailyAggregator, CollectorMonitoring, CollectorWaf]
]
COMPONENTS: tuple[HostedComponent, ...] = (
    CollectorEndpoint,
    FirehoseToS3Warehouse,
    AthenaCatalog,
    DailyAggregator,
    CollectorMonitoring,
    CollectorWaf,
)


@dataclass(frozen=True)
class Shape:
    """A Python annotation reduced to what a schema property says: the plain type, and whether it may be absent.
    `input` is true for pulumi.Input[T]: the value may be another resource's output."""

    type: Any
    optional: bool = False
    input: bool = False


def _evaluate(annotation: Any, owner: Any) -> Any:
    # The components use `from __future__ import annotations`; typing.get_type_hints cannot evaluate
    # pulumi.Input (its Output[T] is a forward reference), so evaluate each one in its module instead.
    if isinstance(annotation, str):
        return eval(annotation, vars(sys.modules[owner.__module__]))
    return annotation


def shape(annotation: Any, owner: Any) -> Shape:
    hint = _evaluate(annotation, owner)
    if typing.get_origin(hint) is pulumi.Output:
        (hint,) = typing.get_args(hint)
    if typing.get_origin(hint) is not typing.Union:
        return Shape(hint)
    members: Sequence[Any] = typing.get_args(hint)
    optional = type(None) in members
    members = [m for m in members if m is not type(None)]
    # pulumi.Input[T] is Union[T, Awaitable[T], Output[T]].
    is_input = any(typing.get_origin(m) is Awaitable or isinstance(m, ForwardRef) for m in members)
    plain = [m for m in members if typing.get_origin(m) is not Awaitable and not isinstance(m, ForwardRef)]
    if len(plain) != 1:
        raise TypeError(f"{owner.__name__}: {annotation!r} has no single schema type")
    inner = shape(plain[0], owner)
    return Shape(inner.type, optional or inner.optional, is_input or inner.input)


def is_sequence(hint: Any) -> bool:
    return typing.get_origin(hint) in (list, Sequence)


def is_mapping(hint: Any) -> bool:
    return typing.get_origin(hint) in (dict, Mapping)


def object_type_token(hint: Any) -> str:
    """The schema token of a dataclass an input holds (e.g. CounterMetric), its TYPE_TOKEN; "" for other types."""
    token = getattr(hint, "TYPE_TOKEN", None)
    return token if dataclasses.is_dataclass(hint) and isinstance(token, str) else ""


def is_object_type(hint: Any) -> bool:
    return bool(object_type_token(hint))


def args_type(component: type[pulumi.ComponentResource]) -> type:
    annotation: type = _evaluate(inspect.signature(component.__init__).parameters["args"].annotation, component)
    return annotation


def output_names(component: type[pulumi.ComponentResource]) -> list[str]:
    """The outputs a component publishes: its class annotations (components.outputs enforces the match)."""
    return list(component.__annotations__)


def args_fields(component: type[pulumi.ComponentResource]) -> dict[str, dataclasses.Field[Any]]:
    """camelCase property name -> Args field."""
    return {camel_case(f.name): f for f in dataclasses.fields(args_type(component))}


def by_token() -> dict[str, HostedComponent]:
    return {component.TYPE_TOKEN: component for component in COMPONENTS}
