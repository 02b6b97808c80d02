"""Training, Personalize's evaluation protocol and the demo group: the model learns real signal."""

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
from scoring.evaluation import (
    PopularityScorer, Queries, Split, evaluate, popularity_baseline, protocol_description, protocol_split,
)
from scoring.local_group import open_group
from scoring.model import MODEL_FILE, OutdatedModel, SoftmaxModel
from scoring.softmax import top_k
from scoring.training import train

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
def split(demo: Path) -> Split:
    return protocol_split(load_interactions(demo), seed=0)


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
    assert set(model.user_ids) == set(interactions["USER_ID"])  # held-out users too: served from history
    items = load_items(demo)
    assert items is not None and model.item_ids.tolist() == items["ITEM_ID"].tolist()
    assert model.context_values("DEVICE") == ["desktop", "mobile phone", "smart tv", "tablet"]
    assert model.cold_start[-1] == 1 and np.all(model.item_inputs[:, -1] == 0)
    assert np.all(model.context_factors[:, -1] == 0)
    assert sorted(model.event_types.tolist()) == ["click", "watch"]


def test_history_snapshot_is_each_users_latest_interactions(demo: Path, model: SoftmaxModel) -> None:
    interactions = load_interactions(demo)
    user = str(interactions["USER_ID"].value_counts().index[0])  # the most active user
    mine = interactions[interactions["USER_ID"] == user].sort_values("TIMESTAMP", kind="stable")
    newest_first = mine["ITEM_ID"].tolist()[::-1]
    history = model.trained_history(user)  # the window, then older items for the repeat term
    assert len(mine) > model.repeat_window > model.window
    assert model.item_ids[history.items].tolist() == newest_first[: model.repeat_window]
    window = history.events[: model.window]
    assert model.event_types[window].tolist() == mine["EVENT_TYPE"].tolist()[::-1][: model.window]
    assert (history.events[model.window:] == -1).all()  # older items carry no event type


# -- (a) the model beats popularity under Personalize's protocol ----------------------------
def test_stored_protocol_metrics_beat_popularity(model: SoftmaxModel) -> None:
    metrics, baseline = model.meta["metrics"], model.meta["baseline_metrics"]
    assert set(metrics) == METRIC_NAMES and set(baseline) == METRIC_NAMES
    assert all(0.0 <= v <= 1.0 for v in [*metrics.values(), *baseline.values()])
    assert metrics[NDCG10] > 1.3 * baseline[NDCG10]
    assert metrics["mean_reciprocal_rank_at_25"] > 1.2 * baseline["mean_reciprocal_rank_at_25"]
    assert metrics["coverage"] > 5 * baseline["coverage"]  # personal lists, not one list
    assert model.meta["holdout"]["split"] == protocol_description()


def test_retrained_small_model_beats_popularity(demo: Path, split: Split) -> None:
    """Recomputed here (small and fast), so a broken trainer or evaluator fails this test."""
    small = train(split.train, items=load_items(demo), dim=16, epochs=2, seed=1)
    ours = evaluate(small, split)
    popular = popularity_baseline(split, item_ids=small.item_ids)
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
def test_mobile_phone_and_desktop_top10_differ_for_most_users(demo: Path, model: SoftmaxModel) -> None:
    group = open_group(demo)
    users = [str(u) for u in model.user_ids]

    def top10(device: str) -> np.ndarray:
        logits = group.user_vectors(users, {"DEVICE": device})[0] @ model.item_factors.T
        return np.sort(np.argpartition(-logits, 9, axis=1)[:, :10], axis=1)

    differ = np.any(top10("mobile phone") != top10("desktop"), axis=1)  # as sets of items
    assert differ.mean() > 0.5, differ.mean()


# -- (c) unknown users get popular items ---------------------------------------------------
def test_unknown_user_gets_popular_items(model: SoftmaxModel) -> None:
    assert not model.knows_user("no-such-user")
    ranked = top_k(model.logits(model.user_vector("no-such-user")), 10)
    assert ranked.tolist() == top_k(model.item_factors @ model.cold_start, 10).tolist()
    # ... and the cold-start ranking is popularity-shaped: those items are among the most interacted.
    popularity_rank = np.argsort(np.argsort(-model.item_popularity, kind="stable"), kind="stable")
    assert popularity_rank[ranked].max() < 100
    cold = model.item_factors @ model.cold_start
    assert np.corrcoef(cold, np.log1p(model.item_popularity))[0, 1] > 0.7


