"""The policy pack: every rule passes everything the program registers, and catches a deliberately bad resource."""

import copy
import json
import re
import subprocess
from pathlib import Path

import pytest
import yaml

from contract.guardrails import client_identity
from policy.catalog import POLICIES
from policy.rule_kit import control_of
from tests.support.policy_runner import VARIANTS, from_run, policy_resource, run_variant, violations
from tooling.mocked_program.pulumi_mocks import REPO

RULES = {p.name: p for p in POLICIES}
BUCKET = "aws:s3/bucket:Bucket"
STAGE = "aws:apigateway/stage:Stage"
INTEGRATION = "aws:apigateway/integration:Integration"
_RUNS = {}


def program_resources(variant: str):
    if variant not in _RUNS:
        _RUNS[variant] = from_run(run_variant(variant))
    return copy.deepcopy(_RUNS[variant])


@pytest.mark.parametrize("variant", VARIANTS)
def test_every_rule_passes_everything_the_program_registers(variant):
    resources = program_resources(variant)
    assert resources, "the program registered nothing"
    found = {name: violations(policy, resources) for name, policy in RULES.items()}
    assert {name: v for name, v in found.items() if v} == {}


# --- deliberately bad resources ------------------------------------------------------------------------------


def of_type(resources, typ):
    return [r for r in resources if r.resource_type == typ]


def without(typ):
    return lambda resources: [r for r in resources if r.resource_type != typ]


def changed(typ, **props):
    def mutate(resources):
        for r in of_type(resources, typ):
            r.props.update(props)
        return resources

    return mutate


def edited(typ, edit):
    def mutate(resources):
        for r in of_type(resources, typ):
            edit(r.props)
        return resources

    return mutate


def added(typ, props_of):
    """Add one resource whose props may refer to the program's bucket or stage."""

    def mutate(resources):
        bucket, stage = of_type(resources, BUCKET)[0], of_type(resources, STAGE)[0]
        return [*resources, policy_resource(typ, "bad", props_of(bucket.props, stage.props))]

    return mutate


def alone(typ, **props):
    return lambda _resources: [policy_resource(typ, "bad", props)]


def policy_edit(edit):
    def apply(props):
        document = json.loads(props["policy"])
        edit(document["Statement"][0])
        props["policy"] = json.dumps(document)

    return apply


def trust_principal(principal):
    def apply(props):
        document = json.loads(props["assumeRolePolicy"])
        document["Statement"][0]["Principal"] = principal
        props["assumeRolePolicy"] = json.dumps(document)

    return apply


def keep_statements(*sids):
    def apply(props):
        document = json.loads(props["policy"])
        document["Statement"] = [s for s in document["Statement"] if s.get("Sid") in sids]
        props["policy"] = json.dumps(document)

    return apply


def statement_edit(sid, edit):
    def apply(props):
        document = json.loads(props["policy"])
        for statement in document["Statement"]:
            if statement.get("Sid") == sid:
                edit(statement)
        props["policy"] = json.dumps(document)

    return apply


def template_edit(edit):
    def apply(props):
        props["requestTemplates"] = {k: edit(v) for k, v in props["requestTemplates"].items()}

    return apply


def logging_level(level):
    return lambda props: props["settings"].update(loggingLevel=level)


def caller_in_record(setup: str, expression: str):
    """The program's request template with `expression` written into the stored line, after `setup`."""
    return template_edit(lambda t: setup + t.replace('""request_id""', f'""who"":""{expression}"",""request_id""'))


# Velocity forms that read the caller (finding 3 of the review): each is rendered by airspeed below to show that
# its value really lands in the stored record. The plain and formal forms are the original cases further down.
CALLER_IN_RECORD = {
    "quiet source IP": ("", "$!context.identity.sourceIp"),
    "quiet formal user agent": ("", "$!{context.identity.userAgent}"),
    "quiet header": ("", "$!input.params('User-Agent')"),
    "alias of $context": ("#set($c = $context)", "$c.identity.sourceIp"),
    "alias of an alias": ("#set($a = $context)#set($c = $a)", "$c.identity.sourceIp"),
    "alias of $context.identity": ("#set($i = $context.identity)", "$i.sourceIp"),
    "alias of the parameter map": ("#set($p = $input.params())", "$p.header.get('User-Agent')"),
    "header map": ("", "$input.params().header.get('User-Agent')"),
    "key through get()": ("", "$context.get('identity').sourceIp"),
    "index notation": ("", "$context['identity']['sourceIp']"),
    "computed key": ('#set($k = "identity")', "$context.get($k).sourceIp"),
    "$context handed to a macro": ("#macro(ip $a)$a.identity.sourceIp#end", "#ip($context)"),
    "text evaluated at run time": ('#set($d = "$")#define($w)#evaluate("${d}context.identity.sourceIp")#end', "$w"),
}
ONE_METHOD = "record/deployment/POST"


