"""Where local dataset groups live on disk."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent

#: Every local dataset group is a folder under this directory (override with CONSOLE_DATA_ROOT).
DATA_ROOT = Path(os.environ.get("CONSOLE_DATA_ROOT", PROJECT_ROOT / "data"))

#: The demo dataset group that `data_dir=None` means.
DEMO_DIR = DATA_ROOT / "demo"

INTERACTIONS_FILE = "interactions.csv"
ITEMS_FILE = "items.csv"
USERS_FILE = "users.csv"
CAMPAIGNS_FILE = "campaigns.json"
