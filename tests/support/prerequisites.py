"""A test whose prerequisite is missing: a developer gets a skip that says what to build or install; under CI
(`CI=true`, which GitHub Actions and `.ci/run` set) it fails, so nothing is silently left untested."""

from __future__ import annotations

import os
from typing import NoReturn

import pytest


def under_ci(environ: dict[str, str] | None = None) -> bool:
    environ = os.environ if environ is None else environ
    return environ.get("CI", "").lower() in ("true", "1")


def missing(message: str, how: str, environ: dict[str, str] | None = None) -> NoReturn:
    """`how` says what provides it under CI."""
    if under_ci(environ):
        pytest.fail(f"{message}. Under CI it must run, not skip ({how}).", pytrace=False)
    pytest.skip(message)
