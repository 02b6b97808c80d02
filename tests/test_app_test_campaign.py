"""The Test campaign page under AppTest: local flows, form mistakes, shared links and live AWS (stubbed)."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import EndpointConnectionError, NoCredentialsError
from streamlit.testing.v1 import AppTest

import scoring
import scoring.aws
from scoring import arns
from tests.app_support import (
    needs_demo,
    LIVE_ARN,
    LiveAws,
    errors_of,
    new_app,
    table_of,
)

REC = arns.local_arn("campaign", "demo-user-personalization")
RANK = arns.local_arn("campaign", "demo-personalized-ranking")


pytestmark = needs_demo


def submit(at: AppTest) -> AppTest:
    return at.button(key="submit").click().run()


def figures_of(at: AppTest) -> list[dict]:
    return [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]


# -- local ---------------------------------------------------------------------------------------
def test_opens_on_the_demo_campaign_with_a_prefilled_form() -> None:
    at = new_app().run()
    assert not at.exception and not errors_of(at)
    assert at.selectbox(key="campaign_arn").value == REC
    assert at.text_input(key="user_id").value == "1"
    assert at.text_input(key="ctx_key_0").value == "DEVICE"
    assert at.button(key="submit").label == "Get recommendations"
    assert at.number_input(key="num_results").value == 25
    assert any("DEVICE = mobile phone" in c.value for c in at.caption)


def test_recommendations_with_a_context_row() -> None:
    at = new_app().run()
    at.text_input(key="user_id").input("1")
    at.text_input(key="ctx_val_0").input("mobile phone")
    submit(at)
    assert not at.exception and not errors_of(at)

    table = table_of(at)
    assert len(table) == 25 and table["Rank"].tolist() == list(range(1, 26))
    assert table["Score"].is_monotonic_decreasing
    assert {"Item ID", "Score", "TITLE", "GENRES"} <= set(table.columns)
    # The context was sent: the page shows what the client returns for it, not for no context.
    runtime = scoring.client("personalize-runtime")
    phone = runtime.get_recommendations(campaignArn=REC, userId="1", context={"DEVICE": "mobile phone"})
    plain = runtime.get_recommendations(campaignArn=REC, userId="1")
    assert table["Item ID"].tolist() == [i["itemId"] for i in phone["itemList"]]
    assert table["Item ID"].tolist() != [i["itemId"] for i in plain["itemList"]]

    top, distribution = figures_of(at)
    assert top["data"][0]["type"] == "bar" and len(top["data"][0]["y"]) == 25  # x is binary-encoded
    assert distribution["layout"]["xaxis"]["type"] == "log"
    assert any("sum to 1 over the catalogue" in c.value and "1/N" in c.value for c in at.caption)
    assert at.query_params["user"] == "1" and at.query_params["ctx"] == "DEVICE=mobile phone"
    code = at.code[0].value
    assert "get_recommendations(" in code and "'DEVICE': 'mobile phone'" in code
    assert at.get("download_button")


def test_number_of_results_is_honoured() -> None:
    at = new_app().run()
    at.number_input(key="num_results").set_value(7)
    submit(at)
    assert len(table_of(at)) == 7


def test_ranking_returns_every_input_item() -> None:
    at = new_app().run()
    at.selectbox(key="campaign_arn").set_value(RANK).run()
    assert at.button(key="submit").label == "Get personalized item rankings"
    assert not [n for n in at.number_input if n.key == "num_results"]
    items = ["10", "20", "30", "no-such-item"]
    at.text_area(key="items_text").input("10, 20\n30 no-such-item")
    submit(at)
    assert not at.exception and not errors_of(at)
    table = table_of(at)
    assert sorted(table["Item ID"]) == sorted(items)
    assert table["Item ID"].iloc[-1] == "no-such-item" and table["Score"].iloc[-1] == 0.0
    assert table["Score"].sum() == pytest.approx(1.0)
    assert any("renormalised over the input list" in c.value for c in at.caption)


def test_ranking_is_prefilled_with_items_from_the_data() -> None:
    at = new_app().run()
    at.selectbox(key="campaign_arn").set_value(RANK).run()
    prefilled = at.text_area(key="items_text").value
    assert len(scoring.requests.parse_item_list(prefilled)) == 10
    submit(at)
    assert len(table_of(at)) == 10


def test_related_items_form_asks_for_an_item_and_shows_no_scores() -> None:
    at = new_app().run()
    at.selectbox(key="campaign_arn").set_value(arns.local_arn("campaign", "demo-related-items")).run()
    assert "user_id" not in [w.key for w in at.text_input]
    at.text_input(key="item_id").input("10")
    submit(at)
    assert not at.exception and not errors_of(at)
    table = table_of(at)
    assert len(table) == 25 and table["Score"].isna().all()
    assert "10" not in set(table["Item ID"])
    assert any("without scores" in c.value for c in at.caption)


def test_unknown_user_gets_popular_items() -> None:
    at = new_app().run()
    at.text_input(key="user_id").input("someone-new")
    submit(at)
    assert not errors_of(at)
    assert len(table_of(at)) == 25
    assert any("popular items" in i.value for i in at.info)


def test_empty_user_id_is_a_clear_message_and_no_call() -> None:
    at = new_app().run()
    at.text_input(key="user_id").input("")
    submit(at)
    assert not at.exception
    assert errors_of(at) == ["Enter a user ID: this campaign personalizes for one user."]
    assert not at.dataframe


def test_duplicate_context_key_is_refused_before_calling() -> None:
    at = new_app().run()
    at.text_input(key="ctx_val_0").input("tablet")
    at.text_input(key="ctx_key_1").input("DEVICE")
    at.text_input(key="ctx_val_1").input("desktop")
    submit(at)
    assert len(at.error) == 1 and "DEVICE appears twice" in at.error[0].value


def test_add_context_row() -> None:
    at = new_app().run()
    at.button(key="add_context_row").click().run()
    keys = [t.key for t in at.text_input if t.key.startswith("ctx_key_")]
    assert keys == ["ctx_key_0", "ctx_key_1", "ctx_key_2"]


def test_a_shared_link_runs_its_request_on_load() -> None:
    at = new_app()
    at.query_params.update({"source": "local", "group": "demo", "campaign": RANK, "user": "5",
                            "items": "10,20,30", "ctx": "DEVICE=smart tv"})
    at.run()
    assert not at.exception and not errors_of(at)
    assert at.selectbox(key="campaign_arn").value == RANK
    assert at.text_input(key="ctx_val_0").value == "smart tv"
    assert sorted(table_of(at)["Item ID"]) == ["10", "20", "30"]


def test_a_failed_linked_request_leaves_its_error_not_the_tables_place(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The empty table that holds the answer's place on a cold page goes when there is no answer."""
    from scoring import errors
    from scoring.runtime_client import LocalRuntimeClient

    def refuse(self: LocalRuntimeClient, **params: object) -> dict:
        raise errors.client_error("personalize-runtime", errors.INVALID_INPUT, "Refused.",
                                  "GetRecommendations")

    monkeypatch.setattr(LocalRuntimeClient, "get_recommendations", refuse)
    at = new_app()
    at.query_params.update({"source": "local", "group": "demo", "user": "5", "n": "10"})
    at.run()
    assert not at.exception and any("Refused." in e for e in errors_of(at))
    assert [s.value for s in at.subheader] == [] and len(at.dataframe) == 0  # no answer, no table


