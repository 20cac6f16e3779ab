"""LocalStack for one test module, through the emulator's own context manager (it stops on any way out)."""

from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from tooling.local_cloud.emulator import LocalCloud, LocalCloudError


@contextmanager
def running_local_cloud() -> Iterator[LocalCloud]:
    """A start failure fails the test, never skips it: CI must run these."""
    try:
        with LocalCloud() as cloud:
            yield cloud
    except LocalCloudError as error:
        pytest.fail(f"LocalStack could not start: {error}", pytrace=False)
