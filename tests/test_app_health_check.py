"""The Health check page under AppTest: a local sample, cancel, pasted users, live (stubbed), batch output."""

from __future__ import annotations

import json
from pathlib import Path

import boto3
import pytest
from moto import mock_aws
from streamlit.testing.v1 import AppTest

import scoring.aws
from components import health_job
from scoring import batch_files, health_metrics
from tests.app_support import (
    LiveAws,
    errors_of,
    new_app,
)

PAGE = "pages/health_check.py"


@pytest.fixture(autouse=True)
def _demo(demo_dir: Path) -> None:
    """Every test here needs the demo group built first."""


def open_page() -> AppTest:
    at = new_app().run()
    return at.switch_page(PAGE).run()


def metrics(at: AppTest):  # noqa: ANN201
    return next(d.value for d in at.dataframe if "Metric" in d.value.columns)


def flags(at: AppTest):  # noqa: ANN201
    return next(d.value for d in at.dataframe if "Flag" in d.value.columns).set_index("Flag")


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
    table = next(d.value for d in at.dataframe if "Batch output" in d.value.columns).set_index("Metric")
    assert table.loc["Catalogue coverage@K", "Batch output"] == pytest.approx(2 / 2400)
    lines = next(d.value for d in at.dataframe if "Line" in d.value.columns)
    assert lines["Line"].tolist() == [3]
    at.text_input(key="health_out_uri").input("s3://out/missing.out")
    at.button(key="health_out_read").click().run()
    assert any("NoSuchKey" in e for e in errors_of(at))
