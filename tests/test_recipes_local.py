"""The unscored local recipes against slow, obviously correct references on the demo model."""

from __future__ import annotations

from pathlib import Path

import numpy as np

import scoring
from scoring import arns


def test_popular_items_follow_training_counts(demo_dir: Path) -> None:
    runtime = scoring.client("personalize-runtime", demo_dir)
    model = runtime.group.model
    items = runtime.get_recommendations(campaignArn=arns.local_arn("campaign", "demo-popular-items"),
                                        numResults=20)["itemList"]
    counts = [float(model.item_popularity[model.item_rows([i["itemId"]])[0]]) for i in items]
    assert counts == sorted(counts, reverse=True)
    assert counts[0] == float(model.item_popularity.max())


def test_related_items_are_the_nearest_by_cosine(demo_dir: Path) -> None:
    runtime = scoring.client("personalize-runtime", demo_dir)
    model = runtime.group.model
    items = runtime.get_recommendations(campaignArn=arns.local_arn("campaign", "demo-related-items"),
                                        itemId="42", numResults=10)["itemList"]
    vectors = model.item_factors[:, :-1].astype(np.float64)
    target = vectors[model.item_rows(["42"])[0]]
    cosine = [float(v @ target / (np.linalg.norm(v) * np.linalg.norm(target))) for v in vectors]
    reference = [str(model.item_ids[i]) for i in np.argsort(cosine)[::-1] if str(model.item_ids[i]) != "42"][:10]
    assert [i["itemId"] for i in items] == reference


def test_catalogue_scores_are_only_for_scored_recipes(demo_dir: Path) -> None:
    runtime = scoring.client("personalize-runtime", demo_dir)
    assert runtime.catalogue_scores(campaignArn=arns.local_arn("campaign", "demo-popular-items"),
                                    userId="1") is None


def test_a_cold_user_gets_popular_items_shifted_by_context(demo_dir: Path) -> None:
    """Unknown users start from the cold-start vector, and the request's context still moves it."""
    runtime = scoring.client("personalize-runtime", demo_dir)
    campaign = arns.local_arn("campaign", "demo-user-personalization")

    def top(device: str | None) -> list[dict]:
        context = {"DEVICE": device} if device else None
        return runtime.get_recommendations(campaignArn=campaign, userId="never-seen", numResults=10,
                                           **({"context": context} if context else {}))["itemList"]

    plain, phone, tv = top(None), top("mobile phone"), top("smart tv")
    assert all(i["reason"] == ["Popular item"] for i in plain + phone + tv)
    ids = {name: [i["itemId"] for i in items] for name, items in
           {"plain": plain, "phone": phone, "tv": tv}.items()}
    assert ids["phone"] != ids["tv"] and ids["phone"] != ids["plain"]
    # Without context the cold-start ranking is the learned popularity ranking: the most
    # interacted items lead it.
    model = runtime.group.model
    popular = {str(model.item_ids[r]) for r in np.argsort(-model.item_popularity)[:50]}
    assert len(set(ids["plain"]) & popular) >= 5


def test_trending_now_leads_with_the_items_that_grew_most_in_the_newest_week(demo_dir: Path) -> None:
    import pandas as pd

    runtime = scoring.client("personalize-runtime", demo_dir)
    items = runtime.get_recommendations(recommenderArn=arns.local_arn("recommender", "demo-trending-now"),
                                        numResults=5)["itemList"]
    events = pd.read_csv(demo_dir / "interactions.csv", dtype={"ITEM_ID": str})
    newest, week = int(events["TIMESTAMP"].max()), 7 * 86_400
    recent = events.loc[events["TIMESTAMP"] > newest - week, "ITEM_ID"].value_counts()
    before = events.loc[(events["TIMESTAMP"] <= newest - week) & (events["TIMESTAMP"] > newest - 2 * week),
                        "ITEM_ID"].value_counts()
    growth = recent.sub(before, fill_value=0)
    assert [growth.get(i["itemId"], 0) for i in items] == sorted(growth, reverse=True)[:5]


def test_a_popularity_use_case_counts_its_own_event_type(demo_dir: Path) -> None:
    """"Most viewed" counts View events; the demo's "watch" events stand in for them here."""
    import pandas as pd

    group = scoring.client("personalize-runtime", demo_dir).group
    counts = group.popularity("WATCH")
    events = pd.read_csv(demo_dir / "interactions.csv", dtype={"ITEM_ID": str})
    watched = events.loc[events["EVENT_TYPE"] == "watch", "ITEM_ID"].value_counts()
    rows = group.model.item_rows(watched.index.tolist())
    assert counts[rows].tolist() == watched.astype(float).tolist()
    assert group.popularity("no-such-type").tolist() == group.model.item_popularity.astype(float).tolist()
