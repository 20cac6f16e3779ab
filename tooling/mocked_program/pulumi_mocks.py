"""Run the whole Pulumi program under mocks, per stack, and record every resource it registers.

The Pulumi CLI is not available where this project is developed, so the tests, the demo, the local-cloud
applier and the benchmarks all see the program through this runner. It uses the SDK's public testing API
only: `set_mocks` with a monitor we own (its `resources` give each resource's parent chain) and
`pulumi.runtime.test`, which runs a function in the engine's loop and waits for every registration.
tests/test_mocked_program.py pins that contract, so an SDK upgrade that breaks it fails there by name.

`install()` must run before any module that declares resources is imported (tests/conftest.py does it).
"""

from __future__ import annotations

import json
import runpy
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from unittest import mock

import pulumi
import yaml
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import rpc
from pulumi.runtime import settings as runtime_settings

from stack_config import PROJECT, STACKS  # noqa: F401  (STACKS: the stacks every run_program test covers)

REPO = Path(__file__).resolve().parents[2]
ACCOUNT = "123456789012"
REGION = "us-east-1"


@dataclass
class Registered:
    typ: str
    name: str
    inputs: dict
    custom: bool
    outputs: dict = field(default_factory=dict)  # inputs plus the faked provider-computed values
    parent_type: str = ""


@dataclass
class ProgramRun:
    resources: list[Registered]
    exports: dict = field(default_factory=dict)
    urns: list[str] = field(default_factory=list)  # as the engine names each resource, components included

    def of_type(self, typ: str) -> list[Registered]:
        return [r for r in self.resources if r.typ == typ]

    def one(self, typ: str) -> Registered:
        found = self.of_type(typ)
        assert len(found) == 1, f"expected one {typ}, found {[r.name for r in found]}"
        return found[0]

    def named(self, name: str) -> Registered:
        return next(r for r in self.resources if r.name == name)

    def types(self) -> set[str]:
        return {r.typ for r in self.resources}


def _fake_arn(typ: str, name: str) -> str:
    service = typ.split(":")[1].split("/")[0]
    return f"arn:aws:{service}:{REGION}:{ACCOUNT}:{name}"


def _computed(args: pulumi_mocks.MockResourceArgs) -> dict:
    """Provider-computed outputs the program reads, faked plausibly."""
    typ, name, inputs = args.typ, args.name, args.inputs
    physical = inputs.get("name") or f"{name}-{uuid.uuid5(uuid.NAMESPACE_DNS, name).hex[:7]}"
    out = {"arn": _fake_arn(typ, physical), "name": physical}
    if typ == "aws:s3/bucket:Bucket":
        bucket = inputs.get("bucket") or physical
        out.update(bucket=bucket, arn=f"arn:aws:s3:::{bucket}")
    elif typ == "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream":
        out["arn"] = f"arn:aws:firehose:{REGION}:{ACCOUNT}:deliverystream/{physical}"
    elif typ == "aws:cloudwatch/logGroup:LogGroup":
        out["arn"] = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{physical}"
    elif typ == "aws:apigateway/restApi:RestApi":
        out["rootResourceId"] = "rootresource"
    elif typ == "aws:apigateway/stage:Stage":
        out["invokeUrl"] = f"https://{inputs['restApi']}.execute-api.{REGION}.amazonaws.com/{inputs['stageName']}"
    elif typ == "aws:apigateway/domainName:DomainName":
        out.update(regionalDomainName=f"d-1234.execute-api.{REGION}.amazonaws.com", regionalZoneId="Z1UJRXOUMOOFQ8")
    elif typ == "random:index/randomUuid:RandomUuid":
        out["result"] = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{pulumi.get_stack()}/{name}"))
    elif typ == "aws:iam/role:Role":
        out["arn"] = f"arn:aws:iam::{ACCOUNT}:role/{physical}"
    elif typ == "aws:lambda/function:Function":
        out["arn"] = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{physical}"
    elif typ == "aws:sqs/queue:Queue":
        out["url"] = f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/{physical}"
    return out


def mock_id(name: str) -> str:
    """The id the mocks give a resource: what other resources' inputs hold when they refer to it."""
    return f"{name}-id"


