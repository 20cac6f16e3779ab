"""CollectorEndpoint: a REST API that validates reports and writes them straight to Firehose."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Optional

import pulumi
import pulumi_aws as aws

import mapping_templates
import schemas
from components import iam_policies
from components.collector_domain import attach_custom_domain
from components.tunables import (
    arn,
    boolean,
    integer,
    log_retention,
    matching,
    number,
    one_of,
    require_together,
    tunable,
    validate_args,
)
from guardrails import stages

# `/record` is where the first shipped reporter posts; both paths behave the same.
RECORD_PATHS = ("record", "record/deployment")
JSON = "application/json"
MODEL_NAME = "UsageReport"

# Integration status -> what the client sees. A Firehose 4xx means our setup is wrong (the report was
# valid), a 5xx is throttling or an outage: both are server errors, and 503 tells clients to retry.
INTEGRATION_RESPONSES = (
    {"status_code": "200", "selection_pattern": None, "template": "accepted_response.vtl"},
    {"status_code": "500", "selection_pattern": r"4\d{2}", "template": "delivery_failed_response.vtl"},
    {"status_code": "503", "selection_pattern": r"5\d{2}", "template": "delivery_failed_response.vtl"},
)
GATEWAY_RESPONSES = (
    {"response_type": "BAD_REQUEST_BODY", "status_code": "400", "template": "bad_request_body_response.vtl"},
    {"response_type": "UNSUPPORTED_MEDIA_TYPE", "status_code": "415",
     "template": "unsupported_media_type_response.vtl"},
    {"response_type": "DEFAULT_4XX", "status_code": None, "template": "default_error_response.vtl"},
    {"response_type": "DEFAULT_5XX", "status_code": None, "template": "default_error_response.vtl"},
)


@dataclass(frozen=True)
class CollectorEndpointArgs:
    delivery_stream_name: pulumi.Input[str]
    delivery_stream_arn: pulumi.Input[str]
    stage_name: str = tunable("v1", matching(r"[A-Za-z0-9_]{1,64}", "1 to 64 letters, digits or _"),
                              "Stage name, the first path segment of the URL.")
    throttle_rate_limit: float = tunable(20.0, number(0.1, 10000), "Steady requests per second for the stage.")
    throttle_burst_limit: int = tunable(40, integer(1, 5000), "Burst of requests allowed above the rate.")
    execution_log_level: str = tunable("ERROR", one_of(*stages.EXECUTION_LOG_LEVELS, "OFF"),
                                       "API Gateway execution logging (needs the account's CloudWatch role).")
    access_log_retention_days: int = tunable(30, log_retention(), "Retention of access and execution logs.")
    manage_account_cloudwatch_role: bool = tunable(
        False, boolean(), "Own the region-wide API Gateway CloudWatch role (one stack per account and region).")
    xray_tracing: bool = tunable(False, boolean(), "Trace requests with AWS X-Ray.")
    custom_domain_name: Optional[str] = tunable(
        None, matching(r"[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?", "a lower-case DNS name", optional=True),
        "Custom domain for the collector, e.g. telemetry.example.com.")
    certificate_arn: Optional[str] = tunable(None, arn("acm", optional=True),
                                             "ACM certificate for the custom domain (same region).")
    hosted_zone_id: Optional[str] = tunable(None, matching(r"Z[A-Z0-9]{1,32}", "a Route 53 zone id", optional=True),
                                            "Route 53 hosted zone that gets the alias record.")

    def __post_init__(self):
        validate_args(self)
        require_together(self, "custom_domain_name", "certificate_arn", "hosted_zone_id")


class CollectorEndpoint(pulumi.ComponentResource):
    rest_api_id: pulumi.Output[str]
    api_name: pulumi.Output[str]  # API Gateway's metrics are keyed by ApiName, not by id
    stage_arn: pulumi.Output[str]
    stage_name: pulumi.Output[str]
    url: pulumi.Output[str]

    def __init__(self, name: str, args: CollectorEndpointArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("analytics:collector:CollectorEndpoint", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)

        api = aws.apigateway.RestApi(
            f"{name}-api",
            description="Accepts anonymous aggregate usage reports.",
            endpoint_configuration={"types": "REGIONAL"},
            opts=child,
        )
        model = aws.apigateway.Model(
            f"{name}-report-model", rest_api=api.id, name=MODEL_NAME, content_type=JSON,
            schema=schemas.model_schema_json(), opts=child)
        validator = aws.apigateway.RequestValidator(
            f"{name}-body-validator", rest_api=api.id, name="validate-report-body",
            validate_request_body=True, validate_request_parameters=False, opts=child)
        role = self._firehose_role(name, args, child)

        request_template = pulumi.Output.from_input(args.delivery_stream_name).apply(
            mapping_templates.firehose_put_record)
        region = aws.get_region_output().region
        routes = []
        for path, resource in self._resources(name, api, child).items():
            routes += self._route(name, path, api, resource, model, validator, role, request_template, region, child)
        routes += self._gateway_responses(name, api, child)

        deployment = aws.apigateway.Deployment(
            f"{name}-deployment",
            rest_api=api.id,
            triggers={"configuration": self._fingerprint(request_template)},
            opts=pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(depends_on=routes)),
        )
        stage = self._stage(name, api, deployment, args, child)

        self.rest_api_id = api.id
        self.api_name = api.name
        self.stage_arn = stage.arn
        self.stage_name = stage.stage_name
        self.url = pulumi.Output.concat(stage.invoke_url, "/", RECORD_PATHS[-1])
        if args.custom_domain_name:
            attach_custom_domain(name, api, stage, args, child)
            self.url = pulumi.Output.concat("https://", args.custom_domain_name, "/", RECORD_PATHS[-1])
        self.register_outputs({"rest_api_id": self.rest_api_id, "api_name": self.api_name,
                               "stage_name": self.stage_name, "stage_arn": self.stage_arn, "url": self.url})

    @staticmethod
    def _firehose_role(name, args, child) -> aws.iam.Role:
        role, _ = iam_policies.service_role(
            f"{name}-firehose-role", f"{name}-firehose-put", "apigateway.amazonaws.com",
            [iam_policies.allow(["firehose:PutRecord"], [args.delivery_stream_arn], "PutReportRecord")], child)
        return role

    @staticmethod
    def _resources(name, api, child) -> dict[str, aws.apigateway.Resource]:
        created: dict[str, aws.apigateway.Resource] = {}
        for path in sorted(RECORD_PATHS, key=lambda p: p.count("/")):
            parent_path, _, part = path.rpartition("/")
            parent_id = created[parent_path].id if parent_path else api.root_resource_id
            created[path] = aws.apigateway.Resource(
                f"{name}-{path.replace('/', '-')}", rest_api=api.id, parent_id=parent_id, path_part=part, opts=child)
        return created

    @staticmethod
    def _route(name, path, api, resource, model, validator, role, request_template, region, child) -> list:
        prefix = f"{name}-{path.replace('/', '-')}-post"
        method = aws.apigateway.Method(
            prefix, rest_api=api.id, resource_id=resource.id, http_method="POST", authorization="NONE",
            request_validator_id=validator.id, request_models={JSON: model.name}, opts=child)
        integration = aws.apigateway.Integration(
            f"{prefix}-firehose",
            rest_api=api.id,
            resource_id=resource.id,
            http_method=method.http_method,
            type="AWS",
            integration_http_method="POST",
            uri=iam_policies.arn("apigateway", region, "firehose", "action/PutRecord"),
            credentials=role.arn,
            # Without a JSON mapping for a content type, NEVER answers 415 instead of passing the body on.
            passthrough_behavior="NEVER",
            request_parameters={"integration.request.header.Content-Type": "'application/x-amz-json-1.1'"},
            request_templates={JSON: request_template},
            opts=child,
        )
        created = [method, integration]
        for response in INTEGRATION_RESPONSES:
            method_response = aws.apigateway.MethodResponse(
                f"{prefix}-{response['status_code']}", rest_api=api.id, resource_id=resource.id,
                http_method=method.http_method, status_code=response["status_code"],
                response_models={JSON: "Empty"}, opts=child)
            created.append(method_response)
            created.append(aws.apigateway.IntegrationResponse(
                f"{prefix}-{response['status_code']}-mapping", rest_api=api.id, resource_id=resource.id,
                http_method=method.http_method, status_code=method_response.status_code,
                selection_pattern=response["selection_pattern"],
                response_templates={JSON: mapping_templates.read(response["template"])},
                opts=pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(depends_on=[integration]))))
        return created

    @staticmethod
    def _gateway_responses(name, api, child) -> list:
        return [
            aws.apigateway.Response(
                f"{name}-{response['response_type'].lower().replace('_', '-')}",
                rest_api_id=api.id,
                response_type=response["response_type"],
                status_code=response["status_code"],
                response_templates={JSON: mapping_templates.read(response["template"])},
                opts=child,
            )
            for response in GATEWAY_RESPONSES
        ]

    @staticmethod
    def _fingerprint(request_template: pulumi.Output[str]) -> pulumi.Output[str]:
        """Changes whenever what the routes do changes, so a new Deployment snapshot is taken."""
        static = "\n".join([
            schemas.model_schema_json(), repr(RECORD_PATHS), repr(INTEGRATION_RESPONSES), repr(GATEWAY_RESPONSES),
            *(mapping_templates.read(r["template"]) for r in INTEGRATION_RESPONSES + GATEWAY_RESPONSES),
        ])
        return request_template.apply(lambda t: hashlib.sha256(f"{static}\n{t}".encode()).hexdigest())

    @staticmethod
    def _stage(name, api, deployment, args, child) -> aws.apigateway.Stage:
        retention = args.access_log_retention_days
        access_logs = aws.cloudwatch.LogGroup(
            f"{name}-access-logs", name=f"/aws/apigateway/{name}-{pulumi.get_stack()}/access",
            retention_in_days=retention, opts=child)
        # API Gateway would otherwise create this group itself, with logs kept forever.
        execution_logs = aws.cloudwatch.LogGroup(
            f"{name}-execution-logs",
            name=pulumi.Output.concat("API-Gateway-Execution-Logs_", api.id, "/", args.stage_name),
            retention_in_days=retention, opts=child)
        depends_on = [execution_logs]
        if args.manage_account_cloudwatch_role:
            depends_on.append(_account_cloudwatch_role(name, child))
        stage = aws.apigateway.Stage(
            f"{name}-stage",
            rest_api=api.id,
            deployment=deployment.id,
            stage_name=args.stage_name,
            xray_tracing_enabled=args.xray_tracing,
            access_log_settings={"destination_arn": access_logs.arn, "format": mapping_templates.access_log_format()},
            opts=pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(depends_on=depends_on)),
        )
        aws.apigateway.MethodSettings(
            f"{name}-method-settings",
            rest_api=api.id,
            stage_name=stage.stage_name,
            method_path=stages.ALL_METHODS,
            settings={
                "metrics_enabled": True,
                "logging_level": args.execution_log_level,
                "data_trace_enabled": False,  # full request logging would store bodies and headers
                "throttling_rate_limit": args.throttle_rate_limit,
                "throttling_burst_limit": args.throttle_burst_limit,
            },
            opts=child,
        )
        return stage


def _account_cloudwatch_role(name, child) -> aws.apigateway.Account:
    """The region-wide role API Gateway uses to write logs. A singleton: see the README."""
    log_groups = iam_policies.arn("logs", aws.get_region_output().region, iam_policies.current_account_id(),
                                  "log-group:*")
    role, policy = iam_policies.service_role(
        f"{name}-apigateway-cloudwatch-role", f"{name}-apigateway-cloudwatch-policy", "apigateway.amazonaws.com",
        [iam_policies.allow(["logs:CreateLogGroup", "logs:CreateLogStream", "logs:DescribeLogStreams",
                             "logs:PutLogEvents"], [log_groups], "WriteApiLogs"),
         # DescribeLogGroups takes no resource ARN in IAM: scoped to log groups it would match nothing.
         iam_policies.allow(["logs:DescribeLogGroups"], ["*"], "ListLogGroups")],
        child)
    return aws.apigateway.Account(
        f"{name}-apigateway-account",
        cloudwatch_role_arn=role.arn,
        opts=pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(depends_on=[policy])),
    )
