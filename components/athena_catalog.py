"""AthenaCatalog: a Glue table over the delivered reports, an Athena workgroup and the saved queries.

Partition projection computes the day partitions from the table's properties, so no crawler and no
`MSCK REPAIR` is ever needed, and a query that filters on `dt` reads only those days' objects.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Optional

import pulumi
import pulumi_aws as aws

from components import bucket_guards, iam_policies
from components.outputs import publish_outputs
from components.products_input import catalogue_of, products_field
from components.tunables import Rule, arn, boolean, integer, required, tunable, validate_args
from contract import products as catalogue
from contract.queries import TABLE_NAME, description, load_saved_queries, saved_query_name
from contract.warehouse import layout as warehouse_layout
from contract.warehouse.columns import PARTITION_COLUMN, columns

ENGINE_VERSION = "Athena engine version 3"
JSON_SERDE = "org.openx.data.jsonserde.JsonSerDe"
# Firehose's gzip objects are read by Hadoop's text reader, which decompresses by the .gz extension.
TEXT_INPUT_FORMAT = "org.apache.hadoop.mapred.TextInputFormat"
TEXT_OUTPUT_FORMAT = "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat"
RESULTS_PREFIX = "results/"
# Athena refuses a per-query cutoff below 10 MB.
MIN_BYTES_SCANNED_CUTOFF = 10_000_000


def _calendar_day(value: object) -> bool:
    try:
        return isinstance(value, str) and len(value) == 10 and datetime.date.fromisoformat(value).year >= 2000
    except ValueError:
        return False


# Projection refuses a range that starts on a day no calendar has, e.g. 2026-02-30.
CALENDAR_DAY = Rule("a date YYYY-MM-DD from 2000 on", _calendar_day)


@dataclass(frozen=True)
class AthenaCatalogArgs:
    bucket_name: pulumi.Input[str] = required(
        "Bucket the reports are delivered to (a FirehoseToS3Warehouse's bucketName)."
    )
    projection_start_date: str = tunable(
        "2026-01-01", CALENDAR_DAY, "First day partition projection knows; reports delivered earlier are never read."
    )
    bytes_scanned_cutoff_per_query: int = tunable(
        1_000_000_000,
        integer(MIN_BYTES_SCANNED_CUTOFF, 10**15),
        "Athena cancels a query in the workgroup once it has scanned this many bytes.",
    )
    results_retention_days: int = tunable(
        7, integer(1, 3650), "Query results (they can hold report data) expire after this many days."
    )
    kms_key_arn: Optional[str] = tunable(
        None, arn("kms", optional=True), "Customer-managed KMS key for query results; unset means SSE-S3."
    )
    force_destroy: bool = tunable(
        False, boolean(), "Let `pulumi destroy` delete the results bucket and workgroup while they hold data."
    )
    products: Optional[Sequence[str]] = products_field(
        "The products the collector serves (as CollectorEndpoint's products). Set: the table holds them all, with "
        "a product column and the counters as a map (an in-place change of the table). Unset: the table as released."
    )

    def __post_init__(self) -> None:
        validate_args(self)
        self.served_products()  # refuses a bad entry at construction

    def served_products(self) -> Optional[tuple[catalogue.Product, ...]]:
        return catalogue_of(self, self.products)


def glue_name(*parts: str) -> str:
    """Glue and Athena want database names in lower case letters, digits and underscores."""
    return re.sub(r"[^a-z0-9_]", "_", "_".join(parts).lower())


def table_parameters(bucket_name: pulumi.Input[str], projection_start_date: str) -> dict[str, pulumi.Input[str]]:
    key = warehouse_layout.PARTITION_KEY
    return {
        "EXTERNAL": "TRUE",
        "classification": "json",
        "projection.enabled": "true",
        f"projection.{key}.type": "date",
        f"projection.{key}.format": warehouse_layout.PARTITION_FORMAT,
        f"projection.{key}.range": f"{projection_start_date},NOW",
        f"projection.{key}.interval": "1",
        f"projection.{key}.interval.unit": "DAYS",
        "storage.location.template": pulumi.Output.from_input(bucket_name).apply(
            warehouse_layout.projection_location_template
        ),
    }


def storage_descriptor(
    bucket_name: pulumi.Input[str], products: Optional[Sequence[catalogue.Product]] = None
) -> aws.glue.CatalogTableStorageDescriptorArgsDict:
    return {
        "location": pulumi.Output.from_input(bucket_name).apply(warehouse_layout.reports_location),
        "input_format": TEXT_INPUT_FORMAT,
        "output_format": TEXT_OUTPUT_FORMAT,
        "compressed": True,
        "ser_de_info": {
            "serialization_library": JSON_SERDE,
            # A line that is not JSON becomes a row of NULLs instead of failing every query that reads it.
            "parameters": {"ignore.malformed.json": "TRUE", "case.insensitive": "TRUE", "dots.in.keys": "FALSE"},
        },
        "columns": [{"name": c.name, "type": c.type, "comment": c.comment} for c in columns(products)],
    }


def saved_queries(served: Optional[Sequence[catalogue.Product]]) -> list[tuple[Optional[str], str, str, str]]:
    """(product id, query, saved name, SQL) of every saved query. No products named: the queries as released (id
    None). Named: a set per product; the default product's keeps the released names (id None), its SQL filtered to
    it."""
    if served is None:
        return [(None, query, saved_query_name(query), sql) for query, sql in load_saved_queries().items()]
    return [
        (
            None if product.id == catalogue.DEFAULT_PRODUCT_ID else product.id,
            query,
            saved_query_name(query, product),
            sql,
        )
        for product in served
        for query, sql in load_saved_queries(product).items()
    ]


class AthenaCatalog(pulumi.ComponentResource):
    """A Glue table over the delivered reports (day partitions by projection), an Athena workgroup that caps
    every query, its expiring results bucket, and the saved queries."""

    # Public API: part of every URN under it (the component package keys its schema by it too).
    TYPE_TOKEN = "analytics:catalog:AthenaCatalog"

    database_name: pulumi.Output[str]
    """Glue database holding the reports table."""
    table_name: pulumi.Output[str]
    """Glue table over the delivered reports."""
    workgroup_name: pulumi.Output[str]
    """Athena workgroup whose settings every query obeys."""
    results_bucket_name: pulumi.Output[str]
    """Bucket holding the workgroup's query results."""

    def __init__(self, name: str, args: AthenaCatalogArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__(self.TYPE_TOKEN, name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        stack_name = glue_name(pulumi.get_project(), pulumi.get_stack())
        # Read once: the table's columns and the saved queries over them come from the same products.
        served = args.served_products()

        database = aws.glue.CatalogDatabase(
            f"{name}-database",
            name=stack_name,
            description="Usage reports delivered by the analytics collector.",
            opts=child,
        )
        table = aws.glue.CatalogTable(
            f"{name}-reports-table",
            name=TABLE_NAME,
            database_name=database.name,
            description="One row per delivered report line (gzip JSON lines written by Firehose).",
            table_type="EXTERNAL_TABLE",
            parameters=table_parameters(args.bucket_name, args.projection_start_date),
            partition_keys=[
                {"name": PARTITION_COLUMN.name, "type": PARTITION_COLUMN.type, "comment": PARTITION_COLUMN.comment}
            ],
            storage_descriptor=storage_descriptor(args.bucket_name, served),
            opts=child,
        )

        results = self._results_bucket(name, args, child)
        workgroup = aws.athena.Workgroup(
            f"{name}-workgroup",
            name=stack_name.replace("_", "-"),
            description="Queries over the usage reports; settings enforced for every query.",
            state="ENABLED",
            force_destroy=args.force_destroy,
            configuration={
                "enforce_workgroup_configuration": True,
                "publish_cloudwatch_metrics_enabled": True,
                "bytes_scanned_cutoff_per_query": args.bytes_scanned_cutoff_per_query,
                "requester_pays_enabled": False,
                "engine_version": {"selected_engine_version": ENGINE_VERSION},
                "result_configuration": {
                    "output_location": pulumi.Output.concat("s3://", results.bucket, "/", RESULTS_PREFIX),
                    "expected_bucket_owner": iam_policies.current_account_id(),
                    "encryption_configuration": (
                        {"encryption_option": "SSE_KMS", "kms_key_arn": args.kms_key_arn}
                        if args.kms_key_arn
                        else {"encryption_option": "SSE_S3"}
                    ),
                },
            },
            opts=child,
        )

        for product_id, query_name, saved_name, sql in saved_queries(served):
            aws.athena.NamedQuery(
                f"{name}-query-{query_name.replace('_', '-')}"
                if product_id is None
                else f"{name}-{product_id}-query-{query_name.replace('_', '-')}",
                name=saved_name,
                description=description(sql)[:1024],
                database=database.name,
                workgroup=workgroup.name,
                query=sql,
                opts=pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(depends_on=[table])),
            )

        publish_outputs(
            self,
            database_name=database.name,
            table_name=table.name,
            workgroup_name=workgroup.name,
            results_bucket_name=results.bucket,
        )

    @staticmethod
    def _results_bucket(name: str, args: AthenaCatalogArgs, child: pulumi.ResourceOptions) -> aws.s3.Bucket:
        results = aws.s3.Bucket(f"{name}-results", force_destroy=args.force_destroy, opts=child)
        bucket_guards.guard_bucket(f"{name}-results", results, args.kms_key_arn, child)
        aws.s3.BucketLifecycleConfiguration(
            f"{name}-results-lifecycle",
            bucket=results.id,
            rules=[
                {
                    "id": "expire-query-results",
                    "status": "Enabled",
                    "filter": {"prefix": ""},
                    "expiration": {"days": args.results_retention_days},
                    "noncurrent_version_expiration": {"noncurrent_days": 1},
                    "abort_incomplete_multipart_upload": bucket_guards.ABORT_INCOMPLETE_UPLOADS,
                },
                # S3 refuses expired_object_delete_marker beside days in one rule; without it markers pile up.
                {
                    "id": "remove-expired-delete-markers",
                    "status": "Enabled",
                    "filter": {"prefix": ""},
                    "expiration": {"expired_object_delete_marker": True},
                },
            ],
            opts=child,
        )
        return results
