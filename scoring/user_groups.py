"""A user's own Personalize CSV files become a local dataset group: validate, train, write, list, delete.

A group is built in a hidden staging folder under the data root (`.building/`), its files
written there (the CSVs as UTF-8, model.npz, then campaigns.json), and renamed into place in one
step: the sidebar's picker, which lists folders holding a campaigns.json, never sees half a
group. Replacing or retraining a group keeps the filters its campaigns.json already had.

The demo group is not a user group: it rebuilds itself (`python -m scoring.demo`) and can be
neither replaced nor deleted from here.

Safety (issue 13): one build, retrain or delete of a folder at a time (a non-blocking claim,
`.locks/<name>.lock`, released by the kernel even on kill -9, so a second training of the same
name is refused at once instead of silently replacing the first); staging folders left by a
killed build are swept by the next build of that name; "replace" only ever replaces a local
dataset group (a folder holding campaigns.json) or an empty folder; and the filters written
back after training are read under the campaigns.json lock at the moment of the write, so a
filter created during training is kept.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import shutil
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from scoring import access, arns, dataset, group_files, importing, local_group, paths, schemas
from scoring.events import EventStore
from scoring.model import MODEL_FILE
from scoring.training import DIM, EPOCHS, train_with_metrics

#: Personalize's name pattern for dataset groups, solutions and campaigns (max 63 characters).
NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,62}")
DEMO_NAME = "demo"
STAGING_DIR = ".building"
LOCKS_DIR = ".locks"
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
    #: Not for training: the domain (VIDEO_ON_DEMAND, ECOMMERCE) whose recommenders the group gets;
    #: None keeps a retrained group's domain (a new group is then Custom).
    domain: str | None = None


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
                 progress: Progress | None = None, origin: str = "upload",
                 prepared: importing.Prepared | None = None) -> Created:
    """Validate `files` (by dataset file name), train, and write the group `root/name` (or `out`).

    `prepared`: the import of these same files when the caller has already run it (the CLI
    reports odd rows before training), so a large upload is parsed once, not twice.

    Raises InvalidData (with the report) for bad files and GroupError for a bad name, an existing
    group without `overwrite`, or the demo group as a target.
    """
    def say(fraction: float, what: str) -> None:
        if progress is not None:
            progress(min(max(fraction, 0.0), 1.0), what)

    if access.read_only():
        raise GroupError(access.refusal("Training a dataset group"))
    target = Path(out) if out is not None else _root(root) / name
    problem = name_problem(name)
    if problem:
        raise GroupError(problem)
    if _is_demo(target):
        raise GroupError(f"{target} is the demo dataset group: it rebuilds itself "
                         "(python -m scoring.demo); choose another name or folder.")
    _check_target(target, overwrite)

    with claim(target):
        _check_target(target, overwrite)  # again: it may have been built while we waited
        say(0.0, "Validating the files")
        if prepared is None:
            prepared = importing.prepare(files)
        report = prepared.report
        if not report.ok:
            raise InvalidData(report)

        previous = _read_config(target)
        staging = target.parent / STAGING_DIR / f"{target.name}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        staging.mkdir(parents=True)
        try:
            for file_name in report.files:  # as imported: odd rows skipped, replaced or nulled
                (staging / file_name).write_bytes(prepared.files[file_name])
            group_files.write_text(staging / schemas.SCHEMAS_FILE, schemas.save(report.schemas))
            created, config = _train_into(staging, name, report, settings, say, previous, origin)
            say(0.97, "Saving the dataset group")
            is_group = (target / paths.CAMPAIGNS_FILE).is_file()
            with local_group.campaigns_lock(target) if is_group else contextlib.nullcontext():
                # The filters the group has now (one may have been created during training).
                _write_config(staging, config, _read_config(target))
                _swap_into_place(staging, target, overwrite)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
            _remove_if_empty(staging.parent)
    local_group.forget(target)
    say(1.0, "Done")
    return replace(created, path=target)


def _check_target(target: Path, overwrite: bool) -> None:
    """Refuse a target that exists without `overwrite`, and any target that is not a group.

    Replacing deletes the old folder, so only a local dataset group (a folder holding
    campaigns.json) or an empty folder may be replaced: never a folder of other files.
    """
    if target.is_symlink():
        raise GroupError(f"{target} is a symbolic link: give the real folder, or another name.")
    if not target.exists():
        return
    if not overwrite:
        raise GroupError(f"{target} already exists: choose another name, or replace it.")
    if not target.is_dir():
        raise GroupError(f"{target} is a file, not a dataset group: refusing to replace it; "
                         "choose another name or folder.")
    if not (target / paths.CAMPAIGNS_FILE).is_file() and any(target.iterdir()):
        raise GroupError(f"{target} is not a local dataset group (it has no campaigns.json): "
                         "refusing to replace a folder of other files; choose another name or "
                         "an empty folder.")


def retrain_in_place(directory: Path, *, settings: TrainingSettings = TrainingSettings(),
                     progress: Progress | None = None) -> Created:
    """Train again on a group folder's own CSVs; rewrites model.npz, campaigns.json and schemas.json,
    and a CSV file only where the import changed a row of it (its odd rows, listed in the report)."""
    if access.read_only():
        raise GroupError(access.refusal("Training a dataset group"))
    directory = Path(directory)
    if _is_demo(directory):
        raise GroupError(f"{directory} is the demo dataset group: rebuild it with "
                         "python -m scoring.demo.")
    prepared = importing.prepare_directory(directory)
    report = prepared.report
    if not report.ok:
        raise InvalidData(report)
    name = suggested_name(directory.name)
    previous = _read_config(directory)
    if previous:
        name = str(previous.get("datasetGroup", {}).get("name") or name)

    def say(fraction: float, what: str) -> None:
        if progress is not None:
            progress(min(max(fraction, 0.0), 1.0), what)

    with claim(directory):
        group_files.write_text(directory / schemas.SCHEMAS_FILE, schemas.save(report.schemas))
        for file_name in {n.file for n in report.notes} & set(prepared.files):  # the same data, once
            group_files.write_bytes(directory / file_name, prepared.files[file_name])
        created, config = _train_into(directory, name, report, settings, say, previous,
                                      str(directory))
        with local_group.campaigns_lock(directory):
            # Filters read now, under the lock: one created during training is kept.
            _write_config(directory, config, _read_config(directory))
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
                origin: str) -> tuple[Created, dict[str, Any]]:
    """Train on folder's CSVs and write model.npz; returns campaigns.json's content, which the
    caller writes (with the filters of that moment) under the campaigns lock."""
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
        source={"importedFrom": origin, "files": list(report.files)},
        domain=settings.domain or previous.get("datasetGroup", {}).get("domain"))
    return Created(name, folder, report, metrics, baseline,
                   float(model.meta.get("holdout", {}).get("training_seconds", 0.0))), config


def _write_config(folder: Path, config: dict[str, Any], current: Mapping[str, Any]) -> None:
    """campaigns.json (which makes the folder a group), keeping the group's filters and event
    trackers as they are now (a deleted tracker stays deleted); `current` is read under the lock."""
    config = {**config, "filters": list(current.get("filters", []))}
    config["campaigns"] = _keep_campaign_settings(config.get("campaigns", []), current.get("campaigns", []))
    if "eventTrackers" in current:
        config["eventTrackers"] = list(current["eventTrackers"])
    group_files.write_text(folder / paths.CAMPAIGNS_FILE, json.dumps(config, indent=2) + "\n")


def _keep_campaign_settings(new: list[dict[str, Any]], current: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A retrained campaign keeps what UpdateCampaign set on it (campaignConfig, minProvisionedTPS)."""
    before = {str(c.get("name")): c for c in current}
    kept = ("campaignConfig", "minProvisionedTPS", "updatedAt")
    return [{**c, **{k: before[c["name"]][k] for k in kept if k in before.get(c["name"], {})}} for c in new]


