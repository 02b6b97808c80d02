"""Produce the health check's per-user lists: local blocks, live calls, and the two baselines.

Local user-personalization campaigns are scored a block of users at a time with ONE matrix
product per block (user vectors @ item_factors.T), a stable softmax normaliser per row and a
top-k that never sorts a row: `LocalRuntimeClient.batch_recommendations` calls `block_top_k`.
Everything else (a live campaign, ranking and related-items recipes) goes through the boto3
calls on a bounded thread pool kept under Personalize's 500 TPS per campaign, with botocore's
adaptive retries; per-user failures are collected, never raised. A `threading.Event` cancels
between blocks or calls, and a progress callback reports (done, total).
"""

from __future__ import annotations

import os
import random
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from scoring import dataset, errors, recipes
from scoring.clients import BatchRecommender, RuntimeClient
from scoring.health_metrics import Catalogue, RecLists
from scoring.local_group import LocalGroup
from scoring.model import SoftmaxModel
from scoring.per_model import per_model
from scoring.softmax import top_k_scores

BLOCK = 256            # users per matrix product: a (256 x items) float32 block stays in cache
DEFAULT_WORKERS = 8
MAX_TPS = 500.0        # GetRecommendations per second per campaign (Personalize's limit)
RANKING_CANDIDATES = 100

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class UserError:
    user_id: str
    code: str
    message: str


@dataclass
class RunResult:
    lists: RecLists = field(default_factory=RecLists)
    errors: list[UserError] = field(default_factory=list)
    cancelled: bool = False
    seconds: float = 0.0

    def extend(self, other: RunResult) -> None:
        self.lists.extend(other.lists)
        self.errors += other.errors
        self.cancelled = self.cancelled or other.cancelled
        self.seconds += other.seconds


# -- the block matrix path ----------------------------------------------------------------------
_workspace = threading.local()


def _logits_buffer(users: int, items: int) -> np.ndarray:
    """A (users x items) float32 buffer reused by this thread's blocks.

    A fresh multi-megabyte array per block is a fresh mmap, and its page faults cost more than
    the matrix product itself; one buffer per thread keeps the block path memory-bound.
    """
    buf = getattr(_workspace, "logits", None)
    if buf is None or buf.shape[0] < users or buf.shape[1] != items:
        buf = np.empty((max(users, BLOCK), items), np.float32)
        _workspace.logits = buf
    return buf[:users]


GROUP = 16  # items per group of the two-stage top-k


def _top_rows(logits: np.ndarray, want: int) -> tuple[np.ndarray, np.ndarray]:
    """Each row's `want` largest logits and their item rows, by logit descending then row.

    Items are dealt into groups of GROUP (item j in group j % G); the `want`-th largest group
    maximum is a cut no larger than the `want`-th largest logit (the top `want` groups' maxima are
    `want` items at or above it), so the items at or above the cut, about `want` per user, hold the
    answer. They are found with one comparison pass and sorted as one flat array: no row of the
    catalogue is ever sorted, and no per-row numpy call is made.
    """
    users, n = logits.shape
    groups = n // GROUP
    main = groups * GROUP
    if groups + (main < n) >= want:
        step = logits.itemsize  # a view of the first `main` items of each row, no copy
        dealt = np.lib.stride_tricks.as_strided(logits, shape=(users, GROUP, groups),
                                                strides=(logits.strides[0], groups * step, step), writeable=False)
        best = dealt.max(axis=1)
        if main < n:
            best = np.concatenate([best, logits[:, main:].max(axis=1, keepdims=True)], axis=1)
        cut = np.sort(best, axis=1)[:, best.shape[1] - want]
        flat = np.flatnonzero(logits >= cut[:, None])
    else:  # a tiny catalogue: every item is a candidate
        flat = np.arange(users * n)
    user, item = np.divmod(flat, n)
    values = logits.reshape(-1)[flat]
    # One stable sort of a 64-bit key (user, then logit descending); `flat` is in (user, item)
    # order already, so equal logits keep the lower item row first.
    order = np.argsort((user.astype(np.uint64) << np.uint64(32)) | _descending_bits(values), kind="stable")
    first = np.searchsorted(user[order], np.arange(users))
    pick = order[first[:, None] + np.arange(want)]
    return item[pick], values[pick]


