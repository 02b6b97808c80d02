"""Offline metrics with Amazon Personalize's names, measured with Personalize's own protocol.

Protocol ("Evaluating a solution version with metrics"): 90% of users, with all their
interactions, train; the other 10% are test users. For each test user, the oldest 90% of
their interactions are the input and the newest 10% are held out; a recommended item is
relevant when it is among the held-out ones. Test users are new to the model, so the
metrics measure what the console serves: lists computed from a user's history.

One query per test user, scored with the request context of their first held-out
interaction (the device they are on when they ask), at its time: a model that learned recent
popularity (scoring.recency) counts the training interactions before that moment. Nothing is
excluded from the ranked lists, not even items in the input: Personalize's offline metrics rank
the whole catalogue.
Definitions (Personalize docs):

- precision_at_K: relevant items in the top K, divided by K;
- normalized_discounted_cumulative_gain_at_K: sum over hits of 1/log2(1 + rank), divided by
  the same sum for a perfect list (min(|relevant|, K) hits at the top);
- mean_reciprocal_rank_at_25: 1/rank of the first relevant item in the top 25, else 0;
- coverage: distinct items in any top-25 list, divided by the distinct items in the data.

All are averaged over queries. Scoring runs in blocks of queries, one matrix product each.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Protocol

import numpy as np
import pandas as pd

from scoring.dataset import context_columns
from scoring.model import SoftmaxModel
from scoring.recency import RecentCounts
from scoring.sequences import chronological

MRR_K = 25
COVERAGE_K = 25
TEST_USERS = 0.1
HELD_OUT = 0.1


def protocol_description(test_users: float = TEST_USERS, held_out: float = HELD_OUT) -> str:
    """The one line Campaign details shows under the metrics."""
    return (f"Personalize's protocol: {1 - test_users:.0%} of users train; for the other "
            f"{test_users:.0%}, the oldest {1 - held_out:.0%} of each user's interactions are "
            f"the input and the newest {held_out:.0%} are held out, each user asked at the time "
            f"of their first held-out interaction")


@dataclass(frozen=True)
class Split:
    """Training rows, and the test users' input and held-out rows (all chronological)."""

    train: pd.DataFrame
    inputs: pd.DataFrame
    held_out: pd.DataFrame

    @cached_property
    def test_users(self) -> list[str]:
        return sorted(set(self.held_out["USER_ID"].astype(str)))

    @property
    def queries(self) -> int:
        return len(self.test_users)


def protocol_split(interactions: pd.DataFrame, *, seed: int = 0, test_users: float = TEST_USERS,
                   held_out: float = HELD_OUT) -> Split:
    """Personalize's split, with a seeded random choice of test users (at least one, and at
    least one training user). A test user keeps floor(90%) of their interactions as input,
    so a user with one interaction is a query with no input, as a brand-new user is."""
    frame = chronological(interactions)
    users = np.asarray(sorted(set(frame["USER_ID"].astype(str))))
    n_test = int(round(test_users * users.size))
    n_test = min(max(n_test, 1), max(users.size - 1, 0))
    chosen = np.random.default_rng(seed).choice(users, size=n_test, replace=False)
    is_test = frame["USER_ID"].astype(str).isin(set(chosen.tolist())).to_numpy()
    test = frame[is_test]
    position = test.groupby("USER_ID", sort=False).cumcount().to_numpy()
    size = test["USER_ID"].map(test["USER_ID"].value_counts()).to_numpy()
    is_input = position < np.floor((1 - held_out) * size)
    return Split(frame[~is_test].reset_index(drop=True), test[is_input].reset_index(drop=True),
                 test[~is_input].reset_index(drop=True))


@dataclass(frozen=True)
class Queries:
    """A block of test queries: each user's input history and the context of the request."""

    user_ids: list[str]
    histories: list[list[str]]  # item IDs, oldest first
    event_types: list[list[str]]
    context: pd.DataFrame  # one row per query, the context columns
    times: np.ndarray | None = None  # epoch seconds of the request (first held-out interaction)


