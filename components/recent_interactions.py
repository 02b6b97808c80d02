"""The "Recent interactions" panel beside the results: what the user did, so the list makes sense."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from components import sources
from components.runner import Result
from scoring import dataset, history, local_group


@st.cache_resource(show_spinner=False, max_entries=4)
def _index(group_path: str, stamp: int) -> history.InteractionsIndex:
    """One index per local group and model time: rebuilt when the group is retrained."""
    folder = Path(group_path)
    return history.InteractionsIndex(dataset.load_interactions(folder), dataset.load_items(folder))


def _interactions(config: sources.SourceConfig) -> history.InteractionsIndex | None:
    group = sources.group(config)
    if group is None:
        return None
    return _index(str(group.path), local_group.model_stamp(group.path))


def render(config: sources.SourceConfig, result: Result | None) -> None:
    """The latest interactions of the user in the last request, where the source keeps them."""
    user_id = None if result is None else result.params.get("userId")
    if not user_id:
        return
    st.subheader("Recent interactions", anchor=False)
    if not config.is_local:
        st.caption("Amazon Personalize has no API that reads a user's interactions back, "
                   "so a live campaign shows none here.")
        return
    try:
        index = _interactions(config)
    except (OSError, ValueError, KeyError) as problem:
        st.caption(f"The interactions of this dataset group could not be read ({problem}).")
        return
    if index is None:
        return
    seen = index.history(user_id)
    if seen.total == 0:
        st.caption(f"User {user_id} has no interactions in this dataset group: "
                   "a cold user, so the campaign falls back to popular items.")
        return
    span = "" if seen.first is None or seen.last is None else \
        f", {seen.first:%Y-%m-%d} to {seen.last:%Y-%m-%d}"
    st.caption(f"User {user_id}: {seen.total:,} interactions{span}. Latest {len(seen.recent)} (UTC):")
    # Title first where known: the narrow column shows what was watched and how; the ID last.
    order = [c for c in seen.recent.columns if c != "Item ID"] + ["Item ID"] if "TITLE" in seen.recent \
        else None
    st.dataframe(seen.recent, hide_index=True, key="recent_interactions", column_order=order,
                 column_config={
                     "When": st.column_config.DatetimeColumn("When", format="YYYY-MM-DD", width="small"),
                     "Item ID": st.column_config.TextColumn("Item ID", width="small"),
                     "TITLE": st.column_config.TextColumn("Title", width="medium"),
                     "Event type": st.column_config.TextColumn("Event", width="small"),
                 })
