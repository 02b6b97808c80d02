"""The Campaign details page under AppTest: local demo, a live campaign (stubbed) and its failures."""

from __future__ import annotations


import pytest
from streamlit.testing.v1 import AppTest

from scoring import arns
from tests.app_support import (
    needs_demo,
    LIVE_ARN,
    LIVE_VERSION,
    LiveAws,
    errors_of,
    new_app,
    table_of,
)

PAGE = "pages/campaign.py"
RANK = arns.local_arn("campaign", "demo-personalized-ranking")


pytestmark = needs_demo


def campaign_page(at: AppTest) -> AppTest:
    return at.switch_page(PAGE).run()


def details_of(at: AppTest) -> dict[str, str]:
    frame = table_of(at, "Field")
    return dict(zip(frame["Field"], frame["Value"], strict=True))


def test_local_campaign_details_and_metrics() -> None:
    at = campaign_page(new_app().run())
    assert not at.exception and not errors_of(at)
    assert at.title[0].value == "Campaign: demo-user-personalization"
    details = details_of(at)
    assert details["Campaign ARN"] == arns.local_arn("campaign", "demo-user-personalization")
    assert details["Status"] == "ACTIVE"
    assert details["Recipe"] == "aws-user-personalization-v2"
    assert details["Recipe type"] == "USER_PERSONALIZATION"
    assert details["Solution version ARN"].startswith("arn:aws:personalize:local:")
    assert details["Dataset group ARN"] == arns.local_arn("dataset-group", "demo")
    assert details["Minimum provisioned TPS"] == "1"
    metrics = table_of(at, "Metric")
    expected = {"coverage", "precision_at_5", "normalized_discounted_cumulative_gain_at_10"}
    assert expected <= set(metrics["Name"])
    assert metrics["Value"].between(0, 1).all()
    assert at.json  # campaign config and the raw responses


def test_local_details_say_what_the_model_learned() -> None:
    at = campaign_page(new_app().run())
    learned = [c.value for c in at.caption if "What the model learned" in c.value]
    assert len(learned) == 1
    assert "Items the user already has are pushed down" in learned[0]  # the demo never repeats
    assert "Recent popularity (as of " in learned[0]


def test_switching_campaign_updates_the_page() -> None:
    at = campaign_page(new_app().run())
    at.selectbox(key="campaign_arn").set_value(RANK).run()
    assert details_of(at)["Recipe type"] == "PERSONALIZED_RANKING"
    assert at.query_params["campaign"] == RANK


def test_live_campaign_details(live_aws: LiveAws) -> None:
    live_aws.queue_campaign()
    live_aws.control_stub.add_response("get_solution_metrics", {
        "solutionVersionArn": LIVE_VERSION, "metrics": {"coverage": 0.27, "precision_at_25": 0.031}},
        {"solutionVersionArn": LIVE_VERSION})
    at = new_app().run()
    at.radio(key="source").set_value("Amazon Personalize").run()
    at = campaign_page(at)
    assert not at.exception and not errors_of(at)
    details = details_of(at)
    assert details["Campaign ARN"] == LIVE_ARN
    assert details["Recipe"] == "aws-user-personalization" and details["Minimum provisioned TPS"] == "2"
    assert details["Created"].startswith("2025-06-01 12:00:00")
    shown = table_of(at, "Metric")
    assert shown["Value"].tolist() == [0.27, 0.031] and "Popularity baseline" not in shown.columns
    assert any("reports no popularity baseline" in c.value for c in at.caption)
    assert not any("What the model learned" in c.value for c in at.caption)  # local models only
    live_aws.control_stub.assert_no_pending_responses()


def test_live_metrics_failure_is_explained_and_details_stay(live_aws: LiveAws) -> None:
    live_aws.queue_campaign()
    live_aws.control_stub.add_client_error(
        "get_solution_metrics", service_error_code="AccessDeniedException", http_status_code=400,
        service_message="not authorized to perform: personalize:GetSolutionMetrics")
    at = new_app().run()
    at.radio(key="source").set_value("Amazon Personalize").run()
    at = campaign_page(at)
    assert not at.exception
    assert len(at.error) == 1 and "GetSolutionMetrics" in at.error[0].value
    assert any("metrics could not be read" in w.value for w in at.warning)
    assert details_of(at)["Campaign ARN"] == LIVE_ARN


def test_live_describe_failure_is_one_error(live_aws: LiveAws) -> None:
    live_aws.control_stub.add_response("list_campaigns", {"campaigns": [
        {"name": "gone", "campaignArn": LIVE_ARN, "status": "ACTIVE"}]})
    for _ in range(2):  # the Test campaign page asks first, then the Campaign page (errors are not cached)
        live_aws.control_stub.add_client_error(
            "describe_campaign", service_error_code="ResourceNotFoundException", http_status_code=404,
            service_message=f"Campaign {LIVE_ARN} does not exist.")
    at = new_app().run()
    at.radio(key="source").set_value("Amazon Personalize").run()
    at = campaign_page(at)
    assert not at.exception
    assert len(at.error) == 1 and "ResourceNotFoundException" in at.error[0].value
    assert not [d for d in at.dataframe if "Field" in d.value.columns]


def test_a_page_run_without_app_py_reruns_through_it(monkeypatch: pytest.MonkeyPatch) -> None:
    """Streamlit's old multipage mode runs pages/campaign.py alone; the page must recover."""
    import streamlit.testing.v1.app_test as app_test
    from streamlit.runtime import pages_manager

    monkeypatch.setattr(app_test, "PagesManager", pages_manager.PagesManager)  # AppTest as shipped
    at = campaign_page(new_app().run())
    assert not at.exception and not errors_of(at)
    assert at.title[0].value == "Campaign: demo-user-personalization"
    assert at.radio(key="source").value == "Local"  # the sidebar, drawn by app.py
