"""Item exploration of user-personalization campaigns: the campaign's setting, and a local approximation.

Personalize (User-Personalization recipe) takes `campaignConfig.itemExplorationConfig =
{"explorationWeight": "0.3", "explorationItemAgeCutOff": "30"}` (strings): the weight (0.0-1.0)
says how often items with less interaction data or relevance are recommended, the cut-off (days,
counted back from the latest interaction in the dataset) which items are young enough to be
explored; an item's age comes from CREATION_TIMESTAMP, else from its first interaction. No formula
is published, so the local emulation below is an approximation, and the console says so:

- slots: round(k * weight * MAX_SHARE) of a list of k go to exploration (0 at weight 0, so the
  list is then exactly the unexplored one; never fewer when the weight grows);
- candidates: items within the age cut-off (an item with neither a creation time nor interactions
  counts as new) that the request's filter allows, not already in the list, and cold: at most the
  median interaction count of those young items;
- choice: a draw without replacement weighted by the user's own softmax over the candidates
  (Gumbel top-k), seeded by the request, so the same request gives the same list;
- positions: seeded slots among the exploited items, which keep their order; explored items keep
  their catalogue score and carry reason "Exploration" (as user-personalization-v2 marks them).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

EXPLORATION_REASON = "Exploration"
#: At weight 1.0, this share of the list is explored (a choice of the approximation).
MAX_SHARE = 0.5
DEFAULT_WEIGHT = "0.3"
DEFAULT_AGE_CUTOFF = "30"
WEIGHT_KEY = "explorationWeight"
AGE_KEY = "explorationItemAgeCutOff"
CONFIG_KEY = "itemExplorationConfig"
#: Recipes that take an itemExplorationConfig (PERSONALIZE.md: User-Personalization only).
EXPLORING_RECIPES = frozenset({"aws-user-personalization", "aws-user-personalization-v2"})
DAY = 86_400
APPROXIMATION_NOTE = ("Local exploration is an approximation: Amazon Personalize publishes no formula. Here a "
                      "weight w gives round(k·w·0.5) of k slots to cold items (at most the median interaction "
                      "count) younger than the age cut-off, drawn by the user's own scores, seeded by the request.")


class ExplorationError(ValueError):
    """An itemExplorationConfig the service would refuse; the message says which value and why."""


@dataclass(frozen=True)
class Exploration:
    """A campaign's exploration setting as numbers."""

    weight: float
    age_cutoff_days: float

    @property
    def active(self) -> bool:
        return self.weight > 0


def parse_config(config: Mapping[str, Any] | None) -> Exploration | None:
    """The itemExplorationConfig of a campaignConfig, checked; None when the campaign sets none."""
    raw = (config or {}).get(CONFIG_KEY)
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        raise ExplorationError(f"{CONFIG_KEY} must be a map of strings, e.g. "
                               f'{{"{WEIGHT_KEY}": "0.3", "{AGE_KEY}": "30"}}.')
    unknown = sorted(set(raw) - {WEIGHT_KEY, AGE_KEY})
    if unknown:
        raise ExplorationError(f"{CONFIG_KEY} takes {WEIGHT_KEY} and {AGE_KEY} only, not {', '.join(unknown)}.")
    weight = _number(raw.get(WEIGHT_KEY, DEFAULT_WEIGHT), WEIGHT_KEY)
    if not 0.0 <= weight <= 1.0:
        raise ExplorationError(f"{WEIGHT_KEY} must be between 0.0 and 1.0 (0 turns exploration off); got {weight:g}.")
    age = _number(raw.get(AGE_KEY, DEFAULT_AGE_CUTOFF), AGE_KEY)
    if age <= 0:
        raise ExplorationError(f"{AGE_KEY} must be a positive number of days; got {age:g}.")
    return Exploration(weight, age)


def _number(value: Any, key: str) -> float:
    if not isinstance(value, str):
        raise ExplorationError(f'{key} is a string in itemExplorationConfig, e.g. "0.3"; got {value!r}.')
    try:
        number = float(value)
    except ValueError:
        raise ExplorationError(f"{key} must be a number written as a string; got {value[:40]!r}.") from None
    if not math.isfinite(number):
        raise ExplorationError(f"{key} must be a finite number; got {value[:40]!r}.")
    return number


def config_for(weight: float, age_cutoff_days: float) -> dict[str, str]:
    """An itemExplorationConfig as the API writes it (strings)."""
    return {WEIGHT_KEY: f"{weight:g}", AGE_KEY: f"{age_cutoff_days:g}"}


def explores(recipe: str) -> bool:
    return recipe in EXPLORING_RECIPES


def slots(k: int, weight: float) -> int:
    """How many of k places exploration takes at this weight: non-decreasing in the weight, 0 at 0."""
    if k <= 0 or weight <= 0:
        return 0
    return min(int(k), int(math.floor(k * min(weight, 1.0) * MAX_SHARE + 0.5)))


