"""analytics-collector: composes the collector's components for one stack and exports what users need."""

import pulumi

from components.athena_catalog import AthenaCatalog, AthenaCatalogArgs
from components.collector_endpoint import CollectorEndpoint, CollectorEndpointArgs
from components.collector_monitoring import RESOURCE_NAME as MONITORING
from components.collector_monitoring import CollectorMonitoring, CollectorMonitoringArgs
from components.collector_waf import CollectorWaf, CollectorWafArgs
from components.daily_aggregator import RESOURCE_NAME as REPORTER
from components.daily_aggregator import DailyAggregator, DailyAggregatorArgs
from components.firehose_warehouse import FirehoseToS3Warehouse, FirehoseToS3WarehouseArgs
from components.permissions_boundary import with_permissions_boundary
from stack_config import load_stack_config
from stack_config.outputs import export

config = load_stack_config()

# Before any resource: the transformation applies only to resources declared after it.
boundary = config.program_settings("iam").permissions_boundary_policy
if boundary:
    pulumi.runtime.register_stack_transformation(with_permissions_boundary(boundary))

warehouse = FirehoseToS3Warehouse("warehouse", FirehoseToS3WarehouseArgs(**config.args_for("warehouse")))
endpoint = CollectorEndpoint(
    "collector",
    CollectorEndpointArgs(
        delivery_stream_name=warehouse.stream_name,
        delivery_stream_arn=warehouse.stream_arn,
        products=config.product_references,
        releases=config.release_files,
        **config.args_for("endpoint"),
    ),
)
catalog = AthenaCatalog(
    "catalog",
    AthenaCatalogArgs(
        bucket_name=warehouse.bucket_name, products=config.product_references, **config.args_for("catalog")
    ),
)
monitoring = CollectorMonitoring(
    MONITORING,
    CollectorMonitoringArgs(
        api_name=endpoint.api_name,
        stage_name=endpoint.stage_name,
        delivery_stream_name=warehouse.stream_name,
        workgroup_name=catalog.workgroup_name,
        **config.args_for("monitoring"),
    ),
)
if config.program_settings("waf").enabled:
    CollectorWaf("collector-waf", CollectorWafArgs(stage_arn=endpoint.stage_arn, **config.args_for("waf")))

export("collector_url", endpoint.url)
export("bucket_name", warehouse.bucket_name)
export("delivery_stream_name", warehouse.stream_name)
export("athena_database_name", catalog.database_name)
export("athena_table_name", catalog.table_name)
export("athena_workgroup_name", catalog.workgroup_name)
export("dashboard_name", monitoring.dashboard_name)

# The opt-out deploys no reporter resource at all, not a disabled one.
if config.usage_reporting_disabled:
    export("usage_reporting", "off")
else:
    # The collector's own stack reports to itself unless the stack names another collector.
    collector_url = config.program_settings("reporter").collector_url or endpoint.url
    reporter = DailyAggregator(
        REPORTER, DailyAggregatorArgs(collector_url=collector_url, **config.args_for("reporter"))
    )
    export("usage_reporting", "on")
    export("reporter_function_name", reporter.function_name)
