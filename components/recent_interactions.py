"""The "Recent interactions" panel beside the results: what the user did, so the list makes sense."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from components import sources, user_data
from components.runner import Result
from components.safe_text import md
from scoring import live_data


def render(config: sources.SourceConfig, result: Result | None, recorded: pd.DataFrame | None = None,
           dataset_group_arn: str | None = None) -> None:
    """The latest interactions of the user in the last request, where the source keeps them;
    `recorded`: the events recorded with PutEvents (local) or sent from this session (live).
    A live campaign reads them from its dataset group's snapshot (`components.live_data`)."""
    user_id = None if result is None else result.params.get("userId")
    if not user_id:
        return
    st.subheader("Recent interactions", anchor=False)
    data = user_data.of(config, dataset_group_arn)
    if data.problem:
        st.caption(md(data.problem))
        return
    if not config.is_local and data.index is None:
        st.caption("Amazon Personalize has no API that reads a user's interactions back: take a snapshot "
                   "of the dataset group's interactions under **Titles and history** to see them here.")
        if recorded is not None and not recorded.empty:
            st.caption(f"Events this console sent for user {md(user_id)} in this session, newest first:")
            sent = recorded.iloc[::-1]
            st.dataframe(pd.DataFrame({"When": pd.to_datetime(sent["TIMESTAMP"], unit="s", utc=True),
                                       "Item ID": sent["ITEM_ID"], "Event type": sent["EVENT_TYPE"],
                                       "Recorded": "recorded"}),
                         hide_index=True, key="recent_interactions")
        return
    index = data.index
    if index is None:
        return
    if data.snapshot is not None:
        taken = data.snapshot.datasets[live_data.INTERACTIONS].taken_at
        st.caption(f"From the snapshot of the dataset group's interactions taken {taken:%Y-%m-%d %H:%M} UTC.")
    seen = index.history(user_id, recorded=recorded)
    if seen.total == 0:
        if data.snapshot is not None:
            st.caption(f"User {md(user_id)} has no interactions in the snapshot: a user who is new since "
                       "it was taken (Refresh from S3), or a cold user who gets popular items.")
        else:
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
