"""A user's interaction history, as the "Recent interactions" panel shows it beside the results.

Personalize has no API that reads a user's interactions back, so only local dataset groups
(which hold interactions.csv) have a history; a live campaign shows none. Events recorded since
the last training (`EventStore.history`, or the events this console sent to a live tracker) are
merged in, marked "recorded", so the panel shows what the campaign now knows.

The interactions are indexed by user once (`groupby(...).indices`), so one lookup costs the
user's own rows, not a scan of a million-row file on every rerun.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from scoring import dataset

#: How many interactions the panel shows by default: enough to see a taste, short enough to read.
DEFAULT_LIMIT = 10


@dataclass(frozen=True)
class UserHistory:
    """One user's latest interactions (newest first) and how many they have in all."""

    user_id: str
    total: int
    recent: pd.DataFrame  # columns: When, Item ID, [TITLE...], Event type, context columns
    first: pd.Timestamp | None
    last: pd.Timestamp | None


class InteractionsIndex:
    """Interactions grouped by USER_ID for quick per-user lookups."""

    def __init__(self, interactions: pd.DataFrame, items: pd.DataFrame | None = None) -> None:
        self._frame = interactions.reset_index(drop=True)
        self._rows: dict[str, np.ndarray] = self._frame.groupby("USER_ID", sort=False).indices
        self._context = dataset.context_columns(self._frame)
        self._titles = None
        if items is not None and "TITLE" in items.columns:
            self._titles = items.set_index("ITEM_ID", drop=False)["TITLE"]

    def __contains__(self, user_id: object) -> bool:
        return user_id in self._rows

    def item_ids(self, user_id: str) -> set[str]:
        """Every item the user interacted with (for marking items already seen)."""
        rows = self._rows.get(user_id)
        return set() if rows is None else set(self._frame["ITEM_ID"].to_numpy()[rows])

    def history(self, user_id: str, limit: int = DEFAULT_LIMIT,
                recorded: pd.DataFrame | None = None) -> UserHistory:
        """The user's latest interactions, newest first; `recorded` (EventStore.history columns)
        adds the events recorded with PutEvents, marked in a "Recorded" column."""
        rows = self._rows.get(user_id)
        has_recorded = recorded is not None and not recorded.empty
        if rows is None and not has_recorded:
            return UserHistory(user_id, 0, _empty(self._context, self._titles is not None), None, None)
        user = self._frame.iloc[rows] if rows is not None else self._frame.iloc[0:0]
        if has_recorded:
            assert recorded is not None
            user = user.assign(RECORDED=False)
            extra = recorded.drop(columns=["SESSION_ID"], errors="ignore").assign(RECORDED=True)
            user = pd.concat([user, extra[[c for c in extra.columns if c in user.columns]]],
                             ignore_index=True)
        if "TIMESTAMP" in user.columns:
            # Newest first; the stable sort keeps file order among equal timestamps, reversed.
            user = user.iloc[::-1].sort_values("TIMESTAMP", ascending=False, kind="stable")
            when = pd.to_datetime(user["TIMESTAMP"], unit="s", utc=True)
            first, last = when.min(), when.max()
        else:
            when = pd.Series(pd.NaT, index=user.index)
            first = last = None
        table = pd.DataFrame({"When": when, "Item ID": user["ITEM_ID"]})
        if self._titles is not None:
            table["TITLE"] = self._titles.reindex(user["ITEM_ID"]).fillna("").to_numpy()
        table["Event type"] = user["EVENT_TYPE"] if "EVENT_TYPE" in user.columns else ""
        for column in self._context:
            table[column] = user[column].fillna("") if column in user.columns else ""
        if has_recorded:
            table["Recorded"] = user["RECORDED"].map({True: "recorded", False: ""})
        return UserHistory(user_id, len(user), table.head(limit).reset_index(drop=True), first, last)


def _empty(context: list[str], titles: bool) -> pd.DataFrame:
    columns = ["When", "Item ID"] + (["TITLE"] if titles else []) + ["Event type", *context]
    return pd.DataFrame(columns=columns)
