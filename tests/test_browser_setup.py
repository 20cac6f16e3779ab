"""The browser test's setup: a developer without Chromium is told what to install, CI fails instead of skipping,
and `.ci/install-browser` installs Chromium with apt only when it is missing."""

import os
import stat
import subprocess
from pathlib import Path

import pytest

from tests.support import browser

ROOT = Path(__file__).resolve().parents[1]
INSTALL_BROWSER = ROOT / ".ci" / "install-browser"
NOWHERE = {"REPORT_TEST_BROWSER": "/nonexistent/chromium", "REPORT_TEST_CHROMEDRIVER": "/nonexistent/chromedriver"}


def test_without_a_browser_a_developer_is_told_what_to_install():
    with pytest.raises(pytest.skip.Exception) as skipped:
        browser.require(dict(NOWHERE))
    message = str(skipped.value)
    assert browser.INSTALL_COMMAND in message and "/nonexistent/chromium" in message
    # docs/html-report.md gives the same command.
    assert f"```sh\n{browser.INSTALL_COMMAND}\n```" in (ROOT / "docs" / "html-report.md").read_text()


@pytest.mark.parametrize("ci", ["true", "True", "1"])
def test_under_ci_a_missing_browser_fails_the_test(ci):
    with pytest.raises(pytest.fail.Exception) as failed:
        browser.require({**NOWHERE, "CI": ci})
    assert browser.INSTALL_COMMAND in str(failed.value) and "must run, not skip" in str(failed.value)


def _executable(path: Path, body: str = "exit 0") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"#!/bin/sh\n{body}\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def test_github_runner_images_chrome_is_found_when_debians_is_absent(tmp_path, monkeypatch):
    monkeypatch.setattr(browser, "DEBIAN_BROWSER", str(tmp_path / "no-chromium"))
    chrome = _executable(tmp_path / "bin" / "google-chrome")
    driver = _executable(tmp_path / "chromedriver-linux64" / "chromedriver")
    found, _ = browser.locate({"PATH": str(chrome.parent), "CHROMEWEBDRIVER": str(driver.parent)})
    assert found == browser.Browser(str(chrome), str(driver))


def _fake_system(tmp_path: Path, uid: int) -> tuple[dict, Path]:
    """apt-get, sudo and id stand-ins that log what they were asked to do."""
    log = tmp_path / "log"
    bin_dir = tmp_path / "bin"
    _executable(bin_dir / "apt-get", f'echo "apt-get $*" >> {log}')
    _executable(bin_dir / "sudo", f'echo "sudo" >> {log}; exec "$@"')
    _executable(bin_dir / "id", f"echo {uid}")
    return {"PATH": f"{bin_dir}:/usr/bin:/bin", "HOME": str(tmp_path)}, log


