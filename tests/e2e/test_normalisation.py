"""The Score normalisation page in a real browser: the demo's numbers and its three charts."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import ARTIFACTS
from tests.e2e.test_console import assert_no_exception, fill, wait_for_run

pytestmark = pytest.mark.e2e


def test_the_page_explains_the_demo_users_scores(browser_page: Any, app_url: str) -> None:
    page: Page = browser_page
    page.goto(f"{app_url}/score_normalisation")
    wait_for_run(page)
    fill(page, "norm_user", "1")
    fill(page, "norm_ctx_val", "smart tv")
    page.get_by_role("button", name="Show the numbers").click()
    wait_for_run(page)

    expect(page.get_by_test_id("stMetric").filter(has_text="Catalogue size N")).to_contain_text("2,400")
    expect(page.get_by_text("the identity holds")).to_be_visible()
    charts = page.get_by_test_id("stPlotlyChart").filter(has=page.locator(".js-plotly-plot"))
    expect(charts).to_have_count(3)
    expect(charts.nth(1).locator(".annotation-text").filter(has_text="50% of the mass")).to_have_count(1)
    assert_no_exception(page)

    ARTIFACTS.mkdir(exist_ok=True)
    page.set_viewport_size({"width": 1400, "height": 3000})
    wait_for_run(page)
    page.get_by_test_id("stMainBlockContainer").screenshot(path=str(ARTIFACTS / "score-normalisation.png"))
