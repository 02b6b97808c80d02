"""In a real browser, a shared link's markdown payload renders as plain text (issue 13, finding 6):
no bold text, no live link, no remote image, and no request to the hosts it names."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlsplit

import pytest
from playwright.sync_api import Page

from tests.e2e.test_console import assert_no_exception, wait_for_run

pytestmark = pytest.mark.e2e

PAYLOAD = "**B0LD** [x](https://evil.example) ![i](http://host/track.png)"


def test_a_linked_user_id_renders_as_plain_text(browser_page: Any, app_url: str) -> None:
    page: Page = browser_page
    contacted: list[str] = []
    page.on("request", lambda r: contacted.append(r.url)
            if urlsplit(r.url).hostname in ("evil.example", "host") else None)
    page.goto(f"{app_url}/?user={quote(PAYLOAD)}")
    wait_for_run(page)
    assert_no_exception(page)
    main = page.locator("[data-testid='stMain']")
    main.get_by_text("**B0LD**", exact=False).first.wait_for()  # the characters, as typed
    # ... and the link as typed, in the raw request drawn after the table (deferred; collapsed)
    main.get_by_text("[x](https://evil.example)", exact=False).first.wait_for(state="attached")
    assert page.locator("strong", has_text="B0LD").count() == 0
    # (Streamlit's own navigation links carry the URL's query string, payload included, as data)
    hrefs = page.locator("a[href]").evaluate_all("els => els.map(e => e.href)")
    assert not [h for h in hrefs if h.split("?", 1)[0].split("//", 1)[-1].startswith(("evil.example", "host"))], hrefs
    assert page.locator("img[src*='track.png']").count() == 0
    assert contacted == []
