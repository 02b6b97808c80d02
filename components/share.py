"""Keep the URL in step with the view, and start a session from a shared link.

On the first run of a session the query parameters seed the sidebar and, if they carry a
request, the Test campaign form (which then runs it). Afterwards the URL is rewritten from the
state on every run, so copying it at any time reproduces what is on screen.
"""

from __future__ import annotations

import dataclasses

import streamlit as st

from scoring import shareable

_BOOT = "_share_booted"
_PENDING = "_share_pending_request"


def boot() -> shareable.SharedState | None:
    """The state the session was opened with (first run only; None afterwards)."""
    if st.session_state.get(_BOOT):
        return None
    st.session_state[_BOOT] = True
    raw = {key: st.query_params.get_all(key) for key in st.query_params}
    state = shareable.from_query_params(raw)
    if state.has_request:
        st.session_state[_PENDING] = state
    return state


def pending_request(campaign_arn: str | None) -> shareable.SharedState | None:
    """The linked request this run will answer for this campaign, left in place (None when none)."""
    state = st.session_state.get(_PENDING)
    if state is None or (state.campaign and state.campaign != campaign_arn):
        return None
    return state


def take_pending_request(campaign_arn: str | None) -> shareable.SharedState | None:
    """The linked request, once, if it is for this campaign (None when there is none)."""
    state = pending_request(campaign_arn)
    st.session_state.pop(_PENDING, None)  # a link for another campaign is dropped too
    return state


def sync(base: shareable.SharedState, request: dict[str, object] | None = None) -> None:
    """Write the source, campaign and (when a result is shown) the request into the URL."""
    state = dataclasses.replace(base, **shareable.request_state(request)) if request else base
    wanted = shareable.to_query_params(state, with_request=request is not None)
    current = {key: st.query_params.get_all(key) for key in st.query_params}
    normalised = {k: v if isinstance(v, list) else [v] for k, v in wanted.items()}
    if current != normalised:
        st.query_params.from_dict(wanted)
