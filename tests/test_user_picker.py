"""The user directory: prefix, most active, random, by item, by genre, each with true history sizes."""

from __future__ import annotations

from collections import Counter

import pandas as pd
from hypothesis import given, strategies as st

from scoring.user_picker import Candidate, UserDirectory

_user = st.text("ab01é€😀", min_size=1, max_size=4)  # UTF-8 order must match str order
_item = st.sampled_from(["i1", "i2", "i3", "i4"])
_rows = st.lists(st.tuples(_user, _item), min_size=1, max_size=60)
ITEMS = pd.DataFrame({"ITEM_ID": ["i1", "i2", "i3", "i4"], "GENRES": ["Action|Drama", "Drama", "Comedy", ""]})


def _directory(rows: list[tuple[str, str]]) -> UserDirectory:
    frame = pd.DataFrame(rows, columns=["USER_ID", "ITEM_ID"])
    return UserDirectory(frame, ITEMS)


def _sizes_are_true(found: list[Candidate], rows: list[tuple[str, str]]) -> bool:
    counts = Counter(u for u, _ in rows)
    return all(c.history == counts[c.user_id] for c in found)


@given(_rows, st.text("ab01é€😀", max_size=3), st.integers(1, 10))
def test_prefix_finds_every_match_up_to_the_limit_in_id_order(rows: list[tuple[str, str]], prefix: str,
                                                              limit: int) -> None:
    found = _directory(rows).by_prefix(prefix, limit)
    expected = sorted({u for u, _ in rows if u.startswith(prefix)})[:limit]
    assert [c.user_id for c in found] == expected
    assert _sizes_are_true(found, rows)


@given(_rows, st.integers(1, 10))
def test_most_active_are_the_largest_histories_in_order(rows: list[tuple[str, str]], limit: int) -> None:
    found = _directory(rows).most_active(limit)
    counts = Counter(u for u, _ in rows)
    assert [c.history for c in found] == sorted(counts.values(), reverse=True)[:limit]
    assert _sizes_are_true(found, rows)


@given(_rows, st.integers(0, 1000))
def test_random_users_are_distinct_known_and_repeatable(rows: list[tuple[str, str]], seed: int) -> None:
    directory = _directory(rows)
    found = directory.random(5, seed)
    ids = [c.user_id for c in found]
    assert len(set(ids)) == len(ids) == min(5, len({u for u, _ in rows}))
    assert set(ids) <= {u for u, _ in rows} and _sizes_are_true(found, rows)
    assert directory.random(5, seed) == found


@given(_rows, _item)
def test_by_item_lists_exactly_the_users_who_touched_it(rows: list[tuple[str, str]], item: str) -> None:
    found = _directory(rows).by_item(item, limit=100)
    hits = Counter(u for u, i in rows if i == item)
    assert {c.user_id for c in found} == set(hits)
    assert [c.note for c in found] == [f"{hits[c.user_id]:,} with this item" for c in found]
    assert [hits[c.user_id] for c in found] == sorted(hits.values(), reverse=True)
    assert _sizes_are_true(found, rows)


@given(_rows)
def test_by_genre_follows_multi_valued_genres(rows: list[tuple[str, str]]) -> None:
    found = _directory(rows).by_genre("Drama", limit=100)
    assert {c.user_id for c in found} == {u for u, i in rows if i in ("i1", "i2")}
    assert _sizes_are_true(found, rows)


def test_genres_come_from_the_items_genre_column() -> None:
    directory = _directory([("u", "i1")])
    assert directory.genres == ["Action", "Comedy", "Drama"] and directory.genre_source == "GENRES"
    assert UserDirectory(pd.DataFrame({"USER_ID": ["u"], "ITEM_ID": ["i"]})).genres == []


def test_a_label_shows_the_history_size() -> None:
    assert Candidate("42", 1).label == "42 · 1 interaction"
    assert Candidate("7", 1200, "3 with this item").label == "7 · 1,200 interactions · 3 with this item"
    assert _directory([("u", "i1"), ("u", "i2")]).history_size("u") == 2
    assert _directory([("u", "i1")]).history_size("nobody") == 0
