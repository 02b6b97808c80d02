"""The "Record events" panel of Test campaign: send an event, fetch the list again, see it move.

Local campaigns record through the local `personalize-events` client on the group's event
tracker. Live campaigns are off by default: the person switches recording on, picks an event
tracker of the campaign's dataset group (or enters a trackingId) and ticks a confirmation that
names what changes, before anything is sent. Buttons only mark what was asked (`on_click`);
`apply` does the work on the next run, before the results table is drawn, so the table shows
the new list with each item's movement against the list before.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from components import errors, read_only, runner, sources, user_data
from components.runner import Result
from components.sidebar import Selection
from scoring import campaigns, movement, recording
from scoring import errors as scoring_errors
from scoring.requests import RequestError

_PENDING = "_record_pending"
_BASE = "_record_base"
_SENT = "_record_sent"
_SESSION = "_record_session_id"
_NOTE = "_record_note"
RECORD, RESET = "record", "reset"
ENTER_ID = "Enter a trackingId"


@dataclass(frozen=True)
class _Base:
    """The list before the last recorded event (or reset), for this campaign and user."""

    source_key: tuple[str | None, ...]
    campaign_arn: str
    user_id: str
    item_ids: tuple[str, ...]


def offered(details: campaigns.CampaignDetails, result: Result | None) -> bool:
    """Only user-personalization and personalized-ranking lists react to events at once."""
    return result is not None and bool(result.params.get("userId")) and recording.records_events(details.recipe_info)


def forget() -> None:
    """A new request from the form: movement is measured from the next recorded event on."""
    st.session_state.pop(_BASE, None)


def _session_id() -> str:
    """One sessionId per browser session, as a web app would send for its visitor."""
    return st.session_state.setdefault(_SESSION, f"console-{uuid.uuid4()}")


def _ask(action: str) -> None:
    st.session_state[_PENDING] = action


def _item_ids(result: Result) -> list[str]:
    return [str(i) for i in result.table["Item ID"].tolist()]


# -- work done at the start of a run -------------------------------------------------------------
def apply(selection: Selection, details: campaigns.CampaignDetails, result: Result | None) -> Result | None:
    """Carry out a Record / Reset pressed on the last run; return the list to show now."""
    action = st.session_state.pop(_PENDING, None)
    if action is None or not offered(details, result):
        return result
    assert result is not None
    user_id = str(result.params["userId"])
    if action == RECORD:
        if not _record(selection, details, result, user_id):
            return result
    elif action == RESET and not _reset(selection, user_id):
        return result
    before = _item_ids(result)
    again = runner.run(selection, (result.method, result.params),
                       user_data.items(selection.config, details.dataset_group_arn))
    if again is None:
        return None
    st.session_state[_BASE] = _Base(selection.config.key, result.campaign_arn, user_id, tuple(before))
    return again


def _record(selection: Selection, details: campaigns.CampaignDetails, result: Result, user_id: str) -> bool:
    state = st.session_state
    try:
        tracking_id = _tracking_id(selection, details)
        event_type = str(state.get("rec_event_type") or "")
        request = recording.put_events_request(recording.EventInputs(
            user_id=user_id, session_id=_session_id(), item_id=str(state.get("rec_item") or ""),
            event_type=event_type, value_text=str(state.get("rec_value") or ""),
            context=result.params.get("context")), tracking_id)
        sources.events_client(selection.config).put_events(**request)
    except Exception as exc:
        errors.show(exc)
        return False
    if not selection.config.is_local:
        state.setdefault(_SENT, []).append(request)
    item = request["eventList"][0]["itemId"]
    state[_NOTE] = ("success", f"Recorded **{event_type}** on item {item} for user {user_id}; the list was "
                    "fetched again.", user_id)
    return True


def _reset(selection: Selection, user_id: str) -> bool:
    state = st.session_state
    if selection.config.is_local:
        group = sources.group(selection.config)
        assert group is not None
        try:
            removed = group.events.clear(user_id)
        except OSError as exc:
            errors.show(exc)
            return False
        state[_NOTE] = ("success", f"Removed {removed} recorded event{'s' if removed != 1 else ''} of user "
                        f"{user_id}.", user_id)
        return True
    sent = state.get(_SENT, [])
    state[_SENT] = [r for r in sent if r.get("userId") != user_id]
    state[_NOTE] = ("warning", "Amazon Personalize cannot remove events once recorded: they stay in the "
                    "Interactions dataset and keep shaping this user's recommendations. Only this console's "
                    "view of the events it sent was reset.", user_id)
    return True


def _tracking_id(selection: Selection, details: campaigns.CampaignDetails) -> str:
    state = st.session_state
    if selection.config.is_local:
        group = sources.group(selection.config)
        trackers = [] if group is None else group.event_trackers
        if not trackers:
            raise RequestError("This dataset group has no event tracker: create one (button below).")
        return trackers[0].tracking_id
    if not state.get("rec_live"):
        raise RequestError("Recording events on a live campaign is off: switch it on first.")
    if not state.get(_confirm_key(details)):
        raise RequestError("Nothing was sent: tick the confirmation that these events go into the production "
                           "dataset first.")
    choice = state.get("rec_tracker")
    if choice and choice != ENTER_ID:
        assert selection.clients is not None
        described = selection.clients.control.describe_event_tracker(eventTrackerArn=choice)
        return str(described["eventTracker"]["trackingId"])
    return str(state.get("rec_tracking_id") or "")


def _confirm_key(details: campaigns.CampaignDetails) -> str:
    """The confirmation belongs to one dataset group: another group asks again."""
    group = details.dataset_group_arn or details.arn
    return "rec_confirm_" + hashlib.sha256(group.encode()).hexdigest()[:12]


# -- what the page shows -------------------------------------------------------------------------
def moves(selection: Selection, result: Result | None) -> list[movement.Move] | None:
    """The shown list's movement against the list before the last recorded event, if any."""
    base: _Base | None = st.session_state.get(_BASE)
    if result is None or base is None:
        return None
    if (base.source_key, base.campaign_arn, base.user_id) != (selection.config.key, result.campaign_arn,
                                                              str(result.params.get("userId"))):
        return None
    return movement.movement(base.item_ids, _item_ids(result))


