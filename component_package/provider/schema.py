"""The Pulumi package schema, built from the components: one declaration per setting.

Each input is an Args field: its type from the annotation, its default and allowed values from the tunable
(components/tunables.py), its description from the tunable's meaning, so the stack config, docs/configuration.md's
config table and the generated SDKs read the same words. Outputs are the class annotations, described by the
string literal under each (the convention Pulumi's own component analyzer uses); a component's description is
its class docstring.
"""

import ast
import dataclasses
import inspect
import itertools
import textwrap
from typing import Any

import pulumi

import components
from component_package.provider.hosted import (
    COMPONENTS,
    args_fields,
    args_type,
    is_mapping,
    is_object_type,
    is_sequence,
    object_type_token,
    output_names,
    shape,
)
from components.tunables import camel_case

PACKAGE = "analytics"
_SCALARS = {str: "string", int: "integer", float: "number", bool: "boolean"}
LANGUAGES = ("nodejs", "python", "go", "csharp", "java")


def _type(hint: Any, where: str) -> dict[str, Any]:
    if hint in _SCALARS:
        return {"type": _SCALARS[hint]}
    if is_sequence(hint):
        (item,) = hint.__args__
        return {"type": "array", "items": _type(item, where)}
    if is_mapping(hint):
        key, value = hint.__args__
        if key is not str:
            raise TypeError(f"{where}: a map's keys are strings in the schema, not {key!r}")
        return {"type": "object", "additionalProperties": _type(value, where)}
    if is_object_type(hint):
        return {"$ref": f"#/types/{object_type_token(hint)}"}
    raise TypeError(f"{where}: no schema type for {hint!r}")


def _object_types(hint: Any) -> list[type]:
    """The object types (dataclasses with a TYPE_TOKEN) a hint refers to, at any depth."""
    if is_object_type(hint):
        nested = [t for f in dataclasses.fields(hint) for t in _object_types(shape(f.type, hint).type)]
        return [hint, *nested]
    return [t for arg in getattr(hint, "__args__", ()) for t in _object_types(arg)]


def _object_type(cls: type) -> dict[str, Any]:
    """An object type: each field a property, described like an input (meaning, then what is allowed)."""
    doc = inspect.getdoc(cls)
    if not doc:
        raise ValueError(f"{cls.__name__} has no docstring: it is the type's description")
    properties = {}
    for field in dataclasses.fields(cls):
        where = f"{cls.__name__}.{field.name}"
        properties[camel_case(field.name)] = {
            **_type(shape(field.type, cls).type, where),
            "description": _description(field, where),
        }
    return {"type": "object", "description": _sentence(doc), "properties": properties}


def _sentence(text: str) -> str:
    text = " ".join(text.split())
    return text if text.endswith((".", ")")) else text + "."


def _description(field: dataclasses.Field[Any], where: str) -> str:
    """A field's meaning, then what it allows: the words the stack config reference shows too."""
    if "meaning" not in field.metadata:
        raise ValueError(f"{where} has no meaning: declare it with tunable(...) or required(...)")
    description = _sentence(field.metadata["meaning"])
    if "rule" in field.metadata:
        description += f" Allowed: {field.metadata['rule'].allowed}."
    return description


def _input(component: type, field: dataclasses.Field[Any]) -> dict[str, Any]:
    where = f"{component.__name__}.{field.name}"
    found = shape(field.type, args_type(component))
    prop = {**_type(found.type, where), "description": _description(field, where)}
    if not found.input:
        # A tunable is read at construction (validated, used in names): the SDKs ask for a plain value.
        prop["plain"] = True
    if field.default not in (dataclasses.MISSING, None):
        prop["default"] = field.default
    return prop


def output_descriptions(component: type) -> dict[str, str]:
    """The string literal right under each annotated class attribute."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(component)))
    cls = tree.body[0]
    assert isinstance(cls, ast.ClassDef)  # the source of a class starts with its class statement
    found = {}
    for node, following in itertools.pairwise(cls.body):
        if (
            isinstance(node, ast.AnnAssign)
            and isinstance(node.target, ast.Name)
            and isinstance(following, ast.Expr)
            and isinstance(following.value, ast.Constant)
            and isinstance(following.value.value, str)
        ):
            found[node.target.id] = _sentence(following.value.value)
    return found


def _outputs(component: type) -> tuple[dict[str, Any], list[str]]:
    described = output_descriptions(component)
    properties: dict[str, Any] = {}
    required: list[str] = []
    for name in output_names(component):
        if name not in described:
            raise ValueError(f"{component.__name__}.{name} has no description: put a string literal under it")
        found = shape(component.__annotations__[name], component)
        properties[camel_case(name)] = {
            **_type(found.type, f"{component.__name__}.{name}"),
            "description": described[name],
        }
        if not found.optional:
            required.append(camel_case(name))
    return properties, required


def resource(component: type[pulumi.ComponentResource]) -> dict[str, Any]:
    fields = args_fields(component)
    properties, required = _outputs(component)
    doc = inspect.getdoc(component)
    if not doc:
        raise ValueError(f"{component.__name__} has no docstring: it is the component's description")
    return {
        "isComponent": True,
        "description": _sentence(doc),
        "inputProperties": {key: _input(component, field) for key, field in fields.items()},
        "requiredInputs": [key for key, field in fields.items() if field.default is dataclasses.MISSING],
        "properties": properties,
        "required": required,
    }


def object_types() -> list[type]:
    """Every object type an input of a component holds, once, in the order first met."""
    found: dict[str, type] = {}
    for component in COMPONENTS:
        for field in args_fields(component).values():
            for cls in _object_types(shape(field.type, args_type(component)).type):
                found.setdefault(object_type_token(cls), cls)
    return list(found.values())


def package_schema() -> dict[str, Any]:
    return {
        "name": PACKAGE,
        "displayName": "analytics-collector",
        "version": components.__version__,
        "description": "Privacy-minded usage telemetry on AWS: the collector's components and the DailyAggregator "
        "reporter that runs inside each product deployment.",
        "keywords": ["aws", "telemetry", "analytics", "kind/component", "category/cloud"],
        "resources": {component.TYPE_TOKEN: resource(component) for component in COMPONENTS},
        "types": {object_type_token(cls): _object_type(cls) for cls in object_types()},
        # Generated SDKs carry this version, so a product's SDK says which release it was generated from.
        "language": {language: {"respectSchemaVersion": True} for language in LANGUAGES},
    }
