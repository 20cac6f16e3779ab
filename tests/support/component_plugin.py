"""The component package's plugin in the tests: its venv or a skip (a failure under CI), and how registrations
compare (the plugin and its engine: mocked_program/plugin_engine.py)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pulumi
import pytest

from mocked_program.plugin_engine import PLUGIN_PYTHON
from mocked_program.pulumi_mocks import REPO
from tests.support.browser import under_ci

MAKE_COMMAND = "make plugin-venv"


def require_plugin_venv() -> Path:
    """The plugin's venv, or a skip (a failure under CI) that says how to build it."""
    if PLUGIN_PYTHON.exists():
        return PLUGIN_PYTHON
    message = f"the component package tests need {PLUGIN_PYTHON.relative_to(REPO)}: run `{MAKE_COMMAND}`"
    if under_ci():
        pytest.fail(f"{message}. Under CI it must run, not skip (`make test` builds it).", pytrace=False)
    pytest.skip(message)


def without_stack(urn: str) -> str:
    """A URN without the root stack in its type chain: in-process, the mocks have a stack resource or not
    depending on what ran before."""
    return urn.replace("::pulumi:pulumi:Stack$", "::")


def comparable(value):
    """Inputs with assets reduced to their content: the plugin's files live in its venv, the tests' in the
    checkout, and the same bytes must ship from both."""
    if isinstance(value, pulumi.FileAsset):
        return ("FileAsset", hashlib.sha256(Path(value.path).read_bytes()).hexdigest())
    if isinstance(value, pulumi.AssetArchive):
        return ("AssetArchive", {k: comparable(v) for k, v in value.assets.items()})
    if isinstance(value, dict):
        return {k: comparable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [comparable(v) for v in value]
    return value


def file_assets(value) -> list[tuple[str, pulumi.FileAsset]]:
    """(archive path or '', asset) for every FileAsset in a registration's inputs."""
    found = []
    if isinstance(value, pulumi.FileAsset):
        found.append(("", value))
    elif isinstance(value, pulumi.AssetArchive):
        for key, inner in value.assets.items():
            found += [(path or key, asset) for path, asset in file_assets(inner)]
    elif isinstance(value, dict):
        for inner in value.values():
            found += file_assets(inner)
    elif isinstance(value, list):
        for inner in value:
            found += file_assets(inner)
    return found
