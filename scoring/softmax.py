"""Numerically stable softmax scores and top-k selection, the arithmetic behind every score.

Personalize scores are softmax probabilities: exp(logit_i) / sum_j exp(logit_j). Computing
them naively overflows for logits above ~88 (float32), so every function here subtracts the
maximum first (log-sum-exp). Top-k never sorts the whole vector: `argpartition` finds the k
largest in linear time and only those k are sorted.
"""

from __future__ import annotations

import numpy as np

#: Items per block of `scan_top_k`: 32,768 float32 logits (128 KiB) stay in the L2 cache while the
#: block's maximum, exp-sum and top-k threshold read them, so the logits leave memory once.
SCAN_BLOCK = 1 << 15


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
    """Indices of the k largest values, largest first; ties keep the lower index first.

    A partition finds the k-th largest value; every index at or above it is a candidate (ties at
    the boundary included, so the lowest indices win them), and only the candidates are sorted.
    """
    n = values.shape[0]
    k = max(0, min(int(k), n))
    if k == 0:
        return np.empty(0, dtype=np.int64)
    if k < n:
        candidates = np.flatnonzero(values >= _kth_largest(values, k))
    else:
        candidates = np.arange(n)
    # Sort only the candidates: by value descending, then by index for stable ties.
    order = np.lexsort((candidates, -values[candidates]))[:k]
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


def _kth_largest(values: np.ndarray, k: int) -> float:
    """The k-th largest value (k <= len(values)), by a linear-time partition."""
    return float(np.partition(values, values.size - k)[values.size - k])


def scan_top_k(logits: np.ndarray, k: int, allowed: np.ndarray | None = None,
               *, normalise: bool = True) -> tuple[np.ndarray, float | None]:
    """Top-k rows among `allowed` (all when None) and the log-normaliser over *every* logit, in one pass.

    The same answer as `top_k(np.where(allowed, logits, -inf), k)` (finite values only) and
    `logsumexp(logits)`, without their separate passes, copies and whole-vector argpartition:
    each cache-sized block gives its maximum and exp-sum (combined as a streaming log-sum-exp)
    and the rows at or above a running threshold, the k-th largest value seen so far. A row
    below it has k rows above it, so it cannot be in the top k; ties at the threshold are kept,
    so the lower row wins a tie, as in `top_k`. Rows come largest first; log_norm is None when
    `normalise` is False (recipes without scores). (Two threads, each scanning half, were
    slower under load on the shared 2-core machine: the second thread waits for a core.)
    """
    n = logits.shape[0]
    k = max(0, min(int(k), n))
    if n <= SCAN_BLOCK:  # one block: the whole-vector functions make fewer numpy calls
        return _small_top_k(logits, k, allowed), (logsumexp(logits) if normalise else None)
    parts = (_scan(logits, 0, n, k, allowed, normalise),)
    log_norm = _combine([p for part in parts for p in part[0]],
                        [s for part in parts for s in part[1]]) if normalise else None
    candidates = np.concatenate([part[2] for part in parts])
    if candidates.size == 0:
        return np.empty(0, dtype=np.int64), log_norm
    values = logits[candidates]
    finite = np.isfinite(values) | (values > 0)  # -inf (and NaN) never make a list; +inf does
    candidates, values = candidates[finite], values[finite]
    order = np.lexsort((candidates, -values))[:k]
    return candidates[order], log_norm


def _small_top_k(logits: np.ndarray, k: int, allowed: np.ndarray | None) -> np.ndarray:
    """`scan_top_k`'s rows for a vector of one block (a demo-sized catalogue, a ranking list)."""
    values = logits if allowed is None else np.where(allowed, logits, -np.inf)
    rows = top_k(values, k)
    chosen = values[rows]
    return rows[np.isfinite(chosen) | (chosen > 0)]  # -inf (and NaN) never make a list


def _scan(logits: np.ndarray, begin: int, end: int, k: int, allowed: np.ndarray | None,
          normalise: bool) -> tuple[list[float], list[float], np.ndarray]:
    """Blocks [begin, end) of `scan_top_k`: their maxima and exp-sums, and the rows that may be top k."""
    peaks: list[float] = []
    sums: list[float] = []
    kept: list[np.ndarray] = []
    kept_count = 0
    threshold = -np.inf
    buffer = np.empty(min(SCAN_BLOCK, max(end - begin, 0)),
                      dtype=np.float64 if logits.dtype == np.float64 else np.float32)
    for start in range(begin, end, SCAN_BLOCK):
        stop = min(start + SCAN_BLOCK, end)
        block = logits[start:stop]
        if normalise:
            peak = float(block.max())
            if not np.isfinite(peak):
                peaks.append(peak)
                sums.append(0.0)  # -inf adds nothing; +inf or NaN decide the result in _combine
            else:
                # exp(x) needs no shift while it cannot overflow (x <= 80) and the block's largest
                # terms are far from underflow (peak >= -20): one pass fewer over the block.
                shift = 0.0 if -20.0 <= peak <= 80.0 else peak
                shifted = buffer[:block.size]
                if shift:
                    np.subtract(block, shift, out=shifted)
                    np.exp(shifted, out=shifted)
                else:
                    np.exp(block, out=shifted)
                peaks.append(shift)
                sums.append(float(np.add.reduce(shifted, dtype=np.float64)))
        if k == 0 or normalise and peak < threshold:
            continue  # nothing in this block can reach the top k
        passing = block >= threshold
        if allowed is not None:
            passing &= allowed[start:stop]
        rows = np.flatnonzero(passing)
        if rows.size == 0:
            continue
        kept.append(rows + start)
        kept_count += rows.size
        if kept_count >= 4 * k or threshold == -np.inf and kept_count >= k:
            # Raise the threshold to the k-th largest kept value and drop the rows below it.
            candidates = np.concatenate(kept)
            values = logits[candidates]
            threshold = max(threshold, _kth_largest(values, k))
            candidates = candidates[values >= threshold]
            kept, kept_count = [candidates], candidates.size
    rows_out = np.concatenate(kept).astype(np.int64, copy=False) if kept else np.empty(0, dtype=np.int64)
    return peaks, sums, rows_out


def _combine(peaks: list[float], sums: list[float]) -> float:
    """log(sum_b sums[b] * exp(peaks[b])): the blocks' exp-sums (each taken after a shift of
    peaks[b]) merged without overflow."""
    if not peaks:
        return float("-inf")
    if any(np.isnan(peaks)):
        return float("nan")
    peak = max(peaks)
    if not np.isfinite(peak):
        return peak
    total = sum(s * float(np.exp(p - peak)) for p, s in zip(peaks, sums, strict=True) if np.isfinite(p))
    return peak + float(np.log(total))
