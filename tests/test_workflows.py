"""The GitHub Actions workflows: actionlint-clean, pinned, keyless, serialized per stack, prod behind review."""

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from tests.support import docs

ROOT = Path(__file__).resolve().parents[1]
WORKFLOWS = ROOT / ".github" / "workflows"
TRUST_POLICIES = ROOT / ".github" / "aws-oidc"
STACK_WORKFLOW = "./.github/workflows/pulumi-stack.yml"
PINNED_USES = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+$")


def _load(name: str) -> dict:
    # PyYAML reads the `on:` key as the boolean True (YAML 1.1); keep it under its written name.
    document = yaml.safe_load((WORKFLOWS / name).read_text())
    if True in document:
        document["on"] = document.pop(True)
    return document


def _workflow_files() -> list[Path]:
    return sorted(WORKFLOWS.glob("*.yml"))


def _actionlint() -> str:
    # The binary ships inside the pinned wheel, next to this interpreter.
    beside_python = Path(sys.executable).parent / "actionlint"
    found = str(beside_python) if beside_python.exists() else shutil.which("actionlint")
    assert found, "actionlint is not installed: run `make setup` (requirements-dev.txt pins it)"
    return found


def _stack_calls() -> list[tuple[str, str, dict]]:
    calls = []
    for path in _workflow_files():
        for job_name, job in _load(path.name)["jobs"].items():
            if job.get("uses") == STACK_WORKFLOW:
                calls.append((path.name, job_name, job))
    return calls


def test_actionlint_finds_no_problem():
    files = [str(path) for path in _workflow_files()]
    assert len(files) >= 4
    result = subprocess.run([_actionlint(), "-no-color", "-format", "{{json .}}", *files],
                            cwd=ROOT, capture_output=True, text=True, timeout=120)
    problems = json.loads(result.stdout or "[]")
    assert problems == [], "\n".join(f"{p['filepath']}:{p['line']}: {p['message']}" for p in problems)
    assert result.returncode == 0, result.stderr


def test_actionlint_catches_a_broken_workflow(tmp_path):
    # Guards against a linter that silently checks nothing (wrong folder, no files found).
    broken = (WORKFLOWS / "pulumi-stack.yml").read_text().replace("inputs.stack }}", "inputs.stak }}")
    broken_file = tmp_path / ".github" / "workflows" / "pulumi-stack.yml"
    broken_file.parent.mkdir(parents=True)
    broken_file.write_text(broken)
    result = subprocess.run([_actionlint(), "-no-color", "-format", "{{json .}}", str(broken_file)],
                            cwd=tmp_path, capture_output=True, text=True, timeout=120)
    messages = [problem["message"] for problem in json.loads(result.stdout)]
    assert result.returncode == 1
    assert any('"stak" is not defined' in message for message in messages), messages


def test_every_action_is_pinned_to_a_commit_with_its_version():
    remote_uses = []
    for path in _workflow_files():
        for line in path.read_text().splitlines():
            match = re.match(r"^\s*(?:- )?uses: (.+)$", line)
            if match and not match.group(1).startswith("./"):
                remote_uses.append(match.group(1))
    assert remote_uses, "no action found: the workflows were not read"
    unpinned = [uses for uses in remote_uses if not PINNED_USES.match(uses)]
    assert unpinned == []


def test_no_long_lived_aws_keys_are_referenced():
    for path in _workflow_files():
        text = path.read_text()
        for key_name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "aws-access-key-id",
                         "aws-secret-access-key", "AWS_SESSION_TOKEN"):
            assert key_name not in text, f"{path.name} references {key_name}"


def test_workflows_default_to_read_only_tokens():
    for path in _workflow_files():
        assert _load(path.name).get("permissions") in (None, {"contents": "read"}), path.name
    assert _load("pull-request.yml")["permissions"] == {"contents": "read"}
    assert _load("deploy.yml")["permissions"] == {"contents": "read"}


def test_checkouts_do_not_persist_the_token():
    for path in _workflow_files():
        for job in _load(path.name)["jobs"].values():
            for step in job.get("steps", []):
                if step.get("uses", "").startswith("actions/checkout@"):
                    assert step["with"]["persist-credentials"] is False, path.name


def test_aws_credentials_come_from_oidc_role_assumption():
    job = _load("pulumi-stack.yml")["jobs"]["pulumi"]
    credential_steps = [step for step in job["steps"]
                        if step.get("uses", "").startswith("aws-actions/configure-aws-credentials@")]
    assert len(credential_steps) == 1
    assert credential_steps[0]["with"]["role-to-assume"] == "${{ vars.AWS_ROLE_ARN }}"
    # The role variable is per environment, so every caller must name one and grant the OIDC token.
    for file_name, job_name, call in _stack_calls():
        assert call["permissions"]["id-token"] == "write", (file_name, job_name)
        assert call["with"]["environment"], (file_name, job_name)
    assert job["environment"] == "${{ inputs.environment }}"


