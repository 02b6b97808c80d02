"""Finding a user to look at: by ID prefix, at random, the most active, or by an item or genre they touched.

A product manager rarely knows a user ID by heart. Every way of finding one returns candidates
with their history size (interactions in the dataset), so a user with one interaction is not
mistaken for a regular. The same directory serves local groups (interactions.csv) and live
campaigns (the snapshot of their import files, `scoring.live_data`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

#: Candidates shown at once: enough to choose from, short enough to read.
DEFAULT_LIMIT = 20
#: Item columns that hold genres or categories ("A|B" multi-values), in order of preference.
GENRE_COLUMNS: tuple[str, ...] = ("GENRES", "GENRE", "CATEGORIES", "CATEGORY", "CATEGORY_L1")

PREFIX = "ID prefix"
RANDOM = "Random"
MOST_ACTIVE = "Most active"
BY_ITEM = "Interacted with an item"
BY_GENRE = "Interacted with a genre"
WAYS: tuple[str, ...] = (PREFIX, RANDOM, MOST_ACTIVE, BY_ITEM, BY_GENRE)


@dataclass(frozen=True)
class Candidate:
    """A user, their number of interactions, and why they were found (e.g. "3 with this item")."""

    user_id: str
    history: int
    note: str = ""

    @property
    def label(self) -> str:
        size = f"{self.history:,} interaction{'s' if self.history != 1 else ''}"
        return f"{self.user_id} · {size}" + (f" · {self.note}" if self.note else "")


def genre_column(items: pd.DataFrame | None) -> str | None:
    """The items' genre/category column, if they have one."""
    if items is None:
        return None
    return next((c for c in GENRE_COLUMNS if c in items.columns), None)


class UserDirectory:
    """Users of an interactions table with their history sizes, and the ways to find them."""

    def __init__(self, interactions: pd.DataFrame, items: pd.DataFrame | None = None) -> None:
        # Codes, not strings: one factorize per column keeps a million rows to a second or so.
        user_codes, user_ids = pd.factorize(interactions["USER_ID"].astype(str), sort=True)
        item_codes, item_ids = pd.factorize(interactions["ITEM_ID"].astype(str))
        self._user_codes: np.ndarray = user_codes
        self._item_codes: np.ndarray = item_codes
        self._item_index = pd.Index(item_ids)
        self._ids: np.ndarray = np.asarray(user_ids, dtype=object)  # sorted: a prefix is a slice
        self._counts: np.ndarray = np.bincount(user_codes, minlength=len(user_ids))
        self._genre_column = genre_column(items)
        self._genres: dict[str, set[str]] = {}
        if self._genre_column is not None and items is not None:
            for item, value in zip(items["ITEM_ID"].astype(str), items[self._genre_column]):
                for genre in str(value).split("|") if isinstance(value, str) else ():
                    if genre.strip():
                        self._genres.setdefault(genre.strip(), set()).add(item)

    def __len__(self) -> int:
        return int(self._ids.size)

    def history_size(self, user_id: str) -> int:
        at = int(np.searchsorted(self._ids, user_id))
        return int(self._counts[at]) if at < self._ids.size and self._ids[at] == user_id else 0

    @property
    def genres(self) -> list[str]:
        """The genres items carry, sorted (empty when the items have no genre column)."""
        return sorted(self._genres)

    @property
    def genre_source(self) -> str | None:
        return self._genre_column

    def _candidate(self, at: int, note: str = "") -> Candidate:
        return Candidate(str(self._ids[at]), int(self._counts[at]), note)

    def by_prefix(self, prefix: str, limit: int = DEFAULT_LIMIT) -> list[Candidate]:
        """Users whose ID starts with `prefix`, in ID order (the exact ID first)."""
        start = int(np.searchsorted(self._ids, prefix, side="left"))
        found = []
        for at in range(start, min(start + limit, self._ids.size)):
            if not str(self._ids[at]).startswith(prefix):
                break
            found.append(self._candidate(at))
        return found

    def most_active(self, limit: int = DEFAULT_LIMIT) -> list[Candidate]:
        """The users with the most interactions (ties in ID order)."""
        order = np.lexsort((np.arange(self._ids.size), -self._counts))[:limit]
        return [self._candidate(int(at)) for at in order]

    def random(self, limit: int = 10, seed: int = 0) -> list[Candidate]:
        """`limit` distinct users drawn with `seed` (the same seed, the same users)."""
        rng = np.random.default_rng(seed)
        picked = rng.choice(self._ids.size, size=min(limit, self._ids.size), replace=False)
        return [self._candidate(int(at)) for at in picked]

    def _who_touched(self, item_codes: np.ndarray, what: str, limit: int) -> list[Candidate]:
        codes = item_codes[item_codes >= 0]
        if codes.size == 0:
            return []
        mask = np.isin(self._item_codes, codes) if codes.size > 1 else self._item_codes == codes[0]
        hits = np.bincount(self._user_codes[mask], minlength=self._ids.size)
        users = np.flatnonzero(hits)
        order = np.lexsort((users, -self._counts[users], -hits[users]))[:limit]
        return [self._candidate(int(users[k]), f"{int(hits[users[k]]):,} with {what}") for k in order]

    def by_item(self, item_id: str, limit: int = DEFAULT_LIMIT) -> list[Candidate]:
        """Users who interacted with the item, most interactions with it first."""
        return self._who_touched(self._item_index.get_indexer([item_id]), "this item", limit)

    def by_genre(self, genre: str, limit: int = DEFAULT_LIMIT) -> list[Candidate]:
        """Users who interacted with items of the genre, most such interactions first."""
        items = sorted(self._genres.get(genre, set()))
        return self._who_touched(self._item_index.get_indexer(items) if items else np.array([], dtype=np.intp),
                                 genre, limit)
