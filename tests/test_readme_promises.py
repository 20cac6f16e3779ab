"""Concrete promises in the docs' prose (README.md and docs/*.md: replies, counts, commands, names, paths) that no
other test pins.

Each test reads the promise from the docs themselves (tests/support/docs.py finds it in whichever file holds it),
so a change to either side that breaks the promise fails.
"""

import inspect
import json
import re
import shlex
import subprocess
import tomllib

import jsonschema
import pytest
import yaml

import stack_config
from contract import schemas, templates
from handlers import daily_report
from tests.support import docs
from tests.support.docs import section
from tooling.docs_generation import REPO, marked
from tooling.fixtures import reports
from tooling.fixtures.apigateway_vtl import RequestContext, render
from tooling.fixtures.fake_collector import fake_collector
from tooling.local_cloud.applier import LOCALSTACK_INTEGRATION_HEADERS, LocalDeployment
from tooling.mocked_program import pulumi_mocks
from usage_report.athena_runner import AthenaQueryRunner
from usage_report.cli import build_parser

TEXT = docs.all_text()


def number_before(words: str) -> int:
    """The figure the docs write just before `words`, e.g. "33 invalid reports" or "5,000 examples"."""
    match = re.search(r"(\d[\d,]*)\s+" + re.escape(words), TEXT)
    assert match, f"the docs no longer say '<n> {words}'"
    return int(match.group(1).replace(",", ""))


# --- Sending a report: the replies the docs show -----------------------------------------------------------


def test_the_curl_example_is_a_valid_report_and_gets_the_reply_shown():
    block = re.search(r"```sh\ncurl .*?-d '(.*?)'\n# (.*?)\n```", section("Sending a report"), re.S)
    body, reply = block.group(1), block.group(2)
    jsonschema.Draft4Validator(schemas.load_schema()).validate(json.loads(body))
    assert render(templates.read("accepted_response.vtl")).strip() == reply


def test_the_rejection_shown_is_what_the_bad_request_template_renders():
    """API Gateway hands the validation error to the template with its quotes already escaped."""
    shown = re.search(r"`(\{\"status\":\"rejected\".*?\})`", section("Sending a report")).group(1)
    escaped_reason = re.search(r'"reason":"(.*)"\}$', shown).group(1)
    context = RequestContext(error={"validationErrorString": escaped_reason})
    rendered = render(templates.read("bad_request_body_response.vtl"), "", context).strip()
    assert rendered == shown
    assert json.loads(rendered)["reason"].endswith('["email"]]')


def test_every_report_the_docs_post_is_valid():
    bodies = re.findall(r"```sh\n[^`]*?-d '(\{.*?\})'", TEXT, re.S)
    assert len(bodies) >= 2  # the README's example and the pulumilocal run's
    for body in bodies:
        jsonschema.Draft4Validator(schemas.load_schema()).validate(json.loads(body))


def test_the_reporter_sends_the_user_agent_the_waf_section_names():
    """AWS's common rule set blocks requests without a User-Agent; the docs promise the reporter sends one."""
    promised = re.search(r"the reporter sends one \(`([^`]+)`\)", TEXT).group(1)
    with fake_collector() as collector:
        settings = daily_report.Settings(collector.url, reports.STACK_ID, "1.2.3", "lunasec")
        daily_report.post_report(settings, reports.valid_report(), daily_report.Delivery())
    [received] = collector.received
    assert received.headers["User-Agent"] == promised


# --- Running it on LocalStack: what the applier adds and where the program's API answers --------------------


def test_the_localstack_header_the_docs_name_is_the_one_the_applier_adds():
    [(parameter, value)] = LOCALSTACK_INTEGRATION_HEADERS.items()
    header = parameter.removeprefix("integration.request.header.")
    assert f"`{header}: {value}`" in section("Why an applier, and the real path with the Pulumi CLI (`pulumilocal`)")


def test_the_pulumilocal_post_goes_where_localstack_serves_the_dev_stage():
    endpoint_args = stack_config.SECTIONS["endpoint"]
    default_stage = stack_config.section_keys(endpoint_args)["stageName"].default
    dev = yaml.safe_load((REPO / "Pulumi.dev.yaml").read_text(encoding="utf-8"))["config"]
    stage = dev.get(f"{stack_config.PROJECT}:endpoint", {}).get("stageName", default_stage)
    local = LocalDeployment("http://localhost:4566", "$api_id", stage, bucket_name="", stream_name="")
    assert f'"{local.url()}"' in section("Why an applier, and the real path with the Pulumi CLI (`pulumilocal`)")


