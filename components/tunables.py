"""Tunable fields for component Args: the default, the allowed values and the meaning, as data.

A component's Args dataclass declares each tunable with `tunable(...)`; `validate_args` checks
them at construction, and the stack-config loader reads the same metadata to validate
`Pulumi.<stack>.yaml` and to print the config reference. One declaration, three uses.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

# CloudWatch Logs accepts only these retention periods.
LOG_RETENTION_DAYS = (
    1,
    3,
    5,
    7,
    14,
    30,
    60,
    90,
    120,
    150,
    180,
    365,
    400,
    545,
    731,
    1096,
    1827,
    2192,
    2557,
    2922,
    3288,
    3653,
)


class ArgsError(ValueError):
    """A tunable has a value outside what it allows."""

    def __init__(self, name: str, value: Any, allowed: str):
        self.name, self.value, self.allowed = name, value, allowed
        super().__init__(f"{name} = {value!r} is not allowed: expected {allowed}")


@dataclass(frozen=True)
class Rule:
    allowed: str
    accepts: Callable[[Any], bool]


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def integer(low: int, high: int) -> Rule:
    return Rule(f"an integer from {low} to {high}", lambda v: _is_int(v) and low <= v <= high)


def number(low: float, high: float) -> Rule:
    return Rule(f"a number from {low} to {high}", lambda v: _is_number(v) and low <= v <= high)


def boolean() -> Rule:
    return Rule("true or false", lambda v: isinstance(v, bool))


def one_of(*choices: Any) -> Rule:
    shown = ", ".join(repr(c) for c in choices)
    return Rule(f"one of {shown}", lambda v: any(type(v) is type(c) and v == c for c in choices))


def matching(pattern: str, description: str, optional: bool = False) -> Rule:
    compiled = re.compile(pattern)
    allowed = description + (" (or unset)" if optional else "")

    def accepts(value: Any) -> bool:
        if value is None:
            return optional
        return isinstance(value, str) and compiled.fullmatch(value) is not None

    return Rule(allowed, accepts)


def https_url(optional: bool = False) -> Rule:
    return matching(r"https://[A-Za-z0-9.-]+(:[0-9]{1,5})?(/[A-Za-z0-9._~/-]*)?", "an https:// URL", optional)


def arn(service: str, optional: bool = False) -> Rule:
    return matching(rf"arn:aws[a-z-]*:{service}:[a-z0-9-]*:[0-9]{{12}}:.+", f"an ARN of {service}", optional)


def log_retention() -> Rule:
    return Rule(
        f"a CloudWatch Logs retention in days, one of {', '.join(map(str, LOG_RETENTION_DAYS))}",
        lambda v: _is_int(v) and v in LOG_RETENTION_DAYS,
    )


def tunable(default: Any, rule: Rule, meaning: str) -> Any:
    return dataclasses.field(default=default, metadata={"rule": rule, "meaning": meaning})


def required(meaning: str) -> Any:
    """A field with no default (wiring, such as a resource's output): its meaning, declared once like a tunable's."""
    return dataclasses.field(metadata={"meaning": meaning})


def camel_case(field_name: str) -> str:
    """The name a setting has outside Python: stack config keys and the component package's properties."""
    head, *rest = field_name.split("_")
    return head + "".join(part.title() for part in rest)


def tunable_fields(args_type: type) -> list[dataclasses.Field[Any]]:
    return [f for f in dataclasses.fields(args_type) if "rule" in f.metadata]


def validate_args(args: Any) -> None:
    for f in tunable_fields(type(args)):
        value = getattr(args, f.name)
        if not f.metadata["rule"].accepts(value):
            raise ArgsError(f"{type(args).__name__}.{f.name}", value, f.metadata["rule"].allowed)


def require_together(args: Any, *names: str) -> None:
    """Fields that only make sense as a set: all set or all unset."""
    given = [n for n in names if getattr(args, n) is not None]
    if given and len(given) != len(names):
        missing = [n for n in names if n not in given]
        raise ArgsError(
            f"{type(args).__name__}.{missing[0]}",
            None,
            f"a value, because {', '.join(given)} is set ({', '.join(names)} go together)",
        )