def _descending_bits(values: np.ndarray) -> np.ndarray:
    """uint64 keys whose ascending order is the float32 values' descending order (no NaN)."""
    bits = (np.asarray(values, dtype=np.float32) + np.float32(0)).view(np.uint32)  # -0.0 -> +0.0
    ascending = bits ^ np.where(bits >> 31, np.uint32(0xFFFFFFFF), np.uint32(0x80000000))
    return (~ascending).astype(np.uint64)


def block_top_k(model: SoftmaxModel, vectors: np.ndarray, k: int, seen: np.ndarray | None = None,
                events: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Top-k item rows (score descending, then row), their catalogue softmax scores, and the rows
    whose order is too close to call, per user.

    One product gives the (users x items) logits, plus each user's repeat term on the item rows
    they have (`seen`, `events`, as SoftmaxModel.add_repeats), then a two-stage top-k
    (`_top_rows`). A matrix product sums in another order than the matrix-vector product of a
    single call, so a logit may differ in its last bits: where two of the top k+1 are closer than
    that rounding bound, the row is marked `uncertain` and the caller recomputes it exactly.
    """
    n = model.n_items
    k = max(0, min(int(k), n))
    users = vectors.shape[0]
    if k == 0 or users == 0:
        return np.empty((users, 0), np.int64), np.empty((users, 0)), np.zeros(users, bool)
    logits = np.matmul(vectors, model.item_factors.T, out=_logits_buffer(users, n))   # the one product
    if seen is not None:
        model.add_repeats(logits, seen, events=events)
    want = min(k + 1, n)  # one more than asked, to see a near tie at the boundary
    rows, top = _top_rows(logits, want)  # score descending, the lower item row first on ties
    # Each float32 dot product is within D·u·|v|·|w| of the exact one (u = eps/2, any summation
    # order), so two computations of a pair's gap differ by at most D·u·|v|·(|w_a| + |w_b|).
    norms = _item_norms(model)[rows]
    eps = np.finfo(np.float32).eps
    bound = 0.5 * model.dim * eps * np.linalg.norm(vectors, axis=1)[:, None] \
        * (norms[:, 1:] + norms[:, :-1])
    if seen is not None:  # adding a repeat weight rounds once more: half an ulp of each sum
        bound = bound + 0.5 * eps * (np.abs(top[:, 1:]) + np.abs(top[:, :-1])).astype(np.float64)
    gaps = -np.diff(top.astype(np.float64), axis=1)
    uncertain = (gaps <= bound).any(axis=1)
    # Stable softmax normaliser per row, as scoring.softmax.logsumexp computes it for one user,
    # in place in the block's buffer.
    peak = logits.max(axis=1, keepdims=True)
    np.subtract(logits, peak, out=logits)
    np.exp(logits, out=logits)
    log_norm = peak[:, 0].astype(np.float64) + np.log(np.sum(logits, axis=1, dtype=np.float64))
    scores = np.exp(top[:, :k].astype(np.float64) - log_norm[:, None])
    return rows[:, :k].astype(np.int64, copy=False), scores, uncertain


@per_model
def _item_norms(model: SoftmaxModel) -> np.ndarray:
    return np.linalg.norm(model.item_factors.astype(np.float64), axis=1)


def block_scores(group: LocalGroup, user_ids: Sequence[str], k: int,
                 context: Mapping[str, str] | None) -> tuple[np.ndarray, np.ndarray]:
    """Top-k rows and scores of many users, equal to one GetRecommendations call each.

    The user vectors are the single calls' own (LocalGroup.user_vectors); rows too close to
    call in the block product are recomputed with the single call's matrix-vector product.
    """
    model = group.model
    vectors, seen, events = group.user_vectors(user_ids, context)
    rows, scores, uncertain = block_top_k(model, vectors, k, seen, events)
    for i in np.flatnonzero(uncertain):
        logits = model.logits(vectors[i])
        model.add_repeats(logits, seen[i:i + 1], events=events[i:i + 1])
        one_rows, one_scores = top_k_scores(logits, k)
        rows[i], scores[i] = one_rows, one_scores
    return rows, scores


@per_model
def item_id_list(model: SoftmaxModel) -> list[str]:
    return [str(i) for i in model.item_ids]


@per_model
def item_id_array(model: SoftmaxModel) -> np.ndarray:
    """Item IDs as Python strings in an object array: `ids[rows].tolist()` makes a block's lists in C."""
    return np.array(item_id_list(model), dtype=object)


def block_lists(runtime: BatchRecommender, campaign_arn: str, user_ids: Sequence[str], k: int,
                context: Mapping[str, str] | None = None, *, block: int = BLOCK,
                progress: Progress | None = None, cancel: threading.Event | None = None,
                workers: int | None = None) -> RunResult:
    """Lists from the local client's `batch_recommendations`, block by block.

    Blocks run on one thread per core, at most `workers` in flight: numpy releases the GIL in
    the product, the exp and the sorts, so two blocks overlap. Results are taken in order; a
    cancel stops at the last block reported to `progress` (blocks still in flight are dropped).
    """
    out = RunResult()
    start = time.perf_counter()
    total = len(user_ids)
    workers = max(1, workers if workers is not None else min(2, os.cpu_count() or 1))

    def one(begin: int) -> list[dict[str, Any]]:
        params: dict[str, Any] = {"campaignArn": campaign_arn, "numResults": k,
                                  "userIds": list(user_ids[begin:begin + block])}
        if context:
            params["context"] = dict(context)
        return list(runtime.batch_recommendations(**params)["results"])

    def cancelled() -> bool:
        return cancel is not None and cancel.is_set()

    starts = iter(range(0, total, block))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="health-block") as pool:
        pending: deque[tuple[int, Future[list[dict[str, Any]]]]] = deque()
        while not cancelled():
            while len(pending) < workers and (begin := next(starts, None)) is not None:
                pending.append((begin, pool.submit(one, begin)))
            if not pending:
                break
            begin, future = pending.popleft()
            _add_records(out, future.result())
            if progress is not None:
                progress(min(begin + block, total), total)
        out.cancelled = cancelled() and (bool(pending) or next(starts, None) is not None)
        for _, future in pending:
            future.cancel()
    out.seconds = time.perf_counter() - start
    return out


