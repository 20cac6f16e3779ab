"""IAM policy documents built as data, so tests and linters read exactly what is deployed."""

import pulumi
import pulumi_aws as aws


def service_trust_policy(service: str, source_account: pulumi.Input[str]) -> pulumi.Output[str]:
    """Trust one AWS service, only on behalf of this account (confused-deputy guard)."""
    return pulumi.Output.json_dumps({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"Service": service},
            "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"aws:SourceAccount": source_account}},
        }],
    })


def allow(actions: list[str], resources: list[pulumi.Input[str]], sid: str) -> dict:
    return {"Sid": sid, "Effect": "Allow", "Action": sorted(actions), "Resource": resources}


def policy_document(*statements: dict) -> pulumi.Output[str]:
    return pulumi.Output.json_dumps({"Version": "2012-10-17", "Statement": list(statements)})


def current_account_id() -> pulumi.Output[str]:
    return aws.get_caller_identity_output().account_id
