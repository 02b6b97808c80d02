"""A person tries a domain recommender in a real browser: pick "Because you watched X" on the demo,
enter an item and a user, and see a table of items without scores."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.test_console import assert_no_exception, fill, open_console, table_column, wait_for_run

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOT = ROOT / "test-artifacts" / "because-you-watched-x.png"
RECOMMENDER = "demo-because-you-watched-x · Because you watched X"


def test_because_you_watched_x_gives_items_without_scores(browser_page: Any, app_url: str) -> None:
    page: Page = browser_page
    open_console(page, app_url)
    page.get_by_test_id("stSidebar").locator(".st-key-campaign_arn").click()
    page.get_by_role("option", name=RECOMMENDER).click()
    wait_for_run(page)
    expect(page.get_by_role("heading", name="Test recommender: demo-because-you-watched-x")).to_be_visible()

    fill(page, "item_id", "42")
    fill(page, "user_id", "7")
    page.get_by_role("button", name="Get recommendations").click()
    expect(page.get_by_text("25 recommendations")).to_be_visible()
    wait_for_run(page)

    ids = table_column(page, 1, 25)
    assert len(set(ids)) == 25
    header = page.locator(".st-key-results").get_by_test_id("stDataFrame").locator("table thead th")
    expect(header.filter(has_text="Title")).to_have_count(1)
    expect(header.filter(has_text="Score")).to_have_count(0)
    expect(page.get_by_text("Amazon Personalize shows no scores for domain recommenders")).to_be_visible()
    assert_no_exception(page)
    assert "demo-because-you-watched-x" in page.url and "item=42" in page.url
    expect(page.get_by_text("No score charts")).to_be_visible()  # drawn after the table
    wait_for_run(page)

    SCREENSHOT.parent.mkdir(exist_ok=True)
    page.get_by_test_id("stMainBlockContainer").screenshot(path=str(SCREENSHOT))
