"""Fit the local SoftmaxModel on interactions: next-item softmax with context, in numpy.

For every interaction (user u, item i, context values c) the model scores the *whole*
catalogue with the same formula the console serves,

    logit_j = (u + Σ_c ctx_c) · v_j + b_j,        p = softmax(logit),

and minimises the full softmax cross-entropy -log p_i (no sampling: 2,400 items fit in one
matrix product per minibatch). Minibatch Adam with a linearly decaying step, L2 on the
embeddings, and the item bias starts at the log popularity so the first epochs learn taste
rather than rediscover popularity. With an items dataset, each item vector also gets the mean
of its categorical values' vectors (e.g. GENRES), which is what lifts sparse items. The item L2
is strong on purpose: it keeps item vectors near their genres' and stops the model memorising
each user's past titles (which are never the next one). On the demo data's hold-out, NDCG@10 is
0.032 against 0.016 for popularity and 0.035 for the generator's true model (bench/training.py).

User dropout: in a share of the examples the user vector is left out, so the bias plus the
context vectors alone must predict the item. That trains exactly the cold-start vector
[0, ..., 0, 1] that the model serves to unknown users: popular items, shifted by context.

Run `python -m scoring.train DATA_DIR [--name NAME] [--out DIR]` to validate a user's
Personalize CSV files (scoring.importing), train on them and write a new local dataset group
(scoring.user_groups) with hold-out metrics beside the popularity baseline.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TextIO

import numpy as np
import pandas as pd

from scoring import dataset, paths
from scoring.evaluation import evaluate, holdout_last, popularity_baseline
from scoring.model import SoftmaxModel, context_name

DIM = 32
EPOCHS = 5
BATCH_SIZE = 1024
LEARNING_RATE = 0.02
L2_EMBEDDING = 0.01  # per example, on the user and context vectors it touches
L2_ITEM = 0.02  # on every item and item-feature vector each step (all are in every softmax)
USER_DROPOUT = 0.1
BLOCK_ROWS = 256  # rows of a minibatch scored at once (see train)
MAX_EXAMPLES = 3_000_000  # epochs x interactions cap (see train)
MAX_FEATURE_VALUES = 200  # more distinct values than this: free text, not a category

Progress = Callable[[float], None]


class _Adam:
    """Adam for one parameter array; float32 like the parameters."""

    def __init__(self, param: np.ndarray, lr: float, b1: float = 0.9, b2: float = 0.999,
                 eps: float = 1e-8) -> None:
        self.param, self.lr, self.b1, self.b2, self.eps = param, lr, b1, b2, eps
        self.m = np.zeros_like(param)
        self.v = np.zeros_like(param)
        self.t = 0

    def step(self, grad: np.ndarray, rate: float = 1.0) -> None:
        self.t += 1
        self.m *= self.b1
        self.m += (1 - self.b1) * grad
        self.v *= self.b2
        self.v += (1 - self.b2) * grad * grad
        lr = rate * self.lr * np.sqrt(1 - self.b2 ** self.t) / (1 - self.b1 ** self.t)
        self.param -= (lr * self.m / (np.sqrt(self.v) + self.eps)).astype(self.param.dtype)


@dataclass(frozen=True)
class _Encoded:
    """The interactions as integer codes, plus the item features of the catalogue."""

    item_ids: np.ndarray  # str (N,): the catalogue, in model row order
    item_codes: np.ndarray  # int (n,)
    user_ids: np.ndarray  # str (U,)
    user_codes: np.ndarray  # int (n,)
    context: np.ndarray  # int (n, context columns): row into context_names, -1 if empty
    context_names: list[str]
    feature_items: np.ndarray  # int (P,): item row of each (item, token) pair
    feature_tokens: np.ndarray  # int (P,): token of each pair
    feature_weights: np.ndarray  # f32 (P,): 1 / tokens of that item in that column
    feature_names: list[str]


def item_feature_columns(items: pd.DataFrame) -> list[str]:
    """items.csv columns used as categorical features: strings with few distinct values.

    Multi-valued cells ("Action|Comedy") count each value. Free text (e.g. TITLE, almost one
    value per item) and numbers (YEAR, CREATION_TIMESTAMP) are left out.
    """
    out = []
    for column in items.columns:
        if column == "ITEM_ID" or pd.api.types.is_numeric_dtype(items[column]):
            continue
        tokens = items[column].dropna().astype(str).str.split("|").explode()
        distinct = tokens[tokens != ""].nunique()
        if 0 < distinct <= min(MAX_FEATURE_VALUES, len(items) // 4):
            out.append(column)
    return out


def _item_features(items: pd.DataFrame | None, item_ids: np.ndarray
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str]]:
    empty = np.empty(0, dtype=np.int64)
    if items is None or "ITEM_ID" not in items.columns:
        return empty, empty, np.empty(0, dtype=np.float32), []
    row_of = pd.Index(item_ids).get_indexer(items["ITEM_ID"].astype(str))
    pair_items: list[np.ndarray] = []
    pair_tokens: list[np.ndarray] = []
    pair_weights: list[np.ndarray] = []
    names: list[str] = []
    for column in item_feature_columns(items):
        cells = items[column].astype(str).where(items[column].notna(), "").str.split("|")
        long = pd.DataFrame({"row": row_of, "token": cells}).explode("token")
        long = long[(long["row"] >= 0) & long["token"].notna() & (long["token"] != "")]
        long = long.drop_duplicates()
        codes, uniques = pd.factorize(long["token"], sort=True)
        per_item = long.groupby("row")["token"].transform("size").to_numpy()
        pair_items.append(long["row"].to_numpy(np.int64))
        pair_tokens.append(codes.astype(np.int64) + len(names))
        pair_weights.append((1.0 / per_item).astype(np.float32))
        names += [f"{column}={t}" for t in uniques]
    if not names:
        return empty, empty, np.empty(0, dtype=np.float32), []
    return (np.concatenate(pair_items), np.concatenate(pair_tokens),
            np.concatenate(pair_weights), names)


def _encode(interactions: pd.DataFrame, items: pd.DataFrame | None) -> _Encoded:
    """Codes for users, items and context values; the catalogue is items.csv's items in file
    order (so never-watched items are scored too), then any interacted item it lacks."""
    item_col = interactions["ITEM_ID"].astype(str).to_numpy()
    user_col = interactions["USER_ID"].astype(str).to_numpy()
    listed = [] if items is None else items["ITEM_ID"].astype(str).tolist()
    catalogue = list(dict.fromkeys(listed))
    catalogue += sorted(set(item_col) - set(catalogue))
    item_ids = np.asarray(catalogue, dtype=str)
    item_codes = pd.Index(item_ids).get_indexer(item_col).astype(np.int64)
    user_codes, user_ids = pd.factorize(pd.Series(user_col), sort=True)

    names: list[str] = []
    columns = []
    for key in dataset.context_columns(interactions):
        values = interactions[key].astype(str).where(interactions[key].notna(), "")
        codes, uniques = pd.factorize(values, sort=True)
        lookup = np.full(len(uniques), -1, dtype=np.int64)
        for j, value in enumerate(uniques):
            if value != "":
                lookup[j] = len(names)
                names.append(context_name(key, value))
        columns.append(lookup[codes])
    context = (np.stack(columns, axis=1) if columns
               else np.empty((len(interactions), 0), dtype=np.int64))
    f_items, f_tokens, f_weights, f_names = _item_features(items, item_ids)
    return _Encoded(item_ids, item_codes, np.asarray(user_ids, dtype=str),
                    user_codes.astype(np.int64), context, names,
                    f_items, f_tokens, f_weights, f_names)


def _scatter_rows(index: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    """(n, D) sums of `values` rows by `index`: np.add.at's answer, ~3x faster via bincount."""
    out = np.empty((n, values.shape[1]), dtype=np.float32)
    for col in range(values.shape[1]):
        out[:, col] = np.bincount(index, weights=values[:, col], minlength=n)
    return out


