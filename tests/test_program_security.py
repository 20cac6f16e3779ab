"""The whole program under mocks, for every committed stack: the secure defaults hold everywhere."""

import json
import re

import pytest

from components.collector_endpoint import CollectorEndpointArgs
from components.tunables import LOG_RETENTION_DAYS
from contract import schemas, templates
from contract.guardrails import buckets
from contract.warehouse import layout as warehouse_layout
from policy.properties import as_list
from policy.vtl_references import caller_reads
from stack_config import section_keys
from tests.support.policy_statements import policy_statements
from tests.support.shared_runs import shared_run
from tooling.mocked_program.pulumi_mocks import PROJECT, STACKS, mock_id, run_program, stack_config


def stack_settings(stack, section):
    return json.loads(stack_config(stack).get(f"{PROJECT}:{section}", "{}"))


@pytest.fixture(params=STACKS)
def stack(request):
    return request.param


def test_every_resource_belongs_to_a_component_with_an_analytics_token(stack):
    run = shared_run(stack)
    components = [r for r in run.resources if not r.custom]
    assert components, "no components registered"
    for component in components:
        assert re.fullmatch(r"analytics:[a-z]+:[A-Z][A-Za-z0-9]+", component.typ), component.typ
    for resource in run.resources:
        if resource.custom:
            assert resource.parent_type.startswith("analytics:"), f"{resource.name} has no component parent"


def test_resource_names_are_unique(stack):
    keys = [(r.typ, r.name) for r in shared_run(stack).resources]
    assert len(keys) == len(set(keys))


def guard_of_each_bucket(run, typ):
    """The one resource of a guard type attached to each bucket of the program, in bucket order."""
    buckets = run.of_type("aws:s3/bucket:Bucket")
    assert buckets
    guards = {r.inputs["bucket"]: r for r in run.of_type(typ)}
    assert len(guards) == len(run.of_type(typ)) == len(buckets), f"not one {typ} per bucket"
    return [guards[mock_id(b.name)] for b in buckets]


