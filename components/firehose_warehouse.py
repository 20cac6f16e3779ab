"""FirehoseToS3Warehouse: a DirectPut Firehose stream packing gzip JSON lines into a locked-down bucket."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import pulumi
import pulumi_aws as aws

from components import bucket_guards, iam_policies
from components.outputs import publish_outputs
from components.tunables import arn, boolean, integer, log_retention, tunable, validate_args
from contract.warehouse import layout as warehouse_layout

FIREHOSE_LOG_STREAM = "S3Delivery"


@dataclass(frozen=True)
class FirehoseToS3WarehouseArgs:
    buffering_size_mib: int = tunable(
        5, integer(1, 128), "Firehose flushes an object when this much data is buffered (MiB)."
    )
    buffering_interval_seconds: int = tunable(
        300, integer(0, 900), "...or when the oldest buffered record is this old (seconds)."
    )
    report_retention_days: int = tunable(400, integer(1, 3650), "Delivered reports expire after this many days.")
    error_retention_days: int = tunable(
        30, integer(1, 3650), "Objects Firehose could not deliver expire after this many days."
    )
    noncurrent_version_retention_days: int = tunable(
        7, integer(1, 365), "Overwritten or deleted object versions are kept this many days."
    )
    log_retention_days: int = tunable(30, log_retention(), "Retention of Firehose's delivery-error log group.")
    kms_key_arn: Optional[str] = tunable(
        None, arn("kms", optional=True), "Customer-managed KMS key for the bucket; unset means SSE-S3."
    )
    force_destroy: bool = tunable(
        False, boolean(), "Let `pulumi destroy` delete a bucket that still holds reports (dev only)."
    )

    def __post_init__(self) -> None:
        validate_args(self)


class FirehoseToS3Warehouse(pulumi.ComponentResource):
    """A DirectPut Firehose delivery stream that packs the reports into gzip JSON lines in an encrypted, TLS-only,
    expiring S3 bucket, with its delivery role and error logs."""

    # Public API: part of every URN under it (the component package keys its schema by it too).
    TYPE_TOKEN = "analytics:warehouse:FirehoseToS3Warehouse"

    bucket_name: pulumi.Output[str]
    """Name of the bucket the reports are delivered to."""
    bucket_arn: pulumi.Output[str]
    """ARN of that bucket."""
    stream_name: pulumi.Output[str]
    """Name of the Firehose delivery stream."""
    stream_arn: pulumi.Output[str]
    """ARN of the Firehose delivery stream."""

    def __init__(self, name: str, args: FirehoseToS3WarehouseArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__(self.TYPE_TOKEN, name, None, opts)
        child = pulumi.ResourceOptions(parent=self)

        bucket = aws.s3.Bucket(f"{name}-reports", force_destroy=args.force_destroy, opts=child)
        self._expire_objects(name, bucket, args, child)

        log_group = aws.cloudwatch.LogGroup(
            f"{name}-delivery-logs",
            name=f"/aws/kinesisfirehose/{name}-{pulumi.get_stack()}",
            retention_in_days=args.log_retention_days,
            opts=child,
        )
        log_stream = aws.cloudwatch.LogStream(
            f"{name}-delivery-log-stream", name=FIREHOSE_LOG_STREAM, log_group_name=log_group.name, opts=child
        )

        role, role_policy = self._delivery_role(name, bucket, log_group, log_stream, args, child)
        # Only the delivery role may put reports: nothing else in the account can add or overwrite one.
        bucket_guards.guard_bucket(name, bucket, args.kms_key_arn, child, only_writer=role.arn)
        stream = aws.kinesis.FirehoseDeliveryStream(
            f"{name}-stream",
            destination="extended_s3",
            server_side_encryption={"enabled": True, "key_type": "AWS_OWNED_CMK"},
            extended_s3_configuration={
                "role_arn": role.arn,
                "bucket_arn": bucket.arn,
                "prefix": warehouse_layout.FIREHOSE_REPORTS_PREFIX,
                "error_output_prefix": warehouse_layout.FIREHOSE_ERRORS_PREFIX,
                "buffering_size": args.buffering_size_mib,
                "buffering_interval": args.buffering_interval_seconds,
                "compression_format": "GZIP",
                "file_extension": warehouse_layout.OBJECT_EXTENSION,
                "custom_time_zone": "UTC",
                "kms_key_arn": args.kms_key_arn,
                "cloudwatch_logging_options": {
                    "enabled": True,
                    "log_group_name": log_group.name,
                    "log_stream_name": log_stream.name,
                },
            },
            # Firehose checks at creation that the role can already write.
            opts=pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(depends_on=[role_policy])),
        )

        publish_outputs(
            self, bucket_name=bucket.bucket, bucket_arn=bucket.arn, stream_name=stream.name, stream_arn=stream.arn
        )

    @staticmethod
    def _expire_objects(
        name: str, bucket: aws.s3.Bucket, args: FirehoseToS3WarehouseArgs, child: pulumi.ResourceOptions
    ) -> None:
        def expire(rule_id: str, prefix: str, days: int) -> aws.s3.BucketLifecycleConfigurationRuleArgsDict:
            return {"id": rule_id, "status": "Enabled", "filter": {"prefix": prefix}, "expiration": {"days": days}}

        aws.s3.BucketLifecycleConfiguration(
            f"{name}-lifecycle",
            bucket=bucket.id,
            rules=[
                expire("expire-reports", warehouse_layout.REPORTS_PREFIX, args.report_retention_days),
                expire("expire-delivery-errors", warehouse_layout.ERRORS_PREFIX, args.error_retention_days),
                {
                    "id": "expire-old-versions-and-uploads",
                    "status": "Enabled",
                    "filter": {"prefix": ""},
                    "noncurrent_version_expiration": {"noncurrent_days": args.noncurrent_version_retention_days},
                    "abort_incomplete_multipart_upload": bucket_guards.ABORT_INCOMPLETE_UPLOADS,
                    "expiration": {"expired_object_delete_marker": True},
                },
            ],
            opts=child,
        )

    @staticmethod
    def _delivery_role(
        name: str,
        bucket: aws.s3.Bucket,
        log_group: aws.cloudwatch.LogGroup,
        log_stream: aws.cloudwatch.LogStream,
        args: FirehoseToS3WarehouseArgs,
        child: pulumi.ResourceOptions,
    ) -> tuple[aws.iam.Role, aws.iam.RolePolicy]:
        statements = [
            iam_policies.allow(
                ["s3:GetBucketLocation", "s3:ListBucket", "s3:ListBucketMultipartUploads"], [bucket.arn], "ReadBucket"
            ),
            iam_policies.allow(
                ["s3:AbortMultipartUpload", "s3:PutObject"],
                [
                    pulumi.Output.concat(bucket.arn, "/", prefix, "*")
                    for prefix in (warehouse_layout.REPORTS_PREFIX, warehouse_layout.ERRORS_PREFIX)
                ],
                "WriteReportsAndErrors",
            ),
            iam_policies.allow(
                ["logs:PutLogEvents"],
                [pulumi.Output.concat(log_group.arn, ":log-stream:", log_stream.name)],
                "WriteDeliveryErrors",
            ),
        ]
        if args.kms_key_arn:
            statements.append(_bucket_key_grant(args.kms_key_arn, bucket.arn))
        return iam_policies.service_role(
            f"{name}-delivery-role", f"{name}-delivery-policy", "firehose.amazonaws.com", statements, child
        )


def _bucket_key_grant(kms_key_arn: str, bucket_arn: pulumi.Output[str]) -> iam_policies.Statement:
    """The role may use the bucket's key only through S3 and only for this bucket. Not through Firehose: the
    stream encrypts its buffer with an AWS-owned key, so Firehose never uses this key on the role's behalf.
    With S3 Bucket Keys the encryption context is the bucket's ARN, without them the object's."""
    grant = iam_policies.allow(["kms:Decrypt", "kms:GenerateDataKey"], [kms_key_arn], "EncryptWithBucketKey")
    grant["Condition"] = {
        "StringEquals": {"kms:ViaService": iam_policies.via_service("s3")},
        "StringLike": {"kms:EncryptionContext:aws:s3:arn": [bucket_arn, pulumi.Output.concat(bucket_arn, "/*")]},
    }
    return grant
