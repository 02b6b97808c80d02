"""Large Personalize files made in memory, for the streaming tests and bench/live_data.py."""

from __future__ import annotations

import numpy as np


def million_rows_csv(rows: int = 1_000_000, users: int = 50_000, items: int = 20_000) -> bytes:
    """A Personalize interactions file of `rows` rows (about 35 bytes each)."""
    rng = np.random.default_rng(7)
    user = rng.integers(0, users, rows)
    item = rng.integers(0, items, rows)
    stamp = 1_700_000_000 + np.sort(rng.integers(0, 10_000_000, rows))
    lines = [f"u{u},i{i},{t},watch"
             for u, i, t in zip(user.tolist(), item.tolist(), stamp.tolist(), strict=True)]
    return ("USER_ID,ITEM_ID,TIMESTAMP,EVENT_TYPE\n" + "\n".join(lines) + "\n").encode()