def test_the_stack_file_pulumilocal_writes_is_git_ignored_as_the_docs_say():
    pulumilocal = section("Why an applier, and the real path with the Pulumi CLI (`pulumilocal`)")
    copied = re.search(r"^cp Pulumi\.dev\.yaml (\S+)", pulumilocal, re.M).group(1)
    assert f"`{copied}` is git-ignored" in " ".join(pulumilocal.split())
    ignored = subprocess.run(["git", "check-ignore", "--quiet", copied], cwd=REPO)
    assert ignored.returncode == 0, f"{copied} would be committed"


# --- Figures the prose repeats ------------------------------------------------------------------------------


def test_the_demo_posts_as_many_invalid_reports_as_the_readme_says():
    assert number_before("invalid reports, printing") == len(reports.INVALID_REPORTS)


def test_the_demo_simulates_the_deployments_and_days_the_readme_says():
    from tooling.demo import simulated_deployments

    assert number_before("product deployments") == simulated_deployments.DEPLOYMENTS
    span = re.search(r"simulates (a week|(\d+) days) of", TEXT)
    assert span, "the docs no longer say how long the demo simulates"
    assert (int(span.group(2)) if span.group(2) else 7) == simulated_deployments.DAYS


def test_the_fuzz_suite_runs_the_examples_the_readme_says():
    from tests import test_contract_fuzz

    assert number_before("examples per run") == sum(test_contract_fuzz.EXAMPLES.values())


def test_the_policy_pack_has_the_bad_cases_the_readme_counts():
    from tests import test_policy_pack

    assert number_before("cases, e.g.") == sum(len(cases) for cases in test_policy_pack.BAD.values())


def test_the_reporter_schedule_defaults_the_docs_repeat():
    fields = stack_config.section_keys(stack_config.SECTIONS["reporter"])
    prose = " ".join(section("Reporting usage from your own stack").split())
    assert f"`reporter.scheduleWindowMinutes`, default {fields['scheduleWindowMinutes'].default}," in prose
    assert f"`reporter.scheduleHour` UTC, default {fields['scheduleHour'].default:02d}:00," in prose


def test_every_setting_default_the_prose_repeats_is_the_settings_default():
    prose = " ".join(TEXT.split())
    said = re.findall(r"`(\w+)\.(\w+)`[^.;]{0,12}?default (\d+)(?::00)?[,)]", prose)
    assert {"retryHorizonHours", "asyncRetryAttempts", "scheduleWindowMinutes", "scheduleHour"} <= {
        key for _, key, _ in said
    }
    for section_name, key, value in said:
        assert int(value) == stack_config.section_keys(stack_config.SECTIONS[section_name])[key].default, key


def test_the_retry_figures_the_fleet_docs_repeat_are_the_reporters_and_prods():
    from components import daily_aggregator as reporter
    from components.collector_endpoint import CollectorEndpointArgs
    from tooling.docs_generation.fleet_costs import stack_args

    prose = " ".join(TEXT.split())
    assert (
        f"retries an invocation Lambda refused ({reporter.SCHEDULER_RETRY_ATTEMPTS} times, for up to "
        f"{reporter.MAX_EVENT_AGE_SECONDS // 3600} hours)"
    ) in prose
    assert f"`{reporter.REPLAY_SCHEDULE}` in a {reporter.REPLAY_WINDOW_MINUTES} min flexible window" in prose
    assert f"hidden for {reporter.RETRY_VISIBILITY_SECONDS // 60} minutes" in prose
    assert f"The replay costs {24 * 3600 // reporter.REPLAY_INTERVAL_SECONDS} Scheduler and Lambda" in prose
    kept = reporter.DEAD_LETTER_RETENTION_SECONDS // (24 * 3600)
    assert f"keep messages {kept} days" in prose and f"kept {kept} days in an encrypted SQS dead-letter queue" in prose
    prod = stack_args(
        "prod",
        "endpoint",
        CollectorEndpointArgs,
        delivery_stream_name="s",
        delivery_stream_arn="arn:aws:firehose:us-east-1:123456789012:deliverystream/s",
    )
    assert (
        f"prod allows {prod.throttle_rate_limit:g} requests/s steady and a burst of {prod.throttle_burst_limit}"
    ) in prose


def test_charts_keep_as_many_lines_as_the_docs_say():
    from usage_report import charts

    assert number_before('largest lines plus one "other"') + 1 == charts.MAX_LINES


