"""A small valid Personalize dataset, made in memory in a few milliseconds, for training tests.

Users fall into taste groups that prefer one genre each, so a trained model has signal to find.
The context column is PLATFORM (not the demo's DEVICE), so tests can tell that context keys come
from the user's own files.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from scoring import paths

GENRES = ("Action", "Comedy", "Drama", "Horror")
PLATFORMS = ("web", "app")


def frames(users: int = 60, items: int = 120, per_user: int = 25,
           seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(interactions, items) with USER_ID, ITEM_ID, TIMESTAMP, EVENT_TYPE, PLATFORM."""
    rng = np.random.default_rng(seed)
    genre = np.arange(items) % len(GENRES)
    taste = rng.integers(len(GENRES), size=users)
    rows = []
    for u in range(users):
        weights = np.where(genre == taste[u], 6.0, 1.0) * rng.random(items) ** 2
        chosen = rng.choice(items, size=per_user, replace=False, p=weights / weights.sum())
        start = 1_735_689_600 + int(rng.integers(0, 86_400 * 30))
        for k, i in enumerate(chosen):
            rows.append((f"u{u}", f"i{i}", start + 3_600 * k, "click" if k % 3 else "watch",
                         PLATFORMS[(u + k) % 2]))
    interactions = pd.DataFrame(rows, columns=["USER_ID", "ITEM_ID", "TIMESTAMP", "EVENT_TYPE",
                                               "PLATFORM"])
    catalogue = pd.DataFrame({"ITEM_ID": [f"i{i}" for i in range(items)],
                              "GENRES": [GENRES[g] for g in genre]})
    return interactions, catalogue


def files(**kwargs: int) -> dict[str, bytes]:
    """The dataset as uploaded file contents, by dataset file name."""
    interactions, catalogue = frames(**kwargs)
    return {paths.INTERACTIONS_FILE: interactions.to_csv(index=False).encode(),
            paths.ITEMS_FILE: catalogue.to_csv(index=False).encode()}


def write(folder: Path, **kwargs: int) -> Path:
    """The dataset as a folder of CSV files."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in files(**kwargs).items():
        (folder / name).write_bytes(data)
    return folder
