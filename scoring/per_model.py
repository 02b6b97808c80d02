"""Values derived from one loaded model (ID lists, indexes, norms), kept as long as that model lives.

A `functools.lru_cache` keyed on a model holds it: a retrained group's old model (hundreds of
megabytes at catalogue scale) stayed in memory until eight newer ones pushed it out. Here the
model is only weakly referenced: when the group cache drops a retrained model, its derived
values go with it. Keys are model identity (SoftmaxModel compares by identity).
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable
from functools import wraps
from typing import TypeVar

from scoring.model import SoftmaxModel

T = TypeVar("T")


def per_model(fn: Callable[[SoftmaxModel], T]) -> Callable[[SoftmaxModel], T]:
    """Cache fn(model) per live model; the value must not refer back to the model."""
    values: weakref.WeakKeyDictionary[SoftmaxModel, T] = weakref.WeakKeyDictionary()
    lock = threading.Lock()

    @wraps(fn)
    def cached(model: SoftmaxModel) -> T:
        with lock:
            if model in values:
                return values[model]
        value = fn(model)  # outside the lock: two threads may compute it once each, harmlessly
        with lock:
            return values.setdefault(model, value)

    cached.cache_size = lambda: len(values)  # type: ignore[attr-defined]
    return cached
