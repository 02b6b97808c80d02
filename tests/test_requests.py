"""Form inputs -> boto3 request, and the request -> runnable boto3 code."""

from __future__ import annotations

import ast
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scoring import recipes
from scoring.requests import (
    FormInputs,
    RequestError,
    boto3_snippet,
    build_request,
    context_dict,
    parse_item_list,
    suggested_items,
    suggested_user,
)

ARN = "arn:aws:personalize:us-east-1:123456789012:campaign/movies"


RANKING_RECIPE = recipes.lookup("aws-personalized-ranking-v2")
SIMS_RECIPE = recipes.lookup("aws-sims")
POPULAR_RECIPE = recipes.lookup("aws-popularity-count")


def inputs(**kw: Any) -> FormInputs:
    return FormInputs(campaign_arn=ARN, **kw)


# -- item lists ------------------------------------------------------------------------------
@pytest.mark.parametrize("text, expected", [
    ("a,b,c", ["a", "b", "c"]),
    ("a, b ,c", ["a", "b", "c"]),
    ("a\nb\r\nc\n", ["a", "b", "c"]),
    ("a b\tc", ["a", "b", "c"]),
    ("a;b,,c", ["a", "b", "c"]),
    ("a, b, a", ["a", "b"]),
    ("", []),
    (" ,\n ", []),
])
def test_item_lists_split_on_any_separator(text: str, expected: list[str]) -> None:
    assert parse_item_list(text) == expected


@given(st.lists(st.text(alphabet="abcXYZ019-_.", min_size=1, max_size=8), max_size=30),
       st.sampled_from([",", "\n", ", ", " ", ";\n"]))
def test_item_list_round_trip(ids: list[str], separator: str) -> None:
    assert parse_item_list(separator.join(ids)) == list(dict.fromkeys(ids))


# -- context -----------------------------------------------------------------------------------
def test_context_rows_become_a_map_and_blank_rows_are_dropped() -> None:
    rows = [("DEVICE", "mobile phone"), ("", ""), ("LOCATION", " home "), ("SUGGESTED", "")]
    assert context_dict(rows) == {"DEVICE": "mobile phone", "LOCATION": "home"}


@pytest.mark.parametrize("rows, words", [
    ([("DEVICE", "a"), ("DEVICE", "b")], ["DEVICE", "twice"]),
    ([("DEVICE TYPE", "a")], ["DEVICE TYPE", "letters, digits and underscores"]),
    ([("DEVICE-TYPE", "a")], ["DEVICE-TYPE"]),
    ([("", "mobile phone")], ["row 1", "no key"]),
    ([("K" * 151, "v")], ["longer than 150"]),
    ([("DEVICE", "v" * 1001)], ["longer than 1000"]),
])
def test_bad_context_rows_are_named_before_any_call(rows: list[tuple[str, str]], words: list[str]) -> None:
    with pytest.raises(RequestError) as caught:
        context_dict(rows)
    for word in words:
        assert word in caught.value.message


def test_more_than_150_context_keys_is_refused() -> None:
    with pytest.raises(RequestError, match="at most 150"):
        context_dict([(f"K{i}", "v") for i in range(151)])


# -- requests by recipe ----------------------------------------------------------------------
def test_recommendation_request() -> None:
    form = inputs(user_id=" 42 ", context_rows=[("DEVICE", "tablet")], num_results=10)
    method, params = build_request(form)
    assert method == "get_recommendations"
    assert params == {"campaignArn": ARN, "userId": "42", "numResults": 10, "context": {"DEVICE": "tablet"}}


def test_recommendation_request_defaults_to_25_and_no_context() -> None:
    _, params = build_request(inputs(user_id="1", num_results=None))
    assert params == {"campaignArn": ARN, "userId": "1", "numResults": 25}


def test_ranking_request_has_input_list_and_no_num_results() -> None:
    method, params = build_request(inputs(recipe=RANKING_RECIPE, user_id="1",
                                          items_text="10, 20\n30 10", num_results=25))
    assert method == "get_personalized_ranking"
    assert params == {"campaignArn": ARN, "userId": "1", "inputList": ["10", "20", "30"]}


def test_related_items_request_uses_item_id() -> None:
    method, params = build_request(inputs(recipe=SIMS_RECIPE, item_id="105", user_id="ignored"))
    assert method == "get_recommendations"
    assert params == {"campaignArn": ARN, "itemId": "105", "numResults": 25}


def test_popular_items_need_no_user() -> None:
    _, params = build_request(inputs(recipe=POPULAR_RECIPE))
    assert "userId" not in params


