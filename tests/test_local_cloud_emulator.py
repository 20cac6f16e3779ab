"""LocalStack's start/stop wrapper, without LocalStack: loopback-only settings and clear start failures."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tooling.local_cloud.emulator import SERVICES, LocalCloud, LocalCloudError, offline_environment


def test_the_environment_keeps_localstack_on_loopback_offline_and_in_its_folder(tmp_path):
    env = offline_environment(4599, tmp_path)
    assert env["GATEWAY_LISTEN"] == "127.0.0.1:4599"
    assert env["GATEWAY_SERVER"] == "hypercorn"  # the default server would bind 0.0.0.0
    assert (env["DNS_ADDRESS"], env["DISABLE_EVENTS"], env["SKIP_SSL_CERT_DOWNLOAD"]) == ("0", "1", "1")
    assert env["SERVICES"].split(",") == list(SERVICES)
    for key in ("LOCALSTACK_VOLUME_DIR", "FILESYSTEM_ROOT", "TMPDIR"):
        assert Path(env[key]).is_relative_to(tmp_path)


def test_a_missing_venv_says_how_to_make_it(tmp_path):
    with pytest.raises(LocalCloudError, match="make localstack-venv"):
        LocalCloud(python=tmp_path / "no-python").start()


def test_an_emulator_that_exits_fails_at_once_with_its_log_and_leaves_nothing_behind():
    cloud = LocalCloud(python=Path(sys.executable))  # this venv has no localstack: it exits at once
    with pytest.raises(LocalCloudError, match=r"(?s)LocalStack exited with code 1.*No module named 'localstack'"):
        cloud.start(deadline_seconds=60)
    assert cloud.process is None and cloud.data_dir is None
