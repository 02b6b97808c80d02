"""The "Amazon Personalize" source end to end over real HTTP: the app's live path against the
local Personalize-compatible endpoint, then the same endpoint stopped while the app is open."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from playwright.sync_api import Page, expect

from scoring import arns
from scoring.server import serve_in_thread
from tests.e2e.test_console import assert_no_exception, table_column, wait_for_run

pytestmark = pytest.mark.e2e

CAMPAIGN = arns.local_arn("campaign", "demo-user-personalization")


@pytest.fixture
def endpoint(demo_dir: Path) -> Iterator[Any]:
    server, url = serve_in_thread(demo_dir)
    yield server, url
    server.shutdown()


def live_link(app_url: str, endpoint_url: str) -> str:
    return (f"{app_url}/?source=aws&region=us-east-1&endpoint={quote(endpoint_url, safe='')}"
            f"&campaign={quote(CAMPAIGN, safe='')}&user=1&ctx=DEVICE%3Dmobile+phone&n=10")


def accept_linked_endpoint(page: Page) -> None:
    """A link's endpoint URL is used only once the person accepts it (issue 13)."""
    page.locator(".st-key-endpoint_accept button").click()
    wait_for_run(page)


def test_live_source_shows_the_local_campaigns_over_http(browser_page: Any, app_url: str, endpoint: Any) -> None:
    page: Page = browser_page
    page.goto(live_link(app_url, endpoint[1]))
    wait_for_run(page)
    accept_linked_endpoint(page)
    expect(page.get_by_text("10 recommendations")).to_be_visible()
    ids = table_column(page, 1, 10)
    assert len(set(ids)) == 10
    assert_no_exception(page)


def test_stopped_endpoint_gives_a_clear_message(browser_page: Any, app_url: str, endpoint: Any) -> None:
    page: Page = browser_page
    server, url = endpoint
    page.goto(live_link(app_url, url))
    wait_for_run(page)
    accept_linked_endpoint(page)
    expect(page.get_by_text("10 recommendations")).to_be_visible()
    server.shutdown()
    page.get_by_role("button", name="Get recommendations").click()
    wait_for_run(page)
    expect(page.get_by_test_id("stAlertContainer").filter(has_text="EndpointUnreachable")).to_be_visible()
    assert_no_exception(page)
