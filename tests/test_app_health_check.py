"""The Health check page under AppTest: a local sample, cancel, pasted users, other campaigns, live
(stubbed), batch output."""

from __future__ import annotations

import json

import boto3
import pytest
from moto import mock_aws
from streamlit.testing.v1 import AppTest

import scoring.aws
from components import health_job
from scoring import arns, batch_files, health_metrics
from tests.app_support import (
    needs_demo,
    on_page,
    LIVE_ARN_2,
    LIVE_GROUP,
    WHEN,
    LiveAws,
    errors_of,
    table_of,
)

PAGE = "pages/health_check.py"


pytestmark = needs_demo


def open_page() -> AppTest:
    return on_page(PAGE)


def metrics(at: AppTest):  # noqa: ANN201
    return table_of(at, "Metric")


def run_to_end(at: AppTest) -> AppTest:
    """Rerun while the job shows progress (each run advances one slice of one campaign)."""
    for _ in range(10):
        if not at.get("progress"):
            break
        at.run()
    return at


def flags(at: AppTest):  # noqa: ANN201
    return table_of(at, "Flag").set_index("Flag")


def test_a_local_sample_shows_metrics_flags_charts_and_downloads() -> None:
    at = open_page()
    assert not at.exception and not errors_of(at)
    assert at.radio(key="health_users_how").value.startswith("Random sample")
    at.slider(key="health_size").set_value(60)
    at.number_input(key="health_k").set_value(10)
    at.button(key="health_run").click().run()
    assert not at.exception and not errors_of(at)

    table = metrics(at)
    assert list(table.columns) == ["Metric", "demo-user-personalization", "Popularity baseline",
                                   "Random baseline", "Definition"]
    values = table.set_index("Metric")
    assert 0 < values.loc["Catalogue coverage@K", "demo-user-personalization"] < 1
    assert values.loc["Personalisation", "Popularity baseline"] == pytest.approx(0.0)
    assert values.loc["Personalisation", "Random baseline"] > values.loc["Personalisation",
                                                                        "demo-user-personalization"]
    flag_rows = flags(at)
    assert flag_rows.loc["Users with identical lists", "Users"] >= 3  # the 3 new users share the cold-start list
    assert "new-user-1" in flag_rows.loc["Users with identical lists", "Examples"]
    assert flag_rows.loc["Already-interacted items recommended", "Users"] >= 0
    charts = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    assert len(charts) == 3 and charts[0]["layout"]["yaxis"]["type"] == "log"
    assert len(charts[2]["data"]) == 3  # campaign + two baselines
    assert len(at.get("download_button")) == 3
    assert any("63 lists" in s.value for s in at.success)


