"""The demo dataset group: generated data, a trained model, one campaign per recipe and the
VIDEO_ON_DEMAND recommenders, built on first use.

`ensure_demo()` is cheap when the group exists and builds it otherwise (a few seconds of data
generation, then training). A file lock makes parallel test workers and a running app wait
for one build instead of racing; every file is written atomically (temp file + rename) and
campaigns.json, which marks a folder as a dataset group, is written last.

The build is reproducible: the data comes from a fixed seed and every timestamp in
campaigns.json is derived from the data, never from the clock, so a rebuild writes
byte-identical CSV and JSON files. (model.npz differs only in its recorded training time.)

Served model: the one trained without each user's last interaction (the time-based hold-out),
so the metrics in its meta are exactly its own and a build costs one training; every user is
still known. See scoring.training.train_with_metrics (refit=True would train twice).

Run `python -m scoring.demo` to build it and print where it is and its hold-out metrics.
"""

from __future__ import annotations

import fcntl
import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from scoring import dataset, demo_data, events, group_files, paths, recipes
from scoring.model import MODEL_FILE, SoftmaxModel

#: Bump when the generator, the trainer or the files change, so existing demo folders rebuild.
DEMO_VERSION = 10
#: Fewer passes than the trainer's default: on the demo 4 epochs match 5 and 8 (protocol MRR@25
#: 0.278, 0.280, 0.281; NDCG@10 0.145, 0.144, 0.142; 3 splits) in half the time of 8; real data
#: (MovieLens) keeps 8.
DEMO_EPOCHS = 4
LOCK_FILE = ".demo.lock"
REQUIRED_FILES = (paths.INTERACTIONS_FILE, paths.ITEMS_FILE, paths.USERS_FILE, MODEL_FILE,
                  paths.CAMPAIGNS_FILE)

GROUP_NAME = "demo"
#: The demo is also a domain dataset group: its recommenders are served by the same model.
DOMAIN = recipes.VIDEO_ON_DEMAND
SOLUTION = "demo-softmax"
RANKING_SOLUTION = "demo-softmax-ranking"
USER_PERSONALIZATION_RECIPE = "aws-user-personalization-v2"
PERSONALIZED_RANKING_RECIPE = "aws-personalized-ranking-v2"


def is_complete(data_dir: Path) -> bool:
    """True when every file of the demo group is present and built by this DEMO_VERSION.

    data/ is not versioned, so a checkout keeps an old build forever; the version stamp in
    the model's meta makes a changed generator or trainer rebuild it once.
    """
    data_dir = Path(data_dir)
    if not all((data_dir / name).is_file() for name in REQUIRED_FILES):
        return False
    try:
        with np.load(data_dir / MODEL_FILE, allow_pickle=False) as f:  # reads only "meta"
            meta = json.loads(str(f["meta"]))
    except (OSError, ValueError, KeyError):
        return False
    return bool(meta.get("demo_version") == DEMO_VERSION)


@contextmanager
def _locked(lock_path: Path) -> Iterator[None]:
    """An exclusive flock: one builder at a time across processes; released on exit or crash."""
    with open(lock_path, "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def ensure_demo(data_dir: Path = paths.DEMO_DIR, *,
                progress: Callable[[float], None] | None = None) -> Path:
    """The demo group's folder, generated and trained first if a file is missing or stale."""
    data_dir = Path(data_dir)
    if is_complete(data_dir):
        refresh_config(data_dir)
        return data_dir
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    with _locked(data_dir.parent / LOCK_FILE):
        if not is_complete(data_dir):  # another process may have built it while we waited
            build(data_dir, progress=progress)
    return data_dir


#: Bump when campaigns_config changes: an existing build then gets the new campaigns.json
#: (with the user's own filters kept) without retraining.
DEMO_CONFIG_VERSION = 3
DEMO_FILTERS: tuple[tuple[str, str], ...] = (
    ("exclude-watched", 'EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("watch")'),
    ("genre", "INCLUDE ItemID WHERE Items.GENRES IN ($GENRES)"),
    ("recent-years", "INCLUDE ItemID WHERE Items.YEAR >= $YEAR"),
)


