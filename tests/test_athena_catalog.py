"""AthenaCatalog under mocks, on every stack: the table is the schema's fields over Firehose's prefix with
partition projection, the workgroup enforces its limits, and the saved queries are the files in contract/queries/."""

from __future__ import annotations

import copy
import json
import re
from unittest import mock

import pytest
import sqlglot
import yaml
from sqlglot import exp

from components.athena_catalog import MIN_BYTES_SCANNED_CUTOFF, AthenaCatalogArgs
from components.tunables import ArgsError
from contract import queries, schemas
from contract.warehouse import columns as reports_table
from contract.warehouse import layout as warehouse_layout
from stack_config import StackConfigError, section_keys
from tests.support.shared_runs import shared_run
from tooling.mocked_program.pulumi_mocks import ACCOUNT, REPO, STACKS, run_program, stack_config, stack_config_with

TABLE = "aws:glue/catalogTable:CatalogTable"
WORKGROUP = "aws:athena/workgroup:Workgroup"
KMS_KEY = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def catalog_settings(stack) -> dict:
    raw = yaml.safe_load((REPO / f"Pulumi.{stack}.yaml").read_text())["config"]
    return raw.get("analytics-collector:catalog", {})


def setting(stack, key):
    return catalog_settings(stack).get(key, section_keys(AthenaCatalogArgs)[key].default)


@pytest.fixture(params=STACKS)
def stack(request):
    return request.param


def bucket_name(run) -> str:
    return run.named("warehouse-reports").outputs["bucket"]


def test_table_columns_are_the_schema_fields(stack):
    table = shared_run(stack).one(TABLE).inputs
    got = [(c["name"], c["type"]) for c in table["storageDescriptor"]["columns"]]
    counters = ",".join(f"{name}:bigint" for name in schemas.counter_names())
    assert got == [
        *((name, column_type) for name, (column_type, _) in schemas.RECEIVED_FIELDS.items()),
        *((name, "string") for name in schemas.scalar_fields()),
        (schemas.CANONICAL_COUNTERS_KEY, f"struct<{counters}>"),
    ]
    assert all(c["comment"] for c in table["storageDescriptor"]["columns"])


def test_table_definition_reads_as_athena_ddl(stack):
    """What Glue holds, written out as the equivalent CREATE EXTERNAL TABLE: sqlglot must parse every type."""
    table = shared_run(stack).one(TABLE).inputs
    storage = table["storageDescriptor"]
    columns = ", ".join(f"`{c['name']}` {c['type']}" for c in storage["columns"])
    partitions = ", ".join(f"`{c['name']}` {c['type']}" for c in table["partitionKeys"])
    serde = ", ".join(f"'{k}'='{v}'" for k, v in storage["serDeInfo"]["parameters"].items())
    properties = ", ".join(f"'{k}'='{v}'" for k, v in table["parameters"].items())
    ddl = (
        f"CREATE EXTERNAL TABLE {table['name']} ({columns}) PARTITIONED BY ({partitions}) "
        f"ROW FORMAT SERDE '{storage['serDeInfo']['serializationLibrary']}' WITH SERDEPROPERTIES ({serde}) "
        f"LOCATION '{storage['location']}' TBLPROPERTIES ({properties})"
    )
    tree = sqlglot.parse_one(ddl, read="athena", error_level=sqlglot.ErrorLevel.RAISE)
    assert isinstance(tree, exp.Create)
    metrics = next(c for c in tree.find_all(exp.ColumnDef) if c.name == schemas.CANONICAL_COUNTERS_KEY)
    assert [f.name for f in metrics.args["kind"].expressions] == schemas.counter_names()


def test_a_counter_added_to_the_schema_is_a_new_field_with_no_other_edit():
    schema = schemas.load_schema()
    grown = copy.deepcopy(schema)
    grown["definitions"]["counters"]["properties"]["exportSuccess"] = {
        "description": "Exports.",
        "$ref": "#/definitions/count",
    }
    with mock.patch.object(schemas, "load_schema", return_value=grown):
        metrics = reports_table.columns()[-1]
    assert metrics.type.endswith(",exportSuccess:bigint>")


