"""Recording from the console: the PutEvents request, input errors, event types, item search, history."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from botocore.exceptions import ParamValidationError

from scoring import history, recipes, recording, validation
from scoring.recording import EventInputs
from scoring.requests import RequestError


def _inputs(**change: str) -> EventInputs:
    base = {"user_id": "1", "session_id": "s", "item_id": "10", "event_type": "watch"}
    return EventInputs(**(base | change))  # type: ignore[arg-type]


def test_the_request_is_what_boto3_accepts() -> None:
    request = recording.put_events_request(
        EventInputs("1", "s", "10", "watch", "4.5", {"DEVICE": "mobile phone", "NUM_RATINGS": "3"}), "tid",
        now=1_700_000_000.7)
    assert request == {"trackingId": "tid", "userId": "1", "sessionId": "s", "eventList": [{
        "eventType": "watch", "itemId": "10", "sentAt": 1_700_000_000, "eventValue": 4.5,
        "properties": json.dumps({"device": "mobile phone", "numRatings": "3"})}]}
    validation.check_boto3_params("personalize-events", "PutEvents", request)


def test_no_value_and_no_context_send_neither() -> None:
    event = recording.put_events_request(_inputs(), "tid", now=5)["eventList"][0]
    assert set(event) == {"eventType", "itemId", "sentAt"}


@pytest.mark.parametrize(("change", "tracking", "message"), [
    ({"value_text": "lots"}, "tid", "Event value 'lots' is not a number"),
    ({"value_text": "inf"}, "tid", "finite number"),
    ({"item_id": " "}, "tid", "Item is empty"),
    ({"event_type": ""}, "tid", "Event type is empty"),
    ({"user_id": "u" * 257}, "tid", "at most 256"),
    ({}, " ", "No trackingId"),
])
def test_bad_inputs_say_what_to_fix(change: dict[str, str], tracking: str, message: str) -> None:
    with pytest.raises(RequestError, match=message):
        recording.put_events_request(_inputs(**change), tracking)


def test_boto3_would_refuse_what_the_form_never_builds() -> None:
    with pytest.raises(ParamValidationError):
        validation.check_boto3_params("personalize-events", "PutEvents", {"trackingId": "t", "eventList": []})


def test_event_types_are_the_groups_own_most_used_first(tmp_path: Path) -> None:
    pd.DataFrame({"USER_ID": ["1", "2", "3"], "ITEM_ID": ["a", "b", "c"], "TIMESTAMP": [1, 2, 3],
                  "EVENT_TYPE": ["click", "watch", "watch"]}).to_csv(tmp_path / "interactions.csv", index=False)
    assert recording.event_types(tmp_path) == ["watch", "click"]
    assert recording.event_types(None) == []


def test_items_are_found_by_id_or_title() -> None:
    items = pd.DataFrame({"ITEM_ID": ["1", "12", "7"], "TITLE": ["Alpha", "Beta", "Alpha Returns"]})
    items = items.set_index("ITEM_ID", drop=False)
    assert recording.search_items(items, ["1", "12", "7"], "alpha") == ["1", "7"]
    assert recording.search_items(items, ["1", "12", "7"], "1") == ["1", "12"]
    assert recording.search_items(items, [], " ") == []
    assert recording.item_label("7", items) == "Alpha Returns (7)" and recording.item_label("x", items) == "x"


def test_only_real_time_recipes_record() -> None:
    def records(name: str) -> bool:
        return recording.records_events(recipes.lookup(name))

    assert records("aws-user-personalization-v2") and records("aws-personalized-ranking-v2")
    assert not records("aws-sims") and not records("aws-popularity-count")


def test_recorded_events_join_the_history_newest_first_and_marked() -> None:
    interactions = pd.DataFrame({"USER_ID": ["1", "1"], "ITEM_ID": ["a", "b"], "TIMESTAMP": [10, 20],
                                 "EVENT_TYPE": ["watch", "watch"], "DEVICE": ["tv", "tv"]})
    recorded = pd.DataFrame({"USER_ID": ["1"], "ITEM_ID": ["c"], "TIMESTAMP": [30], "EVENT_TYPE": ["click"],
                             "EVENT_VALUE": [float("nan")], "SESSION_ID": ["s"]})
    seen = history.InteractionsIndex(interactions).history("1", recorded=recorded)
    assert seen.total == 3
    assert seen.recent["Item ID"].tolist() == ["c", "b", "a"]
    assert seen.recent["Recorded"].tolist() == ["recorded", "", ""]
    assert seen.recent["DEVICE"].tolist() == ["", "tv", "tv"]
    cold = history.InteractionsIndex(interactions).history("new-user", recorded=recorded.assign(USER_ID="new-user"))
    assert cold.recent["Item ID"].tolist() == ["c"] and cold.total == 1


def test_events_sent_to_a_live_tracker_become_history_rows() -> None:
    request = recording.put_events_request(_inputs(value_text="2"), "tid", now=99)
    rows = recording.recorded_rows([request])
    assert rows[["USER_ID", "ITEM_ID", "TIMESTAMP", "EVENT_TYPE", "EVENT_VALUE"]].values.tolist() == [
        ["1", "10", 99, "watch", 2.0]]
