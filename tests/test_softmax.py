"""Softmax and top-k: the identities every score on screen relies on."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from scoring.softmax import logsumexp, softmax, top_k, top_k_scores

finite = st.floats(min_value=-1e4, max_value=1e4, allow_nan=False, allow_infinity=False, width=64)
logit_vectors = arrays(np.float64, st.integers(1, 300), elements=finite)


@given(logit_vectors)
def test_softmax_sums_to_one(logits: np.ndarray) -> None:
    assert np.sum(softmax(logits)) == pytest.approx(1.0, abs=1e-9)


@given(logit_vectors)
def test_softmax_is_finite_and_in_unit_interval(logits: np.ndarray) -> None:
    p = softmax(logits)
    assert np.all(np.isfinite(p))
    assert np.all((p >= 0) & (p <= 1))


@given(logit_vectors)
def test_softmax_keeps_the_order_of_logits(logits: np.ndarray) -> None:
    p = softmax(logits)
    i, j = np.argmax(logits), np.argmin(logits)
    assert p[i] >= p[j]
    # Strictly larger logits never get smaller probabilities.
    order = np.argsort(logits, kind="stable")
    assert np.all(np.diff(p[order]) >= -1e-15)


@given(logit_vectors, st.floats(min_value=-1e4, max_value=1e4))
def test_softmax_is_shift_invariant(logits: np.ndarray, shift: float) -> None:
    np.testing.assert_allclose(softmax(logits + shift), softmax(logits), rtol=1e-6, atol=1e-12)


def test_no_nan_for_extreme_logits() -> None:
    logits = np.array([1e4, -1e4, 1e4 - 1, 0.0, -1e4])
    p = softmax(logits)
    assert not np.any(np.isnan(p))
    assert p[0] == pytest.approx(1 / (1 + np.exp(-1)))
    assert np.isfinite(logsumexp(logits.astype(np.float32)))


def test_softmax_matches_the_textbook_formula_on_small_logits() -> None:
    logits = np.array([0.5, -1.0, 2.0, 0.0])
    expected = np.exp(logits) / np.exp(logits).sum()
    np.testing.assert_allclose(softmax(logits), expected, rtol=1e-12)


@given(logit_vectors, st.integers(0, 400))
def test_top_k_returns_the_k_largest_in_descending_order(values: np.ndarray, k: int) -> None:
    index = top_k(values, k)
    assert len(index) == min(k, len(values))
    assert len(set(index.tolist())) == len(index)
    chosen = values[index]
    assert np.all(np.diff(chosen) <= 0)
    if 0 < len(index) < len(values):
        rest = np.delete(values, index)
        assert chosen.min() >= rest.max()


@given(logit_vectors, st.integers(1, 50))
@settings(max_examples=200)
def test_top_k_scores_equal_the_full_softmax(logits: np.ndarray, k: int) -> None:
    index, scores = top_k_scores(logits, k)
    np.testing.assert_allclose(scores, softmax(logits)[index], rtol=1e-9, atol=1e-300)


def test_top_k_of_float32_logits_matches_float64() -> None:
    rng = np.random.default_rng(0)
    logits = rng.normal(size=10_000).astype(np.float32) * 8
    index, scores = top_k_scores(logits, 25)
    reference = softmax(logits.astype(np.float64))
    np.testing.assert_array_equal(index, np.argsort(-reference, kind="stable")[:25])
    np.testing.assert_allclose(scores, reference[index], rtol=1e-5)


def test_empty_and_zero_k() -> None:
    assert top_k(np.array([1.0, 2.0]), 0).size == 0
    assert softmax(np.array([])).size == 0
    assert logsumexp(np.array([])) == float("-inf")