def refresh_config(data_dir: Path) -> None:
    """Rewrite campaigns.json when this version writes it differently; filters users made stay."""
    file = Path(data_dir) / paths.CAMPAIGNS_FILE
    current = json.loads(file.read_text())
    wanted = campaigns_config(int(current.get("datasetGroup", {}).get("createdAt", 0)))
    if current.get("demoConfigVersion") == DEMO_CONFIG_VERSION:
        wanted["filters"] = current.get("filters", [])
        wanted["eventTrackers"] = current.get("eventTrackers", [])
    else:
        demo_names = {name for name, _ in DEMO_FILTERS}
        wanted["filters"] += [f for f in current.get("filters", []) if f.get("name") not in demo_names]
    if wanted != current:
        with _locked(Path(data_dir).parent / LOCK_FILE):
            _write_text(file, json.dumps(wanted, indent=2) + "\n")


def campaigns_config(created_at: int) -> dict[str, Any]:
    """campaigns.json of the demo group: one solution and campaign per recipe, one model.npz."""
    return {
        "datasetGroup": {"name": GROUP_NAME, "createdAt": created_at, "domain": DOMAIN},
        **group_files.solutions_and_campaigns(GROUP_NAME, trained_at=created_at + 3600),
        "recommenders": group_files.recommenders(GROUP_NAME, DOMAIN),
        "filters": [{"name": name, "filterExpression": expression, "createdAt": created_at}
                    for name, expression in DEMO_FILTERS],
        "eventTrackers": [group_files.event_tracker(GROUP_NAME, created_at)],
        "demoConfigVersion": DEMO_CONFIG_VERSION,
    }


def _write_text(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text)
    tmp.replace(path)


def build(data_dir: Path, *, seed: int = demo_data.DEFAULT_SEED,
          progress: Callable[[float], None] | None = None) -> SoftmaxModel:
    """Generate the data, train the served model with hold-out metrics, write every file."""
    data_dir = Path(data_dir)
    demo_data.generate(data_dir, seed)
    (data_dir / events.EVENTS_FILE).unlink(missing_ok=True)  # recorded on the old data: they go with it
    # Train on the files as written, so the model sees exactly what a user's import would.
    interactions = dataset.load_interactions(data_dir)
    items = dataset.load_items(data_dir)
    from scoring.training import train_with_metrics  # the training stack loads only for a build

    model = train_with_metrics(interactions, items=items, epochs=DEMO_EPOCHS, seed=0, progress=progress)
    model = replace(model, meta={**model.meta, "data_seed": seed,
                                     "demo_version": DEMO_VERSION})
    model.save(data_dir / MODEL_FILE)
    # The group is "created" a day after the last event in the data: deterministic, plausible.
    created_at = int(interactions["TIMESTAMP"].max()) + 86_400
    text = json.dumps(campaigns_config(created_at), indent=2) + "\n"
    _write_text(data_dir / paths.CAMPAIGNS_FILE, text)
    return model


def main() -> int:
    def show(fraction: float) -> None:
        print(f"\rtraining {fraction:6.1%}", end="", flush=True)

    built = not is_complete(paths.DEMO_DIR)
    data_dir = ensure_demo(paths.DEMO_DIR, progress=show)
    if built:
        print()
    model = SoftmaxModel.load(data_dir / MODEL_FILE)
    print(f"demo dataset group: {data_dir}")
    holdout = model.meta.get("holdout", {})
    print(f"{model.n_items:,} items, {len(model.user_ids):,} users, "
          f"{int(holdout.get('interactions', 0)):,} interactions "
          f"({int(holdout.get('test_users', 0)):,} test users); "
          f"contexts: {', '.join(map(str, model.context_names))}")
    if "metrics" in model.meta:
        print(f"{holdout.get('split', 'metrics')}:")
        from scoring.training import format_metrics

        print(format_metrics(model.meta["metrics"], model.meta.get("baseline_metrics")))
    print(f"training took {float(model.meta.get('training_seconds', 0.0)):.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