def test_the_result_survives_a_trip_to_the_campaign_page() -> None:
    at = new_app().run()
    at.text_input(key="user_id").input("9")
    submit(at)
    first = table_of(at)["Item ID"].tolist()
    at.switch_page("pages/campaign.py").run()
    at.switch_page("pages/test_campaign.py").run()
    assert at.text_input(key="user_id").value == "9"
    assert table_of(at)["Item ID"].tolist() == first


# -- live (boto3 under Stubber) ------------------------------------------------------------------
def _live(at: AppTest) -> AppTest:
    return at.radio(key="source").set_value("Amazon Personalize").run()


def test_live_campaign_via_boto3(live_aws: LiveAws) -> None:
    live_aws.queue_campaign()
    live_aws.runtime_stub.add_response(
        "get_recommendations",
        {"itemList": [{"itemId": "i-1", "score": 0.4}, {"itemId": "i-2", "score": 0.1}],
         "recommendationId": "RID-9"},
        {"campaignArn": LIVE_ARN, "userId": "u-1", "numResults": 25, "context": {"DEVICE": "tv"}})

    at = new_app()
    at.query_params["source"] = "aws"  # a link can open the console on AWS directly
    at.run()
    assert not at.exception and not errors_of(at)
    assert at.radio(key="source").value == "Amazon Personalize"
    assert at.selectbox(key="campaign_arn").options == ["movies-live", "movies-ranking"]  # both pages
    assert at.selectbox(key="aws_region").value == "us-east-1"
    assert at.selectbox(key="aws_profile").options[0] == scoring.aws.DEFAULT_PROFILE
    assert at.text_input(key="user_id").value == ""  # no demo data to suggest from

    at.text_input(key="user_id").input("u-1")
    at.text_input(key="ctx_key_0").input("DEVICE")
    at.text_input(key="ctx_val_0").input("tv")
    submit(at)
    assert not at.exception and not errors_of(at)
    table = table_of(at)
    assert table["Item ID"].tolist() == ["i-1", "i-2"] and "TITLE" not in table
    assert len(at.get("plotly_chart")) == 1  # no catalogue distribution from a live campaign
    assert any("only a local campaign" in c.value for c in at.caption)
    assert "region_name='us-east-1'" in at.code[0].value and "endpoint_url" not in at.code[0].value
    live_aws.runtime_stub.assert_no_pending_responses()
    live_aws.control_stub.assert_no_pending_responses()
    assert {c[1] for c in live_aws.calls} == {"us-east-1"}


