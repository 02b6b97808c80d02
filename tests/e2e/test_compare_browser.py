"""The Compare page in a real browser: the same demo user on a phone and on a smart TV."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import ARTIFACTS
from tests.e2e.test_console import SCREENSHOT, assert_no_exception, fill, wait_for_run

DOCS = SCREENSHOT.parent  # the README's screenshots

pytestmark = pytest.mark.e2e


def metric_value(page: Page, label: str) -> str:
    metric = page.get_by_test_id("stMetric").filter(has_text=label)
    return metric.get_by_test_id("stMetricValue").inner_text().strip()


def test_device_contexts_overlap_partially_and_the_slope_chart_renders(browser_page: Any, app_url: str) -> None:
    page: Page = browser_page
    page.goto(f"{app_url}/compare")
    wait_for_run(page)
    expect(page.get_by_role("heading", name="Compare two requests")).to_be_visible()

    for side, device in (("a", "mobile phone"), ("b", "smart tv")):
        fill(page, f"cmp_{side}_user", "1")
        fill(page, f"cmp_{side}_ctx_key_0", "DEVICE")
        fill(page, f"cmp_{side}_ctx_val_0", device)
    page.get_by_role("button", name="Compare").click()
    wait_for_run(page)

    headers = page.get_by_test_id("stMarkdown")
    expect(headers.filter(has_text="A · demo-user-personalization · user 1 · DEVICE=mobile phone")).to_have_count(1)
    expect(headers.filter(has_text="B · demo-user-personalization · user 1 · DEVICE=smart tv")).to_have_count(1)
    overlap = float(metric_value(page, "Overlap@25").rstrip("%")) / (100 if "%" in metric_value(page, "Overlap@25") else 1)
    assert 0.0 < overlap < 1.0
    assert 0.0 < float(metric_value(page, "RBO")) < 1.0

    chart = page.get_by_test_id("stPlotlyChart").filter(has=page.locator(".js-plotly-plot"))
    expect(chart).to_have_count(1)
    expect(chart.locator(".scatterlayer .trace").first).to_be_visible()
    expect(chart.locator(".legendtext").filter(has_text="only in A")).to_have_count(1)
    expect(chart.locator(".annotation-text").filter(has_text="DEVICE=smart tv")).to_have_count(1)
    assert_no_exception(page)

    ARTIFACTS.mkdir(exist_ok=True)
    page.set_viewport_size({"width": 1400, "height": 3000})
    wait_for_run(page)
    chart.screenshot(path=str(ARTIFACTS / "compare-slope-chart.png"))
    page.get_by_test_id("stMainBlockContainer").screenshot(path=str(DOCS / "screenshot-compare.png"))
