"""Campaign health metrics over many users' top-K lists: coverage, popularity bias, diversity, flags.

Every metric is computed by one accumulator that is fed lists block by block
(`HealthAccumulator.add`), so a run over sampled users and a batch-inference output file read
line by line give the same numbers, and memory grows with the catalogue, not with the number of
lists: per list only its top-1 score and a 64-bit hash (for the identical-lists flag) are kept.
Personalisation is exact even when streamed, thanks to the identity

    Σ_{u<v} |L_u ∩ L_v| / √(n_u n_v) = (Σ_i w_i² − U) / 2,   w_i = Σ_{u ∋ i} 1/√n_u,

so one per-item sum replaces the O(U²) pairs. Definitions (shown on the page) live in METRICS.
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

#: The head of the popularity curve: the most popular items that together hold this share of all
#: interactions (the Pareto 80/20 split used for "short head" vs "long tail" by Abdollahpouri et al.).
HEAD_SHARE = 0.8
#: How many example users a flag keeps.
EXAMPLES = 10
#: Fixed log-spaced score bins (10 per decade from 1e-12 to 1), so streamed histograms add up.
SCORE_EDGES = np.logspace(-12, 0, 121)
_PAIR_BUDGET = 4_000_000  # uint64 words per ILD sub-block (bounds memory for wide metadata)


@dataclass(frozen=True)
class MetricInfo:
    key: str
    label: str
    definition: str
    unit_range: bool  # True when the value lies in [0, 1] (drawn on the comparison chart)


METRICS: tuple[MetricInfo, ...] = (
    MetricInfo("coverage", "Catalogue coverage@K",
               "Share of the catalogue's items that appear in at least one user's top-K list.", True),
    MetricInfo("gini", "Gini index of exposure",
               "Inequality of how often each catalogue item is shown (items never recommended count "
               "as 0): 0 = every item shown equally often, 1 = all exposure on one item.", True),
    MetricInfo("avg_popularity", "Average recommendation popularity",
               "Mean number of interactions of the recommended items (per list, then over users).", False),
    MetricInfo("long_tail_share", "Long-tail share",
               "Share of each list's items outside the head, then averaged over users. The head is the "
               "most popular items that together hold 80% of all interactions (Pareto split).", True),
    MetricInfo("novelty", "Novelty (bits)",
               "Mean self-information −log2 p(i) of the recommended items, p(i) = (interactions of i + 1) "
               "/ (all interactions + catalogue size): higher = less popular items.", False),
    MetricInfo("personalisation", "Personalisation",
               "1 − mean pairwise overlap of the users' lists, overlap = |A ∩ B| / √(|A|·|B|) "
               "(= shared items / K for full lists): 0 = everyone gets the same list.", True),
    MetricInfo("intra_list_diversity", "Intra-list diversity",
               "Mean over the pairs of items within a list of 1 − Jaccard of their metadata values "
               "(multi-valued fields split on |), then averaged over users.", True),
    MetricInfo("score_entropy", "Score entropy of the top-K",
               "Entropy of the list's scores normalised to sum to 1, divided by log2 of the list length: "
               "1 = flat scores, 0 = one item holds all the mass.", True),
    MetricInfo("top1_mean", "Mean top-1 score", "Mean of the first item's score over users.", False),
    MetricInfo("top1_median", "Median top-1 score", "Median of the first item's score over users.", False),
)
METRIC_INFO: dict[str, MetricInfo] = {m.key: m for m in METRICS}

FLAG_DEFINITIONS: dict[str, str] = {
    "identical": "Users whose top-K lists are exactly the same (same items, same order).",
    "interacted": "Recommended items the user has already interacted with (where interactions are known).",
    "no_score": "Recommended items that came back without a score.",
    "zero_score": "Recommended items whose score is exactly 0.",
    "outside": "Recommended items that are not in the catalogue (left out of coverage and Gini).",
    "empty": "Users whose list is empty.",
}


@dataclass
class RecLists:
    """Per-user recommendation lists as the metrics take them (a score is None where absent)."""

    user_ids: list[str] = field(default_factory=list)
    items: list[list[str]] = field(default_factory=list)
    scores: list[list[float | None]] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.user_ids)

    def append(self, user_id: str, items: Sequence[str], scores: Sequence[float | None] | None) -> None:
        self.user_ids.append(user_id)
        self.items.append(list(items))
        self.scores.append(list(scores) if scores is not None else [None] * len(items))

    def extend(self, other: RecLists) -> None:
        self.user_ids += other.user_ids
        self.items += other.items
        self.scores += other.scores


@dataclass(frozen=True)
class Catalogue:
    """The items a campaign can recommend, their interaction counts and one metadata column.

    `popularity` None: counts unknown (popularity metrics are then not computed).
    `metadata` maps item ID -> raw value ("Action|Comedy"); items missing from it have none.
    """

    item_ids: Sequence[str]
    popularity: np.ndarray | None = None
    metadata: Mapping[str, str] | None = None
    metadata_column: str | None = None


@dataclass(frozen=True)
class Flag:
    key: str
    users: int
    slots: int
    examples: list[str]

    @property
    def definition(self) -> str:
        return FLAG_DEFINITIONS[self.key]


@dataclass(frozen=True)
class IdenticalGroup:
    size: int
    items: tuple[str, ...]
    examples: list[str]


@dataclass(frozen=True)
class HealthReport:
    k: int
    n_lists: int
    n_catalogue: int | None
    metrics: dict[str, float]
    exposure: np.ndarray            # per catalogue item: number of lists showing it
    top1: np.ndarray                # the first item's score of every scored list
    score_counts: np.ndarray        # histogram of every top-K score over SCORE_EDGES
    zero_scores: int
    groups: list[IdenticalGroup]
    flags: dict[str, Flag]
    metadata_column: str | None = None

    def value(self, key: str) -> float:
        return self.metrics.get(key, float("nan"))


def metric_table(reports: Mapping[str, HealthReport]) -> pd.DataFrame:
    """One row per metric, one column per source (campaign or baseline), plus its definition."""
    rows = []
    for info in METRICS:
        row: dict[str, object] = {"Metric": info.label}
        for name, report in reports.items():
            row[name] = report.value(info.key)
        row["Definition"] = info.definition
        rows.append(row)
    return pd.DataFrame(rows)


def _split(value: str) -> frozenset[str]:
    return frozenset(v.strip() for v in str(value).split("|") if v.strip())


def head_items(popularity: np.ndarray, share: float = HEAD_SHARE) -> np.ndarray:
    """Boolean mask of the head: most popular first (ties: catalogue order) until `share` of all."""
    pop = np.asarray(popularity, dtype=np.float64)
    mask = np.zeros(pop.shape[0], dtype=bool)
    total = float(pop.sum())
    if total <= 0:
        return mask
    order = np.lexsort((np.arange(pop.shape[0]), -pop))
    cumulative = np.cumsum(pop[order])
    n_head = int(np.searchsorted(cumulative, share * total, side="left")) + 1
    mask[order[:min(n_head, pop.shape[0])]] = True
    return mask


def gini(values: np.ndarray) -> float:
    """Gini index of non-negative values: Σ (2i − n − 1) x_(i) / (n Σ x), x sorted ascending."""
    x = np.sort(np.asarray(values, dtype=np.float64))
    n = x.shape[0]
    total = float(x.sum())
    if n == 0 or total <= 0:
        return float("nan")
    ranks = np.arange(1, n + 1, dtype=np.float64)
    return float(np.sum((2 * ranks - n - 1) * x) / (n * total))


class HealthAccumulator:
    """Feed lists in blocks with `add`; `report()` at any time gives every metric so far."""

    def __init__(self, catalogue: Catalogue | None, k: int, *,
                 known: Mapping[str, Collection[str]] | None = None, head_share: float = HEAD_SHARE) -> None:
        self.k = int(k)
        self.known = known
        self.catalogue = catalogue
        ids = [str(i) for i in catalogue.item_ids] if catalogue is not None else []
        self._ids: list[str] = ids
        self._row: dict[str, int] = {item: r for r, item in enumerate(ids)}
        self.n_catalogue = len(ids)
        pop = catalogue.popularity if catalogue is not None else None
        self._pop = None if pop is None else np.asarray(pop, dtype=np.float64)
        if self._pop is not None:
            total = float(self._pop.sum())
            self._head = head_items(self._pop, head_share)
            self._info = -np.log2((self._pop + 1.0) / (total + self.n_catalogue))
            self._info_extra = math.log2(max(total + self.n_catalogue, 1.0))  # −log2 of 1 / (total + N)
        self._exposure = np.zeros(len(ids), dtype=np.int64)
        self._weight = np.zeros(len(ids), dtype=np.float64)  # w_i of the personalisation identity
        self._meta = catalogue.metadata if catalogue is not None and catalogue.metadata is not None else None
        self.metadata_column = catalogue.metadata_column if catalogue is not None else None
        if self._meta is not None:
            vocab = sorted({v for raw in self._meta.values() for v in _split(raw)})
            self._vocab = {v: i for i, v in enumerate(vocab)}
            self._words = max(1, (len(vocab) + 63) // 64)
            self._bits = np.stack([self._bits_of(i) for i in ids]) if ids else np.zeros((0, self._words), np.uint64)
        self.n_lists = 0
        self.n_nonempty = 0
        self._sums: dict[str, float] = {"avg_popularity": 0.0, "long_tail_share": 0.0, "novelty": 0.0,
                                        "intra_list_diversity": 0.0, "score_entropy": 0.0}
        self._counts: dict[str, int] = {"intra_list_diversity": 0, "score_entropy": 0}
        self._top1 = array("d")
        self._score_counts = np.zeros(SCORE_EDGES.shape[0] - 1, dtype=np.int64)
        self._zero = 0
        self._first: dict[int, str] = {}  # list hash -> its first user (about 150 bytes a list)
        self._groups: dict[int, list] = {}  # hash -> [size, items, example users] of repeated lists
        self._flag_users = {k: 0 for k in FLAG_DEFINITIONS}
        self._flag_slots = {k: 0 for k in FLAG_DEFINITIONS}
        self._flag_examples: dict[str, list[str]] = {k: [] for k in FLAG_DEFINITIONS}

    # -- encoding --------------------------------------------------------------------------
    def _bits_of(self, item_id: str) -> np.ndarray:
        bits = np.zeros(self._words, dtype=np.uint64)
        raw = self._meta.get(item_id) if self._meta is not None else None
        for value in _split(raw) if raw is not None else ():
            j = self._vocab.get(value)
            if j is not None:
                bits[j // 64] |= np.uint64(1) << np.uint64(j % 64)
        return bits

    def _rows_of(self, items: Sequence[str]) -> list[int]:
        out = []
        for item in items:
            r = self._row.get(item)
            if r is None:  # an item outside the catalogue: tracked, but not a catalogue item
                r = len(self._ids)
                self._ids.append(item)
                self._row[item] = r
                self._exposure = np.append(self._exposure, 0)
                self._weight = np.append(self._weight, 0.0)
                if self._meta is not None:
                    self._bits = np.vstack([self._bits, self._bits_of(item)[None, :]])
            out.append(r)
        return out

    def _flag(self, key: str, slots: int, example: str) -> None:
        if slots <= 0:
            return
        self._flag_users[key] += 1
        self._flag_slots[key] += slots
        if len(self._flag_examples[key]) < EXAMPLES:
            self._flag_examples[key].append(example)

    # -- feeding ---------------------------------------------------------------------------
    def add(self, user_ids: Sequence[str], items: Sequence[Sequence[str]],
            scores: Sequence[Sequence[float | None]] | None = None) -> None:
        """Add one block of lists; each is cut to its first K distinct items."""
        b = len(user_ids)
        if b == 0:
            return
        k = self.k
        rows = np.full((b, k), -1, dtype=np.int64)
        vals = np.full((b, k), np.nan, dtype=np.float64)
        has_score = np.zeros((b, k), dtype=bool)
        for u in range(b):
            raw_items = [str(i) for i in items[u]]
            raw_scores = list(scores[u]) if scores is not None else [None] * len(raw_items)
            kept: dict[str, float | None] = {}
            for item, score in zip(raw_items, raw_scores, strict=False):
                if item not in kept:
                    kept[item] = score
                if len(kept) == k:
                    break
            ids = list(kept)
            rows[u, :len(ids)] = self._rows_of(ids)
            for j, s in enumerate(kept.values()):
                if s is not None and not (isinstance(s, float) and math.isnan(s)):
                    vals[u, j] = float(s)
                    has_score[u, j] = True
            self._list_flags(str(user_ids[u]), ids, has_score[u, :len(ids)], vals[u, :len(ids)], rows[u])
        self._add_rows(rows, vals, has_score)

    def _list_flags(self, user: str, ids: list[str], scored: np.ndarray, values: np.ndarray,
                    rows: np.ndarray) -> None:
        if not ids:
            self._flag("empty", 1, user)
            return
        key = hash(tuple(ids))
        first = self._first.get(key)
        if first is None:
            self._first[key] = user
        else:  # a second (third...) user with this very list
            group = self._groups.setdefault(key, [1, tuple(ids), [first]])
            group[0] += 1
            if len(group[2]) < EXAMPLES:
                group[2].append(user)
        self._flag("no_score", int((~scored).sum()), user)
        self._flag("zero_score", int((scored & (values == 0)).sum()), user)
        if self.catalogue is not None:
            self._flag("outside", int(np.sum(rows[:len(ids)] >= self.n_catalogue)), user)
        if self.known is not None:
            seen = self.known.get(user)
            if seen:
                hits = [i for i in ids if i in seen]
                self._flag("interacted", len(hits), f"{user}: {', '.join(hits[:3])}" if hits else user)

    def _add_rows(self, rows: np.ndarray, vals: np.ndarray, has_score: np.ndarray) -> None:
        valid = rows >= 0
        n = valid.sum(axis=1)
        nonempty = n > 0
        self.n_lists += rows.shape[0]
        self.n_nonempty += int(nonempty.sum())
        flat = rows[valid]
        size = len(self._ids)
        self._exposure += np.bincount(flat, minlength=size)[:size]
        inv_sqrt = np.where(nonempty, 1.0 / np.sqrt(np.maximum(n, 1)), 0.0)
        weights = np.broadcast_to(inv_sqrt[:, None], rows.shape)[valid]
        self._weight += np.bincount(flat, weights=weights, minlength=size)[:size]
        safe = np.where(valid, rows, 0)
        in_cat = valid & (rows < self.n_catalogue)
        denom = np.maximum(n, 1).astype(np.float64)
        if self._pop is not None:
            pop = self._lookup(self._pop, safe, in_cat, 0.0)
            head = self._lookup(self._head, safe, in_cat, False).astype(bool)
            info = self._lookup(self._info, safe, in_cat, self._info_extra)
            self._sums["avg_popularity"] += float(np.sum((np.where(valid, pop, 0.0).sum(1) / denom)[nonempty]))
            tail = valid & ~head
            self._sums["long_tail_share"] += float(np.sum((tail.sum(1) / denom)[nonempty]))
            self._sums["novelty"] += float(np.sum((np.where(valid, info, 0.0).sum(1) / denom)[nonempty]))
        if self._meta is not None and valid.any():
            self._add_diversity(safe, valid)
        self._add_scores(vals, has_score, valid, n)

    def _lookup(self, table: np.ndarray, safe: np.ndarray, in_cat: np.ndarray, extra: object) -> np.ndarray:
        """table[row] for catalogue rows, `extra` for padding and items outside the catalogue."""
        if self.n_catalogue == 0:
            return np.full(safe.shape, extra)
        return np.where(in_cat, table[np.minimum(safe, self.n_catalogue - 1)], extra)

    def _add_diversity(self, safe: np.ndarray, valid: np.ndarray) -> None:
        b, k = safe.shape
        step = max(1, _PAIR_BUDGET // max(1, k * k * self._words))
        upper = np.triu(np.ones((k, k), dtype=bool), 1)
        for start in range(0, b, step):
            bits = self._bits[safe[start:start + step]]  # (s, k, w)
            sizes = np.bitwise_count(bits).sum(-1).astype(np.int64)  # (s, k)
            inter = np.bitwise_count(bits[:, :, None, :] & bits[:, None, :, :]).sum(-1).astype(np.int64)
            has = valid[start:start + step] & (sizes > 0)
            pair = has[:, :, None] & has[:, None, :] & upper[None]
            union = sizes[:, :, None] + sizes[:, None, :] - inter
            dissimilar = np.where(pair, 1.0 - inter / np.maximum(union, 1), 0.0)
            pairs = pair.sum(axis=(1, 2))
            ok = pairs > 0
            self._sums["intra_list_diversity"] += float(np.sum(dissimilar.sum(axis=(1, 2))[ok] / pairs[ok]))
            self._counts["intra_list_diversity"] += int(ok.sum())

    def _add_scores(self, vals: np.ndarray, has_score: np.ndarray, valid: np.ndarray, n: np.ndarray) -> None:
        scored = has_score & valid
        first = scored[:, 0]
        self._top1.extend(vals[first, 0].tolist())
        positive = vals[scored]
        self._zero += int(np.sum(positive == 0))
        positive = positive[positive > 0]
        clipped = np.clip(positive, SCORE_EDGES[0], SCORE_EDGES[-1])
        counts, _ = np.histogram(clipped, bins=SCORE_EDGES)
        self._score_counts += counts
        full = (scored.sum(1) == n) & (n >= 2)
        sums = np.where(scored, vals, 0.0).sum(1)
        ok = full & (sums > 0)
        if ok.any():
            p = np.where(scored[ok], vals[ok], 0.0) / sums[ok][:, None]
            with np.errstate(divide="ignore", invalid="ignore"):
                terms = np.where(p > 0, -p * np.log2(np.where(p > 0, p, 1.0)), 0.0)
            self._sums["score_entropy"] += float(np.sum(terms.sum(1) / np.log2(n[ok])))
            self._counts["score_entropy"] += int(ok.sum())

    # -- results ---------------------------------------------------------------------------
    def report(self) -> HealthReport:
        nan = float("nan")
        m: dict[str, float] = dict.fromkeys(METRIC_INFO, nan)
        exposure = self._exposure[:self.n_catalogue].copy()
        if self.catalogue is not None and self.n_catalogue:
            m["coverage"] = float(np.count_nonzero(exposure)) / self.n_catalogue
            m["gini"] = gini(exposure)
        if self.n_nonempty:
            if self._pop is not None:
                m["avg_popularity"] = self._sums["avg_popularity"] / self.n_nonempty
                if float(self._pop.sum()) > 0:
                    m["long_tail_share"] = self._sums["long_tail_share"] / self.n_nonempty
                    m["novelty"] = self._sums["novelty"] / self.n_nonempty
        if self.n_nonempty >= 2:
            users = self.n_nonempty
            pair_sum = (float(np.dot(self._weight, self._weight)) - users) / 2.0
            # Clipped to [0, 1]: the identity's subtraction can leave a rounding residue of ~1e-16.
            m["personalisation"] = min(1.0, max(0.0, 1.0 - pair_sum / (users * (users - 1) / 2.0)))
        for key in ("intra_list_diversity", "score_entropy"):
            if self._counts[key]:
                m[key] = self._sums[key] / self._counts[key]
        top1 = np.frombuffer(self._top1, dtype=np.float64).copy() if len(self._top1) else np.empty(0)
        if top1.size:
            m["top1_mean"] = float(top1.mean())
            m["top1_median"] = float(np.median(top1))
        groups = [IdenticalGroup(g[0], g[1], list(g[2])) for g in self._groups.values()]
        groups.sort(key=lambda g: (-g.size, g.items))
        flags = {k: Flag(k, self._flag_users[k], self._flag_slots[k], list(self._flag_examples[k]))
                 for k in FLAG_DEFINITIONS if k != "identical"}
        flags["identical"] = Flag("identical", sum(g.size for g in groups), len(groups),
                                  [", ".join(g.examples[:3]) for g in groups[:EXAMPLES]])
        return HealthReport(
            k=self.k, n_lists=self.n_lists, n_catalogue=self.n_catalogue if self.catalogue is not None else None,
            metrics=m, exposure=exposure, top1=top1, score_counts=self._score_counts.copy(),
            zero_scores=self._zero, groups=groups, flags=flags, metadata_column=self.metadata_column)


def compute(lists: RecLists, catalogue: Catalogue | None, k: int, *,
            known: Mapping[str, Collection[str]] | None = None, block: int = 2048) -> HealthReport:
    """Every metric of in-memory lists (the same accumulator a streamed file goes through)."""
    acc = HealthAccumulator(catalogue, k, known=known)
    for start in range(0, len(lists), block):
        end = start + block
        acc.add(lists.user_ids[start:end], lists.items[start:end], lists.scores[start:end])
    return acc.report()