def test_the_plugin_benchmark_table_counts_the_constructs_registrations_and_states_its_goal():
    from components.daily_aggregator import DailyAggregator
    from tests.test_component_package import in_process
    from tooling.benchmarks import component_package_start

    timed = in_process(DailyAggregator, "reporter", {"collector_url": component_package_start.COLLECTOR_URL})
    assert number_before("registrations)") == len(timed)
    assert f"| ≤ {component_package_start.START_RATIO_GOAL:g}\u00d7 |" in TEXT


def test_the_html_report_figures_the_docs_repeat_are_the_code_the_workflow_and_the_pins():
    from usage_report import html_page, outliers

    words = {3: "three", 10: "ten"}
    prose = " ".join(section("The HTML usage report").split())
    assert f"Tables longer than {words[html_page.OPEN_TABLE_ROWS]} rows start folded" in prose
    assert (
        f"a point at least {outliers.FACTOR} times its line's median (the line's other points, at least "
        f"{words[outliers.MIN_HISTORY]} of them"
    ) in prose
    workflow = yaml.safe_load((REPO / ".github" / "workflows" / "usage-report.yml").read_text(encoding="utf-8"))
    [schedule] = workflow[True]["schedule"]  # YAML 1.1 reads the key `on` as true
    minute, hour, _, _, weekday = schedule["cron"].split()
    assert weekday == "1" and f"runs every Monday at {int(hour):02d}:{int(minute):02d} UTC" in prose
    [upload] = [
        step
        for job in workflow["jobs"].values()
        for step in job["steps"]
        if step.get("uses", "").startswith("actions/upload-artifact@")
    ]
    assert f"**{upload['with']['retention-days']} days**" in prose
    pin = re.search(r"^selenium==(\S+)$", (REPO / "requirements" / "dev.txt").read_text(), re.M).group(1)
    assert f"Selenium is pinned at {pin} in `requirements/dev.txt`" in prose


def test_the_suspicious_report_thresholds_the_docs_list_are_the_querys():
    sql = " ".join((REPO / "contract" / "queries" / "suspicious_reports.sql").read_text(encoding="utf-8").split())
    floor = int(re.search(r"WHERE CAST\(reported_totals\.total AS DOUBLE\) >= (\d+) ", sql).group(1))
    factor = re.search(r">= (\d+) \* fleet\.p99", sql).group(1)
    percentile = re.search(r"approx_percentile\(total, 0\.(\d+)\)", sql).group(1)
    share = re.search(r"CAST\(\{counter_maximum\} AS DOUBLE\) / (\d+)\)", sql).group(1)
    burst = re.search(r">= (\d+) \* COALESCE\(CAST\(approx_percentile\(earlier\.new_deployments, 0\.5\)", sql).group(1)
    history = re.search(r"INTERVAL '(\d+)' DAY AND recent\.day - INTERVAL '1' DAY", sql).group(1)
    prose = " ".join(section("Seeing poisoning: `suspicious_reports`").split())
    assert f"at least {factor} times that counter's {percentile}th percentile" in prose
    assert share == "10" and "or at least a tenth of the counter maximum" in prose
    assert f"Totals under {floor:,} are never listed" in prose
    assert f"at least {burst} times the median of the earlier {history} days" in prose


def test_athena_polling_and_timeout_are_the_readme_figures():
    pauses = re.search(
        r"growing pauses \(([\d.]+) s up to ([\d.]+) s\) and stopped after `--timeout` \((\d+) s\)", TEXT
    )
    defaults = inspect.signature(AthenaQueryRunner).parameters
    assert float(pauses.group(1)) == defaults["first_poll_seconds"].default
    assert float(pauses.group(2)) == defaults["max_poll_seconds"].default
    assert float(pauses.group(3)) == defaults["timeout_seconds"].default == build_parser().get_default("timeout")


# --- Commands, outputs, names and paths ---------------------------------------------------------------------


def report_commands() -> list[list[str]]:
    shell = "\n".join(re.findall(r"```sh\n(.*?)```", TEXT, re.S))
    lines = [line for line in shell.splitlines() if "python -m usage_report " in line and not line.startswith("#")]
    return [shlex.split(line.split("python -m usage_report", 1)[1]) for line in lines]


def test_every_report_command_in_the_readme_parses():
    commands = report_commands()
    assert len(commands) >= 5
    parser = build_parser()
    for argv in commands:
        parser.parse_args(argv)  # exits 2 on an unknown flag or section


