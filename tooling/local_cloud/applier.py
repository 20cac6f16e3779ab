"""Create in LocalStack exactly what the Pulumi program registers for the ingest path.

The program runs under the mocks harness (tooling/mocked_program/pulumi_mocks.py); each registered resource's
inputs are replayed here with boto3, in registration order (the engine registers a resource only once
the resources it refers to exist). References between resources hold the mocks' ids and account, so
each created resource's real id, name and ARN replace the mocked ones in every later input.

Every input key must be one this module knows how to apply: a new setting in a component makes the
applier fail rather than deploy something quietly different.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import ClassVar

from components.api_routes import GATEWAY_ANSWER, PUT_RECORD, RECORD_PATHS
from contract.guardrails import buckets
from tooling.local_cloud.aws_clients import client
from tooling.mocked_program import pulumi_mocks

INGEST_COMPONENTS = ("analytics:warehouse:FirehoseToS3Warehouse", "analytics:collector:CollectorEndpoint")

# Parts of the program that are deliberately not deployed to LocalStack, and why.
SKIPPED_COMPONENTS = {
    "analytics:catalog:AthenaCatalog": "LocalStack has no Glue/Athena; the saved queries run on DuckDB instead",
    "analytics:reporter:DailyAggregator": "Lambda needs Docker here; the handler runs as a function instead",
    "analytics:operations:CollectorMonitoring": "alarms and dashboards are not evaluated by the emulator",
    "analytics:collector:CollectorWaf": "LocalStack's community edition has no WAF",
}
SKIPPED_TYPES = {
    "aws:apigateway/account:Account": "region-wide logging role; LocalStack writes no execution logs",
    "aws:apigateway/domainName:DomainName": "custom domains need DNS and ACM; the demo calls the execute-api URL",
    "aws:apigateway/basePathMapping:BasePathMapping": "belongs to the custom domain",
    "aws:route53/record:Record": "belongs to the custom domain",
    "aws:cloudwatch/metricAlarm:MetricAlarm": "alarms are not evaluated by the emulator",
}

# Real AWS routes a firehose:action URI by itself; LocalStack needs the target header, for the routes' action. Only
# here.
LOCALSTACK_INTEGRATION_HEADERS = {
    "integration.request.header.X-Amz-Target": f"'Firehose_20150804.{PUT_RECORD.firehose_action}'"
}


# Where API Gateway keeps a method and its parts (integration, responses): the API, the resource, the HTTP verb.
METHOD_ADDRESS = ("restApi", "resourceId", "httpMethod")


class ApplyError(RuntimeError):
    pass


@dataclass
class LocalDeployment:
    endpoint_url: str
    rest_api_id: str
    stage_name: str
    bucket_name: str
    stream_name: str
    applied: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)

    @property
    def base_url(self) -> str:
        return f"{self.endpoint_url}/_aws/execute-api/{self.rest_api_id}/{self.stage_name}"

    def url(self, path: str = RECORD_PATHS[-1]) -> str:
        return f"{self.base_url}/{path}"

    def record_urls(self) -> dict[str, str]:
        return {path: self.url(path) for path in RECORD_PATHS}


def _known(inputs: dict, typ: str, *keys: str) -> dict:
    unknown = sorted(set(inputs) - set(keys))
    if unknown:
        raise ApplyError(f"{typ}: the applier does not know input(s) {unknown}; teach tooling/local_cloud/applier.py")
    return inputs


def _response_parameters(inputs: dict) -> dict:
    """The response headers a response maps (Retry-After), when it maps any."""
    return {"responseParameters": inputs["responseParameters"]} if inputs.get("responseParameters") else {}


def _int(value):
    return int(value) if isinstance(value, float) and value.is_integer() else value


def _pascal(value, renames: dict[str, str] | None = None):
    """camelCase Pulumi inputs -> PascalCase AWS API shapes, whole numbers as int."""
    renames = renames or {}
    if isinstance(value, dict):
        return {renames.get(k, k[:1].upper() + k[1:]): _pascal(v, renames) for k, v in value.items()}
    if isinstance(value, list):
        return [_pascal(v, renames) for v in value]
    return _int(value)


class Applier:
    def __init__(self, endpoint_url: str):
        self.endpoint_url = endpoint_url
        self.clients: dict[str, object] = {}
        self.replacements: dict[str, str] = {}
        self._pattern: re.Pattern | None = None

    def aws(self, service: str):
        if service not in self.clients:
            self.clients[service] = client(service, self.endpoint_url)
        return self.clients[service]

    # --- reference translation -------------------------------------------------------------------
    def _replace(self, mocked: str | None, real: str | None) -> None:
        if mocked and real and mocked != real:
            self.replacements[mocked] = real
            self._pattern = None

    def translate(self, value):
        if isinstance(value, dict):
            return {k: self.translate(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.translate(v) for v in value]
        if not isinstance(value, str) or not self.replacements:
            return value
        if self._pattern is None:  # longest first, so no replacement eats part of a longer one
            keys = sorted(self.replacements, key=len, reverse=True)
            self._pattern = re.compile("|".join(map(re.escape, keys)))
        return self._pattern.sub(lambda m: self.replacements[m.group(0)], value)

    # --- the run ------------------------------------------------------------------------------------
    def apply(self, program: pulumi_mocks.ProgramRun) -> LocalDeployment:
        account = self.aws("sts").get_caller_identity()["Account"]
        self._replace(pulumi_mocks.ACCOUNT, account)
        applied, skipped = [], {}
        for resource, skip_reason in plan(program):
            if skip_reason:
                skipped[resource.name] = skip_reason
                continue
            real = APPLY[resource.typ](self, self.translate(resource.inputs), resource)
            self._replace(pulumi_mocks.mock_id(resource.name), real.pop("id"))
            for key, value in real.items():
                self._replace(resource.outputs.get(key), value)
            applied.append(resource.name)
        stage = next(r for r in program.resources if r.typ == "aws:apigateway/stage:Stage")
        exports = {k: self.translate(v) for k, v in program.exports.items()}
        return LocalDeployment(
            endpoint_url=self.endpoint_url,
            rest_api_id=self.translate(stage.inputs["restApi"]),
            stage_name=stage.inputs["stageName"],
            bucket_name=exports["bucket_name"],
            stream_name=exports["delivery_stream_name"],
            applied=applied,
            skipped=skipped,
        )

    # --- IAM, logs ------------------------------------------------------------------------------------
    def role(self, inputs, resource):
        _known(inputs, resource.typ, "assumeRolePolicy", "name", "permissionsBoundary")
        name = resource.outputs["name"]
        boundary = {"PermissionsBoundary": inputs["permissionsBoundary"]} if "permissionsBoundary" in inputs else {}
        role = self.aws("iam").create_role(
            RoleName=name, AssumeRolePolicyDocument=inputs["assumeRolePolicy"], **boundary
        )["Role"]
        return {"id": name, "arn": role["Arn"]}

    def role_policy(self, inputs, resource):
        _known(inputs, resource.typ, "role", "policy", "name")
        name = resource.outputs["name"]
        self.aws("iam").put_role_policy(RoleName=inputs["role"], PolicyName=name, PolicyDocument=inputs["policy"])
        return {"id": f"{inputs['role']}:{name}"}

    def log_group(self, inputs, resource):
        _known(inputs, resource.typ, "name", "retentionInDays", "kmsKeyId")
        logs = self.aws("logs")
        logs.create_log_group(
            logGroupName=inputs["name"], **({"kmsKeyId": inputs["kmsKeyId"]} if inputs.get("kmsKeyId") else {})
        )
        logs.put_retention_policy(logGroupName=inputs["name"], retentionInDays=_int(inputs["retentionInDays"]))
        arn = logs.describe_log_groups(logGroupNamePrefix=inputs["name"])["logGroups"][0]["arn"]
        return {"id": inputs["name"], "arn": arn.removesuffix(":*")}

    def log_stream(self, inputs, resource):
        _known(inputs, resource.typ, "name", "logGroupName")
        self.aws("logs").create_log_stream(logGroupName=inputs["logGroupName"], logStreamName=inputs["name"])
        return {"id": inputs["name"]}

    # --- S3 ---------------------------------------------------------------------------------------------
    def bucket(self, inputs, resource):
        _known(inputs, resource.typ, "forceDestroy", "bucket")
        name = resource.outputs["bucket"]
        self.aws("s3").create_bucket(Bucket=name)
        return {"id": name}

    # --- Firehose -----------------------------------------------------------------------------------
    def delivery_stream(self, inputs, resource):
        _known(inputs, resource.typ, "destination", "serverSideEncryption", "extendedS3Configuration", "name")
        if inputs["destination"] != "extended_s3":
            raise ApplyError(f"{resource.name}: only the extended_s3 destination is applied")
        s3 = _known(
            dict(inputs["extendedS3Configuration"]),
            resource.typ + ".extendedS3Configuration",
            "roleArn",
            "bucketArn",
            "prefix",
            "errorOutputPrefix",
            "bufferingSize",
            "bufferingInterval",
            "compressionFormat",
            "fileExtension",
            "customTimeZone",
            "kmsKeyArn",
            "cloudwatchLoggingOptions",
        )
        destination = {
            "RoleARN": s3["roleArn"],
            "BucketARN": s3["bucketArn"],
            "Prefix": s3["prefix"],
            "ErrorOutputPrefix": s3["errorOutputPrefix"],
            "BufferingHints": {
                "SizeInMBs": _int(s3["bufferingSize"]),
                "IntervalInSeconds": _int(s3["bufferingInterval"]),
            },
            "CompressionFormat": s3["compressionFormat"],
            "FileExtension": s3["fileExtension"],
            "CustomTimeZone": s3["customTimeZone"],
            "CloudWatchLoggingOptions": _pascal(s3["cloudwatchLoggingOptions"]),
        }
        if s3.get("kmsKeyArn"):
            destination["EncryptionConfiguration"] = {"KMSEncryptionConfig": {"AWSKMSKeyARN": s3["kmsKeyArn"]}}
        encryption = inputs.get("serverSideEncryption") or {}
        extra = (
            {"DeliveryStreamEncryptionConfigurationInput": {"KeyType": encryption["keyType"]}}
            if encryption.get("enabled")
            else {}
        )
        name = resource.outputs["name"]
        arn = self.aws("firehose").create_delivery_stream(
            DeliveryStreamName=name,
            DeliveryStreamType="DirectPut",
            ExtendedS3DestinationConfiguration=destination,
            **extra,
        )["DeliveryStreamARN"]
        return {"id": name, "arn": arn}

    # --- API Gateway ----------------------------------------------------------------------------------
    def rest_api(self, inputs, resource):
        _known(inputs, resource.typ, "description", "endpointConfiguration", "name")
        types = inputs["endpointConfiguration"]["types"]
        api = self.aws("apigateway").create_rest_api(
            name=resource.outputs["name"],
            description=inputs.get("description", ""),
            endpointConfiguration={"types": [types] if isinstance(types, str) else types},
        )
        return {"id": api["id"], "rootResourceId": api["rootResourceId"]}

    def model(self, inputs, resource):
        _known(inputs, resource.typ, "restApi", "name", "contentType", "schema", "description")
        if '"$ref"' in inputs["schema"]:
            raise ApplyError(f"{resource.name}: API Gateway reads a $ref as another Model; inline it first")
        model = self.aws("apigateway").create_model(
            restApiId=inputs["restApi"], name=inputs["name"], contentType=inputs["contentType"], schema=inputs["schema"]
        )
        return {"id": model["id"]}

    def request_validator(self, inputs, resource):
        _known(inputs, resource.typ, "restApi", "name", "validateRequestBody", "validateRequestParameters")
        validator = self.aws("apigateway").create_request_validator(
            restApiId=inputs["restApi"],
            name=inputs["name"],
            validateRequestBody=inputs["validateRequestBody"],
            validateRequestParameters=inputs["validateRequestParameters"],
        )
        return {"id": validator["id"]}

    def api_resource(self, inputs, resource):
        _known(inputs, resource.typ, "restApi", "parentId", "pathPart")
        created = self.aws("apigateway").create_resource(
            restApiId=inputs["restApi"], parentId=inputs["parentId"], pathPart=inputs["pathPart"]
        )
        return {"id": created["id"]}

    def _put_on_method(self, call: str, inputs: dict, *as_is: str, **arguments) -> str:
        """Puts a method or one of its parts at the method's address, the `as_is` inputs unchanged; the method's id."""
        getattr(self.aws("apigateway"), call)(
            restApiId=inputs["restApi"],
            resourceId=inputs["resourceId"],
            httpMethod=inputs["httpMethod"],
            **{key: inputs[key] for key in as_is},
            **arguments,
        )
        return f"{inputs['resourceId']}/{inputs['httpMethod']}"

    def method(self, inputs, resource):
        validation = ("requestValidatorId", "requestModels")  # a method without a body (GET) has neither
        _known(inputs, resource.typ, *METHOD_ADDRESS, *validation, "authorization", "apiKeyRequired")
        method_id = self._put_on_method(
            "put_method",
            inputs,
            *(key for key in validation if key in inputs),
            authorizationType=inputs["authorization"],
            apiKeyRequired=inputs.get("apiKeyRequired", False),
        )
        return {"id": method_id}

    def integration(self, inputs, resource):
        if inputs.get("type") == GATEWAY_ANSWER.type:
            return self._mock_integration(inputs, resource)
        as_is = ("type", "integrationHttpMethod", "uri", "credentials", "passthroughBehavior", "requestTemplates")
        _known(inputs, resource.typ, *METHOD_ADDRESS, *as_is, "requestParameters")
        headers = {**inputs["requestParameters"], **LOCALSTACK_INTEGRATION_HEADERS}
        method_id = self._put_on_method("put_integration", inputs, *as_is, requestParameters=headers)
        return {"id": f"{method_id}/integration"}

    def _mock_integration(self, inputs, resource):
        """API Gateway answers by itself: no target, so no target header."""
        as_is = ("type", "passthroughBehavior", "requestTemplates")
        _known(inputs, resource.typ, *METHOD_ADDRESS, *as_is)
        return {"id": f"{self._put_on_method('put_integration', inputs, *as_is)}/integration"}

    def method_response(self, inputs, resource):
        as_is = ("statusCode", "responseModels")
        _known(inputs, resource.typ, *METHOD_ADDRESS, *as_is, "responseParameters")
        method_id = self._put_on_method("put_method_response", inputs, *as_is, **_response_parameters(inputs))
        return {"id": f"{method_id}/{inputs['statusCode']}"}

    def integration_response(self, inputs, resource):
        as_is = ("statusCode", "responseTemplates")
        _known(inputs, resource.typ, *METHOD_ADDRESS, *as_is, "selectionPattern", "responseParameters")
        extra = {"selectionPattern": inputs["selectionPattern"]} if inputs.get("selectionPattern") else {}
        method_id = self._put_on_method(
            "put_integration_response", inputs, *as_is, **extra, **_response_parameters(inputs)
        )
        return {"id": f"{method_id}/{inputs['statusCode']}/integration"}

    def gateway_response(self, inputs, resource):
        _known(
            inputs, resource.typ, "restApiId", "responseType", "statusCode", "responseTemplates", "responseParameters"
        )
        extra = {"statusCode": inputs["statusCode"]} if inputs.get("statusCode") else {}
        self.aws("apigateway").put_gateway_response(
            restApiId=inputs["restApiId"],
            responseType=inputs["responseType"],
            responseTemplates=inputs["responseTemplates"],
            **extra,
            **_response_parameters(inputs),
        )
        return {"id": f"{inputs['restApiId']}/{inputs['responseType']}"}

    def deployment(self, inputs, resource):
        # `triggers` only tells Pulumi when to replace the deployment.
        _known(inputs, resource.typ, "restApi", "triggers", "description")
        created = self.aws("apigateway").create_deployment(
            restApiId=inputs["restApi"], description=inputs.get("description", "")
        )
        return {"id": created["id"]}

    def stage(self, inputs, resource):
        _known(inputs, resource.typ, "restApi", "deployment", "stageName", "xrayTracingEnabled", "accessLogSettings")
        apigateway = self.aws("apigateway")
        apigateway.create_stage(
            restApiId=inputs["restApi"],
            stageName=inputs["stageName"],
            deploymentId=inputs["deployment"],
            tracingEnabled=inputs["xrayTracingEnabled"],
        )
        logs = inputs.get("accessLogSettings")
        if logs:
            apigateway.update_stage(
                restApiId=inputs["restApi"],
                stageName=inputs["stageName"],
                patchOperations=[
                    {"op": "replace", "path": "/accessLogSettings/destinationArn", "value": logs["destinationArn"]},
                    {"op": "replace", "path": "/accessLogSettings/format", "value": logs["format"]},
                ],
            )
        return {"id": f"{inputs['restApi']}/{inputs['stageName']}"}

    METHOD_SETTING_PATHS: ClassVar[dict[str, str]] = {
        "metricsEnabled": "metrics/enabled",
        "loggingLevel": "logging/loglevel",
        "dataTraceEnabled": "logging/dataTrace",
        "throttlingRateLimit": "throttling/rateLimit",
        "throttlingBurstLimit": "throttling/burstLimit",
    }

    def method_settings(self, inputs, resource):
        _known(inputs, resource.typ, "restApi", "stageName", "methodPath", "settings")
        settings = _known(dict(inputs["settings"]), resource.typ + ".settings", *self.METHOD_SETTING_PATHS)
        self.aws("apigateway").update_stage(
            restApiId=inputs["restApi"],
            stageName=inputs["stageName"],
            patchOperations=[
                {
                    "op": "replace",
                    "path": f"/{inputs['methodPath']}/{self.METHOD_SETTING_PATHS[key]}",
                    "value": str(_int(value)).lower() if isinstance(value, bool) else str(_int(value)),
                }
                for key, value in settings.items()
            ],
        )
        return {"id": f"{inputs['restApi']}/{inputs['stageName']}/{inputs['methodPath']}"}


def _bucket_setting(call: str, argument: str, shape: Callable[[dict], dict], *keys: str) -> Callable:
    """Applies one of the bucket's separate settings resources as its Put* call."""

    def apply(self: Applier, inputs: dict, resource) -> dict:
        _known(inputs, resource.typ, "bucket", *keys)
        getattr(self.aws("s3"), call)(Bucket=inputs["bucket"], **{argument: shape(inputs)})
        return {"id": inputs["bucket"]}

    return apply


