"""Caches of loaded models follow the model file: a retrain is seen, an old model is let go."""

from __future__ import annotations

import gc
import os
import shutil
import weakref
from pathlib import Path

import pytest

from scoring import health_run, local_group, paths
from scoring.model import MODEL_FILE, SoftmaxModel


@pytest.fixture
def group_copy(demo_dir: Path, tmp_path: Path) -> Path:
    target = tmp_path / "copy"
    shutil.copytree(demo_dir, target, ignore=shutil.ignore_patterns(".*"))
    return target


def retrain(folder: Path) -> None:
    """Rewrite model.npz (same content, a later file time), as a retrain in place does."""
    model = SoftmaxModel.load(folder / MODEL_FILE)
    model.save(folder / MODEL_FILE)
    stat = (folder / MODEL_FILE).stat()
    os.utime(folder / MODEL_FILE, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))


def test_a_retrained_group_is_reopened_and_its_old_model_released(group_copy: Path) -> None:
    first = local_group.open_group(group_copy)
    old_model = weakref.ref(first.model)
    ids = health_run.item_id_list(first.model)  # derived values cached per model
    assert health_run.item_id_list(first.model) is ids
    retrain(group_copy)
    second = local_group.open_group(group_copy)
    assert second is not first
    del first, ids
    gc.collect()
    assert old_model() is None, "a cache still holds the model of before the retrain"


def test_the_group_cache_is_bounded(group_copy: Path, tmp_path: Path) -> None:
    folders = [group_copy]
    for i in range(local_group.MAX_GROUPS + 2):
        folders.append(tmp_path / f"g{i}")
        shutil.copytree(group_copy, folders[-1])
    for folder in folders:
        local_group.open_group(folder)
    assert len(local_group._cache) <= local_group.MAX_GROUPS


def test_opening_a_missing_group_builds_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(paths, "DEMO_DIR", tmp_path / "demo")
    with pytest.raises(FileNotFoundError, match="python -m scoring.demo"):
        local_group.open_group(None)
    assert not (tmp_path / "demo").exists()
