"""A local dataset group: one folder of Personalize-format files plus its trained model.

Both local clients of a folder share one LocalGroup, so the model is loaded once. Loaded
groups are cached by folder and model file time, so retraining is picked up on the next call.
Filters and event trackers are read from campaigns.json again whenever the file changes
(another process, e.g. the endpoint or the console, may have created or deleted one), and
written atomically under a file lock by `update_section`. Recorded events live in the group's
`EventStore` (`group.events`).
"""

from __future__ import annotations

import fcntl
import json
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from scoring import arns, dataset, exploration, filters, paths, recipes
from scoring.events import EventStore
from scoring.model import MODEL_FILE, History, SoftmaxModel
from scoring.schemas import DatasetSchema, filter_schema, load_schemas

FILTERS_LOCK = ".campaigns.lock"
#: Seconds of the newest interactions Trending now compares with the same span before them.
TREND_WINDOW = 7 * 86_400


class _ServesRecipe:
    """What a campaign and a recommender share: a recipe or use case name, and the registry's entry."""

    recipe: str

    @property
    def recipe_arn(self) -> str:
        return recipes.recipe_arn(self.recipe)

    @property
    def info(self) -> recipes.Recipe:
        return recipes.lookup(self.recipe)

    @property
    def kind(self) -> str:
        return self.info.kind


@dataclass(frozen=True)
class Campaign(_ServesRecipe):
    """One campaign of campaigns.json with the ARNs the control plane shows for it."""

    name: str
    recipe: str
    solution: str
    config: dict[str, Any]
    min_tps: int
    created: datetime
    updated: datetime | None = None

    @property
    def arn(self) -> str:
        return arns.local_arn("campaign", self.name)

    @property
    def solution_arn(self) -> str:
        return arns.local_arn("solution", self.solution)

    @property
    def solution_version_arn(self) -> str:
        return arns.local_arn("solution", self.solution, "1")



@dataclass(frozen=True)
class Recommender(_ServesRecipe):
    """One recommender of campaigns.json: a domain use case served by the group's trained model."""

    name: str
    recipe: str
    config: dict[str, Any]
    created: datetime

    @property
    def arn(self) -> str:
        return arns.local_arn("recommender", self.name)



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


