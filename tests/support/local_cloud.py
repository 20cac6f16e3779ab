"""LocalStack through the emulator's own context manager (it stops on any way out), and the deployment the product
tests share: started once per test session (per xdist worker) when a test asks for it, since a start costs seconds.
tests/conftest.py registers this module's fixtures."""

from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from tests.support.made_up_product import config_with_products
from tooling.local_cloud.applier import LocalDeployment, deploy_ingest_path
from tooling.local_cloud.emulator import LocalCloud, LocalCloudError


@contextmanager
def running_local_cloud() -> Iterator[LocalCloud]:
    """A start failure fails the test, never skips it: CI must run these."""
    try:
        with LocalCloud() as cloud:
            yield cloud
    except LocalCloudError as error:
        pytest.fail(f"LocalStack could not start: {error}", pytrace=False)


@pytest.fixture(scope="session")
def two_products_cloud() -> Iterator[LocalCloud]:
    """LocalStack holding the dev stack that serves the default product and the made-up one (two_products)."""
    with running_local_cloud() as cloud:
        yield cloud


@pytest.fixture(scope="session")
def two_products(two_products_cloud: LocalCloud) -> LocalDeployment:
    """The dev stack serving the default product and the made-up one, deployed once for every module posting to it
    (each test tells its reports apart by their stack ids). Another stack of the program cannot share the emulator:
    its resources would take the same names."""
    return deploy_ingest_path(two_products_cloud.endpoint_url, "dev", config_with_products("dev"))
