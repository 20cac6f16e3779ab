"""The offline commands, run as people run them; each starts a LocalStack of its own, as the command does.

`python -m tooling.demo` (`make demo`, about 60 s) must finish with status 0, which it gives only when every count in
its summary is what was expected, and leave the charts, the HTML report and the warehouse copy it promises, for both
of the products its stack serves.
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
# A row of the demo's summary table: what, count, expected.
ROW = r"^(\S.*?)\s+(\d+)\s+(\d+)$"


def test_make_demo_runs_end_to_end_and_every_summary_count_is_as_expected(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "tooling.demo", str(tmp_path)], cwd=REPO, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]

    summary = done.stdout.split("\nSummary\n", 1)[1]
    rows = {what: (int(count), int(expected)) for what, count, expected in re.findall(ROW, summary, re.M)}
    assert all(count == expected for count, expected in rows.values()), summary
    # Both products: the default one and the made-up one (tooling/demo/acme-widgets.json), each delivered and
    # reported on its own.
    for product in ("lunasec-tokenizer", "acme-widgets"):
        assert rows[f"{product} lines delivered"][0] > 0, summary
    assert rows["acme-widgets reports accepted (200)"][0] > 0, summary
    assert len(rows) == 9, summary
    drawn = sorted(set(SECTIONS) - TABLE_ONLY)
    assert sorted(p.stem for p in (tmp_path / "charts").glob("*.png")) == sorted(
        drawn + [f"acme-widgets-{name}" for name in drawn]
    )
    assert list((tmp_path / "warehouse").rglob("*")), "the delivered objects were not copied"
    page = parse((tmp_path / "report.html").read_text(encoding="utf-8"))
    (title,) = page.all("title")
    assert title.full_text().startswith("Usage report, ")
    articles = page.all("article")
    assert [a.attrs["id"] for a in articles] == ["product-lunasec-tokenizer", "product-acme-widgets"]
    default, acme = articles
    assert [s.attrs["id"] for s in default.all("section") if "id" in s.attrs] == list(SECTIONS)
    assert [s.attrs["id"] for s in acme.all("section") if "id" in s.attrs] == [f"acme-widgets-{s}" for s in SECTIONS]
    # The page's figures are the saved queries' answers the summary checked against what was sent.
    active = rows["lunasec-tokenizer active yesterday (daily_active_deployments)"][0]
    assert int(page.by_id("active").attrs["value"]) == active > 0, "the simulated week left no active deployment"
    acme_active = rows["acme-widgets active yesterday (acme-widgets-daily_active_deployments)"][0]
    assert int(page.by_id("acme-widgets-active").attrs["value"]) == acme_active > 0
    assert len(default.all("img")) >= len(SECTIONS) and len(acme.all("img")) >= len(SECTIONS)
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
