"""DailyAggregator under mocks: what it deploys in every stack, its IAM, its schedule, and the opt-out."""

import json
import random
import re
import uuid
from dataclasses import replace

import pulumi
import pytest

from components import daily_aggregator
from components.daily_aggregator import (
    MAX_EVENT_AGE_SECONDS,
    REPLAY_INTERVAL_SECONDS,
    REPLAY_WINDOW_MINUTES,
    RETRY_VISIBILITY_SECONDS,
    DailyAggregator,
    DailyAggregatorArgs,
    _require_https,
    schedule_expression,
    schedule_minute,
)
from components.reporter_code import HANDLER
from components.tunables import ArgsError
from contract import products
from contract.guardrails import transport
from contract.reporter import OPTIONAL_VARIABLES, REQUIRED_VARIABLES
from stack_config import StackConfigError
from tests.support import docs
from tests.support.original_product import ORIGINAL_COUNTERS
from tests.support.shared_runs import shared_run
from tooling.demo import made_up_product
from tooling.mocked_program.pulumi_mocks import ACCOUNT, STACKS, run_program, stack_config, stack_config_with

COMPONENT = DailyAggregator.TYPE_TOKEN
# Every resource type the reporter owns: the opt-out must register none of them.
REPORTER_TYPES = {
    "random:index/randomUuid:RandomUuid",
    "aws:lambda/function:Function",
    "aws:iam/role:Role",
    "aws:iam/rolePolicy:RolePolicy",
    "aws:scheduler/schedule:Schedule",
    "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig",
    "aws:sqs/queue:Queue",
    "aws:sqs/queuePolicy:QueuePolicy",
    "aws:cloudwatch/metricAlarm:MetricAlarm",
}


def program(stack):
    """The stack's own settings with reporting on: prod opts out in its committed config (tested below)."""
    config = stack_config(stack)
    config.pop("analytics-collector:metricsConfig", None)
    return shared_run(stack, config)


def test_committed_prod_config_opts_out_and_deploys_no_reporter_part():
    run = shared_run("prod")
    assert run.exports["usage_reporting"] == "off"
    assert not {"aws:lambda/function:Function", "aws:scheduler/schedule:Schedule"} & run.types()
    assert not [r for r in run.resources if r.parent_type == COMPONENT or r.typ == COMPONENT]


def reporter(run, typ):
    found = [r for r in run.of_type(typ) if r.parent_type == COMPONENT]
    assert len(found) == 1, f"expected one {typ} in the reporter, found {[r.name for r in found]}"
    return found[0]


def reporter_named(run, name):
    found = run.named(name)
    assert found.parent_type == COMPONENT
    return found


@pytest.fixture(params=STACKS)
def stack(request):
    return request.param


def test_every_stack_deploys_one_reporter_with_every_part_parented_to_it(stack):
    run = program(stack)
    assert len(run.of_type(COMPONENT)) == 1
    owned = {r.typ for r in run.resources if r.parent_type == COMPONENT}
    assert owned == REPORTER_TYPES | {"aws:cloudwatch/logGroup:LogGroup"}
    assert run.exports["usage_reporting"] == "on"
    assert run.exports["reporter_function_name"] == reporter(run, "aws:lambda/function:Function").outputs["name"]


def test_function_runs_the_handler_on_the_current_runtime_with_its_settings(stack):
    run = program(stack)
    function = reporter(run, "aws:lambda/function:Function").inputs
    assert (function["runtime"], function["architectures"], function["handler"]) == ("python3.13", ["arm64"], HANDLER)
    assert function["memorySize"] == 128 and function["timeout"] == 120
    assert function["environment"]["variables"] == {
        "COLLECTOR_URL": run.exports["collector_url"],
        "STACK_ID": reporter(run, "random:index/randomUuid:RandomUuid").outputs["result"],
        "PRODUCT_VERSION": "0.0.1",
        "METRICS_NAMESPACE": "lunasec",
        "HTTP_TIMEOUT_SECONDS": "10",
        "MAX_ATTEMPTS": "4",
        "RETRY_QUEUE_URL": reporter_named(run, "reporter-retries").outputs["url"],
    }
    logs = reporter(run, "aws:cloudwatch/logGroup:LogGroup")
    assert function["loggingConfig"]["logGroup"] == logs.outputs["name"]
    assert logs.inputs["retentionInDays"] == 30


