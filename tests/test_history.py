"""A user's recent interactions: newest first, context and titles joined, cold users empty."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from scoring import dataset
from scoring.history import InteractionsIndex


def _frame() -> pd.DataFrame:
    return pd.DataFrame({
        "USER_ID": ["u1", "u2", "u1", "u1", "007"],
        "ITEM_ID": ["a", "b", "c", "a", "b"],
        "TIMESTAMP": [100, 50, 300, 200, 10],
        "EVENT_TYPE": ["click", "watch", "watch", "click", "click"],
        "DEVICE": ["mobile phone", "desktop", "smart tv", "tablet", "desktop"],
    })


def test_newest_first_with_context_and_event() -> None:
    index = InteractionsIndex(_frame())
    seen = index.history("u1")
    assert seen.total == 3
    assert seen.recent["Item ID"].tolist() == ["c", "a", "a"]
    assert seen.recent["Event type"].tolist() == ["watch", "click", "click"]
    assert seen.recent["DEVICE"].tolist() == ["smart tv", "tablet", "mobile phone"]
    assert seen.first == pd.Timestamp(100, unit="s", tz="UTC")
    assert seen.last == pd.Timestamp(300, unit="s", tz="UTC")


def test_limit_keeps_the_latest() -> None:
    seen = InteractionsIndex(_frame()).history("u1", limit=1)
    assert seen.total == 3 and seen.recent["Item ID"].tolist() == ["c"]


def test_unknown_user_has_an_empty_history_with_the_same_columns() -> None:
    index = InteractionsIndex(_frame())
    seen = index.history("nobody")
    assert seen.total == 0 and seen.recent.empty
    assert list(seen.recent.columns) == list(index.history("u1").recent.columns)
    assert "nobody" not in index and "u1" in index


def test_ids_are_strings_not_numbers() -> None:
    assert InteractionsIndex(_frame()).history("007").total == 1
    assert InteractionsIndex(_frame()).history("7").total == 0


def test_titles_come_from_the_items_file() -> None:
    items = pd.DataFrame({"ITEM_ID": ["a", "c"], "TITLE": ["Alpha", "Gamma"]})
    seen = InteractionsIndex(_frame(), items).history("u1")
    assert seen.recent["TITLE"].tolist() == ["Gamma", "Alpha", "Alpha"]
    assert InteractionsIndex(_frame(), items).history("u2").recent["TITLE"].tolist() == [""]


def test_matches_a_plain_filter_on_the_demo_data(demo_dir: Path) -> None:
    interactions = dataset.load_interactions(demo_dir)
    index = InteractionsIndex(interactions, dataset.load_items(demo_dir))
    user = interactions["USER_ID"].iloc[0]
    mine = interactions[interactions["USER_ID"] == user]
    seen = index.history(user, limit=5)
    assert seen.total == len(mine)
    assert seen.recent["When"].is_monotonic_decreasing
    expected = mine.sort_values("TIMESTAMP", ascending=False)["TIMESTAMP"].head(5).tolist()
    assert [int(t.timestamp()) for t in seen.recent["When"]] == expected
    assert index.item_ids(user) == set(mine["ITEM_ID"])