def _add_records(out: RunResult, records: Sequence[Mapping[str, Any]]) -> None:
    """Batch-output records into the run, in bulk where every record of the block is a success."""
    if any(r.get("error") or not r.get("output") for r in records):
        for record in records:
            _add_record(out, record)
        return
    lists = out.lists
    lists.user_ids += [str(r["input"].get("userId") or r["input"].get("itemId") or "") for r in records]
    outputs = [r["output"] for r in records]
    lists.items += [o.get("recommendedItems") or [] for o in outputs]
    lists.scores += [o["scores"] if o.get("scores") is not None else [None] * len(o.get("recommendedItems") or [])
                     for o in outputs]


def _add_record(out: RunResult, record: Mapping[str, Any]) -> None:
    user = str(record["input"].get("userId") or record["input"].get("itemId") or "")
    if record.get("error"):
        out.errors.append(UserError(user, errors.INVALID_INPUT, str(record["error"])))
        return
    output = record.get("output") or {}
    items = output.get("recommendedItems") or []
    scores = output.get("scores")
    out.lists.user_ids.append(user)
    out.lists.items.append(items)
    out.lists.scores.append(scores if scores is not None else [None] * len(items))


def supports_blocks(runtime: RuntimeClient, recipe: recipes.Recipe) -> bool:
    """True where the client can score users in blocks (the local client, a campaign of a user or
    popularity recipe; recommenders take the call path)."""
    return isinstance(runtime, BatchRecommender) and not recipe.is_use_case \
        and recipe.ordering in (recipes.BY_USER, recipes.BY_POPULARITY)


