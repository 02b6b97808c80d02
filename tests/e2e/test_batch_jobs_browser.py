"""A local batch inference job in a real browser: 2,000 users, confirm, watch it finish, see the metrics.

The console runs with S3 pointed at moto's server (AWS_ENDPOINT_URL_S3), on a copy of the demo group.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from scoring import events, paths
from scoring.batch_jobs import JOBS_DIR
from tests.e2e.conftest import ARTIFACTS, START_TIMEOUT
from tests.e2e.test_console import assert_no_exception, fill, wait_for_run
from tests.support import s3_server
from tests.support.browser import free_port, hermetic_aws_env, start_streamlit, stop, wait_healthy

pytestmark = pytest.mark.e2e

GROUP = "batch-e2e"


@pytest.fixture(scope="module")
def batch_app_url(demo_dir: Path) -> Iterator[str]:
    """The console with S3 = moto's server, and a copy of the demo group to run jobs on."""
    target = Path(paths.DATA_ROOT) / GROUP
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(demo_dir, target, ignore=shutil.ignore_patterns(".*", events.EVENTS_FILE, JOBS_DIR))
    with s3_server.s3_environment() as s3_url:
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        ARTIFACTS.mkdir(exist_ok=True)
        env = hermetic_aws_env() | {"AWS_ENDPOINT_URL_S3": s3_url, "AWS_DEFAULT_REGION": "us-east-1",
                                    "CONSOLE_DATA_ROOT": os.environ.get("CONSOLE_DATA_ROOT", str(paths.DATA_ROOT))}
        with open(ARTIFACTS / "streamlit-e2e-batch.log", "w") as log:
            process = start_streamlit("app.py", port, log, env=env)
            try:
                if not wait_healthy(process, url, START_TIMEOUT):
                    pytest.fail(f"streamlit did not start: see {log.name}")
                yield url
            finally:
                stop(process)
    shutil.rmtree(target, ignore_errors=True)


def test_a_local_job_for_2000_users_runs_and_shows_its_metrics(browser_page: Any, batch_app_url: str) -> None:
    page: Page = browser_page
    page.goto(f"{batch_app_url}/health_check")
    wait_for_run(page)
    page.get_by_test_id("stSidebar").locator(".st-key-local_group").get_by_role("combobox").click()
    page.get_by_role("option", name=GROUP, exact=True).click()
    wait_for_run(page)
    page.get_by_role("tab", name="Batch inference jobs").click()
    wait_for_run(page)
    expect(page.get_by_text("No batch inference jobs yet.")).to_be_visible()
    expect(page.locator(".st-key-batch_size input")).to_have_value("2000")
    fill(page, "batch_in_folder", f"s3://{s3_server.BUCKET}/e2e/in/")
    fill(page, "batch_out_folder", f"s3://{s3_server.BUCKET}/e2e/out/")
    fill(page, "batch_name", "browser-job")
    page.locator(".st-key-batch_name input").press("Enter")
    wait_for_run(page)
    page.get_by_role("button", name="Review job").click()
    wait_for_run(page)
    expect(page.get_by_text("Starting this job will:")).to_be_visible()
    expect(page.get_by_text("2,000 lines", exact=False)).to_be_visible()
    page.get_by_text("I understand what this writes and what it costs").click()
    wait_for_run(page)
    page.get_by_role("button", name="Start job").click()
    expect(page.get_by_text("Job browser-job is ACTIVE", exact=False)).to_be_visible(timeout=90_000)
    expect(page.get_by_text("2,000 lists read from 2,000 lines", exact=False)).to_be_visible(timeout=60_000)
    wait_for_run(page)
    expect(page.get_by_test_id("stDataFrame").filter(has_text="Catalogue coverage@K")).to_be_visible()
    expect(page.get_by_test_id("stPlotlyChart").first).to_be_visible()
    assert_no_exception(page)
    page.set_viewport_size({"width": 1400, "height": 3200})
    wait_for_run(page)
    page.get_by_test_id("stMainBlockContainer").screenshot(path=str(ARTIFACTS / "batch-job.png"))