@dataclass(frozen=True)
class EventTracker:
    """One event tracker of campaigns.json ("eventTrackers": [{"name", "trackingId", "createdAt"}])."""

    name: str
    tracking_id: str
    created: datetime

    @property
    def arn(self) -> str:
        return arns.local_arn("event-tracker", self.name)


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

    # -- users: w̄_u from the history ---------------------------------------------------
    def recorded_history(self, user_id: str | None) -> History:
        """Events recorded since training (PutEvents; by userId or sessionId), newest first."""
        if user_id is None or not self.events.count(user_id):  # most users: no frame to build
            return History.empty()
        frame = self.events.history(user_id)
        if len(frame) == 0:
            return History.empty()
        model = self.model
        items = model.item_rows([str(i) for i in frame["ITEM_ID"].tolist()[::-1]])
        types = frame["EVENT_TYPE"].tolist()[::-1] if "EVENT_TYPE" in frame else [""] * len(items)
        return History(items, model.event_codes([str(t) for t in types]))

    def request(self, user_id: str | None, context: Mapping[str, str] | None = None,
                seed: str | None = None) -> tuple[np.ndarray, History, bool]:
        """w̄_u for a request (the user's history, recorded events first, encoded, plus context),
        the history itself (its items carry the repeat term, SoftmaxModel.logits), and whether
        the user has any history at all (no: popular items, "Popular item").

        `seed`: an item the user is taken to have just interacted with ("Because you watched X"),
        newest in the history, with the average event weight.
        """
        recent = self.recorded_history(user_id)
        if seed is not None:
            row = self.model.item_rows([seed])
            recent = History(row, np.full(1, -1, dtype=np.int64)).then(recent) if row[0] >= 0 else recent
        known = len(recent) > 0 or (user_id is not None and self.model.knows_user(user_id))
        history = self.model.history(user_id, recent)
        return self.model.encode(history) + self.model.context_vector(context), history, known

    def user_vector(self, user_id: str | None, context: Mapping[str, str] | None = None) -> np.ndarray:
        return self.request(user_id, context)[0]

    def user_logits(self, user_id: str | None, context: Mapping[str, str] | None = None,
                    rows: np.ndarray | None = None) -> np.ndarray:
        """The user's logits over every item (or `rows`): GetRecommendations' and ranking's."""
        vector, history, _ = self.request(user_id, context)
        return self.model.logits(vector, rows, history=history)

    def user_vectors(self, user_ids: Sequence[str], context: Mapping[str, str] | None = None
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """`request` for many users at once, bit for bit (the health check's block path): their
        vectors, and for the repeat term the item rows they have (newest first, -1 padded) and the
        event types of the first `window` of them.

        Users without recorded events read the training snapshot in one pass; the few with
        events are encoded one by one.
        """
        model = self.model
        index = model.user_rows([str(u) for u in user_ids])
        items = np.where(index[:, None] >= 0, model.user_history[np.maximum(index, 0)], -1)
        events = np.where(index[:, None] >= 0, model.user_events[np.maximum(index, 0)], -1)
        vectors = model.encode_many(items, events)
        seen = np.full((len(user_ids), model.repeat_window), -1, dtype=np.int64)
        seen[:, : model.window] = items
        starts, older = model.user_older_start, model.user_older_items
        for q in np.flatnonzero(index >= 0):
            rows = older[starts[index[q]]:starts[index[q] + 1]]
            seen[q, model.window:model.window + rows.size] = rows
        recorded = set(self.events.keys())
        for q, user in enumerate(user_ids):
            if str(user) in recorded:
                history = model.history(str(user), self.recorded_history(str(user)))
                vectors[q] = model.encode(history)
                rows, kinds = model.seen_rows(history), model.seen_events(history)
                seen[q], events[q] = -1, -1
                seen[q, : rows.size] = rows
                events[q, : kinds.size] = kinds
        return vectors + model.context_vector(context), seen, events

    @cached_property
    def items(self) -> pd.DataFrame | None:
        """Items metadata indexed by ITEM_ID, or None when the group has no items.csv."""
        file = self.path / paths.ITEMS_FILE
        if not file.exists():
            return None
        frame = pd.read_csv(file, dtype={"ITEM_ID": str}, keep_default_na=False)
        return frame.set_index("ITEM_ID", drop=False)

    @property
    def campaigns(self) -> list[Campaign]:
        """The campaigns in campaigns.json now (UpdateCampaign, here or in another process, changes
        them), built again only when the file changed: every request looks its campaign up here."""
        return list(self._campaigns_now()[0])

    def _campaigns_now(self) -> tuple[tuple[Campaign, ...], dict[str, Campaign]]:
        stamp, config = self._live()
        cached = self.__dict__.get("_campaigns")
        if cached is not None and cached[0] == stamp:
            return cached[1], cached[2]
        out = []
        for c in config.get("campaigns", []):
            out.append(Campaign(
                name=c["name"], recipe=c["recipe"], solution=c.get("solution", c["name"]),
                config=dict(c.get("campaignConfig", {})), min_tps=int(c.get("minProvisionedTPS", 1)),
                created=_timestamp(c.get("createdAt", self.config.get("datasetGroup", {}).get("createdAt"))),
                updated=_timestamp(c["updatedAt"]) if c.get("updatedAt") is not None else None,
            ))
        by_arn = {c.arn: c for c in out}
        self.__dict__["_campaigns"] = (stamp, tuple(out), by_arn)
        return tuple(out), by_arn

    @cached_property
    def item_activity(self) -> exploration.ItemActivity:
        """Each model item's age and interaction count, as local exploration reads them."""
        return exploration.item_activity(self.model.item_ids, self.model.item_popularity, self.items,
                                         _interactions(self.path))

    def campaign(self, arn: str) -> Campaign | None:
        return self._campaigns_now()[1].get(arn)

    @property
    def domain(self) -> str | None:
        """VIDEO_ON_DEMAND or ECOMMERCE for a domain dataset group, None for a Custom one."""
        return self.config.get("datasetGroup", {}).get("domain") or None

    @cached_property
    def recommenders(self) -> list[Recommender]:
        created = self.config.get("datasetGroup", {}).get("createdAt")
        return [Recommender(name=r["name"], recipe=r["recipe"], config=dict(r.get("recommenderConfig", {})),
                            created=_timestamp(r.get("createdAt", created)))
                for r in self.config.get("recommenders", [])]

    def recommender(self, arn: str) -> Recommender | None:
        return next((r for r in self.recommenders if r.arn == arn), None)

    def popularity(self, event_type: str | None = None) -> np.ndarray:
        """Training interaction counts per item row; with an event type ("View", "Purchase"), the
        counts of that type (case ignored), or all counts when the data has none of that type."""
        if event_type is None:
            return self.model.item_popularity
        key = event_type.lower()
        cache: dict[str, np.ndarray] = self.__dict__.setdefault("_popularity_by_type", {})
        if key not in cache:
            frame = _interactions(self.path)
            counts = np.zeros(self.model.n_items, dtype=np.float64)
            if frame is not None and "EVENT_TYPE" in frame:
                chosen = frame.loc[frame["EVENT_TYPE"].str.lower() == key, "ITEM_ID"]
                rows = self.model.item_rows([str(i) for i in chosen.tolist()])
                np.add.at(counts, rows[rows >= 0], 1.0)
            if not counts.any():
                counts = self.model.item_popularity.astype(np.float64)
            cache[key] = counts
        return cache[key]

    @cached_property
    def trending(self) -> np.ndarray:
        """Per item row, how much more it was interacted with in the data's newest week than in
        the week before (Trending now; the service's trend interval is not published)."""
        model = self.model
        frame = _interactions(self.path)
        out = np.zeros(model.n_items, dtype=np.float64)
        if frame is None or len(frame) == 0:
            return out
        times = frame["TIMESTAMP"].astype(np.int64).to_numpy()
        newest = int(times.max())
        window = max(1, min(TREND_WINDOW, (newest - int(times.min())) // 2))
        rows = model.item_rows([str(i) for i in frame["ITEM_ID"].tolist()])
        recent = (times > newest - window) & (rows >= 0)
        before = (times <= newest - window) & (times > newest - 2 * window) & (rows >= 0)
        np.add.at(out, rows[recent], 1.0)
        np.subtract.at(out, rows[before], 1.0)
        return out

    def solutions(self) -> list[dict[str, Any]]:
        return list(self.config.get("solutions", []))

    def solution(self, name: str) -> dict[str, Any] | None:
        return next((s for s in self.solutions() if s["name"] == name), None)

    # -- sections of campaigns.json that change while serving: filters, event trackers --------
    def _live(self) -> tuple[Any, dict[str, Any]]:
        """campaigns.json as it is now and its file stamp (re-read only when the file changed since
        the last look: another process, e.g. the endpoint or the console, may have changed it)."""
        file = self._config_file
        try:
            stat = os.stat(file)  # on every request: os.stat of a str is a third of Path.stat here
            stamp = (stat.st_mtime_ns, stat.st_size, stat.st_ino)
        except OSError:
            stamp = None
        with _lock:
            if stamp is not None and stamp != self.__dict__.get("_config_stamp"):
                self.__dict__["_live_config"] = json.loads(Path(file).read_text())
                self.__dict__["_config_stamp"] = stamp
            return self.__dict__.get("_config_stamp"), self.__dict__.get("_live_config", self.config)

    @cached_property
    def _config_file(self) -> str:
        return str(self.path / paths.CAMPAIGNS_FILE)

    def _section(self, key: str) -> list[dict[str, Any]]:
        """One list of campaigns.json as it is now (copies: the caller may change them)."""
        return [dict(row) for row in self._live()[1].get(key, [])]

    def update_section(self, key: str, change: Callable[[list[dict[str, Any]]], list[dict[str, Any]]]) -> None:
        """Read-modify-write one list of campaigns.json atomically (file lock, temp file + rename)."""
        file = self.path / paths.CAMPAIGNS_FILE
        with campaigns_lock(self.path):
            config = json.loads(file.read_text())
            config[key] = change(list(config.get(key, [])))
            tmp = file.with_name(f".{file.name}.{os.getpid()}.{threading.get_ident()}.tmp")
            tmp.write_text(json.dumps(config, indent=2) + "\n")
            tmp.replace(file)

    # -- filters -------------------------------------------------------------------------
    @property
    def filters(self) -> list[Filter]:
        """The filters in campaigns.json now."""
        return [_filter(f, self.created) for f in self._section("filters")]

    def filter(self, arn: str) -> Filter | None:
        return next((f for f in self.filters if f.arn == arn), None)

    def update_filters(self, change: Callable[[list[dict[str, Any]]], list[dict[str, Any]]]) -> None:
        """Read-modify-write the "filters" of campaigns.json atomically."""
        self.update_section("filters", change)

    # -- real-time events ------------------------------------------------------------------
    @property
    def event_trackers(self) -> list[EventTracker]:
        """The event trackers in campaigns.json now (Personalize allows one per dataset group)."""
        return [_tracker(t, self.created) for t in self._section("eventTrackers")]

    def event_tracker(self, *, arn: str | None = None, tracking_id: str | None = None) -> EventTracker | None:
        return next((t for t in self.event_trackers
                     if (arn is None or t.arn == arn) and (tracking_id is None or t.tracking_id == tracking_id)),
                    None)

    @cached_property
    def events(self) -> EventStore:
        """The events recorded by PutEvents (and PutItems / PutUsers). Like Personalize's individually
        recorded data they stay when the group is retrained; every training reads them all."""
        file = self.path / paths.INTERACTIONS_FILE
        fields = list(pd.read_csv(file, nrows=0).columns) if file.exists() else []
        return EventStore(self.path, fields)

    @cached_property
    def filter_data(self) -> filters.FilterData:
        """Items, users and interactions as filters read them; users and interactions load on first use."""
        return filters.FilterData(self.model.item_ids, self.items, lambda: dataset.load_users(self.path),
                                  lambda: _interactions(self.path), recorded=self.events.history,
                                  recorded_version=self.events.version,
                                  schema=lambda: filter_schema(self.schemas))

    @cached_property
    def schemas(self) -> dict[str, DatasetSchema]:
        """The Avro schema of each dataset (Interactions, Items, Users): stored at import, else inferred."""
        return load_schemas(self.path)

    @cached_property
    def evaluator(self) -> filters.Evaluator:
        return filters.Evaluator(self.filter_data)


@contextmanager
def campaigns_lock(folder: Path) -> Iterator[None]:
    """Hold the exclusive lock on a group's campaigns.json (CreateFilter, DeleteFilter, retraining).

    A retrain that replaces the whole folder swaps a new one in while holding the old folder's
    lock; a writer that was waiting on that old lock file then finds it is no longer the one at
    the path and takes the new one instead, so no write lands in a folder that was swapped out.
    """
    lock_file = Path(folder) / FILTERS_LOCK
    while True:
        handle = open(lock_file, "a+")  # FileNotFoundError when the group folder is gone
        try:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                current = os.stat(lock_file).st_ino == os.fstat(handle.fileno()).st_ino
            except FileNotFoundError:
                current = False
        except BaseException:
            handle.close()
            raise
        if current:
            break
        handle.close()
    try:
        yield
    finally:
        fcntl.flock(handle, fcntl.LOCK_UN)
        handle.close()


def _filter(raw: dict[str, Any], default_created: datetime) -> Filter:
    created = _timestamp(raw["createdAt"]) if raw.get("createdAt") is not None else default_created
    return Filter(name=str(raw["name"]), expression=str(raw["filterExpression"]), created=created)


def _tracker(raw: dict[str, Any], default_created: datetime) -> EventTracker:
    created = _timestamp(raw["createdAt"]) if raw.get("createdAt") is not None else default_created
    return EventTracker(name=str(raw["name"]), tracking_id=str(raw["trackingId"]), created=created)


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
