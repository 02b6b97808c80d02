"""Browser tests: `streamlit run app.py` on a free port, driven by Playwright with Debian's Chromium.

The server's output goes to test-artifacts/streamlit-e2e.log (not an unread pipe); a failing
test leaves a screenshot next to it. Playwright's own browser download is never used.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.support.browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    ROOT,
    VIEWPORT,
    free_port,
    start_streamlit,
    stop,
    wait_healthy,
)

ARTIFACTS = ROOT / "test-artifacts"
START_TIMEOUT = 90.0
START_ATTEMPTS = 3

# Web-first assertions wait up to 30 s, not Playwright's 5 s: `make test` runs these tests beside
# the unit tests on a shared machine, where a rerun can take longer than 5 s; a passing check
# returns as soon as it holds, so this costs nothing when all is well.
expect.set_options(timeout=30_000)


@pytest.fixture(scope="session")
def app_url(demo_dir: Path) -> Iterator[str]:
    """The console served by `streamlit run`, once per session (per xdist worker)."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is missing: apt-get install -y chromium")
    ARTIFACTS.mkdir(exist_ok=True)
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    log = open(ARTIFACTS / f"streamlit-e2e-{worker}.log", "w")
    for attempt in range(START_ATTEMPTS):
        # Another process (a parallel test run) may take the free port before Streamlit binds it:
        # Streamlit then exits at once, and a new port is tried.
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        process = start_streamlit("app.py", port, log)
        if wait_healthy(process, url, START_TIMEOUT):
            break
        exited = process.poll() is not None  # not a slow start: a port taken, or a crash
        stop(process)
        if not exited or attempt == START_ATTEMPTS - 1:
            log.close()
            pytest.fail(f"streamlit did not start: see {log.name}")
    try:
        yield url
    finally:
        stop(process)
        log.close()


@pytest.fixture(scope="session")
def chromium() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """Remember each phase's report on the item, so fixtures can tell a failed test."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture(scope="session")
def browser_context(chromium: object) -> Iterator[object]:
    """One browser context per worker: each test's page reuses the app's code that the browser
    has already fetched and compiled (a cold page of the console costs Chromium about 8 s of CPU,
    a fifth of it less on the context's second page). Each page still opens its own Streamlit
    session, so no server-side state is shared."""
    context = chromium.new_context(viewport=VIEWPORT)  # type: ignore[attr-defined]
    yield context
    context.close()


@pytest.fixture
def browser_page(browser_context: object, app_url: str,
                 request: pytest.FixtureRequest) -> Iterator[object]:
    """A fresh page (own session) on the app; a screenshot lands in test-artifacts/ on failure."""
    page = browser_context.new_page()  # type: ignore[attr-defined]
    page.set_default_timeout(60_000)
    yield page
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"))
    page.close()
