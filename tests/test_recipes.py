"""The recipe and use-case registry: each entry's form, operation, scores and ID kinds."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scoring import recipes
from scoring.requests import FormInputs, RequestError, build_request


@pytest.mark.parametrize("name", sorted(recipes.REGISTRY))
def test_every_entry_is_found_by_its_arn(name: str) -> None:
    assert recipes.lookup(recipes.recipe_arn(name)) is recipes.REGISTRY[name]


def test_ranking_recipes_call_get_personalized_ranking_with_an_item_list() -> None:
    ranking = recipes.lookup("aws-personalized-ranking-v2")
    assert ranking.operation == "get_personalized_ranking" and ranking.form.needs_item_list
    assert ranking.form.button == "Get personalized item rankings"


def test_use_cases_are_served_by_recommenders_without_scores() -> None:
    cases = [r for r in recipes.REGISTRY.values() if r.is_use_case]
    assert {r.domain for r in cases} == {recipes.VIDEO_ON_DEMAND, recipes.ECOMMERCE}
    assert all(r.arn_param == "recommenderArn" and not r.scored for r in cases)
    assert all(r.arn_param == "campaignArn" for r in recipes.REGISTRY.values() if not r.is_use_case)


def test_because_you_watched_x_takes_a_user_and_an_item() -> None:
    form = recipes.lookup("aws-vod-because-you-watched-x").form
    assert form.needs_user and form.needs_item and not form.needs_item_list


def test_trending_now_takes_an_optional_user_and_no_promotion() -> None:
    trending = recipes.lookup("aws-vod-trending-now")
    assert trending.form.shows_user and not trending.form.needs_user and not trending.promotions


def test_the_video_domain_has_five_use_cases_and_ecommerce_five() -> None:
    assert [r.label for r in recipes.use_cases(recipes.VIDEO_ON_DEMAND)] == [
        "Top picks for you", "Because you watched X", "More like X", "Most popular", "Trending now"]
    assert len(recipes.use_cases(recipes.ECOMMERCE)) == 5


@pytest.mark.parametrize(("name", "kind"), [
    ("my-ranking-recipe", recipes.PERSONALIZED_RANKING), ("custom-sims", recipes.RELATED_ITEMS),
    ("trending-thing", recipes.POPULAR_ITEMS), ("something-else", recipes.USER_PERSONALIZATION)])
def test_an_unknown_recipe_is_read_from_its_name(name: str, kind: str) -> None:
    assert recipes.recipe_type(name) == kind and not recipes.is_known(name)


def test_describe_recipe_types_are_the_three_the_api_knows() -> None:
    types = {recipes.api_recipe_type(n) for n in recipes.REGISTRY if not recipes.REGISTRY[n].is_use_case}
    assert types == {recipes.USER_PERSONALIZATION, recipes.PERSONALIZED_RANKING, recipes.RELATED_ITEMS}


# -- property: the form's request takes exactly the IDs its recipe or use case takes ----------------
IDS = st.sampled_from(["", "7", " 42 "])


@given(name=st.sampled_from(sorted(recipes.REGISTRY)), user=IDS, item=IDS)
def test_a_request_names_its_arn_and_only_the_ids_its_form_takes(name: str, user: str, item: str) -> None:
    recipe = recipes.REGISTRY[name]
    inputs = FormInputs(campaign_arn="arn:aws:personalize:us-east-1:1:x/y", recipe=recipe, user_id=user,
                        item_id=item, items_text="1, 2")
    try:
        method, params = build_request(inputs)
    except RequestError:
        assert (recipe.form.needs_user and not user.strip()) or (recipe.form.needs_item and not item.strip())
        return
    assert method == recipe.operation and recipe.arn_param in params
    assert ("userId" in params) == (recipe.form.shows_user and bool(user.strip()))
    assert ("itemId" in params) == (recipe.takes_item and bool(item.strip()))
    assert ("inputList" in params) == recipe.ranks_input_list
