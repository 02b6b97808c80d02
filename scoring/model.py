"""The trained local model: item vectors, and a user encoder that reads the user's history.

The score the console shows is exactly Personalize's formula, score(u, i) = softmax_i(w̄_u · w_i).
Item popularity is folded into the vectors: the last item column is a learned bias and the
last column of every query vector is the constant 1, so w̄_u · w_i = q · v_i + b_i.

w̄_u is not a stored per-user row: it is computed at request time from the user's ordered
recent interactions, as Personalize's user-personalization recipe reacts to new events:

    w̄_u = c₀ + (Σ_k α_k · g[e_k] · x[h_k]) / √n + Σ_c ctx_c

- h_1, h_2, ... the user's interacted items, most recent first (at most `window` of them),
  e_k their event types; n = how many are in the window;
- x_i an item's *input* vector (what having interacted with i says about what comes next),
  α_k a learned weight per position (recency), g a learned weight per event type;
- c₀ the query of a user with no history (popular items), ctx_c the vectors of the request's
  context values (e.g. DEVICE=mobile phone), which shift every user, cold ones included.

The logit of item i also has a repeat term, for the items of the user's own window:

    w̄_u · w_i  +  Σ_k ρ_k · [h_k = i]

ρ_k is learned per window position (plus τ of the item's event type there: a clicked title may
still be watched, a watched one is done), and one more ρ for the older items up to `repeat_window`
(200 by default: a user's ratings reach far beyond the 20 items the vector reads). Where people
do not take an item twice (one rating per film), it learns to push the items a user had down,
which a dot product of dense vectors cannot do without pushing down everything like them; where
they come back (rebooking a route), it can lift them. It is still one dot product: w_i has a one-hot coordinate for its own identity and w̄_u has
ρ_k at the coordinates of the window's items; the console adds it sparsely (`add_repeats`).

So a user the model never saw, but who has events, gets a personalised list; reordering a
history changes the vector (positions carry different weights); a user with no history gets
c₀ + context: popular items, as Personalize serves them. The model also keeps a snapshot of
every user's last `window` interactions of the training data (the history the group had when
it was trained); events recorded since then come from scoring.events and are prepended.

File layout (`np.savez`, read with `allow_pickle=False`):
    item_ids          <U  (N,)     item IDs in row order
    item_factors      f32 (N, D)   output vectors; last column = item bias
    item_inputs       f32 (N, D)   input vectors x_i; last column = 0
    position_weights  f32 (L,)     α_1..α_L
    event_types       <U  (T,)     event types seen in training
    event_weights     f32 (T,)     g per event type
    cold_start        f32 (D,)     c₀; last column = 1
    context_names     <U  (C,)     "KEY=value", e.g. "DEVICE=mobile phone"
    context_factors   f32 (C, D)   last column = 0
    user_ids          <U  (U,)     users of the training data's history snapshot
    user_history      i32 (U, L)   their last L item rows, most recent first, -1 padded
    user_events       i16 (U, L)   event-type codes of those rows
    item_popularity   f32 (N,)     training interaction counts (the popularity baseline)
    item_trend        f32 (N,)     the recent-popularity part of the item bias (scoring.recency),
                                   as of meta["recency"]["as_of"]; absent in older files: 0
    repeat_weights    f32 (L+1,)   ρ_1..ρ_L, then ρ for older positions: the repeat term (0: absent)
    repeat_event_weights f32 (T+1,) τ per event type (the last: unknown), added in the window
    user_older_start  i64 (U+1,)   user u's items older than the window, up to meta["repeat_window"]
    user_older_items  i32 (M,)       in all: user_older_items[start[u]:start[u+1]], newest first
    meta              <U  ()       JSON: training settings and evaluation metrics
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

MODEL_FILE = "model.npz"
FORMAT = 2


def context_name(key: str, value: str) -> str:
    """The lookup name of one context value; keys are upper-case Interactions fields."""
    return f"{key}={value}"


@dataclass(frozen=True)
class History:
    """A user's recent interactions as model rows, most recent first (item -1 = not in the catalogue)."""

    items: np.ndarray  # int (n,)
    events: np.ndarray  # int (n,): codes into SoftmaxModel.event_types, -1 = unknown type

    @staticmethod
    def empty() -> History:
        return History(np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64))

    def __len__(self) -> int:
        return int(self.items.shape[0])

    def then(self, older: History) -> History:
        """This (newer) history followed by an older one."""
        return History(np.concatenate([self.items, older.items]),
                       np.concatenate([self.events, older.events]))


