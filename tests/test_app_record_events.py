"""The "Record events" panel of Test campaign under AppTest: local events, movement, reset, live behind
an explicit confirmation (boto3 under Stubber), clear errors."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.stub import ANY
from streamlit.testing.v1 import AppTest

from scoring import arns
from scoring.local_group import open_group
from tests.app_support import LIVE_ARN, LIVE_GROUP, LiveAws, errors_of, new_app, table_of

USER = "77"  # a demo user no other test asks for: recorded events never leak into them
RANK = arns.local_arn("campaign", "demo-personalized-ranking")
SIMS = arns.local_arn("campaign", "demo-related-items")
LIVE_TRACKER = "arn:aws:personalize:us-east-1:123456789012:event-tracker/movies-tracker"


@pytest.fixture(autouse=True)
def _clean_user(demo_dir: Path) -> Iterator[None]:
    """The panel writes to the demo group's event store: start and end with no events for USER."""
    store = open_group(demo_dir).events
    store.clear(USER)
    yield
    store.clear(USER)


def _ask(user: str = USER) -> AppTest:
    at = new_app().run()
    at.text_input(key="user_id").input(user)
    return at.button(key="submit").click().run()


def _record(at: AppTest, row: int, event_type: str = "watch", value: str = "") -> AppTest:
    at.selectbox(key="rec_item").set_value(_item_at(at, row))
    at.selectbox(key="rec_event_type").set_value(event_type)
    at.text_input(key="rec_value").input(value)
    return at.button(key="record_event").click().run()


def _item_at(at: AppTest, row: int) -> str:
    return str(table_of(at)["Item ID"].iloc[row])


def _recent(at: AppTest) -> Any:
    return table_of(at, "When")


# -- local -----------------------------------------------------------------------------------------
def test_the_panel_offers_the_result_rows_and_the_groups_event_types(demo_dir: Path) -> None:
    at = _ask()
    assert not at.exception and not errors_of(at)
    assert at.selectbox(key="rec_item").options[0].startswith("1. ")
    assert "watch" in at.selectbox(key="rec_event_type").options
    assert "Move" not in table_of(at).columns  # no movement before anything was recorded


def test_recording_an_event_stores_it_and_shows_it_as_recorded(demo_dir: Path) -> None:
    at = _ask()
    item = _item_at(at, 2)
    at = _record(at, 2, value="4.5")
    assert not at.exception and not errors_of(at)
    assert any("Recorded **watch**" in s.value for s in at.success)
    history = open_group(demo_dir).events.history(USER)
    assert history["ITEM_ID"].tolist() == [item] and history["EVENT_VALUE"].tolist() == [4.5]
    assert "DEVICE" not in history.columns  # no context value was given, so no properties
    recent = _recent(at)
    assert recent["Item ID"].iloc[0] == item and recent["Recorded"].iloc[0] == "recorded"
    assert recent["Recorded"].iloc[1:].eq("").all()
    assert "Move" in table_of(at).columns
    assert any("Since the last recorded event" in c.value for c in at.caption)


def test_an_item_found_by_title_can_be_recorded(demo_dir: Path) -> None:
    group = open_group(demo_dir)
    assert group.items is not None
    title_word = str(group.items["TITLE"].iloc[5]).split()[0]
    at = _ask()
    at.text_input(key="rec_search").input(title_word).run()
    options = at.selectbox(key="rec_item").options
    assert options and all(title_word.lower() in o.lower() for o in options)
    at.button(key="record_event").click().run()
    assert not at.exception and not errors_of(at)
    assert len(group.events.history(USER)) == 1


def test_reset_session_removes_the_recorded_events(demo_dir: Path) -> None:
    at = _record(_ask(), 0)
    at = _record(at, 1, event_type="click")
    assert len(open_group(demo_dir).events.history(USER)) == 2
    at.button(key="reset_session").click().run()
    assert not at.exception and not errors_of(at)
    assert any("Removed 2 recorded events" in s.value for s in at.success)
    assert open_group(demo_dir).events.history(USER).empty
    assert "Recorded" not in _recent(at).columns


def test_the_note_outlives_a_rerun_the_page_asks_for_by_itself(demo_dir: Path) -> None:
    """In a browser the charts are drawn by a rerun a second after the table: the note stays."""
    at = _record(_ask(), 0)
    at.button(key="reset_session").click().run()
    at.run()
    assert any("Removed 1 recorded event" in s.value for s in at.success)


