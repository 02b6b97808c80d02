"""Shared pieces of the AppTest page tests: the app under test, cache hygiene, stubbed AWS clients."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest
import streamlit as st
from botocore.exceptions import ClientError
from botocore.stub import Stubber
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parent.parent / "app.py")
TIMEOUT = 60

LIVE_ARN = "arn:aws:personalize:us-east-1:123456789012:campaign/movies-live"
LIVE_ARN_2 = "arn:aws:personalize:us-east-1:123456789012:campaign/movies-ranking"
LIVE_VERSION = "arn:aws:personalize:us-east-1:123456789012:solution/movies/1a2b3c4d"
LIVE_GROUP = "arn:aws:personalize:us-east-1:123456789012:dataset-group/movies"
WHEN = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)


OWN_GROUP = "mine"


@pytest.fixture
def own_group(demo_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the demo group under a private data root: what a test writes there (filters,
    campaign updates) touches nothing another test reads."""
    import shutil

    from scoring import paths

    root = tmp_path / "data"
    shutil.copytree(demo_dir, root / OWN_GROUP, ignore=shutil.ignore_patterns(".*"))
    monkeypatch.setattr(paths, "DATA_ROOT", root)
    return root / OWN_GROUP


def on_own_group(at: AppTest | None = None, page: str | None = None) -> AppTest:
    """The app run with the `own_group` copy picked in the sidebar, then on `page` if given."""
    at = (at if at is not None else new_app()).run()
    at.selectbox(key="local_group").set_value(OWN_GROUP).run()
    return at.switch_page(page).run() if page else at


