"""The LocalStack applier without LocalStack: it knows every resource and input the program registers,
fails loudly on anything else, and rewrites the mocks' references into the created resources' own."""

from __future__ import annotations

import dataclasses

import pytest

from tests.support.policy_runner import VARIANTS, run_variant
from tooling.local_cloud import applier
from tooling.local_cloud.applier import Applier, ApplyError, plan
from tooling.mocked_program.pulumi_mocks import ACCOUNT, ProgramRun, Registered

LOCAL_ACCOUNT = "000000000000"


class RecordingAws:
    """Answers every boto3 call with a response that has whatever field the applier reads."""

    def __init__(self, calls: list):
        self.calls = calls

    def __getattr__(self, operation):
        def call(**kwargs):
            self.calls.append((operation, kwargs))
            n = len(self.calls)
            return {
                "Account": LOCAL_ACCOUNT,
                "id": f"real{n}",
                "rootResourceId": f"root{n}",
                "Role": {"Arn": f"arn:aws:iam::{LOCAL_ACCOUNT}:role/r{n}"},
                "DeliveryStreamARN": f"arn:aws:firehose:us-east-1:{LOCAL_ACCOUNT}:deliverystream/s{n}",
                "logGroups": [{"arn": f"arn:aws:logs:us-east-1:{LOCAL_ACCOUNT}:log-group:g{n}:*"}],
            }

        return call


class OfflineApplier(Applier):
    def __init__(self):
        super().__init__("http://127.0.0.1:1")
        self.calls: list = []

    def aws(self, service):
        return RecordingAws(self.calls)


@pytest.fixture(scope="module", params=VARIANTS)
def program(request) -> ProgramRun:
    return run_variant(request.param)


@pytest.fixture(scope="module")
def dev() -> ProgramRun:
    return run_variant("dev")


def test_every_variant_applies_whole_with_the_localstack_header_only_on_integrations(program):
    offline = OfflineApplier()
    deployment = offline.apply(program)
    assert deployment.applied and set(deployment.applied).isdisjoint(deployment.skipped)
    integrations = [kwargs for operation, kwargs in offline.calls if operation == "put_integration"]
    program_integrations = [r for r in program.resources if r.typ == "aws:apigateway/integration:Integration"]
    assert len(integrations) == len(program_integrations) >= len(deployment.record_urls())
    for kwargs in integrations:
        if kwargs["type"] == "MOCK":  # a product's schema, answered by API Gateway itself: nothing to target
            assert "requestParameters" not in kwargs and "uri" not in kwargs
            continue
        assert kwargs["requestParameters"]["integration.request.header.X-Amz-Target"] == "'Firehose_20150804.PutRecord'"
    assert all("X-Amz-Target" not in str(r.inputs) for r in program_integrations), "the program must not send it"
    sent = repr(offline.calls)
    assert ACCOUNT not in sent and "-id'" not in sent, "a mocked account or id reached LocalStack"


# What a report needs on its way from the POST to S3; none of it may be skipped.
INGEST_PATH_TYPES = {
    "aws:s3/bucket:Bucket",
    "aws:s3/bucketPolicy:BucketPolicy",
    "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream",
    "aws:apigateway/restApi:RestApi",
    "aws:apigateway/model:Model",
    "aws:apigateway/requestValidator:RequestValidator",
    "aws:apigateway/method:Method",
    "aws:apigateway/integration:Integration",
    "aws:apigateway/integrationResponse:IntegrationResponse",
    "aws:apigateway/response:Response",
    "aws:apigateway/stage:Stage",
}


def test_the_ingest_path_is_applied_whole_and_every_skip_has_a_reason(program):
    steps = plan(program)
    assert {resource.typ for resource, reason in steps if reason is None} >= INGEST_PATH_TYPES
    assert all(reason.strip() for _, reason in steps if reason is not None)
    assert set(applier.SKIPPED_TYPES).isdisjoint(applier.APPLY), "a type both applied and skipped is skipped"


def _with(program: ProgramRun, **changes) -> ProgramRun:
    first = next(r for r in program.resources if r.typ == "aws:apigateway/restApi:RestApi")
    changed = dataclasses.replace(first, **changes)
    return ProgramRun([changed if r is first else r for r in program.resources], program.exports)


def test_an_unknown_resource_type_fails_loudly(dev):
    program = _with(dev, typ="aws:apigateway/usagePlan:UsagePlan")
    with pytest.raises(ApplyError, match="does not know resource type aws:apigateway/usagePlan:UsagePlan"):
        plan(program)


def test_an_unknown_component_fails_loudly(dev):
    program = ProgramRun([*dev.resources, Registered("analytics:new:Thing", "thing", {}, False)], dev.exports)
    with pytest.raises(ApplyError, match="analytics:new:Thing"):
        plan(program)


def test_an_input_the_applier_does_not_know_fails_loudly(dev):
    rest_api = next(r for r in dev.resources if r.typ == "aws:apigateway/restApi:RestApi")
    program = _with(dev, inputs={**rest_api.inputs, "policy": "{}"})
    with pytest.raises(ApplyError, match=r"does not know input\(s\) \['policy'\]"):
        OfflineApplier().apply(program)


def test_references_are_rewritten_longest_first():
    offline = OfflineApplier()
    offline._replace("collector-record-id", "abc")
    offline._replace("collector-record-deployment-id", "xyz")
    offline._replace(ACCOUNT, LOCAL_ACCOUNT)
    assert offline.translate(
        {"a": ["collector-record-deployment-id", f"arn:aws:iam::{ACCOUNT}:role/x"], "b": "logs_collector-record-id/v1"}
    ) == {"a": ["xyz", f"arn:aws:iam::{LOCAL_ACCOUNT}:role/x"], "b": "logs_abc/v1"}