def test_cancel_keeps_the_users_done_so_far(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(health_job, "LOCAL_SLICE", 20)
    at = open_page()
    at.slider(key="health_size").set_value(100)
    at.button(key="health_run").click().run()
    assert at.get("progress") and at.button(key="health_cancel")  # one slice done, still running
    assert not [d for d in at.dataframe if "Metric" in d.value.columns]
    at.button(key="health_cancel").click().run()
    assert not at.exception
    assert any("Cancelled after 20 of 103 users" in w.value for w in at.warning)
    assert any(s.value.startswith("20 lists") for s in at.success)
    assert not at.get("progress")


def test_a_job_advances_one_slice_per_run(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(health_job, "LOCAL_SLICE", 40)
    at = open_page()
    at.slider(key="health_size").set_value(100)
    at.button(key="health_run").click().run()
    for _ in range(3):
        if not at.get("progress"):
            break
        at.run()
    assert any(s.value.startswith("103 lists") for s in at.success)


POPULAR = arns.local_arn("campaign", "demo-popular-items")
RANKING = arns.local_arn("campaign", "demo-personalized-ranking")


def test_also_check_runs_the_same_users_through_another_campaign() -> None:
    at = open_page()
    also = at.multiselect(key="health_also")
    assert also.value == []
    assert not any("related" in o for o in also.options)  # seed items are not users
    assert len(also.options) == 2
    at.slider(key="health_size").set_value(40)
    at.number_input(key="health_k").set_value(10)
    also.set_value([POPULAR])
    run_to_end(at.button(key="health_run").click().run())
    assert not at.exception and not errors_of(at)

    table = metrics(at)
    assert list(table.columns) == ["Metric", "demo-user-personalization", "demo-popular-items",
                                   "Popularity baseline", "Random baseline", "Definition"]
    values = table.set_index("Metric")
    personal = values.loc["Personalisation"]
    assert personal["demo-popular-items"] == pytest.approx(personal["Popularity baseline"]) == pytest.approx(0.0)
    assert personal["demo-user-personalization"] > 0
    coverage = values.loc["Catalogue coverage@K"]
    assert coverage["demo-popular-items"] < coverage["demo-user-personalization"]
    assert any("43 lists of up to 10 items from demo-user-personalization" in s.value
               and "43 lists of up to 10 items from demo-popular-items" in s.value for s in at.success)
    charts = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    assert len(charts[0]["data"]) == 4 and len(charts[2]["data"]) == 4  # exposure and bars: every column

    assert 3 <= flags(at).loc["Users with identical lists", "Users"] < 43  # the selected campaign: new users
    at.segmented_control(key="health_view").set_value("demo-popular-items").run()
    assert not at.exception
    assert flags(at).loc["Users with identical lists", "Users"] == 43  # one list for everyone
    assert at.get("download_button")


def test_cancel_between_campaigns_keeps_the_lists_done(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(health_job, "LOCAL_SLICE", 30)
    at = open_page()
    at.slider(key="health_size").set_value(50)
    at.multiselect(key="health_also").set_value([POPULAR, RANKING])
    at.button(key="health_run").click().run()  # 30 users of the first campaign
    at.run()  # its last 23
    at.run()  # 30 of the popular-items campaign
    assert any("demo-popular-items (2 of 3)" in p.proto.text for p in at.get("progress"))
    at.button(key="health_cancel").click().run()
    assert not at.exception and not errors_of(at)
    assert any("demo-user-personalization 53 of 53, demo-popular-items 30 of 53, demo-personalized-ranking "
               "0 of 53" in w.value for w in at.warning)
    assert list(metrics(at).columns) == ["Metric", "demo-user-personalization", "demo-popular-items",
                                         "Popularity baseline", "Random baseline", "Definition"]


def test_pasted_users_and_a_bad_context() -> None:
    at = open_page()
    at.radio(key="health_users_how").set_value("Pasted or uploaded list").run()
    at.text_area(key="health_pasted").input("1, 2\n3 new-x")
    at.text_input(key="health_context").input("DEVICE=smart tv")
    at.button(key="health_run").click().run()
    assert not at.exception and not errors_of(at)
    assert any(s.value.startswith("4 lists") for s in at.success)
    at.text_input(key="health_context").input("bad key=1")
    at.button(key="health_run").click().run()
    assert any("may only contain letters" in e for e in errors_of(at))


def test_run_without_users_says_what_to_do() -> None:
    at = open_page()
    at.radio(key="health_users_how").set_value("Pasted or uploaded list").run()
    at.button(key="health_run").click().run()
    assert any("Choose some users first" in e for e in errors_of(at))


def test_live_campaign_uses_pasted_users_and_says_what_is_unknown(live_aws: LiveAws) -> None:
    live_aws.queue_campaign(paged=False)
    for _ in range(3):
        live_aws.runtime_stub.add_response("get_recommendations", {"itemList": [
            {"itemId": "a", "score": 0.3}, {"itemId": "b", "score": 0.0}, {"itemId": "c"}]})
    at = open_page()
    at.radio(key="source").set_value("Amazon Personalize").run()
    assert not at.exception and not errors_of(at)
    assert [o for o in at.radio(key="health_users_how").options] == ["Pasted or uploaded list",
                                                                      "Users of a batch-inference input file"]
    assert any("no users list" in c.value for c in at.caption)
    at.text_area(key="health_pasted").input("u1\nu2\nu3")
    at.number_input(key="health_k").set_value(3)
    at.number_input(key="health_workers").set_value(1)  # a Stubber answers its queue in order
    at.button(key="health_run").click().run()
    assert not at.exception and not errors_of(at)
    table = metrics(at).set_index("Metric")
    assert list(table.columns) == ["movies-live", "Definition"]
    assert table.loc["Personalisation", "movies-live"] == pytest.approx(0.0)
    assert pd_isna(table.loc["Catalogue coverage@K", "movies-live"])
    flag_rows = flags(at)
    assert flag_rows.loc["Items without a score", "Items"] == "3"
    assert flag_rows.loc["Items with score 0", "Users"] == 3
    assert "Already-interacted items recommended" not in flag_rows.index


def test_live_also_check_lists_the_ranking_campaign_and_asks_it(live_aws: LiveAws) -> None:
    live_aws.queue_campaign(paged=False)
    version = "arn:aws:personalize:us-east-1:123456789012:solution/ranking/9f8e7d6c"
    live_aws.control_stub.add_response("describe_campaign", {"campaign": {
        "name": "movies-ranking", "campaignArn": LIVE_ARN_2, "solutionVersionArn": version,
        "status": "ACTIVE", "creationDateTime": WHEN, "lastUpdatedDateTime": WHEN}}, {"campaignArn": LIVE_ARN_2})
    live_aws.control_stub.add_response("describe_solution_version", {"solutionVersion": {
        "solutionVersionArn": version, "recipeArn": "arn:aws:personalize:::recipe/aws-personalized-ranking",
        "datasetGroupArn": LIVE_GROUP, "status": "ACTIVE", "creationDateTime": WHEN}},
        {"solutionVersionArn": version})
    for user in ("u1", "u2"):
        live_aws.runtime_stub.add_response("get_recommendations", {"itemList": [
            {"itemId": "a", "score": 0.3}, {"itemId": user, "score": 0.1}]})
    for user in ("u1", "u2"):
        live_aws.runtime_stub.add_response("get_personalized_ranking", {"personalizedRanking": [
            {"itemId": "b", "score": 0.6}, {"itemId": "a", "score": 0.4}]},
            {"campaignArn": LIVE_ARN_2, "userId": user, "inputList": ["a", "b"]})
    at = open_page()
    at.radio(key="source").set_value("Amazon Personalize").run()
    assert not at.exception and not errors_of(at)
    at.multiselect(key="health_also").set_value([LIVE_ARN_2]).run()
    assert at.text_area(key="health_candidates").value == ""  # no catalogue: the user lists the items
    at.text_area(key="health_pasted").input("u1\nu2")
    at.text_area(key="health_candidates").input("a, b")
    at.number_input(key="health_k").set_value(2)
    at.number_input(key="health_workers").set_value(1)
    run_to_end(at.button(key="health_run").click().run())
    assert not at.exception and not errors_of(at)
    table = metrics(at).set_index("Metric")
    assert list(table.columns) == ["movies-live", "movies-ranking", "Definition"]
    assert table.loc["Personalisation", "movies-live"] == pytest.approx(0.5)
    assert table.loc["Personalisation", "movies-ranking"] == pytest.approx(0.0)


def pd_isna(value: object) -> bool:
    import pandas as pd

    return bool(pd.isna(value))


@mock_aws
def test_batch_output_from_s3(monkeypatch: pytest.MonkeyPatch) -> None:
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket="out")
    lists = health_metrics.RecLists()
    lists.append("1", ["10", "20"], [0.2, 0.1])
    lists.append("2", ["10", "20"], [0.3, 0.1])
    s3.put_object(Bucket="out", Key="users.json.out", Body=batch_files.output_lines(lists) + b"{bad\n")
    monkeypatch.setattr(scoring.aws, "live_client", lambda *a, **k: s3)
    at = open_page()
    at.text_input(key="health_out_uri").input("s3://out/users.json.out")
    at.button(key="health_out_read").click().run()
    assert not at.exception and not errors_of(at)
    assert any("2 lists read from 3 lines; 1 bad line" in s.value for s in at.success)
    table = table_of(at, "Batch output").set_index("Metric")
    assert table.loc["Catalogue coverage@K", "Batch output"] == pytest.approx(2 / 2400)
    lines = table_of(at, "Line")
    assert lines["Line"].tolist() == [3]
    at.text_input(key="health_out_uri").input("s3://out/missing.out")
    at.button(key="health_out_read").click().run()
    assert any("NoSuchKey" in e for e in errors_of(at))


def _already_seen(filter_name: str | None) -> AppTest:
    at = open_page()
    if filter_name:
        at.selectbox(key="health_filter").set_value(arns.local_arn("filter", filter_name)).run()
    at.slider(key="health_size").set_value(40)
    at.number_input(key="health_new").set_value(0)
    at.button(key="health_run").click().run()
    return run_to_end(at)


def test_a_filter_goes_with_every_request_and_removes_what_it_excludes() -> None:
    plain, filtered = _already_seen(None), _already_seen("exclude-watched")
    for at in (plain, filtered):
        assert not at.exception and not errors_of(at)
    assert any("with filter exclude-watched" in s.value for s in filtered.success)
    before = int(flags(plain).loc["Already-interacted items recommended", "Items"])
    after = int(flags(filtered).loc["Already-interacted items recommended", "Items"])
    assert 0 < after < before  # watched items are gone; clicked ones may still come back
    # The baselines are not filtered: the popularity baseline is the same in both runs.
    assert metrics(plain).set_index("Metric").loc["Novelty (bits)", "Popularity baseline"] == \
        metrics(filtered).set_index("Metric").loc["Novelty (bits)", "Popularity baseline"]


def test_a_filter_parameter_left_empty_is_a_form_mistake() -> None:
    at = open_page()
    at.selectbox(key="health_filter").set_value(arns.local_arn("filter", "genre")).run()
    at.button(key="health_run").click().run()
    assert not at.exception
    assert any("needs $GENRES" in e for e in errors_of(at))
    assert not at.get("progress") and not [d for d in at.dataframe if "Metric" in d.value.columns]
