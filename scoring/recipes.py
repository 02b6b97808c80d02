"""The recipe and use-case registry: one `Recipe` per recipe or domain use case.

Each entry knows its form (which IDs a request takes), its operation, whether responses carry
scores and how the local model orders the catalogue for it, so code asks the entry instead of
comparing recipe-type strings. Adding a recipe is one line here (plus, for a new ordering, its
local implementation in scoring.runtime_client).

The API's `recipeType` field knows only three values, so the type is read from the recipe ARN
(`arn:aws:personalize:::recipe/<name>`), as PERSONALIZE.md advises. Domain use cases
(VIDEO_ON_DEMAND, ECOMMERCE) are recipes too: a recommender's `recipeArn` names one.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

USER_PERSONALIZATION = "USER_PERSONALIZATION"
PERSONALIZED_RANKING = "PERSONALIZED_RANKING"
RELATED_ITEMS = "RELATED_ITEMS"
POPULAR_ITEMS = "POPULAR_ITEMS"

VIDEO_ON_DEMAND = "VIDEO_ON_DEMAND"
ECOMMERCE = "ECOMMERCE"
DOMAINS = (VIDEO_ON_DEMAND, ECOMMERCE)

#: How a request uses an ID: the form shows a required field, an optional one, or none.
REQUIRED = "required"
OPTIONAL = "optional"
ABSENT = "absent"

#: Local orderings of the catalogue (scoring.runtime_client implements each).
BY_USER = "user"              # softmax over the catalogue for w̄_u
BY_INPUT_LIST = "input-list"  # softmax over the request's input list
BY_ITEM = "item"              # cosine neighbours of the request's item
BY_USER_AND_ITEM = "user-and-item"  # w̄_u as if the user had just interacted with the item
BY_POPULARITY = "popularity"  # training interaction counts
BY_TRENDING = "trending"      # interaction counts of the newest part of the data

RECOMMENDATIONS = "get_recommendations"
RANKING = "get_personalized_ranking"


@dataclass(frozen=True)
class FormSpec:
    """Which inputs the console's test panel shows for a recipe, and its button."""

    user: str
    item: str
    needs_item_list: bool
    operation: str
    button: str

    @property
    def needs_user(self) -> bool:
        return self.user == REQUIRED

    @property
    def shows_user(self) -> bool:
        return self.user != ABSENT

    @property
    def needs_item(self) -> bool:
        return self.item == REQUIRED

    @property
    def shows_item(self) -> bool:
        return self.item != ABSENT


@dataclass(frozen=True)
class Recipe:
    """One recipe or domain use case and everything the console and the local model need from it."""

    name: str
    kind: str
    label: str
    scored: bool
    user: str
    item: str
    ordering: str
    domain: str | None = None
    real_time: bool = False
    promotions: bool = True
    #: The event type a popularity use case counts ("Most viewed": View), None for every event.
    event_type: str | None = None

    @property
    def arn(self) -> str:
        return recipe_arn(self.name)

    @property
    def is_use_case(self) -> bool:
        """Domain use cases are served by recommenders (recommenderArn), recipes by campaigns."""
        return self.domain is not None

    @property
    def arn_param(self) -> str:
        return "recommenderArn" if self.is_use_case else "campaignArn"

    @property
    def ranks_input_list(self) -> bool:
        return self.ordering == BY_INPUT_LIST

    @property
    def takes_item(self) -> bool:
        """True when a request names an item (related items, "Because you watched X")."""
        return self.item != ABSENT

    @property
    def seeded_by_item(self) -> bool:
        """True when the item, not the user, decides the list (its analyses iterate over items)."""
        return self.ordering == BY_ITEM

    @property
    def operation(self) -> str:
        return RANKING if self.ranks_input_list else RECOMMENDATIONS

    @property
    def form(self) -> FormSpec:
        button = "Get personalized item rankings" if self.ranks_input_list else "Get recommendations"
        return FormSpec(self.user, self.item, self.ranks_input_list, self.operation, button)


def _recipe(name: str, kind: str, label: str, *, scored: bool, user: str, item: str, ordering: str,
            real_time: bool = False) -> Recipe:
    return Recipe(name, kind, label, scored, user, item, ordering, real_time=real_time)


def _use_case(name: str, domain: str, label: str, *, user: str, item: str, ordering: str,
              real_time: bool = False, promotions: bool = True, event_type: str | None = None) -> Recipe:
    # Domain recommenders return no scores (PERSONALIZE.md); the kind is the nearest recipe type.
    kind = {BY_ITEM: RELATED_ITEMS, BY_POPULARITY: POPULAR_ITEMS,
            BY_TRENDING: POPULAR_ITEMS}.get(ordering, USER_PERSONALIZATION)
    return Recipe(name, kind, label, False, user, item, ordering, domain, real_time, promotions, event_type)


_P, _R, _A = REQUIRED, OPTIONAL, ABSENT

