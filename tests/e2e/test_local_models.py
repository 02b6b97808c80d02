"""A person's own Personalize files become a campaign, in a real browser: upload, train, open."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from scoring import paths, user_groups
from tests.e2e.test_console import assert_no_exception, fill, wait_for_run
from tests.support import small_data

pytestmark = pytest.mark.e2e

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def upload(page: Page, key: str, file: Path) -> None:
    """Give the uploader `key` a file and wait until it lists the file. The rerun of an earlier
    upload may redraw the uploader under its input just as the file is set (seen on a loaded
    machine: the file never reached the page), so set it again then, up to three times."""
    uploader = page.locator(f".st-key-{key}")
    for attempt in range(3):
        wait_for_run(page)
        uploader.locator("input[type=file]").set_input_files(str(file))
        try:
            expect(uploader.get_by_text(file.name, exact=True)).to_be_visible(timeout=15_000)
            break
        except AssertionError:
            if attempt == 2:
                raise
    wait_for_run(page)  # else the next upload can land in this one's rerun and be lost


@pytest.fixture
def group_name() -> Iterator[str]:
    """A unique group name; the group is deleted afterwards whatever happens."""
    name = f"e2e-{uuid.uuid4().hex[:8]}"
    yield name
    if (paths.DATA_ROOT / name).exists():
        user_groups.delete_group(name)


def test_upload_train_and_open_the_new_campaign(browser_page: Any, app_url: str, tmp_path: Path,
                                                group_name: str) -> None:
    page: Page = browser_page
    folder = small_data.write(tmp_path / "upload")
    page.goto(f"{app_url}/local_models")
    wait_for_run(page)
    expect(page.get_by_role("heading", name="Local models")).to_be_visible()

    upload(page, "lm_interactions", folder / paths.INTERACTIONS_FILE)
    upload(page, "lm_items", folder / paths.ITEMS_FILE)
    fill(page, "lm_name", group_name)
    fill(page, "lm_epochs", "1")
    page.get_by_role("button", name="Validate and train").click()
    expect(page.get_by_text(f"Dataset group {group_name} is ready")).to_be_visible(timeout=120_000)
    wait_for_run(page)
    assert_no_exception(page)
    expect(page.get_by_text("Schemas (Interactions inferred, Items inferred)")).to_be_visible()
    ARTIFACTS.mkdir(exist_ok=True)
    page.get_by_test_id("stMain").screenshot(path=str(ARTIFACTS / "local-models-trained.png"))

    page.get_by_role("button", name=f"Open {group_name}-user-personalization").click()
    expect(page.get_by_role("heading", name=f"Campaign: {group_name}-user-personalization")) \
        .to_be_visible()
    wait_for_run(page)
    expect(page.get_by_text("Popularity baseline").first).to_be_visible()
    assert_no_exception(page)
    page.get_by_test_id("stMain").screenshot(path=str(ARTIFACTS / "local-models-campaign.png"))


def test_the_airline_sample_uploads_as_published_and_says_what_it_did(browser_page: Any, app_url: str,
                                                                      group_name: str) -> None:
    """AWS's files as they are: trained, with the odd rows and the inferred schemas on the page."""
    page: Page = browser_page
    airline = paths.PROJECT_ROOT.parent / "shared" / "data" / "aws-airline-sample"  # unedited
    page.goto(f"{app_url}/local_models")
    wait_for_run(page)
    for key, name in (("lm_interactions", paths.INTERACTIONS_FILE), ("lm_items", paths.ITEMS_FILE),
                      ("lm_users", paths.USERS_FILE)):
        upload(page, key, airline / name)
    fill(page, "lm_name", group_name)
    fill(page, "lm_epochs", "1")
    page.get_by_role("button", name="Validate and train").click()
    expect(page.get_by_text(f"Dataset group {group_name} is ready")).to_be_visible(timeout=180_000)
    wait_for_run(page)
    assert_no_exception(page)
    expect(page.get_by_text("5 odd row(s) were imported as listed below")).to_be_visible()
    expect(page.get_by_text("Personalize does not document what its import does")).to_be_visible()
    page.get_by_text("Schemas (Interactions inferred, Items inferred, Users inferred)").click()
    expect(page.get_by_text("Inferred schemas: a column is a number")).to_be_visible()
    ARTIFACTS.mkdir(exist_ok=True)
    page.get_by_test_id("stMain").screenshot(path=str(ARTIFACTS / "local-models-airline.png"))
