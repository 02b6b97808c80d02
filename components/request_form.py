"""The console's test form, adapted to the recipe: user / item / item list, context rows, numResults.

Widgets keep their values across pages (`persist_state="session"`). A shared link's request is
copied into the widgets before they are drawn and then run as if the button had been pressed.
Returns the boto3 request to run, or None (nothing submitted, or a form mistake already shown).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import streamlit as st

from components import errors, share, sources
from components.sidebar import Selection
from scoring import requests, shareable
from scoring.campaigns import CampaignDetails

DEFAULT_CONTEXT_ROWS = 2
_ROWS = "ctx_rows"


@dataclass(frozen=True)
class Suggestions:
    """What to pre-fill: a demo user, items to rank, context keys and known values per key."""

    user_id: str = ""
    items: Sequence[str] = ()
    context_keys: Sequence[str] = ()
    context_values: dict[str, list[str]] = field(default_factory=dict)


def suggestions_for(selection: Selection, details: CampaignDetails) -> Suggestions:
    """Demo user and items from the local model; context keys from the Interactions schema."""
    assert selection.clients is not None
    keys = sources.context_keys(selection.clients.control, selection.config.key, details.dataset_group_arn)
    try:
        group = sources.group(selection.config)
        model = None if group is None else group.model
    except Exception:  # suggestions are a convenience: never let them break the page
        model = None
    if model is None:
        return Suggestions(context_keys=keys)
    values = {k: model.context_values(k) for k in keys}
    return Suggestions(requests.suggested_user(model), requests.suggested_items(model), keys, values)


def demo_hint(selection: Selection, suggestions: Suggestions, needs_user: bool = True) -> None:
    """A first thing to try, on local campaigns whose data has a DEVICE context."""
    if not selection.config.is_local or not suggestions.user_id:
        return
    if not needs_user:
        if suggestions.items:
            st.caption(f"Try item {suggestions.items[0]}: related items are its nearest neighbours "
                       "in the item embedding, returned without scores.")
        return
    devices = suggestions.context_values.get("DEVICE", [])
    if "mobile phone" in devices and "smart tv" in devices:
        st.caption(f"Try user {suggestions.user_id} with DEVICE = mobile phone, then smart tv: "
                   "the same user gets different items on each device.")
    else:
        st.caption(f"Try user {suggestions.user_id}, then an unknown user such as `new-user`.")


def _prefill(s: Suggestions) -> None:
    """Defaults for widgets the user has not touched yet in this session."""
    st.session_state.setdefault(_ROWS, DEFAULT_CONTEXT_ROWS)
    st.session_state.setdefault("user_id", s.user_id)
    st.session_state.setdefault("items_text", ", ".join(s.items))
    st.session_state.setdefault("item_id", "")
    st.session_state.setdefault("num_results", requests.DEFAULT_NUM_RESULTS)
    for i in range(st.session_state[_ROWS]):
        st.session_state.setdefault(f"ctx_key_{i}", s.context_keys[0] if i == 0 and s.context_keys else "")
        st.session_state.setdefault(f"ctx_val_{i}", "")


def _fill_from_link(state: shareable.SharedState) -> None:
    """Copy a shared link's request into the widgets (overwriting what they held)."""
    st.session_state["user_id"] = state.user_id
    st.session_state["item_id"] = state.item_id
    if state.items:
        st.session_state["items_text"] = ", ".join(state.items)
    if state.num_results is not None:
        st.session_state["num_results"] = max(1, min(state.num_results, 500))
    rows = max(DEFAULT_CONTEXT_ROWS, len(state.context))
    st.session_state[_ROWS] = rows
    padded = list(state.context) + [("", "")] * (rows - len(state.context))
    for i, (key, value) in enumerate(padded):
        st.session_state[f"ctx_key_{i}"] = key
        st.session_state[f"ctx_val_{i}"] = value


def _context_rows(s: Suggestions) -> None:
    st.markdown("**Context** (optional)")
    placeholder = f"e.g. {s.context_keys[0]}" if s.context_keys else "e.g. DEVICE"
    for i in range(st.session_state[_ROWS]):
        visibility = "visible" if i == 0 else "collapsed"
        key_col, value_col = st.columns([2, 3])
        key_col.text_input("Key", key=f"ctx_key_{i}", placeholder=placeholder,
                           label_visibility=visibility, persist_state="session")
        value_col.text_input("Value", key=f"ctx_val_{i}", placeholder="value",
                             label_visibility=visibility, persist_state="session")
    known = [f"{k}: {', '.join(v)}" for k, v in s.context_values.items() if v]
    note = "Rows without a value are ignored."
    st.caption(note + (" Known values — " + "; ".join(known) + "." if known else ""))


def _inputs(details: CampaignDetails) -> requests.FormInputs:
    rows = [(st.session_state.get(f"ctx_key_{i}", ""), st.session_state.get(f"ctx_val_{i}", ""))
            for i in range(st.session_state[_ROWS])]
    return requests.FormInputs(
        campaign_arn=details.arn, kind=details.kind,
        user_id=st.session_state.get("user_id", ""), item_id=st.session_state.get("item_id", ""),
        items_text=st.session_state.get("items_text", ""), context_rows=tuple(rows),
        num_results=st.session_state.get("num_results"),
    )


def render(details: CampaignDetails, suggestions: Suggestions) -> tuple[str, dict[str, Any]] | None:
    """Draw the form; return (method, params) when it was submitted (or opened from a link)."""
    linked = share.take_pending_request(details.arn)
    if linked is not None:
        _fill_from_link(linked)
    _prefill(suggestions)
    spec = details.form
    with st.form("request_form"):
        if spec.needs_user:
            st.text_input("User ID", key="user_id", persist_state="session", placeholder="e.g. 1",
                          help="A user the model has never seen gets popular items.")
        if spec.needs_item:
            st.text_input("Item ID", key="item_id", persist_state="session",
                          help="Recommendations are items related to this one.")
        if spec.needs_item_list:
            st.text_area("Items to rank", key="items_text", height=110, persist_state="session",
                         help="Item IDs separated by commas, spaces or new lines (at most 500).")
        _context_rows(suggestions)
        if not spec.needs_item_list:
            st.number_input("Number of results", min_value=1, max_value=500, step=1, key="num_results",
                            persist_state="session", help="numResults: 25 by default, at most 500.")
        # The run button comes first: Enter in a field presses the form's first button.
        submitted = st.form_submit_button(spec.button, key="submit", type="primary", width="stretch")
        add_row = st.form_submit_button("Add context row", key="add_context_row", type="tertiary",
                                        icon=":material/add:")
    if add_row:
        st.session_state[_ROWS] += 1
        st.rerun()
    if not submitted and linked is None:
        return None
    try:
        return requests.build_request(_inputs(details))
    except requests.RequestError as exc:
        errors.show(exc)
        return None