def test_stack_id_is_a_plain_random_uuid_that_never_rotates(stack):
    stack_id = reporter(program(stack), "random:index/randomUuid:RandomUuid")
    assert stack_id.inputs == {}  # no keepers: nothing but an explicit replace changes it
    assert str(uuid.UUID(stack_id.outputs["result"])) == stack_id.outputs["result"]


def test_role_may_read_counters_write_its_logs_and_queue_and_replay_failed_runs_nothing_more(stack):
    run = program(stack)
    trust = json.loads(reporter_named(run, "reporter-role").inputs["assumeRolePolicy"])["Statement"]
    assert [s["Principal"] for s in trust] == [{"Service": "lambda.amazonaws.com"}]
    assert "Condition" not in trust[0]  # Lambda documents no trust condition; an unsupported one breaks the role
    policy = json.loads(reporter_named(run, "reporter-policy").inputs["policy"])
    logs_arn = reporter(run, "aws:cloudwatch/logGroup:LogGroup").outputs["arn"]
    queue_arn = reporter_named(run, "reporter-retries").outputs["arn"]
    assert policy["Statement"] == [
        {
            "Sid": "ReadCounters",
            "Effect": "Allow",
            "Action": ["cloudwatch:GetMetricData", "cloudwatch:ListMetrics"],
            "Resource": ["*"],
        },
        {
            "Sid": "WriteOwnLogs",
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": [f"{logs_arn}:log-stream:*"],
        },
        {"Sid": "QueueFailedRuns", "Effect": "Allow", "Action": ["sqs:SendMessage"], "Resource": [queue_arn]},
        {
            "Sid": "ReplayFailedRuns",
            "Effect": "Allow",
            "Action": ["sqs:DeleteMessage", "sqs:ReceiveMessage"],
            "Resource": [queue_arn],
        },
    ]


@pytest.mark.parametrize("queue", ["reporter-retries", "reporter-dead-letters"])
def test_both_queues_keep_14_days_encrypted_and_tls_only(stack, queue):
    run = program(stack)
    found = reporter_named(run, queue)
    assert found.inputs["messageRetentionSeconds"] == 14 * 24 * 3600
    assert found.inputs["sqsManagedSseEnabled"] is True
    (deny,) = json.loads(reporter_named(run, f"{queue}-tls-only").inputs["policy"])["Statement"]
    assert deny == transport.deny_without_tls("sqs:*", found.outputs["arn"])


def test_lambda_gives_failed_runs_to_the_retry_queue_which_dead_letters_them_after_the_horizon(stack):
    run = program(stack)
    retries, dead_letters = reporter_named(run, "reporter-retries"), reporter_named(run, "reporter-dead-letters")
    invoke = reporter(run, "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig").inputs
    assert invoke["maximumRetryAttempts"] == 2
    assert invoke["destinationConfig"] == {"onFailure": {"destination": retries.outputs["arn"]}}
    assert json.loads(retries.inputs["redrivePolicy"]) == {
        "deadLetterTargetArn": dead_letters.outputs["arn"],
        "maxReceiveCount": 24,
    }
    assert "redrivePolicy" not in dead_letters.inputs
    # A message failed in one replay is visible again for the next, never during its own run (Lambda's
    # longest timeout is 900 s).
    assert 900 < retries.inputs["visibilityTimeoutSeconds"] == RETRY_VISIBILITY_SECONDS
    assert RETRY_VISIBILITY_SECONDS < REPLAY_INTERVAL_SECONDS - REPLAY_WINDOW_MINUTES * 60


def test_an_hourly_schedule_replays_the_failed_runs_through_the_same_role(stack):
    run = program(stack)
    replay = reporter_named(run, "reporter-replay-schedule").inputs
    assert replay["scheduleExpression"] == "rate(1 hour)"
    assert replay["flexibleTimeWindow"] == {"mode": "FLEXIBLE", "maximumWindowInMinutes": REPLAY_WINDOW_MINUTES}
    target = replay["target"]
    assert target["arn"] == reporter(run, "aws:lambda/function:Function").outputs["arn"]
    assert target["roleArn"] == reporter_named(run, "reporter-scheduler-role").outputs["arn"]
    assert json.loads(target["input"]) == {"replay": "failed-runs"}
    assert target["retryPolicy"] == {"maximumEventAgeInSeconds": 3600, "maximumRetryAttempts": 3}
    assert target["deadLetterConfig"] == {"arn": reporter_named(run, "reporter-dead-letters").outputs["arn"]}


