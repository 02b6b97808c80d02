"""campaigns.json of a local dataset group, built one way for the demo and for a user's own data.

Every group serves one trained model.npz through one solution and campaign per recipe:
user-personalization and personalized-ranking (softmax scores), related items (aws-sims: item
neighbours, no scores) and popularity-count (most interacted items, no scores).

Solution metrics: a user group stores each solution's hold-out metrics in its entry
("metrics"), with the popularity baseline measured on the same split ("baselineMetrics"). The
demo group's campaigns.json predates that and stays byte-identical, so for a solution without
stored metrics they are read from the model's meta by recipe type (`stored_metrics`).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scoring import recipes

USER_PERSONALIZATION_RECIPE = "aws-user-personalization-v2"
PERSONALIZED_RANKING_RECIPE = "aws-personalized-ranking-v2"
SIMS_RECIPE = "aws-sims"
POPULARITY_RECIPE = "aws-popularity-count"

#: (solution suffix, campaign suffix, recipe), in the order the picker lists them.
RECIPES: tuple[tuple[str, str, str], ...] = (
    ("softmax", "user-personalization", USER_PERSONALIZATION_RECIPE),
    ("softmax-ranking", "personalized-ranking", PERSONALIZED_RANKING_RECIPE),
    ("sims", "related-items", SIMS_RECIPE),
    ("popularity-count", "popular-items", POPULARITY_RECIPE),
)

_CAMPAIGN_CONFIG = {"enableMetadataWithRecommendations": False, "syncWithLatestSolutionVersion": False}

Metrics = Mapping[str, float]


def _campaign_config(recipe: str) -> dict[str, Any]:
    """Item metadata with recommendations on the user-personalization campaign, as the demo shows it."""
    config = dict(_CAMPAIGN_CONFIG)
    if recipes.lookup(recipe).ordering == recipes.BY_USER:
        config["enableMetadataWithRecommendations"] = True
    return config


def campaign_name(group: str, recipe: str = USER_PERSONALIZATION_RECIPE) -> str:
    """The name of the group's campaign for `recipe` (e.g. "movies-user-personalization")."""
    return next(f"{group}-{campaign}" for _, campaign, r in RECIPES if r == recipe)


def solutions_and_campaigns(group: str, trained_at: int, *, metrics: Metrics | None = None,
                            baseline: Metrics | None = None) -> dict[str, list[dict[str, Any]]]:
    """The "solutions" and "campaigns" lists: one of each per recipe, named after the group.

    With `metrics` (the softmax model's hold-out metrics) and `baseline` (popularity on the
    same split), each solution stores what GetSolutionMetrics answers for it: the model's
    metrics for the two softmax recipes, the baseline's for popularity-count (that recipe *is*
    the baseline), none for SIMS (the hold-out predicts a user's next item, not an item's
    neighbours).
    """
    solutions: list[dict[str, Any]] = []
    campaigns: list[dict[str, Any]] = []
    for solution_suffix, campaign_suffix, recipe in RECIPES:
        solution = f"{group}-{solution_suffix}"
        entry: dict[str, Any] = {"name": solution, "recipe": recipe, "trainedAt": trained_at}
        if metrics is not None:
            info = recipes.lookup(recipe)
            if info.ordering == recipes.BY_POPULARITY and baseline is not None:
                entry["metrics"] = dict(baseline)
            elif info.scored:
                entry["metrics"] = dict(metrics)
                if baseline is not None:
                    entry["baselineMetrics"] = dict(baseline)
        solutions.append(entry)
        campaigns.append({"name": f"{group}-{campaign_suffix}", "solution": solution,
                          "recipe": recipe, "minProvisionedTPS": 1,
                          "campaignConfig": _campaign_config(recipe)})
    return {"solutions": solutions, "campaigns": campaigns}


def campaigns_config(group: str, created_at: int, trained_at: int, *,
                     metrics: Metrics | None = None, baseline: Metrics | None = None,
                     source: Mapping[str, Any] | None = None, domain: str | None = None) -> dict[str, Any]:
    """campaigns.json of a user's dataset group: no filters yet, one event tracker, metrics per
    solution; a domain group (VIDEO_ON_DEMAND, ECOMMERCE) also gets its domain's recommenders."""
    dataset_group: dict[str, Any] = {"name": group, "createdAt": created_at}
    if source:
        dataset_group["source"] = dict(source)
    if domain:
        dataset_group["domain"] = domain
    return {
        "datasetGroup": dataset_group,
        **solutions_and_campaigns(group, trained_at, metrics=metrics, baseline=baseline),
        **({"recommenders": recommenders(group, domain)} if domain else {}),
        "filters": [],
        "eventTrackers": [event_tracker(group, created_at)],
    }


