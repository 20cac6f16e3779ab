"""The house rules that keep one way through the code: the project installs itself, tooling never reaches into
the test tree, the reporter Lambda imports only what its archive ships, and the layer contract is enforced."""

import ast
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from tooling.mocked_program.pulumi_mocks import REPO

PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
# `venv`: the component package's and the policy pack's (component_package/venv, policy/venv), installed copies of
# the packages scanned here; every `.venv*` folder at the top is a venv too (the Makefile's).
SKIPPED = {"venv", "tests", "demo-output", "build"}
OUTSIDE_TESTS = [
    p
    for p in REPO.rglob("*.py")
    if not SKIPPED & set(p.relative_to(REPO).parts) and not p.relative_to(REPO).parts[0].startswith(".venv")
]
# What the reporter's archive holds besides the standard library (components/reporter_code.py vendors them).
HANDLER_IMPORTS = {"boto3", "botocore", "fastjsonschema", "contract", "handlers"}
# Of the contract, the archive ships only these modules.
SHIPPED_CONTRACT = {"contract", "contract.schemas", "contract.products", "contract.reporter", "contract.releases"}


def imported_modules(path: Path) -> set[str]:
    """Every module an import names: `from contract import schemas` names contract and contract.schemas."""
    modules = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            modules |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            modules.add(node.module)
            modules |= {f"{node.module}.{alias.name}" for alias in node.names if node.module == "contract"}
    return modules


def imported_roots(path: Path) -> set[str]:
    return {module.split(".")[0] for module in imported_modules(path)}


def test_the_scan_sees_the_code():
    names = {p.relative_to(REPO).as_posix() for p in OUTSIDE_TESTS}
    assert {
        "__main__.py",
        "handlers/daily_report.py",
        "tooling/local_cloud/applier.py",
        "tooling/benchmarks/reporter_cost.py",
    } <= names


@pytest.mark.parametrize("path", OUTSIDE_TESTS, ids=lambda p: p.relative_to(REPO).as_posix())
def test_nothing_outside_tests_imports_the_test_tree(path):
    assert "tests" not in imported_roots(path)


@pytest.mark.parametrize(
    "path",
    [p for p in OUTSIDE_TESTS if p.relative_to(REPO).parts[0] != "policy"],
    ids=lambda p: p.relative_to(REPO).as_posix(),
)
def test_no_sys_path_edits_outside_tests_and_the_policy_pack(path):
    # The Pulumi CLI starts the policy pack with only policy/ on sys.path; everything else is installed.
    assert "sys.path" not in path.read_text(encoding="utf-8")


def test_handlers_import_only_the_stdlib_and_what_the_archive_ships():
    for path in (REPO / "handlers").glob("*.py"):
        foreign = imported_roots(path) - set(sys.stdlib_module_names) - HANDLER_IMPORTS - {"__future__"}
        assert not foreign, f"{path.name} imports {sorted(foreign)}, which the Lambda archive does not ship"
        contract = {m for m in imported_modules(path) if m.split(".")[0] == "contract"}
        assert contract <= SHIPPED_CONTRACT, f"{path.name} imports {sorted(contract - SHIPPED_CONTRACT)}, not shipped"


CONTRACT_MODULES = sorted((REPO / "contract").rglob("*.py"))


@pytest.mark.parametrize("path", CONTRACT_MODULES, ids=lambda p: p.relative_to(REPO).as_posix())
def test_the_contract_imports_the_standard_library_only(path):
    # The reporter's archive, the policy pack's venv and the component package all import it.
    foreign = imported_roots(path) - set(sys.stdlib_module_names) - {"__future__", "contract"}
    assert not foreign, f"{path.relative_to(REPO)} imports {sorted(foreign)}"


def test_pyproject_dependencies_are_requirements_txt():
    pins = {
        line.strip()
        for line in (REPO / "requirements.txt").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    assert set(PYPROJECT["project"]["dependencies"]) == pins


def test_every_top_level_package_is_layered():
    # setuptools installs what it finds (every package but tests); import-linter needs them named.
    packages = {p.parent.name for p in REPO.glob("*/__init__.py")} - {"tests"}
    assert set(PYPROJECT["tool"]["importlinter"]["root_packages"]) == packages
    layered = {
        name.strip()
        for contract in PYPROJECT["tool"]["importlinter"]["contracts"]
        if contract["type"] == "layers"
        for layer in contract["layers"]
        for name in layer.split("|")
    }
    assert layered == packages


def test_layer_contract_holds():
    done = subprocess.run(
        [str(Path(sys.executable).with_name("lint-imports"))], cwd=REPO, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout[-3000:]
    assert "0 broken" in done.stdout


def test_the_plugin_venv_is_rebuilt_when_any_shipped_package_changes():
    # The Makefile's PLUGIN_SOURCES names the shipped packages again; a package missing there would leave the
    # plugin's venv stale when only that package changes.
    plugin = tomllib.loads((REPO / "component_package" / "pyproject.toml").read_text(encoding="utf-8"))
    (found,) = re.findall(r"^PLUGIN_SOURCES := .*\\\n\t\$\(shell find ([\w/ ]+)", (REPO / "Makefile").read_text(), re.M)
    folders = found.split()
    # component_package's own files are listed on the line before.
    shipped = {p.replace(".", "/") for p in plugin["tool"]["setuptools"]["packages"]} - {"component_package"}
    assert folders and set(folders) <= shipped
    assert all(any(p == f or p.startswith(f"{f}/") for f in folders) for p in shipped), sorted(shipped)