def test_alarms_watch_function_errors_and_dead_letters(stack):
    run = program(stack)
    alarms = {
        a.inputs["namespace"]: a.inputs
        for a in run.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")
        if a.parent_type == COMPONENT
    }
    function = reporter(run, "aws:lambda/function:Function").outputs["name"]
    queue = reporter_named(run, "reporter-dead-letters").outputs["name"]
    assert (alarms["AWS/Lambda"]["metricName"], alarms["AWS/Lambda"]["dimensions"]) == (
        "Errors",
        {"FunctionName": function},
    )
    assert (alarms["AWS/SQS"]["metricName"], alarms["AWS/SQS"]["dimensions"]) == (
        "ApproximateNumberOfMessagesVisible",
        {"QueueName": queue},
    )
    for alarm in alarms.values():
        assert alarm["threshold"] == 1 and alarm["comparisonOperator"] == "GreaterThanOrEqualToThreshold"
        assert alarm["treatMissingData"] == "notBreaching"


def test_scheduler_starts_the_run_in_a_flexible_window_after_the_day_closes(stack):
    run = program(stack)
    schedule = reporter_named(run, "reporter-schedule").inputs
    stack_id = reporter(run, "random:index/randomUuid:RandomUuid").outputs["result"]
    assert schedule["scheduleExpression"] == f"cron({schedule_minute(stack_id)} 1 * * ? *)"
    assert schedule["scheduleExpressionTimezone"] == "UTC"
    assert schedule["flexibleTimeWindow"] == {"mode": "FLEXIBLE", "maximumWindowInMinutes": 720}
    function = reporter(run, "aws:lambda/function:Function").outputs
    queue = reporter_named(run, "reporter-dead-letters").outputs
    target = schedule["target"]
    assert (target["arn"], target["roleArn"]) == (
        function["arn"],
        reporter_named(run, "reporter-scheduler-role").outputs["arn"],
    )
    # The handler reads the report day from the time the schedule meant, not from when the run started. The
    # context attribute is spelled out here, once, as Scheduler documents it; other tests use SCHEDULED_TIME.
    assert json.loads(target["input"]) == {"time": "<aws.scheduler.scheduled-time>"}
    assert target["retryPolicy"] == {"maximumEventAgeInSeconds": MAX_EVENT_AGE_SECONDS, "maximumRetryAttempts": 3}
    assert target["deadLetterConfig"] == {"arn": queue["arn"]}


def test_only_the_schedule_may_start_the_function_and_dead_letter_what_it_could_not_deliver(stack):
    run = program(stack)
    (trust,) = json.loads(reporter_named(run, "reporter-scheduler-role").inputs["assumeRolePolicy"])["Statement"]
    assert trust["Principal"] == {"Service": "scheduler.amazonaws.com"}
    assert trust["Condition"] == {"StringEquals": {"aws:SourceAccount": ACCOUNT}}
    policy = json.loads(reporter_named(run, "reporter-scheduler-policy").inputs["policy"])
    assert policy["Statement"] == [
        {
            "Sid": "StartTheReporter",
            "Effect": "Allow",
            "Action": ["lambda:InvokeFunction"],
            "Resource": [reporter(run, "aws:lambda/function:Function").outputs["arn"]],
        },
        {
            "Sid": "DeadLetterUndeliveredRuns",
            "Effect": "Allow",
            "Action": ["sqs:SendMessage"],
            "Resource": [reporter_named(run, "reporter-dead-letters").outputs["arn"]],
        },
    ]
    # No resource policy on the function: nothing but the role above may invoke it.
    assert not [r for r in run.of_type("aws:lambda/permission:Permission") if r.parent_type == COMPONENT]


def test_schedule_minute_is_stable_per_stack_and_spreads_stacks_over_the_hour():
    stack_id = "3d9c49ce-8367-43ec-8884-568c8d43faec"
    assert schedule_expression(stack_id, 1) == schedule_expression(stack_id, 1) == "cron(16 1 * * ? *)"
    rng = random.Random(4)
    minutes = [schedule_minute(str(uuid.UUID(int=rng.getrandbits(128), version=4))) for _ in range(6000)]
    counts = [minutes.count(m) for m in range(60)]
    assert min(counts) > 50 and max(counts) < 150  # 100 each if even


