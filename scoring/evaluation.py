"""Offline metrics with Amazon Personalize's names, on a time-based hold-out.

Split: each user's last interaction (by TIMESTAMP) is held out when the user has at least two,
so every user stays in training and the test asks "what does this user watch next?".

Queries: the test rows are grouped by user and context (e.g. DEVICE), and each group is one
query scored with that context, because at serving time the request carries the device the
user is on. Its relevant items are the group's items (one item with `holdout_last`).

Nothing is excluded from the ranked lists (not even items the user already interacted with):
Personalize's offline solution metrics rank the whole catalogue the same way, and excluding
would need a filter the campaign may not have. Definitions (Personalize docs):

- precision_at_K: relevant items in the top K, divided by K;
- normalized_discounted_cumulative_gain_at_K: sum over hits of 1/log2(1 + rank), divided by
  the same sum for a perfect list (min(|relevant|, K) hits at the top);
- mean_reciprocal_rank_at_25: 1/rank of the first relevant item in the top 25, else 0;
- coverage: distinct items in any top-25 list, divided by the distinct items in the data.

All are averaged over queries. Scoring runs in blocks of queries, one matrix product each.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import numpy as np
import pandas as pd

from scoring.dataset import context_columns
from scoring.model import SoftmaxModel, context_name

MRR_K = 25
COVERAGE_K = 25


class Scorer(Protocol):
    """Anything that ranks the catalogue: item IDs (columns) and a score matrix per block."""

    item_ids: np.ndarray

    def scores(self, queries: pd.DataFrame) -> np.ndarray:
        """(len(queries), len(item_ids)) scores; queries have USER_ID and context columns."""
        ...


class ModelScorer:
    """A SoftmaxModel's logits (ranking by logits = ranking by softmax scores)."""

    def __init__(self, model: SoftmaxModel) -> None:
        self.model = model
        self.item_ids = model.item_ids
        self._user_row = {str(u): i for i, u in enumerate(model.user_ids)}
        self._context_row = {str(c): i for i, c in enumerate(model.context_names)}

    def query_vectors(self, queries: pd.DataFrame) -> np.ndarray:
        """w̄_u for each query row, vectorised: user vector (or cold start) + context vectors."""
        m = self.model
        rows = np.fromiter((self._user_row.get(str(u), -1) for u in queries["USER_ID"]),
                           dtype=np.int64, count=len(queries))
        vectors = np.where((rows >= 0)[:, None], m.user_factors[np.maximum(rows, 0)],
                           m.cold_start_vector()[None, :]).astype(np.float32)
        for key in context_columns(queries):
            names = (context_name(key, str(v)) for v in queries[key])
            crow = np.fromiter((self._context_row.get(n, -1) for n in names), dtype=np.int64,
                               count=len(queries))
            known = crow >= 0
            vectors[known] += m.context_factors[crow[known]]
        return vectors

    def scores(self, queries: pd.DataFrame) -> np.ndarray:
        return self.query_vectors(queries) @ self.model.item_factors.T


class PopularityScorer:
    """The popularity baseline: every query gets the most interacted items of the training data."""

    def __init__(self, train_df: pd.DataFrame,
                 item_ids: Sequence[str] | np.ndarray | None = None) -> None:
        counts = train_df["ITEM_ID"].astype(str).value_counts()
        ids = np.asarray(sorted(counts.index) if item_ids is None else list(item_ids), dtype=str)
        self.item_ids = ids
        self.counts = counts.reindex(ids, fill_value=0).to_numpy(np.float64)

    def scores(self, queries: pd.DataFrame) -> np.ndarray:
        return np.broadcast_to(self.counts, (len(queries), self.counts.size))