def test_the_note_goes_with_another_user(demo_dir: Path) -> None:
    at = _record(_ask(), 0)
    at.text_input(key="user_id").input("78")
    at = at.button(key="submit").click().run()
    assert not any("Recorded **watch**" in s.value for s in at.success)


def test_a_bad_event_value_is_a_clear_error_and_nothing_is_sent(demo_dir: Path) -> None:
    at = _record(_ask(), 0, value="lots")
    assert not at.exception
    assert any("Event value 'lots' is not a number" in e for e in errors_of(at))
    assert open_group(demo_dir).events.history(USER).empty


def test_ranking_campaigns_record_too_but_related_items_do_not() -> None:
    at = new_app().run()
    at.selectbox(key="campaign_arn").set_value(RANK).run()
    at.text_input(key="user_id").input(USER)
    at.button(key="submit").click().run()
    assert not at.exception and not errors_of(at)
    assert at.button(key="record_event")
    at.selectbox(key="campaign_arn").set_value(SIMS).run()
    at.button(key="submit").click().run()
    assert not [b for b in at.button if b.key == "record_event"]


def test_three_recorded_events_move_the_list(demo_dir: Path) -> None:
    at = _ask()
    for row in (5, 10, 15):
        at = _record(at, row)
    assert not errors_of(at)
    moves = table_of(at)["Move"]
    assert (moves != "=").any()


# -- live (boto3 under Stubber) ------------------------------------------------------------------
def _live(live_aws: LiveAws) -> AppTest:
    live_aws.queue_campaign(paged=False)
    live_aws.runtime_stub.add_response(
        "get_recommendations", {"itemList": [{"itemId": "i-1", "score": 0.4}, {"itemId": "i-2", "score": 0.3}],
                                "recommendationId": "R1"},
        {"campaignArn": LIVE_ARN, "userId": "u-1", "numResults": 25})
    at = new_app()
    at.query_params["source"] = "aws"
    at.run()
    at.text_input(key="user_id").input("u-1")
    return at.button(key="submit").click().run()


def _trackers(live_aws: LiveAws) -> None:
    live_aws.control_stub.add_response("list_event_trackers", {"eventTrackers": [
        {"name": "movies-tracker", "eventTrackerArn": LIVE_TRACKER, "status": "ACTIVE"}]},
        {"datasetGroupArn": LIVE_GROUP})


def test_live_recording_is_off_by_default(live_aws: LiveAws) -> None:
    at = _live(live_aws)
    assert not at.exception and not errors_of(at)
    assert at.toggle(key="rec_live").value is False
    assert not [b for b in at.button if b.key == "record_event"]


def test_live_recording_needs_the_confirmation_before_anything_is_sent(live_aws: LiveAws) -> None:
    at = _live(live_aws)
    _trackers(live_aws)
    at.toggle(key="rec_live").set_value(True).run()
    confirm = [c for c in at.checkbox if c.key and c.key.startswith("rec_confirm_")]
    assert len(confirm) == 1 and confirm[0].value is False
    assert "production Interactions dataset of " + LIVE_GROUP in confirm[0].label
    assert "billed per event" in confirm[0].label
    at.button(key="record_event").click().run()
    assert any("tick the confirmation" in e for e in errors_of(at))
    live_aws.events_stub.assert_no_pending_responses()  # nothing queued, nothing sent