def test_opt_out_registers_no_reporter_resource_and_changes_nothing_else(stack):
    reporting = program(stack)
    opted_out = shared_run(stack, stack_config_with(stack, metricsConfig={"disable_usage_statistic": True}))
    reporter_parts = {(r.typ, r.name) for r in reporting.resources if COMPONENT in (r.typ, r.parent_type)}
    assert {t for t, _ in reporter_parts} >= REPORTER_TYPES
    reporting_resources = {(r.typ, r.name) for r in reporting.resources}
    assert {(r.typ, r.name) for r in opted_out.resources} == reporting_resources - reporter_parts
    assert not [r.name for r in opted_out.resources if r.name.startswith("reporter")]
    assert opted_out.exports["usage_reporting"] == "off"
    assert "reporter_function_name" not in opted_out.exports


def test_reporter_settings_come_from_the_stack_config():
    run = run_program(
        "dev",
        stack_config_with(
            "dev",
            reporter={
                "collectorUrl": "https://telemetry.example.com/v1/record/deployment",
                "namespace": "acme/vault",
                "productVersion": "2.4.0-rc.1",
                "scheduleHour": 3,
                "alarmTopicArn": f"arn:aws:sns:us-east-1:{ACCOUNT}:ops",
                "logRetentionDays": 7,
                "dimensionNames": ["version", "stackID"],
                "scheduleWindowMinutes": 1440,
                "retryHorizonHours": 6,
            },
        ),
    )
    variables = reporter(run, "aws:lambda/function:Function").inputs["environment"]["variables"]
    assert variables["COLLECTOR_URL"] == "https://telemetry.example.com/v1/record/deployment"
    assert (variables["METRICS_NAMESPACE"], variables["PRODUCT_VERSION"]) == ("acme/vault", "2.4.0-rc.1")
    assert variables["DIMENSION_NAMES"] == '["stackID", "version"]'
    schedule = reporter_named(run, "reporter-schedule").inputs
    assert re.fullmatch(r"cron\(\d+ 3 \* \* \? \*\)", schedule["scheduleExpression"])
    assert schedule["flexibleTimeWindow"]["maximumWindowInMinutes"] == 1440
    alarms = [a for a in run.of_type("aws:cloudwatch/metricAlarm:MetricAlarm") if a.parent_type == COMPONENT]
    assert [a.inputs["alarmActions"] for a in alarms] == [[f"arn:aws:sns:us-east-1:{ACCOUNT}:ops"]] * 2
    assert reporter(run, "aws:cloudwatch/logGroup:LogGroup").inputs["retentionInDays"] == 7
    assert json.loads(reporter_named(run, "reporter-retries").inputs["redrivePolicy"])["maxReceiveCount"] == 6


@pytest.mark.parametrize(
    "key,value",
    [
        ("collectorUrl", "http://telemetry.example.com/record"),
        ("productVersion", "latest"),
        ("namespace", "AWS/Lambda"),
        ("scheduleHour", 24),
        ("timeoutSeconds", 89),
        ("maxAttempts", 0),
        ("dimensionNames", "stackID"),
        ("dimensionNames", ["stackID", "stackID"]),
        ("dimensionNames", [":stackID"]),
        ("dimensionNames", ["a,b"]),
        ("scheduleWindowMinutes", 0),
        ("scheduleWindowMinutes", 1441),
        ("retryHorizonHours", 0),
        ("retryHorizonHours", 73),
    ],
)
def test_bad_reporter_settings_stop_the_program(key, value):
    with pytest.raises(StackConfigError, match=rf"reporter\.{key} = {re.escape(repr(value))} is not allowed"):
        run_program("dev", stack_config_with("dev", reporter={key: value}))


def test_args_refuse_a_missing_or_insecure_collector_url():
    with pytest.raises(ArgsError, match="collector_url = 'http://c.example.com' is not allowed"):
        DailyAggregatorArgs(collector_url="http://c.example.com")
    with pytest.raises(ArgsError, match="collector_url = None is not allowed"):
        DailyAggregatorArgs(collector_url=None)
    with pytest.raises(TypeError, match="collector_url"):
        DailyAggregatorArgs()  # required: no default stands in for a collector


