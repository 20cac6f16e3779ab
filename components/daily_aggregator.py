"""DailyAggregator: the reporter Lambda that sends one deployment's daily totals, its schedule and its failure path.

Usable from any Pulumi program: give it the collector's https URL (or an Output of it) and it needs nothing else.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any, Optional

import fastjsonschema
import pulumi
import pulumi_aws as aws
import pulumi_random as random

from components import iam_policies
from components.alarm_spec import AlarmSpec, Comparison, Metric
from components.counter_metrics import (
    DIMENSION_NAME,
    NAMESPACE_PATTERN,
    CounterMetric,
    check_counter_metrics,
    check_product,
    counter_metrics_rule,
    counter_metrics_variable,
    product_rule,
)
from components.outputs import publish_outputs
from components.reporter_code import HANDLER, reporter_archive
from components.tunables import (
    ArgsError,
    Rule,
    arn,
    boolean,
    https_url,
    integer,
    log_retention,
    matching,
    required,
    tunable,
    validate_args,
)
from contract import products, reporter, schemas
from contract.guardrails import transport

# The name the program gives its DailyAggregator (products choose their own); docs/guardrails.md lists its alarms
# under it.
RESOURCE_NAME = "reporter"
RUNTIME = "python3.13"
DEAD_LETTER_RETENTION_SECONDS = 14 * 24 * 3600
# Lambda keeps a failed async event this long for its retries; later, it goes to the dead-letter queue.
MAX_EVENT_AGE_SECONDS = 6 * 3600
# Scheduler's retries of an invocation Lambda refused (throttled, or the function briefly missing). A run
# that starts and fails is Lambda's to retry (async_retry_attempts), not Scheduler's.
SCHEDULER_RETRY_ATTEMPTS = 3
# Lambda's waits before its first and second retries of a failed async run (AWS documents them).
LAMBDA_RETRY_WAIT_SECONDS = (60, 120)
# The retry horizon: Lambda puts a run it gave up on (after async_retry_attempts) in the retry queue, and
# an hourly replay runs it again for the day it was scheduled for, retry_horizon_hours times, before SQS
# moves it to the dead-letter queue. Scheduler's flexible window spreads a fleet's replays over the hour.
REPLAY_SCHEDULE = "rate(1 hour)"
REPLAY_INTERVAL_SECONDS = 3600
REPLAY_WINDOW_MINUTES = 15
# Longer than the longest run (900 s), so a run in progress never sees its own message again; shorter than
# the shortest gap between two replays (the interval less the window), so a message failed in one replay
# is visible to the next.
RETRY_VISIBILITY_SECONDS = 30 * 60
# Scheduler replaces this in the target input with the time the schedule meant (the start of the flexible
# window), which the handler reports the day before.
SCHEDULED_TIME = "<aws.scheduler.scheduled-time>"


# Values the function's environment gets only at deploy, at their longest, for the size check at construction: a
# UUID; the URL of an SQS queue with an 80-character name (SQS's longest) in a region of up to 20 characters; and a
# collector URL given as an Output (a longer one is left to Lambda to refuse at deploy).
DEPLOY_TIME_LENGTHS = {"stack_id": 36, "retry_queue_url": 160, "collector_url": 512}
# A variable an input sets is the input's name in upper case (contract.reporter.Variables), but for these. The
# others (STACK_ID, RETRY_QUEUE_URL) no input sets: an environment over Lambda's limit is refused naming the input
# of the largest variable an input sets.
RENAMED_INPUTS = {"METRICS_NAMESPACE": "namespace", "PRODUCT_ID": "product"}


def _input_of(variable: str) -> Optional[str]:
    """The DailyAggregatorArgs input that sets `variable`, or None for a value known only at deploy."""
    name = RENAMED_INPUTS.get(variable, variable.lower())
    return name if name in {field.name for field in fields(DailyAggregatorArgs)} else None


def _https_url_or_output() -> Rule:
    """Config gives a string (checked here); wiring gives an Output (checked when it resolves)."""
    base = https_url()
    return Rule(
        f"{base.allowed}, or the url Output of a CollectorEndpoint",
        lambda value: isinstance(value, pulumi.Output) or base.accepts(value),
    )


def _dimension_names() -> Rule:
    def accepts(value: Any) -> bool:
        if value is None:
            return True
        if not isinstance(value, (list, tuple)) or len(value) > 30 or len(set(value)) != len(value):
            return False
        return all(isinstance(n, str) and matching(DIMENSION_NAME, "").accepts(n) for n in value)

    return Rule(
        "unset, or a list of up to 30 distinct CloudWatch dimension names ([] for series without dimensions)", accepts
    )


def _report_field(name: str) -> Rule:
    """A value the report schema accepts for `name`: the constraint lives in the schema, not here."""
    check = fastjsonschema.compile(schemas.load_schema()["properties"][name])

    def accepts(value: Any) -> bool:
        try:
            check(value)
            return True
        except fastjsonschema.JsonSchemaException:
            return False

    return Rule(f"a {name} the report schema accepts (see contract/schemas/usage_report.schema.json)", accepts)


@dataclass(frozen=True)
class DailyAggregatorArgs:
    # Required: a reporter without a collector has nowhere to send. A string is checked here, an Output when
    # it resolves (see DailyAggregator).
    collector_url: pulumi.Input[str] = required(
        "The collector's https:// URL the reporter posts to (a CollectorEndpoint's url, or a published one)."
    )
    namespace: str = tunable(
        "lunasec",
        matching(NAMESPACE_PATTERN, "a custom CloudWatch namespace"),
        "CloudWatch namespace the product publishes its counters in.",
    )
    product_version: str = tunable("0.0.1", _report_field("version"), "Product version sent with each report.")
    schedule_hour: int = tunable(
        1,
        integer(0, 23),
        "UTC hour of the daily run; the minute is derived from the stack id so deployments do not all report at once.",
    )
    memory_size_mb: int = tunable(128, integer(128, 1024), "Reporter function memory.")
    # The ranges keep one full attempt within the function timeout: 60 s of HTTP + CloudWatch reads < 90 s.
    timeout_seconds: int = tunable(120, integer(90, 900), "Reporter function timeout.")
    http_timeout_seconds: int = tunable(10, integer(1, 60), "Timeout of one POST to the collector.")
    max_attempts: int = tunable(4, integer(1, 8), "POST attempts per run (network errors, 429 and 5xx are retried).")
    async_retry_attempts: int = tunable(
        2, integer(0, 2), "Lambda's retries of a failed run before it is dead-lettered."
    )
    log_retention_days: int = tunable(30, log_retention(), "Retention of the reporter's logs.")
    alarm_topic_arn: Optional[str] = tunable(
        None, arn("sns", optional=True), "SNS topic notified when a run fails or a report is dead-lettered."
    )
    dimension_names: Optional[Sequence[str]] = tunable(
        None,
        _dimension_names(),
        'The dimension set whose series are summed, e.g. ["stackID"]. Unset: when a counter\'s series come '
        "under several dimension sets (EMF, or an aggregate beside a breakdown) the set with the largest total "
        "is counted, not their sum, and a warning names them (docs/fleet-scale.md).",
    )
    retry_horizon_hours: int = tunable(
        24,
        integer(1, 72),
        "Hours a run Lambda gave up on is retried, once an hour, for the day it was scheduled for, before it is "
        "dead-lettered: a flood or an outage shorter than this costs no report (docs/fleet-scale.md).",
    )
    schedule_window_minutes: int = tunable(
        720,
        integer(1, 1440),
        "EventBridge Scheduler starts each daily run at a random time this many minutes after scheduleHour, "
        "so a fleet's reports arrive spread over the window (docs/fleet-scale.md sizes it).",
    )
    product: str = tunable(
        products.DEFAULT_PRODUCT_ID,
        product_rule(),
        "The catalogue product whose counters the reporter reads and sends: a built-in id, or your own entry's JSON "
        "text, which the function's archive then ships.",
    )
    counter_metrics: Optional[Mapping[str, CounterMetric]] = tunable(
        None,
        counter_metrics_rule(),
        "Per counter, the CloudWatch metric its daily total is summed from (namespace, metricName, a dimensions "
        'filter), e.g. {"<counter>": {"metricName": "Requests", "dimensions": {"Outcome": '
        '"success"}}}. A counter not named: the metric of its own name in namespace, every series.',
    )
    releases_url: Optional[str] = tunable(
        None,
        https_url(optional=True),
        "The collector's releases answer for the product (https://<host>/<stage>/products/<id>/releases, "
        "docs/releases.md): asked once after each day's report; a newer version or an advisory affecting "
        f"productVersion is logged as a WARNING and published as the metrics {reporter.NEWER_VERSION_METRIC} and "
        f"{reporter.ADVISORIES_METRIC} in namespace. Unset: not asked.",
    )
    advisory_alarm: bool = tunable(
        False,
        boolean(),
        f"Alarm (to alarmTopicArn) while an advisory affects productVersion ({reporter.ADVISORIES_METRIC} >= 1); "
        "needs releasesUrl.",
    )
    upgrade_alarm: bool = tunable(
        False,
        boolean(),
        f"Alarm (to alarmTopicArn) while a newer version is available ({reporter.NEWER_VERSION_METRIC} >= 1); "
        "needs releasesUrl.",
    )

    def __post_init__(self) -> None:
        if not _https_url_or_output().accepts(self.collector_url):
            raise ArgsError(f"{type(self).__name__}.collector_url", self.collector_url, _https_url_or_output().allowed)
        validate_args(self)
        where = type(self).__name__
        for switch in ("advisory_alarm", "upgrade_alarm"):
            if getattr(self, switch) and self.releases_url is None:
                raise ArgsError(
                    f"{where}.releases_url",
                    None,
                    f"a value, because {switch} is on: its alarm reads the metrics the releases check publishes",
                )
        product = self.reported_product()
        # Frozen: the checked objects replace the plain ones a config file or the component package gives.
        object.__setattr__(
            self, "counter_metrics", check_counter_metrics(f"{where}.counter_metrics", product, self.counter_metrics)
        )
        self._check_environment_size()

    def reported_product(self) -> products.Product:
        return check_product(f"{type(self).__name__}.product", self.product)

    def variables(self, collector_url: Any, stack_id: Any, retry_queue_url: Any) -> dict[str, Any]:
        """The function's environment: these settings, and the values known only at deploy."""
        product = self.reported_product()
        return reporter.environment(
            collector_url=collector_url,
            stack_id=stack_id,
            product_version=self.product_version,
            metrics_namespace=self.namespace,
            http_timeout_seconds=str(self.http_timeout_seconds),
            max_attempts=str(self.max_attempts),
            retry_queue_url=retry_queue_url,
            # Absent, not empty, when unset: [] is a real choice (series without dimensions).
            dimension_names=None if self.dimension_names is None else json.dumps(sorted(self.dimension_names)),
            # Both absent for the default product read by counter name: the function as before.
            product_id=None if product.id == products.DEFAULT_PRODUCT_ID else product.id,
            counter_metrics=counter_metrics_variable(self.counter_metrics),
            releases_url=self.releases_url,
        )

    def _check_environment_size(self) -> None:
        """Lambda's limit on the environment, checked before anything is created: the values known only at deploy
        count at their longest, and the input named is the one whose variable is the largest."""
        deployed: dict[str, Any] = {name: "x" * length for name, length in DEPLOY_TIME_LENGTHS.items()}
        plain_url = isinstance(self.collector_url, str)
        if isinstance(self.collector_url, str):  # mypy narrows on the call, not on plain_url
            deployed["collector_url"] = self.collector_url
        variables = self.variables(**deployed)
        size = reporter.environment_size(variables)
        if size <= reporter.ENVIRONMENT_LIMIT_BYTES:
            return
        counted_longest = "the stack id, the retry queue's URL" + ("" if plain_url else " and the collector URL")
        given = [v for v in variables if _input_of(v) and (plain_url or v != "COLLECTOR_URL")]
        largest = max(given, key=lambda v: len(variables[v]))
        raise ArgsError(
            f"{type(self).__name__}.{_input_of(largest)}",
            _Sized(largest, reporter.environment_size({largest: variables[largest]})),
            f"a value that keeps the function's environment within Lambda's limit of "
            f"{reporter.ENVIRONMENT_LIMIT_BYTES:,} bytes (4 KB) for all its variables together: with it they take "
            f"{size:,} bytes, counting {counted_longest} at their longest",
        )


