"""The user vector is a function of the user's ordered history: properties of the encoder."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from scoring.model import History, SoftmaxModel
from scoring.softmax import softmax

N_ITEMS, DIM, WINDOW = 40, 6, 8


def _model(seed: int = 0) -> SoftmaxModel:
    rng = np.random.default_rng(seed)
    items = rng.standard_normal((N_ITEMS, DIM)).astype(np.float32)
    items[:, -1] = rng.standard_normal(N_ITEMS).astype(np.float32)  # bias column
    inputs = rng.standard_normal((N_ITEMS, DIM)).astype(np.float32)
    inputs[:, -1] = 0
    cold = np.append(rng.standard_normal(DIM - 1), 1.0).astype(np.float32)
    history = np.full((2, WINDOW), -1, dtype=np.int32)
    history[0, :3] = [4, 2, 9]
    return SoftmaxModel(
        item_ids=np.asarray([f"i{j}" for j in range(N_ITEMS)]),
        item_factors=items, item_inputs=inputs,
        position_weights=np.linspace(1.5, 0.3, WINDOW).astype(np.float32),
        event_types=np.asarray(["click", "watch"]), event_weights=np.asarray([0.7, 1.4], np.float32),
        cold_start=cold, context_names=np.asarray(["DEVICE=tv"]),
        context_factors=np.append(rng.standard_normal(DIM - 1), 0.0).astype(np.float32)[None, :],
        user_ids=np.asarray(["known", "empty"]), user_history=history,
        user_events=np.zeros((2, WINDOW), dtype=np.int16),
        item_popularity=np.ones(N_ITEMS, np.float32))


MODEL = _model()
histories = st.lists(st.integers(0, N_ITEMS - 1), min_size=2, max_size=WINDOW, unique=True)


def _history(items: list[int], events: list[int] | None = None) -> History:
    return History(np.asarray(items, dtype=np.int64),
                   np.asarray(events if events is not None else [1] * len(items), dtype=np.int64))


@settings(max_examples=60, deadline=None)
@given(histories, st.data())
def test_reordering_a_history_changes_the_user_vector(items: list[int], data: st.DataObject) -> None:
    shuffled = data.draw(st.permutations(items))
    assume(shuffled != items)
    a = MODEL.encode(_history(items))
    b = MODEL.encode(_history(shuffled))
    assert not np.allclose(a, b, rtol=0, atol=1e-7)


@settings(max_examples=60, deadline=None)
@given(histories)
def test_a_new_user_with_events_differs_from_cold_start(items: list[int]) -> None:
    cold = MODEL.user_vector("never-seen", {"DEVICE": "tv"})
    warm = MODEL.user_vector("never-seen", {"DEVICE": "tv"}, recent=_history(items))
    assert not MODEL.knows_user("never-seen")
    assert not np.allclose(cold, warm)
    assert np.argmax(MODEL.logits(warm)) != np.argmax(MODEL.logits(cold)) or \
        not np.allclose(softmax(MODEL.logits(warm)), softmax(MODEL.logits(cold)))


@settings(max_examples=60, deadline=None)
@given(histories, st.lists(st.integers(0, N_ITEMS - 1), min_size=1, max_size=15, unique=True))
def test_ranking_is_the_recommendation_scores_renormalised_over_the_list(
        items: list[int], candidates: list[int]) -> None:
    vector = MODEL.user_vector("known", recent=_history(items))
    catalogue = softmax(MODEL.logits(vector))
    ranking = softmax(MODEL.logits(vector, np.asarray(candidates)))
    expected = catalogue[candidates] / catalogue[candidates].sum()
    assert ranking == pytest.approx(expected, rel=1e-5, abs=1e-12)


@settings(max_examples=60, deadline=None)
@given(st.lists(histories, min_size=1, max_size=6))
def test_many_users_at_once_get_exactly_the_single_request_vectors(batch: list[list[int]]) -> None:
    items = np.full((len(batch), WINDOW), -1, dtype=np.int64)
    for q, h in enumerate(batch):
        items[q, : len(h)] = h
    events = np.where(items >= 0, 0, -1)
    together = MODEL.encode_many(items, events)
    for q, h in enumerate(batch):
        alone = MODEL.encode(_history(h, [0] * len(h)))
        assert np.array_equal(together[q], alone)  # bit for bit: the block path relies on it


@settings(max_examples=60, deadline=None)
@given(histories, st.lists(st.integers(-1, 1), min_size=WINDOW, max_size=WINDOW))
def test_the_vector_is_the_documented_sum_taken_position_by_position(items: list[int],
                                                                     kinds: list[int]) -> None:
    """c₀ + Σ_k α_k g[e_k] x[h_k] / √n, added newest first in float32, exactly."""
    events = kinds[: len(items)]
    weights = np.append(MODEL.event_weights, np.mean(MODEL.event_weights)).astype(np.float32)
    norm = np.float32(1.0 / np.sqrt(len(items)))
    expected = MODEL.cold_start.copy()
    for k, (item, kind) in enumerate(zip(items, events, strict=True)):
        w = np.float32(MODEL.position_weights[k] * weights[kind] * norm)
        expected += w * MODEL.item_inputs[item]
    assert np.array_equal(MODEL.encode(_history(items, events)), expected)


def test_recorded_events_come_before_the_training_history() -> None:
    trained = MODEL.trained_history("known")
    assert trained.items.tolist() == [4, 2, 9]
    recent = _history([7])
    combined = MODEL.user_vector("known", recent=recent)
    assert np.array_equal(combined, MODEL.encode(recent.then(trained)))
    assert not np.array_equal(combined, MODEL.encode(trained.then(recent)))


def test_only_the_window_is_read_and_unknown_items_are_skipped() -> None:
    long = list(range(WINDOW + 5))
    assert np.array_equal(MODEL.encode(_history(long)), MODEL.encode(_history(long[:WINDOW])))
    with_unknown = _history([3, -1, 5])
    assert np.array_equal(MODEL.encode(with_unknown), MODEL.encode(_history([3, 5])))


def test_event_types_weigh_the_history() -> None:
    clicked = MODEL.encode(_history([3, 5], [0, 0]))
    watched = MODEL.encode(_history([3, 5], [1, 1]))
    unknown = MODEL.encode(_history([3, 5], [-1, -1]))  # a type training never saw: the mean weight
    assert not np.allclose(clicked, watched)
    assert np.allclose(unknown - MODEL.cold_start, (clicked - MODEL.cold_start) * (1.05 / 0.7), rtol=1e-5)
    assert MODEL.event_codes(["WATCH", "click", "purchase"]).tolist() == [1, 0, -1]
