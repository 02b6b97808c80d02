"""The one-pass scan behind GetRecommendations gives today's answer: same items, same scores.

`scan_top_k` replaces three passes (log-sum-exp, np.where with the filter mask, argpartition);
these properties pin it to the reference of those passes, with blocks and the two-thread split
made small so that a hypothesis example crosses many blocks.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import scoring
from scoring import arns, softmax
from scoring.softmax import logsumexp, scan_top_k, top_k

#: The sizes the console runs with (the autouse fixture below makes them small for hypothesis).
REAL_BLOCK, REAL_PART = softmax.SCAN_BLOCK, softmax.SCAN_PART

# Wider than the no-shift window (-20..80) of a block's maximum, so both paths are exercised.
FINITE32 = st.floats(min_value=-300, max_value=300, allow_nan=False, allow_infinity=False, width=32)
# Few distinct values, so ties at the k-th place are common.
TIED32 = st.sampled_from([-3.0, -1.0, 0.0, 0.5, 2.0])


@pytest.fixture(autouse=True)
def small_blocks(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Blocks of 16 items in parts of 4: every path of the scan runs on small vectors."""
    monkeypatch.setattr(softmax, "SCAN_BLOCK", 16)
    monkeypatch.setattr(softmax, "SCAN_PART", 4)
    yield


def reference(values: np.ndarray, k: int, allowed: np.ndarray | None) -> np.ndarray:
    """Today's selection spelled out: finite allowed values, descending, lower row first on ties."""
    masked = values.astype(np.float64) if allowed is None else np.where(allowed, values.astype(np.float64), -np.inf)
    order = np.argsort(-masked, kind="stable")[:k]
    return order[np.isfinite(masked[order])]


def vectors(elements: st.SearchStrategy[float]) -> st.SearchStrategy[np.ndarray]:
    return arrays(np.float32, st.integers(1, 400), elements=elements)


@st.composite
def scan_cases(draw: st.DrawFn) -> tuple[np.ndarray, int, np.ndarray | None]:
    values = draw(st.one_of(vectors(FINITE32), vectors(TIED32)))
    k = draw(st.integers(0, 60))
    masked = draw(st.booleans())
    allowed = draw(arrays(np.bool_, values.shape)) if masked else None
    return values, k, allowed


@given(scan_cases())
@settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_rows_are_the_reference_top_k(case: tuple[np.ndarray, int, np.ndarray | None]) -> None:
    values, k, allowed = case
    rows, _ = scan_top_k(values, k, allowed)
    np.testing.assert_array_equal(rows, reference(values, k, allowed))


