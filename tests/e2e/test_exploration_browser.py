"""Exploration in a real browser: one demo user, the same campaign at weight 0 and at 0.3, side by side."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import ARTIFACTS
from tests.e2e.test_console import assert_no_exception, fill, wait_for_run

pytestmark = pytest.mark.e2e


def test_compare_shows_exploration_weight_zero_against_point_three(browser_page: Any, app_url: str) -> None:
    page: Page = browser_page
    page.set_viewport_size({"width": 1400, "height": 2600})
    page.goto(f"{app_url}/compare")
    wait_for_run(page)
    for side in ("a", "b"):
        fill(page, f"cmp_{side}_user", "1")
        fill(page, f"cmp_{side}_ctx_key_0", "DEVICE")
        fill(page, f"cmp_{side}_ctx_val_0", "mobile phone")
        page.locator(f".st-key-cmp_{side}_explore_on label").first.click()
        wait_for_run(page)
    expect(page.locator(".st-key-cmp_b_explore_weight")).to_contain_text("0.30")
    page.get_by_role("button", name="Compare").click()
    wait_for_run(page)

    headers = page.get_by_test_id("stMarkdown")
    expect(headers.filter(has_text="A · demo-user-personalization · user 1 · DEVICE=mobile phone · exploration 0"))\
        .to_have_count(1)
    expect(headers.filter(has_text="B · demo-user-personalization · user 1 · DEVICE=mobile phone · exploration 0.3"))\
        .to_have_count(1)
    caption = page.get_by_test_id("stCaptionContainer").filter(has_text="Exploration: ranks")
    expect(caption).to_have_count(1)
    explored = [int(r) for r in re.findall(r"\d+", caption.inner_text().split("Exploration:")[1])]
    assert len(explored) == 4
    # B keeps 21 of A's items and adds the 4 explored ones. Read from the page's text, not from the
    # grids: their accessible tables have given cells of an earlier draw (the page itself was right).
    expect(page.get_by_test_id("stCaptionContainer")
           .filter(has_text="21 items in both lists, 4 only in A, 4 only in B")).to_have_count(1)
    expect(page.get_by_test_id("stCaptionContainer").filter(has_text="Exploration: rank")).to_have_count(1)  # B only
    assert_no_exception(page)

    ARTIFACTS.mkdir(exist_ok=True)
    page.get_by_test_id("stMainBlockContainer").screenshot(path=str(ARTIFACTS / "compare-exploration.png"))
