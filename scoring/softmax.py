"""Numerically stable softmax scores and top-k selection, the arithmetic behind every score.

Personalize scores are softmax probabilities: exp(logit_i) / sum_j exp(logit_j). Computing
them naively overflows for logits above ~88 (float32), so every function here subtracts the
maximum first (log-sum-exp). Top-k never sorts the whole vector: `argpartition` finds the k
largest in linear time and only those k are sorted.

`scan_top_k` takes the logits from one matrix-vector product. Computing them block by block inside
its pass was measured and left out: OpenBLAS runs each block's product on both cores, and the
thread hand-off per block costs more than the pass saves on a loaded machine (blocks of 8,192
rows: 1.5 s median against 35 ms for one product); with one BLAS thread (a process-wide
setting) the fused pass was no faster than product + scan.
"""

from __future__ import annotations

import numpy as np

#: Items per block of `scan_top_k`: 32,768 float32 logits (128 KiB) stay in the L2 cache while the
#: block's maximum, exp-sum and top-k threshold read them, so the logits leave memory once.
SCAN_BLOCK = 1 << 15
#: Items per part of a block: the scan keeps each part's maximum, and only the parts whose maximum
#: is among the k largest are read again for the top k (a reshape of 8 rows x 4,096 reduces as fast
#: as the block's own maximum).
SCAN_PART = 1 << 12
#: The parts' maxima choose the top k only while there are this many parts per result (k <= 30 at
#: 1M items): with fewer, the parts that may hold the top k are much of the vector, and a running
#: threshold costs less (at k = 100: 2.8 ms against 3.6 ms; at k = 25: 2.4 ms against 2.8 ms).
PARTS_PER_RESULT = 8


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
    `logsumexp(logits)`, without their separate passes, copies and whole-vector argpartition.
    One pass over cache-sized blocks gives each block's exp-sum (combined as a streaming
    log-sum-exp) and the maximum of each part of SCAN_PART rows. For a small k without a filter,
    the k-th largest part maximum T is a lower bound of the k-th largest value (k parts reach
    it), so every top-k row lies in a part whose maximum reaches T: at most k parts, plus ties,
    are read again after the pass. Otherwise each block whose maximum reaches a running
    threshold (the k-th largest allowed value seen so far) gives its allowed rows at or above it
    (a mask over the parts costs more than that). Ties at a bound are kept, so the lower row wins a tie,
    as in `top_k`. Rows come largest first; log_norm is None when `normalise` is False (recipes
    without scores). (Two threads, each scanning half, were slower under load on the shared
    2-core machine: the second thread waits for a core.)
    """
    n = logits.shape[0]
    k = max(0, min(int(k), n))
    if n <= SCAN_BLOCK:  # one block: the whole-vector functions make fewer numpy calls
        return _small_top_k(logits, k, allowed), (logsumexp(logits) if normalise else None)
    running = allowed is not None or k * PARTS_PER_RESULT > -(-n // SCAN_PART)
    part_peaks, peaks, sums, kept = _scan(logits, k, allowed, normalise, running)
    log_norm = _combine(peaks, sums) if normalise else None
    if k == 0:
        return np.empty(0, dtype=np.int64), log_norm
    candidates = kept if running else _candidates(logits, part_peaks, k)
    values = logits[candidates]
    finite = np.isfinite(values) | (values > 0)  # -inf (and NaN) never make a list; +inf does
    candidates, values = candidates[finite], values[finite]
    order = np.lexsort((candidates, -values))[:k]
    return candidates[order].astype(np.int64, copy=False), log_norm


def _small_top_k(logits: np.ndarray, k: int, allowed: np.ndarray | None) -> np.ndarray:
    """`scan_top_k`'s rows for a vector of one block (a demo-sized catalogue, a ranking list)."""
    values = logits if allowed is None else np.where(allowed, logits, -np.inf)
    rows = top_k(values, k)
    chosen = values[rows]
    return rows[np.isfinite(chosen) | (chosen > 0)]  # -inf (and NaN) never make a list


