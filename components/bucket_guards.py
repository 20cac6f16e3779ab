"""The guards every bucket of the program gets: no public access, no ACLs, encryption at rest, versioning and
a bucket policy that refuses plain HTTP. In pulumi-aws 7 each is its own resource. What each guard says lives
in contract/guardrails/buckets.py, which the policy pack checks against too."""

from __future__ import annotations

import re
from typing import Any, Optional

import pulumi
import pulumi_aws as aws

from components import iam_policies
from contract.guardrails import buckets, transport

# Every bucket's lifecycle carries this rule (in the arguments' spelling).
ABORT_INCOMPLETE_UPLOADS: aws.s3.BucketLifecycleConfigurationRuleAbortIncompleteMultipartUploadArgsDict = {
    "days_after_initiation": buckets.ABORT_INCOMPLETE_UPLOADS_DAYS
}


def _argument(prop: str) -> str:
    """The Python argument for an engine property name: blockPublicAcls -> block_public_acls."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", prop).lower()


def guard_bucket(
    name: str,
    bucket: aws.s3.Bucket,
    kms_key_arn: Optional[str],
    child: pulumi.ResourceOptions,
    only_writer: Optional[pulumi.Input[str]] = None,
) -> None:
    """`only_writer`: the one principal ARN that may put objects; unset, the bucket policy says nothing of writes."""
    # The flags are data (contract/guardrails/buckets.py), so which keyword arguments they fill is known at run time
    # only.
    flags: dict[str, Any] = {_argument(flag): True for flag in buckets.PUBLIC_ACCESS_FLAGS}
    public_access = aws.s3.BucketPublicAccessBlock(
        f"{name}-public-access",
        bucket=bucket.id,
        **flags,
        opts=child,
    )
    aws.s3.BucketOwnershipControls(
        f"{name}-ownership", bucket=bucket.id, rule={"object_ownership": buckets.OBJECT_OWNERSHIP}, opts=child
    )
    by_default: aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgsDict = {
        "sse_algorithm": buckets.sse_algorithm(kms_key_arn)
    }
    if kms_key_arn:
        by_default["kms_master_key_id"] = kms_key_arn
    aws.s3.BucketServerSideEncryptionConfiguration(
        f"{name}-encryption",
        bucket=bucket.id,
        rules=[{"apply_server_side_encryption_by_default": by_default, "bucket_key_enabled": bool(kms_key_arn)}],
        opts=child,
    )
    aws.s3.BucketVersioning(
        f"{name}-versioning",
        bucket=bucket.id,
        versioning_configuration={"status": buckets.VERSIONING_STATUS},
        opts=child,
    )
    objects = pulumi.Output.concat(bucket.arn, buckets.OBJECTS)
    statements = [transport.deny_without_tls(buckets.TLS_ONLY_ACTION, [bucket.arn, objects])]
    if only_writer is not None:
        statements.append(buckets.deny_writes_except(only_writer, objects))
    # S3 rejects a policy write while the public-access block is still being applied.
    aws.s3.BucketPolicy(
        f"{name}-tls-only",
        bucket=bucket.id,
        policy=iam_policies.policy_document(*statements),
        opts=pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(depends_on=[public_access])),
    )
