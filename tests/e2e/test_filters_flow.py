"""A person filters recommendations in a real browser: pick the genre filter, type a genre, see only that genre."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.test_console import assert_no_exception, fill, open_console, table_column, wait_for_run

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOT = ROOT / "test-artifacts" / "filtered-recommendations.png"


def test_pick_a_filter_fill_its_parameter_and_see_the_filtered_table(browser_page: Any, app_url: str) -> None:
    page: Page = browser_page
    open_console(page, app_url)
    page.locator(".st-key-filter_arn").get_by_role("combobox").click()
    page.get_by_role("option", name="genre", exact=True).click()
    wait_for_run(page)
    expect(page.get_by_text("INCLUDE ItemID WHERE Items.GENRES IN ($GENRES)")).to_be_visible()

    fill(page, "user_id", "1")
    fill(page, "fv_GENRES", "Horror")
    page.get_by_role("button", name="Get recommendations").click()
    expect(page.get_by_text("25 recommendations")).to_be_visible()
    wait_for_run(page)

    assert len(set(table_column(page, 1, 25))) == 25  # waits for the grid's rows
    header = page.locator(".st-key-results").get_by_test_id("stDataFrame").locator("table thead th")
    expect(header.filter(has_text="Genres")).to_have_count(1)
    columns = [header.nth(i).inner_text().strip() for i in range(header.count())]
    genres = table_column(page, columns.index("Genres"), 25)
    assert all("Horror" in g for g in genres), genres
    assert_no_exception(page)
    assert "filter=" in page.url and "GENRES" in page.url

    SCREENSHOT.parent.mkdir(exist_ok=True)
    page.get_by_test_id("stMainBlockContainer").screenshot(path=str(SCREENSHOT))
