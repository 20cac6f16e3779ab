"""The HTML report in a real browser (headless Chromium driven by Selenium): it loads without a console
error or a network request, nothing overflows at desktop or phone width, every chart is drawn at a visible
size, and the summary shows the saved queries' answers. Screenshots go to test-artifacts/html-report/.

Without Chromium a developer gets a skip naming the install command; under CI it fails (tests/support/browser.py).
"""

from __future__ import annotations

import base64
import datetime
import json
from pathlib import Path

import pytest

from tests.support import browser as browsers
from tests.test_html_report import TODAY, poisoned_deliveries, write_page
from tooling.fixtures import warehouse_files
from usage_report.local_duckdb import run_all_saved_queries
from usage_report.sections import SECTIONS

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
VIEWPORTS = {"desktop": False, "phone": True}
PAGES = ("reference", "poisoned", "empty")


@pytest.fixture(scope="module")
def chromium_binary() -> browsers.Browser:
    return browsers.require()


@pytest.fixture(scope="module")
def pages(tmp_path_factory) -> dict[str, tuple[Path, Path]]:
    """Each page with the warehouse it was made from."""
    root = tmp_path_factory.mktemp("pages")
    warehouse_files.write_reference_warehouse(root / "reference", TODAY)
    warehouse_files.write_objects(root / "poisoned", poisoned_deliveries())
    (root / "empty" / "reports").mkdir(parents=True)
    made = {}
    for name in PAGES:
        write_page(root / name, root / f"{name}.html")
        made[name] = (root / name, root / f"{name}.html")
    return made


@pytest.fixture(scope="module", params=list(VIEWPORTS))
def viewport(request, chromium_binary):
    with browsers.chromium(chromium_binary, phone=VIEWPORTS[request.param]) as driver:
        yield request.param, driver


def open_page(driver, path: Path) -> tuple[list[dict], list[str]]:
    """Load the page; return its console entries and every URL it requested, the page's own included."""
    driver.get_log("browser"), driver.get_log("performance")  # drop what an earlier page left
    driver.get(path.as_uri())
    assert driver.execute_script("return document.readyState") == "complete"
    console = driver.get_log("browser")
    events = [json.loads(entry["message"])["message"] for entry in driver.get_log("performance")]
    requested = [e["params"]["request"]["url"] for e in events if e["method"] == "Network.requestWillBeSent"]
    requested += driver.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")
    return console, requested


def save_screenshots(driver, name: str, viewport: str) -> list[Path]:
    folder = browsers.artifacts_dir(ROOT)
    first_screen = folder / f"{name}-{viewport}.png"
    driver.save_screenshot(str(first_screen))
    size = driver.execute_cdp_cmd("Page.getLayoutMetrics", {})["cssContentSize"]
    shot = driver.execute_cdp_cmd(
        "Page.captureScreenshot",
        {
            "format": "png",
            "captureBeyondViewport": True,
            "clip": {"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1},
        },
    )
    whole = folder / f"{name}-{viewport}-full.png"
    whole.write_bytes(base64.b64decode(shot["data"]))
    return [first_screen, whole]


OVERFLOWING = """
const width = document.documentElement.clientWidth;
const wide = [];
for (const element of document.querySelectorAll('body *')) {
  const box = element.getBoundingClientRect();
  if (box.width > 0 && (box.right > width + 0.5 || box.left < -0.5)) {
    wide.push(`${element.tagName}.${element.className} ${Math.round(box.left)}..${Math.round(box.right)}`);
  }
}
return {scroll: document.documentElement.scrollWidth, width: width, wide: wide};
"""

CHARTS = """
return Array.from(document.images).map(img => {
  const box = img.getBoundingClientRect();
  return {alt: img.alt.slice(0, 60), complete: img.complete, natural: img.naturalWidth,
          width: box.width, height: box.height, shown: img.offsetParent !== null};
});
"""


@pytest.mark.parametrize("name", PAGES)
def test_the_page_loads_cleanly_fits_the_screen_and_draws_every_chart(viewport, pages, name):
    viewport_name, driver = viewport
    _, path = pages[name]
    console, requested = open_page(driver, path)

    assert [entry for entry in console if entry["level"] in ("SEVERE", "WARNING")] == []
    fetched = [url for url in requested if url != path.as_uri() and not url.startswith("data:image/svg+xml")]
    assert fetched == [], "the page fetched something"

    layout = driver.execute_script(OVERFLOWING)
    assert layout["scroll"] <= layout["width"], f"the page scrolls sideways at {viewport_name} width"
    assert layout["wide"] == []
    expected = (browsers.PHONE["width"], browsers.PHONE["height"]) if viewport_name == "phone" else browsers.DESKTOP
    assert tuple(driver.execute_script("return [window.innerWidth, window.innerHeight]")) == expected

    images = driver.execute_script(CHARTS)
    if name == "empty":
        assert images == []
        assert "No reports yet." in driver.find_element("css selector", "main").text
    else:
        assert len(images) >= len(SECTIONS)
        for image in images:
            assert image["complete"] and image["natural"] > 0, f"not decoded: {image}"
            assert image["shown"] and image["width"] >= 200 and image["height"] >= 100, image
    for shot in save_screenshots(driver, name, viewport_name):
        assert shot.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")


def test_the_summary_shows_the_saved_queries_answers(viewport, pages):
    _, driver = viewport
    warehouse, path = pages["reference"]
    open_page(driver, path)
    answers = run_all_saved_queries(warehouse, today=TODAY)
    yesterday = TODAY - datetime.timedelta(days=1)
    week_earlier = yesterday - datetime.timedelta(days=7)

    def shown(element_id: str) -> tuple[int, str]:
        element = driver.find_element("id", element_id)
        assert element.is_displayed()
        return int(element.get_attribute("value")), element.text

    active = {r["report_day"]: r["active_deployments"] for r in answers["daily_active_deployments"]}
    assert shown("active") == (active[yesterday], f"{active[yesterday]:,}")
    earlier = sum(r["deployments"] for r in answers["version_adoption"] if r["report_day"] == week_earlier)
    assert shown("active-week-earlier") == (earlier, f"{earlier:,}")
    weeks = {r["week_start"]: r["new_deployments"] for r in answers["new_deployments_per_week"]}
    monday = yesterday - datetime.timedelta(days=yesterday.weekday())
    assert shown("new-this-week")[0] == weeks.get(monday, 0)
    assert shown("new-last-week")[0] == weeks.get(monday - datetime.timedelta(days=7), 0)

    on_yesterday = {r["version"]: r["deployments"] for r in answers["version_adoption"] if r["report_day"] == yesterday}
    items = driver.find_elements("css selector", "#versions li")
    listed = {
        item.find_element("tag name", "code").text: item.find_element("css selector", "data.share") for item in items
    }
    total = sum(on_yesterday.values())
    assert set(listed) == set(on_yesterday)
    for version, share in listed.items():
        assert float(share.get_attribute("value")) == pytest.approx(on_yesterday[version] / total)
        assert share.text == f"{on_yesterday[version] / total:.0%}"

    (freshness,) = answers["data_freshness"]
    received = datetime.datetime.fromtimestamp(freshness["newest_received_at"] / 1000, datetime.UTC)
    text = driver.find_element("id", "freshness").text
    assert f"Last report day: {freshness['last_report_day']:%a %Y-%m-%d}." in text
    assert f"Newest report received {received:%Y-%m-%d %H:%M} UTC." in text