# -- the call path (live campaigns, and recipes without a block path) ---------------------------
class RateLimiter:
    """At most `rate` acquisitions per second across threads (evenly spaced, no bursts)."""

    def __init__(self, rate: float, *, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.interval = 1.0 / rate if rate > 0 else 0.0
        self._clock, self._sleep = clock, sleep
        self._next = clock()
        self._lock = threading.Lock()

    def acquire(self) -> None:
        if not self.interval:
            return
        with self._lock:
            now = self._clock()
            slot = max(now, self._next)
            self._next = slot + self.interval
        if slot > now:
            self._sleep(slot - now)


def request_for(recipe: recipes.Recipe, campaign_arn: str, user_id: str, k: int, context: Mapping[str, str] | None,
                candidates: Sequence[str] | None,
                filters: Mapping[str, Any] | None = None) -> tuple[str, dict[str, Any]]:
    """The boto3 call that gives one user's list for the recipe (or the recommender's use case).

    Related items: the "user" is a seed item ID (GetRecommendations with itemId). Ranking: the
    campaign ranks the same candidate items for every user and the top K of its ranking count.
    `filters`: filterArn (+ filterValues) sent with every call, as a batch job's filter would be.
    """
    params: dict[str, Any] = {recipe.arn_param: campaign_arn}
    if recipe.ranks_input_list:
        params |= {"userId": user_id, "inputList": list(candidates or [])}
    elif recipe.seeded_by_item:
        params |= {"itemId": user_id, "numResults": k}
    else:
        params |= {"userId": user_id, "numResults": k}
    if context and not recipe.seeded_by_item:
        params["context"] = dict(context)
    params |= dict(filters or {})
    return recipe.operation, params


def _one(runtime: RuntimeClient, recipe: recipes.Recipe, arn: str, user: str, k: int, context: Mapping[str, str] | None,
         candidates: Sequence[str] | None, limiter: RateLimiter | None,
         filters: Mapping[str, Any] | None = None) -> tuple[list[str], list[float | None]]:
    method, params = request_for(recipe, arn, user, k, context, candidates, filters)
    if limiter is not None:
        limiter.acquire()
    response = getattr(runtime, method)(**params)
    items = response.get("personalizedRanking" if method == "get_personalized_ranking" else "itemList", [])[:k]
    return [str(i["itemId"]) for i in items], [i.get("score") for i in items]


def call_lists(runtime: RuntimeClient, recipe: recipes.Recipe, campaign_arn: str, user_ids: Sequence[str], k: int,
               context: Mapping[str, str] | None = None, *, candidates: Sequence[str] | None = None,
               workers: int = DEFAULT_WORKERS, max_tps: float = MAX_TPS, progress: Progress | None = None,
               cancel: threading.Event | None = None, filters: Mapping[str, Any] | None = None) -> RunResult:
    """One call per user on a bounded pool (workers=1: sequential); results keep the users' order."""
    out = RunResult()
    start = time.perf_counter()
    total = len(user_ids)
    limiter = RateLimiter(max_tps) if max_tps else None
    answers: dict[int, tuple[list[str], list[float | None]] | UserError] = {}

    def run(i: int) -> None:
        user = user_ids[i]
        try:
            answers[i] = _one(runtime, recipe, campaign_arn, user, k, context, candidates, limiter, filters)
        except Exception as exc:  # collected per user: one bad ID must not stop the run
            problem = errors.explain(exc)
            answers[i] = UserError(user, problem.code, problem.message)

    done = 0
    if workers <= 1:
        for i in range(total):
            if cancel is not None and cancel.is_set():
                out.cancelled = True
                break
            run(i)
            done += 1
            if progress is not None:
                progress(done, total)
    else:
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="health") as pool:
            pending: set[Future[None]] = set()
            next_index = 0
            try:
                while next_index < total or pending:
                    while next_index < total and len(pending) < 2 * workers:
                        if cancel is not None and cancel.is_set():
                            out.cancelled = True
                            break
                        pending.add(pool.submit(run, next_index))
                        next_index += 1
                    if out.cancelled and not pending:
                        break
                    finished, pending = wait(pending, return_when=FIRST_COMPLETED)
                    done += len(finished)
                    if progress is not None:
                        progress(done, total)
                    if out.cancelled:
                        next_index = total
            finally:
                for f in pending:
                    f.cancel()
    for i in sorted(answers):
        answer = answers[i]
        if isinstance(answer, UserError):
            out.errors.append(answer)
        else:
            out.lists.append(user_ids[i], answer[0], answer[1])
    out.seconds = time.perf_counter() - start
    return out


# -- baselines ------------------------------------------------------------------------------
def popularity_lists(user_ids: Sequence[str], catalogue: Catalogue, k: int) -> RecLists:
    """Everyone gets the K most interacted items (ties: catalogue order), without scores."""
    if catalogue.popularity is None:
        raise ValueError("The popularity baseline needs the items' interaction counts.")
    pop = np.asarray(catalogue.popularity, dtype=np.float64)
    order = np.lexsort((np.arange(pop.shape[0]), -pop))[:k]
    top = [str(catalogue.item_ids[i]) for i in order]
    out = RecLists()
    for user in user_ids:
        out.append(user, list(top), None)
    return out


def random_lists(user_ids: Sequence[str], catalogue: Catalogue, k: int, seed: int = 0) -> RecLists:
    """K distinct catalogue items drawn uniformly per user (seeded: the same run gives the same lists)."""
    rng = random.Random(seed)
    ids = [str(i) for i in catalogue.item_ids]
    out = RecLists()
    for user in user_ids:
        out.append(user, rng.sample(ids, min(k, len(ids))), None)
    return out