def method_settings(**settings):
    """A second MethodSettings on the program's stage, for one method only."""
    return added(
        "aws:apigateway/methodSettings:MethodSettings",
        lambda _, stage: {
            "restApi": stage["restApi"],
            "stageName": stage["stageName"],
            "methodPath": ONE_METHOD,
            "settings": settings,
        },
    )


def second_bucket_policy(policy: dict):
    """Another BucketPolicy on every bucket: S3 keeps whichever is applied last."""

    def mutate(resources):
        return [
            *resources,
            *(
                policy_resource(
                    "aws:s3/bucketPolicy:BucketPolicy",
                    f"second-{b.name}",
                    {"bucket": b.props["id"], "policy": json.dumps(policy)},
                )
                for b in of_type(resources, BUCKET)
            ),
        ]

    return mutate


def lifecycle_rules(edit):
    return edited(
        "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", lambda p: p.update(rules=edit(p["rules"]))
    )


def never_matching(statement):
    """A condition no request meets, ANDed to the deny: the deny never applies."""
    statement["Condition"]["StringEquals"] = {"aws:SourceVpce": "vpce-00000000000000000"}


V2_STAGE = "aws:apigatewayv2/stage:Stage"
ALLOW_READS = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
            "Action": "s3:GetObject",
            "Resource": "arn:aws:s3:::b/*",
        }
    ],
}
ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess"

WEB_ACL = {
    "scope": "REGIONAL",
    "defaultAction": {"allow": {}},
    "visibilityConfig": {"cloudwatchMetricsEnabled": True, "metricName": "acl", "sampledRequestsEnabled": False},
    "rules": [],
}