def holdout_last(interactions: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(train, test): the last interaction of every user with >= 2 interactions is the test.

    Ties on TIMESTAMP are broken by file order (a stable sort), so the split is deterministic.
    """
    ordered = interactions.reset_index(drop=True)
    order = np.lexsort((np.arange(len(ordered)), ordered["TIMESTAMP"].to_numpy()))
    ordered = ordered.iloc[order]
    users = ordered["USER_ID"]
    last = ~users.duplicated(keep="last")
    several = users.map(users.value_counts()) >= 2
    test_mask = last & several
    train = ordered[~test_mask].sort_index()
    test = ordered[test_mask].sort_index()
    return train.reset_index(drop=True), test.reset_index(drop=True)


def _top_k_rows(scores: np.ndarray, k: int) -> np.ndarray:
    """Row-wise top-k column indices, best first; ties go to the lower index (as softmax.top_k)."""
    n = scores.shape[1]
    k = min(k, n)
    if k < n:
        cand = np.sort(np.argpartition(-scores, k - 1, axis=1)[:, :k], axis=1)
    else:
        cand = np.broadcast_to(np.arange(n), scores.shape).copy()
    vals = np.take_along_axis(scores, cand, axis=1)
    order = np.argsort(-vals, axis=1, kind="stable")
    return np.take_along_axis(cand, order, axis=1)


def evaluate(scorer: SoftmaxModel | Scorer, train_df: pd.DataFrame, test_df: pd.DataFrame,
             k_values: Sequence[int] = (5, 10, 25), *, block_size: int = 1024) -> dict[str, float]:
    """Personalize-named metrics of `scorer` on the test queries (see the module docstring)."""
    if isinstance(scorer, SoftmaxModel):
        scorer = ModelScorer(scorer)
    item_ids = np.asarray(scorer.item_ids).astype(str)
    column = {item: j for j, item in enumerate(item_ids)}
    keys = ["USER_ID", *context_columns(test_df)]
    test = test_df.astype({c: str for c in [*keys, "ITEM_ID"]})
    # One query per (user, context); relevant items = the group's test items.
    groups = test.groupby(keys, sort=True, dropna=False)["ITEM_ID"].agg(list).reset_index()
    depth = max([*k_values, MRR_K, COVERAGE_K])

    totals: dict[str, float] = {}
    recommended: set[int] = set()
    for start in range(0, len(groups), block_size):
        block = groups.iloc[start:start + block_size]
        top = _top_k_rows(np.asarray(scorer.scores(block[keys]), dtype=np.float64), depth)
        recommended.update(np.unique(top[:, :COVERAGE_K]).tolist())
        relevant = np.zeros((len(block), item_ids.size), dtype=bool)
        n_relevant = np.zeros(len(block), dtype=np.int64)
        for r, items in enumerate(block["ITEM_ID"]):
            cols = {column[i] for i in items if i in column}
            relevant[r, list(cols)] = True
            n_relevant[r] = len(set(items))  # unknown items still count: they can never be hit
        hits = np.take_along_axis(relevant, top, axis=1)  # (B, depth)
        discount = 1.0 / np.log2(np.arange(2, depth + 2))
        for k in k_values:
            h = hits[:, :k]
            _add(totals, f"precision_at_{k}", h.sum(axis=1) / k)
            ideal = np.cumsum(discount[:k])[np.minimum(n_relevant, k) - 1]
            dcg = (h * discount[:k]).sum(axis=1)
            _add(totals, f"normalized_discounted_cumulative_gain_at_{k}", dcg / ideal)
        first = np.where(hits[:, :MRR_K].any(axis=1), hits[:, :MRR_K].argmax(axis=1) + 1, np.inf)
        _add(totals, f"mean_reciprocal_rank_at_{MRR_K}", 1.0 / first)

    n_queries = max(len(groups), 1)
    seen = pd.concat([train_df["ITEM_ID"], test_df["ITEM_ID"]]).astype(str)
    catalogue = set(seen) | set(item_ids)
    metrics = {"coverage": len(recommended) / max(len(catalogue), 1)}
    metrics.update({name: total / n_queries for name, total in totals.items()})
    ordered = ["coverage", f"mean_reciprocal_rank_at_{MRR_K}"]
    ordered += [f"normalized_discounted_cumulative_gain_at_{k}" for k in k_values]
    ordered += [f"precision_at_{k}" for k in k_values]
    return {name: float(metrics.get(name, 0.0)) for name in ordered}


def _add(totals: dict[str, float], name: str, values: np.ndarray) -> None:
    totals[name] = totals.get(name, 0.0) + float(np.sum(values))


def popularity_baseline(train_df: pd.DataFrame, test_df: pd.DataFrame,
                        k_values: Sequence[int] = (5, 10, 25),
                        item_ids: Sequence[str] | np.ndarray | None = None) -> dict[str, float]:
    """The same metrics for "recommend the most popular training items to everyone"."""
    return evaluate(PopularityScorer(train_df, item_ids), train_df, test_df, k_values)
