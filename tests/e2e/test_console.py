"""The console in a real browser: recommendation and ranking flows, and the README screenshot."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from scoring import requests

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOT = ROOT / "docs" / "screenshot-test-campaign.png"
RANKING_CAMPAIGN = "demo-personalized-ranking"


def wait_for_run(page: Page) -> None:
    """As Streamlit's own e2e suite: connected, script not running, no skeletons left; and the
    runs the page asks for by itself after a new answer (the charts in their placeholders' place)
    are done too, so the test's next click does not race them."""
    page.wait_for_timeout(200)  # let a just-triggered rerun flip the state to running first
    page.locator("[data-testid='stApp'][data-test-connection-state='CONNECTED']").wait_for()
    not_running = page.locator("[data-testid='stApp'][data-test-script-state='notRunning']")
    not_running.wait_for()
    # A run that drew a new answer left the charts' placeholders: the page's next run replaces them.
    expect(page.locator(".st-key-chart_placeholder")).to_have_count(0, timeout=30_000)
    not_running.wait_for()
    # Charts and buttons are lazy-loaded components: their skeletons go once their code is in.
    expect(page.get_by_test_id("stSkeleton")).to_have_count(0, timeout=30_000)


def open_console(page: Page, url: str) -> None:
    page.goto(url)
    wait_for_run(page)
    expect(page.get_by_role("button", name="Get recommendations")).to_be_visible()


def fill(page: Page, key: str, value: str) -> None:
    page.locator(f".st-key-{key} input, .st-key-{key} textarea").first.fill(value)


def table_column(page: Page, column: int, rows_expected: int, timeout: float = 30.0) -> list[str]:
    """Cell texts of one column of the results table (read from the grid's accessible table).

    The grid may redraw while its cells are read one by one (a rerun below it, on a loaded
    machine), so the column is read until two reads in a row agree: a table that is really
    wrong still reads wrong, consistently."""
    rows = page.locator(".st-key-results").get_by_test_id("stDataFrame").locator("table tbody tr")
    expect(rows).to_have_count(rows_expected)
    deadline = time.monotonic() + timeout
    previous: list[str] | None = None
    while True:
        cells = [rows.nth(i).locator("td").nth(column).inner_text().strip() for i in range(rows.count())]
        if cells == previous or time.monotonic() > deadline:
            return cells
        previous = cells
        page.wait_for_timeout(200)


def assert_no_exception(page: Page) -> None:
    expect(page.get_by_test_id("stException")).to_have_count(0)


def test_recommendations_with_a_device_context(browser_page: Any, app_url: str) -> None:
    page: Page = browser_page
    open_console(page, app_url)
    fill(page, "user_id", "1")
    fill(page, "ctx_key_0", "DEVICE")
    fill(page, "ctx_val_0", "mobile phone")
    page.get_by_role("button", name="Get recommendations").click()
    expect(page.get_by_text("25 recommendations")).to_be_visible()
    wait_for_run(page)

    ids = table_column(page, 1, 25)
    assert len(ids) == 25 and len(set(ids)) == 25
    expect(page.locator(".js-plotly-plot").first).to_be_visible()
    expect(page.get_by_test_id("stPlotlyChart")).to_have_count(2)
    assert_no_exception(page)
    assert "ctx=DEVICE" in page.url and "user=1" in page.url

    SCREENSHOT.parent.mkdir(exist_ok=True)
    page.set_viewport_size({"width": 1400, "height": 2400})  # tall enough for the whole page
    wait_for_run(page)
    page.get_by_test_id("stMainBlockContainer").screenshot(path=str(SCREENSHOT))


def test_a_shared_link_reproduces_the_view(browser_page: Any, app_url: str) -> None:
    page: Page = browser_page
    page.goto(f"{app_url}/?source=local&group=demo&user=7&ctx=DEVICE%3Dsmart+tv&n=10")
    wait_for_run(page)
    expect(page.get_by_text("10 recommendations")).to_be_visible()
    assert len(set(table_column(page, 1, 10))) == 10
    expect(page.locator(".st-key-ctx_val_0 input")).to_have_value("smart tv")
    assert_no_exception(page)


def test_a_link_to_the_campaign_page(browser_page: Any, app_url: str) -> None:
    """Also the first request of a fresh server, when Streamlit may run the page without app.py."""
    page: Page = browser_page
    page.goto(f"{app_url}/campaign")
    wait_for_run(page)
    expect(page.get_by_role("heading", name="Campaign: demo-user-personalization")).to_be_visible()
    nav = page.get_by_test_id("stSidebarNav")
    expect(nav).to_contain_text("Test campaign")
    expect(nav).to_contain_text("Campaign details")
    expect(page.get_by_text("Solution version metrics")).to_be_visible()
    assert_no_exception(page)


def test_ranking_returns_every_input_item(browser_page: Any, app_url: str) -> None:
    page: Page = browser_page
    open_console(page, app_url)
    sidebar = page.get_by_test_id("stSidebar")
    sidebar.locator(".st-key-campaign_arn").click()
    page.get_by_role("option", name=RANKING_CAMPAIGN).click()
    expect(page.get_by_role("button", name="Get personalized item rankings")).to_be_visible()
    wait_for_run(page)

    items = ["10", "20", "30", "40", "50", "no-such-item"]
    fill(page, "user_id", "3")
    fill(page, "items_text", ", ".join(items))
    page.get_by_role("button", name="Get personalized item rankings").click()
    expect(page.get_by_text(f"{len(items)} ranked items")).to_be_visible()
    wait_for_run(page)

    ranked = table_column(page, 1, len(items))
    assert sorted(ranked) == sorted(requests.parse_item_list(", ".join(items)))
    assert ranked[-1] == "no-such-item"  # untrained items come last, with score 0
    assert_no_exception(page)


# When each element first appears in the page (epoch ms), recorded by the page itself.
APPEARANCES = """
window.__seen = {};
const watched = {row: ".st-key-results [data-testid='stDataFrame'] table tbody tr",
                 placeholder: ".st-key-chart_placeholder", chart: "[data-testid='stPlotlyChart']"};
const headings = {record: "Record events", recent: "Recent interactions"};
new MutationObserver(() => {
  for (const [name, sel] of Object.entries(watched))
    if (!(name in window.__seen) && document.querySelector(sel))
      window.__seen[name] = performance.now();
  const titles = [...document.querySelectorAll("h3")].map((h) => h.textContent);
  for (const [name, text] of Object.entries(headings))
    if (!(name in window.__seen) && titles.includes(text)) window.__seen[name] = performance.now();
}).observe(document, {subtree: true, childList: true});
"""


def test_a_linked_request_draws_the_rest_after_the_table(browser_page: Any, app_url: str) -> None:
    """A cold page holds the charts' places; once the table has a row it draws the Record events
    panel and the user's recent interactions, then the charts."""
    page: Page = browser_page
    page.add_init_script(APPEARANCES)
    page.goto(f"{app_url}/?source=local&group=demo&user=3&n=25")
    expect(page.get_by_test_id("stPlotlyChart")).to_have_count(2, timeout=60_000)
    seen = page.evaluate("window.__seen")
    assert "placeholder" in seen, f"the charts were drawn at once, no placeholders first: {seen}"
    assert seen["row"] < min(seen["record"], seen["recent"]), seen
    assert seen["record"] < seen["chart"], seen
    expect(page.locator(".st-key-chart_placeholder")).to_have_count(0)
    expect(page.locator(".st-key-results_skeleton")).to_have_count(0)
    assert_no_exception(page)
