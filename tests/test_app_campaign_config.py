"""Campaign configuration on the Campaign page: the settings for local and live campaigns, and the local
exploration form (UpdateCampaign) on a private copy of the demo group."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

import scoring
from scoring import arns
from tests.app_support import LIVE_VERSION, LiveAws, errors_of, needs_demo, new_app, on_own_group, rendered, table_of
from tests.app_support import own_group  # noqa: F401 (a fixture)

pytestmark = needs_demo

PAGE = "pages/campaign.py"


def settings_of(at: AppTest) -> dict[str, str]:
    (frame,) = [t.value for t in at.table if "What it does" in t.value.columns]
    return {rendered(k): rendered(v) for k, v in zip(frame.index, frame["Value"], strict=True)}


def captions(at: AppTest) -> str:
    return " ".join(rendered(c.value) for c in at.caption)


def mine(at: AppTest) -> AppTest:
    return on_own_group(at, PAGE)


def test_local_campaign_shows_each_setting_and_its_default() -> None:
    at = new_app().run().switch_page(PAGE).run()
    assert not at.exception and not errors_of(at)
    settings = settings_of(at)
    assert settings["minProvisionedTPS"] == "1"
    assert settings["explorationWeight"] == "0.3 (not set: the default)"
    assert settings["explorationItemAgeCutOff"] == "30 (not set: the default)"
    assert settings["enableMetadataWithRecommendations"] == "true"
    assert settings["syncWithLatestSolutionVersion"] == "false"
    assert "This local campaign does not explore" in captions(at)


def test_live_campaign_shows_its_exploration_setting(live_aws: LiveAws) -> None:
    live_aws.queue_campaign()
    live_aws.control_stub.add_response("get_solution_metrics", {"solutionVersionArn": LIVE_VERSION, "metrics": {}},
                                       {"solutionVersionArn": LIVE_VERSION})
    at = new_app().run()
    at.radio(key="source").set_value("Amazon Personalize").run()
    at.switch_page(PAGE).run()
    assert not at.exception and not errors_of(at)
    settings = settings_of(at)
    assert settings["explorationWeight"] == "0.3" and settings["explorationItemAgeCutOff"] == "30 days"
    assert settings["minProvisionedTPS"] == "2"
    assert settings["enableMetadataWithRecommendations"] == "false (not set: the default)"
    assert "only reads live campaigns" in captions(at)
    assert "exploration_submit" not in {b.key for b in at.button}


def test_exploration_form_updates_the_local_campaign(own_group: Path) -> None:
    at = mine(new_app())
    assert not at.exception and not errors_of(at)
    weight = at.slider(key="explore_weight_demo-user-personalization")
    age = at.number_input(key="explore_age_demo-user-personalization")
    assert weight.value == pytest.approx(0.3) and age.value > 30  # no demo item is 30 days young
    weight.set_value(0.5)
    age.set_value(900.0)
    at.button(key="exploration_submit").click().run()
    assert not at.exception and not errors_of(at)
    arn = arns.local_arn("campaign", "demo-user-personalization")
    config = scoring.client("personalize", own_group).describe_campaign(campaignArn=arn)["campaign"]["campaignConfig"]
    assert config["itemExplorationConfig"] == {"explorationWeight": "0.5", "explorationItemAgeCutOff": "900"}
    assert settings_of(at)["explorationWeight"] == "0.5"
    assert "Local exploration is an approximation" in captions(at)
    assert any("Updated demo-user-personalization" in rendered(s.value) for s in at.success)


def test_read_only_mode_offers_no_update_and_says_why(own_group: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONSOLE_READ_ONLY", "1")
    at = mine(new_app())
    assert not at.exception and not errors_of(at)
    assert "exploration_submit" not in {b.key for b in at.button}
    assert "Changing local campaigns is off in read-only mode" in captions(at)


def test_test_campaign_labels_explored_items_as_an_approximation(own_group: Path) -> None:
    arn = arns.local_arn("campaign", "demo-user-personalization")
    scoring.client("personalize", own_group).update_campaign(campaignArn=arn, campaignConfig={
        "itemExplorationConfig": {"explorationWeight": "0.3", "explorationItemAgeCutOff": "3000"}})
    at = on_own_group()
    at.text_input(key="user_id").input("1")
    at.button(key="submit").click().run()
    assert not at.exception and not errors_of(at)
    assert (table_of(at)["Reason"] == "Exploration").sum() == 4
    assert "4 items marked *Exploration*" in captions(at) and "Local exploration is an approximation" in captions(at)


def test_live_update_in_progress_is_named(live_aws: LiveAws) -> None:
    from tests.app_support import LIVE_ARN, LIVE_GROUP, WHEN

    summary = {"name": "movies-live", "campaignArn": LIVE_ARN, "status": "ACTIVE", "creationDateTime": WHEN,
               "lastUpdatedDateTime": WHEN}
    live_aws.control_stub.add_response("list_campaigns", {"campaigns": [summary]})
    live_aws.control_stub.add_response("describe_campaign", {"campaign": summary | {
        "solutionVersionArn": LIVE_VERSION, "minProvisionedTPS": 1,
        "campaignConfig": {"itemExplorationConfig": {"explorationWeight": "0.3", "explorationItemAgeCutOff": "30"}},
        "latestCampaignUpdate": {"minProvisionedTPS": 1, "status": "CREATE IN_PROGRESS", "campaignConfig": {
            "itemExplorationConfig": {"explorationWeight": "0.6", "explorationItemAgeCutOff": "30"}}}}},
        {"campaignArn": LIVE_ARN})
    live_aws.control_stub.add_response("describe_solution_version", {"solutionVersion": {
        "solutionVersionArn": LIVE_VERSION, "recipeArn": "arn:aws:personalize:::recipe/aws-user-personalization",
        "datasetGroupArn": LIVE_GROUP, "status": "ACTIVE"}}, {"solutionVersionArn": LIVE_VERSION})
    live_aws.control_stub.add_response("get_solution_metrics", {"solutionVersionArn": LIVE_VERSION, "metrics": {}},
                                       {"solutionVersionArn": LIVE_VERSION})
    at = new_app().run()
    at.radio(key="source").set_value("Amazon Personalize").run()
    at.switch_page(PAGE).run()
    assert not at.exception and not errors_of(at)
    assert settings_of(at)["explorationWeight"] == "0.3"  # the setting that serves until the update is ACTIVE
    assert "An update is CREATE IN_PROGRESS: the settings above serve until it is ACTIVE." in captions(at)


def test_a_live_setting_is_shown_as_text_not_markdown(live_aws: LiveAws) -> None:
    from tests.app_support import LIVE_ARN, LIVE_GROUP, WHEN

    summary = {"name": "movies-live", "campaignArn": LIVE_ARN, "status": "ACTIVE", "creationDateTime": WHEN,
               "lastUpdatedDateTime": WHEN}
    weird = "**B0LD** [x](https://evil.example)"
    live_aws.control_stub.add_response("list_campaigns", {"campaigns": [summary]})
    live_aws.control_stub.add_response("describe_campaign", {"campaign": summary | {
        "solutionVersionArn": LIVE_VERSION, "campaignConfig": {"itemExplorationConfig": {"explorationWeight": weird}}}},
        {"campaignArn": LIVE_ARN})
    live_aws.control_stub.add_response("describe_solution_version", {"solutionVersion": {
        "solutionVersionArn": LIVE_VERSION, "recipeArn": "arn:aws:personalize:::recipe/aws-user-personalization",
        "datasetGroupArn": LIVE_GROUP, "status": "ACTIVE"}}, {"solutionVersionArn": LIVE_VERSION})
    live_aws.control_stub.add_response("get_solution_metrics", {"solutionVersionArn": LIVE_VERSION, "metrics": {}},
                                       {"solutionVersionArn": LIVE_VERSION})
    at = new_app().run()
    at.radio(key="source").set_value("Amazon Personalize").run()
    at.switch_page(PAGE).run()
    assert not at.exception and not errors_of(at)
    (frame,) = [t.value for t in at.table if "What it does" in t.value.columns]
    cell = frame.loc["itemExplorationConfig", "Value"]
    assert "\\*\\*B0LD\\*\\*" in cell and "\\[x\\]" in cell  # escaped: shown as typed, no link
    assert weird in rendered(cell)