def test_a_wired_collector_url_is_checked_for_tls_when_it_resolves(monkeypatch):
    # The check runs inside the Output's apply; a failing program under mocks would leak into later runs, so
    # the program runs with a URL that passes and a spy shows the check saw it, and the check alone refuses.
    checked = []
    monkeypatch.setattr(daily_aggregator, "_require_https", lambda url: checked.append(url) or _require_https(url))
    run = run_program("dev")  # the reporter posts to the stack's own collector: endpoint.url, an Output
    assert checked == [run.exports["collector_url"]]
    assert _require_https("https://c.example.com/v1/record") == "https://c.example.com/v1/record"
    # An Output may carry a secret (config.require_secret) and Pulumi prints the error as it is: the scheme is
    # enough to act on, the rest stays unshown.
    with pytest.raises(ValueError) as refused:
        _require_https("http://x.example/record?token=hunter2")
    assert str(refused.value) == (
        "DailyAggregatorArgs.collector_url = <an http:// URL, not shown: it may be a "
        "secret> is not allowed: expected an https:// URL"
    )


def readme_example() -> str:
    return re.search(r"```python\n(.*?)```", docs.section("Reporting usage from your own stack"), re.S).group(1)


def test_readme_example_runs_from_another_program_with_just_a_collector_url(tmp_path):
    program_file = tmp_path / "__main__.py"
    program_file.write_text(readme_example())
    run = run_program("dev", {"aws:region": "us-east-1"}, program=program_file)
    assert len(run.of_type(COMPONENT)) == 1
    variables = reporter(run, "aws:lambda/function:Function").inputs["environment"]["variables"]
    assert variables["COLLECTOR_URL"].startswith("https://")
    assert run.exports["usage_reporter"] == reporter(run, "aws:lambda/function:Function").outputs["name"]


# --- The product and, per counter, the metric the reporter sums (issue 19, item 4) ------------------------------

URL = "https://c.example.com/record"


def function_variables(run) -> dict:
    return reporter(run, "aws:lambda/function:Function").inputs["environment"]["variables"]


def test_a_counter_mapping_reaches_the_function_and_the_default_product_adds_no_variable():
    run = run_program(
        "dev",
        stack_config_with(
            "dev",
            reporter={
                "counterMetrics": {
                    "tokenizeSuccess": {"metricName": "Tokenize", "dimensions": {"Outcome": "success"}},
                    "tokenizeFailure": {"namespace": "acme/vault", "metricName": "Tokenize"},
                }
            },
        ),
    )
    variables = function_variables(run)
    assert json.loads(variables["COUNTER_METRICS"]) == {
        "tokenizeFailure": {"namespace": "acme/vault", "metric_name": "Tokenize"},
        "tokenizeSuccess": {"metric_name": "Tokenize", "dimensions": {"Outcome": "success"}},
    }
    assert "PRODUCT_ID" not in variables


def test_unset_product_and_mapping_mean_todays_reporter():
    args = DailyAggregatorArgs(collector_url=URL)
    assert (args.product, args.counter_metrics) == ("lunasec-tokenizer", None)
    variables = function_variables(shared_run("dev", stack_config_with("dev", reporter={})))
    assert not {"PRODUCT_ID", "COUNTER_METRICS"} & set(variables)


