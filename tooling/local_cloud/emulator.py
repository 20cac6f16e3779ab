"""Start and stop LocalStack in host mode: loopback only, offline, its data in a throwaway folder.

LocalStack needs Python 3.13 and its own pins, so it runs from `.venv-localstack` as a child process
(`make localstack-venv` builds it); whoever started it stops it by PID.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
VENV_PYTHON = REPO / ".venv-localstack" / "bin" / "python"
SERVICES = ("s3", "firehose", "apigateway", "iam", "sts", "logs", "cloudwatch")
READY_STATES = {"available", "running"}
START_DEADLINE_SECONDS = 120.0
STOP_GRACE_SECONDS = 15.0
HOST = "127.0.0.1"


class LocalCloudError(RuntimeError):
    """LocalStack could not be started; the message says why and ends with its log."""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def offline_environment(port: int, data_dir: Path) -> dict[str, str]:
    """What LocalStack needs to stay on loopback, offline, and inside `data_dir`."""
    return {
        # Its default server ignores the host part and binds 0.0.0.0; hypercorn honours it.
        "GATEWAY_LISTEN": f"{HOST}:{port}",
        "GATEWAY_SERVER": "hypercorn",
        "DNS_ADDRESS": "0",
        "DISABLE_EVENTS": "1",
        "SKIP_SSL_CERT_DOWNLOAD": "1",
        "EAGER_SERVICE_LOADING": "1",
        "SERVICES": ",".join(SERVICES),
        "LOCALSTACK_VOLUME_DIR": str(data_dir / "volume"),
        "FILESYSTEM_ROOT": str(data_dir / "filesystem"),
        "TMPDIR": str(data_dir / "tmp"),
    }


@dataclass
class LocalCloud:
    """One LocalStack process. Use as a context manager, or call start() and stop()."""

    python: Path = VENV_PYTHON
    port: int = 0
    data_dir: Path | None = None
    process: subprocess.Popen | None = field(default=None, repr=False)
    _own_data_dir: bool = field(default=False, repr=False)

    @property
    def endpoint_url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def log_path(self) -> Path:
        if self.data_dir is None:
            raise LocalCloudError("LocalStack has no data folder before start()")
        return self.data_dir / "localstack.log"

    @property
    def pid(self) -> int:
        if self.process is None:
            raise LocalCloudError("LocalStack is not running: start() it first")
        return self.process.pid

    def start(self, deadline_seconds: float = START_DEADLINE_SECONDS) -> LocalCloud:
        if not Path(self.python).is_file():
            raise LocalCloudError(f"{self.python} is missing: run `make localstack-venv` (Python 3.13) first")
        self.port = self.port or free_port()
        if self.data_dir is None:
            self.data_dir = Path(tempfile.mkdtemp(prefix="analytics-localstack-"))
            self._own_data_dir = True
        env = {**os.environ, **offline_environment(self.port, self.data_dir)}
        for sub in ("volume", "filesystem", "tmp"):
            (self.data_dir / sub).mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "wb") as log:
            self.process = process = subprocess.Popen(
                [str(self.python), "-m", "localstack.runtime.main"],
                cwd=self.data_dir,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group, so stop() reaches its children too
            )
        try:
            self._wait_until_ready(process, deadline_seconds)
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_until_ready(self, process: subprocess.Popen, deadline_seconds: float) -> None:
        deadline = time.monotonic() + deadline_seconds
        last = "no answer yet"
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise LocalCloudError(f"LocalStack exited with code {process.returncode}\n{self._log_tail()}")
            services = self.health()
            if services is not None:
                waiting = sorted(s for s in SERVICES if services.get(s) not in READY_STATES)
                if not waiting:
                    return
                last = f"services not ready: {', '.join(f'{s}={services.get(s)}' for s in waiting)}"
            time.sleep(0.25)  # polling interval for readiness, not a timing assumption
        raise LocalCloudError(f"LocalStack not ready after {deadline_seconds:.0f}s ({last})\n{self._log_tail()}")

    def health(self) -> dict | None:
        try:
            with urllib.request.urlopen(f"{self.endpoint_url}/_localstack/health", timeout=2) as response:
                return json.load(response).get("services", {})
        except (OSError, ValueError, urllib.error.URLError):
            return None

    def _log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=STOP_GRACE_SECONDS)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=STOP_GRACE_SECONDS)
        self.process = None
        if self._own_data_dir and self.data_dir is not None:
            shutil.rmtree(self.data_dir, ignore_errors=True)
            self.data_dir = None

    def __enter__(self) -> LocalCloud:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
