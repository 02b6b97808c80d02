"""Recipe types and what each one's test form and response look like.

The API's `recipeType` field knows only three values, so the type is read from the recipe ARN
(`arn:aws:personalize:::recipe/<name>`), as PERSONALIZE.md advises.
"""

from __future__ import annotations

from dataclasses import dataclass

USER_PERSONALIZATION = "USER_PERSONALIZATION"
PERSONALIZED_RANKING = "PERSONALIZED_RANKING"
RELATED_ITEMS = "RELATED_ITEMS"
POPULAR_ITEMS = "POPULAR_ITEMS"

_BY_NAME: dict[str, str] = {
    "aws-user-personalization-v2": USER_PERSONALIZATION,
    "aws-user-personalization": USER_PERSONALIZATION,
    "aws-hrnn": USER_PERSONALIZATION,
    "aws-hrnn-metadata": USER_PERSONALIZATION,
    "aws-hrnn-coldstart": USER_PERSONALIZATION,
    "aws-trending-now": POPULAR_ITEMS,
    "aws-popularity-count": POPULAR_ITEMS,
    "aws-personalized-ranking-v2": PERSONALIZED_RANKING,
    "aws-personalized-ranking": PERSONALIZED_RANKING,
    "aws-semantic-similarity": RELATED_ITEMS,
    "aws-similar-items": RELATED_ITEMS,
    "aws-sims": RELATED_ITEMS,
}

#: Recipes whose responses carry no `score`.
_UNSCORED = {"aws-sims", "aws-similar-items", "aws-semantic-similarity", "aws-popularity-count",
             "aws-trending-now"}


def recipe_arn(name: str) -> str:
    return f"arn:aws:personalize:::recipe/{name}"


def recipe_name(arn: str) -> str:
    return arn.rsplit("/", 1)[-1]


def is_known(name: str) -> bool:
    """True for the recipe names Amazon Personalize publishes (and the local model emulates)."""
    return name in _BY_NAME


def recipe_type(arn_or_name: str) -> str:
    """USER_PERSONALIZATION, PERSONALIZED_RANKING, RELATED_ITEMS or POPULAR_ITEMS."""
    name = recipe_name(arn_or_name)
    if name in _BY_NAME:
        return _BY_NAME[name]
    if "ranking" in name:
        return PERSONALIZED_RANKING
    if "sims" in name or "similar" in name:
        return RELATED_ITEMS
    if "popular" in name or "trending" in name:
        return POPULAR_ITEMS
    return USER_PERSONALIZATION


def has_scores(arn_or_name: str) -> bool:
    return recipe_name(arn_or_name) not in _UNSCORED


@dataclass(frozen=True)
class FormSpec:
    """Which inputs the console's test panel shows for a recipe type, and its button."""

    needs_user: bool
    needs_item: bool
    needs_item_list: bool
    operation: str
    button: str


def form_for(kind: str) -> FormSpec:
    if kind == PERSONALIZED_RANKING:
        return FormSpec(True, False, True, "get_personalized_ranking", "Get personalized item rankings")
    if kind == RELATED_ITEMS:
        return FormSpec(False, True, False, "get_recommendations", "Get recommendations")
    if kind == POPULAR_ITEMS:
        return FormSpec(True, False, False, "get_recommendations", "Get recommendations")
    return FormSpec(True, False, False, "get_recommendations", "Get recommendations")
