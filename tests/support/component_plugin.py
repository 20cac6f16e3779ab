"""The component package's plugin in the tests: its venv or a skip (a failure under CI), and how registrations
compare (the plugin and its engine: tooling/mocked_program/plugin_engine.py)."""

from __future__ import annotations

import base64
import csv
import hashlib
from pathlib import Path

import pulumi

from tests.support import prerequisites
from tooling.mocked_program.plugin_engine import PLUGIN_PYTHON
from tooling.mocked_program.pulumi_mocks import REPO

MAKE_COMMAND = "make plugin-venv"


def require_plugin_venv() -> Path:
    """The plugin's venv, or a skip (a failure under CI) that says how to build it."""
    if PLUGIN_PYTHON.exists():
        stale = stale_files()
        if not stale:
            return PLUGIN_PYTHON
        message = (
            f"{PLUGIN_PYTHON.relative_to(REPO)} ships other bytes than the checkout for {', '.join(stale[:5])}: "
            f"run `{MAKE_COMMAND}`"
        )
    else:
        message = f"the component package tests need {PLUGIN_PYTHON.relative_to(REPO)}: run `{MAKE_COMMAND}`"
    prerequisites.missing(message, "`make test` builds it")


def _record_digest(data: bytes) -> str:
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def stale_files() -> list[str]:
    """Files the plugin's venv installed that differ from the checkout, or checkout files it lacks: the plugin
    runs its installed copy, so comparing it with the checkout's classes needs the two to be the same bytes."""
    (record,) = PLUGIN_PYTHON.parents[1].glob("lib/python*/site-packages/analytics_collector_components-*/RECORD")
    installed = {path: digest for path, digest, _ in csv.reader(record.read_text().splitlines())}
    # Each installed package folder, and in the checkout the files of its kinds there (component_package/ also holds
    # the plugin's own PulumiPlugin.yaml, pyproject.toml, venv/ and build/, which are not installed).
    kinds: dict[str, set[str]] = {}
    for path in installed:
        if "/" in path and ".dist-info" not in path and "__pycache__" not in path:
            kinds.setdefault(path.rpartition("/")[0], set()).add(Path(path).suffix)
    shipped = {
        str(p.relative_to(REPO))
        for folder, suffixes in kinds.items()
        for p in (REPO / folder).iterdir()
        if p.is_file() and p.suffix in suffixes | {".py"}
    }
    changed = [
        path
        for path in sorted(shipped & set(installed))
        if installed[path] != _record_digest((REPO / path).read_bytes())
    ]
    missing = sorted(shipped - set(installed))
    return changed + missing


def without_stack(urn: str) -> str:
    """A URN without the root stack in its type chain: in-process, the mocks have a stack resource or not
    depending on what ran before."""
    return urn.replace("::pulumi:pulumi:Stack$", "::")


def comparable(value):
    """Inputs with assets reduced to their content: the plugin's files live in its venv, the tests' in the
    checkout, and the same bytes must ship from both."""
    if isinstance(value, pulumi.FileAsset):
        return ("FileAsset", hashlib.sha256(Path(value.path).read_bytes()).hexdigest())
    if isinstance(value, pulumi.StringAsset):
        return ("StringAsset", value.text)
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
