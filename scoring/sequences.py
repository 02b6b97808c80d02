"""Interactions as ordered per-user sequences: what the history encoder reads.

Personalize orders a user's interactions by TIMESTAMP; ties keep file order here (a stable
sort), so a sequence, a training example and an evaluation query are deterministic.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from scoring import dataset
from scoring.model import context_name


@dataclass(frozen=True)
class Sequences:
    """Interactions as integer codes, ordered by user, then time (then file order)."""

    item_ids: np.ndarray  # str (N,): the catalogue, in model row order
    items: np.ndarray  # int (n,)
    users: np.ndarray  # str (n,)
    position: np.ndarray  # int (n,): index of the row within its user's sequence
    event_types: list[str]
    events: np.ndarray  # int (n,): code into event_types
    context_names: list[str]
    context: np.ndarray  # int (n, context columns): row into context_names, -1 if empty
    times: np.ndarray  # float (n,): TIMESTAMP in epoch seconds, NaN when there is none


def catalogue(interactions: pd.DataFrame, items: pd.DataFrame | None) -> np.ndarray:
    """items.csv's items in file order (so never-interacted items are scored too), then any
    interacted item it lacks."""
    listed = [] if items is None else items["ITEM_ID"].astype(str).tolist()
    ids = list(dict.fromkeys(listed))
    known = set(ids)
    ids += sorted(set(interactions["ITEM_ID"].astype(str)) - known)
    return np.asarray(ids, dtype=str)


def chronological(interactions: pd.DataFrame) -> pd.DataFrame:
    """Rows ordered by user, then TIMESTAMP; ties keep file order (a stable sort)."""
    frame = interactions.reset_index(drop=True)
    stamps = frame["TIMESTAMP"].to_numpy() if "TIMESTAMP" in frame else np.zeros(len(frame))
    order = np.lexsort((np.arange(len(frame)), stamps, frame["USER_ID"].astype(str).to_numpy()))
    return frame.iloc[order].reset_index(drop=True)


def event_type_names(interactions: pd.DataFrame) -> list[str]:
    if "EVENT_TYPE" not in interactions:
        return [""]
    return sorted(set(interactions["EVENT_TYPE"].fillna("").astype(str).str.lower()))


def encode(interactions: pd.DataFrame, item_ids: np.ndarray, event_types: list[str],
           context_names: list[str] | None = None) -> Sequences:
    """Codes for the (chronological) interactions; unknown items get -1, unknown types -1."""
    frame = chronological(interactions)
    users = frame["USER_ID"].astype(str).to_numpy()
    items = pd.Index(item_ids).get_indexer(frame["ITEM_ID"].astype(str)).astype(np.int64)
    start = np.r_[True, users[1:] != users[:-1]] if len(users) else np.empty(0, dtype=bool)
    index = np.arange(len(users))
    position = index - np.maximum.accumulate(np.where(start, index, 0)) if len(users) else index
    if "EVENT_TYPE" in frame:
        types = frame["EVENT_TYPE"].fillna("").astype(str).str.lower()
    else:
        types = pd.Series([""] * len(frame))
    events = pd.Index(event_types).get_indexer(types).astype(np.int64)

    names = list(context_names or [])
    grow = context_names is None
    columns = []
    for key in dataset.context_columns(frame):
        values = frame[key].astype(str).where(frame[key].notna(), "")
        codes, uniques = pd.factorize(values, sort=True)
        lookup = np.full(len(uniques), -1, dtype=np.int64)
        for j, value in enumerate(uniques):
            if value == "":
                continue
            name = context_name(key, value)
            if name not in names and grow:
                names.append(name)
            lookup[j] = names.index(name) if name in names else -1
        columns.append(lookup[codes])
    context = (np.stack(columns, axis=1) if columns
               else np.empty((len(frame), 0), dtype=np.int64))
    times = (pd.to_numeric(frame["TIMESTAMP"], errors="coerce").to_numpy(np.float64)
             if "TIMESTAMP" in frame else np.full(len(frame), np.nan))
    return Sequences(item_ids, items, users, position, event_types, events, names, context, times)


def history_windows(seq: Sequences, rows: np.ndarray, window: int, *,
                    including: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """(items, events) of the `window` interactions before each row (or up to and `including`
    it), most recent first, -1 padded."""
    back = np.arange(window) + (0 if including else 1)
    valid = seq.position[rows][:, None] - back[None, :] >= 0
    source = np.where(valid, rows[:, None] - back[None, :], 0)
    items = np.where(valid, seq.items[source], -1)
    events = np.where(valid, seq.events[source], -1)
    return items, events


def snapshot(seq: Sequences, window: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(user_ids, user_history, user_events): each user's last `window` interactions, newest first."""
    last = np.flatnonzero(np.r_[seq.users[1:] != seq.users[:-1], True]) if seq.users.size \
        else np.empty(0, dtype=np.int64)
    items, events = history_windows(seq, last, window, including=True)
    return seq.users[last], items, events


def older_snapshot(seq: Sequences, window: int,
                   repeat_window: int) -> tuple[np.ndarray, np.ndarray]:
    """(start, items): each user's interactions older than their last `window`, up to their last
    `repeat_window`, newest first, in `snapshot`'s user order (user u's:
    items[start[u]:start[u+1]])."""
    if not seq.users.size:
        return np.zeros(1, dtype=np.int64), np.empty(0, dtype=np.int32)
    boundary = seq.users[1:] != seq.users[:-1]
    last = np.flatnonzero(np.r_[boundary, True])
    first = np.flatnonzero(np.r_[True, boundary])
    newest = last - window
    oldest = np.maximum(first, last - repeat_window + 1)
    count = np.maximum(newest - oldest + 1, 0)
    start = np.r_[0, np.cumsum(count)].astype(np.int64)
    step_back = np.arange(start[-1]) - np.repeat(start[:-1], count)
    items = seq.items[np.repeat(newest, count) - step_back].astype(np.int32)
    return start, items