# -- what the local source knows ----------------------------------------------------------------
def catalogue_of(group: LocalGroup, metadata_column: str | None = None) -> Catalogue:
    """The local model's items, their training interaction counts and one items.csv column."""
    model = group.model
    meta = None
    if metadata_column and group.items is not None and metadata_column in group.items.columns:
        column = group.items[metadata_column].astype(str)
        meta = dict(zip(group.items["ITEM_ID"].astype(str), column, strict=True))
    return Catalogue([str(i) for i in model.item_ids], np.asarray(model.item_popularity, dtype=np.float64),
                     meta, metadata_column if meta is not None else None)


def known_interactions(data_dir: Path) -> dict[str, set[str]]:
    """Each user's interacted items, from the group's interactions.csv."""
    frame = dataset.load_interactions(Path(data_dir))[["USER_ID", "ITEM_ID"]]
    return interactions_by_user(frame)


def interactions_by_user(frame: pd.DataFrame) -> dict[str, set[str]]:
    # Python lists first: iterating pandas' Arrow-backed strings one by one took 5x as long.
    users = frame["USER_ID"].astype(str).tolist()
    items = frame["ITEM_ID"].astype(str).tolist()
    out: dict[str, set[str]] = {}
    for user, item in zip(users, items, strict=True):
        out.setdefault(user, set()).add(item)
    return out


def catalogue_from_files(interactions: pd.DataFrame | None, items: pd.DataFrame | None,
                         metadata_column: str | None = None) -> Catalogue | None:
    """A live campaign's catalogue from uploaded Personalize files (interactions and/or items CSV)."""
    ids: list[str] = []
    if items is not None and "ITEM_ID" in items.columns:
        ids = list(dict.fromkeys(items["ITEM_ID"].astype(str)))
    counts: pd.Series | None = None
    if interactions is not None and "ITEM_ID" in interactions.columns:
        counts = interactions["ITEM_ID"].astype(str).value_counts()
        ids = list(dict.fromkeys(ids + sorted(counts.index)))
    if not ids:
        return None
    pop = None if counts is None else counts.reindex(ids, fill_value=0).to_numpy(dtype=np.float64)
    meta = None
    if items is not None and metadata_column and metadata_column in items.columns:
        meta = dict(zip(items["ITEM_ID"].astype(str), items[metadata_column].astype(str), strict=True))
    return Catalogue(ids, pop, meta, metadata_column if meta is not None else None)


def sample_users(user_ids: Sequence[str], n: int, seed: int, *, new_users: int = 0) -> list[str]:
    """n distinct users drawn with a seed, plus `new_users` IDs the model never saw (cold start)."""
    rng = random.Random(seed)
    pool = [str(u) for u in user_ids]
    chosen = rng.sample(pool, min(n, len(pool)))
    return chosen + [f"new-user-{i + 1}" for i in range(new_users)]


def ranking_candidates(catalogue: Catalogue | None, n: int = RANKING_CANDIDATES) -> list[str]:
    """The items a ranking campaign is asked to rank for everyone: the n most popular."""
    if catalogue is None or catalogue.popularity is None:
        return []
    return popularity_lists(["_"], catalogue, n).items[0]


def measures(recipe: recipes.Recipe) -> str:
    """What the health check measures for a recipe or use case (shown on the page)."""
    if recipe.ranks_input_list:
        return (f"Personalized ranking: every user's ranking of the same {RANKING_CANDIDATES} most popular "
                "items (or the items you list); the metrics describe the top K of those rankings, so coverage "
                "is bounded by the candidate list and scores are softmax over the list, not the catalogue.")
    if recipe.seeded_by_item:
        return ("Related items: the \"users\" are seed item IDs and each list is the items related to one "
                "seed. Personalisation then says how different the lists of different seeds are; there "
                "are no scores and no interactions to check.")
    if recipe.ordering in (recipes.BY_POPULARITY, recipes.BY_TRENDING):
        return ("Popular items: every user gets the same list by design, so personalisation is 0 and all "
                "users share one list; coverage and popularity show how narrow it is. No scores.")
    if not recipe.scored:
        return (f"{recipe.label}: each user's top K of GetRecommendations; a domain recommender returns "
                "no scores, so the score flags do not apply.")
    return ("User personalization: each user's top K of GetRecommendations, scored by a softmax over "
            "the whole catalogue.")