class _Sized:
    """A variable too large to quote in an error, shown by its name and size."""

    def __init__(self, variable: str, size: int):
        self.variable, self.size = variable, size

    def __repr__(self) -> str:
        return f"<{self.variable} of {self.size:,} bytes>"


def schedule_minute(stack_id: str) -> int:
    """The same stack always gets the same minute; random stack ids spread evenly over the hour."""
    return uuid.UUID(stack_id).int % 60


def schedule_expression(stack_id: str, hour: int) -> str:
    return f"cron({schedule_minute(stack_id)} {hour} * * ? *)"


def _require_https(url: str) -> str:
    """An Output's value, checked when it resolves. Only its scheme is shown: the Output may carry a secret."""
    if not https_url().accepts(url):
        scheme = url.partition(":")[0] if isinstance(url, str) and ":" in url else "unknown"
        raise ValueError(
            f"DailyAggregatorArgs.collector_url = <an {scheme}:// URL, not shown: it may be a secret> "
            "is not allowed: expected an https:// URL"
        )
    return url


class DailyAggregator(pulumi.ComponentResource):
    """Sends this deployment's daily usage totals to the collector: a Lambda on a daily schedule, its retries,
    dead-letter queue and alarms. Needs only the collector's URL."""

    # Public API: part of every URN under it (the component package keys its schema by it too).
    TYPE_TOKEN = "analytics:reporter:DailyAggregator"

    function_name: pulumi.Output[str]
    """Name of the reporter Lambda function."""
    function_arn: pulumi.Output[str]
    """ARN of the reporter Lambda function."""
    stack_id: pulumi.Output[str]
    """Random id of this deployment, sent with each report; it identifies no person or machine."""
    schedule_expression: pulumi.Output[str]
    """Cron expression (UTC) that starts the daily run's window."""
    dead_letter_queue_url: pulumi.Output[str]
    """URL of the SQS queue that receives the runs given up on."""
    retry_queue_url: pulumi.Output[str]
    """URL of the SQS queue that holds failed runs until the hourly replay sends them (the retry horizon)."""

    def __init__(self, name: str, args: DailyAggregatorArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__(self.TYPE_TOKEN, name, None, opts)
        child = pulumi.ResourceOptions(parent=self)

        # Kept in state: stable across updates, different for every deployment, tied to no person or host.
        stack_id = random.RandomUuid(f"{name}-stack-id", opts=child)
        logs = aws.cloudwatch.LogGroup(
            f"{name}-logs", name_prefix=f"/aws/lambda/{name}-", retention_in_days=args.log_retention_days, opts=child
        )
        dead_letters = self._queue(name, "dead-letters", child)
        retries = self._queue(
            name,
            "retries",
            child,
            visibility_timeout_seconds=RETRY_VISIBILITY_SECONDS,
            redrive_policy=pulumi.Output.json_dumps(
                {"deadLetterTargetArn": dead_letters.arn, "maxReceiveCount": args.retry_horizon_hours}
            ),
        )
        role, policy = self._role(name, logs, retries, args, child)
        product = args.reported_product()

        function = aws.lambda_.Function(
            f"{name}-function",
            description="Posts yesterday's aggregate usage totals to the collector, once a day.",
            runtime=RUNTIME,
            architectures=["arm64"],
            handler=HANDLER,
            code=reporter_archive(product),
            role=role.arn,
            memory_size=args.memory_size_mb,
            timeout=args.timeout_seconds,
            environment={
                "variables": args.variables(
                    collector_url=pulumi.Output.from_input(args.collector_url).apply(_require_https),
                    stack_id=stack_id.result,
                    retry_queue_url=retries.url,
                )
            },
            logging_config={"log_format": "Text", "log_group": logs.name},
            opts=pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(depends_on=[policy, logs])),
        )
        aws.lambda_.FunctionEventInvokeConfig(
            f"{name}-async-failures",
            function_name=function.name,
            maximum_retry_attempts=args.async_retry_attempts,
            maximum_event_age_in_seconds=MAX_EVENT_AGE_SECONDS,
            destination_config={"on_failure": {"destination": retries.arn}},
            opts=child,
        )
        schedule = stack_id.result.apply(lambda sid: schedule_expression(sid, args.schedule_hour))
        self._schedules(name, function, schedule, dead_letters, args, child)
        self._alarms(name, function, dead_letters, args, child)

        publish_outputs(
            self,
            function_name=function.name,
            function_arn=function.arn,
            stack_id=stack_id.result,
            schedule_expression=schedule,
            dead_letter_queue_url=dead_letters.url,
            retry_queue_url=retries.url,
        )

    @staticmethod
    def _queue(name: str, role: str, child: pulumi.ResourceOptions, **settings: Any) -> aws.sqs.Queue:
        # The retry queue keeps its messages as long as the dead-letter queue: SQS keeps a message's first
        # enqueue time when it moves it, so a shorter retention could drop a run before it is dead-lettered.
        queue = aws.sqs.Queue(
            f"{name}-{role}",
            message_retention_seconds=DEAD_LETTER_RETENTION_SECONDS,
            sqs_managed_sse_enabled=True,
            opts=child,
            **settings,
        )
        aws.sqs.QueuePolicy(
            f"{name}-{role}-tls-only",
            queue_url=queue.url,
            policy=iam_policies.policy_document(transport.deny_without_tls("sqs:*", queue.arn)),
            opts=child,
        )
        return queue

    @staticmethod
    def _role(
        name: str,
        logs: aws.cloudwatch.LogGroup,
        retries: aws.sqs.Queue,
        args: DailyAggregatorArgs,
        child: pulumi.ResourceOptions,
    ) -> tuple[aws.iam.Role, aws.iam.RolePolicy]:
        # PutMetricData takes no resource ARN either: its scope is the namespace condition, so the function publishes
        # in its own namespace only. Granted only with releasesUrl: without it the role is as before.
        publish = [
            {
                **iam_policies.allow(["cloudwatch:PutMetricData"], ["*"], "PublishReleaseMetrics"),
                "Condition": {"StringEquals": {"cloudwatch:namespace": args.namespace}},
            }
        ]
        return iam_policies.service_role(
            f"{name}-role",
            f"{name}-policy",
            "lambda.amazonaws.com",
            [
                # Neither action supports resource-level permissions: AWS only accepts "*" here.
                iam_policies.allow(["cloudwatch:GetMetricData", "cloudwatch:ListMetrics"], ["*"], "ReadCounters"),
                iam_policies.allow(
                    ["logs:CreateLogStream", "logs:PutLogEvents"],
                    [pulumi.Output.concat(logs.arn, ":log-stream:*")],
                    "WriteOwnLogs",
                ),
                # Lambda's on-failure destination sends with the function's role; the replay reads and deletes.
                iam_policies.allow(["sqs:SendMessage"], [retries.arn], "QueueFailedRuns"),
                iam_policies.allow(["sqs:DeleteMessage", "sqs:ReceiveMessage"], [retries.arn], "ReplayFailedRuns"),
                *(publish if args.releases_url else []),
            ],
            child,
        )

    @staticmethod
    def _schedules(
        name: str,
        function: aws.lambda_.Function,
        schedule: pulumi.Output[str],
        dead_letters: aws.sqs.Queue,
        args: DailyAggregatorArgs,
        child: pulumi.ResourceOptions,
    ) -> None:
        role, policy = iam_policies.service_role(
            f"{name}-scheduler-role",
            f"{name}-scheduler-policy",
            "scheduler.amazonaws.com",
            [
                iam_policies.allow(["lambda:InvokeFunction"], [function.arn], "StartTheReporter"),
                # Scheduler writes an invocation it could not deliver to the queue with this role.
                iam_policies.allow(["sqs:SendMessage"], [dead_letters.arn], "DeadLetterUndeliveredRuns"),
            ],
            child,
        )
        after_policy = pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(depends_on=[policy]))

        def target(event: dict[str, str], max_age_seconds: int) -> aws.scheduler.ScheduleTargetArgsDict:
            """Both schedules start the function with the role above and dead-letter what they cannot deliver."""
            return {
                "arn": function.arn,
                "role_arn": role.arn,
                "input": json.dumps(event),
                "retry_policy": {
                    "maximum_event_age_in_seconds": max_age_seconds,
                    "maximum_retry_attempts": SCHEDULER_RETRY_ATTEMPTS,
                },
                "dead_letter_config": {"arn": dead_letters.arn},
            }

        aws.scheduler.Schedule(
            f"{name}-schedule",
            description="Daily usage report, after the UTC day closes, at a random time in the window.",
            schedule_expression=schedule,
            schedule_expression_timezone="UTC",
            flexible_time_window={"mode": "FLEXIBLE", "maximum_window_in_minutes": args.schedule_window_minutes},
            target=target({"time": SCHEDULED_TIME}, MAX_EVENT_AGE_SECONDS),
            opts=after_policy,
        )
        aws.scheduler.Schedule(
            f"{name}-replay-schedule",
            description="Hourly: runs again, for their scheduled day, the daily runs Lambda gave up on.",
            schedule_expression=REPLAY_SCHEDULE,
            flexible_time_window={"mode": "FLEXIBLE", "maximum_window_in_minutes": REPLAY_WINDOW_MINUTES},
            # A replay not delivered within the hour is superseded by the next one.
            target=target(reporter.REPLAY_EVENT, REPLAY_INTERVAL_SECONDS),
            opts=after_policy,
        )

    @staticmethod
    def _alarms(
        name: str,
        function: aws.lambda_.Function,
        dead_letters: aws.sqs.Queue,
        args: DailyAggregatorArgs,
        child: pulumi.ResourceOptions,
    ) -> None:
        actions = [args.alarm_topic_arn] if args.alarm_topic_arn else []
        for spec in alarm_specs(args, function.name, dead_letters.name):
            aws.cloudwatch.MetricAlarm(
                spec.resource_name(name), alarm_actions=actions, opts=child, **spec.metric_alarm_args()
            )


