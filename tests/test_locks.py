"""Every venv the project builds installs a hash-locked closure, and nothing else: each lock holds a hash for every
package, is fresh against the requirement files it was compiled from (read from its own header, which must be what
`make lock` runs), and a built venv holds exactly the distributions its lock names. Offline: nothing is resolved or
installed here; a venv that is not built is skipped, except under CI (`make test` builds them all)."""

import re
import subprocess
from pathlib import Path

import pytest

from tests.support import prerequisites

ROOT = Path(__file__).resolve().parents[1]
# venv -> (its lock, the Python the Makefile builds it with), spelled here rather than read from the Makefile.
VENVS = {
    ".venv": ("requirements/dev.lock", "3.11"),
    ".venv-localstack": ("requirements/localstack.lock", "3.13"),
    ".venv-deploy": ("requirements/deploy.lock", "3.11"),
    "policy/venv": ("policy/requirements.lock", "3.11"),
    ".venv-usage-report": ("requirements/usage-report.lock", "3.11"),
    "component_package/venv": ("component_package/requirements.txt", "3.11"),
    ".venv-tools": ("requirements/tools.lock", "3.11"),
}
LOCKS = dict(VENVS.values()) | {"requirements/build.lock": "3.11"}
# What a venv holds besides its lock: the project's editable install, the plugin's own non-editable one.
INSTALLED_ITSELF = {".venv": {"analytics-collector"}, "component_package/venv": {"analytics-collector-components"}}
COMPILE = "uv pip compile --generate-hashes --python-platform linux"
REQUIREMENT = re.compile(r"^([A-Za-z0-9][A-Za-z0-9_.-]*)(?:\[[^\]]*\])?\s*(?:==\s*(\S+))?\s*(?:#.*)?$")


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def locked(lock: str) -> dict[str, tuple[str, list[str], list[str]]]:
    """Package -> (version, hashes, what the lock says it is there for: `-r file`, `-c file` or a package)."""
    blocks = re.findall(
        r"^([A-Za-z0-9_.-]+)==(\S+) \\\n((?:    --hash=sha256:[0-9a-f]{64}(?: \\)?\n)+)"
        r"((?:    # .*\n)*)",
        (ROOT / lock).read_text(),
        re.M,
    )
    return {
        canonical(name): (
            version,
            re.findall(r"sha256:([0-9a-f]{64})", hashes),
            [
                re.sub(r"^via\s*", "", line.strip(" #"))
                for line in via.splitlines()
                if line.strip(" #") not in ("", "via")
            ],
        )
        for name, version, hashes, via in blocks
    }


def header_command(lock: str) -> list[str]:
    match = re.search(r"^#    (uv pip compile .*)$", (ROOT / lock).read_text(), re.M)
    assert match, f"{lock} has no header naming the command that wrote it: run `make lock`"
    return match.group(1).split()


def inputs_of(lock: str) -> tuple[list[str], list[str], str]:
    """The requirement files, constraint files and Python version a lock's header names."""
    words = header_command(lock)
    assert " ".join(words).startswith(COMPILE), words
    words = iter(words[len(COMPILE.split()) :])
    files, options = [], {"-c": [], "-o": [], "--python-version": []}
    for word in words:
        if word in options:
            options[word].append(next(words))
        else:
            assert not word.startswith("-"), f"{lock}: unexpected option {word}"
            files.append(word)
    assert options["-o"] == [lock], options
    (python,) = options["--python-version"]
    return files, options["-c"], python


def direct_requirements(path: Path) -> dict[str, str | None]:
    """name -> pinned version (None when unpinned), following `-r` includes."""
    if path.name == "pyproject.toml":
        import tomllib

        lines = tomllib.loads(path.read_text())["project"]["dependencies"]
    else:
        lines = path.read_text().splitlines()
    found = {}
    for line in (line.strip() for line in lines):
        if line.startswith("-r "):
            found |= direct_requirements(path.parent / line.removeprefix("-r ").strip())
        elif line and not line.startswith("#"):
            match = REQUIREMENT.match(line)
            assert match, f"{path}: {line!r} is neither `name==version` nor a bare name"
            found[canonical(match.group(1))] = match.group(2)
    return found


@pytest.mark.parametrize("lock", LOCKS)
def test_every_package_is_pinned_with_hashes_and_the_lock_names_no_index(lock):
    text = (ROOT / lock).read_text()
    requirement_lines = [line for line in text.splitlines() if line and not line.startswith((" ", "#"))]
    packages = locked(lock)
    assert len(requirement_lines) == len(packages) > 0, requirement_lines
    assert all(hashes for _, hashes, _ in packages.values()), lock
    assert not re.search(r"^(-e|--index-url|--extra-index-url|--find-links|-r)", text, re.M), (
        "a lock names no index or other file: the installer's own config decides"
    )


