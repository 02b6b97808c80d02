"""Local dataset groups cannot lose data (issue 13, findings 3, 4 and 10).

- a filter created while a group retrains (in place, or replaced) is kept;
- "replace" (`--replace`, the Local models page) never deletes a folder that is not a group;
- two trainings of one new name: one wins, the other is refused (exit 2), nothing is replaced
  silently; a build killed with -9 leaves nothing behind once the name is built again.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

import scoring
from scoring import arns, paths, user_groups
from scoring.train import main as train_main
from tests.support import small_data

FAST = ["--epochs", "1", "--dim", "8"]
SETTINGS = user_groups.TrainingSettings(dim=8, epochs=1)
WATCHED = 'EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("watch")'


def _cli(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "scoring.train", *args], cwd=paths.PROJECT_ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _filters(folder: Path) -> list[str]:
    return [f["name"] for f in json.loads((folder / paths.CAMPAIGNS_FILE).read_text())["filters"]]


def _create_filter(folder: Path, name: str) -> None:
    control = scoring.client("personalize", folder)
    group_arn = arns.local_arn("dataset-group", control.group.name)
    control.create_filter(name=name, datasetGroupArn=group_arn, filterExpression=WATCHED)


@pytest.fixture()
def group(tmp_path: Path) -> Path:
    folder = tmp_path / "data" / "shop"
    user_groups.create_group(small_data.files(), "shop", out=folder, settings=SETTINGS)
    _create_filter(folder, "before")
    return folder


# -- finding 3: retraining loses filters ------------------------------------------------------
def test_retrain_in_place_keeps_a_filter_created_during_training(group: Path) -> None:
    created: list[str] = []

    def progress(fraction: float, what: str) -> None:
        if what == "Training" and not created:
            _create_filter(group, "during")  # another user, at this moment
            created.append("during")

    user_groups.retrain_in_place(group, settings=SETTINGS, progress=progress)
    assert created and _filters(group) == ["before", "during"]


def test_replacing_keeps_a_filter_created_during_training(group: Path) -> None:
    created: list[str] = []

    def progress(fraction: float, what: str) -> None:
        if what == "Training" and not created:
            _create_filter(group, "during")
            created.append("during")

    user_groups.create_group(small_data.files(), "shop", out=group, overwrite=True,
                             settings=SETTINGS, progress=progress)
    assert created and _filters(group) == ["before", "during"]


def test_retrain_races_concurrent_create_filter_and_loses_nothing(group: Path) -> None:
    """A thread creates filters as fast as it can while the group retrains twice (bounded)."""
    stop, made, failures = threading.Event(), ["before"], []

    def creator() -> None:
        n = 0
        while not stop.is_set() and len(made) < 9:  # 10 filters at most per group
            name = f"race-{n}"
            try:
                _create_filter(group, name)
                made.append(name)
            except Exception as exc:  # noqa: BLE001 - recorded, asserted below
                failures.append(repr(exc))
            n += 1
            time.sleep(0.02)

    thread = threading.Thread(target=creator, daemon=True)
    thread.start()
    try:
        for _ in range(2):
            user_groups.retrain_in_place(group, settings=SETTINGS)
    finally:
        stop.set()
        thread.join(timeout=30)
    assert not failures
    assert sorted(_filters(group)) == sorted(made)


# -- finding 4: --replace deletes any folder ---------------------------------------------------
def test_cli_replace_refuses_a_folder_that_is_not_a_group(tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    source = small_data.write(tmp_path / "src")
    victim = tmp_path / "precious"
    victim.mkdir()
    (victim / "important.txt").write_text("keep me")
    assert train_main([str(source), "--out", str(victim), "--replace", *FAST]) == 2
    err = capsys.readouterr().err
    assert "not a local dataset group" in err and "Traceback" not in err
    assert (victim / "important.txt").read_text() == "keep me"


def test_page_replace_refuses_a_folder_that_is_not_a_group(tmp_path: Path) -> None:
    root = tmp_path / "data"
    (root / "notes").mkdir(parents=True)
    (root / "notes" / "important.txt").write_text("keep me")
    with pytest.raises(user_groups.GroupError, match="not a local dataset group"):
        user_groups.create_group(small_data.files(), "notes", root=root, overwrite=True, settings=SETTINGS)
    assert (root / "notes" / "important.txt").read_text() == "keep me"


def test_replace_refuses_a_file_and_a_symlink(tmp_path: Path) -> None:
    (tmp_path / "afile").write_text("x")
    (tmp_path / "real").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "real")
    for name in ("afile", "link"):
        with pytest.raises(user_groups.GroupError):
            user_groups.create_group(small_data.files(), name, root=tmp_path, overwrite=True,
                                     settings=SETTINGS)
    assert (tmp_path / "afile").read_text() == "x" and (tmp_path / "real").is_dir()


def test_replace_still_replaces_a_group_and_an_empty_folder(group: Path, tmp_path: Path) -> None:
    user_groups.create_group(small_data.files(), "shop", out=group, overwrite=True, settings=SETTINGS)
    assert _filters(group) == ["before"]
    empty = tmp_path / "empty"
    empty.mkdir()
    user_groups.create_group(small_data.files(), "empty", out=empty, overwrite=True, settings=SETTINGS)
    assert (empty / paths.CAMPAIGNS_FILE).is_file()


# -- finding 10: training races and leftovers --------------------------------------------------
def test_a_second_build_of_a_name_being_built_is_refused_at_once(tmp_path: Path) -> None:
    target = tmp_path / "data" / "twin"
    with user_groups.claim(target):
        started = time.monotonic()
        with pytest.raises(user_groups.GroupError, match="being trained"):
            user_groups.create_group(small_data.files(), "twin", out=target, settings=SETTINGS)
        assert time.monotonic() - started < 5
    assert not target.exists()


def test_two_cli_trainings_of_one_new_name_one_wins(tmp_path: Path) -> None:
    source = small_data.write(tmp_path / "src")
    out = tmp_path / "data" / "twin"
    procs = [_cli(str(source), "--out", str(out), *FAST) for _ in range(2)]
    results = [(p.wait(timeout=180), p.communicate()) for p in procs]
    codes = sorted(code for code, _ in results)
    assert codes == [0, 2], results
    loser_err = next(err for code, (_, err) in results if code == 2)
    assert ("being trained" in loser_err or "already exists" in loser_err) and "Traceback" not in loser_err


def test_leftovers_of_a_killed_build_are_swept_by_the_next_build(tmp_path: Path) -> None:
    root = tmp_path / "data"
    staging = root / user_groups.STAGING_DIR
    dead = [staging / "shop-999999-deadbeef", staging / "shop-999999-deadbeef-old",
            staging / "deleted-shop-999999-0badf00d"]
    other = staging / "shop-2-999999-deadbeef"  # another name's: not ours to remove
    for folder in [*dead, other]:
        folder.mkdir(parents=True)
        (folder / "model.npz").write_bytes(b"x" * 100)
    user_groups.create_group(small_data.files(), "shop", root=root, settings=SETTINGS)
    assert not any(f.exists() for f in dead)
    assert other.exists()


def test_kill_9_during_training_leaves_nothing_once_rebuilt(tmp_path: Path) -> None:
    source = small_data.write(tmp_path / "src", users=300, items=300, per_user=40)
    root = tmp_path / "data"
    out = root / "killed"
    proc = _cli(str(source), "--out", str(out), "--epochs", "200", "--dim", "32")
    deadline = time.monotonic() + 60
    staging = root / user_groups.STAGING_DIR
    try:
        while time.monotonic() < deadline and not (staging.is_dir() and any(staging.iterdir())):
            assert proc.poll() is None, proc.communicate()
            time.sleep(0.05)
        assert staging.is_dir() and any(staging.iterdir()), "the build never started staging"
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=30)
    assert not out.exists()
    rebuilt = _cli(str(source), "--out", str(out), *FAST)
    assert rebuilt.wait(timeout=180) == 0, rebuilt.communicate()
    rebuilt.communicate()
    assert (out / paths.CAMPAIGNS_FILE).is_file()
    assert not staging.exists()