def test_one_stack_never_has_two_updates_at_once():
    concurrency = _load("pulumi-stack.yml")["jobs"]["pulumi"]["concurrency"]
    group = concurrency["group"]
    # An update's group is the stack alone (not the run or the ref), and an update is never cancelled.
    assert "format('pulumi-up-{0}', inputs.stack)" in group
    assert "inputs.command == 'up'" in group
    assert concurrency["cancel-in-progress"] == "${{ inputs.command != 'up' }}"


def test_pull_requests_are_tested_then_previewed_on_staging_and_prod_with_one_comment_each():
    workflow = _load("pull-request.yml")
    assert workflow["on"] == {"pull_request": {"branches": ["main"]}}
    preview = workflow["jobs"]["preview"]
    assert preview["needs"] == "test"
    assert workflow["jobs"]["test"]["uses"] == "./.github/workflows/tests.yml"
    assert preview["strategy"]["matrix"]["stack"] == ["staging", "prod"]
    assert preview["with"]["command"] == "preview"
    assert preview["permissions"]["pull-requests"] == "write"
    pulumi_step = _pulumi_step()
    assert pulumi_step["with"]["comment-on-pr"] == "${{ inputs.command == 'preview' }}"
    assert pulumi_step["with"]["edit-pr-comment"] is True


def test_main_deploys_staging_then_prod_behind_the_production_environment():
    workflow = _load("deploy.yml")
    assert workflow["on"] == {"push": {"branches": ["main"]}}
    jobs = workflow["jobs"]
    assert jobs["staging"]["needs"] == "test"
    assert jobs["prod"]["needs"] == "staging"
    assert (jobs["staging"]["with"]["command"], jobs["staging"]["with"]["stack"]) == ("up", "staging")
    assert (jobs["prod"]["with"]["command"], jobs["prod"]["with"]["stack"]) == ("up", "prod")
    assert jobs["prod"]["with"]["environment"] == "production"


def test_every_stack_the_workflows_name_has_its_stack_file():
    named = set()
    for _, _, call in _stack_calls():
        stack = call["with"]["stack"]
        named |= set(call["strategy"]["matrix"]["stack"]) if stack == "${{ matrix.stack }}" else {stack}
    assert named == {"staging", "prod"}
    assert all((ROOT / f"Pulumi.{stack}.yaml").exists() for stack in named)


def _pulumi_step() -> dict:
    steps = _load("pulumi-stack.yml")["jobs"]["pulumi"]["steps"]
    (step,) = [step for step in steps if step.get("uses", "").startswith("pulumi/actions@")]
    return step


def test_every_operation_runs_the_policy_pack():
    assert _pulumi_step()["with"]["policyPacks"] == "policy"
    pack = _pulumi_step()["with"]["policyPacks"]
    # The pack runs in the virtualenv its PulumiPolicy.yaml names: the workflow must build exactly that one.
    pack_config = yaml.safe_load((ROOT / pack / "PulumiPolicy.yaml").read_text())
    venv = f"{pack}/{pack_config['runtime']['options']['virtualenv']}"
    steps = _load("pulumi-stack.yml")["jobs"]["pulumi"]["steps"]
    (build,) = [step["run"] for step in steps if f"-m venv {venv}\n" in step.get("run", "")]
    assert f"{venv}/bin/python -m pip install --quiet -r {pack}/requirements.txt" in build
    assert (ROOT / pack / "requirements.txt").exists()


def test_the_cli_version_step_reads_the_sdk_pin(tmp_path):
    steps = _load("pulumi-stack.yml")["jobs"]["pulumi"]["steps"]
    (step,) = [step for step in steps if step.get("id") == "versions"]
    output_file = tmp_path / "github_output"
    subprocess.run(["bash", "-euo", "pipefail", "-c", step["run"]], cwd=ROOT, check=True, timeout=30,
                   env={**os.environ, "GITHUB_OUTPUT": str(output_file)})
    pins = dict(line.split("==") for line in (ROOT / "requirements.txt").read_text().splitlines()
                if "==" in line and not line.startswith("#"))
    assert output_file.read_text() == f"pulumi={pins['pulumi']}\n"
    assert _pulumi_step()["with"]["pulumi-version"] == "${{ steps.versions.outputs.pulumi }}"


def _trust_subjects() -> dict[str, list[str]]:
    subjects = {}
    for path in sorted(TRUST_POLICIES.glob("*-trust-policy.json")):
        (statement,) = json.loads(path.read_text())["Statement"]
        assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
        assert statement["Principal"]["Federated"].endswith(":oidc-provider/token.actions.githubusercontent.com")
        conditions = statement["Condition"]
        assert set(conditions) == {"StringEquals"}, "a StringLike sub would let other refs in"
        assert conditions["StringEquals"]["token.actions.githubusercontent.com:aud"] == "sts.amazonaws.com"
        sub = conditions["StringEquals"]["token.actions.githubusercontent.com:sub"]
        subjects[path.name] = [sub] if isinstance(sub, str) else sub
    return subjects


def _environments_used() -> set[str]:
    """Every GitHub environment a job names, directly or through the stack workflow's input."""
    used = {call["with"]["environment"] for _, _, call in _stack_calls()}
    for path in _workflow_files():
        used |= {job["environment"] for job in _load(path.name)["jobs"].values()
                 if "environment" in job and "${{" not in job["environment"]}
    return used


