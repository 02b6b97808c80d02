"""A person's flow in Chromium: find a user with the picker, get recommendations, look at them as cards."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.test_console import assert_no_exception, open_console, wait_for_run

pytestmark = pytest.mark.e2e

SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "screenshot-cards.png"


def test_pick_the_most_active_user_then_see_the_results_as_cards(browser_page: Any, app_url: str) -> None:
    page: Page = browser_page
    open_console(page, app_url)
    page.get_by_text("Find a user", exact=True).click()
    page.locator(".st-key-picker_way").get_by_text("Most active").click()
    wait_for_run(page)
    choice = page.locator(".st-key-picker_choice")
    box = choice.get_by_role("combobox")
    expect(box).to_have_value(re.compile(r" · [\d,]+ interactions"))  # the candidate, with its history size
    chosen = box.input_value().split(" · ")[0].strip()
    page.locator(".st-key-picker_use button").click()
    wait_for_run(page)
    expect(page.locator(".st-key-user_id input")).to_have_value(chosen)

    page.get_by_role("button", name="Get recommendations").click()
    expect(page.get_by_text("25 recommendations")).to_be_visible()
    wait_for_run(page)
    page.locator(".st-key-results_view").get_by_text("Cards", exact=True).click()
    wait_for_run(page)
    cards = page.locator("[class*='st-key-card_']")
    expect(cards).to_have_count(25)
    expect(cards.first.locator("img")).to_be_visible()
    expect(cards.first).to_contain_text("1.")
    expect(cards.first.get_by_test_id("stProgress")).to_be_visible()
    assert_no_exception(page)
    # The recent-interactions panel shows the picked user's history beside the cards.
    expect(page.get_by_text(f"User {chosen}:")).to_be_visible()
    page.evaluate("window.scrollTo(0, 0)")
    page.wait_for_timeout(500)  # let the tiles paint before the picture is taken
    page.locator("[data-testid='stMain']").screenshot(path=str(SCREENSHOT))