REGISTRY: dict[str, Recipe] = {r.name: r for r in (
    _recipe("aws-user-personalization-v2", USER_PERSONALIZATION, "User-Personalization-v2", scored=True,
            user=_P, item=_A, ordering=BY_USER, real_time=True),
    _recipe("aws-user-personalization", USER_PERSONALIZATION, "User-Personalization", scored=True,
            user=_P, item=_A, ordering=BY_USER, real_time=True),
    _recipe("aws-hrnn", USER_PERSONALIZATION, "HRNN", scored=True, user=_P, item=_A, ordering=BY_USER),
    _recipe("aws-hrnn-metadata", USER_PERSONALIZATION, "HRNN-Metadata", scored=True, user=_P, item=_A,
            ordering=BY_USER),
    _recipe("aws-hrnn-coldstart", USER_PERSONALIZATION, "HRNN-Coldstart", scored=True, user=_P, item=_A,
            ordering=BY_USER),
    _recipe("aws-trending-now", POPULAR_ITEMS, "Trending-Now", scored=False, user=_R, item=_A,
            ordering=BY_TRENDING),
    _recipe("aws-popularity-count", POPULAR_ITEMS, "Popularity-Count", scored=False, user=_R, item=_A,
            ordering=BY_POPULARITY),
    _recipe("aws-personalized-ranking-v2", PERSONALIZED_RANKING, "Personalized-Ranking-v2", scored=True,
            user=_P, item=_A, ordering=BY_INPUT_LIST, real_time=True),
    _recipe("aws-personalized-ranking", PERSONALIZED_RANKING, "Personalized-Ranking", scored=True,
            user=_P, item=_A, ordering=BY_INPUT_LIST, real_time=True),
    _recipe("aws-semantic-similarity", RELATED_ITEMS, "Semantic-Similarity", scored=False, user=_A,
            item=_P, ordering=BY_ITEM),
    _recipe("aws-similar-items", RELATED_ITEMS, "Similar-Items", scored=False, user=_A, item=_P,
            ordering=BY_ITEM),
    _recipe("aws-sims", RELATED_ITEMS, "SIMS", scored=False, user=_A, item=_P, ordering=BY_ITEM),
    # Domain use cases (PERSONALIZE.md, "Domain dataset groups and recommenders").
    _use_case("aws-vod-top-picks", VIDEO_ON_DEMAND, "Top picks for you", user=_P, item=_A,
              ordering=BY_USER, real_time=True),
    _use_case("aws-vod-because-you-watched-x", VIDEO_ON_DEMAND, "Because you watched X", user=_P,
              item=_P, ordering=BY_USER_AND_ITEM),
    _use_case("aws-vod-more-like-x", VIDEO_ON_DEMAND, "More like X", user=_P, item=_P, ordering=BY_ITEM),
    _use_case("aws-vod-most-popular", VIDEO_ON_DEMAND, "Most popular", user=_P, item=_A,
              ordering=BY_POPULARITY),
    _use_case("aws-vod-trending-now", VIDEO_ON_DEMAND, "Trending now", user=_R, item=_A,
              ordering=BY_TRENDING, promotions=False),
    _use_case("aws-ecomm-recommended-for-you", ECOMMERCE, "Recommended for you", user=_P, item=_A,
              ordering=BY_USER, real_time=True),
    _use_case("aws-ecomm-customers-who-viewed-x-also-viewed", ECOMMERCE,
              "Customers who viewed X also viewed", user=_P, item=_P, ordering=BY_ITEM),
    _use_case("aws-ecomm-frequently-bought-together", ECOMMERCE, "Frequently bought together", user=_R,
              item=_P, ordering=BY_ITEM),
    _use_case("aws-ecomm-popular-items-by-views", ECOMMERCE, "Most viewed", user=_P, item=_A,
              ordering=BY_POPULARITY, event_type="View"),
    _use_case("aws-ecomm-popular-items-by-purchases", ECOMMERCE, "Best sellers", user=_P, item=_A,
              ordering=BY_POPULARITY, event_type="Purchase"),
)}


def recipe_arn(name: str) -> str:
    return f"arn:aws:personalize:::recipe/{name}"


def recipe_name(arn: str) -> str:
    return arn.rsplit("/", 1)[-1]


def is_known(name: str) -> bool:
    """True for the recipe and use-case names Amazon Personalize publishes (and the local model emulates)."""
    return name in REGISTRY


@lru_cache(maxsize=1024)  # every request asks its campaign's recipe several times; entries are frozen
def lookup(arn_or_name: str) -> Recipe:
    """The registry entry of a recipe ARN or name; an unknown recipe is read from its name."""
    name = recipe_name(arn_or_name)
    if name in REGISTRY:
        return REGISTRY[name]
    if "ranking" in name:
        like = "aws-personalized-ranking-v2"
    elif "sims" in name or "similar" in name:
        like = "aws-sims"
    elif "popular" in name or "trending" in name:
        like = "aws-popularity-count"
    else:
        like = "aws-user-personalization-v2"
    base = REGISTRY[like]
    return Recipe(name, base.kind, name, base.scored, base.user, base.item, base.ordering)


def use_cases(domain: str) -> list[Recipe]:
    """The use cases of a domain, in the registry's order."""
    return [r for r in REGISTRY.values() if r.domain == domain]


def recipe_type(arn_or_name: str) -> str:
    """USER_PERSONALIZATION, PERSONALIZED_RANKING, RELATED_ITEMS or POPULAR_ITEMS."""
    return lookup(arn_or_name).kind


def api_recipe_type(arn_or_name: str) -> str:
    """The `recipeType` DescribeRecipe gives: the API knows only three (popular items count as USER_PERSONALIZATION)."""
    kind = lookup(arn_or_name).kind
    return USER_PERSONALIZATION if kind == POPULAR_ITEMS else kind


def has_scores(arn_or_name: str) -> bool:
    return lookup(arn_or_name).scored
