"""Recent popularity: window counts on the time grid, learned by training, asked at a moment."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scoring import recency
from scoring.evaluation import ModelScorer, Queries, Split, evaluate
from scoring.model import MODEL_FILE, SoftmaxModel
from scoring.recency import DAY, RecentCounts
from scoring.softmax import top_k
from scoring.training import train


def _brute_force(items: np.ndarray, stamps: np.ndarray, n_items: int, counts: RecentCounts,
                 moment: float) -> np.ndarray:
    """log1p counts per window, straight from the definition: interactions in the completed
    grid steps before the moment's own step, back `window` steps."""
    row = counts.rows(np.array([moment]))[0]
    step_of = np.minimum((stamps - counts.origin) // counts.step, counts.end - 1)
    out = []
    for length in counts.windows:
        inside = (step_of < row) & (step_of >= row - length)
        out.append(np.log1p(np.bincount(items[inside], minlength=n_items)))
    return np.asarray(out, dtype=np.float32)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 4), st.integers(0, 60 * 86_400)), min_size=2, max_size=60),
       st.integers(-5 * 86_400, 70 * 86_400))
def test_window_counts_are_the_completed_steps_before_the_moment(rows: list[tuple[int, int]],
                                                                 moment: int) -> None:
    items = np.array([r[0] for r in rows])
    stamps = np.array([r[1] for r in rows], dtype=np.float64)
    counts = RecentCounts.build(items, stamps, 5)
    if stamps.max() == stamps.min():
        assert counts is None
        return
    assert counts is not None
    got = counts.features(counts.rows(np.array([float(moment)])))[:, 0, :]
    np.testing.assert_allclose(got, _brute_force(items, stamps, 5, counts, moment), rtol=1e-6)


def test_an_interaction_never_counts_itself() -> None:
    counts = RecentCounts.build(np.array([0, 1]), np.array([0.0, 10 * DAY]), 2)
    assert counts is not None
    features = counts.features(counts.rows(np.array([10 * DAY])))
    assert features[:, 0, 1].max() == 0.0  # item 1's own interaction is not before itself
    assert features[0, 0, 0] == pytest.approx(np.log(2))  # item 0, ten days before, in 30 days


def test_a_moment_without_a_time_reads_as_of_the_end() -> None:
    counts = RecentCounts.build(np.array([0, 1, 1]), np.array([0.0, 5 * DAY, 5 * DAY]), 2)
    assert counts is not None
    assert counts.rows(np.array([np.nan]))[0] == counts.end
    last_30_days = counts.features(np.array([counts.end]))[0, 0]
    assert last_30_days.tolist() == pytest.approx([np.log(2), np.log(3)])


def test_no_timestamps_or_one_moment_means_no_trend() -> None:
    assert RecentCounts.build(np.array([0, 1]), np.array([np.nan, np.nan]), 2) is None
    assert RecentCounts.build(np.array([0, 1]), np.array([7.0, 7.0]), 2) is None
    assert RecentCounts.build(np.array([-1, -1]), np.array([1.0, 9e6]), 2) is None


def test_a_long_span_coarsens_the_grid_to_its_memory_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(recency, "MAX_CELLS", 1_000)
    counts = RecentCounts.build(np.arange(100) % 50, np.linspace(0, 3650 * DAY, 100), 50)
    assert counts is not None
    assert counts.table.size <= 1_000
    assert counts.step > DAY
    assert counts.windows.min() >= 1  # a window shorter than a step still reads one step


# -- the model learns it, serves it as of its newest interaction, and is asked at a moment -------
def _shifting_catalogue() -> pd.DataFrame:
    """Users who each take one item: items 0-4 are the fashion of the first 60 days, items 5-9 of
    the next 60; over the whole span every item is equally popular."""
    rng = np.random.default_rng(0)
    rows = []
    for u in range(3_000):
        day = rng.uniform(0, 120)
        item = rng.integers(0, 5) + (5 if day >= 60 else 0)
        rows.append((f"u{u}", f"i{item}", int(day * DAY)))
    return pd.DataFrame(rows, columns=["USER_ID", "ITEM_ID", "TIMESTAMP"])


@pytest.fixture(scope="module")
def fashion_model() -> SoftmaxModel:
    return train(_shifting_catalogue(), epochs=30, seed=0)


def test_training_learns_a_positive_weight_for_recent_popularity(
        fashion_model: SoftmaxModel) -> None:
    weights = fashion_model.meta["recency"]["weights"]
    assert len(weights) == len(recency.WINDOW_DAYS)
    assert min(weights) > 0 and sum(weights) > 0.5


def test_a_new_user_is_served_what_is_popular_as_of_the_newest_interaction(
        fashion_model: SoftmaxModel) -> None:
    top5 = fashion_model.item_ids[top_k(fashion_model.logits(fashion_model.user_vector(None)), 5)]
    assert sorted(top5.tolist()) == [f"i{k}" for k in range(5, 10)]
    newest = _shifting_catalogue()["TIMESTAMP"].max()
    assert fashion_model.meta["recency"]["as_of"] == pytest.approx(newest)


def test_the_evaluation_asks_the_model_at_the_query_moment(fashion_model: SoftmaxModel) -> None:
    frame = _shifting_catalogue()
    split = Split(frame, frame.iloc[:0], frame.iloc[:0])
    scorer = ModelScorer(fashion_model, split)
    early = Queries(["new"], [[]], [[]], pd.DataFrame(index=[0]), np.array([30 * DAY]))
    top5 = fashion_model.item_ids[np.argsort(-scorer.scores(early)[0])[:5]]
    assert sorted(top5.tolist()) == [f"i{k}" for k in range(5)]


def test_time_aware_metrics_beat_the_served_trend_on_a_shifting_catalogue(
        fashion_model: SoftmaxModel) -> None:
    frame = _shifting_catalogue()
    held = pd.DataFrame({"USER_ID": ["a", "b"], "ITEM_ID": ["i1", "i2"],
                         "TIMESTAMP": [int(20 * DAY), int(40 * DAY)]})
    split = Split(frame, held.iloc[:0], held)
    asked_then = evaluate(fashion_model, split, k_values=(5,))
    served = evaluate(ModelScorer(fashion_model), split, k_values=(5,))  # no split: as served
    assert asked_then["precision_at_5"] == pytest.approx(0.2)
    assert served["precision_at_5"] == 0.0


def test_the_trend_survives_a_save_and_an_older_file_reads_as_none(
        fashion_model: SoftmaxModel, tmp_path: Path) -> None:
    path = tmp_path / MODEL_FILE
    fashion_model.save(path)
    loaded = SoftmaxModel.load(path)
    np.testing.assert_array_equal(loaded.item_trend, fashion_model.item_trend)
    assert np.abs(fashion_model.item_trend).max() > 0
    with np.load(path, allow_pickle=False) as raw:
        older = {name: raw[name] for name in raw.files if name != "item_trend"}
    np.savez(path, **older)
    assert not SoftmaxModel.load(path).item_trend.any()


def test_data_without_timestamps_trains_without_a_trend() -> None:
    frame = _shifting_catalogue().drop(columns="TIMESTAMP")
    model = train(frame, epochs=1, seed=0)
    assert "recency" not in model.meta
    assert not model.item_trend.any()