def test_table_reads_firehose_json_lines_tolerating_malformed_ones(stack):
    run = shared_run(stack)
    table = run.one(TABLE).inputs
    assert table["name"] == queries.TABLE_NAME and table["tableType"] == "EXTERNAL_TABLE"
    storage = table["storageDescriptor"]
    assert storage["location"] == f"s3://{bucket_name(run)}/{warehouse_layout.REPORTS_PREFIX}"
    assert storage["serDeInfo"]["serializationLibrary"] == "org.openx.data.jsonserde.JsonSerDe"
    assert storage["serDeInfo"]["parameters"]["ignore.malformed.json"] == "TRUE"
    assert storage["inputFormat"] == "org.apache.hadoop.mapred.TextInputFormat"


def test_partitions_are_projected_daily_from_the_configured_start(stack):
    table = shared_run(stack).one(TABLE).inputs
    partition = reports_table.PARTITION_COLUMN
    assert table["partitionKeys"] == [{"name": "dt", "type": "string", "comment": partition.comment}]
    params = table["parameters"]
    assert params["projection.enabled"] == "true"
    assert params["projection.dt.type"] == "date"
    assert params["projection.dt.format"] == "yyyy-MM-dd"
    assert params["projection.dt.range"] == f"{setting(stack, 'projectionStartDate')},NOW"
    assert (params["projection.dt.interval"], params["projection.dt.interval.unit"]) == ("1", "DAYS")


def test_location_template_is_the_firehose_prefix_with_the_partition_value(stack):
    run = shared_run(stack)
    firehose_prefix = run.one("aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream").inputs[
        "extendedS3Configuration"
    ]["prefix"]
    template = run.one(TABLE).inputs["parameters"]["storage.location.template"]
    projected = re.sub(r"!\{timestamp:yyyy-MM-dd\}", "${dt}", firehose_prefix)
    assert projected != firehose_prefix, "the Firehose prefix no longer stamps the day"
    assert template == f"s3://{bucket_name(run)}/{projected}"


def test_workgroup_enforces_engine_limits_metrics_and_encrypted_results(stack):
    run = shared_run(stack)
    workgroup = run.one(WORKGROUP).inputs
    config = workgroup["configuration"]
    assert workgroup["state"] == "ENABLED"
    assert config["enforceWorkgroupConfiguration"] is True
    assert config["publishCloudwatchMetricsEnabled"] is True
    assert config["engineVersion"]["selectedEngineVersion"] == "Athena engine version 3"
    assert config["bytesScannedCutoffPerQuery"] == setting(stack, "bytesScannedCutoffPerQuery")
    assert config["bytesScannedCutoffPerQuery"] >= MIN_BYTES_SCANNED_CUTOFF
    results = config["resultConfiguration"]
    assert results["outputLocation"] == f"s3://{run.named('catalog-results').outputs['bucket']}/results/"
    assert results["encryptionConfiguration"] == {"encryptionOption": "SSE_S3"}
    assert results["expectedBucketOwner"] == ACCOUNT
    assert workgroup.get("forceDestroy", False) is (stack == "dev")


def test_query_results_expire_as_configured(stack):
    rules = {r["id"]: r for r in shared_run(stack).named("catalog-results-lifecycle").inputs["rules"]}
    results = rules["expire-query-results"]
    assert results["expiration"]["days"] == setting(stack, "resultsRetentionDays")
    assert results["filter"] == {"prefix": ""}
    assert results["noncurrentVersionExpiration"]["noncurrentDays"] >= 1
    # Spelled, not read from contract/guardrails/buckets.py, which the component reads too: a changed constant must
    # fail here.
    assert results["abortIncompleteMultipartUpload"]["daysAfterInitiation"] == 1
    assert rules["remove-expired-delete-markers"]["expiration"] == {"expiredObjectDeleteMarker": True}
    assert all(r["status"] == "Enabled" for r in rules.values())