def alarm_specs(
    args: DailyAggregatorArgs, function_name: pulumi.Input[str], dead_letter_queue_name: pulumi.Input[str]
) -> list[AlarmSpec]:
    """The reporter's alarms, as data: docs/guardrails.md's alarm table reads the same list. Their thresholds are
    fixed, not settings: one failed run or one dead letter is already worth a look; the releases alarms are opt-in."""
    return [
        AlarmSpec(
            "errors",
            None,
            Metric("AWS/Lambda", "Errors", {"FunctionName": function_name}),
            Comparison.AT_LEAST,
            1,
            3600,
            f"The daily usage report failed: Lambda retries it, then it is replayed hourly for "
            f"{args.retry_horizon_hours} h before it is dead-lettered.",
            statistic="Sum",
        ),
        AlarmSpec(
            "dead-letters-waiting",
            None,
            Metric("AWS/SQS", "ApproximateNumberOfMessagesVisible", {"QueueName": dead_letter_queue_name}),
            Comparison.AT_LEAST,
            1,
            300,
            "A usage report was given up on after the retry horizon, or a schedule could not start the "
            "reporter; see the dead-letter queue.",
            statistic="Maximum",
        ),
        *_release_alarms(args),
    ]


def _release_alarms(args: DailyAggregatorArgs) -> list[AlarmSpec]:
    """On the metrics the releases check publishes once a day (handlers/release_check.py), over a day: the state
    follows the latest check. No check that day (no answer) is missing data, which leaves the alarm OK."""
    running = f"{args.product} {args.product_version}"
    wanted = (
        (
            "advisories-affecting-version",
            "advisory_alarm",
            reporter.ADVISORIES_METRIC,
            f"A security advisory affects {running}, the version this deployment runs: the reporter's WARNING log "
            "line names it and the release that fixes it (docs/releases.md).",
        ),
        (
            "newer-version-available",
            "upgrade_alarm",
            reporter.NEWER_VERSION_METRIC,
            f"A newer release than {running} is available: the reporter's WARNING log line names it "
            "(docs/releases.md).",
        ),
    )
    return [
        AlarmSpec(
            key,
            setting,
            Metric(args.namespace, metric, {}),
            Comparison.AT_LEAST,
            1,
            24 * 3600,
            why,
            statistic="Maximum",
        )
        for key, setting, metric, why in wanted
        if getattr(args, setting)
    ]
