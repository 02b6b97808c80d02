"""Items and interactions of the selected source, for titles, recent interactions and the user picker.

A local group has its files; a live campaign has the snapshot of its dataset group's import
files (`scoring.live_data`, taken on the "Titles and history" panel). Both are loaded once per
group and version (model time, snapshot time) and shared by every page.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import streamlit as st

from components import sources
from scoring import dataset, history, live_data, local_group, user_picker


@dataclass(frozen=True)
class UserData:
    """What the source knows about its users and items; `problem` says why something is missing."""

    items: pd.DataFrame | None = None
    index: history.InteractionsIndex | None = None
    directory: user_picker.UserDirectory | None = None
    snapshot: live_data.Snapshot | None = None
    problem: str | None = None


@st.cache_resource(show_spinner="Reading the group's interactions…", max_entries=4)
def _local(group_path: str, stamp: int) -> UserData:
    """One load per local group and model time: rebuilt when the group is retrained."""
    folder = Path(group_path)
    interactions, items = dataset.load_interactions(folder), dataset.load_items(folder)
    return UserData(None, history.InteractionsIndex(interactions, items),
                    user_picker.UserDirectory(interactions, items))


@st.cache_resource(show_spinner=False, max_entries=4)
def _live_items(folder: str, stamp: str) -> pd.DataFrame | None:
    """The snapshot's items alone: what results join, without waiting for the interactions."""
    snapshot = live_data.read_snapshot(Path(folder))
    return None if snapshot is None else live_data.load_items(snapshot)


@st.cache_resource(show_spinner="Reading the snapshot's interactions…", max_entries=4)
def _live(folder: str, stamp: str) -> UserData:
    """One load per snapshot: a refresh (new time) loads again."""
    snapshot = live_data.read_snapshot(Path(folder))
    if snapshot is None:
        return UserData()
    items = _live_items(folder, stamp)
    interactions = live_data.load_interactions(snapshot)
    if interactions is None:
        return UserData(items, snapshot=snapshot)
    return UserData(items, history.InteractionsIndex(interactions, items),
                    user_picker.UserDirectory(interactions, items), snapshot)


def snapshot_folder(dataset_group_arn: str) -> Path:
    return live_data.cache_dir(dataset_group_arn)


def of(config: sources.SourceConfig, dataset_group_arn: str | None) -> UserData:
    """The source's data; never raises (a file that cannot be read becomes `problem`)."""
    try:
        if config.is_local:
            group = sources.group(config)
            if group is None:
                return UserData()
            loaded = _local(str(group.path), local_group.model_stamp(group.path))
            return UserData(group.items, loaded.index, loaded.directory)
        if not dataset_group_arn:
            return UserData(problem="The campaign's dataset group is not known (DescribeSolutionVersion).")
        folder = snapshot_folder(dataset_group_arn)
        snapshot = live_data.read_snapshot(folder)
        if snapshot is None:
            return UserData()
        return _live(str(folder), snapshot.stamp)
    except (OSError, ValueError, KeyError) as problem:
        return UserData(problem=f"The interactions or items could not be read ({problem}).")


def items(config: sources.SourceConfig, dataset_group_arn: str | None) -> pd.DataFrame | None:
    """Item metadata to join to results: the local group's items.csv, or the live snapshot's items
    (loaded alone, so results never wait for a large interactions file)."""
    if config.is_local:
        return sources.items_frame(config)
    if not dataset_group_arn:
        return None
    try:
        folder = snapshot_folder(dataset_group_arn)
        snapshot = live_data.read_snapshot(folder)
        return None if snapshot is None else _live_items(str(folder), snapshot.stamp)
    except (OSError, ValueError, KeyError):
        return None  # the recent-interactions panel says what could not be read
