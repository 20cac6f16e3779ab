"""Component Args validate themselves at construction, so a component used from another program fails early too."""

import json

import pytest

from components.collector_endpoint import CollectorEndpointArgs
from components.firehose_warehouse import FirehoseToS3WarehouseArgs
from components.tunables import ArgsError
from contract.guardrails import buckets
from tooling.mocked_program.pulumi_mocks import run_program, stack_config_with


def test_defaults_are_valid():
    FirehoseToS3WarehouseArgs()
    CollectorEndpointArgs(delivery_stream_name="s", delivery_stream_arn="arn")


@pytest.mark.parametrize(
    "field,value",
    [("buffering_size_mib", 129), ("report_retention_days", 0), ("log_retention_days", 2), ("force_destroy", "no")],
)
def test_warehouse_args_reject_out_of_range_values(field, value):
    with pytest.raises(ArgsError, match=rf"FirehoseToS3WarehouseArgs\.{field} = {value!r} is not allowed"):
        FirehoseToS3WarehouseArgs(**{field: value})


def test_endpoint_args_reject_a_partial_custom_domain():
    with pytest.raises(ArgsError, match="certificate_arn"):
        CollectorEndpointArgs(delivery_stream_name="s", delivery_stream_arn="arn", custom_domain_name="a.example.com")


def test_kms_key_switches_bucket_encryption_and_grants_the_delivery_role_the_key_only():
    key = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    run = run_program("prod", stack_config_with("prod", warehouse={"kmsKeyArn": key}))
    rule = run.named("warehouse-encryption").inputs["rules"][0]
    assert rule["applyServerSideEncryptionByDefault"] == {
        "sseAlgorithm": buckets.SSE_ALGORITHM_WITH_KEY,
        "kmsMasterKeyId": key,
    }
    assert rule["bucketKeyEnabled"] is True
    statements = json.loads(run.named("warehouse-delivery-policy").inputs["policy"])["Statement"]
    kms = next(s for s in statements if any(a.startswith("kms:") for a in s["Action"]))
    assert kms["Resource"] == [key]
