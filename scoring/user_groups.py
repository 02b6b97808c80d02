"""A user's own Personalize CSV files become a local dataset group: validate, train, write, list, delete.

A group is built in a hidden staging folder under the data root (`.building/`), its files
written there (the CSVs as UTF-8, model.npz, then campaigns.json), and renamed into place in one
step: the sidebar's picker, which lists folders holding a campaigns.json, never sees half a
group. Replacing or retraining a group keeps the filters its campaigns.json already had.

The demo group is not a user group: it rebuilds itself (`python -m scoring.demo`) and can be
neither replaced nor deleted from here.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from scoring import arns, dataset, group_files, importing, local_group, paths
from scoring.events import EventStore
from scoring.model import MODEL_FILE
from scoring.training import DIM, EPOCHS, train_with_metrics

#: Personalize's name pattern for dataset groups, solutions and campaigns (max 63 characters).
NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,62}")
DEMO_NAME = "demo"
STAGING_DIR = ".building"
NDCG10 = "normalized_discounted_cumulative_gain_at_10"

#: progress(fraction in [0, 1], what is happening)
Progress = Callable[[float, str], None]


class GroupError(Exception):
    """The group cannot be created, replaced or deleted; the message says why, in one line."""


class InvalidData(GroupError):
    """The files fail validation: `report` lists the problems with their line numbers."""

    def __init__(self, report: importing.ImportReport) -> None:
        super().__init__(f"The data has {report.total_problems:,} problem(s); nothing was trained.")
        self.report = report


@dataclass(frozen=True)
class TrainingSettings:
    """How to train; tests and small demos use fewer epochs and dimensions."""

    dim: int = DIM
    epochs: int = EPOCHS
    seed: int = 0
    refit: bool = False


@dataclass(frozen=True)
class Created:
    """A new (or retrained) group: where it is, its campaigns and hold-out metrics."""

    name: str
    path: Path
    report: importing.ImportReport
    metrics: dict[str, float]
    baseline: dict[str, float]
    training_seconds: float

    @property
    def campaign_arn(self) -> str:
        """The user-personalization campaign, the one the console opens first."""
        return arns.local_arn("campaign", group_files.campaign_name(self.name))


@dataclass(frozen=True)
class GroupSummary:
    """One row of the Local models list."""

    name: str
    path: Path
    is_demo: bool
    items: int | None
    users: int | None
    interactions: int | None
    trained_at: datetime | None
    metrics: dict[str, float] = field(default_factory=dict)
    baseline: dict[str, float] = field(default_factory=dict)
    context_keys: tuple[str, ...] = ()
    problem: str | None = None  # why the group could not be read, if it could not

    @property
    def campaign_arn(self) -> str:
        return arns.local_arn("campaign", group_files.campaign_name(self.name))


# -- names -------------------------------------------------------------------------------------
def name_problem(name: str) -> str | None:
    """Why `name` cannot name a user group, or None when it can."""
    if not name:
        return "Give the dataset group a name."
    if not NAME_PATTERN.fullmatch(name):
        return (f"{name!r} is not a valid dataset group name: use 1 to 63 letters, digits, '-' "
                "or '_', starting with a letter or digit (Personalize's naming rule).")
    if name == DEMO_NAME:
        return "'demo' is the demo dataset group's name: choose another."
    return None


def suggested_name(source: str) -> str:
    """A group name made from a folder name ("My data (2024)" -> "My-data-2024"), or "my-data".

    "demo" stays "demo", so that name is refused with its reason rather than silently replaced.
    """
    cleaned = re.sub(r"[^A-Za-z0-9_-]+", "-", source).strip("-_")[:63]
    return cleaned if cleaned and NAME_PATTERN.fullmatch(cleaned) else "my-data"


def _root(root: Path | None) -> Path:
    return Path(root or paths.DATA_ROOT)


def _is_demo(path: Path) -> bool:
    return path.resolve() == paths.DEMO_DIR.resolve()


# -- creating ----------------------------------------------------------------------------------
def create_group(files: Mapping[str, bytes | None], name: str, *, root: Path | None = None,
                 out: Path | None = None, overwrite: bool = False,
                 settings: TrainingSettings = TrainingSettings(),
                 progress: Progress | None = None, origin: str = "upload") -> Created:
    """Validate `files` (by dataset file name), train, and write the group `root/name` (or `out`).

    Raises InvalidData (with the report) for bad files and GroupError for a bad name, an existing
    group without `overwrite`, or the demo group as a target.
    """
    def say(fraction: float, what: str) -> None:
        if progress is not None:
            progress(min(max(fraction, 0.0), 1.0), what)

    target = Path(out) if out is not None else _root(root) / name
    problem = name_problem(name)
    if problem:
        raise GroupError(problem)
    if _is_demo(target):
        raise GroupError(f"{target} is the demo dataset group: it rebuilds itself "
                         "(python -m scoring.demo); choose another name or folder.")
    if target.exists() and not overwrite:
        raise GroupError(f"{target} already exists: choose another name, or replace it.")

    say(0.0, "Validating the files")
    report = importing.validate_files(files)
    if not report.ok:
        raise InvalidData(report)

    previous = _read_config(target)
    staging = target.parent / STAGING_DIR / f"{target.name}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    staging.mkdir(parents=True)
    try:
        for file_name in report.files:
            data = files[file_name]
            assert data is not None
            (staging / file_name).write_text(importing.decode(data), encoding="utf-8")
        created = _train_into(staging, name, report, settings, say, previous, origin)
        say(0.97, "Saving the dataset group")
        _swap_into_place(staging, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        _remove_if_empty(staging.parent)
    local_group.forget(target)
    say(1.0, "Done")
    return replace(created, path=target)


def retrain_in_place(directory: Path, *, settings: TrainingSettings = TrainingSettings(),
                     progress: Progress | None = None) -> Created:
    """Train again on a group folder's own CSVs; rewrites model.npz and campaigns.json only."""
    directory = Path(directory)
    if _is_demo(directory):
        raise GroupError(f"{directory} is the demo dataset group: rebuild it with "
                         "python -m scoring.demo.")
    report = importing.validate_directory(directory)
    if not report.ok:
        raise InvalidData(report)
    name = suggested_name(directory.name)
    previous = _read_config(directory)
    if previous:
        name = str(previous.get("datasetGroup", {}).get("name") or name)

    def say(fraction: float, what: str) -> None:
        if progress is not None:
            progress(min(max(fraction, 0.0), 1.0), what)

    created = _train_into(directory, name, report, settings, say, previous, str(directory))
    local_group.forget(directory)
    say(1.0, "Done")
    return created