# -- (d) the file format ---------------------------------------------------------------------
def test_model_round_trips_without_pickle(model: SoftmaxModel, tmp_path: Path) -> None:
    path = tmp_path / MODEL_FILE
    model.save(path)
    with np.load(path, allow_pickle=False) as raw:
        assert all(raw[name].dtype != object for name in raw.files)
    loaded = SoftmaxModel.load(path)
    for name in {**SoftmaxModel._ARRAYS, **SoftmaxModel._OPTIONAL}:
        assert np.array_equal(getattr(loaded, name), getattr(model, name)), name
    assert loaded.meta == model.meta
    assert loaded.item_factors.dtype == np.float32


def test_a_model_from_before_the_encoder_asks_to_be_trained_again(model: SoftmaxModel,
                                                                    tmp_path: Path) -> None:
    path = tmp_path / MODEL_FILE
    np.savez(path, item_ids=model.item_ids, meta=np.asarray(json.dumps({"dim": 32})))
    with pytest.raises(OutdatedModel, match="train the dataset group again"):
        SoftmaxModel.load(path)


def test_training_is_deterministic_for_a_seed(split: Split) -> None:
    sample = split.train[split.train["USER_ID"].astype(int) <= 150]
    a, b = (train(sample, dim=8, epochs=2, seed=3) for _ in range(2))
    c = train(sample, dim=8, epochs=2, seed=4)
    for name in ("item_factors", "item_inputs", "position_weights", "cold_start", "context_factors"):
        assert np.array_equal(getattr(a, name), getattr(b, name)), name
    assert not np.array_equal(a.item_factors, c.item_factors)
    assert a.meta["dim"] == 8 and a.meta["epochs"] == 2 and a.meta["seed"] == 3
    assert np.array_equal(a.item_popularity, sample["ITEM_ID"].value_counts()
                          .reindex(a.item_ids).to_numpy(np.float32))


def test_train_reports_progress_up_to_one(split: Split) -> None:
    """Several times (for a progress bar); never backwards, ending at 1."""
    seen: list[float] = []
    train(split.train.head(5000), dim=4, epochs=3, progress=seen.append)
    assert seen == sorted(seen) and seen[-1] == 1.0
    assert len(seen) > 3


# -- Personalize's protocol --------------------------------------------------------------
def test_protocol_split_takes_a_tenth_of_users_and_their_newest_tenth(demo: Path) -> None:
    interactions = load_interactions(demo)
    split = protocol_split(interactions, seed=5)
    users = interactions["USER_ID"].nunique()
    assert split.queries == round(0.1 * users)
    train_users = set(split.train["USER_ID"])
    assert not train_users & set(split.test_users)
    assert len(split.train) + len(split.inputs) + len(split.held_out) == len(interactions)
    for user, rows in split.held_out.groupby("USER_ID"):
        given = split.inputs[split.inputs["USER_ID"] == user]
        total = len(rows) + len(given)
        assert len(given) == int(np.floor(0.9 * total))
        assert given["TIMESTAMP"].max() <= rows["TIMESTAMP"].min()  # the newest are held out
    again = protocol_split(interactions, seed=5)
    assert again.test_users == split.test_users
    assert protocol_split(interactions, seed=6).test_users != split.test_users


def test_a_test_user_with_one_interaction_is_a_query_without_input() -> None:
    frame = pd.DataFrame({"USER_ID": [str(u) for u in range(10)] + ["0"],
                          "ITEM_ID": list("abcdefghij") + ["k"], "TIMESTAMP": list(range(11))})
    split = protocol_split(frame, seed=0)
    assert split.queries == 1
    (user,) = split.test_users
    expected_inputs = 1 if user == "0" else 0
    assert len(split.inputs) == expected_inputs and len(split.held_out) == 1