def test_bucket_blocks_public_access_and_acls(stack):
    run = shared_run(stack)
    for block in guard_of_each_bucket(run, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"):
        for flag in buckets.PUBLIC_ACCESS_FLAGS:
            assert block.inputs[flag] is True, (block.name, flag)
    for ownership in guard_of_each_bucket(run, "aws:s3/bucketOwnershipControls:BucketOwnershipControls"):
        assert ownership.inputs["rule"]["objectOwnership"] == buckets.OBJECT_OWNERSHIP


def test_bucket_is_encrypted_and_versioned(stack):
    run = shared_run(stack)
    typ = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
    for sse in guard_of_each_bucket(run, typ):
        by_default = sse.inputs["rules"][0]["applyServerSideEncryptionByDefault"]
        # Spelled here: the component picks the algorithm with contract.guardrails.buckets.sse_algorithm.
        assert by_default["sseAlgorithm"] == ("aws:kms" if by_default.get("kmsMasterKeyId") else "AES256"), sse.name
    for versioning in guard_of_each_bucket(run, "aws:s3/bucketVersioning:BucketVersioning"):
        # Spelled here, not read from contract/guardrails/buckets.py: no other test or rule checks versioning.
        assert versioning.inputs["versioningConfiguration"]["status"] == "Enabled"


def test_bucket_policy_denies_requests_without_tls(stack):
    """Spelled out here, not read from contract/guardrails/ (which the components build from), so this test notices the
    statement there narrowed (say, to one action) or turned around, as the policy pack would."""
    run = shared_run(stack)
    policies = guard_of_each_bucket(run, "aws:s3/bucketPolicy:BucketPolicy")
    for bucket, policy in zip(run.of_type("aws:s3/bucket:Bucket"), policies, strict=True):
        arn = bucket.outputs["arn"]
        assert json.loads(policy.inputs["policy"])["Statement"][0] == {
            "Sid": "DenyInsecureTransport",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": [arn, f"{arn}/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        }


def test_only_the_delivery_role_may_put_reports(stack):
    """Spelled out here: the statement in contract/guardrails/buckets.py must say exactly this."""
    run = shared_run(stack)
    arn = run.named("warehouse-reports").outputs["arn"]
    role = run.named("warehouse-delivery-role").outputs["arn"]
    statements = json.loads(run.named("warehouse-tls-only").inputs["policy"])["Statement"]
    assert statements[1:] == [
        {
            "Sid": "DenyWritesButTheWriter",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:PutObject",
            "Resource": f"{arn}/*",
            "Condition": {"ArnNotEquals": {"aws:PrincipalArn": role}},
        }
    ]


def test_the_query_results_bucket_names_no_single_writer(stack):
    """Athena writes results as whoever runs the query (an operator, the report's role), so no one role could
    be the results bucket's only writer; it is a bucket of its own, apart from the reports."""
    statements = json.loads(shared_run(stack).named("catalog-results-tls-only").inputs["policy"])["Statement"]
    assert [s["Sid"] for s in statements] == ["DenyInsecureTransport"]


def test_the_bucket_key_serves_the_delivery_role_only_through_s3_for_its_bucket():
    from tests.support.policy_runner import run_variant

    run = run_variant("all-options")
    arn = run.named("warehouse-reports").outputs["arn"]
    policy = json.loads(run.named("warehouse-delivery-policy").inputs["policy"])
    (grant,) = [s for s in policy["Statement"] if any(a.startswith("kms:") for a in as_list(s["Action"]))]
    assert grant["Condition"] == {
        "StringEquals": {"kms:ViaService": "s3.us-east-1.amazonaws.com"},
        "StringLike": {"kms:EncryptionContext:aws:s3:arn": [arn, f"{arn}/*"]},
    }


def test_lifecycle_bounds_retention_as_configured(stack):
    rules = {r["id"]: r for r in shared_run(stack).named("warehouse-lifecycle").inputs["rules"]}
    configured = stack_settings(stack, "warehouse")
    reports = rules["expire-reports"]
    assert reports["filter"]["prefix"] == warehouse_layout.REPORTS_PREFIX
    assert reports["expiration"]["days"] == configured["reportRetentionDays"]
    assert rules["expire-delivery-errors"]["expiration"]["days"] == configured["errorRetentionDays"]
    cleanup = rules["expire-old-versions-and-uploads"]
    assert cleanup["noncurrentVersionExpiration"]["noncurrentDays"] >= 1
    assert (
        cleanup["abortIncompleteMultipartUpload"]["daysAfterInitiation"] == 1
    )  # spelled: the guard reads contract/guardrails/
    assert all(r["status"] == "Enabled" for r in rules.values())


def test_force_destroy_only_in_dev(stack):
    for bucket in shared_run(stack).of_type("aws:s3/bucket:Bucket"):
        assert bucket.inputs.get("forceDestroy", False) is (stack == "dev"), bucket.name


def test_firehose_writes_gzip_lines_under_daily_partitions(stack):
    stream = shared_run(stack).one("aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream").inputs
    configured = stack_settings(stack, "warehouse")
    assert stream["destination"] == "extended_s3"
    assert stream["serverSideEncryption"]["enabled"] is True
    s3 = stream["extendedS3Configuration"]
    assert s3["compressionFormat"] == "GZIP"
    assert s3["prefix"] == "reports/dt=!{timestamp:yyyy-MM-dd}/"
    assert "!{firehose:error-output-type}" in s3["errorOutputPrefix"]
    assert s3["errorOutputPrefix"].startswith(warehouse_layout.ERRORS_PREFIX)
    assert s3["bufferingSize"] == configured["bufferingSizeMib"]
    assert s3["bufferingInterval"] == configured["bufferingIntervalSeconds"]
    assert s3["cloudwatchLoggingOptions"]["enabled"] is True


def test_every_log_group_has_a_retention_cloudwatch_accepts(stack):
    groups = shared_run(stack).of_type("aws:cloudwatch/logGroup:LogGroup")
    assert groups
    for group in groups:
        assert group.inputs.get("retentionInDays") in LOG_RETENTION_DAYS, group.name


def test_no_allow_statement_has_a_wildcard_action(stack):
    statements = policy_statements(shared_run(stack))
    assert {"sts:AssumeRole", "firehose:PutRecord"} <= {a for s in statements for a in as_list(s["Action"])}
    for statement in statements:
        if statement["Effect"] == "Allow":
            for action in as_list(statement["Action"]):
                assert "*" not in action, statement


def test_firehose_role_writes_only_its_bucket_prefixes_and_log_stream(stack):
    run = shared_run(stack)
    bucket = run.named("warehouse-reports").outputs["bucket"]
    policy = json.loads(run.named("warehouse-delivery-policy").inputs["policy"])
    resources = [res for s in policy["Statement"] for res in as_list(s["Resource"])]
    assert "*" not in resources
    writes = next(s for s in policy["Statement"] if "s3:PutObject" in s["Action"])
    assert sorted(writes["Resource"]) == sorted(
        f"arn:aws:s3:::{bucket}/{p}*" for p in (warehouse_layout.REPORTS_PREFIX, warehouse_layout.ERRORS_PREFIX)
    )
    logs = next(s for s in policy["Statement"] if "logs:PutLogEvents" in s["Action"])
    assert logs["Resource"][0].endswith(":log-stream:S3Delivery")


def test_api_role_may_only_put_records_on_its_stream(stack):
    run = shared_run(stack)
    stream_arn = run.one("aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream").outputs["arn"]
    policy = json.loads(run.named("collector-firehose-put").inputs["policy"])
    assert policy["Statement"] == [
        {"Sid": "PutReportRecord", "Effect": "Allow", "Action": ["firehose:PutRecord"], "Resource": [stream_arn]}
    ]


def test_service_roles_trust_one_service_with_its_documented_guard(stack):
    from components.iam_policies import TRUST_CONDITION_KEYS

    roles = shared_run(stack).of_type("aws:iam/role:Role")
    assert roles
    for role in roles:
        (statement,) = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
        (service,) = statement["Principal"].values()
        assert list(statement["Principal"]) == ["Service"] and isinstance(service, str)
        if service in TRUST_CONDITION_KEYS:
            assert statement["Condition"] == {"StringEquals": {TRUST_CONDITION_KEYS[service]: "123456789012"}}
        else:
            assert "Condition" not in statement, f"{role.name}: {service} documents no trust condition"


def test_firehose_role_trust_names_this_account_as_external_id(stack):
    trust = json.loads(shared_run(stack).named("warehouse-delivery-role").inputs["assumeRolePolicy"])
    assert trust["Statement"][0]["Condition"] == {"StringEquals": {"sts:ExternalId": "123456789012"}}


def test_model_is_the_schema_file_with_refs_inlined(stack):
    model = shared_run(stack).one("aws:apigateway/model:Model").inputs
    assert model["contentType"] == "application/json"
    assert model["schema"] == schemas.model_schema_json()


def test_both_record_paths_validate_and_integrate_with_firehose(stack):
    run = shared_run(stack)
    resources = {r.inputs["pathPart"]: r for r in run.of_type("aws:apigateway/resource:Resource")}
    assert set(resources) == {"record", "deployment"}
    methods = run.of_type("aws:apigateway/method:Method")
    integrations = run.of_type("aws:apigateway/integration:Integration")
    assert len(methods) == len(integrations) == 2
    validator = run.one("aws:apigateway/requestValidator:RequestValidator").inputs
    assert validator["validateRequestBody"] is True
    stream = run.one("aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream").outputs["name"]
    for method in methods:
        assert method.inputs["httpMethod"] == "POST"
        assert method.inputs["requestValidatorId"] == "collector-body-validator-id"
        assert method.inputs["requestModels"] == {"application/json": "UsageReport"}
    for integration in integrations:
        inputs = integration.inputs
        assert inputs["type"] == "AWS" and inputs["integrationHttpMethod"] == "POST"
        assert inputs["uri"] == "arn:aws:apigateway:us-east-1:firehose:action/PutRecord"
        assert inputs["passthroughBehavior"] == "NEVER"
        assert inputs["requestParameters"] == {
            "integration.request.header.Content-Type": "'application/x-amz-json-1.1'"
        }
        assert inputs["requestTemplates"] == {"application/json": templates.firehose_put_record(stream)}
        assert inputs["credentials"].startswith("arn:aws:iam::")


def test_firehose_errors_never_look_like_success(stack):
    responses = shared_run(stack).of_type("aws:apigateway/integrationResponse:IntegrationResponse")
    by_pattern = {}
    for response in responses:
        by_pattern.setdefault(response.inputs.get("selectionPattern"), set()).add(response.inputs["statusCode"])
    assert by_pattern == {None: {"200"}, r"4\d{2}": {"500"}, r"5\d{2}": {"503"}}
    accepted = next(r for r in responses if r.inputs["statusCode"] == "200")
    assert json.loads(accepted.inputs["responseTemplates"]["application/json"]) == {"status": "accepted"}
    for response in responses:
        assert "RecordId" not in response.inputs["responseTemplates"]["application/json"]


def test_invalid_bodies_get_json_errors_with_the_validation_reason(stack):
    responses = {
        r.inputs["responseType"]: r.inputs for r in shared_run(stack).of_type("aws:apigateway/response:Response")
    }
    bad_body = responses["BAD_REQUEST_BODY"]
    assert bad_body["statusCode"] == "400"
    assert "$context.error.validationErrorString" in bad_body["responseTemplates"]["application/json"]
    assert responses["UNSUPPORTED_MEDIA_TYPE"]["statusCode"] == "415"
    assert {"DEFAULT_4XX", "DEFAULT_5XX"} <= set(responses)


def test_stage_throttles_logs_and_measures(stack):
    run = shared_run(stack)
    configured = stack_settings(stack, "endpoint")
    settings = run.one("aws:apigateway/methodSettings:MethodSettings").inputs
    assert settings["methodPath"] == "*/*"  # spelled: the component reads contract/guardrails/stages.py
    s = settings["settings"]
    assert s["metricsEnabled"] is True
    assert s["dataTraceEnabled"] is False
    assert s["throttlingRateLimit"] == configured["throttleRateLimit"]
    assert s["throttlingBurstLimit"] == configured["throttleBurstLimit"]
    default_level = section_keys(CollectorEndpointArgs)["executionLogLevel"].default
    assert s["loggingLevel"] == configured.get("executionLogLevel", default_level)


def test_no_stack_keeps_a_trace_of_a_client(stack):
    """Spelled here rather than read from contract/guardrails/stages.py: widening the guard there must fail this
    test."""
    run = shared_run(stack)
    assert run.one("aws:apigateway/stage:Stage").inputs["xrayTracingEnabled"] is False
    settings = run.one("aws:apigateway/methodSettings:MethodSettings").inputs["settings"]
    assert settings["loggingLevel"] == "ERROR"
    assert settings["dataTraceEnabled"] is False
    assert not run.of_type("aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration")


def test_waf_keeps_no_sampled_requests_and_no_logs():
    from tests.support.policy_runner import run_variant

    run = run_variant("all-options")
    acl = run.one("aws:wafv2/webAcl:WebAcl").inputs
    visibility = [acl["visibilityConfig"], *(rule["visibilityConfig"] for rule in acl["rules"])]
    assert len(visibility) > 1 and all(v["sampledRequestsEnabled"] is False for v in visibility)
    assert not run.of_type("aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration")


@pytest.mark.parametrize("level", ["INFO", "DEBUG"])
def test_the_endpoint_refuses_execution_logs_that_keep_headers(level):
    from components.tunables import ArgsError

    with pytest.raises(
        ArgsError,
        match=rf"execution_log_level = '{level}' is not allowed: expected one of 'ERROR', "
        r"'OFF'",
    ):
        CollectorEndpointArgs(delivery_stream_name="s", delivery_stream_arn="arn", execution_log_level=level)


def test_x_ray_is_no_endpoint_setting():
    with pytest.raises(TypeError, match="xray_tracing"):
        CollectorEndpointArgs(delivery_stream_name="s", delivery_stream_arn="arn", xray_tracing=True)


def test_access_logs_are_json_without_client_identity(stack):
    stage = shared_run(stack).one("aws:apigateway/stage:Stage").inputs
    log_format = stage["accessLogSettings"]["format"]
    assert "\n" not in log_format
    assert log_format == templates.access_log_format()
    assert "requestId" in json.loads(log_format)
    # What counts as client identity is defined once, by the policy pack's template parser.
    assert caller_reads(log_format) == [], log_format
    assert stage["accessLogSettings"]["destinationArn"].startswith("arn:aws:logs:")


def test_execution_log_group_is_precreated_with_retention(stack):
    group = shared_run(stack).named("collector-execution-logs").inputs
    assert group["name"] == "API-Gateway-Execution-Logs_collector-api-id/v1"
    assert group["retentionInDays"] == stack_settings(stack, "endpoint")["accessLogRetentionDays"]


def test_account_cloudwatch_role_is_not_managed_by_default(stack):
    assert not shared_run(stack).of_type("aws:apigateway/account:Account")


def test_exports_name_the_endpoint_bucket_and_stream(stack):
    exports = shared_run(stack).exports
    assert exports["collector_url"].startswith("https://") and exports["collector_url"].endswith("/record/deployment")
    run = shared_run(stack)
    assert exports["bucket_name"] == run.named("warehouse-reports").outputs["bucket"]
    assert (
        exports["delivery_stream_name"]
        == run.one("aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream").outputs["name"]
    )


def test_stacks_differ_where_they_should():
    rates = {s: stack_settings(s, "endpoint")["throttleRateLimit"] for s in STACKS}
    retention = {s: stack_settings(s, "warehouse")["reportRetentionDays"] for s in STACKS}
    buffering = {s: stack_settings(s, "warehouse")["bufferingSizeMib"] for s in STACKS}
    assert rates["dev"] < rates["staging"] < rates["prod"]
    assert retention["dev"] < retention["staging"] < retention["prod"]
    assert buffering["dev"] < buffering["prod"]


def test_arns_the_program_builds_follow_the_deploying_partition(monkeypatch):
    from tooling.mocked_program.pulumi_mocks import MOCKS, stack_config_with

    answer = MOCKS.call

    def china(args):
        if args.token == "aws:index/getPartition:getPartition":
            return {"id": "aws-cn", "partition": "aws-cn", "dnsSuffix": "amazonaws.com.cn"}
        return answer(args)

    monkeypatch.setattr(MOCKS, "call", china)
    run = run_program(
        "dev",
        stack_config_with(
            "dev", endpoint={"manageAccountCloudwatchRole": True}, monitoring={"alarmEmail": "ops@example.com"}
        ),
    )
    for integration in run.of_type("aws:apigateway/integration:Integration"):
        assert integration.inputs["uri"] == "arn:aws-cn:apigateway:us-east-1:firehose:action/PutRecord"
    log_writes = json.loads(run.named("collector-apigateway-cloudwatch-policy").inputs["policy"])["Statement"][0]
    assert log_writes["Resource"] == ["arn:aws-cn:logs:us-east-1:123456789012:log-group:*"]
    key_admin = json.loads(run.one("aws:kms/key:Key").inputs["policy"])["Statement"][0]
    assert key_admin["Principal"] == {"AWS": "arn:aws-cn:iam::123456789012:root"}