@pytest.mark.parametrize(
    "kwargs,message",
    [
        (
            {"product": "lunasec-tokeniser"},
            "DailyAggregatorArgs.product = 'lunasec-tokeniser' is not allowed: expected one of the catalogue's "
            "products: lunasec-tokenizer, or an entry's JSON text (did you mean 'lunasec-tokenizer'?)",
        ),
        (
            {"counter_metrics": {"tokenizeSucess": {"metricName": "Tokenize"}}},
            "DailyAggregatorArgs.counter_metrics = 'tokenizeSucess' is not allowed: expected a counter of "
            "lunasec-tokenizer: tokenizeSuccess, tokenizeFailure, detokenizeSuccess, detokenizeFailure, "
            "createGrantSuccess, createGrantFailure (did you mean 'tokenizeSuccess'",
        ),
        (
            {"counter_metrics": {"tokenizeSuccess": {"metric_name": "Tokenize"}}},
            "DailyAggregatorArgs.counter_metrics = 'metric_name' is not allowed: expected for tokenizeSuccess, one "
            "of the keys namespace, metricName, dimensions (did you mean 'metricName'?)",
        ),
        (
            {"counter_metrics": {"tokenizeSuccess": {"namespace": "AWS/Lambda"}}},
            "DailyAggregatorArgs.counter_metrics = 'AWS/Lambda' is not allowed: expected for "
            "tokenizeSuccess.namespace, a custom CloudWatch namespace",
        ),
        (
            {"counter_metrics": {"tokenizeSuccess": {"dimensions": {"Outcome": ""}}}},
            "DailyAggregatorArgs.counter_metrics = {'Outcome': ''} is not allowed: expected for "
            "tokenizeSuccess.dimensions, unset, or an object of up to 30 CloudWatch dimension names",
        ),
        (
            {"counter_metrics": ["tokenizeSuccess"]},
            "DailyAggregatorArgs.counter_metrics = ['tokenizeSuccess'] is not allowed: expected unset, or an object",
        ),
    ],
    ids=["product", "counter", "key", "namespace", "dimension-value", "not-an-object"],
)
def test_args_refuse_an_unknown_product_or_counter_naming_the_key_value_and_choices(kwargs, message):
    with pytest.raises(ArgsError) as refused:
        DailyAggregatorArgs(collector_url=URL, **kwargs)
    assert message in str(refused.value)


def test_stack_config_names_the_key_and_the_misspelt_counter():
    with pytest.raises(StackConfigError) as refused:
        run_program("dev", stack_config_with("dev", reporter={"counterMetrics": {"detokenizeSucces": {}}}))
    assert str(refused.value).startswith(
        "analytics-collector:reporter.counterMetrics = 'detokenizeSucces' is not allowed: expected a counter of "
        "lunasec-tokenizer: "
    )
    assert "(did you mean 'detokenizeSuccess'" in str(refused.value)


# --- A vendor's own product: its entry's text, shipped in the function's archive ----------------------------------


def vendor_reporter(tmp_path, **kwargs) -> dict:
    """What a vendor's own Python program registers: a DailyAggregator reporting its product (the made-up one, whose
    entry it reads from its own file), the function's code and variables."""
    program_file = tmp_path / "__main__.py"
    program_file.write_text(
        "from pathlib import Path\n"
        "from components.daily_aggregator import DailyAggregator, DailyAggregatorArgs\n"
        f"DailyAggregator('usage-reporter', DailyAggregatorArgs(collector_url={URL!r}, "
        f"product=Path({str(made_up_product.ENTRY)!r}).read_text(), **{kwargs!r}))\n"
    )
    run = run_program("dev", {"aws:region": "us-east-1"}, program=program_file)
    return reporter(run, "aws:lambda/function:Function").inputs


def test_a_vendors_entry_is_shipped_in_the_archive_and_named_by_its_id(tmp_path):
    function = vendor_reporter(tmp_path, counter_metrics={"widgetsMade": {"metricName": "Made"}})
    variables = function["environment"]["variables"]
    assert variables["PRODUCT_ID"] == "acme-widgets"
    assert json.loads(variables["COUNTER_METRICS"]) == {"widgetsMade": {"metric_name": "Made"}}
    shipped = function["code"].assets["contract/products/acme-widgets.json"]
    # Without its releases: the reporter asks the collector for those, so a new release changes no archive.
    expected = replace(made_up_product.PRODUCT, source="shipped", releases=None)
    assert products.parse_text(shipped.text, "shipped") == expected
    # Beside the default product's entry, which the handler's schema module reads.
    assert "contract/products/lunasec-tokenizer.json" in function["code"].assets


def test_the_default_products_archive_ships_no_entry_text():
    code = reporter(program("dev"), "aws:lambda/function:Function").inputs["code"]
    assert [path for path, asset in code.assets.items() if not isinstance(asset, pulumi.FileAsset)] == []


