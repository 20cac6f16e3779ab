"""The deploy and preview venvs install hash-locked closures of requirements.txt and policy/requirements.txt
(`make deploy-venv`, `make policy-venv`): the locks pin what the requirement files pin, hold a hash for every
package, carry no test tool, and the reporter's archive vendors the locked fastjsonschema. Offline: nothing is
installed here."""

import importlib.metadata
import re
from pathlib import Path

import pytest

from components.reporter_code import VENDORED

ROOT = Path(__file__).resolve().parents[1]
LOCKS = {"requirements.lock": "requirements.txt", "policy/requirements.lock": "policy/requirements.txt"}
# The test tools and emulators: what requirements-dev.txt and requirements-localstack.txt pin themselves.
DEV_ONLY = ("requirements-dev.txt", "requirements-localstack.txt")


# What `python -m venv` seeds at its own version; the lock's pin is what the deploy venv upgrades it to.
VENV_SEEDS = ("setuptools", "pip")


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pins(path: Path) -> dict[str, str]:
    found = re.findall(r"^([A-Za-z0-9_.-]+)(?:\[[^\]]*\])?==(\S+)", path.read_text(), re.M)
    return {canonical(name): version for name, version in found}


def locked(path: Path) -> dict[str, list[str]]:
    """Package -> its hashes; one entry per `name==version \\` block."""
    blocks = re.findall(r"^([A-Za-z0-9_.-]+)==(\S+) \\\n((?:    --hash=sha256:[0-9a-f]{64}(?: \\)?\n)+)",
                        path.read_text(), re.M)
    return {canonical(name): re.findall(r"sha256:([0-9a-f]{64})", hashes) for name, _, hashes in blocks}


@pytest.mark.parametrize("lock", LOCKS)
def test_every_locked_package_has_hashes_and_nothing_is_unpinned(lock):
    path = ROOT / lock
    requirement_lines = [line for line in path.read_text().splitlines()
                         if line and not line.startswith((" ", "#"))]
    hashed = locked(path)
    assert len(requirement_lines) == len(hashed) == len(pins(path)) > 0, requirement_lines
    assert all(hashes for hashes in hashed.values())
    assert not any(line.startswith(("-e", "--index-url", "--extra-index-url", "--find-links", "-r"))
                   for line in requirement_lines), "a lock names no index or other file: pip's own config decides"


@pytest.mark.parametrize("lock", LOCKS)
def test_the_lock_pins_exactly_what_its_requirements_file_pins(lock):
    top_level = pins(ROOT / LOCKS[lock])
    assert top_level, LOCKS[lock]
    locked_versions = pins(ROOT / lock)
    assert {name: locked_versions.get(name) for name in top_level} == top_level


@pytest.mark.parametrize("lock", LOCKS)
def test_no_test_tool_is_in_a_deploy_venv(lock):
    # pulumi-policy is a test tool of .venv and the policy pack's own package: what the lock's file pins is no tool.
    tools = set().union(*(pins(ROOT / name) for name in DEV_ONLY)) - set(pins(ROOT / LOCKS[lock]))
    assert {"pytest", "moto", "localstack-core"} <= tools, "the requirement files were read"
    assert not set(pins(ROOT / lock)) & tools


def test_the_locks_pin_the_versions_the_tests_run():
    # The suite runs the program in .venv; what it tested is what the deploy installs.
    for lock in LOCKS:
        for name, version in pins(ROOT / lock).items():
            if name in VENV_SEEDS:
                continue
            installed = importlib.metadata.version(name)
            assert installed == version, (lock, name, installed, version)


def test_the_reporter_archive_vendors_the_locked_version():
    locked_versions = pins(ROOT / "requirements.lock")
    for distribution in VENDORED:
        assert importlib.metadata.version(distribution) == locked_versions[canonical(distribution)], distribution
