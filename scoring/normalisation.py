"""Why Personalize scores are small: the softmax identities, probability mass and entropy.

A user-personalization score is a softmax over the whole catalogue,
score(u, i) = exp(w̄_u·w_i) / Σ_j exp(w̄_u·w_j), so the scores sum to 1 and average 1/N.
A personalized-ranking score is the same softmax over the input list only, hence for the same
model, user and context: rank_score(i) = rec_score(i) / Σ_{j ∈ list} rec_score(j).

Where the whole catalogue's scores are known (local campaigns) everything here is exact. A live
campaign shows only its top-N scores; `top_n_bounds` then says what those scores do prove
(the mass they hold, a lower bound on the entropy and on the catalogue size) and no more.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from scoring import recipes

#: Shares of the probability mass the page reports "how many items hold it" for.
MASS_LEVELS: tuple[float, ...] = (0.5, 0.9)

IDENTITY_COLUMNS: tuple[str, ...] = (
    "Rank", "Item ID", "Rec score", "Σ rec score (list)", "Predicted rank score", "Actual rank score",
    "Difference",
)


# -- what can be normalised -------------------------------------------------------------------
def unscored_reason(kind: str, recipe: str) -> str | None:
    """Why a recipe has nothing to normalise, or None when its responses carry scores."""
    info = recipes.lookup(recipe)
    if info.scored:
        return None
    if info.is_use_case:
        return (f"{recipe} is a domain recommender ({info.label}): Amazon Personalize returns no scores "
                "for domain recommenders, so there is nothing to normalise.")
    if info.seeded_by_item:
        return (f"{recipe} returns related items without scores: they are neighbours of one item, "
                "not a probability distribution over the catalogue, so there is nothing to normalise.")
    return (f"{recipe} returns items by popularity without scores: no softmax is involved, "
            "so there is nothing to normalise.")


# -- the identity rank_score = rec_score / Σ rec_score -------------------------------------------
def scored_items(response: Mapping[str, Any]) -> list[tuple[str, float]]:
    """(item ID, score) of either operation's response, in the service's order; unscored left out."""
    items = response.get("itemList")
    if items is None:
        items = response.get("personalizedRanking") or []
    return [(str(i["itemId"]), float(i["score"])) for i in items if i.get("score") is not None]


def identity_table(recommended: Sequence[tuple[str, float]],
                   ranked: Sequence[tuple[str, float]]) -> pd.DataFrame:
    """One row per recommended item: the ranking score predicted from the catalogue scores beside
    the one GetPersonalizedRanking returned.

    Predicted = rec score / Σ rec score over the list; Difference = actual − predicted (NaN when
    the ranking left the item out or returned it unscored).
    """
    total = float(sum(s for _, s in recommended))
    actual = dict(ranked)
    rows = []
    for rank, (item, score) in enumerate(recommended, start=1):
        predicted = score / total if total > 0 else math.nan
        got = actual.get(item, math.nan)
        rows.append((rank, item, score, total, predicted, got, got - predicted))
    frame = pd.DataFrame(rows, columns=list(IDENTITY_COLUMNS))
    return frame.astype({"Rank": "int64", "Item ID": "object"} | {c: "float64" for c in IDENTITY_COLUMNS[2:]})


def max_abs_difference(table: pd.DataFrame) -> float:
    """The largest |actual − predicted| of an identity table (NaN when nothing was compared)."""
    diffs = table["Difference"].abs().dropna()
    return float(diffs.max()) if len(diffs) else math.nan


# -- average score against catalogue size -------------------------------------------------------
def average_score_curve(n_min: int = 10, n_max: int = 10**6, points: int = 61) -> tuple[np.ndarray, np.ndarray]:
    """(N, 1/N) on a log grid: softmax scores sum to 1, so the average score is exactly 1/N."""
    sizes = np.logspace(math.log10(n_min), math.log10(n_max), points)
    return sizes, 1.0 / sizes


# -- the whole catalogue: cumulative mass and entropy --------------------------------------------
def probabilities(scores: np.ndarray) -> np.ndarray:
    """Scores as a distribution: float64, renormalised so rounding cannot make them sum to 1 ± ε."""
    p = np.asarray(scores, dtype=np.float64)
    total = float(p.sum())
    return p / total if total > 0 else p


def cumulative_mass(scores: np.ndarray) -> np.ndarray:
    """Share of the probability mass held by the top 1, 2, ..., N items (non-decreasing, ends at 1)."""
    p = np.sort(probabilities(scores))[::-1]
    mass = np.cumsum(p)
    if mass.size:
        np.minimum(mass, 1.0, out=mass)
        mass[-1] = 1.0 if mass[-1] > 0 else mass[-1]
    return mass


def items_for_mass(mass: np.ndarray, level: float) -> int:
    """The fewest top items that hold at least `level` of the mass (0 for an empty catalogue)."""
    if mass.size == 0:
        return 0
    # A hair of tolerance: 0.5 held exactly must count as reached despite rounding.
    return int(min(np.searchsorted(mass, level - 1e-12, side="left") + 1, mass.size))


def entropy(scores: np.ndarray) -> float:
    """Shannon entropy H = −Σ p ln p in nats (0 ln 0 = 0): between 0 and ln N."""
    p = probabilities(scores)
    p = p[p > 0]
    return float(-np.sum(p * np.log(p))) if p.size else 0.0


@dataclass(frozen=True)
class CatalogueStats:
    """One user's score distribution over the whole catalogue, summarised for the page's metrics."""

    n_items: int
    top: float
    entropy_nats: float
    items_50: int
    items_90: int

    @property
    def mean(self) -> float:
        return 1.0 / self.n_items if self.n_items else 0.0

    @property
    def top_over_mean(self) -> float:
        return self.top * self.n_items

    @property
    def entropy_bits(self) -> float:
        return self.entropy_nats / math.log(2)

    @property
    def effective_items(self) -> float:
        """exp(H): the size of a uniform catalogue with the same entropy ("perplexity")."""
        return math.exp(self.entropy_nats)

    @property
    def max_entropy(self) -> float:
        return math.log(self.n_items) if self.n_items else 0.0


def catalogue_stats(scores: np.ndarray) -> CatalogueStats:
    mass = cumulative_mass(scores)
    p = probabilities(scores)
    return CatalogueStats(
        n_items=int(p.size), top=float(p.max()) if p.size else 0.0, entropy_nats=entropy(p),
        items_50=items_for_mass(mass, 0.5), items_90=items_for_mass(mass, 0.9),
    )


# -- a live campaign: only the top-N scores --------------------------------------------------------
@dataclass(frozen=True)
class TopNBounds:
    """What N returned scores prove about the catalogue's distribution, with nothing assumed.

    The N scores are the N largest of the catalogue, in order, and every other item scores at
    most the last of them (s_N). So the unseen mass R = 1 − Σ s_i is spread over items of score
    ≤ s_N: there are at least ⌈R / s_N⌉ of them, and the entropy is smallest when R is packed
    into as few such items as possible. The upper bound needs the catalogue size, which
    Personalize does not expose; it is given only when the caller knows it.
    """

    n: int
    top: float
    mass: float
    min_catalogue: int
    entropy_min: float
    entropy_max: float | None
    items_50: int | None  # exact when the top N reach the level, else None (see items_at_least)
    items_90: int | None
    items_50_at_least: int
    items_90_at_least: int
    catalogue_size: int | None

    @property
    def unseen_mass(self) -> float:
        return max(0.0, 1.0 - self.mass)


def _plogp(p: float) -> float:
    return -p * math.log(p) if p > 0 else 0.0


def _items_for(scores: Sequence[float], level: float) -> tuple[int | None, int]:
    """(exact count if reached within the list, else None; a lower bound in either case)."""
    running = 0.0
    for k, s in enumerate(scores, start=1):
        running += s
        if running >= level - 1e-12:
            return k, k
    last = scores[-1] if scores else 0.0
    missing = max(0.0, level - running)
    extra = math.ceil(missing / last - 1e-9) if last > 0 else 0
    return None, len(scores) + extra


def top_n_bounds(scores: Sequence[float], catalogue_size: int | None = None) -> TopNBounds:
    """Bounds from the top-N catalogue scores of one GetRecommendations response (descending).

    `catalogue_size`, when the user knows it (Personalize does not tell), adds the entropy's upper
    bound: the unseen mass spread evenly over the items not returned.
    """
    s = sorted((float(x) for x in scores if x is not None and x > 0), reverse=True)
    if not s:
        raise ValueError("No positive scores: this response cannot be normalised.")
    mass = min(1.0, sum(s))
    rest = max(0.0, 1.0 - mass)
    last = s[-1]
    seen = sum(_plogp(x) for x in s)
    # Rounding must not turn "exactly k more items at s_N" into k - 1 plus a sliver.
    full = math.floor(rest / last + 1e-9)
    remainder = rest - full * last
    if remainder <= 1e-12:
        remainder = 0.0
    h_min = seen + full * _plogp(last) + _plogp(remainder)
    min_catalogue = len(s) + full + (1 if remainder > 0 else 0)

    h_max: float | None = None
    if catalogue_size is not None and catalogue_size >= min_catalogue:
        unseen = catalogue_size - len(s)
        h_max = seen + (rest * math.log(unseen / rest) if unseen > 0 and rest > 0 else 0.0)
    exact_50, least_50 = _items_for(s, 0.5)
    exact_90, least_90 = _items_for(s, 0.9)
    return TopNBounds(
        n=len(s), top=s[0], mass=mass, min_catalogue=min_catalogue, entropy_min=h_min, entropy_max=h_max,
        items_50=exact_50, items_90=exact_90, items_50_at_least=least_50, items_90_at_least=least_90,
        catalogue_size=catalogue_size if catalogue_size and catalogue_size >= min_catalogue else None,
    )


def top_n_missing(bounds: TopNBounds) -> list[str]:
    """Plain words on what the top-N list cannot tell, for the page."""
    out = [f"The scores of the {bounds.min_catalogue - bounds.n:,}+ items not returned: "
           f"they share the remaining {bounds.unseen_mass:.1%} of the mass, each at most "
           "the last returned score."]
    if bounds.catalogue_size is None:
        out.append("The catalogue size N, hence 1/N and an upper bound on the entropy: Personalize "
                   "does not expose it. Enter it if you know it.")
    if bounds.items_90 is None:
        out.append("Exactly how many items hold 90% of the mass: more than the list holds.")
    out.append("The distribution of every item's score: only a local campaign can score the whole catalogue.")
    return out