ACME_TEXT = made_up_product.ENTRY.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "kwargs,message",
    [
        (
            {"product": ACME_TEXT, "counter_metrics": {"widgetsMde": {}}},
            "DailyAggregatorArgs.counter_metrics = 'widgetsMde' is not allowed: expected a counter of acme-widgets: "
            "widgetsMade, widgetsRecalled, assemblyMinutes (did you mean 'widgetsMade'",
        ),
        (
            {"product": "../products/acme-widgets.json"},
            "DailyAggregatorArgs.product = '../products/acme-widgets.json' is not allowed: expected one of the "
            "catalogue's products: lunasec-tokenizer, or an entry's JSON text: a path is not read here, pass the "
            "file's text (docs/products.md)",
        ),
        (
            {"product": ACME_TEXT.replace('"widgetsMade"', '"widgets made"')},
            "is not allowed: expected a valid catalogue entry: the entry: counters[0].name = 'widgets made' is not "
            "allowed: expected a letter, then up to 63 letters, digits or '_'",
        ),
        (
            {"product": '{"id": "acme-widgets",'},
            "is not allowed: expected a valid catalogue entry: the entry: not JSON (Expecting property name",
        ),
        (
            {"product": ACME_TEXT.replace('"acme-widgets"', '"lunasec-tokenizer"')},
            "is not allowed: expected an entry whose id is not a built-in product's ('lunasec-tokenizer' is): name a "
            "built-in product by its id",
        ),
    ],
    ids=["misspelt-counter", "path", "bad-entry", "not-json", "built-in-id"],
)
def test_args_refuse_a_vendors_entry_they_cannot_ship(kwargs, message):
    with pytest.raises(ArgsError) as refused:
        DailyAggregatorArgs(collector_url=URL, **kwargs)
    assert message in str(refused.value)


# --- Lambda's 4 KB for the whole environment ------------------------------------------------------------------------

# Every counter of the default product read from one metric, filtered by a long dimension value: about 4.6 KB.
OVERSIZED_MAPPING = {
    name: {"metricName": "Calls", "dimensions": {"Operation": f"{name}-{'x' * 700}"}} for name in ORIGINAL_COUNTERS
}


def test_a_counter_mapping_over_lambdas_environment_limit_is_refused_naming_the_input_size_and_limit():
    with pytest.raises(ArgsError) as refused:
        DailyAggregatorArgs(collector_url=URL, counter_metrics=OVERSIZED_MAPPING)
    message = str(refused.value)
    assert message.startswith("DailyAggregatorArgs.counter_metrics = <COUNTER_METRICS of 4,")
    assert (
        " bytes> is not allowed: expected a value that keeps the function's environment within Lambda's limit of "
        "4,096 bytes (4 KB) for all its variables together: with it they take 5," in message
    )


def test_the_largest_variable_is_the_one_named():
    names = [f"dimension{'x' * 240}{index:02}" for index in range(20)]
    with pytest.raises(ArgsError, match=r"^DailyAggregatorArgs\.dimension_names = <DIMENSION_NAMES of 5,"):
        DailyAggregatorArgs(collector_url=URL, dimension_names=names)


def test_each_variable_an_input_sets_names_that_input_and_only_deploy_values_name_none():
    inputs = {variable: daily_aggregator._input_of(variable) for variable in REQUIRED_VARIABLES + OPTIONAL_VARIABLES}
    assert inputs == {
        "COLLECTOR_URL": "collector_url",
        "STACK_ID": None,
        "PRODUCT_VERSION": "product_version",
        "METRICS_NAMESPACE": "namespace",
        "HTTP_TIMEOUT_SECONDS": "http_timeout_seconds",
        "MAX_ATTEMPTS": "max_attempts",
        "DIMENSION_NAMES": "dimension_names",
        "RETRY_QUEUE_URL": None,
        "PRODUCT_ID": "product",
        "COUNTER_METRICS": "counter_metrics",
        "RELEASES_URL": "releases_url",
    }


def test_over_the_package_and_stack_config_the_key_is_the_settings_name():
    with pytest.raises(StackConfigError, match=r"^analytics-collector:reporter\.counterMetrics = <COUNTER_METRICS of "):
        run_program("dev", stack_config_with("dev", reporter={"counterMetrics": OVERSIZED_MAPPING}))


def test_a_mapping_of_every_counter_well_within_the_limit_is_deployed_as_given():
    mapping = {name: {"metricName": "Calls", "dimensions": {"Operation": name}} for name in ORIGINAL_COUNTERS}
    run = shared_run("dev", stack_config_with("dev", reporter={"counterMetrics": mapping}))
    assert json.loads(function_variables(run)["COUNTER_METRICS"]) == {
        name: {"metric_name": "Calls", "dimensions": {"Operation": name}} for name in ORIGINAL_COUNTERS
    }