def recorded(selection: Selection, result: Result | None) -> pd.DataFrame | None:
    """The user's events recorded with PutEvents (local) or sent from this session (live)."""
    user_id = None if result is None else result.params.get("userId")
    if not user_id:
        return None
    if selection.config.is_local:
        group = sources.group(selection.config)
        try:
            return None if group is None else group.events.history(str(user_id))
        except OSError:  # an unreadable events.log: the panel shows the interactions alone
            return None
    sent = [r for r in st.session_state.get(_SENT, []) if r.get("userId") == user_id]
    return recording.recorded_rows(sent) if sent else None


@st.cache_data(show_spinner=False, max_entries=8)
def _event_types(group_path: str, stamp: float) -> list[str]:
    """The group's event types, read once per interactions.csv version."""
    return recording.event_types(Path(group_path))


@st.cache_data(ttl=sources.LIST_TTL, show_spinner=False)
def _trackers(_control: Any, key: tuple[str | None, ...], group_arn: str | None) -> list[dict[str, Any]]:
    """Every page of ListEventTrackers for the dataset group (summaries: no trackingId)."""
    params: dict[str, Any] = {"datasetGroupArn": group_arn} if group_arn else {}
    found: list[dict[str, Any]] = []
    while True:
        page = _control.list_event_trackers(**params)
        found += page.get("eventTrackers", [])
        if not page.get("nextToken"):
            return found
        params["nextToken"] = page["nextToken"]


def render(selection: Selection, details: campaigns.CampaignDetails, result: Result | None) -> None:
    """The panel under the results (user-personalization and personalized-ranking only)."""
    if not offered(details, result):
        return
    assert result is not None
    # The last action's note stays until the next action or another user: a rerun that the page
    # asks for by itself (the charts drawn after the table) must not wipe it a second after.
    note = st.session_state.get(_NOTE)
    if note and note[2] != str(result.params.get("userId")):
        del st.session_state[_NOTE]
        note = None
    with st.container(key="record_events", border=True):
        st.subheader("Record events", anchor=False)
        if read_only.active():
            read_only.note("Recording events")
            return
        if note:
            level, text, _ = note
            if level == "warning":
                st.warning(text, icon=":material/info:")
            else:
                st.success(text, icon=":material/bolt:")
        if selection.config.is_local:
            if not _local_tracker(selection):
                return
        elif not _live_switch(selection, details):
            return
        _event_fields(selection, result, details.dataset_group_arn)
        record, reset = st.columns(2)
        record.button("Record", key="record_event", type="primary", on_click=_ask, args=(RECORD,),
                      icon=":material/bolt:", width="stretch")
        reset.button("Reset session", key="reset_session", on_click=_ask, args=(RESET,),
                     icon=":material/restart_alt:", width="stretch",
                     help="Local: removes this user's recorded events. Live: Personalize cannot remove "
                     "events; only this console's view resets.")