# -- items: age and coldness ---------------------------------------------------------------------
@dataclass(frozen=True)
class ItemActivity:
    """Per model item row: age in days at the dataset's latest interaction (NaN: unknown), interaction count."""

    age_days: np.ndarray
    counts: np.ndarray
    _rows: dict[float, np.ndarray] = field(default_factory=dict, compare=False, repr=False)

    def candidates(self, age_cutoff_days: float) -> np.ndarray:
        """Rows exploration may pick, as a mask: young enough (or of unknown age), and cold among the young."""
        mask = np.zeros(len(self.counts), dtype=bool)
        mask[self.candidate_rows(age_cutoff_days)] = True
        return mask

    def candidate_rows(self, age_cutoff_days: float) -> np.ndarray:
        """`candidates` as sorted rows, computed once per cut-off (a campaign has one)."""
        found = self._rows.get(age_cutoff_days)
        if found is None:
            young = ~(self.age_days > age_cutoff_days)  # NaN (no creation time, no interaction) counts as new
            if young.any():
                young &= self.counts <= float(np.median(self.counts[young]))
            found = np.flatnonzero(young)
            found.setflags(write=False)
            if len(self._rows) < 16:
                self._rows[age_cutoff_days] = found
        return found


def item_activity(item_ids: np.ndarray, counts: np.ndarray, items: pd.DataFrame | None,
                  interactions: pd.DataFrame | None) -> ItemActivity:
    """Ages from CREATION_TIMESTAMP (else the first interaction), counted back from the latest interaction."""
    ids = pd.Index(np.asarray(item_ids).astype(str))
    created = pd.Series(np.nan, index=ids)
    latest = np.nan
    if interactions is not None and len(interactions) and "TIMESTAMP" in interactions:
        times = pd.to_numeric(interactions["TIMESTAMP"], errors="coerce")
        latest = float(times.max())
        first = times.groupby(interactions["ITEM_ID"].astype(str).to_numpy()).min()
        created = first.reindex(ids).astype(float)
    if items is not None and "CREATION_TIMESTAMP" in items:
        stamps = pd.to_numeric(items["CREATION_TIMESTAMP"], errors="coerce")
        stamps.index = items["ITEM_ID"].astype(str).to_numpy()
        stamps = stamps[~stamps.index.duplicated()].reindex(ids)
        created = stamps.where(stamps.notna(), created)
        if not math.isfinite(latest):
            latest = float(stamps.max())
    age = (latest - created.to_numpy(dtype=np.float64)) / DAY if math.isfinite(latest) else \
        np.full(len(ids), np.nan)
    with np.errstate(invalid="ignore"):
        age = np.where(np.isnan(age), np.nan, np.maximum(age, 0.0))  # created after the latest event: new
    return ItemActivity(age, np.asarray(counts, dtype=np.float64))


def youngest_share_cutoff(activity: ItemActivity, share: float = 0.1) -> float:
    """The age cut-off (whole days) that makes the youngest `share` of the items explorable: a useful
    setting where none is younger than the default 30 days (e.g. a catalogue of old films)."""
    known = activity.age_days[~np.isnan(activity.age_days)]
    if not len(known):
        return float(DEFAULT_AGE_CUTOFF)
    return float(max(1.0, math.ceil(float(np.quantile(known, share)))))


# -- the list ------------------------------------------------------------------------------------
def explore(preference: np.ndarray, exploited: np.ndarray, k: int, exploration: Exploration,
            activity: ItemActivity, allowed: np.ndarray | None, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The list of k rows with exploration, and a mask over it marking explored rows.

    `exploited` are the best allowed rows by `preference`, best first (at least k of them when
    the catalogue has them). Weight 0, or no candidate, gives exploited[:k] unchanged.
    """
    want = slots(k, exploration.weight)
    head = np.asarray(exploited[:k], dtype=np.int64)
    if want == 0:
        return head, np.zeros(len(head), dtype=bool)
    kept = head[:max(0, k - want)]
    rows = activity.candidate_rows(exploration.age_cutoff_days)
    if allowed is not None:
        rows = rows[allowed[rows]]
    rows = _without(rows, kept)
    if not len(rows):
        return head, np.zeros(len(head), dtype=bool)
    rng = np.random.default_rng(seed)
    # Gumbel top-k: a draw without replacement with probabilities softmax(preference) over the pool.
    keys = preference[rows].astype(np.float64) + rng.gumbel(size=len(rows))
    chosen = rows[np.argsort(-keys, kind="stable")[:want]]
    # Fewer candidates than slots: the next best exploited rows fill the rest.
    rest = np.asarray(exploited[len(kept):], dtype=np.int64)
    taken = set(chosen.tolist())
    fill = np.asarray([r for r in rest.tolist() if r not in taken][:max(0, len(head) - len(kept) - len(chosen))],
                      dtype=np.int64)
    regular = np.concatenate([kept, fill])
    total = len(regular) + len(chosen)
    places = np.sort(rng.choice(total, size=len(chosen), replace=False))
    out = np.empty(total, dtype=np.int64)
    explored = np.zeros(total, dtype=bool)
    explored[places] = True
    out[explored] = chosen
    out[~explored] = regular
    return out, explored


def _without(sorted_rows: np.ndarray, drop: np.ndarray) -> np.ndarray:
    """`sorted_rows` less the few rows in `drop` (a binary search each: np.isin sorts both, per request)."""
    if not len(drop) or not len(sorted_rows):
        return sorted_rows
    places = np.searchsorted(sorted_rows, drop)
    inside = places < len(sorted_rows)
    places = places[inside]
    return np.delete(sorted_rows, places[sorted_rows[places] == drop[inside]])
