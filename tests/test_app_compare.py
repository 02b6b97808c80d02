"""The Compare page under AppTest: the demo's device comparison, other recipes, mistakes, live AWS."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

import scoring
from scoring import arns, compare
from tests.app_support import (
    on_page,
    LIVE_ARN,
    LIVE_GROUP,
    LiveAws,
    errors_of,
    new_app,
    rendered,
)

REC = arns.local_arn("campaign", "demo-user-personalization")
POPULAR = arns.local_arn("campaign", "demo-popular-items")
RELATED = arns.local_arn("campaign", "demo-related-items")
PAGE = "pages/compare.py"
FILTER_ARN = "arn:aws:personalize:us-east-1:123456789012:filter/genres"


def open_page(at: AppTest) -> AppTest:
    return on_page(PAGE, at)


def metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label.startswith(label))


def local_ids(**params: object) -> list[str]:
    runtime = scoring.client("personalize-runtime")
    return [i["itemId"] for i in runtime.get_recommendations(**params)["itemList"]]


# -- local demo ---------------------------------------------------------------------------------------
def test_opens_comparing_the_same_user_on_two_devices(demo_dir: Path) -> None:
    at = open_page(new_app())
    assert not at.exception and not errors_of(at)
    assert at.selectbox(key="cmp_a_campaign").value == REC == at.selectbox(key="cmp_b_campaign").value
    assert at.text_input(key="cmp_a_user").value == "1" == at.text_input(key="cmp_b_user").value
    assert at.text_input(key="cmp_a_ctx_val_0").value == "mobile phone"
    assert at.text_input(key="cmp_b_ctx_val_0").value == "smart tv"

    # The metrics are those of the two lists the local client gives for these requests.
    phone = local_ids(campaignArn=REC, userId="1", numResults=25, context={"DEVICE": "mobile phone"})
    tv = local_ids(campaignArn=REC, userId="1", numResults=25, context={"DEVICE": "smart tv"})
    expected = compare.agreement(phone, tv)
    assert metric(at, "Overlap@10") == f"{expected.overlap[10]:.2f}"
    assert metric(at, "RBO") == f"{expected.rbo:.3f}"
    assert 0 < expected.overlap[25] < 1  # type: ignore[operator]  (the acceptance scenario: partial overlap)
    list_a, list_b = at.dataframe[0].value, at.dataframe[1].value
    assert list_a["Item ID"].tolist() == phone and list_b["Item ID"].tolist() == tv
    assert list_a["Rank in B"].tolist() == [str(tv.index(i) + 1) if i in tv else "—" for i in phone]

    (chart,) = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    names = [t.get("name", "") for t in chart["data"]]
    only_a = len(set(phone) - set(tv))
    assert f"only in A ({only_a})" in names and f"only in B ({only_a})" in names
    assert any("DEVICE=smart tv" in a["text"] for a in chart["layout"]["annotations"])


def test_a_changed_request_is_compared_when_the_button_is_pressed(demo_dir: Path) -> None:
    at = open_page(new_app())
    at.text_input(key="cmp_b_ctx_val_0").input("mobile phone")
    at.number_input(key="cmp_num_results").set_value(10)
    at.button(key="cmp_submit").click().run()
    assert not at.exception and not errors_of(at)
    assert metric(at, "Overlap@10") == "100%" and metric(at, "RBO") == "1.000"
    assert metric(at, "Overlap@25") == "—"  # lists of 10 have no top 25
    assert len(at.dataframe[0].value) == 10


def test_campaign_against_campaign_with_an_unscored_recipe(demo_dir: Path) -> None:
    at = open_page(new_app())
    at.selectbox(key="cmp_b_campaign").set_value(POPULAR).run()
    at.button(key="cmp_submit").click().run()
    assert not at.exception and not errors_of(at)
    assert any("returns no scores" in c.value for c in at.caption)
    assert at.dataframe[1].value["Item ID"].tolist() == local_ids(campaignArn=POPULAR, numResults=25)


def test_a_related_items_side_asks_for_an_item(demo_dir: Path) -> None:
    at = open_page(new_app())
    at.selectbox(key="cmp_b_campaign").set_value(RELATED).run()
    assert at.text_input(key="cmp_b_item").value  # pre-filled from the demo's items
    at.text_input(key="cmp_b_item").input("").run()
    at.button(key="cmp_submit").click().run()
    assert not at.exception
    assert any("Request B: Enter an item ID" in e for e in errors_of(at))


def test_a_missing_user_is_named_with_its_side(demo_dir: Path) -> None:
    at = open_page(new_app())
    at.text_input(key="cmp_a_user").input("   ")
    at.button(key="cmp_submit").click().run()
    assert not at.exception
    assert errors_of(at) == ["Request A: Enter a user ID: this campaign personalizes for one user."]
    assert not at.metric  # the last comparison is not shown beside a request that cannot run


# -- live AWS (stubbed) ----------------------------------------------------------------------------
def _predicted(ids: list[str]) -> dict[str, object]:
    return {"itemList": [{"itemId": i, "score": round(0.2 / (k + 1), 6)} for k, i in enumerate(ids)],
            "recommendationId": "RID-1"}


def test_live_sides_pass_their_filter_through(live_aws: LiveAws) -> None:
    live_aws.queue_campaign()
    stub = live_aws.control_stub
    stub.add_response("list_filters", {"Filters": [
        {"name": "genres", "filterArn": FILTER_ARN, "datasetGroupArn": LIVE_GROUP, "status": "ACTIVE"}]},
        {"datasetGroupArn": LIVE_GROUP, "maxResults": 100})
    stub.add_response("describe_filter", {"filter": {
        "name": "genres", "filterArn": FILTER_ARN, "datasetGroupArn": LIVE_GROUP,
        "filterExpression": "INCLUDE ItemID WHERE Items.GENRES IN ($GENRES)", "status": "ACTIVE"}},
        {"filterArn": FILTER_ARN})
    runtime = live_aws.runtime_stub
    runtime.add_response("get_recommendations", _predicted(["1", "2", "3", "4", "5", "6"]), {
        "campaignArn": LIVE_ARN, "userId": "u1", "numResults": 25, "filterArn": FILTER_ARN,
        "filterValues": {"GENRES": '"Comedy","Drama"'}})
    runtime.add_response("get_recommendations", _predicted(["1", "3", "2", "7", "8", "9"]), {
        "campaignArn": LIVE_ARN, "userId": "u1", "numResults": 25})

    at = new_app()
    at.query_params["source"] = "aws"  # open the console on AWS
    open_page(at)
    assert not at.exception and not errors_of(at)
    assert at.info and "press **Compare**" in at.info[-1].value  # live calls wait for the button
    at.selectbox(key="cmp_a_filter").set_value(FILTER_ARN).run()
    at.text_input(key="cmp_a_fp_GENRES").input("Comedy, Drama")
    at.text_input(key="cmp_a_user").input("u1")
    at.text_input(key="cmp_b_user").input("u1")
    at.button(key="cmp_submit").click().run()
    assert not at.exception and not errors_of(at)
    assert metric(at, "Overlap@5") == "0.60" and metric(at, "Overlap@10") == "—"
    assert metric(at, "Jaccard") == f"{3 / 9:.2f}"
    assert at.markdown and any("filter genres" in m.value and "live" in m.value for m in at.markdown)
    runtime.assert_no_pending_responses()


def test_a_live_failure_names_its_side(live_aws: LiveAws) -> None:
    live_aws.queue_campaign()
    live_aws.control_stub.add_response("list_filters", {"Filters": []})
    live_aws.runtime_stub.add_response("get_recommendations", _predicted(["1", "2"]))
    live_aws.runtime_stub.add_client_error("get_recommendations", "ResourceNotFoundException",
                                           "Campaign not found.", http_status_code=404)
    at = new_app()
    at.query_params["source"] = "aws"  # open the console on AWS
    open_page(at)
    at.text_input(key="cmp_a_user").input("u1")
    at.text_input(key="cmp_b_user").input("u1")
    at.button(key="cmp_submit").click().run()
    assert not at.exception
    (message,) = errors_of(at)
    assert message.startswith("Request B failed.") and "ResourceNotFoundException" in message
    assert not at.metric


@pytest.mark.parametrize("side", ["a", "b"])
def test_a_live_side_can_switch_to_the_local_demo(live_aws: LiveAws, demo_dir: Path, side: str) -> None:
    live_aws.queue_campaign()
    live_aws.control_stub.add_response("list_filters", {"Filters": []})
    live_aws.runtime_stub.add_response("get_recommendations", _predicted(["1", "2", "3"]))
    at = new_app()
    at.query_params["source"] = "aws"  # open the console on AWS
    open_page(at)
    at.button_group(key=f"cmp_{side}_source").set_value("local").run()
    assert not at.exception and not errors_of(at)
    assert at.selectbox(key=f"cmp_{side}_campaign").value == REC
    at.text_input(key="cmp_a_user").input("1")
    at.text_input(key="cmp_b_user").input("1")
    at.button(key="cmp_submit").click().run()
    assert not at.exception and not errors_of(at)
    local = at.dataframe[0 if side == "a" else 1].value
    assert "Item" in local and local["Item"].str.contains(r"\(", regex=True).all()  # titles: local metadata


def test_one_campaign_at_exploration_weight_zero_against_point_three(demo_dir: Path) -> None:
    at = open_page(new_app())
    for side in ("a", "b"):
        at.text_input(key=f"cmp_{side}_ctx_val_0").input("mobile phone")
        at.toggle(key=f"cmp_{side}_explore_on").set_value(True).run()
    assert at.slider(key="cmp_a_explore_weight").value == 0.0
    assert at.slider(key="cmp_b_explore_weight").value == pytest.approx(0.3)
    cutoff = at.number_input(key="cmp_b_explore_age").value
    at.button(key="cmp_submit").click().run()
    assert not at.exception and not errors_of(at)
    list_a, list_b = at.dataframe[0].value, at.dataframe[1].value
    plain = local_ids(campaignArn=REC, userId="1", numResults=25, context={"DEVICE": "mobile phone"})
    assert list_a["Item ID"].tolist() == plain  # weight 0: the campaign's list exactly
    explored = scoring.client("personalize-runtime").with_campaign_config(REC, {"itemExplorationConfig": {
        "explorationWeight": "0.3", "explorationItemAgeCutOff": f"{cutoff:g}"}}).get_recommendations(
        campaignArn=REC, userId="1", numResults=25, context={"DEVICE": "mobile phone"})["itemList"]
    assert list_b["Item ID"].tolist() == [i["itemId"] for i in explored]
    assert sum("Exploration" in str(r) for r in list_b["Reason"]) == 4
    assert any("exploration 0.3" in rendered(m.value) for m in at.markdown)


def test_a_list_with_explored_items_says_at_which_ranks(demo_dir: Path) -> None:
    at = open_page(new_app())
    at.toggle(key="cmp_b_explore_on").set_value(True).run()
    at.button(key="cmp_submit").click().run()
    list_b = at.dataframe[1].value
    ranks = [str(r) for r, why in zip(list_b["Rank"], list_b["Reason"], strict=True) if why == "Exploration"]
    assert len(ranks) == 4
    assert f"Exploration: ranks {', '.join(ranks)}" in [rendered(c.value) for c in at.caption]
