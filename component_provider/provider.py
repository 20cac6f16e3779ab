"""The provider the Pulumi engine talks to: it serves the schema and constructs a component from a program's inputs.

Inputs arrive as the schema names them (camelCase), numbers as floats, and values from other resources as
Outputs. They become the component's Args dataclass, whose construction validates every setting, before the
component exists: a bad input is refused with the tunables' message and nothing is registered.
"""

import dataclasses
import json
from typing import Any, Optional

import pulumi
from pulumi.errors import InputPropertiesError
from pulumi.provider import ConstructResult, Provider

import components
from component_provider.hosted import HostedComponent, args_fields, args_type, by_token, output_names, shape
from component_provider.schema import package_schema
from components.tunables import ArgsError, camel_case


class ComponentPackageProvider(Provider):
    def __init__(self) -> None:
        self.components = by_token()
        super().__init__(components.__version__, json.dumps(package_schema()))

    def construct(self, name: str, resource_type: str, inputs: pulumi.Inputs,
                  options: Optional[pulumi.ResourceOptions] = None) -> ConstructResult:
        if resource_type not in self.components:
            raise ValueError(f"{resource_type} is not a component of this package: expected one of "
                             f"{', '.join(sorted(self.components))}")
        component = self.components[resource_type]
        instance = component(name, build_args(component, inputs), options)
        state = {camel_case(output): getattr(instance, output) for output in output_names(component)}
        return ConstructResult(instance.urn, {k: v for k, v in state.items() if v is not None})


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
            raise _refuse(key, f"{where}.{key} is not an input of {component.TYPE_TOKEN}: allowed inputs "
                                          f"are {', '.join(sorted(fields))}")
    for key, field in fields.items():
        if field.default is dataclasses.MISSING and inputs.get(key) is None:
            raise _refuse(key, f"{where}.{key} is required: {field.metadata['meaning']}")
    values = {fields[key].name: _plain_value(component, fields[key], value)
              for key, value in inputs.items() if value is not None}
    try:
        return args_type(component)(**values)
    except ArgsError as error:
        key = camel_case(error.name.rpartition(".")[2])
        raise _refuse(key, str(ArgsError(f"{where}.{key}", error.value, error.allowed))) from None