@pytest.mark.parametrize("form, words", [
    (inputs(user_id="  "), "Enter a user ID"),
    (inputs(recipe=RANKING_RECIPE, items_text="1,2"), "Enter a user ID"),
    (inputs(recipe=RANKING_RECIPE, user_id="1", items_text=" , "), "at least one item"),
    (inputs(recipe=RANKING_RECIPE, user_id="1", items_text=",".join(map(str, range(501)))),
     "At most 500"),
    (inputs(recipe=SIMS_RECIPE), "Enter an item ID"),
    (inputs(user_id="1", num_results=0), "between 1 and 500"),
    (inputs(user_id="1", num_results=501), "between 1 and 500"),
    (inputs(user_id="u" * 257), "longer than 256"),
    (FormInputs(campaign_arn="", user_id="1"), "Pick a campaign"),
])
def test_missing_or_wrong_fields_raise_a_user_message(form: FormInputs, words: str) -> None:
    with pytest.raises(RequestError, match=words):
        build_request(form)


# -- suggestions -------------------------------------------------------------------------------
class _Model:
    user_ids = ["7", "8"]
    item_ids = [str(i) for i in range(100)]
    item_popularity = [float(100 - i) for i in range(100)]


def test_suggestions_come_from_the_model() -> None:
    assert suggested_user(_Model()) == "7"
    items = suggested_items(_Model(), n=5)
    assert len(items) == 5 and len(set(items)) == 5 and items[0] == "0"
    assert suggested_user(object()) == "" and suggested_items(object()) == []


@given(st.lists(st.sampled_from([0.0, -0.0, 1.0, 2.5, 7.0]), max_size=300), st.integers(1, 12))
def test_suggested_items_spread_over_popularity_then_catalogue_order(popularity: list[float],
                                                                     n: int) -> None:
    class Model:
        item_ids = [f"i{k}" for k in range(len(popularity))]
        item_popularity = popularity

    order = sorted(range(len(popularity)), key=lambda k: (-popularity[k], k))
    step = max(1, len(order) // (4 * n))
    assert suggested_items(Model(), n) == [f"i{k}" for k in order[::step][:n]]


# -- boto3 code ------------------------------------------------------------------------------
def _call_kwargs(code: str) -> tuple[str, dict[str, Any], dict[str, Any]]:
    """(method, request kwargs, client kwargs) found in the snippet's syntax tree."""
    tree = ast.parse(code)
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)]
    request = next(c for c in calls if c.func.attr.startswith("get_"))  # type: ignore[union-attr]
    client = next(c for c in calls if c.func.attr == "client")  # type: ignore[union-attr]
    return (request.func.attr,  # type: ignore[union-attr]
            {k.arg: ast.literal_eval(k.value) for k in request.keywords if k.arg},
            {k.arg: ast.literal_eval(k.value) for k in client.keywords if k.arg})


@pytest.mark.parametrize("method, params", [
    ("get_recommendations", {"campaignArn": ARN, "userId": "1", "numResults": 25,
                             "context": {"DEVICE": "mobile phone", "TIME": "it's \"late\""}}),
    ("get_personalized_ranking",
     {"campaignArn": ARN, "userId": "1", "inputList": [str(i) for i in range(80)]}),
])
def test_snippet_is_valid_python_sending_the_same_request(method: str, params: dict[str, Any]) -> None:
    code = boto3_snippet(method, params, region="eu-west-1")
    found, kwargs, client = _call_kwargs(code)
    assert found == method and kwargs == params
    assert client == {"region_name": "eu-west-1"}
    compile(code, "<snippet>", "exec")


def test_snippet_for_a_profile_and_endpoint_has_no_credentials() -> None:
    code = boto3_snippet("get_recommendations", {"campaignArn": ARN, "userId": "1"},
                         region="us-east-1", profile="prod", endpoint_url="https://example.test")
    assert "boto3.Session(profile_name='prod')" in code
    assert "endpoint_url='https://example.test'" in code
    assert "aws_access_key_id" not in code and "aws_secret_access_key" not in code


def test_local_snippet_targets_the_local_server() -> None:
    code = boto3_snippet("get_recommendations", {"campaignArn": ARN, "userId": "1"}, local=True)
    _, _, client = _call_kwargs(code)
    assert client["endpoint_url"].startswith("http://127.0.0.1")
    assert "python -m scoring.server" in code
    assert "aws_access_key_id" not in code


def test_a_use_case_request_names_the_recommender() -> None:
    recipe = recipes.lookup("aws-vod-because-you-watched-x")
    method, params = build_request(inputs(recipe=recipe, user_id="1", item_id="42"))
    assert method == "get_recommendations"
    assert params["recommenderArn"] == ARN and "campaignArn" not in params
    assert (params["userId"], params["itemId"]) == ("1", "42")


def test_an_item_based_use_case_needs_its_item() -> None:
    with pytest.raises(RequestError, match="Enter an item ID: this recommender"):
        build_request(inputs(recipe=recipes.lookup("aws-vod-more-like-x"), user_id="1"))
