"""A local dataset group: one folder of Personalize-format files plus its trained model.

Both local clients of a folder share one LocalGroup, so the model is loaded once. Loaded
groups are cached by folder and model file time, so retraining is picked up on the next call.
Filters are read from campaigns.json again whenever the file changes (another process, e.g.
the endpoint or the console, may have created or deleted one), and written atomically under
a file lock by `update_filters`.
"""

from __future__ import annotations

import fcntl
import json
import os
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import Any

import pandas as pd

from scoring import arns, dataset, filters, paths, recipes
from scoring.model import MODEL_FILE, SoftmaxModel

FILTERS_LOCK = ".campaigns.lock"


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


@dataclass(frozen=True)
class Filter:
    """One filter of campaigns.json ("filters": [{"name", "filterExpression", "createdAt"}])."""

    name: str
    expression: str
    created: datetime

    @property
    def arn(self) -> str:
        return arns.local_arn("filter", self.name)


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

    # -- filters -------------------------------------------------------------------------
    @property
    def filters(self) -> list[Filter]:
        """The filters in campaigns.json now (re-read when the file changed since the last look)."""
        file = self.path / paths.CAMPAIGNS_FILE
        try:
            stat = file.stat()
            stamp = (stat.st_mtime_ns, stat.st_size, stat.st_ino)
        except OSError:
            stamp = None
        with _lock:
            if stamp is not None and stamp != self.__dict__.get("_filters_stamp"):
                raw = json.loads(file.read_text()).get("filters", [])
                self.__dict__["_filters"] = [_filter(f, self.created) for f in raw]
                self.__dict__["_filters_stamp"] = stamp
            elif "_filters" not in self.__dict__:
                self.__dict__["_filters"] = [_filter(f, self.created) for f in self.config.get("filters", [])]
            return list(self.__dict__["_filters"])

    def filter(self, arn: str) -> Filter | None:
        return next((f for f in self.filters if f.arn == arn), None)

    def update_filters(self, change: Callable[[list[dict[str, Any]]], list[dict[str, Any]]]) -> None:
        """Read-modify-write the "filters" of campaigns.json atomically (file lock, temp file + rename)."""
        file = self.path / paths.CAMPAIGNS_FILE
        with open(self.path / FILTERS_LOCK, "a+") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                config = json.loads(file.read_text())
                config["filters"] = change(list(config.get("filters", [])))
                tmp = file.with_name(f".{file.name}.{os.getpid()}.{threading.get_ident()}.tmp")
                tmp.write_text(json.dumps(config, indent=2) + "\n")
                tmp.replace(file)
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    @cached_property
    def filter_data(self) -> filters.FilterData:
        """Items, users and interactions as filters read them; users and interactions load on first use."""
        return filters.FilterData(self.model.item_ids, self.items, lambda: dataset.load_users(self.path),
                                  lambda: _interactions(self.path))

    @cached_property
    def evaluator(self) -> filters.Evaluator:
        return filters.Evaluator(self.filter_data)


def _filter(raw: dict[str, Any], default_created: datetime) -> Filter:
    created = _timestamp(raw["createdAt"]) if raw.get("createdAt") is not None else default_created
    return Filter(name=str(raw["name"]), expression=str(raw["filterExpression"]), created=created)


def _interactions(path: Path) -> pd.DataFrame | None:
    return dataset.load_interactions(path) if (path / paths.INTERACTIONS_FILE).exists() else None


#: Loaded groups by (folder, model file time), least recently used first; at most MAX_GROUPS,
#: so opening many groups does not keep every model in memory.
MAX_GROUPS = 8
_cache: OrderedDict[tuple[Path, int], LocalGroup] = OrderedDict()
_lock = threading.RLock()


def model_stamp(data_dir: Path) -> int:
    """The model file's modification time in ns (0 when missing): caches keyed on it see a retrain."""
    try:
        return (Path(data_dir) / MODEL_FILE).stat().st_mtime_ns
    except FileNotFoundError:
        return 0


def open_group(data_dir: Path | None) -> LocalGroup:
    """The dataset group in `data_dir`; None means the demo group's folder, which must be built.

    Opening never builds anything: a caller that wants the demo asks `scoring.demo.ensure_demo()`
    for it first (as `scoring.client` and the console's sources do).
    """
    path = Path(paths.DEMO_DIR if data_dir is None else data_dir).resolve()
    if not (path / paths.CAMPAIGNS_FILE).exists():
        hint = " Build it with `python -m scoring.demo`." if path == Path(paths.DEMO_DIR).resolve() else ""
        raise FileNotFoundError(f"No local dataset group in {path} (no {paths.CAMPAIGNS_FILE}).{hint}")
    key = (path, model_stamp(path))
    with _lock:
        group = _cache.get(key)
        if group is None:
            group = LocalGroup.open(path)
            _evict(path)  # a retrained or recreated group replaces the one loaded before
            _cache[key] = group
            while len(_cache) > MAX_GROUPS:
                _cache.popitem(last=False)
        else:
            _cache.move_to_end(key)
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
