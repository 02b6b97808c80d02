"""Read a local dataset group's CSV files the way Personalize imports them.

IDs are strings in Personalize ("007" and "7" are different users), so USER_ID, ITEM_ID and
every context column are read as `str`: pandas would otherwise turn "007" into 7 and a
DEVICE column of numbers into floats that no longer match the request's context values.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from scoring import paths

#: Interactions fields that are not context keys (Personalize's reserved fields).
RESERVED_INTERACTION_FIELDS: frozenset[str] = frozenset({
    "USER_ID", "ITEM_ID", "TIMESTAMP", "EVENT_TYPE", "EVENT_VALUE", "IMPRESSION",
    "RECOMMENDATION_ID", "EVENT_ATTRIBUTION_SOURCE",
})

#: Columns every interactions file needs for training.
REQUIRED_INTERACTION_FIELDS: tuple[str, ...] = ("USER_ID", "ITEM_ID", "TIMESTAMP")

_STRING_FIELDS = ("USER_ID", "ITEM_ID", "EVENT_TYPE", "IMPRESSION", "RECOMMENDATION_ID",
                  "EVENT_ATTRIBUTION_SOURCE")


def _header(file: Path) -> list[str]:
    return list(pd.read_csv(file, nrows=0).columns)


def load_interactions(data_dir: Path) -> pd.DataFrame:
    """interactions.csv with string IDs and context columns, TIMESTAMP as int64 if present."""
    file = Path(data_dir) / paths.INTERACTIONS_FILE
    columns = _header(file)
    numeric = {"TIMESTAMP", "EVENT_VALUE"}
    dtype = {c: str for c in columns if c not in numeric}
    frame = pd.read_csv(file, dtype=dtype, keep_default_na=False,
                        na_values={c: [""] for c in numeric})
    if "TIMESTAMP" in frame.columns and frame["TIMESTAMP"].notna().all():
        frame["TIMESTAMP"] = frame["TIMESTAMP"].astype("int64")
    return frame


def load_items(data_dir: Path) -> pd.DataFrame | None:
    """items.csv with ITEM_ID as str, or None when the group has no items dataset."""
    return _load_optional(Path(data_dir) / paths.ITEMS_FILE, "ITEM_ID")


def load_users(data_dir: Path) -> pd.DataFrame | None:
    """users.csv with USER_ID as str, or None when the group has no users dataset."""
    return _load_optional(Path(data_dir) / paths.USERS_FILE, "USER_ID")


def _load_optional(file: Path, id_column: str) -> pd.DataFrame | None:
    if not file.exists():
        return None
    # keep_default_na=False: an item titled "NA" or a genre "None" stays a string.
    return pd.read_csv(file, dtype={id_column: str}, keep_default_na=False)


def context_columns(interactions: pd.DataFrame) -> list[str]:
    """Interactions columns usable as request context keys (e.g. DEVICE), in file order."""
    return [c for c in interactions.columns if c not in RESERVED_INTERACTION_FIELDS]