def _read_config(folder: Path) -> dict[str, Any]:
    try:
        return dict(json.loads((folder / paths.CAMPAIGNS_FILE).read_text()))
    except (OSError, ValueError):
        return {}


def _train_into(folder: Path, name: str, report: importing.ImportReport,
                settings: TrainingSettings, say: Progress, previous: Mapping[str, Any],
                origin: str) -> Created:
    """Train on folder's CSVs; write model.npz, then campaigns.json (which makes it a group)."""
    interactions = dataset.load_interactions(folder)
    items = dataset.load_items(folder)
    recorded = EventStore(folder, list(interactions.columns)).all_events()
    say(0.02, "Training")
    model = train_with_metrics(
        interactions, items=items, recorded=recorded, dim=settings.dim, epochs=settings.epochs, seed=settings.seed,
        refit=settings.refit, progress=lambda f: say(0.02 + 0.9 * f, "Training"))
    say(0.94, "Evaluated on the hold-out")
    model.save(folder / MODEL_FILE)
    now = int(time.time())
    created_at = int(previous.get("datasetGroup", {}).get("createdAt") or now)
    metrics = dict(model.meta["metrics"])
    baseline = dict(model.meta["baseline_metrics"])
    config = group_files.campaigns_config(
        name, created_at, now, metrics=metrics, baseline=baseline,
        source={"importedFrom": origin, "files": list(report.files)})
    config["filters"] = list(previous.get("filters", []))  # retraining keeps the group's filters
    if "eventTrackers" in previous:  # ... and its event trackers (a deleted one stays deleted)
        config["eventTrackers"] = list(previous["eventTrackers"])
    group_files.write_text(folder / paths.CAMPAIGNS_FILE, json.dumps(config, indent=2) + "\n")
    return Created(name, folder, report, metrics, baseline,
                   float(model.meta.get("holdout", {}).get("training_seconds", 0.0)))


