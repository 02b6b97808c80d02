"""Training, evaluation and the demo group: the model learns real signal, context matters."""

from __future__ import annotations

import json
from pathlib import Path
from typing import ClassVar

import numpy as np
import pandas as pd
import pytest

from scoring import paths
from scoring.dataset import load_interactions, load_items
from scoring.demo import REQUIRED_FILES, ensure_demo
from scoring.evaluation import PopularityScorer, evaluate, holdout_last, popularity_baseline
from scoring.model import MODEL_FILE, SoftmaxModel
from scoring.softmax import top_k
from scoring.train import train

NDCG10 = "normalized_discounted_cumulative_gain_at_10"
METRIC_NAMES = {
    "coverage", "mean_reciprocal_rank_at_25",
    "normalized_discounted_cumulative_gain_at_5", NDCG10,
    "normalized_discounted_cumulative_gain_at_25",
    "precision_at_5", "precision_at_10", "precision_at_25",
}


@pytest.fixture(scope="session")
def demo() -> Path:
    """The real demo group, built once per session (ensure_demo locks against other workers)."""
    return ensure_demo()


@pytest.fixture(scope="session")
def model(demo: Path) -> SoftmaxModel:
    return SoftmaxModel.load(demo / MODEL_FILE)


@pytest.fixture(scope="session")
def split(demo: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    return holdout_last(load_interactions(demo))


# -- the demo group -------------------------------------------------------------------------
def test_demo_group_has_every_file_and_the_campaigns(demo: Path) -> None:
    assert all((demo / name).is_file() for name in REQUIRED_FILES)
    config = json.loads((demo / paths.CAMPAIGNS_FILE).read_text())
    assert config["datasetGroup"]["name"] == "demo"
    assert isinstance(config["datasetGroup"]["createdAt"], int)
    assert [(s["name"], s["recipe"]) for s in config["solutions"]] == [
        ("demo-softmax", "aws-user-personalization-v2"),
        ("demo-softmax-ranking", "aws-personalized-ranking-v2"),
        ("demo-sims", "aws-sims"), ("demo-popularity-count", "aws-popularity-count")]
    assert [(c["name"], c["solution"], c["recipe"]) for c in config["campaigns"]] == [
        ("demo-user-personalization", "demo-softmax", "aws-user-personalization-v2"),
        ("demo-personalized-ranking", "demo-softmax-ranking", "aws-personalized-ranking-v2"),
        ("demo-related-items", "demo-sims", "aws-sims"),
        ("demo-popular-items", "demo-popularity-count", "aws-popularity-count")]
    for campaign in config["campaigns"]:
        assert campaign["minProvisionedTPS"] == 1
        metadata = campaign["name"] == "demo-user-personalization"  # the one campaign that returns metadata
        assert campaign["campaignConfig"] == {"enableMetadataWithRecommendations": metadata,
                                              "syncWithLatestSolutionVersion": False}
    assert [f["name"] for f in config["filters"]] == ["exclude-watched", "genre", "recent-years"]
    # Derived from the data, not the clock: the day after the last interaction.
    last = int(load_interactions(demo)["TIMESTAMP"].max())
    assert config["datasetGroup"]["createdAt"] == last + 86_400


def test_ensure_demo_is_a_no_op_when_complete(demo: Path) -> None:
    before = {name: (demo / name).stat().st_mtime_ns for name in REQUIRED_FILES}
    assert ensure_demo(demo) == demo
    assert {name: (demo / name).stat().st_mtime_ns for name in REQUIRED_FILES} == before


def test_served_model_knows_every_user_item_and_device(demo: Path, model: SoftmaxModel) -> None:
    interactions = load_interactions(demo)
    assert set(model.user_ids) == set(interactions["USER_ID"])
    items = load_items(demo)
    assert items is not None and model.item_ids.tolist() == items["ITEM_ID"].tolist()
    assert model.context_values("DEVICE") == ["desktop", "mobile phone", "smart tv", "tablet"]
    assert np.all(model.user_factors[:, -1] == 1) and np.all(model.context_factors[:, -1] == 0)


# -- (a) the model beats popularity on the held-out last interaction -----------------------
def test_stored_holdout_metrics_beat_popularity(model: SoftmaxModel) -> None:
    metrics, baseline = model.meta["metrics"], model.meta["baseline_metrics"]
    assert set(metrics) == METRIC_NAMES and set(baseline) == METRIC_NAMES
    assert all(0.0 <= v <= 1.0 for v in [*metrics.values(), *baseline.values()])
    assert metrics[NDCG10] > 1.3 * baseline[NDCG10]
    assert metrics["mean_reciprocal_rank_at_25"] > baseline["mean_reciprocal_rank_at_25"]
    assert metrics["coverage"] > 5 * baseline["coverage"]  # personal lists, not one list


def test_retrained_small_model_beats_popularity(demo: Path,
                                                split: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    """Recomputed here (small and fast), so a broken trainer or evaluator fails this test."""
    train_df, test_df = split
    small = train(train_df, items=load_items(demo), dim=16, epochs=3, seed=1)
    ours = evaluate(small, train_df, test_df)
    popular = popularity_baseline(train_df, test_df, item_ids=small.item_ids)
    assert ours[NDCG10] > 1.3 * popular[NDCG10], (ours, popular)
    assert ours["precision_at_10"] > popular["precision_at_10"]


def test_context_vectors_recover_the_true_device_effect(demo: Path, model: SoftmaxModel) -> None:
    """Ground truth: mobile phone favours comedy and animation, desktop sci-fi and thriller."""
    items = load_items(demo)
    assert items is not None
    genres = items.set_index("ITEM_ID").loc[model.item_ids, "GENRES"].str.split("|")
    shift = model.logits(model.user_vector(None, {"DEVICE": "mobile phone"})) \
        - model.logits(model.user_vector(None, {"DEVICE": "desktop"}))
    mobile_like = genres.map(lambda g: bool({"Comedy", "Animation"} & set(g))
                             and not {"Sci-Fi", "Thriller"} & set(g)).to_numpy()
    desktop_like = genres.map(lambda g: bool({"Sci-Fi", "Thriller"} & set(g))
                              and not {"Comedy", "Animation"} & set(g)).to_numpy()
    assert shift[mobile_like].mean() > shift[desktop_like].mean() + 1.0


# -- (b) context changes the ranking -------------------------------------------------------
def test_mobile_phone_and_desktop_top10_differ_for_most_users(model: SoftmaxModel) -> None:
    def top10(device: str) -> np.ndarray:
        c = model.context_names.tolist().index(f"DEVICE={device}")
        logits = (model.user_factors + model.context_factors[c]) @ model.item_factors.T
        return np.sort(np.argpartition(-logits, 9, axis=1)[:, :10], axis=1)

    differ = np.any(top10("mobile phone") != top10("desktop"), axis=1)  # as sets of items
    assert differ.mean() > 0.5, differ.mean()


# -- (c) unknown users get popular items ---------------------------------------------------
def test_unknown_user_gets_the_highest_bias_items(model: SoftmaxModel) -> None:
    assert not model.knows_user("no-such-user")
    ranked = top_k(model.logits(model.user_vector("no-such-user")), 10)
    bias = model.item_factors[:, -1]
    assert ranked.tolist() == top_k(bias, 10).tolist()
    # ... and the biases are popularity-shaped: those items are among the most interacted.
    popularity_rank = np.argsort(np.argsort(-model.item_popularity, kind="stable"), kind="stable")
    assert popularity_rank[ranked].max() < 50
    assert np.corrcoef(bias, np.log1p(model.item_popularity))[0, 1] > 0.8


# -- (d) the file format ---------------------------------------------------------------------
def test_model_round_trips_without_pickle(model: SoftmaxModel, tmp_path: Path) -> None:
    path = tmp_path / MODEL_FILE
    model.save(path)
    with np.load(path, allow_pickle=False) as raw:
        assert all(raw[name].dtype != object for name in raw.files)
    loaded = SoftmaxModel.load(path)
    for name in ("item_ids", "item_factors", "user_ids", "user_factors", "context_names",
                 "context_factors", "item_popularity"):
        assert np.array_equal(getattr(loaded, name), getattr(model, name)), name
    assert loaded.meta == model.meta
    assert loaded.item_factors.dtype == np.float32


def test_training_is_deterministic_for_a_seed(split: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    sample = split[0][split[0]["USER_ID"].astype(int) <= 150]
    a, b = (train(sample, dim=8, epochs=2, seed=3) for _ in range(2))
    c = train(sample, dim=8, epochs=2, seed=4)
    assert np.array_equal(a.item_factors, b.item_factors)
    assert np.array_equal(a.user_factors, b.user_factors)
    assert np.array_equal(a.context_factors, b.context_factors)
    assert not np.array_equal(a.item_factors, c.item_factors)
    assert a.meta["dims"] == 8 and a.meta["epochs"] == 2 and a.meta["seed"] == 3
    assert np.array_equal(a.item_popularity, sample["ITEM_ID"].value_counts()
                          .reindex(a.item_ids).to_numpy(np.float32))


def test_train_reports_progress_up_to_one(split: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    """Per step (for a progress bar) and at each epoch's end; never backwards, ending at 1."""
    seen: list[float] = []
    train(split[0].head(2000), dim=4, epochs=3, batch_size=256, progress=seen.append)
    assert seen == sorted(seen) and seen[-1] == 1.0
    assert all(any(abs(f - e) < 1e-9 for f in seen) for e in (1 / 3, 2 / 3))
    assert len(seen) > 3 * 2  # finer than one report per epoch


# -- evaluation against a hand-computed example ---------------------------------------------
class _FixedScorer:
    """Scores per user, independent of context: the ranking is fully known in advance."""

    item_ids = np.array(["a", "b", "c", "d", "e"])
    table: ClassVar[dict[str, list[int]]] = {
        "u1": [5, 4, 3, 2, 1], "u2": [1, 2, 3, 4, 5], "u3": [5, 4, 3, 2, 1]}

    def scores(self, queries: pd.DataFrame) -> np.ndarray:
        return np.array([self.table[u] for u in queries["USER_ID"]], dtype=np.float64)


def test_metrics_match_a_hand_computed_example() -> None:
    train_df = pd.DataFrame({"USER_ID": ["u1", "u2", "u3", "u3"], "ITEM_ID": ["a", "b", "f", "c"],
                             "TIMESTAMP": [1, 1, 1, 2], "DEVICE": ["tv"] * 4})
    # u1: relevant c at rank 3. u2 (ranking e d c b a): relevant a at rank 5.
    # u3: one query (same context) with two relevant items, a at rank 1 and e at rank 5.
    test_df = pd.DataFrame({"USER_ID": ["u1", "u2", "u3", "u3"], "ITEM_ID": ["c", "a", "a", "e"],
                            "TIMESTAMP": [9, 9, 9, 9], "DEVICE": ["tv"] * 4})
    got = evaluate(_FixedScorer(), train_df, test_df, k_values=(1, 3))
    ideal_two = 1 + 1 / np.log2(3)
    assert got == pytest.approx({
        "coverage": 5 / 6,  # every scored item is recommended; "f" exists but is never scored
        "mean_reciprocal_rank_at_25": (1 / 3 + 1 / 5 + 1) / 3,
        "normalized_discounted_cumulative_gain_at_1": (0 + 0 + 1) / 3,
        "normalized_discounted_cumulative_gain_at_3": (1 / np.log2(4) + 0 + 1 / ideal_two) / 3,
        "precision_at_1": (0 + 0 + 1) / 3,
        "precision_at_3": (1 / 3 + 0 + 1 / 3) / 3,
    })
    assert list(got) == ["coverage", "mean_reciprocal_rank_at_25",
                         "normalized_discounted_cumulative_gain_at_1",
                         "normalized_discounted_cumulative_gain_at_3",
                         "precision_at_1", "precision_at_3"]


def test_each_context_is_its_own_query() -> None:
    """The same user on two devices is two queries, each scored with its own context."""
    test_df = pd.DataFrame({"USER_ID": ["u1", "u1"], "ITEM_ID": ["a", "e"], "TIMESTAMP": [5, 6],
                            "DEVICE": ["tv", "phone"]})
    got = evaluate(_FixedScorer(), test_df, test_df, k_values=(1,))
    assert got["precision_at_1"] == pytest.approx(0.5)  # a is hit at rank 1, e is not


def test_popularity_baseline_ranks_by_training_counts() -> None:
    train_df = pd.DataFrame({"USER_ID": ["1", "2", "3", "1", "2", "1"],
                             "ITEM_ID": ["x", "x", "x", "y", "y", "z"], "TIMESTAMP": [1] * 6})
    scorer = PopularityScorer(train_df)
    assert scorer.item_ids[np.argsort(-scorer.counts, kind="stable")].tolist() == ["x", "y", "z"]
    test_df = pd.DataFrame({"USER_ID": ["4", "5"], "ITEM_ID": ["x", "z"], "TIMESTAMP": [2, 2]})
    got = popularity_baseline(train_df, test_df, k_values=(1,))
    assert got["precision_at_1"] == pytest.approx(0.5)
    assert got["mean_reciprocal_rank_at_25"] == pytest.approx((1 + 1 / 3) / 2)


def test_holdout_last_takes_each_users_latest_interaction() -> None:
    frame = pd.DataFrame({"USER_ID": ["1", "1", "1", "2", "3", "3"],
                          "ITEM_ID": ["a", "b", "c", "d", "e", "f"],
                          "TIMESTAMP": [30, 10, 20, 5, 7, 7]})
    train_df, test_df = holdout_last(frame)
    assert test_df[["USER_ID", "ITEM_ID"]].values.tolist() == [["1", "a"], ["3", "f"]]
    # user 2 has a single interaction: it stays in training, so the model still knows them.
    assert sorted(train_df["ITEM_ID"]) == ["b", "c", "d", "e"]
