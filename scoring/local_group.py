"""A local dataset group: one folder of Personalize-format files plus its trained model.

Both local clients of a folder share one LocalGroup, so the model is loaded once. Loaded
groups are cached by folder and model file time, so retraining is picked up on the next call.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import Any

import pandas as pd

from scoring import arns, paths, recipes
from scoring.model import MODEL_FILE, SoftmaxModel


@dataclass(frozen=True)
class Campaign:
    """One campaign of campaigns.json with the ARNs the control plane shows for it."""

    name: str
    recipe: str
    solution: str
    config: dict[str, Any]
    min_tps: int
    created: datetime

    @property
    def arn(self) -> str:
        return arns.local_arn("campaign", self.name)

    @property
    def solution_arn(self) -> str:
        return arns.local_arn("solution", self.solution)

    @property
    def solution_version_arn(self) -> str:
        return arns.local_arn("solution", self.solution, "1")

    @property
    def recipe_arn(self) -> str:
        return recipes.recipe_arn(self.recipe)

    @property
    def kind(self) -> str:
        return recipes.recipe_type(self.recipe)


def _timestamp(value: Any) -> datetime:
    return datetime.fromtimestamp(int(value or 0), tz=UTC)


@dataclass(eq=False)
class LocalGroup:
    path: Path
    config: dict[str, Any] = field(repr=False)

    @classmethod
    def open(cls, path: Path) -> LocalGroup:
        path = Path(path)
        config_file = path / paths.CAMPAIGNS_FILE
        if not config_file.exists():
            raise FileNotFoundError(f"{config_file} is missing: this folder is not a local dataset group.")
        return cls(path=path, config=json.loads(config_file.read_text()))

    # -- identity ------------------------------------------------------------------------
    @property
    def name(self) -> str:
        return str(self.config.get("datasetGroup", {}).get("name") or self.path.name)

    @property
    def arn(self) -> str:
        return arns.local_arn("dataset-group", self.name)

    @property
    def created(self) -> datetime:
        return _timestamp(self.config.get("datasetGroup", {}).get("createdAt"))

    # -- data ----------------------------------------------------------------------------
    @cached_property
    def model(self) -> SoftmaxModel:
        return SoftmaxModel.load(self.path / MODEL_FILE)

    @cached_property
    def items(self) -> pd.DataFrame | None:
        """Items metadata indexed by ITEM_ID, or None when the group has no items.csv."""
        file = self.path / paths.ITEMS_FILE
        if not file.exists():
            return None
        frame = pd.read_csv(file, dtype={"ITEM_ID": str}, keep_default_na=False)
        return frame.set_index("ITEM_ID", drop=False)

    @cached_property
    def campaigns(self) -> list[Campaign]:
        out = []
        for c in self.config.get("campaigns", []):
            out.append(Campaign(
                name=c["name"], recipe=c["recipe"], solution=c.get("solution", c["name"]),
                config=dict(c.get("campaignConfig", {})), min_tps=int(c.get("minProvisionedTPS", 1)),
                created=_timestamp(c.get("createdAt", self.config.get("datasetGroup", {}).get("createdAt"))),
            ))
        return out

    def campaign(self, arn: str) -> Campaign | None:
        return next((c for c in self.campaigns if c.arn == arn), None)

    def solutions(self) -> list[dict[str, Any]]:
        return list(self.config.get("solutions", []))

    def solution(self, name: str) -> dict[str, Any] | None:
        return next((s for s in self.solutions() if s["name"] == name), None)


_cache: dict[tuple[Path, float], LocalGroup] = {}
_lock = threading.Lock()


def open_group(data_dir: Path | None) -> LocalGroup:
    """The dataset group in `data_dir`; None means the demo group, built on first use."""
    if data_dir is None:
        from scoring.demo import ensure_demo

        data_dir = ensure_demo()
    path = Path(data_dir).resolve()
    model = path / MODEL_FILE
    stamp = model.stat().st_mtime if model.exists() else 0.0
    with _lock:
        group = _cache.get((path, stamp))
        if group is None:
            group = LocalGroup.open(path)
            _evict(path)  # a retrained or recreated group replaces the one loaded before
            _cache[(path, stamp)] = group
        return group


def _evict(path: Path) -> None:
    for key in [k for k in _cache if k[0] == path]:
        del _cache[key]


def forget(data_dir: Path) -> None:
    """Drop the loaded group of a folder (after deleting it), so its model is freed."""
    with _lock:
        _evict(Path(data_dir).resolve())


def list_groups(root: Path | None = None) -> list[Path]:
    """Folders under the data root that hold a local dataset group."""
    root = Path(root or paths.DATA_ROOT)
    if not root.exists():
        return []
    return sorted(p for p in root.iterdir() if (p / paths.CAMPAIGNS_FILE).exists())