def test_saved_queries_are_the_query_files(stack):
    run = shared_run(stack)
    database = run.one("aws:glue/catalogDatabase:CatalogDatabase").inputs["name"]
    workgroup = run.one(WORKGROUP).inputs["name"]
    named = {q.inputs["name"]: q.inputs for q in run.of_type("aws:athena/namedQuery:NamedQuery")}
    assert {name: q["query"] for name, q in named.items()} == queries.load_saved_queries()
    for query in named.values():
        assert query["database"] == database and query["workgroup"] == workgroup
        assert query["description"] == queries.description(query["query"])


def test_names_are_valid_for_glue_and_athena_and_exported(stack):
    run = shared_run(stack)
    database = run.one("aws:glue/catalogDatabase:CatalogDatabase").inputs["name"]
    workgroup = run.one(WORKGROUP).inputs["name"]
    assert re.fullmatch(r"[a-z0-9_]{1,255}", database) and stack in database
    assert re.fullmatch(r"[a-zA-Z0-9._-]{1,128}", workgroup)
    assert run.one(TABLE).inputs["databaseName"] == database
    assert run.exports["athena_database_name"] == database
    assert run.exports["athena_table_name"] == queries.TABLE_NAME
    assert run.exports["athena_workgroup_name"] == workgroup


def test_catalog_resources_belong_to_the_component(stack):
    run = shared_run(stack)
    component = run.one("analytics:catalog:AthenaCatalog")
    assert component.parent_type == "pulumi:pulumi:Stack"
    owned = [r for r in run.resources if r.name.startswith("catalog-")]
    assert owned and all(r.parent_type == "analytics:catalog:AthenaCatalog" for r in owned)


def test_stacks_differ_where_they_should():
    cutoff = {s: setting(s, "bytesScannedCutoffPerQuery") for s in STACKS}
    retention = {s: setting(s, "resultsRetentionDays") for s in STACKS}
    assert cutoff["dev"] < cutoff["staging"] < cutoff["prod"]
    assert retention["dev"] < retention["staging"] < retention["prod"]


def test_kms_key_encrypts_results_and_their_bucket():
    run = run_program("prod", stack_config_with("prod", catalog={"kmsKeyArn": KMS_KEY}))
    results = run.one(WORKGROUP).inputs["configuration"]["resultConfiguration"]
    assert results["encryptionConfiguration"] == {"encryptionOption": "SSE_KMS", "kmsKeyArn": KMS_KEY}
    rule = run.named("catalog-results-encryption").inputs["rules"][0]
    assert rule["applyServerSideEncryptionByDefault"] == {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": KMS_KEY}


@pytest.mark.parametrize(
    "field,value",
    [
        ("bytes_scanned_cutoff_per_query", MIN_BYTES_SCANNED_CUTOFF - 1),
        ("projection_start_date", "2026-13-01"),
        ("projection_start_date", "yesterday"),
        ("projection_start_date", "2026-02-30"),
        ("projection_start_date", "1999-12-31"),
        ("results_retention_days", 0),
        ("kms_key_arn", "alias/reports"),
    ],
)
def test_args_reject_values_athena_or_glue_would_refuse(field, value):
    with pytest.raises(ArgsError, match=rf"AthenaCatalogArgs\.{field} = {re.escape(repr(value))} is not allowed"):
        AthenaCatalogArgs(bucket_name="b", **{field: value})


def test_a_bad_catalog_setting_stops_the_program_with_its_key():
    config = stack_config("dev")
    config["analytics-collector:catalog"] = json.dumps({"bytesScannedCutoffPerQuery": 1000})
    with pytest.raises(StackConfigError, match=r"analytics-collector:catalog\.bytesScannedCutoffPerQuery = 1000"):
        run_program("dev", config)
