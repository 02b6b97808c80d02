"""The Health check in a real browser: 200 sampled users through two campaigns, metrics, flags and charts."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.test_console import SCREENSHOT, assert_no_exception, wait_for_run

pytestmark = pytest.mark.e2e

DOCS = SCREENSHOT.parent  # the README's screenshots


def test_health_check_of_200_users(browser_page: Any, app_url: str) -> None:
    page: Page = browser_page
    page.goto(f"{app_url}/health_check")
    wait_for_run(page)
    expect(page.get_by_role("button", name="Run health check")).to_be_visible()
    page.get_by_test_id("stMultiSelect").click()
    page.get_by_role("option", name="demo-popular-items (aws-popularity-count)").click()
    page.keyboard.press("Escape")
    wait_for_run(page)
    page.get_by_role("button", name="Run health check").click()
    expect(page.get_by_text("lists of up to 25 items")).to_be_visible(timeout=60_000)
    wait_for_run(page)
    metrics = page.get_by_test_id("stDataFrame").first
    expect(metrics).to_contain_text("demo-popular-items")
    expect(page.get_by_role("heading", name="Metrics")).to_be_visible()
    expect(page.get_by_role("heading", name="Flags")).to_be_visible()
    expect(page.get_by_test_id("stPlotlyChart")).to_have_count(3)
    expect(page.locator(".js-plotly-plot").first).to_be_visible()
    expect(page.get_by_text("203 lists of up to 25 items from demo-popular-items", exact=False)).to_be_visible()
    page.get_by_test_id("stButtonGroup").get_by_text("demo-popular-items", exact=True).click()  # its flags: one list for all
    expect(page.get_by_text("1 group(s) of users sharing one list")).to_be_visible()
    page.get_by_test_id("stButtonGroup").get_by_text("demo-user-personalization", exact=True).click()
    expect(page.get_by_text("No scores: this recipe")).to_have_count(0)
    wait_for_run(page)
    assert_no_exception(page)
    DOCS.mkdir(exist_ok=True)
    page.set_viewport_size({"width": 1400, "height": 3000})
    wait_for_run(page)
    page.get_by_test_id("stMainBlockContainer").screenshot(path=str(DOCS / "screenshot-health-check.png"))
