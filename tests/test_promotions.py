"""Promotions: slot count, seeded positions, and the runtime's promoted items on the demo campaign."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import scoring
from scoring import arns, promotions

REC = arns.local_arn("campaign", "demo-user-personalization")
POPULAR = arns.local_arn("campaign", "demo-popular-items")
GENRE = arns.local_arn("filter", "genre")
YEARS = arns.local_arn("filter", "recent-years")


def promo(percent: int = 30, genres: str = '"Horror"', **extra: Any) -> list[dict[str, Any]]:
    return [{"name": "spotlight", "percentPromotedItems": percent, "filterArn": GENRE,
             "filterValues": {"GENRES": genres}, **extra}]


@pytest.fixture(scope="module")
def runtime(demo_dir: Path) -> Any:
    return scoring.client("personalize-runtime", demo_dir)


@pytest.mark.parametrize("num, percent, count", [(10, 25, 3), (25, 20, 5), (1, 1, 1), (10, 100, 10), (0, 50, 0)])
def test_promoted_count_rounds_up(num: int, percent: int, count: int) -> None:
    assert promotions.promoted_count(num, percent) == count


@settings(max_examples=100, deadline=None)
@given(st.integers(0, 40), st.integers(0, 40), st.integers(0, 2**63 - 1))
def test_interleave_keeps_both_orders(regular: int, promoted: int, seed: int) -> None:
    a = [("r", i) for i in range(regular)]
    b = [("p", i) for i in range(promoted)]
    merged = promotions.interleave(a, b, seed)
    assert len(merged) == regular + promoted
    assert [x for x in merged if x[0] == "r"] == a and [x for x in merged if x[0] == "p"] == b
    assert merged == promotions.interleave(a, b, seed)


def test_positions_depend_on_the_request() -> None:
    seeds = {promotions.request_seed({"campaignArn": REC, "userId": str(u), "promotions": promo()})
             for u in range(20)}
    layouts = {tuple(promotions.positions(10, 3, s)) for s in seeds}
    assert len(seeds) == 20 and len(layouts) > 1


def test_promoted_items_pass_the_promotion_filter_only(runtime: Any) -> None:
    items = runtime.get_recommendations(campaignArn=REC, userId="1", numResults=12, filterArn=YEARS,
                                        filterValues={"YEAR": "2023"}, promotions=promo(25),
                                        metadataColumns={"ITEMS": ["GENRES", "YEAR"]})["itemList"]
    promoted = [i for i in items if i.get("promotionName") == "spotlight"]
    regular = [i for i in items if "promotionName" not in i]
    assert len(promoted) == 3 and len(regular) == 9
    assert all("Horror" in i["metadata"]["GENRES"].split("|") for i in promoted)
    assert all(int(i["metadata"]["YEAR"]) >= 2023 for i in regular)  # the request filter: regular items only
    assert all(i["reason"] == ["Promoted item"] for i in promoted) and all("reason" not in i for i in regular)
    assert len({i["itemId"] for i in items}) == 12


def test_promoted_items_are_the_best_matching_items_in_order(runtime: Any) -> None:
    horror = runtime.get_recommendations(campaignArn=REC, userId="1", numResults=4, filterArn=GENRE,
                                         filterValues={"GENRES": '"Horror"'})["itemList"]
    items = runtime.get_recommendations(campaignArn=REC, userId="1", numResults=10, promotions=promo(40))["itemList"]
    assert [i["itemId"] for i in items if i.get("promotionName")] == [i["itemId"] for i in horror]


def test_too_few_promotable_items_leave_the_slots_to_regular_items(runtime: Any) -> None:
    items = runtime.get_recommendations(campaignArn=POPULAR, numResults=10,
                                        promotions=promo(50, '"no-such-genre"'))["itemList"]
    plain = runtime.get_recommendations(campaignArn=POPULAR, numResults=10)["itemList"]
    assert items == plain


def test_unknown_users_get_popular_items_beside_promoted_ones(runtime: Any) -> None:
    items = runtime.get_recommendations(campaignArn=REC, userId="nobody-knows-me", numResults=5,
                                        promotions=promo(40))["itemList"]
    reasons = sorted(i["reason"][0] for i in items)
    assert reasons == ["Popular item"] * 3 + ["Promoted item"] * 2


@pytest.mark.parametrize("member", ["name", "percentPromotedItems", "filterArn"])
def test_a_promotion_needs_name_percent_and_filter(runtime: Any, member: str) -> None:
    incomplete = [{k: v for k, v in promo()[0].items() if k != member}]
    with pytest.raises(runtime.exceptions.InvalidInputException, match=f"A promotion needs {member}"):
        runtime.get_recommendations(campaignArn=REC, userId="1", promotions=incomplete)


def test_promotion_limits_are_validated(runtime: Any) -> None:
    with pytest.raises(runtime.exceptions.InvalidInputException, match="percentPromotedItems"):
        runtime.get_recommendations(campaignArn=REC, userId="1", promotions=promo(101))
    with pytest.raises(runtime.exceptions.InvalidInputException, match="promotions.member.name"):
        runtime.get_recommendations(campaignArn=REC, userId="1", promotions=promo(name="-bad name"))
    with pytest.raises(runtime.exceptions.InvalidInputException, match="double-quoted"):
        runtime.get_recommendations(campaignArn=REC, userId="1", promotions=promo(genres="Horror"))
