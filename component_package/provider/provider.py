"""The provider the Pulumi engine talks to: it serves the schema and constructs a component from a program's inputs.

Inputs arrive as the schema names them (camelCase), numbers as floats, and values from other resources as
Outputs. They become the component's Args dataclass, whose construction validates every setting, before the
component exists: a bad input is refused with the tunables' message and nothing is registered.

A secret input (`config.requireSecret`) and a value from another resource arrive as Outputs whose value the
engine already sent. The Args accept an Output as it is (its value is checked when it resolves, after the
component registered its children, in a traceback that would print it), so build_args first checks the value
each such Output carries, and names a secret's key, never its value.
"""

import asyncio
import dataclasses
import json
from typing import Any, Optional

import pulumi
from pulumi.errors import InputPropertiesError
from pulumi.provider import ConstructResult, Provider

import components
from component_package.provider.hosted import HostedComponent, args_fields, args_type, by_token, output_names, shape
from component_package.provider.schema import package_schema
from components.tunables import ArgsError, camel_case


class ComponentPackageProvider(Provider):
    def __init__(self) -> None:
        self.components = by_token()
        super().__init__(components.__version__, json.dumps(package_schema()))

    def construct(
        self, name: str, resource_type: str, inputs: pulumi.Inputs, options: Optional[pulumi.ResourceOptions] = None
    ) -> ConstructResult:
        if resource_type not in self.components:
            raise ValueError(
                f"{resource_type} is not a component of this package: expected one of "
                f"{', '.join(sorted(self.components))}"
            )
        component = self.components[resource_type]
        instance = component(name, build_args(component, inputs), options)
        state = {camel_case(output): getattr(instance, output) for output in output_names(component)}
        return ConstructResult(instance.urn, {k: v for k, v in state.items() if v is not None})


class _Redacted:
    def __repr__(self) -> str:
        return "[secret]"


REDACTED = _Redacted()


@dataclasses.dataclass(frozen=True)
class _Carried:
    value: Any
    secret: bool


def _carried(value: Any) -> Optional[_Carried]:
    """What an Output deserialized from the request holds, if it is already known (the engine sent it): the
    provider server builds such Outputs from a resolved future. None for anything else, such as an unknown in
    a preview, which the component then checks when it resolves."""
    if not isinstance(value, pulumi.Output):
        return None
    data = getattr(value, "_data", None)
    if not (isinstance(data, asyncio.Future) and data.done()) or data.cancelled() or data.exception():
        return None
    resolved = data.result()
    if not resolved.is_known or isinstance(resolved.value, pulumi.Output):
        return None
    return _Carried(resolved.value, bool(resolved.is_secret))


def _refuse(key: str, message: str) -> InputPropertiesError:
    # The message is what the CLI prints; the property path lets it point at the key.
    return InputPropertiesError(message, [{"property_path": key, "reason": message}])


def _plain_value(component: HostedComponent, field: dataclasses.Field[Any], value: Any) -> Any:
    """Integers travel as floats; an integral float for an int field becomes the int its rule expects."""
    if isinstance(value, float) and value.is_integer() and shape(field.type, args_type(component)).type is int:
        return int(value)
    return value


def build_args(component: HostedComponent, inputs: pulumi.Inputs) -> Any:
    fields = args_fields(component)
    where = component.__name__
    for key in inputs:
        if key not in fields:
            raise _refuse(
                key,
                f"{where}.{key} is not an input of {component.TYPE_TOKEN}: allowed inputs "
                f"are {', '.join(sorted(fields))}",
            )
    for key, field in fields.items():
        if field.default is dataclasses.MISSING and inputs.get(key) is None:
            raise _refuse(key, f"{where}.{key} is required: {field.metadata['meaning']}")
    values = {
        fields[key].name: _plain_value(component, fields[key], value)
        for key, value in inputs.items()
        if value is not None
    }
    carried = {name: _carried(value) for name, value in values.items()}
    secret = {name for name, found in carried.items() if found is not None and found.secret}
    # The values the Outputs carry, checked by the same rules as plain ones, before anything registers.
    carried_values = {
        name: value if (found := carried[name]) is None else found.value for name, value in values.items()
    }
    _args(component, carried_values, secret)
    return _args(component, values, secret)


def _args(component: type, values: dict[str, Any], secret: set[str]) -> Any:
    try:
        return args_type(component)(**values)
    except ArgsError as error:
        name = error.name.rpartition(".")[2]
        key = camel_case(name)
        shown = REDACTED if name in secret else error.value
        raise _refuse(key, str(ArgsError(f"{component.__name__}.{key}", shown, error.allowed))) from None
