"""What `pulumi stack output` shows: each output's name and what it holds. __main__.py exports through `export`, which
refuses a name not listed here, and docs/configuration.md's table of outputs is generated from this list."""

from typing import Any

import pulumi

STACK_OUTPUTS = {
    "collector_url": "The URL the default product's reporters post to: the stage's invoke URL (or the custom "
    "domain's) and the route record/deployment. Other routes share its host and stage.",
    "bucket_name": "The warehouse bucket: delivered reports under `reports/dt=YYYY-MM-DD/`.",
    "delivery_stream_name": "The Firehose stream the API writes reports to.",
    "athena_database_name": "The Glue database holding the reports table.",
    "athena_table_name": "The Glue table over the delivered reports.",
    "athena_workgroup_name": "The Athena workgroup whose saved queries report on usage.",
    "dashboard_name": "The CloudWatch dashboard: requests, errors, latency, delivery and the alarms' states.",
    "usage_reporting": "`on` or `off`: whether this stack deploys its own reporter (`metricsConfig` opts out).",
    "reporter_function_name": "The reporter's Lambda function, when usage_reporting is `on`.",
}


def export(name: str, value: Any) -> None:
    if name not in STACK_OUTPUTS:
        raise KeyError(f"stack output {name!r} is not listed in stack_config/outputs.py: list it with what it holds")
    pulumi.export(name, value)