@pytest.mark.parametrize("lock", LOCKS)
def test_the_lock_is_fresh_against_its_requirement_files(lock):
    files, constraints, python = inputs_of(lock)
    assert python == LOCKS[lock], f"{lock} was resolved for Python {python}; its venv runs {LOCKS[lock]}"
    direct = {}
    for name in files:
        direct |= direct_requirements(ROOT / name)
    packages = locked(lock)
    # A pin the lock does not hold at that version: the requirement changed after the lock was written.
    stale = {
        name: (version, packages.get(name, ("missing",))[0])
        for name, version in direct.items()
        if name not in packages or version not in (None, packages[name][0])
    }
    assert not stale, f"{lock} is stale against {files} (pinned, locked): {stale}; run `make lock`"
    # A package nothing current leads to: a requirement was dropped after the lock was written.
    reachable, grew = set(direct), True
    while grew:
        before = len(reachable)
        reachable |= {name for name, (_, _, via) in packages.items() if {canonical(v) for v in via} & reachable}
        grew = len(reachable) > before
    assert set(packages) <= reachable, f"{lock} holds {sorted(set(packages) - reachable)}: run `make lock`"
    for constraint in constraints:
        tested = {name: version for name, (version, _, _) in locked(constraint).items()}
        assert {name: version for name, (version, _, _) in packages.items() if name in tested} == {
            name: tested[name] for name in packages if name in tested
        }, (lock, constraint)


def test_the_locks_of_the_program_s_venvs_are_held_to_the_versions_the_tests_run():
    # The freshness test above compares each lock with its constraint files.
    for lock in (
        "requirements/deploy.lock",
        "policy/requirements.lock",
        "requirements/usage-report.lock",
        "component_package/requirements.txt",
    ):
        assert inputs_of(lock)[1] == ["requirements/dev.lock"], lock


def test_make_lock_runs_the_command_each_header_records():
    dry_run = subprocess.run(
        ["make", "--dry-run", "--always-make", "lock"], cwd=ROOT, capture_output=True, text=True, check=True, timeout=60
    ).stdout
    commands = [" ".join(line.replace("\\\n", " ").split()) for line in re.split(r"(?<!\\)\n", dry_run)]
    runs = {
        re.sub(r"^\S*uv pip compile --quiet ", "uv pip compile ", command)
        for command in commands
        if " pip compile " in command
    }
    assert runs == {" ".join(header_command(lock)) for lock in LOCKS}


def installed(venv: Path) -> dict[str, str]:
    found = {}
    for metadata in venv.glob("lib/python3.*/site-packages/*.dist-info/METADATA"):
        headers = metadata.read_text(errors="replace").split("\n\n", 1)[0]
        name = re.search(r"^Name: (.+)$", headers, re.M).group(1).strip()
        found[canonical(name)] = re.search(r"^Version: (.+)$", headers, re.M).group(1).strip()
    return found


@pytest.mark.parametrize("venv", VENVS)
def test_each_built_venv_holds_exactly_its_lock(venv):
    path = ROOT / venv
    if not (path / ".installed").exists() and not (venv == ".venv-tools" and (path / "bin" / "uv").exists()):
        prerequisites.missing(f"{venv} is not built", f"make {'setup' if venv == '.venv' else 'test'} builds it")
    lock, python = VENVS[venv]
    assert list(path.glob(f"lib/python{python}/site-packages")), f"{venv} does not run Python {python}"
    expected = {name: version for name, (version, _, _) in locked(lock).items()}
    found = {name: version for name, version in installed(path).items() if name not in INSTALLED_ITSELF.get(venv, ())}
    differing = {
        name: (found.get(name), expected.get(name))
        for name in found.keys() | expected.keys()
        if found.get(name) != expected.get(name)
    }
    assert found == expected, f"{venv} differs from {lock} (installed, locked): {differing}; `make clean test`"
    assert INSTALLED_ITSELF.get(venv, set()) <= set(installed(path)), venv


def test_the_usage_report_venv_runs_the_report():
    venv = ROOT / ".venv-usage-report"
    if not (venv / ".installed").exists():
        prerequisites.missing(".venv-usage-report is not built", "make usage-report-venv builds it")
    done = subprocess.run(
        [str(venv / "bin" / "python"), "-m", "usage_report", "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    imports = (
        "import usage_report.cli, usage_report.athena_runner, usage_report.charts, usage_report.html_report, "
        "usage_report.stack_outputs, "
        "boto3, matplotlib"
    )
    done = subprocess.run(
        [str(venv / "bin" / "python"), "-c", imports], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
