"""The repeat term: a learned logit for the items of the user's own window."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scoring.evaluation import ModelScorer, Queries
from scoring.model import History, SoftmaxModel
from scoring.softmax import softmax
from scoring.training import train
from tests.test_history_model import N_ITEMS, WINDOW, _history, _model

REACH = WINDOW + 4  # the repeat term reads the window's items, then 4 older ones
RHO = np.linspace(-3.0, -0.5, WINDOW + 1).astype(np.float32)  # the last: every older position
# users "known" (a full window) and "empty"
FULL = np.asarray([[4, 2, 9, 11, 12, 13, 14, 15], [-1] * WINDOW], dtype=np.int32)
MODEL = replace(_model(), repeat_weights=RHO, meta={"repeat_window": REACH}, user_history=FULL,
                user_older_start=np.asarray([0, 2, 2]),
                user_older_items=np.asarray([30, 31], np.int32))
windows = st.lists(st.integers(0, N_ITEMS - 1), min_size=1, max_size=REACH + 4)


@settings(max_examples=60, deadline=None)
@given(windows)
def test_each_window_position_adds_its_weight_to_its_item(items: list[int]) -> None:
    history = _history(items)
    vector = MODEL.user_vector(None, recent=history)
    expected = MODEL.item_factors @ vector
    for k, item in enumerate(items[:REACH]):  # an item twice gets both weights
        expected[item] += RHO[min(k, WINDOW)]
    np.testing.assert_array_equal(MODEL.logits(vector, history=history), expected)


@settings(max_examples=60, deadline=None)
@given(windows, st.lists(st.integers(0, N_ITEMS - 1), min_size=1, max_size=12, unique=True))
def test_a_subset_of_rows_gets_the_same_logits_as_the_catalogue(items: list[int],
                                                                rows: list[int]) -> None:
    """So ranking scores stay the recommendation scores renormalised over the input list."""
    history = _history(items)
    vector = MODEL.user_vector(None, recent=history)
    whole = MODEL.logits(vector, history=history)
    subset = MODEL.logits(vector, np.asarray(rows), history=history)
    np.testing.assert_allclose(subset, whole[rows], rtol=1e-6, atol=1e-6)  # BLAS order aside
    np.testing.assert_allclose(softmax(subset), softmax(whole)[rows] / softmax(whole)[rows].sum(),
                               rtol=1e-6)


def test_a_known_users_older_items_get_the_older_weight() -> None:
    history = MODEL.history("known")  # the full window, then two older items
    assert MODEL.seen_rows(history).tolist() == [*FULL[0].tolist(), 30, 31]
    vector = MODEL.user_vector("known")  # the vector still reads the window only
    np.testing.assert_array_equal(vector, MODEL.encode(History(FULL[0].astype(np.int64),
                                                               np.zeros(WINDOW, dtype=np.int64))))
    gap = MODEL.logits(vector, history=history) - MODEL.logits(vector)
    np.testing.assert_allclose(gap[FULL[0]], RHO[:WINDOW], rtol=1e-6)
    assert gap[[30, 31]].tolist() == pytest.approx([RHO[-1]] * 2)


def test_an_event_type_adds_its_weight_inside_the_window_only() -> None:
    tau = np.asarray([1.5, -2.0, 0.25], dtype=np.float32)  # click, watch, an unknown type
    model = replace(MODEL, repeat_event_weights=tau)
    history = model.history("known", _history([33, 34, 35], [0, 1, -1]))  # newest first
    vector = model.user_vector("known", recent=_history([33, 34, 35], [0, 1, -1]))
    gap = model.logits(vector, history=history) - model.logits(vector)
    # 3 recorded, the trained window's 8 (the last 3 now older than the window), older 30 at
    # position 11; 31 at position 12 is past the repeat window of 12
    expected = {33: RHO[0] + 1.5, 34: RHO[1] - 2.0, 35: RHO[2] + 0.25, 4: RHO[3] + 1.5,
                13: RHO[-1], 30: RHO[-1], 31: 0.0}  # older than the window: no event type, no τ
    for item, value in expected.items():
        assert gap[item] == pytest.approx(value, abs=1e-5), item


def test_training_learns_that_a_click_is_followed_by_a_watch_of_the_same_item() -> None:
    rng = np.random.default_rng(2)
    rows = []
    for u in range(300):
        item, t = int(rng.integers(0, 30)), 0
        for _ in range(8):  # click an item, watch it, move on along the ring
            rows += [(f"u{u}", f"i{item}", t, "click"), (f"u{u}", f"i{item}", t + 1, "watch")]
            item, t = (item + 1) % 30, t + 60
    frame = pd.DataFrame(rows, columns=["USER_ID", "ITEM_ID", "TIMESTAMP", "EVENT_TYPE"])
    model = train(frame, epochs=20, seed=0)
    click, watch = (list(model.event_types).index(e) for e in ("click", "watch"))
    assert model.repeat_event_weights[click] > model.repeat_event_weights[watch] + 0.5


def test_unknown_items_in_a_history_take_no_position() -> None:
    history = History(np.asarray([-1, 5, -1, 7]), np.zeros(4, dtype=np.int64))
    assert MODEL.seen_rows(history).tolist() == [5, 7]
    vector = MODEL.user_vector(None, recent=history)
    gap = MODEL.logits(vector, history=history) - MODEL.logits(vector)
    assert gap[5] == pytest.approx(RHO[0]) and gap[7] == pytest.approx(RHO[1])


def test_a_block_of_users_gets_the_single_calls_repeat_terms() -> None:
    seen = np.asarray([[4, 2, 9, -1], [1, 1, -1, -1]])
    block = np.stack([MODEL.item_factors @ MODEL.cold_start] * 2)
    MODEL.add_repeats(block, seen)
    for q in range(2):
        alone = MODEL.item_factors @ MODEL.cold_start
        MODEL.add_repeats(alone, seen[q:q + 1])
        np.testing.assert_array_equal(block[q], alone)


def test_the_evaluation_scores_a_query_with_its_repeat_term() -> None:
    queries = Queries(["u"], [["i3", "i8"]], [["watch", "watch"]], pd.DataFrame(index=[0]))
    with_term = ModelScorer(MODEL).scores(queries)[0]
    without = ModelScorer(_model()).scores(queries)[0]
    np.testing.assert_allclose(with_term - without, np.where(np.arange(N_ITEMS) == 8, RHO[0], 0)
                               + np.where(np.arange(N_ITEMS) == 3, RHO[1], 0), atol=1e-5)


# -- training learns the sign from the data -----------------------------------------------------
def _sequences(repeat: bool) -> pd.DataFrame:
    """Users walk a ring of 30 items one step at a time; with `repeat`, every other interaction
    takes the item just taken again."""
    rng = np.random.default_rng(1)
    rows = []
    for u in range(300):
        item, t = int(rng.integers(0, 30)), 0
        for step in range(12):
            rows.append((f"u{u}", f"i{item}", t))
            t += 60
            if not (repeat and step % 2 == 0):
                item = (item + 1) % 30
    return pd.DataFrame(rows, columns=["USER_ID", "ITEM_ID", "TIMESTAMP"])


def test_training_learns_to_push_down_items_that_are_never_taken_twice() -> None:
    model = train(_sequences(repeat=False), epochs=20, seed=0)
    assert model.repeat_weights[0] < -0.5


def test_training_learns_to_lift_items_that_are_taken_again() -> None:
    model = train(_sequences(repeat=True), epochs=20, seed=0)
    assert model.repeat_weights[0] > 0.1  # the input vectors' self-link lifts them too


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(1, 12), min_size=1, max_size=5), st.integers(1, 4), st.integers(0, 6))
def test_the_older_snapshot_is_each_users_items_beyond_the_window(lengths: list[int], window: int,
                                                                 extra: int) -> None:
    from scoring.sequences import encode, older_snapshot

    frame = pd.DataFrame([(f"u{u}", f"i{(u * 7 + t) % 20}", t) for u, n in enumerate(lengths)
                          for t in range(n)], columns=["USER_ID", "ITEM_ID", "TIMESTAMP"])
    item_ids = np.asarray([f"i{j}" for j in range(20)])
    seq = encode(frame, item_ids, [""])
    start, items = older_snapshot(seq, window, window + extra)
    for u, n in enumerate(lengths):  # users sort as "u0" < "u1" < ...: lengths stay in order
        newest_first = [(u * 7 + t) % 20 for t in range(n)][::-1]
        assert items[start[u]:start[u + 1]].tolist() == newest_first[window:window + extra]