class Scorer(Protocol):
    """Anything that ranks the catalogue: item IDs (columns) and a score matrix per block."""

    item_ids: np.ndarray

    def scores(self, queries: Queries) -> np.ndarray:
        """(len(queries.user_ids), len(item_ids)) scores."""
        ...


class ModelScorer:
    """A SoftmaxModel's logits for the histories (ranking by logits = by softmax scores).

    With a split, a model that learned recent popularity (scoring.recency) is asked at each
    query's moment: its served trend, taken as of its newest interaction, is replaced by the
    trend of the split's training interactions before the query, as if it were asked then.
    """

    def __init__(self, model: SoftmaxModel, split: Split | None = None) -> None:
        self.model = model
        self.item_ids = model.item_ids
        self.recent: RecentCounts | None = None
        recency = model.meta.get("recency", {})
        self.weights = np.asarray(recency.get("weights", []), dtype=np.float32)
        if split is not None and self.weights.size and "TIMESTAMP" in split.train:
            stamps = pd.to_numeric(split.train["TIMESTAMP"], errors="coerce").to_numpy(np.float64)
            rows = model.item_rows(split.train["ITEM_ID"].astype(str).tolist())
            self.recent = RecentCounts.build(rows, stamps, model.n_items,
                                             tuple(model.meta["recency"]["window_days"]))

    def scores(self, queries: Queries) -> np.ndarray:
        m = self.model
        seen = np.full((len(queries.user_ids), m.repeat_window), -1, dtype=np.int64)
        events = np.full((len(queries.user_ids), m.window), -1, dtype=np.int64)
        for q, (history, types) in enumerate(zip(queries.histories, queries.event_types, strict=True)):
            rows = m.item_rows(history[::-1])
            codes = m.event_codes(types[::-1])
            known = rows >= 0
            rows, codes = rows[known][: m.repeat_window], codes[known][: m.window]
            seen[q, : rows.size] = rows
            events[q, : codes.size] = codes
        items = seen[:, : m.window]
        vectors = m.encode_many(items, events)
        for q, row in enumerate(queries.context.to_dict("records")):
            vectors[q] += m.context_vector({k: str(v) for k, v in row.items() if pd.notna(v)})
        logits = vectors @ m.item_factors.T
        m.add_repeats(logits, seen, events=events)
        if self.recent is not None and queries.times is not None:
            logits -= m.item_trend
            logits += self.recent.bias(self.recent.rows(queries.times), self.weights)
        return logits


class PopularityScorer:
    """The popularity baseline: every query gets the most interacted items of the training data."""

    def __init__(self, train_df: pd.DataFrame,
                 item_ids: Sequence[str] | np.ndarray | None = None) -> None:
        counts = train_df["ITEM_ID"].astype(str).value_counts()
        ids = np.asarray(sorted(counts.index) if item_ids is None else list(item_ids), dtype=str)
        self.item_ids = ids
        self.counts = counts.reindex(ids, fill_value=0).to_numpy(np.float64)

    def scores(self, queries: Queries) -> np.ndarray:
        return np.broadcast_to(self.counts, (len(queries.user_ids), self.counts.size))


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


def query_blocks(split: Split, block_size: int = 1024):
    """(Queries, relevant item ID lists) per block of test users, in user order."""
    users = split.test_users
    inputs = split.inputs.astype({"USER_ID": str, "ITEM_ID": str})
    held = split.held_out.astype({"USER_ID": str, "ITEM_ID": str})
    has_types = "EVENT_TYPE" in inputs
    histories = inputs.groupby("USER_ID", sort=False)["ITEM_ID"].agg(list)
    types = (inputs.groupby("USER_ID", sort=False)["EVENT_TYPE"].agg(lambda s: s.astype(str).tolist())
             if has_types else None)
    relevant = held.groupby("USER_ID", sort=False)["ITEM_ID"].agg(list)
    first = held.groupby("USER_ID", sort=False).head(1).set_index("USER_ID")
    stamps = (pd.to_numeric(first["TIMESTAMP"], errors="coerce") if "TIMESTAMP" in first
              else pd.Series(np.nan, index=first.index))
    columns = context_columns(split.held_out)
    for start in range(0, len(users), block_size):
        block = users[start:start + block_size]
        hist = [list(histories.get(u, [])) for u in block]
        kinds = ([list(types.get(u, [])) for u in block] if types is not None
                 else [[""] * len(h) for h in hist])
        context = first.loc[block, columns].reset_index(drop=True)
        times = stamps.loc[block].to_numpy(np.float64)
        yield Queries(block, hist, kinds, context, times), [relevant[u] for u in block]


