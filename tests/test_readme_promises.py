"""What the docs show that a reader copies or follows: example requests and their replies, commands, make
targets, stack outputs, rule names and paths. Each is checked against the code it names.

Figures the prose states are not matched here by sentence: they are generated (tooling/docs_generation/figures.py)
and tests/test_readme.py fails when one is stale. tests/support/docs.py finds a section in whichever file holds it.
"""

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
from stack_config.outputs import STACK_OUTPUTS, export
from tests.support import docs
from tests.support.docs import section
from tests.support.shared_runs import shared_run
from tooling.docs_generation import REPO, marked
from tooling.fixtures.apigateway_vtl import RequestContext, render
from tooling.local_cloud.applier import LocalDeployment
from tooling.mocked_program import pulumi_mocks
from usage_report.cli import build_parser

TEXT = docs.all_text()
PULUMILOCAL = "Why an applier, and the real path with the Pulumi CLI (`pulumilocal`)"


def found(pattern: str, text: str, what: str, flags: int = 0) -> re.Match:
    match = re.search(pattern, text, flags)
    assert match, f"the docs no longer show {what}"
    return match


# --- Sending a report: the replies the docs show -----------------------------------------------------------


def test_the_curl_example_is_a_valid_report_and_gets_the_reply_shown():
    block = found(r"```sh\ncurl .*?-d '(.*?)'\n# (.*?)\n```", section("Sending a report"), "a curl and its reply", re.S)
    body, reply = block.group(1), block.group(2)
    jsonschema.Draft4Validator(schemas.load_schema()).validate(json.loads(body))
    assert render(templates.read("accepted_response.vtl")).strip() == reply


def test_the_rejection_shown_is_what_the_bad_request_template_renders():
    """API Gateway hands the validation error to the template with its quotes already escaped."""
    shown = found(r"`(\{\"status\":\"rejected\".*?\})`", section("Sending a report"), "a rejection").group(1)
    escaped_reason = found(r'"reason":"(.*)"\}$', shown, "the rejection's reason").group(1)
    context = RequestContext(error={"validationErrorString": escaped_reason})
    rendered = render(templates.read("bad_request_body_response.vtl"), "", context).strip()
    assert rendered == shown
    assert json.loads(rendered)["reason"].endswith('["email"]]')


def test_every_report_the_docs_post_is_valid():
    bodies = re.findall(r"```sh\n[^`]*?-d '(\{.*?\})'", TEXT, re.S)
    assert len(bodies) >= 2  # the README's example and the pulumilocal run's
    for body in bodies:
        jsonschema.Draft4Validator(schemas.load_schema()).validate(json.loads(body))


# --- Running it on LocalStack: where the program's API answers -----------------------------------------------


def test_the_pulumilocal_post_goes_where_localstack_serves_the_dev_stage():
    endpoint_args = stack_config.SECTIONS["endpoint"]
    default_stage = stack_config.section_keys(endpoint_args)["stageName"].default
    dev = yaml.safe_load((REPO / "Pulumi.dev.yaml").read_text(encoding="utf-8"))["config"]
    stage = dev.get(f"{stack_config.PROJECT}:endpoint", {}).get("stageName", default_stage)
    local = LocalDeployment("http://localhost:4566", "$api_id", stage, bucket_name="", stream_name="")
    assert f'"{local.url()}"' in section(PULUMILOCAL)


def test_the_stack_file_the_pulumilocal_commands_write_is_git_ignored():
    copied = found(r"^cp Pulumi\.dev\.yaml (\S+)", section(PULUMILOCAL), "the stack file copied", re.M).group(1)
    ignored = subprocess.run(["git", "check-ignore", "--quiet", copied], cwd=REPO)
    assert ignored.returncode == 0, f"{copied} would be committed"


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


def test_make_test_builds_every_venv_the_makefile_defines_and_the_deploy_runs_in_its_own():
    """The Quick start's "it builds each venv": every `<venv>/.installed` rule is one `make test` depends on."""
    _, rules = makefile()
    prerequisites, recipe = rules["test"]
    built = {
        target for prerequisite in prerequisites for target in rules[prerequisite][0] if target.endswith("/.installed")
    }
    defined = {target for target in rules if target.endswith("/.installed")}
    assert built == defined and len(defined) == 6, (built, defined)
    assert all(line.startswith(".venv/bin/") for line in recipe), recipe
    assert "requirements/dev.lock" in rules[".venv/.installed"][0]
    project = yaml.safe_load((REPO / "Pulumi.yaml").read_text(encoding="utf-8"))  # the CLI must parse it too
    deploy_venv = project["runtime"]["options"]["virtualenv"]
    assert deploy_venv != ".venv", "the deploy runs in its own venv, without the test tools"
    assert f"{deploy_venv}/.installed" in defined


def test_make_check_runs_what_make_test_runs_but_the_tests_marked_as_needing_more_than_the_venv():
    _, rules = makefile()
    (_, test_recipe), (check_prerequisites, check_recipe) = rules["test"], rules["check"]
    assert check_prerequisites == ["setup"], "the inner loop builds no LocalStack or plugin venv"
    assert check_recipe[:-1] == test_recipe[:-1]
    pytest_config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["pytest"]
    markers = [line.partition(":")[0] for line in pytest_config["ini_options"]["markers"]]
    assert markers == ["localstack", "browser", "jdk", "plugin", "slow"]
    assert check_recipe[-1] == (
        f'{test_recipe[-1]} -m "not localstack and not browser and not jdk and not plugin and not slow"'
    )


@pytest.mark.parametrize("stack", pulumi_mocks.STACKS)
def test_each_stack_exports_the_outputs_the_docs_list(stack):
    exports = shared_run(stack).exports
    section_key = f"{stack_config.PROJECT}:{stack_config.OPT_OUT_SECTION}"
    opted_out = json.loads(pulumi_mocks.stack_config(stack).get(section_key, "{}")).get(stack_config.OPT_OUT_KEY)
    shared = {
        "collector_url",
        "bucket_name",
        "delivery_stream_name",
        "athena_database_name",
        "athena_table_name",
        "athena_workgroup_name",
        "dashboard_name",
        "usage_reporting",
    }
    assert set(exports) == (shared if opted_out else shared | {"reporter_function_name"})
    assert exports["usage_reporting"] == ("off" if opted_out else "on")
    assert set(exports) <= set(STACK_OUTPUTS), "a stack output docs/configuration.md does not list"


def test_the_stack_outputs_the_docs_commands_read_are_exported():
    named = set(re.findall(r"pulumi stack output (?:--json )?(\w+)", TEXT))
    assert {"collector_url", "bucket_name"} <= named
    assert named <= set(STACK_OUTPUTS), sorted(named - set(STACK_OUTPUTS))


def test_an_output_the_list_does_not_hold_is_refused_by_name():
    with pytest.raises(KeyError, match="stack output 'secret_bucket' is not listed in stack_config/outputs.py"):
        export("secret_bucket", "x")


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
    example = json.loads(found(r"echo '(\{.*?\})' > policy-config\.json", TEXT, "the policy config example").group(1))
    for name, settings in example.items():
        assert set(settings) <= set(rules[name].config_schema.properties), name


def test_the_ci_docs_list_every_workflow():
    cicd = section("CI/CD with GitHub Actions")
    listed = re.findall(r"^\| `([\w-]+\.yml)` \|", cicd, re.M)
    shipped = sorted(path.name for path in (REPO / ".github" / "workflows").glob("*.yml"))
    assert sorted(listed) == shipped
