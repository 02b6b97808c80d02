"""The "Recent interactions" panel beside the results: what the user did, so the list makes sense."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import streamlit as st

from components import sources
from components.runner import Result
from components.safe_text import md
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


def render(config: sources.SourceConfig, result: Result | None, recorded: pd.DataFrame | None = None) -> None:
    """The latest interactions of the user in the last request, where the source keeps them;
    `recorded`: the events recorded with PutEvents (local) or sent from this session (live)."""
    user_id = None if result is None else result.params.get("userId")
    if not user_id:
        return
    st.subheader("Recent interactions", anchor=False)
    if not config.is_local:
        st.caption("Amazon Personalize has no API that reads a user's interactions back, "
                   "so a live campaign shows none here.")
        if recorded is not None and not recorded.empty:
            st.caption(f"Events this console sent for user {md(user_id)} in this session, newest first:")
            sent = recorded.iloc[::-1]
            st.dataframe(pd.DataFrame({"When": pd.to_datetime(sent["TIMESTAMP"], unit="s", utc=True),
                                       "Item ID": sent["ITEM_ID"], "Event type": sent["EVENT_TYPE"],
                                       "Recorded": "recorded"}),
                         hide_index=True, key="recent_interactions")
        return
    try:
        index = _interactions(config)
    except (OSError, ValueError, KeyError) as problem:
        st.caption(f"The interactions of this dataset group could not be read ({md(problem)}).")
        return
    if index is None:
        return
    seen = index.history(user_id, recorded=recorded)
    if seen.total == 0:
        st.caption(f"User {md(user_id)} has no interactions in this dataset group: "
                   "a cold user, so the campaign falls back to popular items.")
        return
    span = "" if seen.first is None or seen.last is None else \
        f", {seen.first:%Y-%m-%d} to {seen.last:%Y-%m-%d}"
    extra = 0 if recorded is None else len(recorded)
    what = f"{seen.total:,} interactions" + (f" ({extra} recorded with PutEvents)" if extra else "")
    st.caption(f"User {md(user_id)}: {what}{span}. Latest {len(seen.recent)} (UTC):")
    # Title first where known: the narrow column shows what was watched and how; the ID last.
    order = [c for c in seen.recent.columns if c != "Item ID"] + ["Item ID"] if "TITLE" in seen.recent \
        else list(seen.recent.columns)
    if "Recorded" in order:  # beside the date, where the narrow column still shows it
        order.remove("Recorded")
        order.insert(1, "Recorded")
    st.dataframe(seen.recent, hide_index=True, key="recent_interactions", column_order=order,
                 column_config={
                     "When": st.column_config.DatetimeColumn("When", format="YYYY-MM-DD", width="small"),
                     "Item ID": st.column_config.TextColumn("Item ID", width="small"),
                     "TITLE": st.column_config.TextColumn("Title", width="medium"),
                     "Event type": st.column_config.TextColumn("Event", width="small"),
                     "Recorded": st.column_config.TextColumn("Recorded", width="small",
                                                             help="Recorded with PutEvents, not in interactions.csv."),
                 })
