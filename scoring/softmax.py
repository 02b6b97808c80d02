"""Numerically stable softmax scores and top-k selection, the arithmetic behind every score.

Personalize scores are softmax probabilities: exp(logit_i) / sum_j exp(logit_j). Computing
them naively overflows for logits above ~88 (float32), so every function here subtracts the
maximum first (log-sum-exp). Top-k never sorts the whole vector: `argpartition` finds the k
largest in linear time and only those k are sorted.
"""

from __future__ import annotations

import numpy as np


def logsumexp(logits: np.ndarray) -> float:
    """log(sum(exp(logits))) without overflow; -inf for an empty vector."""
    if logits.size == 0:
        return float("-inf")
    peak = float(np.max(logits))
    if not np.isfinite(peak):
        return peak
    shifted = np.subtract(logits, peak, dtype=np.float64 if logits.dtype == np.float64 else np.float32)
    np.exp(shifted, out=shifted)
    return peak + float(np.log(np.sum(shifted, dtype=np.float64)))


def softmax(logits: np.ndarray) -> np.ndarray:
    """Probabilities that sum to 1, in the input's order, stable for any finite logits."""
    values = np.asarray(logits, dtype=np.float64)
    if values.size == 0:
        return values.copy()
    shifted = values - np.max(values)
    np.exp(shifted, out=shifted)
    shifted /= np.sum(shifted)
    return shifted


def top_k(values: np.ndarray, k: int) -> np.ndarray:
    """Indices of the k largest values, largest first; ties keep the lower index first."""
    n = values.shape[0]
    k = max(0, min(int(k), n))
    if k == 0:
        return np.empty(0, dtype=np.int64)
    if k < n:
        candidates = np.argpartition(-values, k - 1)[:k]
    else:
        candidates = np.arange(n)
    # Sort only the k candidates: by value descending, then by index for stable ties.
    order = np.lexsort((candidates, -values[candidates]))
    return candidates[order].astype(np.int64, copy=False)


def top_k_scores(logits: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Top-k indices and their softmax scores over the *whole* vector, without a full softmax.

    Only the normaliser needs every logit; the k scores are exp(l_i - logsumexp).
    """
    index = top_k(logits, k)
    if index.size == 0:
        return index, np.empty(0, dtype=np.float64)
    log_norm = logsumexp(logits)
    scores = np.exp(logits[index].astype(np.float64) - log_norm)
    return index, scores