def _swap_into_place(staging: Path, target: Path, overwrite: bool) -> None:
    """Rename the finished staging folder to `target`, replacing an old group in one step.

    Without `overwrite` the rename never replaces anything: a folder that appeared meanwhile
    is refused rather than lost."""
    old = None
    if target.exists() and overwrite:
        _check_target(target, overwrite)
        old = staging.with_name(staging.name + "-old")
        target.rename(old)
    try:
        staging.rename(target)  # refuses a non-empty folder in the way
    except OSError:
        if old is not None:
            old.rename(target)
        raise GroupError(f"{target} appeared while the group was training: nothing was "
                         "replaced; choose another name, or replace it.") from None
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


# -- one build of a folder at a time, and no leftovers -------------------------------------
@contextlib.contextmanager
def claim(target: Path) -> Iterator[None]:
    """Hold the build claim of `target` for this process, or refuse at once.

    An flock, so it dies with the process (even on kill -9) and never goes stale. Holding it,
    the staging folders other processes left for this name are dead ones: they are removed."""
    target = Path(target)
    locks = target.parent / LOCKS_DIR
    locks.mkdir(parents=True, exist_ok=True)
    with open(locks / f"{target.name}.lock", "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            raise GroupError(f"{target.name} is being trained, replaced or deleted right now by "
                             f"{holder}: wait for it to finish, or choose another name.") from None
        try:
            handle.seek(0)
            handle.truncate()
            handle.write(f"process {os.getpid()}")
            handle.flush()
            sweep_staging(target)
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def sweep_staging(target: Path) -> list[Path]:
    """Remove what killed builds and deletes of `target`'s name left in the staging folder.

    Call it holding `claim(target)`: no live build of that name can then own one."""
    staging_root = Path(target).parent / STAGING_DIR
    if not staging_root.is_dir():
        return []
    name = re.escape(Path(target).name)
    ours = re.compile(rf"(deleted-)?{name}-\d+-[0-9a-f]{{8}}(-old)?")
    removed = []
    for entry in staging_root.iterdir():
        if ours.fullmatch(entry.name):
            shutil.rmtree(entry, ignore_errors=True)
            removed.append(entry)
    _remove_if_empty(staging_root)
    return removed


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
    interactions = int((holdout or {}).get("interactions", meta.get("interactions", 0)))
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
    if access.read_only():
        raise GroupError(access.refusal("Deleting a dataset group"))
    base = _root(root)
    if not NAME_PATTERN.fullmatch(name):  # first: a NUL or ".." must not reach the file system
        raise GroupError(f"{name!r} is not a dataset group under {base}.")
    target = base / name
    if name == DEMO_NAME or _is_demo(target):
        raise GroupError("The demo dataset group cannot be deleted (it would rebuild itself).")
    if target.resolve().parent != base.resolve():
        raise GroupError(f"{name!r} is not a dataset group under {base}.")
    if not (target / paths.CAMPAIGNS_FILE).is_file():
        raise GroupError(f"{target} is not a local dataset group (it has no campaigns.json).")
    with claim(target):
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
