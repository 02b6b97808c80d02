"""How much two recommendation lists agree: overlap@k, Jaccard, rank-biased overlap, rank shifts.

The Compare page asks two requests (another context, filter, campaign or source) and shows how
their answers differ. Set measures (overlap@k, Jaccard) ignore order; RBO weighs agreement at
the top more; the rank-shift rows feed the slope chart that links each item across the lists.
Lists are item IDs in rank order; a repeated ID counts once, at its first rank.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

OVERLAP_DEPTHS: tuple[int, ...] = (5, 10, 25)
DEFAULT_PERSISTENCE = 0.9

BOTH = "both"
ONLY_A = "only in A"
ONLY_B = "only in B"


def _unique(items: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(items))


def overlap_at_k(a: Sequence[str], b: Sequence[str], k: int) -> float | None:
    """|A_k ∩ B_k| / k over the top k of each list; None when either list is shorter than k."""
    a, b = _unique(a), _unique(b)
    if k <= 0 or len(a) < k or len(b) < k:
        return None
    return len(set(a[:k]) & set(b[:k])) / k


def jaccard(a: Sequence[str], b: Sequence[str]) -> float:
    """|A ∩ B| / |A ∪ B| of the two whole lists (two empty lists are identical: 1)."""
    sa, sb = set(a), set(b)
    union = sa | sb
    return len(sa & sb) / len(union) if union else 1.0


def rbo(a: Sequence[str], b: Sequence[str], p: float = DEFAULT_PERSISTENCE) -> float:
    """Extrapolated rank-biased overlap RBO_ext of two rankings, lists of any lengths.

    W. Webber, A. Moffat, J. Zobel, "A similarity measure for indefinite rankings",
    ACM TOIS 28(4), 2010, equation (32). With S the shorter list (length s), L the longer
    (length l) and X_d the overlap of their top d items (for d > s, all of S against L's top d):

        RBO_ext = (1-p)/p · ( Σ_{d=1..l} X_d/d · p^d + Σ_{d=s+1..l} X_s·(d-s)/(s·d) · p^d )
                  + ( (X_l - X_s)/l + X_s/s ) · p^l

    i.e. the agreement seen down to depth l, assumed to carry on unchanged below it. For equal
    lengths it is eq. (30): (1-p)/p · Σ X_d/d · p^d + X_k/k · p^k. The persistence p is the
    chance a reader goes on to the next rank: with p = 0.9 the top 10 carry about 86% of the
    weight. Identical lists give 1, disjoint lists 0; two empty lists 1, one empty list 0.
    """
    if not 0.0 < p < 1.0:
        raise ValueError("The persistence p must be strictly between 0 and 1.")
    a, b = _unique(a), _unique(b)
    short, long_ = (a, b) if len(a) <= len(b) else (b, a)
    s, l = len(short), len(long_)
    if s == 0:
        return 1.0 if l == 0 else 0.0
    seen_s: set[str] = set()
    seen_l: set[str] = set()
    overlap = 0
    x_s = 0
    total = 0.0
    for d in range(1, l + 1):
        item_l = long_[d - 1]
        if d <= s:
            item_s = short[d - 1]
            if item_s == item_l:
                overlap += 1
            else:
                overlap += (item_s in seen_l) + (item_l in seen_s)
            seen_s.add(item_s)
        else:
            overlap += item_l in seen_s
        seen_l.add(item_l)
        if d == s:
            x_s = overlap
        total += overlap / d * p**d
        if d > s:
            total += x_s * (d - s) / (s * d) * p**d
    value = (1 - p) / p * total + ((overlap - x_s) / l + x_s / s) * p**l
    return min(1.0, max(0.0, value))  # rounding only: the formula itself stays in [0, 1]


@dataclass(frozen=True)
class Agreement:
    """Every agreement measure of two lists, as the page shows them."""

    n_a: int
    n_b: int
    common: int
    overlap: dict[int, float | None]
    jaccard: float
    rbo: float
    persistence: float


def agreement(a: Sequence[str], b: Sequence[str], *, depths: Sequence[int] = OVERLAP_DEPTHS,
              p: float = DEFAULT_PERSISTENCE) -> Agreement:
    a, b = _unique(a), _unique(b)
    return Agreement(
        n_a=len(a), n_b=len(b), common=len(set(a) & set(b)),
        overlap={k: overlap_at_k(a, b, k) for k in depths}, jaccard=jaccard(a, b), rbo=rbo(a, b, p),
        persistence=p,
    )


RANK_SHIFT_COLUMNS: tuple[str, ...] = ("Item ID", "Rank A", "Rank B", "Change", "In")


def rank_shifts(a: Sequence[str], b: Sequence[str]) -> pd.DataFrame:
    """One row per item of either list: its rank in A and in B (<NA> when absent).

    Change = rank in A − rank in B, so a positive change means the item moved up in B.
    Rows follow A's order, then B's items that A lacks, in B's order.
    """
    a, b = _unique(a), _unique(b)
    rank_a = {item: r for r, item in enumerate(a, start=1)}
    rank_b = {item: r for r, item in enumerate(b, start=1)}
    rows = []
    for item in a + [i for i in b if i not in rank_a]:
        ra, rb = rank_a.get(item), rank_b.get(item)
        where = BOTH if ra is not None and rb is not None else ONLY_A if rb is None else ONLY_B
        rows.append((item, ra, rb, ra - rb if ra is not None and rb is not None else None, where))
    frame = pd.DataFrame(rows, columns=list(RANK_SHIFT_COLUMNS))
    return frame.astype({"Item ID": "object", "Rank A": "Int64", "Rank B": "Int64", "Change": "Int64",
                         "In": "object"})
