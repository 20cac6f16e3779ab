"""IAM policy documents built as data, so tests and linters read exactly what is deployed."""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_aws as aws

# The confused-deputy guard each service documents for the roles it assumes. Firehose passes the
# account as sts:ExternalId; EventBridge Scheduler sets aws:SourceAccount. For API Gateway and Lambda
# no trust condition is documented, and an unsupported one makes the role impossible to assume (every
# report would fail); for them the guard is that only principals allowed iam:PassRole in this account
# can hand the role to the service.
# An IAM policy statement as its JSON object; contract/guardrails/ builds some of them too.
Statement = dict[str, Any]

TRUST_CONDITION_KEYS = {"firehose.amazonaws.com": "sts:ExternalId", "scheduler.amazonaws.com": "aws:SourceAccount"}


def service_trust_policy(service: str, account_id: pulumi.Input[str]) -> pulumi.Output[str]:
    """Trust one AWS service, on behalf of this account only where the service supports saying so."""
    statement: Statement = {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}
    if service in TRUST_CONDITION_KEYS:
        statement["Condition"] = {"StringEquals": {TRUST_CONDITION_KEYS[service]: account_id}}
    return pulumi.Output.json_dumps({"Version": "2012-10-17", "Statement": [statement]})


def allow(actions: list[str], resources: list[pulumi.Input[str]], sid: str) -> Statement:
    return {"Sid": sid, "Effect": "Allow", "Action": sorted(actions), "Resource": resources}


def policy_document(*statements: Statement) -> pulumi.Output[str]:
    return pulumi.Output.json_dumps({"Version": "2012-10-17", "Statement": list(statements)})


def current_account_id() -> pulumi.Output[str]:
    return aws.get_caller_identity_output().account_id


def arn(service: str, region: pulumi.Input[str], account: pulumi.Input[str], resource: str) -> pulumi.Output[str]:
    """An ARN in the deploying partition (aws, aws-cn, aws-us-gov), never a hard-coded "arn:aws:"."""
    return pulumi.Output.concat(
        "arn:", aws.get_partition_output().partition, ":", service, ":", region, ":", account, ":", resource
    )


def via_service(service: str) -> pulumi.Output[str]:
    """The name kms:ViaService gives `service`'s endpoint in this region and partition (s3.us-east-1.amazonaws.com)."""
    return pulumi.Output.concat(
        service, ".", aws.get_region_output().region, ".", aws.get_partition_output().dns_suffix
    )


def service_role(
    role_name: str, policy_name: str, service: str, statements: list[Statement], opts: pulumi.ResourceOptions
) -> tuple[aws.iam.Role, aws.iam.RolePolicy]:
    """A role only `service` may assume, with exactly these inline statements."""
    role = aws.iam.Role(role_name, assume_role_policy=service_trust_policy(service, current_account_id()), opts=opts)
    policy = aws.iam.RolePolicy(policy_name, role=role.id, policy=policy_document(*statements), opts=opts)
    return role, policy