@pytest.fixture(autouse=True)
def run_app_py_on_every_rerun(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make AppTest rerun app.py like the server does, not the page script alone.

    AppTest (1.67) resets `PagesManager.uses_pages_directory` before every run; with a `pages/`
    folder next to app.py it then runs each rerun's page *directly* (Streamlit's old multipage
    mode). The server turns that mode off for good once `st.navigation` has run. The pages
    recover by themselves (`sidebar.current()` reruns through app.py) but a button click does
    not survive that extra rerun, so AppTest gets the server's behaviour here.
    """
    import streamlit.testing.v1.app_test as app_test
    from streamlit.runtime import pages_manager

    class NavigationPagesManager(pages_manager.PagesManager):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            pages_manager.PagesManager.uses_pages_directory = False

    monkeypatch.setattr(app_test, "PagesManager", NavigationPagesManager)


@pytest.fixture(scope="session", autouse=True)
def scan_for_components_once() -> Iterator[None]:
    """One scan of the installed packages for Streamlit components per process, not per AppTest.

    Every new AppTest (1.67) reads the metadata of every installed distribution to register
    custom components: 0.09 s of CPU each time, about a third of a short page test. The
    installed packages do not change during a test run, so the first scan's answer stands.
    """
    from functools import cache

    from streamlit.components.v2 import manifest_scanner

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(manifest_scanner, "scan_component_manifests",
                      cache(manifest_scanner.scan_component_manifests))
        yield


@pytest.fixture(scope="session", autouse=True)
def compile_each_script_once() -> Iterator[None]:
    """One bytecode cache for app.py and the pages per process, as the server keeps one for its
    lifetime; AppTest (1.67) makes two new ones on every run (its PagesManager's and its script
    runner's), so every rerun recompiled both scripts with Streamlit's magic AST pass. The sources
    do not change during a test run."""
    import streamlit.testing.v1.app_test as app_test
    import streamlit.testing.v1.local_script_runner as local_script_runner
    from streamlit.runtime.scriptrunner.script_cache import ScriptCache

    shared = ScriptCache()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(app_test, "ScriptCache", lambda: shared)  # the pages' (PagesManager)
        patch.setattr(local_script_runner, "ScriptCache", lambda: shared)  # app.py's (the runner)
        yield


#: `pytestmark = needs_demo` in a page test module: the demo group is built before the app opens it.
needs_demo = pytest.mark.usefixtures("demo_dir")


def new_app() -> AppTest:
    return AppTest.from_file(APP, default_timeout=TIMEOUT)


def on_page(page: str, at: AppTest | None = None) -> AppTest:
    """The app run once through app.py (a new one unless given), then switched to `page`."""
    return (at if at is not None else new_app()).run().switch_page(page).run()


@pytest.fixture(autouse=True)
def clear_streamlit_caches() -> Iterator[None]:
    """st.cache_* live per process: without this, one test's clients leak into the next."""
    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()


_ESCAPED = re.compile(r"\\([!-/:-@\[-`{-~])")


def rendered(markdown: str) -> str:
    """Markdown source as the text it shows: CommonMark backslash escapes and the invisible
    word joiners that stop autolinks removed (the pages escape user-supplied text with
    `components.safe_text.md`)."""
    return _ESCAPED.sub(r"\1", markdown).replace("\u2060", "")


def errors_of(at: AppTest) -> list[str]:
    """The errors on the page, as the text they show."""
    return [rendered(e.value) for e in at.error]


def table_of(at: AppTest, column: str = "Rank") -> Any:
    """The first table on the page with this column (AppTest leaves st.dataframe keys unset).

    "Rank" is the results table; pages show other tables beside it.
    """
    found = [d.value for d in at.dataframe if column in d.value.columns]
    assert found, f"no table with a {column!r} column among {[list(d.value.columns) for d in at.dataframe]}"
    return found[0]


def stubbed(service: str) -> tuple[Any, Stubber]:
    """A real boto3 client (dummy keys, no network) whose answers come from a Stubber queue."""
    client = boto3.client(service, region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    stubber = Stubber(client)
    stubber.activate()
    return client, stubber


class LiveAws:
    """Stands in for `scoring.aws.live_client`: hands out one stubbed client per service."""

    def __init__(self) -> None:
        self.runtime, self.runtime_stub = stubbed("personalize-runtime")
        self.control, self.control_stub = stubbed("personalize")
        self.events, self.events_stub = stubbed("personalize-events")
        self.calls: list[tuple[str, str | None, str | None, str | None]] = []

    def __call__(self, service: str, region: str | None, profile: str | None = None,
                 endpoint_url: str | None = None) -> Any:
        self.calls.append((service, region, profile, endpoint_url))
        if service == "personalize-events":
            return self.events
        return self.runtime if service == "personalize-runtime" else self.control

    def queue_campaign(self, *, paged: bool = True, recommenders: Exception | None = None) -> None:
        """ListCampaigns over two pages, then DescribeCampaign and DescribeSolutionVersion.

        `recommenders`: the ListRecommenders failure the sidebar meets after ListCampaigns."""
        first = {"name": "movies-live", "campaignArn": LIVE_ARN, "status": "ACTIVE",
                 "creationDateTime": WHEN, "lastUpdatedDateTime": WHEN}
        second = {"name": "movies-ranking", "campaignArn": LIVE_ARN_2, "status": "ACTIVE",
                  "creationDateTime": WHEN, "lastUpdatedDateTime": WHEN}
        if paged:
            self.control_stub.add_response("list_campaigns", {"campaigns": [first], "nextToken": "page-2"},
                                           {"maxResults": 100})
            self.control_stub.add_response("list_campaigns", {"campaigns": [second]},
                                           {"maxResults": 100, "nextToken": "page-2"})
        else:
            self.control_stub.add_response("list_campaigns", {"campaigns": [first, second]})
        if isinstance(recommenders, ClientError):
            error = recommenders.response["Error"]
            self.control_stub.add_client_error("list_recommenders", error["Code"], error["Message"])
        self.control_stub.add_response("describe_campaign", {"campaign": {
            "name": "movies-live", "campaignArn": LIVE_ARN, "solutionVersionArn": LIVE_VERSION,
            "minProvisionedTPS": 2, "status": "ACTIVE", "creationDateTime": WHEN, "lastUpdatedDateTime": WHEN,
            "campaignConfig": {"itemExplorationConfig": {"explorationWeight": "0.3",
                                                         "explorationItemAgeCutOff": "30"}},
        }}, {"campaignArn": LIVE_ARN})
        self.control_stub.add_response("describe_solution_version", {"solutionVersion": {
            "solutionVersionArn": LIVE_VERSION,
            "recipeArn": "arn:aws:personalize:::recipe/aws-user-personalization",
            "datasetGroupArn": LIVE_GROUP, "status": "ACTIVE", "creationDateTime": WHEN,
        }}, {"solutionVersionArn": LIVE_VERSION})


@pytest.fixture
def live_aws(monkeypatch: pytest.MonkeyPatch) -> LiveAws:
    """Live mode without AWS: `scoring.aws.live_client` returns stubbed boto3 clients."""
    import scoring.aws

    fake = LiveAws()
    monkeypatch.setattr(scoring.aws, "live_client", fake)
    monkeypatch.setattr(scoring.aws, "default_region", lambda: "us-east-1")
    monkeypatch.setattr(scoring.aws, "profiles", lambda: ["dev", "prod"])
    return fake