def _softmax_grad(logits: np.ndarray, targets: np.ndarray, m: int) -> float:
    """In place: logits (rows, N) become d(mean cross-entropy)/d(logits) = (softmax - onehot) / m.

    Returns the summed cross-entropy of these rows, for the progress report.
    """
    rows = np.arange(logits.shape[0])
    logits -= logits.max(axis=1, keepdims=True)
    np.exp(logits, out=logits)
    norm = logits.sum(axis=1, keepdims=True)
    loss = float(-np.log(np.maximum(logits[rows, targets] / norm[:, 0], 1e-30)).sum())
    logits *= 1.0 / (norm * np.float32(m))
    logits[rows, targets] -= np.float32(1.0 / m)
    return loss


def train(interactions: pd.DataFrame, *, dim: int = DIM, epochs: int = EPOCHS, seed: int = 0,
          progress: Progress | None = None, items: pd.DataFrame | None = None,
          batch_size: int = BATCH_SIZE, learning_rate: float = LEARNING_RATE,
          l2: float = L2_EMBEDDING, item_l2: float = L2_ITEM,
          user_dropout: float = USER_DROPOUT, max_examples: int = MAX_EXAMPLES) -> SoftmaxModel:
    """A SoftmaxModel fitted on `interactions`; the same seed gives the same model.

    `epochs` passes, but no more than about `max_examples` examples in all: a million
    interactions get fewer passes (each pass has many more steps), which keeps training on
    2 cores within minutes; meta records the epochs actually run.

    `items` (the items dataset) fixes the catalogue and adds its categorical columns as item
    features: an item's vector is its own vector plus the mean of its GENRES vectors, so an
    item with few interactions still lands near others of its genres (what
    aws-user-personalization-v2 does with item metadata). The served vectors are the sums.
    """
    started = time.perf_counter()
    if len(interactions) == 0:
        raise ValueError("No interactions to train on.")
    enc = _encode(interactions, items)
    n_items, n_users = enc.item_ids.size, enc.user_ids.size
    n_ctx, n_feat = len(enc.context_names), len(enc.feature_names)
    rng = np.random.default_rng(seed)

    counts = np.bincount(enc.item_codes, minlength=n_items).astype(np.float64)
    scale = np.float32(0.1)
    V = rng.standard_normal((n_items, dim), dtype=np.float32) * scale
    U = rng.standard_normal((n_users, dim), dtype=np.float32) * scale
    F = rng.standard_normal((n_feat, dim), dtype=np.float32) * scale
    # One extra all-zero context row stands for "no value", so lookups need no masking.
    C = np.zeros((n_ctx + 1, dim), dtype=np.float32)
    C[:n_ctx] = rng.standard_normal((n_ctx, dim), dtype=np.float32) * scale
    log_pop = np.log(counts + 0.5)
    b = (log_pop - log_pop.mean()).astype(np.float32)
    ctx = np.where(enc.context >= 0, enc.context, n_ctx)
    f_items, f_tokens = enc.feature_items, enc.feature_tokens
    f_weights = enc.feature_weights[:, None]
    optimisers = [_Adam(p, learning_rate) for p in (V, b, U, C, F)]

    def item_vectors() -> np.ndarray:
        return V + _scatter_rows(f_items, F[f_tokens] * f_weights, n_items)

    n = enc.item_codes.size
    requested = epochs
    epochs = min(epochs, max(1, round(max_examples / n)))  # big data needs fewer passes
    # Each minibatch is scored in blocks of rows: a block's probabilities (256 x N float32) stay
    # in the CPU cache through the softmax and both gradient products, instead of streaming
    # a 1024 x N matrix through memory ~8 times; BLAS threads do the parallel part.
    block = min(BLOCK_ROWS, batch_size)
    probs_buf = np.empty((block, n_items), dtype=np.float32)  # reused: no page faults
    # The bias rides in the matrix products as one more column ([h, 1] · [w, b]): the logits
    # need no separate pass to add it, and p.T @ [h, 1] yields its gradient with the items'.
    Wb = np.empty((n_items, dim + 1), dtype=np.float32)
    hb = np.ones((batch_size, dim + 1), dtype=np.float32)
    grad_hb_buf = np.empty((batch_size, dim + 1), dtype=np.float32)
    grad_Wb = np.empty((n_items, dim + 1), dtype=np.float32)
    part_Wb = np.empty((n_items, dim + 1), dtype=np.float32)
    l2_item, l2_row = np.float32(item_l2), np.float32(l2)
    loss = float("nan")
    total_steps, step = epochs * -(-n // batch_size), 0
    report_every = max(1, total_steps // 100)  # about 100 progress reports, and every epoch end
    for epoch in range(epochs):
        order = rng.permutation(n)
        keep_user = (rng.random(n) >= user_dropout).astype(np.float32)
        total = 0.0
        for start in range(0, n, batch_size):
            batch = order[start:start + batch_size]
            # Linear decay to 10 %: big steps early, a settled model at the end.
            rate = 1.0 - 0.9 * step / total_steps
            step += 1
            m = batch.size
            u, i = enc.user_codes[batch], enc.item_codes[batch]
            keep, c = keep_user[batch][:, None], ctx[batch]
            h = hb[:m, :dim]
            np.add(U[u] * keep, C[c].sum(axis=1), out=h)
            Wb[:, :dim] = item_vectors()
            Wb[:, dim] = b
            grad_hb = grad_hb_buf[:m]
            grad_Wb.fill(0.0)
            for a in range(0, m, block):
                rows = hb[a:min(a + block, m)]
                p = probs_buf[:rows.shape[0]]
                np.matmul(rows, Wb.T, out=p)
                total += _softmax_grad(p, i[a:a + block], m)
                np.matmul(p, Wb, out=grad_hb[a:a + block])
                np.matmul(p.T, rows, out=part_Wb)
                grad_Wb += part_Wb
            grad_h = grad_hb[:, :dim]
            grad_W, grad_b = grad_Wb[:, :dim], grad_Wb[:, dim]
            grad_F = _scatter_rows(f_tokens, grad_W[f_items] * f_weights, n_feat)
            grad_F += l2_item * F
            grad_W += l2_item * V
            # L2 per example on the user and context vectors it used (1/m like the loss).
            grad_U = np.zeros_like(U)
            np.add.at(grad_U, u, (grad_h + (l2_row / m) * U[u]) * keep)
            grad_C = np.zeros_like(C)
            for col in range(c.shape[1]):
                np.add.at(grad_C, c[:, col], grad_h + (l2_row / m) * C[c[:, col]])
            grad_C[n_ctx] = 0.0
            grads = (grad_W, grad_b, grad_U, grad_C, grad_F)
            for opt, grad in zip(optimisers, grads, strict=True):
                opt.step(grad, rate)
            C[n_ctx] = 0.0
            if progress is not None and step % report_every == 0 and step < total_steps:
                progress(step / total_steps)
        loss = total / n
        if progress is not None:
            progress((epoch + 1) / epochs)

    meta = {
        "dims": dim, "epochs": epochs, "epochs_requested": requested, "seed": seed, "batch_size": batch_size,
        "learning_rate": learning_rate, "l2": l2, "item_l2": item_l2, "user_dropout": user_dropout,
        "item_features": enc.feature_names, "interactions": int(n), "final_loss": round(loss, 6),
        "training_seconds": round(time.perf_counter() - started, 3),
    }
    return SoftmaxModel(
        item_ids=enc.item_ids,
        item_factors=np.hstack([item_vectors(), b[:, None]]).astype(np.float32),
        user_ids=enc.user_ids,
        user_factors=np.hstack([U, np.ones((n_users, 1), dtype=np.float32)]),
        context_names=np.asarray(enc.context_names, dtype=str),
        context_factors=np.hstack([C[:n_ctx], np.zeros((n_ctx, 1), dtype=np.float32)]),
        item_popularity=counts.astype(np.float32),
        meta=meta,
    )


def train_with_metrics(interactions: pd.DataFrame, *, items: pd.DataFrame | None = None,
                       dim: int = DIM, epochs: int = EPOCHS, seed: int = 0, refit: bool = False,
                       progress: Progress | None = None) -> SoftmaxModel:
    """A model to serve, with hold-out metrics (model and popularity) in its meta.

    By default it trains once, without each user's last interaction, and serves that model:
    the metrics are then exactly the served model's, every user is still known (a user keeps
    all but one interaction), and a build costs one training instead of two.
    `refit=True` trains a second time on everything, so the served model also knows each
    user's latest interaction; its metrics then describe the procedure, as a solution
    version's metrics do, not that exact set of weights.
    """
    def stage(lo: float, hi: float) -> Progress | None:
        return None if progress is None else (lambda f: progress(lo + (hi - lo) * f))

    train_df, test_df = holdout_last(interactions)
    held = train(train_df, items=items, dim=dim, epochs=epochs, seed=seed,
                 progress=stage(0.0, 0.5 if refit else 1.0))
    metrics = evaluate(held, train_df, test_df)
    baseline = popularity_baseline(train_df, test_df, item_ids=held.item_ids)
    model = held
    if refit:
        model = train(interactions, items=items, dim=dim, epochs=epochs, seed=seed,
                      progress=stage(0.5, 1.0))
    meta = dict(model.meta)
    meta.update({
        "metrics": metrics, "baseline_metrics": baseline,
        "holdout": {"split": "last interaction per user (by TIMESTAMP)",
                    "test_queries": len(test_df), "train_interactions": len(train_df),
                    "served_model": "refit on all interactions" if refit else "the hold-out model",
                    "training_seconds": held.meta["training_seconds"]},
    })
    return replace(model, meta=meta)


def format_metrics(metrics: dict[str, float], baseline: dict[str, float] | None = None) -> str:
    """A small aligned table: metric, model, popularity."""
    lines = [f"{'metric':<44}{'model':>10}" + (f"{'popularity':>12}" if baseline else "")]
    for name, value in metrics.items():
        line = f"{name:<44}{value:>10.4f}"
        if baseline:
            line += f"{baseline.get(name, float('nan')):>12.4f}"
        lines.append(line)
    return "\n".join(lines)


def _printer(stream: TextIO) -> Callable[[float, str], None]:
    """Progress lines: redrawn in place on a terminal, one line per 10 % (and stage) otherwise."""
    last: list[tuple[str, int]] = [("", -1)]
    tty = stream.isatty()

    def show(fraction: float, what: str) -> None:
        percent = int(fraction * 100)
        stage, shown = last[0]
        if tty:
            stream.write(f"\r{what:<28}{fraction:6.1%}" + ("\n" if fraction >= 1 else ""))
        elif what != stage or percent // 10 > shown // 10:
            stream.write(f"{what:<28}{percent:3d}%\n")
        else:
            return
        last[0] = (what, percent)
        stream.flush()

    return show


def main(argv: Sequence[str] | None = None) -> int:
    """Exit codes: 0 trained, 2 the data or the name was refused (problems on stderr)."""
    from scoring import importing, user_groups

    parser = argparse.ArgumentParser(prog="python -m scoring.train", description=(
        "Validate Personalize-format CSV files in DATA_DIR (interactions.csv, optional items.csv "
        "and users.csv), train the local softmax model, evaluate it on a time-based hold-out and "
        "write a local dataset group (default: data/<name>) that the console lists. When the "
        "group folder is DATA_DIR itself, only model.npz and campaigns.json are rewritten."))
    parser.add_argument("data_dir", metavar="DATA_DIR", type=Path)
    parser.add_argument("--name", help="dataset group name (default: the folder name of --out, "
                        "else of DATA_DIR)")
    parser.add_argument("--out", type=Path, metavar="DIR",
                        help=f"group folder to write (default: {paths.DATA_ROOT}/<name>)")
    parser.add_argument("--replace", action="store_true", help="replace an existing group")
    parser.add_argument("--dim", type=int, default=DIM)
    parser.add_argument("--epochs", type=int, default=EPOCHS)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--refit", action="store_true",
                        help="after the hold-out run, train again on every interaction to serve")
    args = parser.parse_args(argv)
    source = Path(args.data_dir)
    # The group is named after its folder: --out's, else DATA_DIR's.
    name = args.name if args.name is not None else \
        user_groups.suggested_name(Path(args.out or source).resolve().name)
    out = Path(args.out) if args.out is not None else paths.DATA_ROOT / name
    settings = user_groups.TrainingSettings(dim=args.dim, epochs=args.epochs, seed=args.seed,
                                            refit=args.refit)
    progress = _printer(sys.stdout)
    try:
        if out.resolve() == source.resolve():
            created = user_groups.retrain_in_place(source, settings=settings, progress=progress)
        else:
            report = importing.validate_directory(source)
            if not report.ok:
                raise user_groups.InvalidData(report)
            files, _ = importing.read_directory(source)
            print(report.summary())
            created = user_groups.create_group(files, name, out=out, overwrite=args.replace,
                                               settings=settings, progress=progress,
                                               origin=str(source.resolve()))
    except user_groups.InvalidData as exc:
        report = exc.report
        print(f"error: {source} was refused: {report.total_problems:,} problem(s), nothing was "
              "trained.", file=sys.stderr)
        for line in report.lines():
            print(f"  {line}", file=sys.stderr)
        return 2
    except user_groups.GroupError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print("hold-out (last interaction per user, scored with its own context):")
    print(format_metrics(created.metrics, created.baseline))
    print(f"trained in {created.training_seconds:.1f} s; wrote the dataset group "
          f"{created.name!r} to {created.path}")
    print(f"campaign: {created.campaign_arn}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