@dataclass(frozen=True, eq=False)
class SoftmaxModel:
    item_ids: np.ndarray
    item_factors: np.ndarray
    item_inputs: np.ndarray
    position_weights: np.ndarray
    event_types: np.ndarray
    event_weights: np.ndarray
    cold_start: np.ndarray
    context_names: np.ndarray
    context_factors: np.ndarray
    user_ids: np.ndarray
    user_history: np.ndarray
    user_events: np.ndarray
    item_popularity: np.ndarray
    meta: dict[str, Any] = field(default_factory=dict)
    item_trend: np.ndarray | None = None
    repeat_weights: np.ndarray | None = None
    user_older_start: np.ndarray | None = None
    user_older_items: np.ndarray | None = None
    repeat_event_weights: np.ndarray | None = None

    def __post_init__(self) -> None:
        n, d = self.item_factors.shape
        if self.item_trend is None:
            object.__setattr__(self, "item_trend", np.zeros(n, dtype=np.float32))
        elif np.shape(self.item_trend) != (n,):
            raise ValueError("item_trend must have one value per item")
        window = self.position_weights.shape[0]
        if self.repeat_weights is None:
            object.__setattr__(self, "repeat_weights", np.zeros(window + 1, dtype=np.float32))
        elif np.shape(self.repeat_weights) != (window + 1,):
            raise ValueError("repeat_weights must have one value per window position, and one more")
        if self.repeat_event_weights is None:
            object.__setattr__(self, "repeat_event_weights",
                               np.zeros(self.event_types.shape[0] + 1, dtype=np.float32))
        elif np.shape(self.repeat_event_weights) != (self.event_types.shape[0] + 1,):
            raise ValueError("repeat_event_weights needs one value per event type, and one more")
        if self.user_older_start is None or self.user_older_items is None:
            users = self.user_ids.shape[0]
            object.__setattr__(self, "user_older_start", np.zeros(users + 1, np.int64))
            object.__setattr__(self, "user_older_items", np.zeros(0, np.int32))
        elif self.user_older_start.shape != (self.user_ids.shape[0] + 1,):
            raise ValueError("user_older_start must have one entry per user, and one more")
        if self.item_ids.shape != (n,) or self.item_popularity.shape != (n,):
            raise ValueError("item_ids, item_factors and item_popularity disagree on the item count")
        if self.item_inputs.shape != (n, d) or self.cold_start.shape != (d,) \
                or self.context_factors.shape[1:] != (d,):
            raise ValueError("item, input, cold-start and context vectors must share one dimension")
        window = self.position_weights.shape[0]
        if self.user_history.shape != (self.user_ids.shape[0], window) \
                or self.user_events.shape != self.user_history.shape:
            raise ValueError("user_history and user_events must be (users, window)")
        if self.event_weights.shape != self.event_types.shape:
            raise ValueError("event_types and event_weights disagree")
        # Dictionaries for O(1) lookups; built once per loaded model.
        object.__setattr__(self, "_item_row", {str(x): i for i, x in enumerate(self.item_ids)})
        object.__setattr__(self, "_user_row", {str(x): i for i, x in enumerate(self.user_ids)})
        object.__setattr__(self, "_context_row", {str(x): i for i, x in enumerate(self.context_names)})
        object.__setattr__(self, "_event_code", {str(x).lower(): i for i, x in enumerate(self.event_types)})
        # An event type never seen in training counts like an average one.
        default = float(np.mean(self.event_weights)) if self.event_weights.size else 1.0
        object.__setattr__(self, "_weights", np.append(self.event_weights, default).astype(np.float32))

    # -- lookups -------------------------------------------------------------------------
    @property
    def dim(self) -> int:
        return int(self.item_factors.shape[1])

    @property
    def n_items(self) -> int:
        return int(self.item_factors.shape[0])

    @property
    def window(self) -> int:
        """How many recent interactions w̄_u reads."""
        return int(self.position_weights.shape[0])

    def knows_user(self, user_id: str) -> bool:
        """True when the training data had interactions of this user."""
        return user_id in self._user_row  # type: ignore[attr-defined]

    def item_rows(self, item_ids: list[str]) -> np.ndarray:
        """Row of each item ID, -1 for items the model was not trained on."""
        rows = self._item_row  # type: ignore[attr-defined]
        return np.fromiter((rows.get(i, -1) for i in item_ids), dtype=np.int64, count=len(item_ids))

    def user_rows(self, user_ids: list[str]) -> np.ndarray:
        """Row of each user in the history snapshot, -1 for users the training data lacked."""
        rows = self._user_row  # type: ignore[attr-defined]
        return np.fromiter((rows.get(u, -1) for u in user_ids), dtype=np.int64, count=len(user_ids))

    def event_codes(self, event_types: list[str]) -> np.ndarray:
        """Code of each event type (case ignored, as Personalize compares them), -1 if unknown."""
        codes = self._event_code  # type: ignore[attr-defined]
        return np.fromiter((codes.get(str(e).lower(), -1) for e in event_types), dtype=np.int64,
                           count=len(event_types))

    def context_keys(self) -> list[str]:
        return sorted({str(name).split("=", 1)[0] for name in self.context_names})

    def context_values(self, key: str) -> list[str]:
        prefix = key + "="
        return sorted(str(n)[len(prefix):] for n in self.context_names if str(n).startswith(prefix))

    def history(self, user_id: str | None, recent: History | None = None) -> History:
        """What w̄_u reads: events recorded since training (`recent`, newest first), then the
        user's training history."""
        history = self.trained_history(user_id)
        if recent is not None and len(recent):
            history = recent.then(history)
        return history

    def trained_history(self, user_id: str | None) -> History:
        """The user's last `window` interactions in the training data with their event types,
        then their older ones up to `repeat_window` (no event type: -1); empty for a new user."""
        row = self._user_row.get(user_id) if user_id is not None else None  # type: ignore[attr-defined]
        if row is None:
            return History.empty()
        items = self.user_history[row]
        keep = items >= 0
        window = History(items[keep].astype(np.int64), self.user_events[row][keep].astype(np.int64))
        older = self.user_older_items[self.user_older_start[row]:self.user_older_start[row + 1]]
        if older.size == 0:
            return window
        return window.then(History(older.astype(np.int64), np.full(older.size, -1, dtype=np.int64)))

    @property
    def repeat_window(self) -> int:
        """How many of a user's newest items the repeat term reads (the window, then older ones)."""
        return int(self.meta.get("repeat_window", self.window))

    # -- scoring -------------------------------------------------------------------------
    def cold_start_vector(self) -> np.ndarray:
        return self.cold_start.astype(np.float32, copy=True)

    def encode(self, history: History) -> np.ndarray:
        """c₀ + the weighted sum of the history's input vectors (no context)."""
        known = history.items >= 0
        items = history.items[known][: self.window]
        events = history.events[known][: self.window]
        return self.encode_many(items[None, :], events[None, :])[0]

    def encode_many(self, items: np.ndarray, events: np.ndarray) -> np.ndarray:
        """`encode` for many histories: (Q, ≤L) rows and event codes, newest first, -1 padded
        at the end. One arithmetic for one user or many (a sequential sum over positions), so
        a block of users gets bit-for-bit the vectors of single requests."""
        items = np.asarray(items, dtype=np.int64)[:, : self.window]
        events = np.asarray(events, dtype=np.int64)[:, : self.window]
        valid = items >= 0
        count = valid.sum(axis=1, keepdims=True)
        norm = (1.0 / np.sqrt(np.maximum(count, 1))).astype(np.float32)
        weights = (self.position_weights[None, : items.shape[1]]
                   * self._weights[events] * norm * valid).astype(np.float32)  # type: ignore[attr-defined]
        terms = np.empty((items.shape[0], items.shape[1] + 1, self.dim), dtype=np.float32)
        terms[:, 0] = self.cold_start
        np.multiply(weights[:, :, None], self.item_inputs[np.maximum(items, 0)], out=terms[:, 1:])
        # A reduction over a middle axis adds row after row: c₀ + t₁ + t₂ + ... in that order, for
        # one user or many, in one gather instead of `window` small steps (a request's encoding
        # went from about 290 to 45 µs).
        return np.add.reduce(terms, axis=1)

    def context_vector(self, context: Mapping[str, str] | None) -> np.ndarray:
        vec = np.zeros(self.dim, dtype=np.float32)
        for key, value in (context or {}).items():
            c = self._context_row.get(context_name(key, value))  # type: ignore[attr-defined]
            if c is not None:
                vec += self.context_factors[c]
        return vec

    def user_vector(self, user_id: str | None, context: Mapping[str, str] | None = None,
                    recent: History | None = None) -> np.ndarray:
        """w̄_u: events recorded since training (`recent`, newest first), then the training
        history, encoded; plus the request's context."""
        return self.encode(self.history(user_id, recent)) + self.context_vector(context)

    def seen_rows(self, history: History) -> np.ndarray:
        """The item rows the repeat term reads: the user's newest `repeat_window`, newest first."""
        return history.items[history.items >= 0][: self.repeat_window]

    def seen_events(self, history: History) -> np.ndarray:
        """The event types of the window's items (`seen_rows`' first `window`), newest first."""
        return history.events[history.items >= 0][: self.window]

    def position_repeats(self, positions: int) -> np.ndarray:
        """ρ for history positions 0..positions-1: one per window position, then one for all
        older positions."""
        k = np.minimum(np.arange(positions), self.window)
        return self.repeat_weights[k]

    def logits(self, vector: np.ndarray, rows: np.ndarray | None = None,
               history: History | None = None) -> np.ndarray:
        """w̄_u · w_i for every item, or for the given rows only; with the user's `history`,
        plus its repeat term ρ_k on the item at each position k."""
        factors = self.item_factors if rows is None else self.item_factors[rows]
        logits = factors @ vector
        if history is not None:
            self.add_repeats(logits, self.seen_rows(history)[None, :], rows,
                             self.seen_events(history)[None, :])
        return logits

    def add_repeats(self, logits: np.ndarray, seen: np.ndarray, rows: np.ndarray | None = None,
                    events: np.ndarray | None = None) -> None:
        """Add ρ_k (+ τ of its event type, in the window) to each user's logit of the item at
        their history position k, in place.

        `logits` (N,) or (Q, N) over every item, or over `rows` only; `seen` (Q, ≤repeat_window)
        item rows, newest first, -1 padded; `events` (Q, ≤window) the event codes of the first
        positions (-1: a type training did not see). An item twice gets both positions' weights.
        """
        seen = np.asarray(seen, dtype=np.int64)[:, : self.repeat_window]
        weights = np.array(np.broadcast_to(self.position_repeats(seen.shape[1]), seen.shape))
        if events is not None and self.repeat_event_weights.any():
            codes = np.asarray(events, dtype=np.int64)[:, : min(self.window, seen.shape[1])]
            # code -1 (a type training did not see) reads the last weight
            weights[:, : codes.shape[1]] += self.repeat_event_weights[codes]
        valid = seen >= 0
        if not valid.any() or not weights[valid].any():
            return
        users, cols = np.nonzero(valid)
        items, add = seen[valid], weights[valid].astype(logits.dtype)
        if rows is not None:  # logits over a subset: find each seen item's column, if it is there
            rows = np.asarray(rows, dtype=np.int64)
            order = np.argsort(rows, kind="stable")
            place = np.searchsorted(rows[order], items)
            there = (place < rows.size) & (rows[order][np.minimum(place, rows.size - 1)] == items)
            users, items, add = users[there], order[place[there]], add[there]
        if logits.ndim == 1:
            np.add.at(logits, items, add)
        else:
            np.add.at(logits, (users, items), add)

    # -- persistence ---------------------------------------------------------------------
    _ARRAYS = {
        "item_ids": str, "item_factors": np.float32, "item_inputs": np.float32,
        "position_weights": np.float32, "event_types": str, "event_weights": np.float32,
        "cold_start": np.float32, "context_names": str, "context_factors": np.float32,
        "user_ids": str, "user_history": np.int32, "user_events": np.int16,
        "item_popularity": np.float32,
    }
    _OPTIONAL = {"item_trend": np.float32, "repeat_weights": np.float32,
                 "repeat_event_weights": np.float32,
                 "user_older_start": np.int64, "user_older_items": np.int32}

    def save(self, path: Path) -> None:
        path = Path(path)
        tmp = path.with_suffix(".tmp.npz")
        arrays = {name: np.asarray(getattr(self, name), dtype=dtype)
                  for name, dtype in {**self._ARRAYS, **self._OPTIONAL}.items()}
        np.savez(tmp, **arrays, meta=np.asarray(json.dumps({**self.meta, "format": FORMAT})))
        tmp.replace(path)  # atomic: a reader never sees half a model

    @classmethod
    def load(cls, path: Path) -> SoftmaxModel:
        with np.load(Path(path), allow_pickle=False) as f:
            meta = json.loads(str(f["meta"]))
            if meta.get("format") != FORMAT:
                raise OutdatedModel(f"{path} was written by an older version of the console: "
                                    "train the dataset group again (python -m scoring.train).")
            arrays = {}
            for name, dtype in cls._ARRAYS.items():
                value = f[name]
                arrays[name] = value if dtype is str else np.ascontiguousarray(value, dtype=dtype)
            for name, dtype in cls._OPTIONAL.items():
                if name in f.files:
                    arrays[name] = np.ascontiguousarray(f[name], dtype=dtype)
            return cls(**arrays, meta=meta)


class OutdatedModel(ValueError):
    """A model.npz from before the history encoder: it must be trained again."""