def test_trust_policies_admit_exactly_the_environments_the_workflows_use():
    subjects = _trust_subjects()
    trusted = {sub.removeprefix("repo:OWNER/REPO:environment:")
               for subs in subjects.values() for sub in subs}
    assert trusted == _environments_used() == {"preview", "staging", "production", "usage-report"}
    # Previews (any pull request) must not be able to assume the role that deploys.
    assert subjects["preview-role-trust-policy.json"] == ["repo:OWNER/REPO:environment:preview"]
    assert all(not sub.endswith(":preview") for sub in subjects["deploy-role-trust-policy.json"])
    # The read-only report role is for the report's environment alone, and no other role is for it.
    assert subjects["usage-report-role-trust-policy.json"] == ["repo:OWNER/REPO:environment:usage-report"]
    assert all(not sub.endswith(":usage-report") for name, subs in subjects.items()
               if name != "usage-report-role-trust-policy.json" for sub in subs)


def _readme_ci_section() -> str:
    return docs.section("CI/CD with GitHub Actions")


def test_readme_names_every_secret_and_variable_the_workflows_read():
    used = set()
    for path in _workflow_files():
        used |= set(re.findall(r"\b(?:secrets|vars)\.([A-Z][A-Z0-9_]*)", path.read_text()))
    documented = set(re.findall(r"^\s*\| `([A-Z][A-Z0-9_]*)` \|", _readme_ci_section(), re.M))
    assert used == documented


def test_readme_shows_the_deploy_trust_policy_as_shipped():
    block = re.search(r"```json\n(.*?)```", _readme_ci_section(), re.S).group(1)
    shipped = json.loads((TRUST_POLICIES / "deploy-role-trust-policy.json").read_text())
    assert json.loads(block) == shipped


def test_the_test_job_installs_every_python_the_makefile_uses():
    makefile = (ROOT / "Makefile").read_text()
    wanted = set(re.findall(r"^\w*PYTHON \?= python(3\.\d+)$", makefile, re.M))
    assert "3.11" in wanted
    (setup,) = [step for step in _load("tests.yml")["jobs"]["test"]["steps"]
                if step.get("uses", "").startswith("actions/setup-python@")]
    assert set(setup["with"]["python-version"].split()) == wanted
    (run,) = [step["run"] for step in _load("tests.yml")["jobs"]["test"]["steps"] if "run" in step]
    assert run == "make test"


# ---- the weekly usage report ----

def _usage_report_job() -> dict:
    (job,) = _load("usage-report.yml")["jobs"].values()
    return job


def test_the_usage_report_runs_weekly_and_on_demand_with_the_report_role_and_no_secret():
    workflow = _load("usage-report.yml")
    (schedule,) = workflow["on"]["schedule"]
    assert schedule["cron"].split()[2:] == ["*", "*", "1"], "weekly, on Mondays"
    assert "workflow_dispatch" in workflow["on"]
    job = _usage_report_job()
    assert job["environment"] == "usage-report"
    assert job["permissions"] == {"contents": "read", "id-token": "write"}
    (credentials,) = [step for step in job["steps"]
                      if step.get("uses", "").startswith("aws-actions/configure-aws-credentials@")]
    assert credentials["with"]["role-to-assume"] == "${{ vars.AWS_ROLE_ARN }}"
    assert "secrets." not in (WORKFLOWS / "usage-report.yml").read_text()


def test_the_usage_report_runs_the_report_cli_and_keeps_its_page():
    from report.cli import build_parser

    job = _usage_report_job()
    (run,) = [step["run"] for step in job["steps"] if "-m report" in step.get("run", "")]
    command = run.replace('"$ATHENA_DATABASE"', job["env"]["ATHENA_DATABASE"]).replace(
        '"$ATHENA_WORKGROUP"', job["env"]["ATHENA_WORKGROUP"]).split()
    assert command[:3] == [".venv/bin/python", "-m", "report"]
    args = build_parser().parse_args(command[3:])
    assert (args.stack, args.database, args.workgroup) == ("prod", job["env"]["ATHENA_DATABASE"],
                                                           job["env"]["ATHENA_WORKGROUP"])
    # docs/html-report.md shows the command the workflow runs, names filled in.
    assert f"```sh\n{' '.join(command)}\n```" in docs.section("The weekly usage-report workflow")
    (upload,) = [step for step in job["steps"] if step.get("uses", "").startswith("actions/upload-artifact@")]
    assert upload["with"]["path"] == str(args.html)
    assert upload["with"]["if-no-files-found"] == "error"
    assert 1 <= upload["with"]["retention-days"] <= 90


def test_the_usage_report_names_prods_catalog_as_the_program_does():
    from mocked_program.pulumi_mocks import run_program

    exports = run_program("prod").exports
    env = _usage_report_job()["env"]
    assert (env["ATHENA_DATABASE"], env["ATHENA_WORKGROUP"]) == (exports["athena_database_name"],
                                                                exports["athena_workgroup_name"])