def makefile() -> tuple[dict[str, str], dict[str, tuple[list[str], list[str]]]]:
    """The Makefile's variables, and each rule as (prerequisites, recipe lines), with $(VARIABLES) expanded."""
    text = (REPO / "Makefile").read_text()
    variables = dict(re.findall(r"^(\w+) [?:]?= (.+)$", text, re.M))

    def expand(value: str) -> str:
        # An undefined variable is empty, as in make.
        return re.sub(r"\$\((\w+)\)", lambda m: expand(variables.get(m.group(1), "")), value)

    rules = {}
    for target, prerequisites, recipe in re.findall(r"^([^\s#][^:=\n]*):(?!=)(.*)\n((?:\t.*\n?)*)", text, re.M):
        rules[expand(target)] = (expand(prerequisites).split(), [expand(line.strip()) for line in recipe.splitlines()])
    return variables, rules


def test_every_make_target_the_docs_use_exists():
    shell = "\n".join(re.findall(r"```sh\n(.*?)```", TEXT, re.S))
    used = set(re.findall(r"`make ([\w-]+)`", TEXT)) | set(re.findall(r"^make ([\w-]+)", shell, re.M))
    assert {"setup", "test", "demo"} <= used
    assert used <= set(makefile()[1])


def test_make_test_builds_every_environment_then_runs_the_commands_the_readme_names():
    quick_start = " ".join(section("Quick start").split())
    venvs = re.findall(r"`([^`]+)`", re.search(r"It creates (.*?) on first use", quick_start).group(1))
    listed, last = re.search(r"then runs (.*?) and (\w+),", quick_start).groups()
    commands = [*re.findall(r"`([^`]+)`", listed), last]
    venv, localstack_venv = venvs[:2]
    _, rules = makefile()
    prerequisites, recipe = rules["test"]
    built = [
        target.rsplit("/", 1)[0]
        for prerequisite in prerequisites
        for target in rules[prerequisite][0]
        if target.endswith("/.installed")
    ]
    assert sorted(built) == sorted(venvs) and len(venvs) == 6, (built, venvs)
    assert len(recipe) == len(commands), recipe
    for command, line in zip(commands, recipe, strict=True):
        assert line.startswith(f"{venv}/bin/") and command in line, (command, line)
    assert "requirements/dev.lock" in rules[f"{venv}/.installed"][0]
    localstack_lock = rules[f"{localstack_venv}/.installed"][0][0]
    assert f"`{localstack_lock}`" in section("Run it offline: `make demo` (LocalStack)")
    project = yaml.safe_load((REPO / "Pulumi.yaml").read_text(encoding="utf-8"))  # the CLI must parse it too
    deploy_venv = project["runtime"]["options"]["virtualenv"]
    assert f"`Pulumi.yaml` points the CLI at `{deploy_venv}`" in " ".join(section("Quick start").split())
    assert deploy_venv != venv, "the deploy runs in its own venv, without the test tools"
    assert f"{deploy_venv}/.installed" in rules


def test_make_check_runs_what_make_test_runs_but_the_tests_marked_as_needing_more_than_the_venv():
    _, rules = makefile()
    (_, test_recipe), (check_prerequisites, check_recipe) = rules["test"], rules["check"]
    assert check_prerequisites == ["setup"], "the inner loop builds no LocalStack or plugin venv"
    assert check_recipe[:-1] == test_recipe[:-1]
    pytest_config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["pytest"]
    markers = [line.partition(":")[0] for line in pytest_config["ini_options"]["markers"]]
    assert markers == ["localstack", "browser", "jdk", "plugin", "slow"]
    assert check_recipe[-1] == (
        f'{test_recipe[-1]} -n 2 -m "not localstack and not browser and not jdk and not plugin and not slow"'
    )


def test_the_pythons_the_docs_ask_for_are_the_makefile_defaults():
    variables, _ = makefile()
    program, localstack = variables["PYTHON"], variables["LOCALSTACK_PYTHON"]
    assert f"Python {program.removeprefix('python')} and {localstack.removeprefix('python')}" in TEXT
    assert f"`LOCALSTACK_PYTHON=/path/to/{localstack}`" in TEXT


