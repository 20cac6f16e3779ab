"""Headless Chromium for the HTML report's browser test: where it is, and what to do when it is not there.

A developer without the browser gets a skip that says what to install; under CI (`CI=true`, which GitHub
Actions and `.ci/run` set) a missing browser fails the test, so the page is never silently untested.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from tests.support import prerequisites

# What `.ci/install-browser` runs on a fresh Debian machine, and what a developer is told to run.
INSTALL_COMMAND = "apt-get update && apt-get install -y chromium chromium-driver"
DEBIAN_BROWSER, DEBIAN_DRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
# GitHub's hosted Ubuntu images ship Google Chrome and a matching ChromeDriver in $CHROMEWEBDRIVER.
RUNNER_IMAGE_DRIVER_DIR = "CHROMEWEBDRIVER"
PHONE = {"width": 390, "height": 844, "pixelRatio": 3}
DESKTOP = (1280, 800)


@dataclass(frozen=True)
class Browser:
    binary: str
    driver: str


def _executable(path: str | None) -> bool:
    return bool(path) and os.path.isfile(path) and os.access(path, os.X_OK)


def locate(environ: dict[str, str] | None = None) -> tuple[Browser | None, str]:
    """The browser to drive, or None with what was looked for."""
    environ = os.environ if environ is None else environ
    binary, driver = environ.get("REPORT_TEST_BROWSER"), environ.get("REPORT_TEST_CHROMEDRIVER")
    if binary or driver:
        found = Browser(binary or "", driver or "")
        looked = f"REPORT_TEST_BROWSER={binary!r} and REPORT_TEST_CHROMEDRIVER={driver!r}"
        return (found if _executable(binary) and _executable(driver) else None), looked
    if _executable(DEBIAN_BROWSER) and _executable(DEBIAN_DRIVER):
        return Browser(DEBIAN_BROWSER, DEBIAN_DRIVER), ""
    chrome = shutil.which("google-chrome", path=environ.get("PATH"))
    runner_driver = os.path.join(environ.get(RUNNER_IMAGE_DRIVER_DIR, ""), "chromedriver")
    if chrome and environ.get(RUNNER_IMAGE_DRIVER_DIR) and _executable(runner_driver):
        return Browser(chrome, runner_driver), ""
    return None, f"{DEBIAN_BROWSER} and {DEBIAN_DRIVER}"


def missing(what: str, environ: dict[str, str] | None = None) -> None:
    prerequisites.missing(f"the HTML report's browser test needs {what}", ".ci/run installs it", environ)


def require(environ: dict[str, str] | None = None) -> Browser:
    try:
        import selenium  # noqa: F401  (pinned in requirements/dev.txt)
    except ImportError:
        missing("selenium: `make setup` installs it from requirements/dev.lock", environ)
    browser, looked = locate(environ)
    if browser is None:
        missing(
            f"Chromium and its driver (looked for {looked}). On Debian, as root: {INSTALL_COMMAND}; "
            "or point REPORT_TEST_BROWSER and REPORT_TEST_CHROMEDRIVER at a Chrome and its ChromeDriver",
            environ,
        )
    return browser


@contextlib.contextmanager
def chromium(browser: Browser, *, phone: bool):
    """A headless Chromium that keeps the console and the network log, at desktop or phone size."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = browser.binary
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-extensions",
    ):
        options.add_argument(argument)
    if phone:
        # Headless windows are at least 500 px wide; emulation gives the phone's real viewport.
        options.add_experimental_option("mobileEmulation", {"deviceMetrics": PHONE})
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(service=Service(browser.driver), options=options)
    if not phone:
        # --window-size sizes the whole window; the page's viewport is what must be 1280 x 800.
        driver.execute_cdp_cmd(
            "Emulation.setDeviceMetricsOverride",
            {"width": DESKTOP[0], "height": DESKTOP[1], "deviceScaleFactor": 1, "mobile": False},
        )
    try:
        yield driver
    finally:
        driver.quit()


def artifacts_dir(root: Path) -> Path:
    folder = Path(os.environ.get("TEST_ARTIFACTS", root / "test-artifacts")) / "html-report"
    folder.mkdir(parents=True, exist_ok=True)
    return folder