def test_live_access_denied_is_one_clear_error(live_aws: LiveAws) -> None:
    live_aws.control_stub.add_client_error(
        "list_campaigns", service_error_code="AccessDeniedException", http_status_code=400,
        service_message="User: arn:aws:iam::123456789012:user/x is not authorized to perform: "
                        "personalize:ListCampaigns")
    at = _live(new_app().run())
    assert not at.exception
    assert len(at.error) == 1
    assert "AccessDeniedException" in at.error[0].value and "personalize:ListCampaigns" in at.error[0].value
    assert any("**Local**" in i.value for i in at.info)


def test_live_runtime_error_is_explained(live_aws: LiveAws) -> None:
    live_aws.queue_campaign(paged=False)
    live_aws.runtime_stub.add_client_error("get_recommendations", service_error_code="ThrottlingException",
                                           service_message="Rate exceeded", http_status_code=400)
    at = _live(new_app().run())
    at.text_input(key="user_id").input("u-1")
    submit(at)
    assert not at.exception and len(at.error) == 1
    assert "ThrottlingException" in at.error[0].value and "Rate exceeded" in at.error[0].value
    assert not at.dataframe


def test_a_failed_request_keeps_its_error_until_the_next_request(live_aws: LiveAws) -> None:
    """A rerun the page asks for by itself (the charts of the answer before) or a download click
    must not wipe the error; the next request that succeeds does."""
    live_aws.queue_campaign(paged=False)
    live_aws.runtime_stub.add_client_error(
        "get_recommendations", service_error_code="ThrottlingException",
        service_message="Rate exceeded", http_status_code=400)
    at = _live(new_app().run())
    at.text_input(key="user_id").input("u-1")
    submit(at)
    at.run()  # no click: a rerun of the page's own
    assert not at.exception and len(at.error) == 1 and "ThrottlingException" in at.error[0].value
    assert not at.dataframe and not any("Fill in the form" in i.value for i in at.info)
    answer = {"itemList": [{"itemId": "i-1", "score": 0.4}], "recommendationId": "RID-1"}
    live_aws.runtime_stub.add_response("get_recommendations", answer)
    submit(at)
    assert not at.exception and not at.error
    assert table_of(at)["Item ID"].tolist() == ["i-1"]


@pytest.mark.parametrize("exc, words", [
    (NoCredentialsError(), ["NoCredentials", "aws configure"]),
    (EndpointConnectionError(endpoint_url="http://127.0.0.1:9"),
     ["EndpointUnreachable", "http://127.0.0.1:9"]),
])
def test_live_client_factory_failures_are_explained(monkeypatch: pytest.MonkeyPatch, exc: Exception,
                                                    words: list[str]) -> None:
    def failing(*args: object, **kwargs: object) -> None:
        raise exc

    monkeypatch.setattr(scoring.aws, "live_client", failing)
    at = _live(new_app().run())
    assert not at.exception and len(at.error) == 1
    for word in words:
        assert word in errors_of(at)[0]
    assert not at.dataframe and not [b for b in at.button if b.key == "submit"]
