"""The offline commands, run as people run them; each starts a LocalStack of its own, as the command does.

`python -m tooling.demo` (`make demo`, about 40 s) must finish with status 0, which it gives only when every count in
its summary is what was expected, and leave the charts, the HTML report and the warehouse copy it promises.
`python -m tooling.local_cloud` must serve the collector at the URLs it prints until it is stopped, then stop
LocalStack.
"""

from __future__ import annotations

import os
import re
import selectors
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.test_html_report import parse
from tooling.fixtures import reports
from tooling.local_cloud.collector_client import post
from usage_report.sections import SECTIONS, TABLE_ONLY

pytestmark = pytest.mark.localstack

REPO = Path(__file__).resolve().parents[1]


def test_make_demo_runs_end_to_end_and_every_summary_count_is_as_expected(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "tooling.demo", str(tmp_path)], cwd=REPO, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]

    summary = done.stdout.split("\nSummary\n", 1)[1]
    rows = re.findall(r"^(\S.*?)\s+(\d+)\s+(\d+)$", summary, re.M)
    assert len(rows) == 4 and all(count == expected for _, count, expected in rows), summary
    assert sorted(p.stem for p in (tmp_path / "charts").glob("*.png")) == sorted(set(SECTIONS) - TABLE_ONLY)
    assert list((tmp_path / "warehouse").rglob("*")), "the delivered objects were not copied"
    page = parse((tmp_path / "report.html").read_text(encoding="utf-8"))
    (title,) = page.all("title")
    assert title.full_text().startswith("Usage report, ")
    assert [s.attrs["id"] for s in page.all("section") if "id" in s.attrs] == list(SECTIONS)
    assert int(page.by_id("active").attrs["value"]) > 0, "the simulated week left no active deployment"
    assert len(page.all("img")) >= len(SECTIONS)
    assert f"report: {tmp_path / 'report.html'}" in done.stdout
    assert "LocalStack stopped" in done.stdout


def _lines_until(process: subprocess.Popen, last: str, deadline_seconds: float) -> list[str]:
    """stdout lines up to and including `last`; fails with what was printed if it does not come in time.

    Reads the pipe's file descriptor directly: a buffered reader would hold lines the selector cannot see.
    """
    received = b""
    selector = selectors.DefaultSelector()
    selector.register(process.stdout, selectors.EVENT_READ)
    deadline = time.monotonic() + deadline_seconds
    while last.encode() + b"\n" not in received:
        left = deadline - time.monotonic()
        assert left > 0 and process.poll() is None, f"no {last!r} after {deadline_seconds:.0f}s: {received!r}"
        if selector.select(timeout=left):
            received += os.read(process.stdout.fileno(), 65536)
    return received.decode().splitlines()


def test_python_m_local_cloud_serves_the_printed_urls_until_stopped():
    process = subprocess.Popen(
        [sys.executable, "-m", "tooling.local_cloud"], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        lines = _lines_until(process, "Ctrl-C stops it.", deadline_seconds=180)
        urls = dict(re.findall(r"^POST /(\S+): (http://127\.0\.0\.1:\d+/\S+)$", "\n".join(lines), re.M))
        assert urls, lines
        for url in urls.values():
            reply = post(url, reports.valid_report())
            assert (reply.status, reply.json) == (200, {"status": "accepted"}), (url, reply.text)
        localstack_pid = int(re.search(r"\(pid (\d+)\)", "\n".join(lines)).group(1))
    finally:
        process.send_signal(signal.SIGTERM)  # the command stops its LocalStack on SIGTERM, even after a failure
        try:
            process.wait(timeout=120)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
            process.stdout.close()
    assert process.returncode == 0
    try:
        os.kill(localstack_pid, 0)
    except ProcessLookupError:
        pass
    else:
        raise AssertionError(f"LocalStack (pid {localstack_pid}) is still running after the command stopped")