def evaluate(scorer: SoftmaxModel | Scorer, split: Split,
             k_values: Sequence[int] = (5, 10, 25), *, block_size: int = 1024) -> dict[str, float]:
    """Personalize-named metrics of `scorer` on the split's test queries."""
    if isinstance(scorer, SoftmaxModel):
        scorer = ModelScorer(scorer, split)
    item_ids = np.asarray(scorer.item_ids).astype(str)
    column = {item: j for j, item in enumerate(item_ids)}
    depth = max([*k_values, MRR_K, COVERAGE_K])
    discount = 1.0 / np.log2(np.arange(2, depth + 2))

    totals: dict[str, float] = {}
    recommended: set[int] = set()
    for queries, relevant_ids in query_blocks(split, block_size):
        top = _top_k_rows(np.asarray(scorer.scores(queries), dtype=np.float64), depth)
        recommended.update(np.unique(top[:, :COVERAGE_K]).tolist())
        relevant = np.zeros((len(relevant_ids), item_ids.size), dtype=bool)
        n_relevant = np.zeros(len(relevant_ids), dtype=np.int64)
        for r, items in enumerate(relevant_ids):
            cols = {column[i] for i in items if i in column}
            relevant[r, list(cols)] = True
            n_relevant[r] = len(set(items))  # unknown items still count: they can never be hit
        hits = np.take_along_axis(relevant, top, axis=1)  # (B, depth)
        for k in k_values:
            h = hits[:, :k]
            _add(totals, f"precision_at_{k}", h.sum(axis=1) / k)
            ideal = np.cumsum(discount[:k])[np.minimum(n_relevant, k) - 1]
            dcg = (h * discount[:k]).sum(axis=1)
            _add(totals, f"normalized_discounted_cumulative_gain_at_{k}", dcg / ideal)
        first = np.where(hits[:, :MRR_K].any(axis=1), hits[:, :MRR_K].argmax(axis=1) + 1, np.inf)
        _add(totals, f"mean_reciprocal_rank_at_{MRR_K}", 1.0 / first)

    n_queries = max(split.queries, 1)
    seen = pd.concat([split.train["ITEM_ID"], split.inputs["ITEM_ID"], split.held_out["ITEM_ID"]])
    catalogue = set(seen.astype(str)) | set(item_ids)
    metrics = {"coverage": len(recommended) / max(len(catalogue), 1)}
    metrics.update({name: total / n_queries for name, total in totals.items()})
    ordered = ["coverage", f"mean_reciprocal_rank_at_{MRR_K}"]
    ordered += [f"normalized_discounted_cumulative_gain_at_{k}" for k in k_values]
    ordered += [f"precision_at_{k}" for k in k_values]
    return {name: float(metrics.get(name, 0.0)) for name in ordered}


def _add(totals: dict[str, float], name: str, values: np.ndarray) -> None:
    totals[name] = totals.get(name, 0.0) + float(np.sum(values))


def popularity_baseline(split: Split, k_values: Sequence[int] = (5, 10, 25),
                        item_ids: Sequence[str] | np.ndarray | None = None) -> dict[str, float]:
    """The same metrics for "recommend the most popular training items to everyone"."""
    return evaluate(PopularityScorer(split.train, item_ids), split, k_values)