@dataclass(frozen=True)
class StoredMetrics:
    """What GetSolutionMetrics answers for a solution, and the popularity baseline beside it."""

    metrics: dict[str, float] = field(default_factory=dict)
    baseline: dict[str, float] | None = None


def stored_metrics(solution: Mapping[str, Any] | None, recipe: str,
                   model_meta: Mapping[str, Any]) -> StoredMetrics:
    """A solution's metrics: its campaigns.json entry's, else the model meta's by recipe type."""
    def floats(values: Any) -> dict[str, float]:
        return {str(k): float(v) for k, v in dict(values or {}).items()}

    if solution is not None and "metrics" in solution:
        base = solution.get("baselineMetrics")
        return StoredMetrics(floats(solution["metrics"]), floats(base) if base else None)
    info = recipes.lookup(recipe)
    baseline = model_meta.get("baseline_metrics")
    if info.ordering == recipes.BY_POPULARITY:
        return StoredMetrics(floats(baseline))
    if not info.scored:
        return StoredMetrics()
    return StoredMetrics(floats(model_meta.get("metrics")), floats(baseline) if baseline else None)


def recommender_metrics(recipe: str, model_meta: Mapping[str, Any]) -> dict[str, float]:
    """DescribeRecommender's modelMetrics: what the served model measured for the use case's
    ordering (the softmax model's for user-based ones, popularity's for popular ones, none for
    item-based ones, which the hold-out of a user's next items does not measure)."""
    ordering = recipes.lookup(recipe).ordering
    key = {recipes.BY_USER: "metrics", recipes.BY_POPULARITY: "baseline_metrics"}.get(ordering)
    return {str(k): float(v) for k, v in dict(model_meta.get(key) or {}).items()} if key else {}


#: (recommender suffix, use case) of each domain's recommenders, in the order the picker lists them.
RECOMMENDERS: dict[str, tuple[tuple[str, str], ...]] = {
    recipes.VIDEO_ON_DEMAND: (
        ("top-picks", "aws-vod-top-picks"),
        ("because-you-watched-x", "aws-vod-because-you-watched-x"),
        ("more-like-x", "aws-vod-more-like-x"),
        ("most-popular", "aws-vod-most-popular"),
        ("trending-now", "aws-vod-trending-now"),
    ),
    recipes.ECOMMERCE: (
        ("recommended-for-you", "aws-ecomm-recommended-for-you"),
        ("customers-who-viewed-x", "aws-ecomm-customers-who-viewed-x-also-viewed"),
        ("frequently-bought-together", "aws-ecomm-frequently-bought-together"),
        ("most-viewed", "aws-ecomm-popular-items-by-views"),
        ("best-sellers", "aws-ecomm-popular-items-by-purchases"),
    ),
}


def recommenders(group: str, domain: str | None) -> list[dict[str, Any]]:
    """The "recommenders" list of a domain dataset group: one per use case of the domain."""
    if domain is None:
        return []
    if domain not in RECOMMENDERS:
        raise ValueError(f"Unknown domain {domain!r}: use one of {', '.join(RECOMMENDERS)}.")
    config = {"minRecommendationRequestsPerSecond": 1, "enableMetadataWithRecommendations": False}
    return [{"name": f"{group}-{suffix}", "recipe": recipe, "recommenderConfig": dict(config)}
            for suffix, recipe in RECOMMENDERS[domain]]


def event_tracker(group: str, created_at: int) -> dict[str, Any]:
    """A group's default event tracker: ACTIVE at once, its trackingId fixed by the group's name."""
    tracking_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"personalize-console/{group}/event-tracker"))
    return {"name": f"{group}-event-tracker", "trackingId": tracking_id, "createdAt": created_at}


def write_text(path: Path, text: str) -> None:
    """Atomic write: a reader sees the old file or the new one, never half of one."""
    write_bytes(path, text.encode("utf-8"))


def write_bytes(path: Path, data: bytes) -> None:
    """Atomic write of bytes (see write_text)."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    tmp.replace(path)