def _lifecycle(inputs: dict) -> dict:
    return {"Rules": _pascal(inputs["rules"], {"id": "ID"})}


APPLY: dict[str, Callable] = {
    "aws:iam/role:Role": Applier.role,
    "aws:iam/rolePolicy:RolePolicy": Applier.role_policy,
    "aws:cloudwatch/logGroup:LogGroup": Applier.log_group,
    "aws:cloudwatch/logStream:LogStream": Applier.log_stream,
    "aws:s3/bucket:Bucket": Applier.bucket,
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": _bucket_setting(
        "put_public_access_block",
        "PublicAccessBlockConfiguration",
        lambda i: _pascal({k: v for k, v in i.items() if k != "bucket"}),
        *buckets.PUBLIC_ACCESS_FLAGS,
    ),
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": _bucket_setting(
        "put_bucket_ownership_controls", "OwnershipControls", lambda i: {"Rules": [_pascal(i["rule"])]}, "rule"
    ),
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": _bucket_setting(
        "put_bucket_encryption",
        "ServerSideEncryptionConfiguration",
        lambda i: {"Rules": _pascal(i["rules"], {"sseAlgorithm": "SSEAlgorithm", "kmsMasterKeyId": "KMSMasterKeyID"})},
        "rules",
    ),
    "aws:s3/bucketVersioning:BucketVersioning": _bucket_setting(
        "put_bucket_versioning",
        "VersioningConfiguration",
        lambda i: _pascal(i["versioningConfiguration"]),
        "versioningConfiguration",
    ),
    "aws:s3/bucketPolicy:BucketPolicy": _bucket_setting("put_bucket_policy", "Policy", lambda i: i["policy"], "policy"),
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": _bucket_setting(
        "put_bucket_lifecycle_configuration", "LifecycleConfiguration", _lifecycle, "rules"
    ),
    "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream": Applier.delivery_stream,
    "aws:apigateway/restApi:RestApi": Applier.rest_api,
    "aws:apigateway/model:Model": Applier.model,
    "aws:apigateway/requestValidator:RequestValidator": Applier.request_validator,
    "aws:apigateway/resource:Resource": Applier.api_resource,
    "aws:apigateway/method:Method": Applier.method,
    "aws:apigateway/integration:Integration": Applier.integration,
    "aws:apigateway/methodResponse:MethodResponse": Applier.method_response,
    "aws:apigateway/integrationResponse:IntegrationResponse": Applier.integration_response,
    "aws:apigateway/response:Response": Applier.gateway_response,
    "aws:apigateway/deployment:Deployment": Applier.deployment,
    "aws:apigateway/stage:Stage": Applier.stage,
    "aws:apigateway/methodSettings:MethodSettings": Applier.method_settings,
}


