"""Figures the prose states, each rendered from the code, config or file that sets it.

A figure sits inline between `<!-- figure:name -->` and `<!-- /figure -->` (hidden when Markdown renders), in any
doc file; `python -m tooling.docs_generation` rewrites the text between them, and tests/test_readme.py fails when
one is stale. Prose that states a number the code sets marks it so, rather than a test matching the sentence.
"""

from __future__ import annotations

import datetime
import functools
import html
import inspect
import re
import tempfile
from collections.abc import Callable
from pathlib import Path

import yaml

import stack_config
from components import daily_aggregator as reporter
from components.collector_endpoint import CollectorEndpointArgs
from components.collector_waf import MANAGED_RULE_GROUPS, MAX_BODY_BYTES
from contract import reporter as reporter_interface
from handlers import daily_report, release_check
from tooling.benchmarks import component_package_start
from tooling.demo import made_up_product, simulated_deployments
from tooling.docs_generation import benchmark_figures, product_quotas
from tooling.docs_generation.fleet_costs import stack_args
from tooling.fixtures import reports, warehouse_files
from tooling.local_cloud.applier import LOCALSTACK_INTEGRATION_HEADERS
from usage_report import charts, html_page, outliers
from usage_report.athena_runner import AthenaQueryRunner
from usage_report.local_warehouse import run_locally

REPO = Path(__file__).resolve().parents[2]
WORKFLOWS = REPO / ".github" / "workflows"
# The day docs/usage-report.md's example report is run as of (`--today`).
EXAMPLE_DAY = datetime.date(2026, 11, 27)
NUMBER_WORDS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"]
FIGURE = re.compile(r"(<!-- figure:([a-z0-9-]+) -->)(.*?)(<!-- /figure -->)")
DAY_SECONDS = 24 * 3600
WEEKDAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]  # cron's 0 to 6
FLOOR = r"WHERE CAST\(reported_totals\.total AS DOUBLE\) >= (\d+) "


def _default(section: str, key: str):
    return stack_config.section_keys(stack_config.SECTIONS[section])[key].default


def _prod_endpoint() -> CollectorEndpointArgs:
    return stack_args(
        "prod",
        "endpoint",
        CollectorEndpointArgs,
        delivery_stream_name="s",
        delivery_stream_arn="arn:aws:firehose:us-east-1:123456789012:deliverystream/s",
    )


def _makefile_python(variable: str) -> str:
    """The version in the Makefile's `PYTHON ?= python3.11`-style default."""
    text = (REPO / "Makefile").read_text(encoding="utf-8")
    [name] = re.findall(rf"^{variable} \?= (\S+)$", text, re.M)
    return name.removeprefix("python")


def _make_test_commands() -> str:
    """What `make test` runs after building the venvs: its recipe, each line as a reader would type it."""
    text = (REPO / "Makefile").read_text(encoding="utf-8")
    [recipe] = re.findall(r"^test:.*\n((?:\t.*\n)+)", text, re.M)
    commands = [re.sub(r"^\$\(VENV\)/bin/|^\$\(PY\) -m ", "", line.strip()) for line in recipe.splitlines()]
    return ", ".join(f"`{command}`" for command in commands[:-1]) + f" and `{commands[-1]}`"


def _deploy_venv() -> str:
    project = yaml.safe_load((REPO / "Pulumi.yaml").read_text(encoding="utf-8"))
    return f"`{project['runtime']['options']['virtualenv']}`"


def _policy_venv() -> str:
    pack = yaml.safe_load((REPO / "policy" / "PulumiPolicy.yaml").read_text(encoding="utf-8"))
    return f"`policy/{pack['runtime']['options']['virtualenv']}`"


def _usage_report_workflow() -> dict:
    return yaml.safe_load((WORKFLOWS / "usage-report.yml").read_text(encoding="utf-8"))


def _weekly_run() -> str:
    """The usage-report workflow's one cron, weekly, as a reader says it."""
    [schedule] = _usage_report_workflow()[True]["schedule"]  # YAML 1.1 reads the key `on` as true
    minute, hour, _, _, weekday = schedule["cron"].split()
    return f"every {WEEKDAYS[int(weekday)]} at {int(hour):02d}:{int(minute):02d} UTC"


def _page_retention_days() -> int:
    [upload] = [
        step
        for job in _usage_report_workflow()["jobs"].values()
        for step in job["steps"]
        if step.get("uses", "").startswith("actions/upload-artifact@")
    ]
    return upload["with"]["retention-days"]


def _pin(package: str) -> str:
    requirements = (REPO / "requirements" / "dev.txt").read_text(encoding="utf-8")
    [version] = re.findall(rf"^{package}==(\S+)$", requirements, re.M)
    return version


