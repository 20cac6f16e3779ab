"""The deploy and preview venvs install hash-locked closures of requirements.txt and policy/requirements.txt
(`make deploy-venv`, `make policy-venv`): the locks carry no test tool, pin what the tests run, and the reporter's
archive vendors the locked fastjsonschema. tests/test_locks.py checks every lock's hashes and freshness. Offline:
nothing is installed here."""

import importlib.metadata
import re
from pathlib import Path

import pytest

from components.reporter_code import VENDORED

ROOT = Path(__file__).resolve().parents[1]
LOCKS = {"requirements/deploy.lock": "requirements.txt", "policy/requirements.lock": "policy/requirements.txt"}
# The test tools and emulators: what requirements/dev.txt and requirements/localstack.txt pin themselves.
DEV_ONLY = ("requirements/dev.txt", "requirements/localstack.txt")
# The Pulumi CLI lists a venv's packages with pip (requirements/pulumi-host.txt); .venv, built by uv, has none.
NOT_IN_THE_TEST_VENV = ("pip",)


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pins(path: Path) -> dict[str, str]:
    found = re.findall(r"^([A-Za-z0-9_.-]+)(?:\[[^\]]*\])?==(\S+)", path.read_text(), re.M)
    return {canonical(name): version for name, version in found}


@pytest.mark.parametrize("lock", LOCKS)
def test_no_test_tool_is_in_a_deploy_venv(lock):
    # pulumi-policy is a test tool of .venv and the policy pack's own package: what the lock's file pins is no tool;
    # nor are pip and setuptools, which every venv the Pulumi CLI runs holds (requirements/pulumi-host.txt).
    host = set(re.findall(r"^([A-Za-z0-9_.-]+)", (ROOT / "requirements/pulumi-host.txt").read_text(), re.M))
    tools = set().union(*(pins(ROOT / name) for name in DEV_ONLY)) - set(pins(ROOT / LOCKS[lock])) - host
    assert {"pytest", "moto", "localstack-core"} <= tools, "the requirement files were read"
    assert not set(pins(ROOT / lock)) & tools


def test_the_locks_pin_the_versions_the_tests_run():
    # The suite runs the program in .venv; what it tested is what the deploy installs.
    for lock in LOCKS:
        for name, version in pins(ROOT / lock).items():
            if name in NOT_IN_THE_TEST_VENV:
                continue
            installed = importlib.metadata.version(name)
            assert installed == version, (lock, name, installed, version)


def test_the_reporter_archive_vendors_the_locked_version():
    locked_versions = pins(ROOT / "requirements/deploy.lock")
    for distribution in VENDORED:
        assert importlib.metadata.version(distribution) == locked_versions[canonical(distribution)], distribution
