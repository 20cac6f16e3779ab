"""Reading resource properties as the engine hands them over: camelCase, policy documents as JSON text or
objects, scalars where lists are allowed, and resources that refer to one another by id, name or ARN."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from pulumi_policy.proxy import UnknownValueError


def is_sequence(value: Any) -> bool:
    """Lists as the engine proxies them are Sequences, not lists."""
    return isinstance(value, Sequence) and not isinstance(value, (str, bytes))


def as_list(value: Any) -> list:
    if value is None:
        return []
    return list(value) if is_sequence(value) else [value]


def known(props: Mapping, key: str) -> Any:
    """The value, or None while a preview cannot know it yet."""
    try:
        return props.get(key)
    except UnknownValueError:
        return None


def policy_document(value: Any) -> dict | None:
    """An IAM-style policy document from a property that holds JSON text or an object; None when absent."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            return {"Statement": [], "unparseable": value}
    return dict(value) if isinstance(value, Mapping) else {"Statement": [], "unparseable": value}


def statements(document: dict | None) -> list[Mapping]:
    if not document:
        return []
    return [s for s in as_list(document.get("Statement")) if isinstance(s, Mapping)]


def get_path(props: Mapping, *path: str, default: Any = None) -> Any:
    node: Any = props
    for key in path:
        if is_sequence(node):
            node = node[0] if node else None
        if not isinstance(node, Mapping) or key not in node:
            return default
        node = node[key]
    return node


def identities(resource) -> set:
    """Every value another resource might use to point at this one."""
    values = {getattr(resource, "urn", None)}
    for key in ("id", "arn", "name", "bucket"):
        value = known(resource.props, key)
        if isinstance(value, str) and value:
            values.add(value)
    values.discard(None)
    return values


def refers_to(resource, prop: str, target) -> bool:
    """Whether `resource.props[prop]` points at `target`, by recorded dependency or by value."""
    if any(dep is target for dep in (getattr(resource, "property_dependencies", None) or {}).get(prop, [])):
        return True
    pointers = as_list(known(resource.props, prop))
    return any(isinstance(value, str) and value in identities(target) for value in pointers)


def of_types(resources: Iterable, types: Iterable[str]) -> Iterator:
    wanted = set(types)
    return (r for r in resources if r.resource_type in wanted)


def companions(resources: list, types: Iterable[str], target, prop: str = "bucket") -> list:
    """The resources of `types` whose `prop` points at `target` (e.g. a bucket's policy or lifecycle)."""
    return [r for r in of_types(resources, types) if refers_to(r, prop, target)]
