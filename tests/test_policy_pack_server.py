"""The policy pack as the Pulumi CLI runs it: `python -m pulumi.policy <engine> policy`, a process serving the
analyzer gRPC protocol on loopback, asked about the program's resources and about bad ones."""

import json
import os
import site
import subprocess
import sys

import grpc
import pytest
from google.protobuf import empty_pb2, struct_pb2
from pulumi.runtime.proto import analyzer_pb2 as proto
from pulumi.runtime.proto import analyzer_pb2_grpc

from policy.catalog import POLICIES
from policy.rule_kit import control_of
from tests.support.policy_runner import run_variant, urn
from tooling.mocked_program.pulumi_mocks import REPO

MANDATORY = proto.EnforcementLevel.Value("MANDATORY")


@pytest.fixture(scope="module")
def analyzer():
    # policy/venv holds pulumi-policy and no project code. Here -S skips the .pth files that put this venv's
    # editable install of the project (possibly another checkout) on the path, so the rules and contract/guardrails/
    # load only through the path policy/__main__.py sets up, as with the CLI.
    env = {k: v for k, v in os.environ.items() if not k.startswith("PULUMI_") and k != "PYTHONPATH"}
    env["PYTHONPATH"] = os.pathsep.join(site.getsitepackages())
    # What pulumi-analyzer-policy-python runs: the pack's venv python on `-m pulumi.policy <engine> <pack dir>`.
    command = [sys.executable, "-S", "-u", "-m", "pulumi.policy", "127.0.0.1:0", str(REPO / "policy")]
    process = subprocess.Popen(command, cwd=REPO / "policy", env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        port = process.stdout.readline().strip()  # the pack prints its port once the server listens
        assert port.isdigit(), process.stderr.read().decode() if process.poll() is not None else port
        channel = grpc.insecure_channel(f"127.0.0.1:{int(port)}")
        grpc.channel_ready_future(channel).result(timeout=30)
        yield analyzer_pb2_grpc.AnalyzerStub(channel)
        channel.close()
    finally:
        process.terminate()
        process.wait(timeout=30)
        process.stdout.close()
        process.stderr.close()


def struct(props: dict) -> struct_pb2.Struct:
    message = struct_pb2.Struct()
    message.update(json.loads(json.dumps(props, default=lambda _: None)))  # archives are not analysed
    return message


def analyze(stub, typ, name, props):
    return stub.Analyze(proto.AnalyzeRequest(type=typ, name=name, urn=urn(typ, name), properties=struct(props)))


def program_resources():
    return [
        (r.typ, r.name, {**r.outputs, "id": f"{r.name}-id"}) for r in run_variant("all-options").resources if r.custom
    ]


def analyze_stack(stub, resources):
    return stub.AnalyzeStack(
        proto.AnalyzeStackRequest(
            resources=[
                proto.AnalyzerResource(type=typ, name=name, urn=urn(typ, name), properties=struct(props))
                for typ, name, props in resources
            ]
        )
    )


def test_the_pack_serves_every_rule_as_mandatory(analyzer):
    info = analyzer.GetAnalyzerInfo(empty_pb2.Empty())
    assert info.name == "analytics-collector-guardrails"
    assert [p.name for p in info.policies] == [p.name for p in POLICIES]
    assert {p.enforcementLevel for p in info.policies} == {MANDATORY}
    served = {p.name: p.framework.reference for p in info.policies if p.HasField("framework")}
    assert served == {p.name: control_of(p) for p in POLICIES if p.framework}


def test_the_program_passes_resource_and_stack_rules(analyzer):
    resources = program_resources()
    for typ, name, props in resources:
        assert list(analyze(analyzer, typ, name, props).diagnostics) == [], name
    assert list(analyze_stack(analyzer, resources).diagnostics) == []


def test_a_bad_resource_is_refused_with_a_mandatory_diagnostic(analyzer):
    response = analyze(
        analyzer,
        "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream",
        "stream",
        {"destination": "extended_s3", "serverSideEncryption": {"enabled": False}},
    )
    (diagnostic,) = response.diagnostics
    assert (diagnostic.policyName, diagnostic.enforcementLevel) == ("firehose-encrypted-at-rest", MANDATORY)
    assert "serverSideEncryption" in diagnostic.message


def test_a_bucket_without_its_tls_policy_fails_the_stack(analyzer):
    resources = [r for r in program_resources() if r[0] != "aws:s3/bucketPolicy:BucketPolicy"]
    names = {d.policyName for d in analyze_stack(analyzer, resources).diagnostics}
    assert names == {"s3-tls-only-bucket-policy", "s3-firehose-bucket-single-writer"}


def test_optional_rules_follow_the_pack_config(analyzer):
    resources = [r for r in program_resources() if not r[0].startswith("aws:wafv2/")]
    assert "apigateway-waf-associated" not in {d.policyName for d in analyze_stack(analyzer, resources).diagnostics}
    required = proto.PolicyConfig(enforcementLevel=MANDATORY, properties=struct({"required": True}))
    analyzer.Configure(proto.ConfigureAnalyzerRequest(policyConfig={"apigateway-waf-associated": required}))
    try:
        names = {d.policyName for d in analyze_stack(analyzer, resources).diagnostics}
        assert names == {"apigateway-waf-associated"}
    finally:
        analyzer.Configure(proto.ConfigureAnalyzerRequest())


def test_x_ray_is_refused_whatever_the_pack_config(analyzer):
    stage = next(r for r in program_resources() if r[0] == "aws:apigateway/stage:Stage")
    traced = (*stage[:2], {**stage[2], "xrayTracingEnabled": True})
    (diagnostic,) = analyze(analyzer, *traced).diagnostics
    assert (diagnostic.policyName, diagnostic.enforcementLevel) == ("apigateway-no-xray-tracing", MANDATORY)


def test_a_template_reading_the_caller_through_an_alias_is_refused(analyzer):
    """The served pack parses templates (policy/vtl_references.py) as the in-process rules do."""
    typ, name, props = next(r for r in program_resources() if r[0] == "aws:apigateway/integration:Integration")
    aliased = {**props, "requestTemplates": {"application/json": "#set($c = $context)$!c.identity.sourceIp"}}
    (diagnostic,) = analyze(analyzer, typ, name, aliased).diagnostics
    assert (diagnostic.policyName, diagnostic.enforcementLevel) == (
        "apigateway-templates-without-client-identity",
        MANDATORY,
    )
    assert "$!c.identity.sourceIp" in diagnostic.message
