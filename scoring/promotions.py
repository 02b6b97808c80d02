"""Promotions: a share of the list reserved for items that pass another filter, mixed in at random.

Rules (GetRecommendations' `promotions`, PERSONALIZE.md):
- at most one promotion; it needs a `name`, a `percentPromotedItems` of 1..100 and a `filterArn`;
- the number of promoted slots is ceil(numResults * percent / 100), so any percent promotes at
  least one item when numResults >= 1 (Personalize does not publish its rounding);
- promoted items are the best items (by the recipe's own order) that pass the promotion's filter;
  the request's filter applies only to the other items, which never repeat a promoted one;
- if fewer items pass the promotion filter, the free slots go to regular items;
- promoted items take random positions among the others but keep their own order; the positions
  are drawn from a generator seeded by the request, so the same request gives the same list.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping
from typing import Any

import numpy as np

PROMOTED_REASON = "Promoted item"


def promoted_count(num_results: int, percent: int) -> int:
    """Slots reserved for promoted items: ceil(numResults * percent / 100), at most numResults."""
    return min(int(num_results), math.ceil(int(num_results) * int(percent) / 100))


def request_seed(params: Mapping[str, Any]) -> int:
    """A seed that depends on the request's content only (not on ids or time): reproducible lists."""
    keys = ("campaignArn", "userId", "itemId", "numResults", "context", "filterArn", "filterValues", "promotions")
    text = json.dumps({k: params.get(k) for k in keys}, sort_keys=True, default=str)
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big")


def positions(total: int, promoted: int, seed: int) -> np.ndarray:
    """Sorted random slots (0-based) of the promoted items in a list of `total` items."""
    promoted = max(0, min(promoted, total))
    if promoted == 0:
        return np.empty(0, dtype=np.int64)
    rng = np.random.default_rng(seed)
    return np.sort(rng.choice(total, size=promoted, replace=False)).astype(np.int64)


def interleave(regular: list[Any], promoted: list[Any], seed: int) -> list[Any]:
    """One list: promoted entries at seeded random slots, in their order; regular entries fill the rest."""
    total = len(regular) + len(promoted)
    slots = set(positions(total, len(promoted), seed).tolist())
    ours, theirs = iter(promoted), iter(regular)
    return [next(ours) if i in slots else next(theirs) for i in range(total)]