def _suspicious(pattern: str) -> str:
    """A threshold of contract/queries/suspicious_reports.sql, the one place it is set (a finding may repeat it)."""
    sql = " ".join((REPO / "contract" / "queries" / "suspicious_reports.sql").read_text(encoding="utf-8").split())
    values = set(re.findall(pattern, sql))
    if len(values) != 1:
        raise ValueError(f"suspicious_reports.sql: expected one value matching {pattern!r}, found {sorted(values)}")
    return values.pop()


def _athena_default(parameter: str) -> str:
    return f"{inspect.signature(AthenaQueryRunner).parameters[parameter].default:g} s"


def _localstack_header() -> str:
    [(parameter, value)] = LOCALSTACK_INTEGRATION_HEADERS.items()
    return f"`{parameter.removeprefix('integration.request.header.')}: {value}`"


def _listed(names) -> str:
    quoted = [f"`{name}`" for name in names]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + f" and {quoted[-1]}"


def _callers(workflow: str) -> str:
    """The workflows whose jobs call `workflow` (a reusable one), as the CI table names them."""
    called = f"./.github/workflows/{workflow}"
    callers = [
        path.name
        for path in sorted(WORKFLOWS.glob("*.yml"))
        if any(job.get("uses") == called for job in yaml.safe_load(path.read_text(encoding="utf-8"))["jobs"].values())
    ]
    if not callers:
        raise ValueError(f"no workflow calls {workflow}")
    return _listed(callers)


def _reusable_workflows() -> list[str]:
    return [
        path.name
        for path in sorted(WORKFLOWS.glob("*.yml"))
        if "workflow_call" in yaml.safe_load(path.read_text(encoding="utf-8"))[True]  # YAML 1.1 reads `on` as true
    ]


def _in_words(count: int) -> str:
    if not 0 <= count < len(NUMBER_WORDS):
        raise ValueError(f"{count} has no word here: state it as a number")
    return NUMBER_WORDS[count]


def _outlier_example() -> str:
    """What the page says of the outlier it names on the reference warehouse with one poisoned total."""
    with tempfile.TemporaryDirectory() as folder:
        warehouse_files.write_objects(Path(folder), warehouse_files.reference_with_an_outlier(EXAMPLE_DAY))
        (outlier,) = outliers.find_outliers(run_locally("daily_counter_totals", Path(folder), EXAMPLE_DAY))
    text = html.unescape(re.sub(r"<[^>]+>", "", html_page.outlier_html(outlier)))
    return text.removeprefix("Outlier: ").removesuffix(".")