def plan(program: pulumi_mocks.ProgramRun) -> list[tuple[pulumi_mocks.Registered, str | None]]:
    """Each custom resource in registration order, with None (apply it) or the reason it is skipped.

    Raises ApplyError for anything neither applied nor deliberately skipped.
    """
    components = {r.typ for r in program.resources if not r.custom}
    unknown = sorted(components - set(INGEST_COMPONENTS) - set(SKIPPED_COMPONENTS))
    if unknown:
        raise ApplyError(
            f"component(s) {unknown} neither applied nor listed as skipped in tooling/local_cloud/applier.py"
        )
    steps: list[tuple[pulumi_mocks.Registered, str | None]] = []
    for resource in (r for r in program.resources if r.custom):
        if resource.parent_type in SKIPPED_COMPONENTS:
            steps.append((resource, SKIPPED_COMPONENTS[resource.parent_type]))
        elif resource.parent_type not in INGEST_COMPONENTS:
            raise ApplyError(
                f"{resource.typ} {resource.name} (parent {resource.parent_type or 'none'}) is "
                "outside the components the applier knows"
            )
        elif resource.typ in SKIPPED_TYPES:
            steps.append((resource, SKIPPED_TYPES[resource.typ]))
        elif resource.typ in APPLY:
            steps.append((resource, None))
        else:
            raise ApplyError(f"the applier does not know resource type {resource.typ} ({resource.name})")
    return steps


def deploy_ingest_path(endpoint_url: str, stack: str = "dev", config: dict[str, str] | None = None) -> LocalDeployment:
    """Run the program under mocks for `stack` and create its ingest path in the local cloud."""
    return Applier(endpoint_url).apply(pulumi_mocks.run_program(stack, config))
