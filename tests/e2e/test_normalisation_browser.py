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


def test_a_live_campaign_over_http_gets_bounds_not_guesses(browser_page: Any, app_url: str, demo_dir: Any) -> None:
    """The live source against the local Personalize endpoint: only top-N scores cross the wire."""
    from urllib.parse import quote

    from scoring import arns
    from scoring.server import serve_in_thread

    server, url = serve_in_thread(demo_dir)
    try:
        page: Page = browser_page
        campaign = quote(arns.local_arn("campaign", "demo-user-personalization"), safe="")
        page.goto(f"{app_url}/score_normalisation?source=aws&region=us-east-1&endpoint={quote(url, safe='')}"
                  f"&campaign={campaign}")
        wait_for_run(page)
        from tests.e2e.test_endpoint_source import accept_linked_endpoint

        accept_linked_endpoint(page)
        fill(page, "norm_user", "1")
        fill(page, "norm_top_n", "100")
        page.get_by_role("button", name="Show the numbers").click()
        wait_for_run(page)
        expect(page.get_by_test_id("stMetric").filter(has_text="Catalogue size N")).to_contain_text("≥")
        expect(page.get_by_text("What a live campaign's top-N list cannot tell")).to_be_visible()
        charts = page.get_by_test_id("stPlotlyChart").filter(has=page.locator(".js-plotly-plot"))
        expect(charts).to_have_count(2)
        assert_no_exception(page)
        page.set_viewport_size({"width": 1400, "height": 2600})
        wait_for_run(page)
        page.get_by_test_id("stMainBlockContainer").screenshot(path=str(ARTIFACTS / "score-normalisation-live.png"))
    finally:
        server.shutdown()
