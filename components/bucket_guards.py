"""The guards every bucket of the program gets, in one place: no public access, no ACLs, encryption at
rest, versioning and a bucket policy that refuses plain HTTP. In pulumi-aws 7 each is its own resource."""

from __future__ import annotations

from typing import Optional

import pulumi
import pulumi_aws as aws

from components import iam_policies

# Multipart uploads a writer abandons are invisible but billed; every bucket's lifecycle clears them quickly.
ABORT_INCOMPLETE_UPLOADS = {"days_after_initiation": 1}


def guard_bucket(name: str, bucket: aws.s3.Bucket, kms_key_arn: Optional[str],
                 child: pulumi.ResourceOptions) -> None:
    public_access = aws.s3.BucketPublicAccessBlock(
        f"{name}-public-access",
        bucket=bucket.id,
        block_public_acls=True,
        block_public_policy=True,
        ignore_public_acls=True,
        restrict_public_buckets=True,
        opts=child,
    )
    aws.s3.BucketOwnershipControls(
        f"{name}-ownership", bucket=bucket.id, rule={"object_ownership": "BucketOwnerEnforced"}, opts=child)
    by_default = ({"sse_algorithm": "aws:kms", "kms_master_key_id": kms_key_arn}
                  if kms_key_arn else {"sse_algorithm": "AES256"})
    aws.s3.BucketServerSideEncryptionConfiguration(
        f"{name}-encryption",
        bucket=bucket.id,
        rules=[{"apply_server_side_encryption_by_default": by_default, "bucket_key_enabled": bool(kms_key_arn)}],
        opts=child,
    )
    aws.s3.BucketVersioning(
        f"{name}-versioning", bucket=bucket.id, versioning_configuration={"status": "Enabled"}, opts=child)
    tls_only = iam_policies.policy_document(
        iam_policies.deny_without_tls("s3:*", [bucket.arn, pulumi.Output.concat(bucket.arn, "/*")]))
    # S3 rejects a policy write while the public-access block is still being applied.
    aws.s3.BucketPolicy(
        f"{name}-tls-only", bucket=bucket.id, policy=tls_only,
        opts=pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(depends_on=[public_access])))
