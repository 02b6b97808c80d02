"""The Score normalisation page under AppTest: the demo's exact numbers, other recipes, live AWS."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

import scoring
from scoring import arns, normalisation
from tests.app_support import (
    on_page,
    LIVE_ARN,
    LIVE_ARN_2,
    LIVE_VERSION,
    WHEN,
    LiveAws,
    errors_of,
    new_app,
)

REC = arns.local_arn("campaign", "demo-user-personalization")
RANK = arns.local_arn("campaign", "demo-personalized-ranking")
RELATED = arns.local_arn("campaign", "demo-related-items")
POPULAR = arns.local_arn("campaign", "demo-popular-items")
PAGE = "pages/score_normalisation.py"


def open_page(at: AppTest) -> AppTest:
    return on_page(PAGE, at)


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def figures_of(at: AppTest) -> list[dict]:
    return [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]


# -- local demo ---------------------------------------------------------------------------------------
def test_opens_with_the_demo_users_numbers(demo_dir: Path) -> None:
    at = open_page(new_app())
    assert not at.exception and not errors_of(at)
    assert len(at.latex) >= 2
    assert at.selectbox(key="norm_partner").value == RANK  # the same model's ranking campaign

    runtime = scoring.client("personalize-runtime")
    ids, scores = runtime.catalogue_scores(campaignArn=REC, userId="1")
    stats = normalisation.catalogue_stats(scores)
    shown = metrics(at)
    assert shown["Catalogue size N"] == f"{len(ids):,}"
    assert shown["Average score 1/N"] == f"{1 / len(ids):.2e}"
    assert shown["Items holding 50%"] == f"{stats.items_50:,}" and shown["Items holding 90%"] == f"{stats.items_90:,}"
    assert shown["Entropy H"] == f"{stats.entropy_nats:.2f} nats"
    assert 0 < stats.entropy_nats < math.log(len(ids))

    table = at.dataframe[0].value
    assert len(table) == 25 and table["Difference"].abs().max() < 1e-6
    assert (table["Actual rank score"] > table["Rec score"]).all()
    assert any("the identity holds" in c.value for c in at.caption)

    average, mass, distribution = figures_of(at)
    assert average["layout"]["xaxis"]["type"] == average["layout"]["yaxis"]["type"] == "log"
    assert any(f"N = {len(ids):,}" in a["text"] for a in average["layout"]["annotations"])
    assert {a["text"].split("<br>")[0] for a in mass["layout"]["annotations"]} == {
        "50% of the mass", "90% of the mass"}
    assert distribution["layout"]["xaxis"]["type"] == "log"


def test_context_changes_the_numbers_and_the_table_follows_the_client(demo_dir: Path) -> None:
    at = open_page(new_app())
    at.text_input(key="norm_ctx_val").input("smart tv")
    at.number_input(key="norm_top_n").set_value(10)
    at.button(key="norm_submit").click().run()
    assert not at.exception and not errors_of(at)
    runtime = scoring.client("personalize-runtime")
    expected = runtime.get_recommendations(campaignArn=REC, userId="1", numResults=10,
                                           context={"DEVICE": "smart tv"})
    table = at.dataframe[0].value
    assert table["Item ID"].tolist() == [i["itemId"] for i in expected["itemList"]]
    assert table["Rec score"].tolist() == pytest.approx([i["score"] for i in expected["itemList"]])


def test_without_a_ranking_campaign_only_the_prediction_is_shown(demo_dir: Path) -> None:
    at = open_page(new_app())
    at.selectbox(key="norm_partner").set_value("").run()
    at.button(key="norm_submit").click().run()
    assert not at.exception and not errors_of(at)
    assert any("No ranking campaign re-scored the list" in i.value for i in at.info)
    assert at.dataframe[0].value["Predicted rank score"].sum() == pytest.approx(1.0)


def test_a_ranking_campaign_gets_its_recommendation_partner(demo_dir: Path) -> None:
    at = new_app().run()
    at.selectbox(key="campaign_arn").set_value(RANK).run()
    at.switch_page(PAGE).run()
    assert not at.exception and not errors_of(at)
    assert at.selectbox(key="norm_partner").value == REC
    assert at.dataframe[0].value["Difference"].abs().max() < 1e-6


@pytest.mark.parametrize("campaign", [RELATED, POPULAR])
def test_unscored_recipes_have_nothing_to_normalise(demo_dir: Path, campaign: str) -> None:
    at = new_app().run()
    at.selectbox(key="campaign_arn").set_value(campaign).run()
    at.switch_page(PAGE).run()
    assert not at.exception and not errors_of(at)
    assert any("nothing to normalise" in i.value for i in at.info)
    assert not at.get("plotly_chart") and not at.dataframe


def test_a_missing_user_is_one_clear_error(demo_dir: Path) -> None:
    at = open_page(new_app())
    at.text_input(key="norm_user").input(" ")
    at.button(key="norm_submit").click().run()
    assert not at.exception
    assert errors_of(at) == ["Enter a user ID: scores are computed for one user."]


# -- live AWS (stubbed): only the top-N scores --------------------------------------------------------
SCORES = [0.2, 0.1, 0.05, 0.05, 0.04]


def _recommendations() -> dict[str, object]:
    return {"itemList": [{"itemId": f"i-{k}", "score": s} for k, s in enumerate(SCORES)], "recommendationId": "R"}


def test_live_campaign_shows_what_its_top_n_proves(live_aws: LiveAws) -> None:
    live_aws.queue_campaign()
    live_aws.runtime_stub.add_response("get_recommendations", _recommendations(),
                                       {"campaignArn": LIVE_ARN, "userId": "u-1", "numResults": 5})
    live_aws.runtime_stub.add_response("get_recommendations", _recommendations(),
                                       {"campaignArn": LIVE_ARN, "userId": "u-1", "numResults": 5})
    at = new_app()
    at.query_params["source"] = "aws"
    open_page(at)
    assert not at.exception and not errors_of(at)
    assert at.selectbox(key="norm_partner").value == ""  # live: no guess about which campaign matches
    assert any("press **Show the numbers**" in i.value for i in at.info)  # live calls wait for the button

    at.text_input(key="norm_user").input("u-1")
    at.number_input(key="norm_top_n").set_value(5)
    at.button(key="norm_submit").click().run()
    assert not at.exception and not errors_of(at)
    bounds = normalisation.top_n_bounds(SCORES)
    shown = metrics(at)
    assert shown["Catalogue size N"] == f"≥ {bounds.min_catalogue:,}"
    assert shown["Mass in the top 5"] == "44.0%"
    assert shown["Entropy H"] == f"≥ {bounds.entropy_min:.2f} nats"
    assert shown["Items holding 50%"] == f"≥ {bounds.items_50_at_least:,}"
    assert any("cannot tell" in m.value for m in at.markdown)
    assert len(at.get("plotly_chart")) == 2  # no distribution without the catalogue's scores

    at.number_input(key="norm_catalogue").set_value(1000)
    at.button(key="norm_submit").click().run()
    shown = metrics(at)
    assert shown["Catalogue size N"] == "1,000" and shown["Entropy H"].count("nats") == 1 and "–" in shown["Entropy H"]
    live_aws.runtime_stub.assert_no_pending_responses()


def test_live_ranking_partner_and_a_failing_call(live_aws: LiveAws) -> None:
    live_aws.queue_campaign()
    live_aws.control_stub.add_response("describe_campaign", {"campaign": {
        "name": "movies-ranking", "campaignArn": LIVE_ARN_2, "solutionVersionArn": LIVE_VERSION + "r",
        "status": "ACTIVE", "creationDateTime": WHEN, "lastUpdatedDateTime": WHEN}}, {"campaignArn": LIVE_ARN_2})
    live_aws.control_stub.add_response("describe_solution_version", {"solutionVersion": {
        "solutionVersionArn": LIVE_VERSION + "r", "recipeArn": "arn:aws:personalize:::recipe/aws-personalized-ranking",
        "status": "ACTIVE"}}, {"solutionVersionArn": LIVE_VERSION + "r"})
    live_aws.runtime_stub.add_response("get_recommendations", _recommendations())
    live_aws.runtime_stub.add_response("get_personalized_ranking", {"personalizedRanking": [
        {"itemId": f"i-{k}", "score": s / sum(SCORES)} for k, s in enumerate(SCORES)], "recommendationId": "R"},
        {"campaignArn": LIVE_ARN_2, "userId": "u-1", "inputList": [f"i-{k}" for k in range(5)]})
    live_aws.runtime_stub.add_client_error("get_recommendations", "ThrottlingException", "Rate exceeded", 400)

    at = new_app()
    at.query_params["source"] = "aws"
    open_page(at)
    at.selectbox(key="norm_partner").set_value(LIVE_ARN_2).run()
    at.text_input(key="norm_user").input("u-1")
    at.number_input(key="norm_top_n").set_value(5)
    at.button(key="norm_submit").click().run()
    assert not at.exception and not errors_of(at)
    assert at.dataframe[0].value["Difference"].abs().max() < 1e-12
    assert any("movies-ranking re-scored these 5 items" in c.value for c in at.caption)

    at.button(key="norm_submit").click().run()
    assert not at.exception
    (message,) = errors_of(at)
    assert "ThrottlingException" in message and not at.dataframe  # the old numbers are not left beside it