def _scan(logits: np.ndarray, k: int, allowed: np.ndarray | None, normalise: bool,
          running: bool) -> tuple[np.ndarray, list[float], list[float], np.ndarray]:
    """The one pass of `scan_top_k`: each part's maximum; each block's shift and exp-sum
    (`_combine` merges them) when `normalise`; with a filter, the allowed rows that may be top k.

    Each cache-resident block is read three times: the parts' maxima (whose maximum is the
    block's, the guard of exp against overflow), exp, and the exp-sum. A block's sum is float32
    (pairwise: within ~1e-7 of float64 for 32,768 terms, where float64 costs a conversion pass);
    the blocks' sums add in float64. The maxima skip NaN (never in a list); a NaN makes the
    normaliser NaN.
    """
    n = logits.shape[0]
    part_peaks = np.empty(-(-n // SCAN_PART), dtype=logits.dtype)
    peaks: list[float] = []
    sums: list[float] = []
    kept: list[np.ndarray] = []
    kept_count = 0
    threshold = -np.inf
    buffer = np.empty(SCAN_BLOCK, dtype=np.float64 if logits.dtype == np.float64 else np.float32)
    fmax, exp, add = np.fmax.reduce, np.exp, np.add.reduce
    for start in range(0, n, SCAN_BLOCK):
        stop = min(start + SCAN_BLOCK, n)
        block = logits[start:stop]
        whole = block.size - block.size % SCAN_PART
        first = start // SCAN_PART  # SCAN_BLOCK is a multiple of SCAN_PART
        out = part_peaks[first:first + whole // SCAN_PART]
        fmax(block[:whole].reshape(-1, SCAN_PART), axis=1, out=out)
        if whole < block.size:  # the last, shorter part
            part_peaks[-1] = fmax(block[whole:])
        peak = float(fmax(part_peaks[first:first + -(-block.size // SCAN_PART)]))
        if normalise:
            if -20.0 <= peak <= 80.0:
                # exp(x) needs no shift while it cannot overflow (x <= 80) and the block's largest
                # terms are far from underflow (peak >= -20): one pass fewer over the block.
                shifted = buffer[:block.size]
                exp(block, out=shifted)
                peaks.append(0.0)
                sums.append(float(add(shifted)))  # NaN if the block holds one: _combine gives NaN
            else:
                peaks.append(_shifted_sum(block, buffer[:block.size], sums))
        if not running or k == 0 or not peak >= threshold:
            continue  # the parts' maxima choose the rows after the pass, or none here can be top k
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
    rows_out = np.concatenate(kept) if kept else np.empty(0, dtype=np.intp)
    return part_peaks, peaks, sums, rows_out


def _shifted_sum(block: np.ndarray, out: np.ndarray, sums: list[float]) -> float:
    """Append sum(exp(block - peak)) to `sums` and return the shift `peak`, the block's maximum
    (NaN if it holds one). -inf adds nothing; +inf and NaN decide the result in `_combine`."""
    peak = float(np.maximum.reduce(block))
    if not np.isfinite(peak):
        sums.append(0.0)
        return peak
    np.subtract(block, peak, out=out)
    np.exp(out, out=out)
    sums.append(float(np.add.reduce(out)))
    return peak


def _candidates(logits: np.ndarray, part_peaks: np.ndarray, k: int) -> np.ndarray:
    """Rows at or above T, the k-th largest part maximum, in the parts that reach T.

    With fewer than k parts (or fewer holding a finite value), T is -inf and every part with a
    finite value is read. The whole parts are read as rows of a (parts x SCAN_PART) view: one
    contiguous copy of each, not a gather of every row.
    """
    peaks = np.where(np.isnan(part_peaks), -np.inf, part_peaks)  # a part of NaN only
    bound = _kth_largest(peaks, k) if k <= peaks.size else -np.inf
    hot = np.flatnonzero(peaks > bound if bound == -np.inf else peaks >= bound)
    n = logits.shape[0]
    whole = n // SCAN_PART
    inner = hot[hot < whole]
    parts = logits[: whole * SCAN_PART].reshape(whole, SCAN_PART)
    part_rows, cols = np.nonzero(parts[inner] >= bound)
    rows = inner[part_rows] * SCAN_PART + cols
    if hot.size > inner.size:  # the last, shorter part
        tail = np.flatnonzero(logits[whole * SCAN_PART:] >= bound) + whole * SCAN_PART
        rows = np.concatenate([rows, tail])
    if rows.size > 4 * k:  # many ties at the bound: keep the rows at or above the k-th value
        values = logits[rows]
        rows = rows[values >= _kth_largest(values, k)]
    return rows


def _combine(peaks: list[float], sums: list[float]) -> float:
    """log(sum_b sums[b] * exp(peaks[b])): the blocks' exp-sums (each taken after a shift of
    peaks[b]) merged without overflow."""
    if not peaks:
        return float("-inf")
    shifts, totals = np.array(peaks), np.array(sums)
    if np.isnan(shifts).any() or np.isnan(totals).any():
        return float("nan")
    peak = float(shifts.max())
    if not np.isfinite(peak):
        return peak
    finite = np.isfinite(shifts)
    total = float(totals[finite] @ np.exp(shifts[finite] - peak))
    return peak + float(np.log(total))
