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
    found = sorted(WORKFLOWS.glob("*.yml"))
    # Each test below loops over these: an empty list would let every one of them pass unread.
    assert len(found) >= 5, f"the workflows were not found in {WORKFLOWS}"
    return found


def _actionlint() -> str:
    # The binary ships inside the pinned wheel, next to this interpreter.
    beside_python = Path(sys.executable).parent / "actionlint"
    found = str(beside_python) if beside_python.exists() else shutil.which("actionlint")
    assert found, "actionlint is not installed: run `make setup` (requirements/dev.txt pins it)"
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
    result = subprocess.run(
        [_actionlint(), "-no-color", "-format", "{{json .}}", *files],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    problems = json.loads(result.stdout or "[]")
    assert problems == [], "\n".join(f"{p['filepath']}:{p['line']}: {p['message']}" for p in problems)
    assert result.returncode == 0, result.stderr


def test_actionlint_catches_a_broken_workflow(tmp_path):
    # Guards against a linter that silently checks nothing (wrong folder, no files found).
    broken = (WORKFLOWS / "pulumi-stack.yml").read_text().replace("inputs.stack }}", "inputs.stak }}")
    broken_file = tmp_path / ".github" / "workflows" / "pulumi-stack.yml"
    broken_file.parent.mkdir(parents=True)
    broken_file.write_text(broken)
    result = subprocess.run(
        [_actionlint(), "-no-color", "-format", "{{json .}}", str(broken_file)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
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
        for key_name in (
            "AWS_ACCESS_KEY_ID",
            "AWS_SECRET_ACCESS_KEY",
            "aws-access-key-id",
            "aws-secret-access-key",
            "AWS_SESSION_TOKEN",
        ):
            assert key_name not in text, f"{path.name} references {key_name}"


def test_workflows_default_to_read_only_tokens():
    for path in _workflow_files():
        assert _load(path.name).get("permissions") in (None, {"contents": "read"}), path.name
    assert _load("pull-request.yml")["permissions"] == {"contents": "read"}
    assert _load("deploy.yml")["permissions"] == {"contents": "read"}


def test_checkouts_do_not_persist_the_token():
    checkouts = 0
    for path in _workflow_files():
        for job in _load(path.name)["jobs"].values():
            for step in job.get("steps", []):
                if step.get("uses", "").startswith("actions/checkout@"):
                    checkouts += 1
                    assert step["with"]["persist-credentials"] is False, path.name
    assert checkouts >= 3, "no checkout step found: the workflows were not read"


def test_aws_credentials_come_from_oidc_role_assumption():
    job = _load("pulumi-stack.yml")["jobs"]["pulumi"]
    credential_steps = [
        step for step in job["steps"] if step.get("uses", "").startswith("aws-actions/configure-aws-credentials@")
    ]
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


def test_pull_requests_are_tested_then_previewed_on_staging_only_behind_the_preview_environment():
    workflow = _load("pull-request.yml")
    assert workflow["on"] == {"pull_request": {"branches": ["main"]}}
    preview = workflow["jobs"]["preview"]
    assert preview["needs"] == "test"
    assert workflow["jobs"]["test"]["uses"] == "./.github/workflows/tests.yml"
    # A fork's pull request is tested but not previewed: GitHub gives it neither an OIDC token nor secrets.
    assert preview["if"] == "github.event.pull_request.head.repo.full_name == github.repository"
    assert "if" not in workflow["jobs"]["test"]
    assert (preview["with"]["command"], preview["with"]["stack"]) == ("preview", "staging")
    # Its required reviewers approve each run: the job holds staging's preview role and passphrase.
    assert preview["with"]["environment"] == "preview-staging"
    # Prod's passphrase lives in `production` alone; no pull request job names it, a deploy environment or prod.
    calls = [call for file_name, _, call in _stack_calls() if file_name == "pull-request.yml"]
    assert {(call["with"]["stack"], call["with"]["environment"]) for call in calls} == {("staging", "preview-staging")}
    assert all("environment" not in job for job in workflow["jobs"].values())


def test_the_job_that_runs_the_branchs_code_cannot_write_to_the_repository():
    jobs = _load("pull-request.yml")["jobs"]
    assert jobs["preview"]["permissions"] == {"contents": "read", "id-token": "write"}
    assert "permissions" not in jobs["test"] or "write" not in str(jobs["test"]["permissions"])
    # The commenting job writes, and so runs nothing of the branch: no checkout, no action, no repository script.
    comment = jobs["comment"]
    assert comment["permissions"] == {"pull-requests": "write"}
    assert comment["needs"] == "preview"
    assert all("uses" not in step for step in comment["steps"])
    (step,) = comment["steps"]
    assert "./" not in step["run"] and ".ci/" not in step["run"] and "python" not in step["run"]
    assert step["env"]["COUNTS"] == "${{ needs.preview.outputs.counts }}"
    assert "tonumber" in step["run"], "only numbers from the preview reach the comment"
    assert "${{" not in step["run"], "expressions reach the script through env only"


def test_the_comment_shows_change_counts_only():
    pulumi_step = _pulumi_step()
    assert pulumi_step["with"]["comment-on-pr"] is False
    assert "diff" not in pulumi_step["with"], "a diff prints resource properties into a public log"
    workflow = _load("pulumi-stack.yml")
    assert workflow["on"]["workflow_call"]["outputs"]["counts"]["value"] == "${{ jobs.pulumi.outputs.counts }}"
    steps = workflow["jobs"]["pulumi"]["steps"]
    (count,) = [step for step in steps if step.get("id") == "counts"]
    assert count["env"]["PREVIEW_OUTPUT"] == "${{ steps.pulumi.outputs.output }}"
    assert "python .ci/preview-counts" in count["run"]


PREVIEW_OUTPUT = (
    "Previewing update (staging):\n     Type   Name   Plan\n"
    " +   aws:iam/role:Role  reporter-role  create\n"
    '        arn: "arn:aws:iam::123456789012:role/reporter-role-1"\n    alarmEmail: "ops@example.com"\n\n'
    "Resources:\n    + 2 to create\n    ~ 1 to update\n    +-1 to replace\n    - 3 to delete\n"
    "    40 unchanged\n\nDuration: 3s\n"
)


def _preview_counts(output: str) -> str:
    return subprocess.run(
        [sys.executable, str(ROOT / ".ci" / "preview-counts")],
        input=output,
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    ).stdout


def test_the_preview_counts_script_keeps_numbers_and_drops_everything_else():
    counts = _preview_counts(PREVIEW_OUTPUT)
    assert json.loads(counts) == {"create": 2, "update": 1, "replace": 1, "delete": 3, "same": 40}
    for secret in ("123456789012", "ops@example.com", "reporter-role"):
        assert secret not in counts


def test_main_deploys_staging_then_prod_behind_the_production_environment():
    workflow = _load("deploy.yml")
    assert workflow["on"] == {"push": {"branches": ["main"]}}
    jobs = workflow["jobs"]
    assert jobs["staging"]["needs"] == "test"
    assert (jobs["staging"]["with"]["command"], jobs["staging"]["with"]["stack"]) == ("up", "staging")
    # The approver reads prod's preview (with the policy pack) before approving; nothing changes prod until then.
    assert jobs["prod-preview"]["needs"] == "staging"
    assert jobs["prod-preview"]["with"] == {"command": "preview", "stack": "prod", "environment": "production-preview"}
    assert jobs["prod"]["needs"] == "prod-preview"
    assert jobs["prod"]["with"] == {"command": "up", "stack": "prod", "environment": "production"}


def test_updates_refresh_first_and_previews_do_not():
    # A refresh reads every resource, so a role's trust or a key's policy changed outside Pulumi shows in the
    # update's log and is put back; the preview roles read state only.
    assert _pulumi_step()["with"]["refresh"] == "${{ inputs.command == 'up' }}"


def test_every_stack_the_workflows_name_has_its_stack_file():
    named = {call["with"]["stack"] for _, _, call in _stack_calls()}
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
    assert f"{pack}/{pack_config['runtime']['options']['virtualenv']}" == _make_variables()["POLICY_VENV"]
    assert "policy-venv" in _venv_step()


def _make_variables() -> dict[str, str]:
    return dict(re.findall(r"^(\w+) :?= (.+)$", (ROOT / "Makefile").read_text(), re.M))


def _venv_step() -> str:
    steps = _load("pulumi-stack.yml")["jobs"]["pulumi"]["steps"]
    (run,) = [step["run"] for step in steps if "make " in step.get("run", "")]
    return run


def test_deploys_and_previews_run_in_hash_locked_venvs_without_the_test_tools():
    assert _venv_step() == "make deploy-venv policy-venv PYTHON=python"
    variables = _make_variables()
    makefile = (ROOT / "Makefile").read_text()
    # uv installs exactly the lock, refusing a package without a hash (tests/test_locks.py compares the venvs).
    assert variables["SYNC"].split()[1:4] == ["pip", "sync", "--quiet"] and "--require-hashes" in variables["SYNC"]
    assert variables["LOCKS"] == "requirements"
    for venv, lock in (
        (variables["DEPLOY_VENV"], "$(LOCKS)/deploy.lock"),
        (variables["POLICY_VENV"], "policy/requirements.lock"),
    ):
        (recipe,) = re.findall(rf"^\$\((\w+)\)/\.installed: {re.escape(lock)} \$\(UV\)\n((?:\t.*\n)+)", makefile, re.M)
        assert variables[recipe[0]] == venv
        installs = [line for line in recipe[1].splitlines() if "install" in line or "SYNC" in line]
        assert installs == [f"\t$(SYNC) $({recipe[0]})/bin/python {lock}"]
    project = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())
    assert project["runtime"]["options"]["virtualenv"] == variables["DEPLOY_VENV"] != variables["VENV"]
    assert "make setup" not in (WORKFLOWS / "pulumi-stack.yml").read_text()


def test_no_workflow_keeps_a_dependency_cache():
    # A cache a pull request's job writes would be restored into a deploy or the usage report's job.
    for path in _workflow_files():
        for job in _load(path.name)["jobs"].values():
            for step in job.get("steps", []):
                assert not step.get("uses", "").startswith("actions/cache"), path.name
                assert "cache" not in step.get("with", {}), (path.name, step.get("uses"))


def test_the_cli_version_step_reads_the_sdk_pin(tmp_path):
    steps = _load("pulumi-stack.yml")["jobs"]["pulumi"]["steps"]
    (step,) = [step for step in steps if step.get("id") == "versions"]
    output_file = tmp_path / "github_output"
    subprocess.run(
        ["bash", "-euo", "pipefail", "-c", step["run"]],
        cwd=ROOT,
        check=True,
        timeout=30,
        env={**os.environ, "GITHUB_OUTPUT": str(output_file)},
    )
    pins = dict(
        line.split("==")
        for line in (ROOT / "requirements.txt").read_text().splitlines()
        if "==" in line and not line.startswith("#")
    )
    assert output_file.read_text() == f"pulumi={pins['pulumi']}\n"
    assert _pulumi_step()["with"]["pulumi-version"] == "${{ steps.versions.outputs.pulumi }}"


def _trust_subjects() -> dict[str, list[str]]:
    subjects = {}
    for path in sorted(TRUST_POLICIES.glob("*-trust-policy.json")):
        (statement,) = json.loads(path.read_text())["Statement"]
        assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
        assert statement["Principal"]["Federated"].endswith(":oidc-provider/token.actions.githubusercontent.com")
        exact = statement["Condition"]["StringEquals"]
        assert exact["token.actions.githubusercontent.com:aud"] == "sts.amazonaws.com"
        # A StringLike sub would let other environments or refs in; only a pull request's workflow ref may vary.
        assert "token.actions.githubusercontent.com:sub" not in statement["Condition"].get("StringLike", {})
        sub = exact["token.actions.githubusercontent.com:sub"]
        subjects[path.name] = [sub] if isinstance(sub, str) else sub
    return subjects


def _environments_used() -> set[str]:
    """Every GitHub environment a job names, directly or through the stack workflow's input."""
    used = {call["with"]["environment"] for _, _, call in _stack_calls()}
    for path in _workflow_files():
        used |= {
            job["environment"]
            for job in _load(path.name)["jobs"].values()
            if "environment" in job and "${{" not in job["environment"]
        }
    return used


def test_trust_policies_admit_exactly_the_environments_the_workflows_use():
    subjects = _trust_subjects()
    parsed = {
        name: {re.fullmatch(r"repo:OWNER/REPO:environment:([\w-]+):event_name:(\w+)", sub).groups() for sub in subs}
        for name, subs in subjects.items()
    }
    environment_of = {name: {environment for environment, _ in pairs} for name, pairs in parsed.items()}
    trusted = set().union(*environment_of.values())
    assert (
        trusted
        == _environments_used()
        == {"preview-staging", "staging", "production-preview", "production", "usage-report"}
    )
    # One role per environment, and no environment admitted by two roles: staging's job cannot assume prod's role.
    assert all(len(environments) == 1 for environments in environment_of.values())
    assert len(trusted) == len(subjects)
    assert parsed["preview-role-trust-policy.json"] == {("preview-staging", "pull_request")}
    assert parsed["usage-report-role-trust-policy.json"] == {
        ("usage-report", "schedule"),
        ("usage-report", "workflow_dispatch"),
    }


def test_each_deploy_environment_is_used_by_main_deploys_of_the_stack_workflow_only():
    calls = {call["with"]["environment"]: (file_name, call) for file_name, _, call in _stack_calls()}
    for environment, stack in (("staging", "staging"), ("production", "prod")):
        file_name, call = calls[environment]
        assert file_name == "deploy.yml" and (call["with"]["command"], call["with"]["stack"]) == ("up", stack)
        (statement,) = json.loads((TRUST_POLICIES / f"deploy-{environment}-role-trust-policy.json").read_text())[
            "Statement"
        ]
        workflow_ref = statement["Condition"]["StringEquals"]["token.actions.githubusercontent.com:job_workflow_ref"]
        assert workflow_ref == f"OWNER/REPO/{STACK_WORKFLOW.removeprefix('./')}@refs/heads/main"
    assert _load("deploy.yml")["on"] == {"push": {"branches": ["main"]}}
    assert calls["preview-staging"][0] == "pull-request.yml"
    assert calls["production-preview"][0] == "deploy.yml"


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
    shipped = json.loads((TRUST_POLICIES / "deploy-staging-role-trust-policy.json").read_text())
    assert json.loads(block) == shipped


def test_the_test_job_installs_every_python_the_makefile_uses():
    makefile = (ROOT / "Makefile").read_text()
    wanted = set(re.findall(r"^\w*PYTHON \?= python(3\.\d+)$", makefile, re.M))
    assert "3.11" in wanted
    (setup,) = [
        step
        for step in _load("tests.yml")["jobs"]["test"]["steps"]
        if step.get("uses", "").startswith("actions/setup-python@")
    ]
    assert set(setup["with"]["python-version"].split()) == wanted
    runs = [step["run"] for step in _load("tests.yml")["jobs"]["test"]["steps"] if "run" in step]
    assert runs == [".ci/install-test-tools", "make test"]


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
    (credentials,) = [
        step for step in job["steps"] if step.get("uses", "").startswith("aws-actions/configure-aws-credentials@")
    ]
    assert credentials["with"]["role-to-assume"] == "${{ vars.AWS_ROLE_ARN }}"
    assert "secrets." not in (WORKFLOWS / "usage-report.yml").read_text()


def test_the_usage_report_runs_the_report_cli_and_keeps_its_page():
    from usage_report.cli import build_parser

    job = _usage_report_job()
    (run,) = [step["run"] for step in job["steps"] if "-m usage_report" in step.get("run", "")]
    command = (
        run.replace('"$ATHENA_DATABASE"', job["env"]["ATHENA_DATABASE"])
        .replace('"$ATHENA_WORKGROUP"', job["env"]["ATHENA_WORKGROUP"])
        .split()
    )
    assert command[:3] == [".venv-usage-report/bin/python", "-m", "usage_report"]
    # Its own locked venv, with only what the report imports (tests/test_locks.py compares it with its lock).
    assert _make_variables()["USAGE_REPORT_VENV"] == ".venv-usage-report"
    assert [step["run"] for step in job["steps"] if "make " in step.get("run", "")] == [
        "make usage-report-venv PYTHON=python"
    ]
    args = build_parser().parse_args(command[3:])
    assert (args.stack, args.database, args.workgroup) == (
        "prod",
        job["env"]["ATHENA_DATABASE"],
        job["env"]["ATHENA_WORKGROUP"],
    )
    # docs/html-report.md shows the command the workflow runs, names filled in.
    assert f"```sh\n{' '.join(command)}\n```" in docs.section("The weekly usage-report workflow")
    (upload,) = [step for step in job["steps"] if step.get("uses", "").startswith("actions/upload-artifact@")]
    assert upload["with"]["path"] == str(args.html)
    assert upload["with"]["if-no-files-found"] == "error"
    assert 1 <= upload["with"]["retention-days"] <= 90


def test_the_usage_report_names_prods_catalog_as_the_program_does():
    from tests.support.shared_runs import shared_run

    exports = shared_run("prod").exports
    env = _usage_report_job()["env"]
    assert (env["ATHENA_DATABASE"], env["ATHENA_WORKGROUP"]) == (
        exports["athena_database_name"],
        exports["athena_workgroup_name"],
    )


def _run_with_stand_in_gh(tmp_path, step: dict, gh: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    """Runs a workflow step's script as Actions does, with `env` only and the shell script `gh` in place of gh."""
    stand_in = tmp_path / "gh"
    stand_in.write_text(gh)
    stand_in.chmod(0o755)
    return subprocess.run(
        ["bash", "-eo", "pipefail", "-c", step["run"]],
        env={"PATH": f"{tmp_path}:/usr/bin:/bin", "GH_TOKEN": "t", **env},
        capture_output=True,
        text=True,
        timeout=30,
    )


def _comment_body(tmp_path, counts: str) -> subprocess.CompletedProcess:
    """Runs the comment job's script with a stand-in `gh` that records the body it was given."""
    (step,) = _load("pull-request.yml")["jobs"]["comment"]["steps"]
    gh = '#!/bin/sh\nwhile [ "$1" != "--body" ]; do shift; done\nprintf "%s" "$2" > "$BODY_FILE"\n'
    env = {
        "BODY_FILE": str(tmp_path / "body"),
        "COUNTS": counts,
        "PULL_REQUEST": "7",
        "GH_REPO": "o/r",
        "RUN_URL": "https://example.invalid/run",
    }
    return _run_with_stand_in_gh(tmp_path, step, gh, env)


def test_the_comment_job_accepts_every_kind_of_change_the_preview_step_counts(tmp_path):
    # The comment job checks out nothing, so its jq spells the kinds again: they must be preview-counts' own.
    done = _comment_body(tmp_path, _preview_counts(PREVIEW_OUTPUT))
    assert done.returncode == 0, done.stderr
    assert (
        (tmp_path / "body")
        .read_text()
        .startswith("**pulumi preview (staging):** 2 create, 3 delete, 1 replace, 40 same, 1 update.")
    )


def test_the_comment_job_writes_numbers_and_kinds_of_change_only(tmp_path):
    done = _comment_body(tmp_path, '{"create": 2, "same": 40}')
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "body").read_text().startswith("**pulumi preview (staging):** 2 create, 40 same.")
    # The branch's code wrote COUNTS: a word in a key or a value stops the job before anything is posted.
    for hostile in (
        '{"create": 2, "[click here](https://evil.example)": 1}',
        '{"create": "two"}',
        '{"create": "1 see https://evil.example"}',
    ):
        (tmp_path / "body").unlink(missing_ok=True)
        done = _comment_body(tmp_path, hostile)
        assert done.returncode != 0 and not (tmp_path / "body").exists(), hostile


# ---- releases ----

RULESET = {
    "id": 7,
    "target": "tag",
    "enforcement": "active",
    "conditions": {"ref_name": {"include": ["refs/tags/v*"], "exclude": []}},
    "rules": [{"type": "creation"}, {"type": "update"}, {"type": "deletion"}],
}


def _provenance_step(tmp_path, name: str, answers: dict) -> subprocess.CompletedProcess:
    """Runs one step of the release's provenance job with a stand-in `gh api` that answers from `answers`."""
    (step,) = [s for s in _load("release.yml")["jobs"]["provenance"]["steps"] if s["name"].startswith(name)]
    for path, answer in answers.items():
        (tmp_path / path.replace("/", "_").replace("?", "_")).write_text(json.dumps(answer))
    gh = (
        '#!/bin/sh\n[ "$1" = api ] && [ "$3" = --jq ] || exit 2\n'
        'file="$ANSWERS/$(printf %s "$2" | tr "/?" "__")"\n[ -f "$file" ] || exit 1\n'
        'exec jq -r "$4" "$file"\n'
    )
    env = {"ANSWERS": str(tmp_path), "GITHUB_REPOSITORY": "o/r", "GITHUB_SHA": "abc123", "GITHUB_REF_NAME": "v1.2.3"}
    return _run_with_stand_in_gh(tmp_path, step, gh, env)


def test_a_release_refuses_a_tag_whose_commit_is_not_on_main(tmp_path):
    compare = "repos/o/r/compare/main...abc123"
    for status, released in (("identical", True), ("behind", True), ("ahead", False), ("diverged", False)):
        done = _provenance_step(tmp_path, "Refuse a tag whose commit is not on main", {compare: {"status": status}})
        assert (done.returncode == 0) == released, (status, done.stdout, done.stderr)
    assert "abc123, which is not on main" in done.stdout


def test_a_release_refuses_while_v_tags_can_be_moved_or_deleted(tmp_path):
    listing = "repos/o/r/rulesets?targets=tag"
    step = "Refuse to release while the ruleset that keeps v* tags in place is missing"
    assert _provenance_step(tmp_path, step, {listing: [{"id": 7}], "repos/o/r/rulesets/7": RULESET}).returncode == 0
    for case, ruleset in {
        "evaluate only": {**RULESET, "enforcement": "evaluate"},
        "other tags": {**RULESET, "conditions": {"ref_name": {"include": ["refs/tags/x*"]}}},
        "updates allowed": {**RULESET, "rules": [{"type": "deletion"}]},
        "deletions allowed": {**RULESET, "rules": [{"type": "update"}]},
    }.items():
        done = _provenance_step(tmp_path, step, {listing: [{"id": 7}], "repos/o/r/rulesets/7": ruleset})
        assert done.returncode != 0, case
        assert "restricts updates and deletions of refs/tags/v*" in done.stdout, case
    assert _provenance_step(tmp_path, step, {listing: []}).returncode != 0


def test_a_release_is_tested_only_once_its_tag_is_on_main_and_protected():
    jobs = _load("release.yml")["jobs"]
    assert jobs["tests"]["needs"] == ["version", "provenance"]
    assert "permissions" not in jobs["provenance"] and _load("release.yml")["permissions"] == {"contents": "read"}
    assert all("uses" not in step for step in jobs["provenance"]["steps"]), "no checkout: nothing of the tag runs"


def _setup_block(command: str) -> str:
    """The JSON the setup steps feed to `gh api ... <command> --input -`."""
    text = docs.section("What to set up once")
    return re.search(rf"{re.escape(command)} --input - <<'EOF'\n(.*?)\n\s*EOF", text, re.S).group(1)


def test_the_docs_set_the_oidc_subject_template_the_trust_policies_expect():
    # AWS STS validates no event_name claim; the subject carries it once the repository's template includes it.
    template = json.loads(_setup_block("gh api -X PUT repos/OWNER/REPO/actions/oidc/customization/sub"))
    assert template == {"use_default": False, "include_claim_keys": ["repo", "context", "event_name"]}


def test_the_docs_create_the_tag_ruleset_the_release_requires(tmp_path):
    ruleset = json.loads(_setup_block("gh api -X POST repos/OWNER/REPO/rulesets"))
    assert ruleset["target"] == "tag" and ruleset["enforcement"] == "active"
    assert ruleset["conditions"]["ref_name"]["include"] == ["refs/tags/v*"]
    assert {"update", "deletion"} <= {rule["type"] for rule in ruleset["rules"]}
    step = "Refuse to release while the ruleset that keeps v* tags in place is missing"
    done = _provenance_step(
        tmp_path, step, {"repos/o/r/rulesets?targets=tag": [{"id": 7}], "repos/o/r/rulesets/7": {"id": 7, **ruleset}}
    )
    assert done.returncode == 0, done.stdout + done.stderr


# ---- the weekly lock refresh ----


def test_the_lock_refresh_resolves_read_only_then_tests_the_pushed_branch_before_proposing_it():
    workflow = _load("lock-refresh.yml")
    assert "workflow_dispatch" in workflow["on"] and workflow["on"]["schedule"]
    jobs = workflow["jobs"]
    # The job that runs PyPI's code (source builds) holds the read-only default token.
    assert "permissions" not in jobs["resolve"]
    assert [step["run"] for step in jobs["resolve"]["steps"] if "make " in step.get("run", "")] == [
        "make lock UPGRADE=--upgrade PYTHON=python3.11"
    ]
    # The job that can write runs no repository code and no package: git on the patch alone.
    assert jobs["push"]["permissions"] == {"contents": "write"}
    push_runs = "\n".join(step.get("run", "") for step in jobs["push"]["steps"])
    assert not re.search(r"(^|[;&|(]\s*)(make|python\S*|uv|\S*/bin/\S+)\s", push_runs, re.M), push_runs
    # GITHUB_TOKEN's pull request starts no workflow: the suite runs here, on the pushed commit, first.
    assert jobs["test"]["uses"] == "./.github/workflows/tests.yml"
    assert jobs["test"]["with"]["ref"] == "${{ needs.push.outputs.sha }}"
    (checkout,) = [
        step
        for step in _load("tests.yml")["jobs"]["test"]["steps"]
        if step.get("uses", "").startswith("actions/checkout@")
    ]
    assert checkout["with"]["ref"] == "${{ inputs.ref }}"
    assert set(jobs["pull-request"]["needs"]) == {"push", "test"}
    assert jobs["pull-request"]["permissions"] == {"pull-requests": "write"}
    assert all("uses" not in step for step in jobs["pull-request"]["steps"])


def _apply_lock_patch(repo: Path, patch: str) -> subprocess.CompletedProcess:
    (step,) = [
        step for step in _load("lock-refresh.yml")["jobs"]["push"]["steps"] if step.get("name", "").startswith("Apply")
    ]
    encoded = subprocess.run(
        "gzip -9 | base64 -w0", shell=True, input=patch.encode(), capture_output=True, check=True, timeout=30
    ).stdout.decode()
    env = {"PATH": os.environ["PATH"], "PATCH": encoded, "RUNNER_TEMP": str(repo.parent)}
    return subprocess.run(
        ["bash", "-eo", "pipefail", "-c", step["run"]], cwd=repo, env=env, capture_output=True, text=True, timeout=30
    )


def test_the_lock_refresh_pushes_a_patch_of_the_lock_files_and_nothing_else(tmp_path):
    repo = tmp_path / "repo"
    (repo / "requirements").mkdir(parents=True)
    (repo / "requirements" / "dev.lock").write_text("pytest==9.2.0\n")
    (repo / "Makefile").write_text("test:\n")
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid"]
    subprocess.run(["git", "init", "--quiet"], cwd=repo, check=True, timeout=30)
    subprocess.run([*git, "add", "."], cwd=repo, check=True, timeout=30)
    subprocess.run([*git, "commit", "--quiet", "-m", "base"], cwd=repo, check=True, timeout=30)

    def patch_of(path: str, text: str) -> str:
        (repo / path).write_text(text)
        diff = subprocess.run(
            ["git", "diff", "--binary"], cwd=repo, capture_output=True, text=True, check=True, timeout=30
        ).stdout
        subprocess.run(["git", "checkout", "--quiet", "."], cwd=repo, check=True, timeout=30)
        return diff

    lock_patch = patch_of("requirements/dev.lock", "pytest==9.3.0\n")
    hostile = lock_patch + patch_of("Makefile", "test:\n\tcurl https://evil.example\n")
    refused = _apply_lock_patch(repo, hostile)
    assert refused.returncode != 0 and "Makefile" in refused.stdout
    assert (repo / "Makefile").read_text() == "test:\n"
    done = _apply_lock_patch(repo, lock_patch)
    assert done.returncode == 0, done.stderr
    assert (repo / "requirements" / "dev.lock").read_text() == "pytest==9.3.0\n"