def test_live_recording_with_a_picked_tracker_sends_put_events_and_refetches(live_aws: LiveAws) -> None:
    at = _live(live_aws)
    _trackers(live_aws)
    at.toggle(key="rec_live").set_value(True).run()
    assert "movies-tracker (ACTIVE)" in at.selectbox(key="rec_tracker").options
    at.selectbox(key="rec_tracker").set_value(LIVE_TRACKER)
    next(c for c in at.checkbox if c.key and c.key.startswith("rec_confirm_")).check()
    at.text_input(key="rec_event_type").input("click")
    live_aws.control_stub.add_response("describe_event_tracker", {"eventTracker": {
        "name": "movies-tracker", "eventTrackerArn": LIVE_TRACKER, "trackingId": "tid-123", "status": "ACTIVE"}},
        {"eventTrackerArn": LIVE_TRACKER})
    live_aws.events_stub.add_response("put_events", {}, {
        "trackingId": "tid-123", "userId": "u-1", "sessionId": ANY,
        "eventList": [{"eventType": "click", "itemId": "i-2", "sentAt": ANY}]})
    live_aws.runtime_stub.add_response(
        "get_recommendations", {"itemList": [{"itemId": "i-2", "score": 0.5}, {"itemId": "i-3", "score": 0.2}],
                                "recommendationId": "R2"},
        {"campaignArn": LIVE_ARN, "userId": "u-1", "numResults": 25})
    at.selectbox(key="rec_item").set_value("i-2")
    at.button(key="record_event").click().run()
    assert not at.exception and not errors_of(at)
    live_aws.events_stub.assert_no_pending_responses()
    moves = dict(zip(table_of(at)["Item ID"], table_of(at)["Move"], strict=True))
    assert moves == {"i-2": "▲ 1", "i-3": "new"}
    assert any("i-1 (was 1)" in c.value for c in at.caption)
    assert _recent(at)["Item ID"].tolist() == ["i-2"]
    at.button(key="reset_session").click()
    live_aws.runtime_stub.add_response(
        "get_recommendations", {"itemList": [{"itemId": "i-2", "score": 0.5}], "recommendationId": "R3"},
        {"campaignArn": LIVE_ARN, "userId": "u-1", "numResults": 25})
    at.run()
    assert any("cannot remove events" in w.value for w in at.warning)


def test_live_recording_with_an_entered_tracking_id_when_trackers_cannot_be_listed(live_aws: LiveAws) -> None:
    at = _live(live_aws)
    live_aws.control_stub.add_client_error("list_event_trackers", "AccessDeniedException", "not allowed",
                                           expected_params={"datasetGroupArn": LIVE_GROUP})
    at.toggle(key="rec_live").set_value(True).run()
    assert not at.exception and not errors_of(at)
    assert any("could not be listed (AccessDeniedException)" in c.value for c in at.caption)
    assert at.selectbox(key="rec_tracker").options == ["Enter a trackingId"]
    at.text_input(key="rec_tracking_id").input("typed-tid")
    next(c for c in at.checkbox if c.key and c.key.startswith("rec_confirm_")).check()
    at.text_input(key="rec_event_type").input("purchase")
    at.text_input(key="rec_value").input("19.99")
    live_aws.events_stub.add_response("put_events", {}, {
        "trackingId": "typed-tid", "userId": "u-1", "sessionId": ANY,
        "eventList": [{"eventType": "purchase", "itemId": "i-1", "sentAt": ANY, "eventValue": 19.99}]})
    live_aws.runtime_stub.add_response(
        "get_recommendations", {"itemList": [{"itemId": "i-1", "score": 0.4}, {"itemId": "i-2", "score": 0.3}],
                                "recommendationId": "R2"},
        {"campaignArn": LIVE_ARN, "userId": "u-1", "numResults": 25})
    at.button(key="record_event").click().run()
    assert not at.exception and not errors_of(at)
    live_aws.events_stub.assert_no_pending_responses()
    assert table_of(at)["Move"].tolist() == ["=", "="]


def test_a_live_put_events_failure_is_a_clear_error(live_aws: LiveAws) -> None:
    at = _live(live_aws)
    _trackers(live_aws)
    at.toggle(key="rec_live").set_value(True).run()
    at.selectbox(key="rec_tracker").set_value("Enter a trackingId").run()
    at.text_input(key="rec_tracking_id").input("stale-tid")
    next(c for c in at.checkbox if c.key and c.key.startswith("rec_confirm_")).check()
    live_aws.events_stub.add_client_error("put_events", "InvalidInputException", "trackingId is not valid")
    at.button(key="record_event").click().run()
    assert not at.exception
    assert any("InvalidInputException" in e and "trackingId is not valid" in e for e in errors_of(at))


def test_with_an_exclude_watched_filter_a_recorded_watch_leaves_the_list(demo_dir: Path) -> None:
    """Works with today's model too: Interactions filters see recorded events at once."""
    at = new_app().run()
    at.selectbox(key="filter_arn").set_value(arns.local_arn("filter", "exclude-watched")).run()
    at.text_input(key="user_id").input(USER)
    at = at.button(key="submit").click().run()
    watched = _item_at(at, 0)
    at = _record(at, 0, event_type="watch")
    assert not at.exception and not errors_of(at)
    table = table_of(at)
    assert watched not in table["Item ID"].tolist()
    assert "new" in table["Move"].tolist() and table["Move"].str.startswith("▲").any()
    assert any(f"{watched} (was 1)" in c.value for c in at.caption)