@pytest.mark.parametrize("stack", pulumi_mocks.STACKS)
def test_the_stack_outputs_and_names_the_readme_uses(stack):
    exports = pulumi_mocks.run_program(stack).exports
    named = set(re.findall(r"pulumi stack output (\w+)", TEXT))
    named |= set(re.findall(r"`(\w+)`", TEXT.split("Stack outputs: ", 1)[1].split(".", 1)[0]))
    named |= set(re.findall(r"exported as\s+`(\w+)`", TEXT))
    assert {"collector_url", "bucket_name", "athena_workgroup_name", "dashboard_name"} <= named
    assert named <= set(exports)
    assert f"Glue database `{exports['athena_database_name'].replace(stack, '<stack>')}`" in TEXT
    assert f"Athena workgroup `{exports['athena_workgroup_name'].replace(stack, '<stack>')}`" in TEXT
    assert f"with the table `{exports['athena_table_name']}`" in TEXT
    assert f"the dashboard `{exports['dashboard_name'].replace(stack, '<stack>')}`" in TEXT
    section_key = f"{stack_config.PROJECT}:{stack_config.OPT_OUT_SECTION}"
    opted_out = json.loads(pulumi_mocks.stack_config(stack).get(section_key, "{}")).get(stack_config.OPT_OUT_KEY)
    assert exports["usage_reporting"] == ("off" if opted_out else "on")
    assert f"`{stack_config.OPT_OUT_SECTION}: {{{stack_config.OPT_OUT_KEY}: true}}`" in TEXT
    assert "the stack exports `usage_reporting: off`" in " ".join(TEXT.split())


def test_every_repository_path_the_readme_names_exists():
    text = docs.current_text()
    candidates = set(re.findall(r"`((?:\.?[\w-]+/)+[\w.-]*)`", text))
    candidates |= set(re.findall(r"(?<![\w/.-])((?:[\w-]+/)+[\w-]+\.(?:py|json|yml|yaml|txt|vtl))\b", text))
    # Made by a command the docs give, or not a path in this repository (bucket prefixes among them).
    generated = (
        "charts/",
        "copy/",
        "bucket-copy/",
        "/tmp/",
        "policy/venv",
        "YYYY/",
        "OWNER/REPO",
        "pulumi/actions",
        "reports/",
        "results/",
        ".pulumi/",
    )
    paths = {c for c in candidates if "<" not in c and not c.startswith(generated) and "://" not in c}
    assert len(paths) >= 20
    # What git ignores (demo-output/, test-artifacts/...) exists only once a command or a test has made it. A folder
    # named without its slash (`component_package/venv`) is asked with one too: a `venv/` pattern matches only that.
    asked = {name: path for path in paths for name in (path, path.rstrip("/") + "/")}
    ignored = {
        asked[name]
        for name in subprocess.run(
            ["git", "check-ignore", "--stdin"], input="\n".join(asked), cwd=REPO, capture_output=True, text=True
        ).stdout.split()
    }
    missing = sorted(p for p in paths - ignored if not (REPO / p).exists())
    assert not missing, f"the docs name paths that do not exist: {missing}"


def test_the_rules_the_prose_names_are_rules_of_the_pack():
    """A rule's name is stated once, in policy/*_rules.py; the prose refers to it and the table is generated."""
    from policy.catalog import POLICIES

    rules = {policy.name: policy for policy in POLICIES}
    prose = marked("policy-rules").sub("", TEXT)
    services = {name.split("-")[0] for name in rules}
    named = {word for word in re.findall(r"`([a-z0-9]+(?:-[a-z0-9]+)+)`", prose) if word.split("-")[0] in services}
    assert named and named <= set(rules), sorted(named - set(rules))
    example = json.loads(re.search(r"echo '(\{.*?\})' > policy-config\.json", TEXT).group(1))
    for name, settings in example.items():
        assert set(settings) <= set(rules[name].config_schema.properties), name


def test_the_ci_docs_list_every_workflow():
    cicd = section("CI/CD with GitHub Actions")
    count = re.search(r"^(\w+) workflows in `\.github/workflows/`", cicd, re.M).group(1)
    listed = re.findall(r"^\| `([\w-]+\.yml)` \|", cicd, re.M)
    shipped = sorted(path.name for path in (REPO / ".github" / "workflows").glob("*.yml"))
    assert sorted(listed) == shipped
    assert count.lower() == ["one", "two", "three", "four", "five", "six", "seven", "eight"][len(shipped) - 1]


def test_the_athena_permissions_the_usage_report_docs_list_are_the_calls_it_makes():
    from tests.test_usage_report_role import athena_calls_the_report_makes

    said = " ".join(section("Usage report").split())
    listed = re.search(r"needs `athena:(\w+)`, (.*?) on the workgroup", said)
    assert {
        f"athena:{name}" for name in (listed.group(1), *re.findall(r"`(\w+)`", listed.group(2)))
    } == athena_calls_the_report_makes()