# rule -> {case: (mutation of the dev stack's resources, policy config)}
BAD = {
    "s3-tls-only-bucket-policy": {
        "no bucket policy": (without("aws:s3/bucketPolicy:BucketPolicy"), None),
        "allows instead of denies": (
            edited("aws:s3/bucketPolicy:BucketPolicy", policy_edit(lambda s: s.update(Effect="Allow"))),
            None,
        ),
        "covers the bucket but not its objects": (
            edited("aws:s3/bucketPolicy:BucketPolicy", policy_edit(lambda s: s.update(Resource=s["Resource"][:1]))),
            None,
        ),
        "condition missing": (
            edited("aws:s3/bucketPolicy:BucketPolicy", policy_edit(lambda s: s.pop("Condition"))),
            None,
        ),
        "denies TLS requests instead": (
            edited(
                "aws:s3/bucketPolicy:BucketPolicy",
                policy_edit(lambda s: s["Condition"]["Bool"].update({"aws:SecureTransport": "true"})),
            ),
            None,
        ),
        "denies one action only": (
            edited("aws:s3/bucketPolicy:BucketPolicy", policy_edit(lambda s: s.update(Action="s3:GetObject"))),
            None,
        ),
        "a second bucket policy": (second_bucket_policy(ALLOW_READS), None),
        "deny made inert by a never-matching condition": (
            edited("aws:s3/bucketPolicy:BucketPolicy", policy_edit(never_matching)),
            None,
        ),
        "deny made inert by a second key": (
            edited(
                "aws:s3/bucketPolicy:BucketPolicy",
                policy_edit(lambda s: s["Condition"]["Bool"].update({"aws:ViaAWSService": "true"})),
            ),
            None,
        ),
    },
    "s3-firehose-bucket-single-writer": {
        "no write guard": (edited("aws:s3/bucketPolicy:BucketPolicy", keep_statements("DenyInsecureTransport")), None),
        "another principal exempted": (
            edited(
                "aws:s3/bucketPolicy:BucketPolicy",
                statement_edit(
                    "DenyWritesButTheWriter",
                    lambda s: s["Condition"]["ArnNotEquals"].update(
                        {"aws:PrincipalArn": "arn:aws:iam::123456789012:role/other"}
                    ),
                ),
            ),
            None,
        ),
        "allows instead of denies": (
            edited(
                "aws:s3/bucketPolicy:BucketPolicy",
                statement_edit("DenyWritesButTheWriter", lambda s: s.update(Effect="Allow")),
            ),
            None,
        ),
        "a second bucket policy": (second_bucket_policy(ALLOW_READS), None),
        "deny made inert by a never-matching condition": (
            edited("aws:s3/bucketPolicy:BucketPolicy", statement_edit("DenyWritesButTheWriter", never_matching)),
            None,
        ),
    },
    "s3-block-public-access": {
        "no public access block": (without("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"), None),
        # AWS's four settings, spelled here rather than read from contract/guardrails/: dropping one there must fail.
        **{
            f"{flag} off": (changed("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", **{flag: False}), None)
            for flag in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
        },
    },
    "s3-no-acls": {
        "object writer owns objects": (
            changed("aws:s3/bucketOwnershipControls:BucketOwnershipControls", rule={"objectOwnership": "ObjectWriter"}),
            None,
        ),
        "ACLs still honoured": (
            changed(
                "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
                rule={"objectOwnership": "BucketOwnerPreferred"},
            ),
            None,
        ),
        "a bucket ACL": (
            added("aws:s3/bucketAcl:BucketAcl", lambda bucket, _: {"bucket": bucket["id"], "acl": "public-read"}),
            None,
        ),
    },
    "s3-lifecycle": {
        "no lifecycle": (without("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"), None),
        "every rule disabled": (
            edited(
                "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
                lambda p: [r.update(status="Disabled") for r in p["rules"]],
            ),
            None,
        ),
        "only errors/ expires, reports/ kept forever": (
            lifecycle_rules(lambda rules: [r for r in rules if r.get("id") != "expire-reports"]),
            None,
        ),
        "reports/ expire only when tagged": (
            lifecycle_rules(
                lambda rules: [
                    {**r, "filter": {"and": {"prefix": "reports/", "tags": {"expire": "yes"}}}}
                    if r.get("id") == "expire-reports"
                    else r
                    for r in rules
                ]
            ),
            None,
        ),
        "old versions kept forever": (
            lifecycle_rules(
                lambda rules: [{k: v for k, v in r.items() if k != "noncurrentVersionExpiration"} for r in rules]
            ),
            None,
        ),
        "a second lifecycle configuration": (
            added(
                "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
                lambda bucket, _: {
                    "bucket": bucket["id"],
                    "rules": [
                        {"id": "none", "status": "Disabled", "filter": {"prefix": ""}, "expiration": {"days": 1}}
                    ],
                },
            ),
            None,
        ),
    },
    "s3-default-encryption": {
        "no encryption configuration": (
            without("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"),
            None,
        ),
    },
    "apigateway-execution-logging": {
        "logging off": (edited("aws:apigateway/methodSettings:MethodSettings", logging_level("OFF")), None),
        "INFO keeps request headers": (
            edited("aws:apigateway/methodSettings:MethodSettings", logging_level("INFO")),
            None,
        ),
        "no method settings": (without("aws:apigateway/methodSettings:MethodSettings"), None),
        "settings for another stage": (changed("aws:apigateway/methodSettings:MethodSettings", stageName="v2"), None),
        "settings for one method only": (
            changed("aws:apigateway/methodSettings:MethodSettings", methodPath="record/POST"),
            None,
        ),
        "INFO for one method beside ERROR for all": (method_settings(loggingLevel="INFO"), None),
        "INFO on an HTTP API's route": (
            alone(V2_STAGE, apiId="a", name="v1", routeSettings=[{"routeKey": "POST /record", "loggingLevel": "INFO"}]),
            None,
        ),
    },
    "apigateway-no-xray-tracing": {
        "tracing on": (changed(STAGE, xrayTracingEnabled=True), None),
    },
    "apigateway-templates-without-client-identity": {
        "source IP in the record": (
            edited(INTEGRATION, template_edit(lambda t: "#set($ip = $context.identity.sourceIp)" + t)),
            None,
        ),
        "a header in the record": (
            edited(INTEGRATION, template_edit(lambda t: "#set($agent = $input.params('User-Agent'))" + t)),
            None,
        ),
        "authorizer claims in the record": (
            edited(INTEGRATION, template_edit(lambda t: "#set($who = $context.authorizer.claims.sub)" + t)),
            None,
        ),
        **{
            f"{case} in the record": (edited(INTEGRATION, caller_in_record(*form)), None)
            for case, form in CALLER_IN_RECORD.items()
        },
        "source IP mapped into the integration request": (
            edited(
                INTEGRATION,
                lambda p: p["requestParameters"].update(
                    {"integration.request.header.X-Caller": "context.identity.sourceIp"}
                ),
            ),
            None,
        ),
        "user agent in an integration response": (
            edited(
                "aws:apigateway/integrationResponse:IntegrationResponse",
                lambda p: p["responseTemplates"].update({"application/json": '{"ip":"$!context.identity.userAgent"}'}),
            ),
            None,
        ),
        "source IP in a gateway response": (
            edited(
                "aws:apigateway/response:Response",
                lambda p: p.update(responseTemplates={"application/json": '{"ip":"$!{context.identity.sourceIp}"}'}),
            ),
            None,
        ),
        "user agent mapped by an HTTP API integration": (
            alone(
                "aws:apigatewayv2/integration:Integration",
                apiId="a",
                integrationType="AWS_PROXY",
                requestParameters={"append:header.x-agent": "$request.header.User-Agent"},
            ),
            None,
        ),
        "source IP in an HTTP API's access log": (
            alone(
                V2_STAGE,
                apiId="a",
                name="v1",
                accessLogSettings={
                    "destinationArn": "arn:aws:logs:us-east-1:1:log-group:l",
                    "format": "$context.identity.sourceIp",
                },
            ),
            None,
        ),
    },
    "cloudfront-no-request-logs": {
        "standard logs to a bucket": (
            alone(
                "aws:cloudfront/distribution:Distribution",
                enabled=True,
                loggingConfig={"bucket": "logs.s3.amazonaws.com"},
            ),
            None,
        ),
        "real-time logs": (
            alone(
                "aws:cloudfront/realtimeLogConfig:RealtimeLogConfig",
                name="rt",
                samplingRate=100,
                fields=["c-ip"],
                endpoints=[{"streamType": "Kinesis"}],
            ),
            None,
        ),
        "standard logs v2": (
            alone(
                "aws:cloudwatch/logDeliverySource:LogDeliverySource",
                name="cf",
                logType="ACCESS_LOGS",
                resourceArn="arn:aws:cloudfront::1:distribution/X",
            ),
            None,
        ),
    },
    "apigateway-waf-associated": {
        "web ACL declared but not associated": (added("aws:wafv2/webAcl:WebAcl", lambda *_: WEB_ACL), None),
        "web ACL associated with something else": (
            lambda rs: added(
                "aws:wafv2/webAclAssociation:WebAclAssociation",
                lambda *_: {"resourceArn": "arn:aws:apigateway:us-east-1::/restapis/x/stages/y", "webAclArn": "arn"},
            )(added("aws:wafv2/webAcl:WebAcl", lambda *_: WEB_ACL)(rs)),
            None,
        ),
        "required by config, none declared": (lambda resources: resources, {"required": True}),
    },
    "apigateway-access-logs-without-client-identity": {
        "source IP logged": (
            edited(STAGE, lambda p: p["accessLogSettings"].update(format='{"ip":"$context.identity.sourceIp"}')),
            None,
        ),
        "user agent logged": (
            edited(
                STAGE, lambda p: p["accessLogSettings"].update(format="$context.requestId $context.identity.userAgent")
            ),
            None,
        ),
        "authorizer's principal logged": (
            edited(
                STAGE, lambda p: p["accessLogSettings"].update(format='{"who":"${context.authorizer.principalId}"}')
            ),
            None,
        ),
        "no access logs": (edited(STAGE, lambda p: p.pop("accessLogSettings")), None),
        "quiet source IP logged": (
            edited(STAGE, lambda p: p["accessLogSettings"].update(format='{"ip":"$!context.identity.sourceIp"}')),
            None,
        ),
    },
    "apigateway-no-data-trace": {
        "data trace on": (
            edited(
                "aws:apigateway/methodSettings:MethodSettings", lambda p: p["settings"].update(dataTraceEnabled=True)
            ),
            None,
        ),
        "data trace for one method": (method_settings(dataTraceEnabled=True), None),
        "data trace on an HTTP API's default route": (
            alone(V2_STAGE, apiId="a", name="v1", defaultRouteSettings={"dataTraceEnabled": True}),
            None,
        ),
    },
    "waf-no-sampled-requests": {
        "web ACL samples requests": (
            alone(
                "aws:wafv2/webAcl:WebAcl",
                **{**WEB_ACL, "visibilityConfig": {**WEB_ACL["visibilityConfig"], "sampledRequestsEnabled": True}},
            ),
            None,
        ),
        "a rule samples requests": (
            alone(
                "aws:wafv2/webAcl:WebAcl",
                **{**WEB_ACL, "rules": [{"name": "r", "visibilityConfig": {"sampledRequestsEnabled": True}}]},
            ),
            None,
        ),
    },
    "waf-no-logging": {
        "logging configured": (
            alone(
                "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration",
                resourceArn="arn",
                logDestinationConfigs=["arn"],
            ),
            None,
        ),
    },
    "firehose-encrypted-at-rest": {
        "encryption off": (
            changed(
                "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream", serverSideEncryption={"enabled": False}
            ),
            None,
        ),
        "encryption unset": (
            edited(
                "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream", lambda p: p.pop("serverSideEncryption")
            ),
            None,
        ),
    },
    "athena-workgroup-metrics": {
        "metrics off": (
            alone(
                "aws:athena/workgroup:Workgroup", name="wg", configuration={"publishCloudwatchMetricsEnabled": False}
            ),
            None,
        ),
        "metrics unset": (alone("aws:athena/workgroup:Workgroup", name="wg", configuration={}), None),
    },
    "lambda-not-public": {
        "anyone may invoke": (
            alone("aws:lambda/permission:Permission", action="lambda:InvokeFunction", function="f", principal="*"),
            None,
        ),
        "any account's rule may invoke": (
            alone(
                "aws:lambda/permission:Permission",
                action="lambda:InvokeFunction",
                function="f",
                principal="events.amazonaws.com",
            ),
            None,
        ),
    },
    "lambda-function-url-authenticated": {
        "unauthenticated URL": (
            alone("aws:lambda/functionUrl:FunctionUrl", functionName="f", authorizationType="NONE"),
            None,
        ),
    },
    "lambda-supported-runtime": {
        "deprecated python": (alone("aws:lambda/function:Function", runtime="python3.9", handler="h.main"), None),
        "deprecated node": (alone("aws:lambda/function:Function", runtime="nodejs16.x", handler="h.main"), None),
    },
    "log-group-retention": {
        "kept forever": (edited("aws:cloudwatch/logGroup:LogGroup", lambda p: p.pop("retentionInDays")), None),
        "zero days": (changed("aws:cloudwatch/logGroup:LogGroup", retentionInDays=0), None),
    },
    "sns-topic-encrypted": {
        "plain topic": (alone("aws:sns/topic:Topic", name="alarms"), None),
    },
    "sqs-queue-encrypted": {
        "encryption turned off": (alone("aws:sqs/queue:Queue", sqsManagedSseEnabled=False), None),
    },
    "scheduler-dead-letter-queue": {
        "no dead-letter queue": (
            edited("aws:scheduler/schedule:Schedule", lambda p: p["target"].pop("deadLetterConfig")),
            None,
        ),
        "empty dead-letter queue": (
            edited("aws:scheduler/schedule:Schedule", lambda p: p["target"].update(deadLetterConfig={})),
            None,
        ),
    },
    "iam-no-wildcard-actions": {
        "service wildcard in a role policy": (
            edited("aws:iam/rolePolicy:RolePolicy", policy_edit(lambda s: s.update(Action="s3:*"))),
            None,
        ),
        "prefix wildcard": (
            edited("aws:iam/rolePolicy:RolePolicy", policy_edit(lambda s: s.update(Action=["s3:Get*"]))),
            None,
        ),
        "NotAction": (
            edited("aws:iam/rolePolicy:RolePolicy", policy_edit(lambda s: s.update(NotAction=s.pop("Action")))),
            None,
        ),
        "inline role policy with *": (
            alone(
                "aws:iam/role:Role",
                inlinePolicies=[
                    {
                        "name": "x",
                        "policy": json.dumps({"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}),
                    }
                ],
            ),
            None,
        ),
        "key policy with kms:*": (
            alone(
                "aws:kms/key:Key",
                policy=json.dumps(
                    {
                        "Statement": [
                            {
                                "Effect": "Allow",
                                "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
                                "Action": "kms:*",
                                "Resource": "*",
                            }
                        ]
                    }
                ),
            ),
            None,
        ),
        "queue policy allowing sqs:*": (
            alone(
                "aws:sqs/queuePolicy:QueuePolicy",
                queueUrl="u",
                policy={"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "sqs:*", "Resource": "q"}]},
            ),
            None,
        ),
        "AdministratorAccess in a role's managed policies": (
            changed("aws:iam/role:Role", managedPolicyArns=[ADMIN]),
            None,
        ),
        "AdministratorAccess attached to a role": (
            alone("aws:iam/rolePolicyAttachment:RolePolicyAttachment", role="r", policyArn=ADMIN),
            None,
        ),
        "PowerUserAccess attached to a user": (
            alone(
                "aws:iam/userPolicyAttachment:UserPolicyAttachment",
                user="u",
                policyArn="arn:aws:iam::aws:policy/PowerUserAccess",
            ),
            None,
        ),
        "a managed policy the program does not use": (
            alone(
                "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
                role="r",
                policyArn="arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess",
            ),
            None,
        ),
        "managed policies set exclusively": (
            alone(
                "aws:iam/rolePolicyAttachmentsExclusive:RolePolicyAttachmentsExclusive",
                roleName="r",
                policyArns=["arn:aws:iam::123456789012:policy/anything"],
            ),
            None,
        ),
    },
    "iam-role-trusts-aws-services-only": {
        "another account": (
            edited("aws:iam/role:Role", trust_principal({"AWS": "arn:aws:iam::999999999999:root"})),
            None,
        ),
        "everyone": (edited("aws:iam/role:Role", trust_principal("*")), None),
        "an identity provider": (
            edited(
                "aws:iam/role:Role",
                trust_principal(
                    {"Federated": "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"}
                ),
            ),
            None,
        ),
        "a service and an account": (
            edited("aws:iam/role:Role", trust_principal({"Service": "lambda.amazonaws.com", "AWS": "123456789012"})),
            None,
        ),
        "a service outside AWS": (
            edited("aws:iam/role:Role", trust_principal({"Service": "lambda.example.com"})),
            None,
        ),
    },
}

# Resource types the program may not register yet: a compliant example, so each rule is seen to pass too.
GOOD = {
    "athena-workgroup-metrics": alone(
        "aws:athena/workgroup:Workgroup", name="wg", configuration={"publishCloudwatchMetricsEnabled": True}
    ),
    "lambda-not-public": alone(
        "aws:lambda/permission:Permission",
        action="lambda:InvokeFunction",
        function="f",
        principal="events.amazonaws.com",
        sourceArn="arn:aws:events:us-east-1:1:rule/r",
    ),
    "lambda-function-url-authenticated": alone(
        "aws:lambda/functionUrl:FunctionUrl", functionName="f", authorizationType="AWS_IAM"
    ),
    "lambda-supported-runtime": alone("aws:lambda/function:Function", runtime="python3.12", handler="h.main"),
    "sns-topic-encrypted": alone("aws:sns/topic:Topic", kmsMasterKeyId="alias/alarms"),
    "sqs-queue-encrypted": alone("aws:sqs/queue:Queue", sqsManagedSseEnabled=True),
    "waf-no-sampled-requests": alone("aws:wafv2/webAcl:WebAcl", **WEB_ACL),
    "cloudfront-no-request-logs": alone("aws:cloudfront/distribution:Distribution", enabled=True),
    "apigateway-no-data-trace": alone(
        V2_STAGE, apiId="a", name="v1", defaultRouteSettings={"dataTraceEnabled": False, "loggingLevel": "ERROR"}
    ),
    "apigateway-waf-associated": lambda rs: added(
        "aws:wafv2/webAclAssociation:WebAclAssociation",
        lambda _, stage: {"resourceArn": stage["arn"], "webAclArn": "arn"},
    )(added("aws:wafv2/webAcl:WebAcl", lambda *_: WEB_ACL)(rs)),
}


# Each AWS feature that would keep who called (docs/privacy.md's table) -> the bad case that turns it on.
IDENTITY_FEATURE_CASES = {
    client_identity.ACCESS_LOG_IDENTITY: "source IP logged",
    client_identity.TEMPLATE_IDENTITY_FIELDS: "source IP in the record",
    client_identity.XRAY: "tracing on",
    client_identity.DATA_TRACE: "data trace on",
    client_identity.INFO_EXECUTION_LOGS: "INFO keeps request headers",
    client_identity.WAF_LOGGING: "logging configured",
    client_identity.WAF_SAMPLED_REQUESTS: "web ACL samples requests",
    client_identity.CLOUDFRONT_LOGS: "standard logs to a bucket",
}


def test_every_feature_that_would_keep_a_client_has_a_case():
    assert set(IDENTITY_FEATURE_CASES) == set(client_identity.STORES)


@pytest.mark.parametrize("store", client_identity.STORES, ids=lambda store: store.rule)
def test_the_rule_the_privacy_table_names_refuses_its_feature(store):
    """docs/privacy.md says which rule refuses each feature; turning the feature on must fail exactly that rule."""
    mutate, config = BAD[store.rule][IDENTITY_FEATURE_CASES[store]]
    resources = mutate(program_resources("dev"))
    failing = {name for name, policy in RULES.items() if violations(policy, resources, config)}
    assert store.rule in failing
    assert failing <= {store.rule, "apigateway-waf-associated"}  # a web ACL added alone has no association


def test_every_rule_has_deliberately_bad_cases():
    assert set(BAD) == set(RULES)


@pytest.mark.parametrize("rule,case", [(rule, case) for rule, cases in BAD.items() for case in cases])
def test_rule_catches_a_deliberately_bad_resource(rule, case):
    mutate, config = BAD[rule][case]
    resources = mutate(program_resources("dev"))
    assert violations(RULES[rule], resources, config), f"{rule} let '{case}' through"


@pytest.mark.parametrize("rule", sorted(GOOD))
def test_rule_passes_a_compliant_example(rule):
    config = next((c for _, c in BAD[rule].values() if c), None)
    assert violations(RULES[rule], GOOD[rule](program_resources("dev")), config) == []


# S3's default-encryption algorithms, spelled here as the rule spells them: a change to either must fail.
@pytest.mark.parametrize(
    "algorithm,accepted",
    [("AES256", True), ("aws:kms", True), ("aws:kms:dsse", True), ("aws:fsx", False), (None, False)],
)
def test_default_encryption_accepts_exactly_the_guarded_algorithms(algorithm, accepted):
    def use(props):
        for rule in props["rules"]:
            rule["applyServerSideEncryptionByDefault"]["sseAlgorithm"] = algorithm

    typ = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
    found = violations(RULES["s3-default-encryption"], edited(typ, use)(program_resources("dev")))
    assert bool(found) is not accepted


def test_the_single_writer_rule_does_not_pass_while_a_preview_cannot_know_the_stream_destination():
    """docs/guardrails.md: a rule that needs a value a first preview cannot know reports that it could not run
    (the engine does so when the rule meets an UnknownValueError) instead of passing."""
    from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, UnknownValueError, unknown_checking_proxy

    resources = program_resources("dev")
    typ = "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream"
    (stream,) = of_type(resources, typ)
    props = copy.deepcopy(stream.props)
    props["extendedS3Configuration"]["bucketArn"] = UNKNOWN_STRING_VALUE
    previewed = [
        *(r for r in resources if r is not stream),
        policy_resource(typ, stream.name, unknown_checking_proxy(props)),
    ]
    with pytest.raises(UnknownValueError):
        violations(RULES["s3-firehose-bucket-single-writer"], previewed)


def test_violation_messages_name_the_resource_and_the_setting():
    resources = BAD["s3-block-public-access"]["restrictPublicBuckets off"][0](program_resources("dev"))
    messages = violations(RULES["s3-block-public-access"], resources)
    assert len(messages) == len(of_type(resources, "aws:s3/bucket:Bucket"))  # the change hit every bucket
    assert any("warehouse-reports" in m and "restrictPublicBuckets" in m for m in messages)


def test_rules_carry_well_formed_security_controls():
    """Which control a rule enforces is stated once, in the rule (docs/guardrails.md's table reads it there)."""
    controls = [control_of(policy) for policy in POLICIES if policy.framework]
    assert controls, "no rule names the control it enforces"
    assert all(re.fullmatch(r"[A-Za-z][A-Za-z0-9]*\.[1-9][0-9]*", control) for control in controls), controls
    # Spelt here, not read from rule_kit: a misspelt framework there would otherwise pass.
    assert {p.framework.name for p in POLICIES if p.framework} == {"AWS Foundational Security Best Practices"}


def test_only_the_entry_point_constructs_the_pack():
    sources = {p.name: p.read_text() for p in (REPO / "policy").glob("*.py")}
    assert [name for name, text in sources.items() if re.search(r"\bPolicyPack\(", text)] == ["__main__.py"]
    assert "EnforcementLevel.MANDATORY" in sources["__main__.py"]


def test_pack_project_file_and_pins():
    project = yaml.safe_load((REPO / "policy" / "PulumiPolicy.yaml").read_text())
    assert project["runtime"]["name"] == "python"
    # The CLI runs the pack from the virtualenv the project file names; the docs say how to create it.
    venv = f"policy/{project['runtime']['options']['virtualenv']}"
    assert "\npolicy-venv: " in (REPO / "Makefile").read_text()
    assert f"POLICY_VENV := {venv}\n" in (REPO / "Makefile").read_text()
    assert subprocess.run(["git", "check-ignore", "--quiet", f"{venv}/"], cwd=REPO).returncode == 0, venv
    pins = dict(line.split("==") for line in _requirement_lines(REPO / "policy" / "requirements.txt"))
    dev = dict(line.split("==") for line in _requirement_lines(REPO / "requirements" / "dev.txt") if "==" in line)
    dev.update(line.split("==") for line in _requirement_lines(REPO / "requirements.txt"))
    assert pins and all(dev.get(name) == version for name, version in pins.items()), (pins, dev)


def _requirement_lines(path: Path) -> list[str]:
    lines = [line.split("#")[0].strip() for line in path.read_text().splitlines()]
    return [line for line in lines if line and not line.startswith("-r")]


def _imported_roots(source: Path) -> set[str]:
    import ast

    tree = ast.parse(source.read_text())
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
    return {name.split(".")[0] for name in imported}


def test_the_pack_needs_only_pulumi_policy_and_the_standard_library():
    """policy/venv holds policy/requirements.txt only: a rule importing the program's modules would break there.
    The rules read contract/guardrails/ from the repository root, so it may use the standard library only."""
    import sys

    stdlib = set(sys.stdlib_module_names) | {"__future__"}
    rules, guardrails = sorted((REPO / "policy").glob("*.py")), sorted((REPO / "contract" / "guardrails").glob("*.py"))
    assert "__main__.py" in {p.name for p in rules} and guardrails, "the pack's sources were not found"
    for source in rules:
        assert _imported_roots(source) <= stdlib | {"pulumi_policy", "policy", "contract"}, source.name
    for source in guardrails:
        assert _imported_roots(source) <= stdlib | {"contract"}, source.name


def test_execution_log_level_off_is_refused_by_the_pack_as_the_readme_warns():
    from tooling.mocked_program.pulumi_mocks import run_program, stack_config_with

    resources = from_run(run_program("dev", stack_config_with("dev", endpoint={"executionLogLevel": "OFF"})))
    assert violations(RULES["apigateway-execution-logging"], resources)


@pytest.mark.parametrize("case", sorted(CALLER_IN_RECORD))
def test_each_caller_form_the_template_rule_refuses_really_reaches_the_stored_record(case):
    """The bad templates are real: airspeed renders each one and the caller's IP or user agent is in the line."""
    import base64

    from contract.templates import firehose_put_record
    from tooling.fixtures.apigateway_vtl import CALLER_IP, CALLER_USER_AGENT, render

    props = {"requestTemplates": {"application/json": firehose_put_record("stream")}}
    caller_in_record(*CALLER_IN_RECORD[case])(props)
    request = json.loads(render(props["requestTemplates"]["application/json"], body='{"version":"1.0.0"}'))
    line = json.loads(base64.b64decode(request["Record"]["Data"]))
    assert line["who"] in (CALLER_IP, CALLER_USER_AGENT)


@pytest.mark.parametrize(
    "template",
    [
        "$context.identity.sourceIp",
        "${context.authorizer.principalId}",
        "$context.Identity.sourceIp",
        "$context.getIdentity().getSourceIp()",
        "$input.getParams()",
        "$input.get('params')",
        "#set($c = $!{context})$c['identity']",
        "#set($a = $input)#set($b = $a)$b.params('User-Agent')",
        "#foreach($c in [$context])$c.identity.sourceIp#end",
        "#set($m = {'c': $context})$m.c.identity.sourceIp",
        "#set($l = [])$l.add($context)",
        "$util.escapeJavaScript($context)",
        "#foreach($e in $context.entrySet())#end",
        '$context.get("${k}")',
        "$context.getClass()",
        "#{evaluate}('x')",
        "#set($a = $b)#set($b = $context)$a.identity",
    ],
)
def test_the_template_parser_finds_the_caller_behind_every_form(template):
    from policy.vtl_references import caller_reads

    assert caller_reads(template), template


@pytest.mark.parametrize(
    "template",
    [
        "$context.requestId $context.error.messageString $context.requestTimeEpoch",
        "$input.json('$.version')",
        "$input.path('$.metrics') $input.body",
        "#set($e = $context.error)$e.validationErrorString",
        "#set($v = $input.json('$.version'))#if(!$v.startsWith('\"'))null#end",
        "$util.base64Encode($line)",
    ],
)
def test_the_template_parser_lets_the_body_and_the_requests_own_data_through(template):
    from policy.vtl_references import caller_reads

    assert caller_reads(template) == []


def test_the_programs_own_templates_and_access_log_format_read_nothing_of_the_caller():
    from contract.templates import TEMPLATE_DIR, access_log_format
    from policy.vtl_references import caller_reads

    templates = {path.name: path.read_text() for path in TEMPLATE_DIR.glob("*.vtl")}
    assert templates and {name: caller_reads(t) for name, t in templates.items() if caller_reads(t)} == {}
    assert caller_reads(access_log_format()) == []


def _guardrails_modules(sources) -> set[str]:
    """The guardrails modules these sources import, and those they import in turn."""
    import ast

    found: set[str] = set()
    pending = list(sources)
    while pending:
        tree = ast.parse(pending.pop().read_text())
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.ImportFrom) and node.module == "contract.guardrails":
                names = [f"contract.guardrails.{alias.name}" for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("contract.guardrails."):
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names if a.name.startswith("contract.guardrails.")]
            for name in set(names) - found:
                found.add(name)
                pending.append(REPO / (name.replace(".", "/") + ".py"))
    return found


def test_no_rule_reads_a_constant_the_program_builds_from():
    """A guard never shares its answer with what it guards: were a rule to read contract/guardrails/stages.py, which the
    stage is built from, flipping a value there would turn the feature and its guard on at once."""
    program = [
        REPO / "__main__.py",
        *(
            path
            for folder in (
                "components",
                "contract/templates",
                "stack_config",
                "handlers",
                "contract/warehouse",
                "contract/schemas",
            )
            for path in (REPO / folder).rglob("*.py")
        ),
    ]
    built_from = _guardrails_modules(program)
    assert built_from, "the program reads nothing from contract/guardrails/: the check would prove nothing"
    # stack_config names a rule from it in an error message: shared names, not a shared answer (checked below).
    names_only = {"contract.guardrails.client_identity"}
    assert (_guardrails_modules((REPO / "policy").glob("*.py")) & built_from) - names_only == set()
    public = {
        name: value
        for name, value in vars(client_identity).items()
        if not name.startswith("_") and name not in ("annotations", "dataclass", "IdentityStore")
    }
    assert all(
        isinstance(v, client_identity.IdentityStore)
        or (isinstance(v, tuple) and all(isinstance(s, client_identity.IdentityStore) for s in v))
        for v in public.values()
    ), public


def test_bucket_policies_handed_over_as_objects_pass_as_json_text_does():
    """The engine may hand a policy over as an object instead of JSON text: the exact-deny checks accept both."""
    resources = edited("aws:s3/bucketPolicy:BucketPolicy", lambda p: p.update(policy=json.loads(p["policy"])))(
        program_resources("dev")
    )
    handed_over = [r.props["policy"] for r in of_type(resources, "aws:s3/bucketPolicy:BucketPolicy")]
    assert handed_over and all(isinstance(p, dict) for p in handed_over), "the policies were not turned into objects"
    for rule in ("s3-tls-only-bucket-policy", "s3-firehose-bucket-single-writer"):
        assert violations(RULES[rule], resources) == [], rule
    # An object is read, not waved through: the same deny turned into an allow is still caught.
    for r in of_type(resources, "aws:s3/bucketPolicy:BucketPolicy"):
        for statement in r.props["policy"]["Statement"]:
            statement["Effect"] = "Allow"
    for rule in ("s3-tls-only-bucket-policy", "s3-firehose-bucket-single-writer"):
        assert violations(RULES[rule], resources) != [], rule
