"""`make demo` runs here as people run it (`python -m demo`): it must finish with status 0, which it gives only
when every count in its summary is what was expected, and leave the charts and the warehouse copy it promises.
About 40 s: it starts a LocalStack of its own, like the command does."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from report.sections import SECTIONS

REPO = Path(__file__).resolve().parents[1]


def test_make_demo_runs_end_to_end_and_every_summary_count_is_as_expected(tmp_path):
    done = subprocess.run([sys.executable, "-m", "demo", str(tmp_path)], cwd=REPO, capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]

    summary = done.stdout.split("\nSummary\n", 1)[1]
    rows = re.findall(r"^(\S.*?)\s+(\d+)\s+(\d+)$", summary, re.M)
    assert len(rows) == 4 and all(count == expected for _, count, expected in rows), summary
    assert sorted(p.stem for p in (tmp_path / "charts").glob("*.png")) == sorted(SECTIONS)
    assert list((tmp_path / "warehouse").rglob("*")), "the delivered objects were not copied"
    assert "LocalStack stopped" in done.stdout