def _reference_warehouse_weeks() -> int:
    """Whole weeks, rounded up, from the reference warehouse's first delivery to the example's day."""
    first = min(delivery.received_at for delivery in warehouse_files.reference_deliveries(EXAMPLE_DAY)).date()
    return -(-(EXAMPLE_DAY - first).days // 7)


FIGURES: dict[str, Callable[[], object]] = {
    # Stack settings' defaults (the components' tunables).
    "reporter-schedule-window-minutes": lambda: _default("reporter", "scheduleWindowMinutes"),
    "reporter-schedule-hour": lambda: f"{_default('reporter', 'scheduleHour'):02d}:00",
    "reporter-async-retry-attempts": lambda: _default("reporter", "asyncRetryAttempts"),
    "reporter-retry-horizon-hours": lambda: _default("reporter", "retryHorizonHours"),
    "endpoint-retry-after-seconds": lambda: _default("endpoint", "retryAfterSeconds"),
    # The reporter component's fixed retry machinery.
    "scheduler-retry-attempts": lambda: reporter.SCHEDULER_RETRY_ATTEMPTS,
    "scheduler-max-event-age-hours": lambda: reporter.MAX_EVENT_AGE_SECONDS // 3600,
    "replay-schedule": lambda: f"`{reporter.REPLAY_SCHEDULE}`",
    "replay-window-minutes": lambda: reporter.REPLAY_WINDOW_MINUTES,
    "retry-visibility-minutes": lambda: reporter.RETRY_VISIBILITY_SECONDS // 60,
    "replays-per-day": lambda: DAY_SECONDS // reporter.REPLAY_INTERVAL_SECONDS,
    "dead-letter-retention-days": lambda: reporter.DEAD_LETTER_RETENTION_SECONDS // DAY_SECONDS,
    "reporter-user-agent": lambda: f"`{daily_report.USER_AGENT}`",
    "lambda-environment-limit-bytes": lambda: f"{reporter_interface.ENVIRONMENT_LIMIT_BYTES:,}",
    "reporter-post-attempts": lambda: daily_report.Settings.max_attempts,
    "release-check-timeout": lambda: f"{release_check.TIMEOUT_SECONDS:g} s",
    # Prod's stage throttle (Pulumi.prod.yaml over the defaults).
    "prod-throttle-rate": lambda: f"{_prod_endpoint().throttle_rate_limit:g}",
    "prod-throttle-burst": lambda: _prod_endpoint().throttle_burst_limit,
    # API Gateway's quotas a product uses up (docs/products.md).
    "resources-per-api": lambda: product_quotas.RESOURCES_PER_API.limit,
    "account-throttle-rate": lambda: f"{product_quotas.ACCOUNT_RATE.limit:,}",
    "account-throttle-burst": lambda: f"{product_quotas.ACCOUNT_BURST.limit:,}",
    # The demo, LocalStack and the Makefile's Pythons.
    "demo-invalid-reports": lambda: len(reports.INVALID_REPORTS),
    "demo-deployments": lambda: simulated_deployments.DEPLOYMENTS,
    "demo-days": lambda: simulated_deployments.DAYS,
    "demo-made-up-deployments": lambda: made_up_product.DEPLOYMENTS,
    "demo-made-up-invalid-reports": lambda: len(made_up_product.invalid_reports(datetime.date(2026, 1, 1))),
    "localstack-header": _localstack_header,
    "make-test-commands": _make_test_commands,
    "deploy-venv": _deploy_venv,
    "policy-venv": _policy_venv,
    "waf-max-body-kib": lambda: MAX_BODY_BYTES // 1024,
    "waf-managed-rule-groups": lambda: _listed(MANAGED_RULE_GROUPS),
    "python": lambda: _makefile_python("PYTHON"),
    "plugin-start-goal": lambda: f"{component_package_start.START_RATIO_GOAL:g}",
    "localstack-python": lambda: _makefile_python("LOCALSTACK_PYTHON"),
    # The usage report, its charts, its page and the workflow that publishes it.
    "athena-first-poll": lambda: _athena_default("first_poll_seconds"),
    "athena-max-poll": lambda: _athena_default("max_poll_seconds"),
    "athena-timeout": lambda: _athena_default("timeout_seconds"),
    "chart-largest-lines": lambda: charts.MAX_LINES - 1,  # the last line is "other"
    "html-open-table-rows": lambda: html_page.OPEN_TABLE_ROWS,
    "outlier-factor": lambda: outliers.FACTOR,
    "outlier-min-history": lambda: outliers.MIN_HISTORY,
    "outlier-example": _outlier_example,
    "usage-report-schedule": _weekly_run,
    "reference-warehouse-deployments": lambda: _in_words(
        len({d.body["stack_id"] for d in warehouse_files.reference_deliveries(EXAMPLE_DAY)})
    ),
    "reference-warehouse-weeks": lambda: _in_words(_reference_warehouse_weeks()),
    "usage-report-retention-days": _page_retention_days,
    "selenium-pin": lambda: _pin("selenium"),
    # suspicious_reports' thresholds.
    "suspicious-factor": lambda: _suspicious(r">= (\d+) \* fleet\.p99"),
    "suspicious-percentile": lambda: _suspicious(r"approx_percentile\(total, 0\.(\d+)\)"),
    "suspicious-share": lambda: _suspicious(r"CAST\(\{counter_maximum\} AS DOUBLE\) / (\d+)\)"),
    "suspicious-floor": lambda: f"{int(_suspicious(FLOOR)):,}",
    "suspicious-burst": lambda: _suspicious(r">= (\d+) \* COALESCE\(CAST\(approx_percentile\(earlier\.new_deployments"),
    "suspicious-history-days": lambda: _suspicious(r"INTERVAL '(\d+)' DAY AND recent\.day - INTERVAL '1' DAY"),
    # The benchmark scripts' defaults and what the fleet simulation's table says.
    **benchmark_figures.FIGURES,
    # Who calls each reusable workflow (docs/ci-cd.md's table).
    **{
        f"{workflow.removesuffix('.yml')}-callers": functools.partial(_callers, workflow)
        for workflow in _reusable_workflows()
    },
}


def figure(name: str) -> str:
    if name not in FIGURES:
        raise ValueError(f"unknown figure {name!r}: add it to FIGURES in {__name__} (known: {', '.join(FIGURES)})")
    return str(FIGURES[name]())


def has_figures(text: str) -> bool:
    return FIGURE.search(text) is not None


def render_figures(text: str) -> str:
    return FIGURE.sub(lambda m: f"{m.group(1)}{figure(m.group(2))}{m.group(4)}", text)