class _FixedScorer:
    """Scores per user, independent of history and context: the ranking is known in advance."""

    item_ids = np.array(["a", "b", "c", "d", "e"])
    table: ClassVar[dict[str, list[int]]] = {
        "u1": [5, 4, 3, 2, 1], "u2": [1, 2, 3, 4, 5], "u3": [5, 4, 3, 2, 1]}

    def scores(self, queries: Queries) -> np.ndarray:
        return np.array([self.table[u] for u in queries.user_ids], dtype=np.float64)


def test_metrics_match_a_hand_computed_example() -> None:
    train_df = pd.DataFrame({"USER_ID": ["u9"], "ITEM_ID": ["f"], "TIMESTAMP": [1]})
    inputs = pd.DataFrame({"USER_ID": ["u3"], "ITEM_ID": ["c"], "TIMESTAMP": [2]})
    # u1: relevant c at rank 3. u2 (ranking e d c b a): relevant a at rank 5.
    # u3: two relevant items, a at rank 1 and e at rank 5.
    held = pd.DataFrame({"USER_ID": ["u1", "u2", "u3", "u3"], "ITEM_ID": ["c", "a", "a", "e"],
                         "TIMESTAMP": [9, 9, 9, 9]})
    got = evaluate(_FixedScorer(), Split(train_df, inputs, held), k_values=(1, 3))
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


def test_a_query_is_scored_with_the_context_of_its_first_held_out_interaction() -> None:
    seen: list[dict[str, str]] = []

    class Recorder(_FixedScorer):
        def scores(self, queries: Queries) -> np.ndarray:
            seen.extend(queries.context.to_dict("records"))
            return super().scores(queries)

    held = pd.DataFrame({"USER_ID": ["u1", "u1"], "ITEM_ID": ["a", "e"], "TIMESTAMP": [5, 6],
                         "DEVICE": ["tv", "phone"]})
    empty = held.iloc[:0]
    got = evaluate(Recorder(), Split(empty, empty, held), k_values=(1,))
    assert seen == [{"DEVICE": "tv"}]
    assert got["precision_at_1"] == pytest.approx(1.0)  # a is hit at rank 1


def test_popularity_baseline_ranks_by_training_counts() -> None:
    train_df = pd.DataFrame({"USER_ID": ["1", "2", "3", "1", "2", "1"],
                             "ITEM_ID": ["x", "x", "x", "y", "y", "z"], "TIMESTAMP": [1] * 6})
    scorer = PopularityScorer(train_df)
    assert scorer.item_ids[np.argsort(-scorer.counts, kind="stable")].tolist() == ["x", "y", "z"]
    held = pd.DataFrame({"USER_ID": ["4", "5"], "ITEM_ID": ["x", "z"], "TIMESTAMP": [2, 2]})
    got = popularity_baseline(Split(train_df, held.iloc[:0], held), k_values=(1,))
    assert got["precision_at_1"] == pytest.approx(0.5)
    assert got["mean_reciprocal_rank_at_25"] == pytest.approx((1 + 1 / 3) / 2)


# -- real data: AWS's airline sample, as published ------------------------------------------
AIRLINE = paths.PROJECT_ROOT.parent / "shared" / "data" / "aws-airline-sample"


@pytest.mark.skipif(not AIRLINE.is_dir(), reason="AWS's airline sample lies in ../shared/data beside the project")
def test_real_airline_data_beats_popularity_under_the_protocol() -> None:
    """Real Personalize files (most users have one interaction): history and CABIN_TYPE must both
    count, so the model beats popularity clearly on the same split."""
    interactions = load_interactions(AIRLINE)
    split = protocol_split(interactions, seed=0)
    model = train(split.train, history=interactions, epochs=4, seed=0)
    ours = evaluate(model, split)
    popular = popularity_baseline(split, item_ids=model.item_ids)
    assert ours["mean_reciprocal_rank_at_25"] > 1.3 * popular["mean_reciprocal_rank_at_25"], (ours, popular)
    assert ours[NDCG10] > 1.3 * popular[NDCG10]
    assert "CABIN_TYPE" in model.context_keys()
    # A signed 64-bit ID written as text stays text: "-2996180203100007228" is an item, not a float.
    assert "-2996180203100007228" in set(model.item_ids.tolist())