class RecordingMocks(pulumi.runtime.Mocks):
    def __init__(self):
        self.registered: list[Registered] = []
        # Like `pulumi preview` of a new stack: ids and provider-computed outputs are unknown, so
        # `.apply` callbacks on them never run (and a resource declared inside one never registers).
        self.preview = False

    def new_resource(self, args: pulumi_mocks.MockResourceArgs):
        computed = _computed(args)
        outputs = {**args.inputs, **computed}
        self.registered.append(Registered(args.typ, args.name, dict(args.inputs), bool(args.custom), outputs))
        if self.preview:
            unknown = {k: rpc.UNKNOWN for k in computed if k not in args.inputs}
            return ["", {**outputs, **unknown}]
        return [mock_id(args.name), outputs]

    def call(self, args: pulumi_mocks.MockCallArgs):
        if args.token == "aws:index/getCallerIdentity:getCallerIdentity":
            return {"accountId": ACCOUNT, "arn": f"arn:aws:iam::{ACCOUNT}:user/test", "userId": "AIDTEST"}
        if args.token == "aws:index/getRegion:getRegion":
            return {"id": REGION, "name": REGION, "region": REGION}
        if args.token == "aws:index/getPartition:getPartition":
            return {"id": "aws", "partition": "aws", "dnsSuffix": "amazonaws.com"}
        raise NotImplementedError(f"unmocked invoke {args.token}")


MOCKS = RecordingMocks()
MONITOR = pulumi_mocks.MockMonitor(MOCKS)


def install(stack: str = "dev", preview: bool = False) -> None:
    MOCKS.preview = preview
    # A fresh root stack, as each `pulumi up` starts with: stack transformations a program registers live on it.
    runtime_settings.reset_options()
    pulumi.runtime.set_mocks(MOCKS, project=PROJECT, stack=stack, preview=preview, monitor=MONITOR)


def stack_config(stack: str) -> dict[str, str]:
    """A stack's committed Pulumi.<stack>.yaml as the engine hands it to the program (objects as JSON)."""
    raw = yaml.safe_load((REPO / f"Pulumi.{stack}.yaml").read_text())["config"]
    return {k: v if isinstance(v, str) else json.dumps(v) for k, v in raw.items()}


def stack_config_with(stack: str, **sections: dict) -> dict[str, str]:
    """A committed stack's config with these settings merged into its sections (keys as in Pulumi.<stack>.yaml)."""
    config = stack_config(stack)
    for section, settings in sections.items():
        key = f"{PROJECT}:{section}"
        config[key] = json.dumps({**json.loads(config.get(key, "{}")), **settings})
    return config


def run_program(
    stack: str = "dev",
    config: dict[str, str] | None = None,
    program: Path = REPO / "__main__.py",
    preview: bool = False,
) -> ProgramRun:
    """Run the Pulumi program under mocks with the given config; return what it registered and exported."""
    # A registration made outside any run (a component a test builds by hand) waits in the engine's loop until
    # something runs it: settle it now, so this run records only what its program registers.
    pulumi.runtime.test(lambda: None)()
    install(stack, preview)
    pulumi.runtime.set_all_config(stack_config(stack) if config is None else config)
    MOCKS.registered = []
    exports: dict = {}

    def record_export(name, value):
        exports[name] = pulumi.Output.from_input(value)

    MONITOR.resources.clear()
    with mock.patch.object(pulumi, "export", record_export):
        pulumi.runtime.test(lambda: runpy.run_path(str(program), run_name="__main__"))()
    parents = {urn.split("::")[-1]: urn.split("::")[2] for urn in MONITOR.resources}
    for registered in MOCKS.registered:
        chain = parents.get(registered.name, "").split("$")
        registered.parent_type = chain[-2] if len(chain) > 1 else ""
    return ProgramRun(list(MOCKS.registered), {k: resolve(v) for k, v in exports.items()}, list(MONITOR.resources))


def resolve(output):
    """The value of an Output once the mocked engine has settled (None while it is unknown, as in preview)."""
    settled = []
    pulumi.runtime.test(lambda: pulumi.Output.from_input(output).apply(settled.append))()
    return settled[0] if settled else None
