"""Builds pulumi-policy rules from plain check functions that yield messages, so a rule's logic can be
called and tested without the engine, and every rule carries the security control it enforces."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Optional

from pulumi_policy import (
    PolicyComplianceFramework,
    PolicyConfigSchema,
    ResourceValidationPolicy,
    StackValidationPolicy,
)

FSBP = "AWS Foundational Security Best Practices"

# check(props, config) -> messages about one resource
ResourceCheck = Callable[[dict, dict], Iterable[str]]
# check(resources, config) -> (urn, message) pairs about the whole stack
StackCheck = Callable[[list, dict], Iterable[tuple[Optional[str], str]]]


def _framework(control: Optional[str]) -> Optional[PolicyComplianceFramework]:
    return PolicyComplianceFramework(name=FSBP, reference=control) if control else None


def _config(args, schema: Optional[PolicyConfigSchema]) -> dict:
    """The policy's config with the schema's defaults filled in (the engine fills them; tests may not)."""
    defaults = {k: v["default"] for k, v in (schema.properties if schema else {}).items() if "default" in v}
    return {**defaults, **dict(args.get_config() or {})}


def resource_rule(
    name: str,
    description: str,
    types: Iterable[str],
    check: ResourceCheck,
    control: Optional[str] = None,
    config: Optional[PolicyConfigSchema] = None,
) -> ResourceValidationPolicy:
    wanted = frozenset(types)

    def validate(args, report_violation):
        if args.resource_type in wanted:
            for message in check(args.props, _config(args, config)):
                report_violation(f"{args.name}: {message}", None)

    return ResourceValidationPolicy(
        name=name, description=description, validate=validate, framework=_framework(control), config_schema=config
    )


def stack_rule(
    name: str,
    description: str,
    check: StackCheck,
    control: Optional[str] = None,
    config: Optional[PolicyConfigSchema] = None,
) -> StackValidationPolicy:
    def validate(args, report_violation):
        for urn, message in check(list(args.resources), _config(args, config)):
            report_violation(message, urn)

    return StackValidationPolicy(
        name=name, description=description, validate=validate, framework=_framework(control), config_schema=config
    )


def flag(config_key: str, meaning: str, default: bool = False) -> PolicyConfigSchema:
    return PolicyConfigSchema(properties={config_key: {"type": "boolean", "default": default, "description": meaning}})


def control_of(policy) -> str:
    return policy.framework.reference if policy.framework else ""