@given(vectors(FINITE32), st.integers(0, 30))
@settings(max_examples=200, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_normaliser_equals_logsumexp_to_float32_rounding(values: np.ndarray, k: int) -> None:
    _, log_norm = scan_top_k(values, k)
    assert log_norm is not None
    exact = float(np.logaddexp.reduce(values.astype(np.float64)))
    # Scores are exp(logit - log_norm): an absolute error e here is a relative score error of ~e.
    assert abs(log_norm - exact) <= 1e-6
    assert abs(log_norm - logsumexp(values)) <= 1e-6


@given(vectors(FINITE32), st.integers(1, 30))
@settings(max_examples=100, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_without_scores_there_is_no_normaliser(values: np.ndarray, k: int) -> None:
    rows, log_norm = scan_top_k(values, k, normalise=False)
    assert log_norm is None
    np.testing.assert_array_equal(rows, reference(values, k, None))


@given(vectors(TIED32), st.integers(0, 60))
@settings(max_examples=200, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_top_k_gives_ties_to_the_lower_index(values: np.ndarray, k: int) -> None:
    np.testing.assert_array_equal(top_k(values, k), np.argsort(-values, kind="stable")[:k])


def test_infinite_and_empty_inputs() -> None:
    assert scan_top_k(np.array([], dtype=np.float32), 5) == (pytest.approx(np.empty(0)), float("-inf"))
    minus = np.full(100, -np.inf, dtype=np.float32)
    rows, log_norm = scan_top_k(minus, 5)
    assert rows.size == 0 and log_norm == float("-inf")
    plus = np.zeros(100, dtype=np.float32)
    plus[70] = np.inf
    rows, log_norm = scan_top_k(plus, 3)
    assert rows[0] == 70 and log_norm == float("inf")


def test_a_nan_never_hides_a_larger_value_and_makes_the_normaliser_nan() -> None:
    values = np.arange(100, dtype=np.float32)
    values[[3, 98]] = np.nan  # in the part of the largest values, and in the first block
    rows, log_norm = scan_top_k(values, 3)
    np.testing.assert_array_equal(rows, [99, 97, 96])
    assert np.isnan(log_norm)


@pytest.mark.parametrize("tied", [False, True])
@pytest.mark.parametrize("filtered", [False, True])
@pytest.mark.parametrize("k", [1, 3, 25, 500])
def test_catalogue_sized_vectors_at_the_real_block_sizes(monkeypatch: pytest.MonkeyPatch, k: int,
                                                         filtered: bool, tied: bool) -> None:
    """Three blocks and a short one, the last part short too: the sizes a large catalogue meets."""
    monkeypatch.setattr(softmax, "SCAN_BLOCK", REAL_BLOCK)
    monkeypatch.setattr(softmax, "SCAN_PART", REAL_PART)
    rng = np.random.default_rng(k)
    values = (rng.standard_normal(3 * REAL_BLOCK + 1234) * 3).astype(np.float32)
    if tied:
        values = np.round(values)  # thousands of rows share the k-th value
    allowed = rng.random(values.size) < 0.25 if filtered else None
    rows, log_norm = scan_top_k(values, k, allowed)
    np.testing.assert_array_equal(rows, reference(values, k, allowed))
    assert log_norm is not None
    assert abs(log_norm - float(np.logaddexp.reduce(values.astype(np.float64)))) <= 1e-6


# -- through the client: today's GetRecommendations, spelled out ----------------------------------

@pytest.fixture(scope="module")
def runtime(demo_dir: Path) -> Any:
    return scoring.client("personalize-runtime", demo_dir)


REC = arns.local_arn("campaign", "demo-user-personalization")
POPULAR = arns.local_arn("campaign", "demo-popular-items")
GENRE = arns.local_arn("filter", "genre")


def expected(runtime: Any, user: str, k: int, context: dict[str, str] | None,
             allowed: np.ndarray | None) -> tuple[list[str], np.ndarray]:
    """Today's computation: the logits, a full float64 log-sum-exp, the masked stable top k."""
    model = runtime.group.model
    logits = model.logits(model.user_vector(user, context), history=model.history(user))
    rows = reference(logits, k, allowed)
    scores = np.exp(logits[rows].astype(np.float64) - np.logaddexp.reduce(logits.astype(np.float64)))
    return [str(model.item_ids[r]) for r in rows], scores


USERS = st.one_of(st.integers(1, 400).map(str), st.just("never-seen-user"))
CONTEXTS = st.sampled_from([None, {"DEVICE": "mobile phone"}, {"DEVICE": "smart tv"}])
GENRES = st.sampled_from(['"Comedy"', '"Drama","Horror"', '"Action"'])


@given(USERS, st.integers(1, 500), CONTEXTS, st.one_of(st.none(), GENRES))
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_get_recommendations_returns_todays_items_and_scores(runtime: Any, user: str, k: int,
                                                            context: dict[str, str] | None,
                                                            genres: str | None) -> None:
    params: dict[str, Any] = {"campaignArn": REC, "userId": user, "numResults": k}
    if context:
        params["context"] = context
    allowed = None
    if genres:
        params |= {"filterArn": GENRE, "filterValues": {"GENRES": genres}}
        allowed = runtime.group.evaluator.mask(runtime.group.filter(GENRE).expression,
                                               {"GENRES": genres}, user).mask
    items = runtime.get_recommendations(**params)["itemList"]
    ids, scores = expected(runtime, user, k, context, allowed)
    assert [i["itemId"] for i in items] == ids
    np.testing.assert_allclose([i["score"] for i in items], scores, rtol=1e-6, atol=0)


def test_popular_items_follow_the_counts_with_ties_to_the_lower_row(runtime: Any) -> None:
    model = runtime.group.model
    items = runtime.get_recommendations(campaignArn=POPULAR, userId="1", numResults=200)["itemList"]
    rows = np.argsort(-model.item_popularity.astype(np.float64), kind="stable")[:200]
    assert [i["itemId"] for i in items] == [str(model.item_ids[r]) for r in rows]