@pytest.mark.parametrize("uid, prefix", [(0, []), (1000, ["sudo"])])
def test_install_browser_installs_chromium_with_apt_when_missing(tmp_path, uid, prefix):
    env, log = _fake_system(tmp_path, uid)
    done = subprocess.run([str(INSTALL_BROWSER)], env={**env, **NOWHERE}, capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    install = "apt-get " + browser.INSTALL_COMMAND.split(" && ")[1].removeprefix("apt-get ")
    assert log.read_text().splitlines() == [*prefix, "apt-get update", *prefix, install]


def test_install_browser_looks_where_the_test_looks():
    # Without the variables, the script checks Debian's paths; they must be the ones tests/support/browser.py tries.
    script = INSTALL_BROWSER.read_text()
    assert f'"${{REPORT_TEST_BROWSER:-{browser.DEBIAN_BROWSER}}}"' in script
    assert f'"${{REPORT_TEST_CHROMEDRIVER:-{browser.DEBIAN_DRIVER}}}"' in script


def test_install_browser_does_nothing_when_the_browser_is_there(tmp_path):
    env, log = _fake_system(tmp_path, 0)
    present = {"REPORT_TEST_BROWSER": "/bin/true", "REPORT_TEST_CHROMEDRIVER": "/bin/true"}
    done = subprocess.run([str(INSTALL_BROWSER)], env={**env, **present}, capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    assert not log.exists()


def _ci_checkout(tmp_path: Path, install_exit: int) -> tuple[Path, dict, Path]:
    """.ci/run in a stand-in checkout whose install-browser and make log the CI they see."""
    log = tmp_path / "log"
    checkout = tmp_path / "checkout"
    run = checkout / ".ci" / "run"
    run.parent.mkdir(parents=True)
    run.write_bytes((ROOT / ".ci" / "run").read_bytes())
    run.chmod(0o755)
    _executable(checkout / ".ci" / "install-browser", f'echo "install-browser CI=$CI" >> {log}; exit {install_exit}')
    _executable(checkout / ".ci" / "install-test-tools", f'echo "install-test-tools CI=$CI" >> {log}')
    _executable(tmp_path / "bin" / "make", f'echo "make $* CI=$CI" >> {log}')
    return run, {"PATH": f"{tmp_path / 'bin'}:/usr/bin:/bin", "HOME": str(tmp_path)}, log


@pytest.mark.parametrize("given, seen", [(None, "true"), ("1", "1")])
def test_ci_run_installs_the_browser_then_runs_make_test_as_ci(tmp_path, given, seen):
    run, env, log = _ci_checkout(tmp_path, install_exit=0)
    if given is not None:
        env["CI"] = given
    done = subprocess.run([str(run)], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    assert log.read_text().splitlines() == [
        f"install-browser CI={seen}",
        f"install-test-tools CI={seen}",
        f"make test CI={seen}",
    ]
    assert os.access(INSTALL_BROWSER, os.X_OK)


def test_ci_run_stops_when_the_browser_cannot_be_installed(tmp_path):
    run, env, log = _ci_checkout(tmp_path, install_exit=1)
    done = subprocess.run([str(run)], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=30)
    assert done.returncode != 0
    assert log.read_text().splitlines() == ["install-browser CI=true"]


INSTALL_TEST_TOOLS = ROOT / ".ci" / "install-test-tools"


@pytest.mark.parametrize(
    "present, installed",
    [
        ((), ["openjdk-17-jdk-headless", "nodejs", "jq"]),
        (("java", "javac", "jq"), ["nodejs"]),
        (("node", "jq"), ["openjdk-17-jdk-headless"]),
        (("java", "node", "jq"), ["openjdk-17-jdk-headless"]),  # a JRE alone cannot launch the probe's source file
        (("java", "javac", "node"), ["jq"]),
    ],
)
def test_install_test_tools_installs_only_what_is_missing(tmp_path, present, installed):
    env, log = _fake_system(tmp_path, 0)
    bin_dir = tmp_path / "bin"
    # Only this folder is on PATH, so the machine's own java and node are out of sight.
    for tool in ("bash", "env"):
        (bin_dir / tool).symlink_to(f"/usr/bin/{tool}")
    for command in present:
        _executable(bin_dir / command)
    done = subprocess.run(
        [str(INSTALL_TEST_TOOLS)], env={**env, "PATH": str(bin_dir)}, capture_output=True, text=True, timeout=30
    )
    assert done.returncode == 0, done.stderr
    assert log.read_text().splitlines() == ["apt-get update", f"apt-get install -y {' '.join(installed)}"]


def test_install_test_tools_does_nothing_when_both_are_there(tmp_path):
    env, log = _fake_system(tmp_path, 0)
    bin_dir = tmp_path / "bin"
    for tool in ("bash", "env"):
        (bin_dir / tool).symlink_to(f"/usr/bin/{tool}")
    for command in ("java", "javac", "node", "jq"):
        _executable(bin_dir / command)
    done = subprocess.run(
        [str(INSTALL_TEST_TOOLS)], env={**env, "PATH": str(bin_dir)}, capture_output=True, text=True, timeout=30
    )
    assert done.returncode == 0, done.stderr
    assert not log.exists()
