"""Responses -> tables, JSON-safe copies, catalogue summaries, metrics table, shareable URLs."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from scoring import results, shareable

ITEMS = pd.DataFrame({
    "ITEM_ID": ["a", "b", "c"], "TITLE": ["Alpha", "Beta", "Gamma"],
    "GENRES": ["Action|Comedy", "Drama", ""], "YEAR": [2001, 2002, 2003],
    "CREATION_TIMESTAMP": [1, 2, 3],
}).set_index("ITEM_ID", drop=False)


def test_recommendations_table_with_metadata() -> None:
    response = {"itemList": [{"itemId": "b", "score": 0.5}, {"itemId": "a", "score": 0.25}],
                "recommendationId": "RID-1"}
    table = results.to_table(response, ITEMS)
    assert list(table.columns) == ["Rank", "Item ID", "Score", "Reason", "TITLE", "GENRES", "YEAR"]
    assert table["Rank"].tolist() == [1, 2]
    assert table["Item ID"].tolist() == ["b", "a"]
    assert table["Score"].tolist() == [0.5, 0.25]
    assert table["TITLE"].tolist() == ["Beta", "Alpha"]
    assert table["GENRES"].tolist() == ["Drama", "Action, Comedy"]
    assert table["YEAR"].tolist() == [2002, 2001]


def test_ranking_table_keeps_unknown_items_with_blank_metadata() -> None:
    response = {"personalizedRanking": [{"itemId": "c", "score": 0.9}, {"itemId": "zzz", "score": 0.0}]}
    table = results.to_table(response, ITEMS)
    assert table["Item ID"].tolist() == ["c", "zzz"]
    assert table["TITLE"].tolist() == ["Gamma", ""]
    assert math.isnan(table["YEAR"].iloc[1])


def test_missing_scores_are_nan_and_reasons_promotions_are_kept() -> None:
    response = {"itemList": [
        {"itemId": "a", "reason": ["Popular item"]},
        {"itemId": "b", "promotionName": "summer", "reason": ["Promoted item", "Exploration"]},
    ]}
    table = results.to_table(response, None)
    assert table["Score"].isna().all() and table["Score"].dtype == np.float64
    assert table["Reason"].tolist() == ["Popular item", "Promoted item, Exploration"]
    assert table["Promotion"].tolist() == ["", "summer"]
    assert "TITLE" not in table
    assert results.top_score(table) is None


def test_response_metadata_columns_become_columns() -> None:
    response = {"itemList": [{"itemId": "a", "score": 1.0, "metadata": {"PRICE": "9.99", "TITLE": "A!"}}]}
    assert results.to_table(response, None)[["PRICE", "TITLE"]].iloc[0].tolist() == ["9.99", "A!"]
    joined = results.to_table(response, ITEMS)  # the items data wins for TITLE; no duplicate
    assert joined["TITLE"].tolist() == ["Alpha"] and list(joined.columns).count("TITLE") == 1


def test_empty_response_gives_an_empty_table_with_the_columns() -> None:
    table = results.to_table({"itemList": []}, ITEMS)
    assert len(table) == 0 and list(table.columns)[:4] == list(results.BASE_COLUMNS)


def test_csv_round_trip() -> None:
    table = results.to_table({"itemList": [{"itemId": "a", "score": 0.125}]}, ITEMS)
    back = pd.read_csv(pd.io.common.BytesIO(results.to_csv(table)))
    assert back["Score"].tolist() == [0.125] and back["TITLE"].tolist() == ["Alpha"]


def test_jsonable_makes_boto3_responses_serialisable() -> None:
    response = {"campaign": {"creationDateTime": datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC),
                             "score": np.float32(0.5), "ids": np.array(["a"]), "nan": math.nan}}
    text = json.dumps(results.jsonable(response))
    assert "2025-01-02T03:04:05+00:00" in text and '"score": 0.5' in text and '"nan": null' in text


# -- catalogue summaries -----------------------------------------------------------------------
@given(st.lists(st.floats(-20, 20), min_size=1, max_size=300))
def test_softmax_catalogue_mean_is_one_over_n(logits: list[float]) -> None:
    x = np.asarray(logits)
    scores = np.exp(x - x.max()) / np.exp(x - x.max()).sum()
    summary = results.catalogue_summary(scores, scores[:3].tolist())
    assert summary.n_items == len(logits)
    assert summary.total == pytest.approx(1.0)
    assert summary.mean == pytest.approx(1 / len(logits))
    assert summary.top >= summary.mean
    assert 0 <= summary.shown_mass <= 1 + 1e-9


@example([1.0000000000000002e-12, 1e-12])  # two scores one ulp apart: the edges once collapsed
@given(st.lists(st.floats(1e-12, 1.0), min_size=1, max_size=500))
def test_log_histogram_counts_every_positive_score(scores: list[float]) -> None:
    edges, counts = results.log_histogram(np.asarray(scores), bins=20)
    assert counts.sum() == len(scores)
    assert np.all(np.diff(edges) > 0)


def test_log_histogram_ignores_zeros_and_survives_all_zero() -> None:
    _, counts = results.log_histogram(np.array([0.0, 0.5, 0.5]))
    assert counts.sum() == 2
    _, counts = results.log_histogram(np.zeros(4))
    assert counts.sum() == 0


def test_shown_items_are_looked_up_in_the_catalogue() -> None:
    ids, scores = np.array(["a", "b", "c"]), np.array([0.2, 0.3, 0.5])
    shown = results.shown_catalogue_scores(ids, scores, ["c", "x"])
    assert shown[0] == 0.5 and math.isnan(shown[1])


def test_caption_explains_the_normalisation() -> None:
    summary = results.catalogue_summary(np.full(4, 0.25), [0.25])
    text = results.catalogue_caption(summary)
    assert "sum to 1 over the catalogue" in text and "1/N" in text and "4 items" in text
    assert "renormalised over the input list" in results.catalogue_caption(summary, ranking=True)


class _Catalogue:
    def catalogue_scores(self, *, campaignArn: str, userId: str | None, context: dict | None) -> tuple:
        return ["a", "b"], [0.25, 0.75]


def test_catalogue_scores_only_where_the_client_has_them() -> None:
    params = {"campaignArn": "arn", "userId": "1"}
    ids, scores = results.catalogue_scores(_Catalogue(), params)  # type: ignore[misc]
    assert ids.tolist() == ["a", "b"] and scores.sum() == 1.0
    assert results.catalogue_scores(object(), params) is None


def test_metrics_table_in_console_order() -> None:
    table = results.metrics_table({"precision_at_5": 0.1, "coverage": 0.5, "zeta_metric": 1.0})
    assert table["Name"].tolist() == ["coverage", "precision_at_5", "zeta_metric"]
    assert table["Metric"].tolist() == ["Coverage", "Precision at 5", "Zeta metric"]


# -- shareable URLs --------------------------------------------------------------------------
def test_query_params_round_trip() -> None:
    state = shareable.SharedState(source="aws", region="eu-west-1", profile="prod", endpoint="http://x",
                                  campaign="arn:aws:personalize:eu-west-1:1:campaign/c", user_id="42",
                                  items=("a", "b"), context=(("DEVICE", "mobile phone"), ("T", "a=b")),
                                  num_results=10)
    params = shareable.to_query_params(state)
    as_lists = {k: v if isinstance(v, list) else [v] for k, v in params.items()}
    assert shareable.from_query_params(as_lists) == state
    assert params["ctx"] == ["DEVICE=mobile phone", "T=a=b"]


def test_local_state_leaves_out_aws_fields_and_request_on_demand() -> None:
    state = shareable.SharedState(group="demo", campaign="arn:c", region="x", user_id="1")
    assert shareable.to_query_params(state, with_request=False) == {
        "source": "local", "group": "demo", "campaign": "arn:c"}


def test_bad_query_params_are_dropped() -> None:
    state = shareable.from_query_params({"source": "nope", "n": "ten", "ctx": ["novalue", "=x", "K=v"],
                                         "user": " "})
    assert state.source == "local" and state.num_results is None
    assert state.context == (("K", "v"),) and state.user_id == "" and not state.has_request


def test_request_state_from_params() -> None:
    fields = shareable.request_state({"campaignArn": "arn:c", "userId": "1", "inputList": ["a"],
                                      "context": {"DEVICE": "tv"}})
    assert fields == {"campaign": "arn:c", "user_id": "1", "item_id": "", "items": ("a",),
                      "context": (("DEVICE", "tv"),), "num_results": None}


def test_a_recommenders_request_is_shared_under_its_arn() -> None:
    fields = shareable.request_state({"recommenderArn": "arn:r", "userId": "1", "itemId": "42"})
    assert (fields["campaign"], fields["user_id"], fields["item_id"]) == ("arn:r", "1", "42")
