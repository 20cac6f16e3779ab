"""A component's outputs, set and registered in one step, so the attributes users read, the outputs the engine
records and the annotations the class declares (which Pulumi's component schema reads) cannot drift apart."""

from typing import Any

import pulumi


def publish_outputs(component: pulumi.ComponentResource, **outputs: Any) -> None:
    declared = set(getattr(type(component), "__annotations__", {}))
    if declared != set(outputs):
        raise TypeError(
            f"{type(component).__name__} declares outputs {sorted(declared)} but publishes {sorted(outputs)}"
        )
    for name, value in outputs.items():
        setattr(component, name, value)
    component.register_outputs(outputs)