def _local_tracker(selection: Selection) -> bool:
    group = sources.group(selection.config)
    if group is None:
        return False
    trackers = group.event_trackers
    if not trackers:
        st.warning("This dataset group has no event tracker, so it takes no events.", icon=":material/warning:")
        if st.button("Create an event tracker", key="create_tracker"):
            try:
                sources.clients(selection.config).control.create_event_tracker(
                    name=f"{group.name}-event-tracker", datasetGroupArn=group.arn)
            except Exception as exc:
                errors.show(exc)
            else:
                st.rerun()
        return False
    st.caption(f"PutEvents on event tracker **{trackers[0].name}** of local group {group.name}: the events "
               "are stored in the group, count for the very next request and join the next training.")
    return True


def _live_switch(selection: Selection, details: campaigns.CampaignDetails) -> bool:
    group = details.dataset_group_arn or "this campaign's dataset group"
    on = st.toggle("Record events on this live campaign", key="rec_live", value=False,
                   help="Off by default: events change real recommendations.")
    if not on:
        st.caption("Off: nothing is sent. Switched on, events go to an event tracker of the campaign's "
                   "dataset group with PutEvents.")
        return False
    options = [ENTER_ID]
    names: dict[str, str] = {ENTER_ID: ENTER_ID}
    try:
        assert selection.clients is not None
        for t in _trackers(selection.clients.control, selection.config.key, details.dataset_group_arn):
            options.insert(len(options) - 1, t["eventTrackerArn"])
            names[t["eventTrackerArn"]] = f"{t['name']} ({t.get('status', '?')})"
    except Exception as exc:
        st.caption(f"The event trackers could not be listed ({scoring_errors.explain(exc).code}): "
                   "enter a trackingId instead.")
    st.selectbox("Event tracker", options, key="rec_tracker", format_func=lambda o: names.get(o, o),
                 help="ListEventTrackers of the campaign's dataset group; its trackingId comes from "
                 "DescribeEventTracker.")
    if st.session_state.get("rec_tracker") == ENTER_ID:
        st.text_input("trackingId", key="rec_tracking_id", placeholder="e.g. 0f1e2d3c-...")
    st.checkbox(recording.LIVE_WARNING.format(group=group), key=_confirm_key(details), value=False)
    return True


def _event_fields(selection: Selection, result: Result, dataset_group_arn: str | None) -> None:
    items = user_data.items(selection.config, dataset_group_arn)  # a live group's snapshot too
    query = st.text_input("Find an item by ID or title", key="rec_search", placeholder="e.g. 42 or a title word",
                          help="Leave empty to pick from the results above.")
    if query.strip():
        group = sources.group(selection.config)
        catalogue = [] if group is None else [str(i) for i in group.model.item_ids]
        options = recording.search_items(items, catalogue, query) or [query.strip()]
        labels = {i: recording.item_label(i, items) for i in options}
    else:
        options = _item_ids(result)
        labels = {i: f"{rank}. {recording.item_label(i, items)}" for rank, i in enumerate(options, 1)}
    left, middle, right = st.columns([5, 3, 2])
    left.selectbox("Item", options, key="rec_item", format_func=lambda i: labels.get(i, i))
    types = _group_event_types(selection)
    if types:
        middle.selectbox("Event type", types, key="rec_event_type",
                         help="The event types of this dataset group's interactions.")
    else:
        middle.text_input("Event type", key="rec_event_type", value="click",
                          help="The EVENT_TYPE your Interactions dataset uses (e.g. click, watch).")
    right.text_input("Event value", key="rec_value", placeholder="optional",
                     help="eventValue: a number, e.g. a rating; leave empty for none.")


def _group_event_types(selection: Selection) -> list[str]:
    group = sources.group(selection.config)
    if group is None:
        return []
    file = group.path / "interactions.csv"
    stamp = file.stat().st_mtime if file.exists() else 0.0
    return _event_types(str(group.path), stamp)
