"""The Recent interactions panel beside the results: known user, cold user, live source."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from scoring import dataset
from tests.app_support import (
    needs_demo,
    LIVE_ARN,
    LiveAws,
    errors_of,
    new_app,
    table_of,
)


pytestmark = needs_demo


def _ask(user: str) -> AppTest:
    at = new_app().run()
    at.text_input(key="user_id").input(user)
    return at.button(key="submit").click().run()


def test_a_known_user_shows_the_latest_interactions_newest_first(demo_dir: Path) -> None:
    at = _ask("1")
    assert not at.exception and not errors_of(at)
    shown = table_of(at, "When")
    mine = dataset.load_interactions(demo_dir).query("USER_ID == '1'")
    latest = mine.sort_values("TIMESTAMP", ascending=False).head(10)
    assert shown["Item ID"].tolist() == latest["ITEM_ID"].tolist()
    assert shown["DEVICE"].tolist() == latest["DEVICE"].tolist()
    assert {"When", "TITLE", "Event type"} <= set(shown.columns)
    assert any(f"{len(mine):,} interactions" in c.value for c in at.caption)
    assert len(table_of(at)) == 25  # the results table is still there, beside it


def test_a_cold_user_is_explained_instead() -> None:
    at = _ask("nobody-at-all")
    assert not at.exception and not errors_of(at)
    assert not [d for d in at.dataframe if "When" in d.value.columns]
    assert any("no interactions in this dataset group" in c.value for c in at.caption)


def test_no_panel_before_a_request() -> None:
    at = new_app().run()
    assert not [s for s in at.subheader if s.value == "Recent interactions"]


def test_a_live_campaign_says_why_there_is_no_history(live_aws: LiveAws) -> None:
    live_aws.queue_campaign(paged=False)
    live_aws.runtime_stub.add_response(
        "get_recommendations", {"itemList": [{"itemId": "i-1", "score": 0.4}], "recommendationId": "R"},
        {"campaignArn": LIVE_ARN, "userId": "u-1", "numResults": 25})
    at = new_app()
    at.query_params["source"] = "aws"
    at.run()
    at.text_input(key="user_id").input("u-1")
    at.button(key="submit").click().run()
    assert not at.exception and not errors_of(at)
    assert any("no API that reads a user's interactions" in c.value for c in at.caption)
