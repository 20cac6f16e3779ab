"""Runs the policy pack's rules the way the engine would, on resources from the mocked program or built by hand."""

from __future__ import annotations

from pulumi_policy import (
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
)

from tests.support.made_up_product import config_with_products
from tests.support.shared_runs import shared_run
from tooling.mocked_program.pulumi_mocks import PROJECT, STACKS, ProgramRun, stack_config_with

NO_OPTIONS = PolicyResourceOptions(False, [], False, [], None, [], None)
# Every optional feature on at once, so the guardrails also see what the committed stacks leave off.
ALL_OPTIONS = {
    "endpoint": {
        "manageAccountCloudwatchRole": True,
        "customDomainName": "telemetry.example.com",
        "certificateArn": "arn:aws:acm:us-east-1:123456789012:certificate/abc",
        "hostedZoneId": "Z0123456789ABC",
    },
    "waf": {"enabled": True},
    "monitoring": {"alarmEmail": "ops@example.com"},
    "warehouse": {"kmsKeyArn": "arn:aws:kms:us-east-1:123456789012:key/abc"},
    "reporter": {
        "releasesUrl": "https://telemetry.example.com/products/lunasec-tokenizer/releases",
        "advisoryAlarm": True,
        "upgradeAlarm": True,
    },
}
# "two-products": a stack naming the default product and a made-up one (each product's routes and schema route).
VARIANTS = (*STACKS, "all-options", "opted-out", "two-products")


def run_variant(variant: str) -> ProgramRun:
    if variant == "all-options":
        return shared_run("dev", stack_config_with("dev", **ALL_OPTIONS))
    if variant == "two-products":
        return shared_run("dev", config_with_products("dev"))
    if variant == "opted-out":
        return shared_run("dev", stack_config_with("dev", metricsConfig={"disable_usage_statistic": True}))
    return shared_run(variant)


def urn(typ: str, name: str) -> str:
    return f"urn:pulumi:test::{PROJECT}::{typ}::{name}"


def policy_resource(typ: str, name: str, props: dict) -> PolicyResource:
    return PolicyResource(typ, props, urn(typ, name), name, NO_OPTIONS, None, None, [], {})


def from_run(run: ProgramRun) -> list[PolicyResource]:
    """The program's custom resources as a stack policy sees them after an update: outputs, including id."""
    return [
        policy_resource(r.typ, r.name, {**(getattr(r, "outputs", None) or r.inputs), "id": f"{r.name}-id"})
        for r in run.resources
        if r.custom
    ]


def violations(policy, resources: list[PolicyResource], config: dict | None = None) -> list[str]:
    """Every message the policy reports for these resources (each one alone, or the stack as a whole)."""
    found: list[str] = []

    def report(message, _urn=None):
        found.append(message)

    if isinstance(policy, ResourceValidationPolicy):
        for resource in resources:
            policy.validate(
                ResourceValidationArgs(
                    resource.resource_type, resource.props, resource.urn, resource.name, NO_OPTIONS, None, config
                ),
                report,
            )
    else:
        policy.validate(StackValidationArgs(resources, config), report)
    return found