def _swap_into_place(staging: Path, target: Path) -> None:
    """Rename the finished staging folder to `target`, replacing an old group in one step."""
    old = None
    if target.exists():
        old = staging.with_name(staging.name + "-old")
        target.rename(old)
    staging.rename(target)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


# -- listing and deleting -------------------------------------------------------------------
def summaries(root: Path | None = None) -> list[GroupSummary]:
    """Every local dataset group under the data root, demo first; unreadable ones say why.

    The demo group is listed wherever it is built, as the sidebar lists it.
    """
    folders = local_group.list_groups(_root(root))
    if (paths.DEMO_DIR / paths.CAMPAIGNS_FILE).is_file() and not any(map(_is_demo, folders)):
        folders.insert(0, paths.DEMO_DIR)
    out = [summary(path) for path in folders]
    return sorted(out, key=lambda s: (not s.is_demo, s.name.lower()))


def summary(path: Path) -> GroupSummary:
    config = _read_config(path)
    name = path.name
    try:
        with np.load(path / MODEL_FILE, allow_pickle=False) as f:
            meta = json.loads(str(f["meta"]))
            n_items, n_users = int(f["item_ids"].shape[0]), int(f["user_ids"].shape[0])
            contexts = sorted({str(c).split("=", 1)[0] for c in f["context_names"]})
    except (OSError, ValueError, KeyError) as exc:
        return GroupSummary(name, path, _is_demo(path), None, None, None, None,
                            problem=f"model.npz cannot be read ({exc}): train the group again.")
    holdout = meta.get("holdout")
    # train + held-out rows = every interaction, whichever model is served
    interactions = (int(holdout.get("train_interactions", 0)) + int(holdout.get("test_queries", 0))
                    if holdout else int(meta.get("interactions", 0)))
    stamps = [s.get("trainedAt") for s in config.get("solutions", []) if s.get("trainedAt")]
    trained = datetime.fromtimestamp(int(max(stamps)), tz=UTC) if stamps else None
    user_personalization = next((s for s in config.get("solutions", [])
                                 if s.get("recipe") == group_files.USER_PERSONALIZATION_RECIPE), None)
    stored = group_files.stored_metrics(user_personalization,
                                        group_files.USER_PERSONALIZATION_RECIPE, meta)
    return GroupSummary(name, path, _is_demo(path), n_items, n_users, interactions, trained,
                        stored.metrics, stored.baseline or {}, tuple(contexts))


def delete_group(name: str, *, root: Path | None = None) -> Path:
    """Delete the user group `root/name` (never the demo); returns the folder it was in."""
    base = _root(root)
    target = base / name
    if name == DEMO_NAME or _is_demo(target):
        raise GroupError("The demo dataset group cannot be deleted (it would rebuild itself).")
    if not NAME_PATTERN.fullmatch(name) or target.resolve().parent != base.resolve():
        raise GroupError(f"{name!r} is not a dataset group under {base}.")
    if not (target / paths.CAMPAIGNS_FILE).is_file():
        raise GroupError(f"{target} is not a local dataset group (it has no campaigns.json).")
    trash = base / STAGING_DIR / f"deleted-{name}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    trash.parent.mkdir(parents=True, exist_ok=True)
    target.rename(trash)  # gone from the picker at once, even if the removal below is slow
    shutil.rmtree(trash, ignore_errors=True)
    _remove_if_empty(trash.parent)
    local_group.forget(target)
    return target


def _remove_if_empty(folder: Path) -> None:
    try:
        folder.rmdir()
    except OSError:  # not empty (another build is running) or already gone
        pass
