"""The trained local model: user, item and context embeddings stored in one `.npz` file.

The score the console shows is exactly Personalize's formula, score(u, i) = softmax_i(w̄_u · w_i).
Item popularity is folded into the vectors: the last item column is a learned bias and the
last user column is the constant 1, so w̄_u · w_i = u · v_i + b_i and no side term is needed.

`w̄_u` is the user's vector plus the vectors of the request's context values (e.g.
DEVICE=mobile phone). A user the model never saw gets the cold-start vector [0, ..., 0, 1]:
scores then follow the learned item biases, i.e. popular items, and context still shifts them.

File layout (`np.savez`, read with `allow_pickle=False`):
    item_ids         <U  (N,)     item IDs in row order
    item_factors     f32 (N, D)   last column = item bias
    user_ids         <U  (U,)
    user_factors     f32 (U, D)   last column = 1
    context_names    <U  (C,)     "KEY=value", e.g. "DEVICE=mobile phone"
    context_factors  f32 (C, D)   last column = 0
    item_popularity  f32 (N,)     training interaction counts (the popularity baseline)
    meta             <U  ()       JSON: training settings and hold-out metrics
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

MODEL_FILE = "model.npz"


def context_name(key: str, value: str) -> str:
    """The lookup name of one context value; keys are upper-case Interactions fields."""
    return f"{key}={value}"


@dataclass(frozen=True, eq=False)
class SoftmaxModel:
    item_ids: np.ndarray
    item_factors: np.ndarray
    user_ids: np.ndarray
    user_factors: np.ndarray
    context_names: np.ndarray
    context_factors: np.ndarray
    item_popularity: np.ndarray
    meta: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        n, d = self.item_factors.shape
        if self.item_ids.shape != (n,) or self.item_popularity.shape != (n,):
            raise ValueError("item_ids, item_factors and item_popularity disagree on the item count")
        if self.user_factors.shape[1] != d or self.context_factors.shape[1] != d:
            raise ValueError("user, item and context factors must share one dimension")
        # Dictionaries for O(1) lookups; built once per loaded model.
        object.__setattr__(self, "_item_row", {str(x): i for i, x in enumerate(self.item_ids)})
        object.__setattr__(self, "_user_row", {str(x): i for i, x in enumerate(self.user_ids)})
        object.__setattr__(self, "_context_row", {str(x): i for i, x in enumerate(self.context_names)})

    # -- lookups -------------------------------------------------------------------------
    @property
    def dim(self) -> int:
        return int(self.item_factors.shape[1])

    @property
    def n_items(self) -> int:
        return int(self.item_factors.shape[0])

    def knows_user(self, user_id: str) -> bool:
        return user_id in self._user_row  # type: ignore[attr-defined]

    def item_rows(self, item_ids: list[str]) -> np.ndarray:
        """Row of each item ID, -1 for items the model was not trained on."""
        rows = self._item_row  # type: ignore[attr-defined]
        return np.fromiter((rows.get(i, -1) for i in item_ids), dtype=np.int64, count=len(item_ids))

    def context_keys(self) -> list[str]:
        return sorted({str(name).split("=", 1)[0] for name in self.context_names})

    def context_values(self, key: str) -> list[str]:
        prefix = key + "="
        return sorted(str(n)[len(prefix):] for n in self.context_names if str(n).startswith(prefix))

    # -- scoring -------------------------------------------------------------------------
    def cold_start_vector(self) -> np.ndarray:
        vec = np.zeros(self.dim, dtype=np.float32)
        vec[-1] = 1.0
        return vec

    def user_vector(self, user_id: str | None, context: Mapping[str, str] | None = None) -> np.ndarray:
        """w̄_u: the user's vector (or the cold-start one) shifted by each known context value."""
        row = self._user_row.get(user_id) if user_id is not None else None  # type: ignore[attr-defined]
        vec = self.cold_start_vector() if row is None else self.user_factors[row].copy()
        for key, value in (context or {}).items():
            c = self._context_row.get(context_name(key, value))  # type: ignore[attr-defined]
            if c is not None:
                vec += self.context_factors[c]
        return vec

    def logits(self, vector: np.ndarray, rows: np.ndarray | None = None) -> np.ndarray:
        """w̄_u · w_i for every item, or for the given rows only."""
        factors = self.item_factors if rows is None else self.item_factors[rows]
        return factors @ vector

    # -- persistence ---------------------------------------------------------------------
    def save(self, path: Path) -> None:
        path = Path(path)
        tmp = path.with_suffix(".tmp.npz")
        np.savez(
            tmp,
            item_ids=np.asarray(self.item_ids, dtype=str),
            item_factors=np.asarray(self.item_factors, dtype=np.float32),
            user_ids=np.asarray(self.user_ids, dtype=str),
            user_factors=np.asarray(self.user_factors, dtype=np.float32),
            context_names=np.asarray(self.context_names, dtype=str),
            context_factors=np.asarray(self.context_factors, dtype=np.float32),
            item_popularity=np.asarray(self.item_popularity, dtype=np.float32),
            meta=np.asarray(json.dumps(self.meta)),
        )
        tmp.replace(path)  # atomic: a reader never sees half a model

    @classmethod
    def load(cls, path: Path) -> SoftmaxModel:
        with np.load(Path(path), allow_pickle=False) as f:
            return cls(
                item_ids=f["item_ids"],
                item_factors=np.ascontiguousarray(f["item_factors"], dtype=np.float32),
                user_ids=f["user_ids"],
                user_factors=np.ascontiguousarray(f["user_factors"], dtype=np.float32),
                context_names=f["context_names"],
                context_factors=np.ascontiguousarray(f["context_factors"], dtype=np.float32),
                item_popularity=np.asarray(f["item_popularity"], dtype=np.float32),
                meta=json.loads(str(f["meta"])),
            )
