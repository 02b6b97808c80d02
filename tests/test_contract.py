"""One contract, every client: the same assertions against each backend (like `implicit`'s
recommender test mixin). A backend is a pair of (runtime, control) clients on the demo group.

Backends: the local in-process clients, real boto3 clients under botocore's Stubber fed by the
local clients (which checks requests and responses against the service model), and real boto3
clients over HTTP against the local endpoint. Filter creation and deletion run on a copy of the
demo group (the `writable` fixture), so the shared demo group never changes.
"""

from __future__ import annotations

import json
import math
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from botocore.exceptions import ParamValidationError

import scoring
from scoring import arns
from tests.support.stubbed import StubbedClient, http_client

REC = arns.local_arn("campaign", "demo-user-personalization")
RANK = arns.local_arn("campaign", "demo-personalized-ranking")
MISSING = arns.local_arn("campaign", "no-such-campaign")
SIMS = arns.local_arn("campaign", "demo-related-items")
POPULAR = arns.local_arn("campaign", "demo-popular-items")
USER = "1"
GROUP = arns.local_arn("dataset-group", "demo")
GENRE = arns.local_arn("filter", "genre")
WATCHED = arns.local_arn("filter", "exclude-watched")
YEARS = arns.local_arn("filter", "recent-years")
NO_FILTER = arns.local_arn("filter", "no-such-filter")
SUMMARY_KEYS = {"name", "filterArn", "creationDateTime", "lastUpdatedDateTime", "datasetGroupArn", "status"}


def _genres(demo_dir: Path) -> dict[str, set[str]]:
    items = pd.read_csv(demo_dir / "items.csv", dtype=str, keep_default_na=False)
    return {i: set(g.split("|")) for i, g in zip(items["ITEM_ID"], items["GENRES"], strict=True)}


def _years(demo_dir: Path) -> dict[str, int]:
    items = pd.read_csv(demo_dir / "items.csv", dtype={"ITEM_ID": str})
    return dict(zip(items["ITEM_ID"], items["YEAR"].astype(int), strict=True))


def _watched(demo_dir: Path, user: str) -> set[str]:
    events = pd.read_csv(demo_dir / "interactions.csv", dtype=str, keep_default_na=False)
    return set(events.loc[(events["USER_ID"] == user) & (events["EVENT_TYPE"] == "watch"), "ITEM_ID"])


class ClientContract:
    """Subclasses provide the `runtime` and `control` fixtures."""

    runtime: Any
    control: Any

    # -- control plane -------------------------------------------------------------------
    def test_lists_both_demo_campaigns(self, control: Any) -> None:
        names = {c["name"] for c in control.list_campaigns()["campaigns"]}
        assert {"demo-user-personalization", "demo-personalized-ranking"} <= names

    def test_list_campaigns_pages_with_next_token(self, control: Any) -> None:
        first = control.list_campaigns(maxResults=1)
        assert len(first["campaigns"]) == 1 and first["nextToken"]
        second = control.list_campaigns(maxResults=1, nextToken=first["nextToken"])
        assert second["campaigns"][0]["campaignArn"] != first["campaigns"][0]["campaignArn"]

    def test_describe_campaign_leads_to_its_recipe(self, control: Any) -> None:
        campaign = control.describe_campaign(campaignArn=RANK)["campaign"]
        assert campaign["status"] == "ACTIVE" and campaign["campaignArn"] == RANK
        version = control.describe_solution_version(solutionVersionArn=campaign["solutionVersionArn"])
        recipe = control.describe_recipe(recipeArn=version["solutionVersion"]["recipeArn"])["recipe"]
        assert recipe["name"] == "aws-personalized-ranking-v2"
        assert recipe["recipeType"] == "PERSONALIZED_RANKING"

    def test_solution_metrics_use_personalize_names(self, control: Any) -> None:
        campaign = control.describe_campaign(campaignArn=REC)["campaign"]
        metrics = control.get_solution_metrics(solutionVersionArn=campaign["solutionVersionArn"])["metrics"]
        assert {"coverage", "normalized_discounted_cumulative_gain_at_10", "precision_at_5"} <= set(metrics)

    def test_describe_unknown_campaign_is_resource_not_found(self, control: Any) -> None:
        with pytest.raises(control.exceptions.ResourceNotFoundException):
            control.describe_campaign(campaignArn=MISSING)

    # -- filters: control plane -----------------------------------------------------------
    def test_describe_schema_gives_each_datasets_typed_avro_schema(self, control: Any) -> None:
        found = {}
        for dataset in control.list_datasets(datasetGroupArn=GROUP)["datasets"]:
            arn = control.describe_dataset(datasetArn=dataset["datasetArn"])["dataset"]["schemaArn"]
            avro = json.loads(control.describe_schema(schemaArn=arn)["schema"]["schema"])
            assert avro["type"] == "record" and avro["namespace"] == "com.amazonaws.personalize.schema"
            found[avro["name"]] = {f["name"]: f for f in avro["fields"]}
        assert set(found) == {"Interactions", "Items", "Users"}
        assert found["Interactions"]["TIMESTAMP"] == {"name": "TIMESTAMP", "type": "long"}
        assert found["Interactions"]["DEVICE"]["categorical"] is True
        assert found["Items"]["YEAR"] == {"name": "YEAR", "type": ["null", "long"]}
        assert found["Items"]["GENRES"] == {"name": "GENRES", "type": ["null", "string"], "categorical": True}
        assert found["Users"]["USER_ID"] == {"name": "USER_ID", "type": "string"}

    def test_describe_unknown_schema_is_resource_not_found(self, control: Any) -> None:
        with pytest.raises(control.exceptions.ResourceNotFoundException):
            control.describe_schema(schemaArn=arns.local_arn("schema", "no-such-schema"))

    def test_list_filters_uses_capital_f(self, control: Any) -> None:
        listed = control.list_filters(datasetGroupArn=GROUP)["Filters"]
        assert {"exclude-watched", "genre", "recent-years"} <= {f["name"] for f in listed}
        assert all(set(f) == SUMMARY_KEYS and f["status"] == "ACTIVE" for f in listed)
        other = arns.local_arn("dataset-group", "elsewhere")
        assert control.list_filters(datasetGroupArn=other)["Filters"] == []

    def test_describe_filter_gives_the_expression(self, control: Any) -> None:
        described = control.describe_filter(filterArn=GENRE)["filter"]
        assert described["filterExpression"] == "INCLUDE ItemID WHERE Items.GENRES IN ($GENRES)"
        assert described["datasetGroupArn"] == GROUP and described["filterArn"] == GENRE

    def test_describe_unknown_filter_is_resource_not_found(self, control: Any) -> None:
        with pytest.raises(control.exceptions.ResourceNotFoundException):
            control.describe_filter(filterArn=NO_FILTER)

    def test_create_use_and_delete_a_filter(self, writable: tuple[Any, Any]) -> None:
        runtime, control = writable
        expression = 'INCLUDE ItemID WHERE Items.GENRES IN ("Horror")'
        arn = control.create_filter(name="horror", datasetGroupArn=GROUP, filterExpression=expression)["filterArn"]
        assert arn == arns.local_arn("filter", "horror")
        assert control.describe_filter(filterArn=arn)["filter"]["filterExpression"] == expression
        items = runtime.get_recommendations(campaignArn=REC, userId=USER, numResults=5, filterArn=arn,
                                            metadataColumns={"ITEMS": ["GENRES"]})["itemList"]
        assert len(items) == 5 and all("Horror" in i["metadata"]["GENRES"].split("|") for i in items)
        with pytest.raises(control.exceptions.ResourceAlreadyExistsException):
            control.create_filter(name="horror", datasetGroupArn=GROUP, filterExpression=expression)
        control.delete_filter(filterArn=arn)
        assert "horror" not in {f["name"] for f in control.list_filters()["Filters"]}
        with pytest.raises(control.exceptions.ResourceNotFoundException):
            control.delete_filter(filterArn=arn)
        with pytest.raises(runtime.exceptions.ResourceNotFoundException):
            runtime.get_recommendations(campaignArn=REC, userId=USER, filterArn=arn)

    def test_create_filter_refuses_a_malformed_expression_with_its_reason(self, writable: tuple[Any, Any]) -> None:
        _, control = writable
        with pytest.raises(control.exceptions.InvalidInputException) as caught:
            control.create_filter(name="typo", datasetGroupArn=GROUP,
                                  filterExpression='INCLUDE ItemID WHERE Items.GENRE IN ("Horror")')
        message = caught.value.response["Error"]["Message"]
        assert "Items has no field GENRE" in message and "GENRES" in message

    def test_current_item_filter_reads_the_related_items_request(self, writable: tuple[Any, Any],
                                                                 demo_dir: Path) -> None:
        runtime, control = writable
        arn = control.create_filter(name="older-than-current", datasetGroupArn=GROUP,
                                    filterExpression="INCLUDE ItemID WHERE Items.YEAR < CurrentItem.YEAR")["filterArn"]
        try:
            years = _years(demo_dir)
            current = max(years, key=lambda i: (years[i], i))  # the newest item: most items are older
            listed = runtime.get_recommendations(campaignArn=SIMS, itemId=current, numResults=25,
                                                 filterArn=arn)["itemList"]
            assert len(listed) == 25 and all(years[i["itemId"]] < years[current] for i in listed)
        finally:
            control.delete_filter(filterArn=arn)

    def test_current_item_filter_on_a_user_campaign_is_refused_with_why(self, writable: tuple[Any, Any]) -> None:
        runtime, control = writable
        arn = control.create_filter(name="same-genre", datasetGroupArn=GROUP,
                                    filterExpression="INCLUDE ItemID WHERE Items.GENRES IN CurrentItem.GENRES")["filterArn"]
        try:
            with pytest.raises(runtime.exceptions.InvalidInputException) as caught:
                runtime.get_recommendations(campaignArn=REC, userId=USER, filterArn=arn)
            assert "CurrentItem filters apply only to recommendations for an item" in \
                caught.value.response["Error"]["Message"]
        finally:
            control.delete_filter(filterArn=arn)

    def test_create_filter_refuses_an_action_filter_as_one(self, writable: tuple[Any, Any]) -> None:
        _, control = writable
        with pytest.raises(control.exceptions.InvalidInputException) as caught:
            control.create_filter(name="actions", datasetGroupArn=GROUP,
                                  filterExpression="INCLUDE ActionID WHERE Actions.VALUE > ($VALUE)")
        assert "action filters are for PERSONALIZED_ACTIONS, which local groups do not have" in \
            caught.value.response["Error"]["Message"]

    # -- UpdateCampaign and exploration ---------------------------------------------------------
    def test_update_campaign_shows_in_describe_campaign(self, writable: tuple[Any, Any]) -> None:
        _, control = writable
        explore = {"explorationWeight": "0.3", "explorationItemAgeCutOff": "3000"}
        try:
            assert control.update_campaign(campaignArn=REC, minProvisionedTPS=2,
                                           campaignConfig={"itemExplorationConfig": explore})["campaignArn"] == REC
            campaign = control.describe_campaign(campaignArn=REC)["campaign"]
            assert campaign["campaignConfig"]["itemExplorationConfig"] == explore
            assert campaign["campaignConfig"]["enableMetadataWithRecommendations"] is True  # other members stay
            assert campaign["minProvisionedTPS"] == 2
            assert campaign["latestCampaignUpdate"]["status"] == "ACTIVE"
            assert campaign["latestCampaignUpdate"]["campaignConfig"]["itemExplorationConfig"] == explore
        finally:
            control.update_campaign(campaignArn=REC, minProvisionedTPS=1, campaignConfig={
                "itemExplorationConfig": {"explorationWeight": "0", "explorationItemAgeCutOff": "30"}})

    def test_exploration_weight_marks_explored_items_and_zero_gives_the_list_back(
            self, writable: tuple[Any, Any]) -> None:
        runtime, control = writable
        request = {"campaignArn": REC, "userId": USER, "numResults": 25}
        before = [i["itemId"] for i in runtime.get_recommendations(**request)["itemList"]]
        try:
            control.update_campaign(campaignArn=REC, campaignConfig={"itemExplorationConfig": {
                "explorationWeight": "0.3", "explorationItemAgeCutOff": "3000"}})
            explored = runtime.get_recommendations(**request)["itemList"]
            marked = [i["itemId"] for i in explored if i.get("reason") == ["Exploration"]]
            assert len(explored) == 25 and len(marked) == round(25 * 0.3 * 0.5)
            assert not set(marked) & set(before[:25 - len(marked)])
            assert [i["itemId"] for i in explored if i["itemId"] not in marked] == before[:25 - len(marked)]
        finally:
            control.update_campaign(campaignArn=REC, campaignConfig={"itemExplorationConfig": {
                "explorationWeight": "0", "explorationItemAgeCutOff": "30"}})
        assert [i["itemId"] for i in runtime.get_recommendations(**request)["itemList"]] == before

    def test_update_campaign_refuses_exploration_on_related_items(self, writable: tuple[Any, Any]) -> None:
        _, control = writable
        with pytest.raises(control.exceptions.InvalidInputException) as caught:
            control.update_campaign(campaignArn=SIMS, campaignConfig={"itemExplorationConfig": {
                "explorationWeight": "0.3"}})
        assert "User-Personalization campaigns only" in caught.value.response["Error"]["Message"]

    def test_update_campaign_refuses_a_weight_above_one(self, writable: tuple[Any, Any]) -> None:
        _, control = writable
        with pytest.raises(control.exceptions.InvalidInputException) as caught:
            control.update_campaign(campaignArn=REC, campaignConfig={"itemExplorationConfig": {
                "explorationWeight": "1.5", "explorationItemAgeCutOff": "30"}})
        assert "between 0.0 and 1.0" in caught.value.response["Error"]["Message"]

    def test_update_unknown_campaign_is_resource_not_found(self, writable: tuple[Any, Any]) -> None:
        _, control = writable
        with pytest.raises(control.exceptions.ResourceNotFoundException):
            control.update_campaign(campaignArn=MISSING, minProvisionedTPS=2)

    def test_a_group_holds_at_most_ten_filters(self, writable: tuple[Any, Any]) -> None:
        _, control = writable
        existing = len(control.list_filters()["Filters"])
        made = [control.create_filter(name=f"year-{n}", datasetGroupArn=GROUP,
                                      filterExpression=f"INCLUDE ItemID WHERE Items.YEAR >= {2000 + n}")["filterArn"]
                for n in range(10 - existing)]
        try:
            with pytest.raises(control.exceptions.LimitExceededException):
                control.create_filter(name="one-too-many", datasetGroupArn=GROUP,
                                      filterExpression="INCLUDE ItemID WHERE Items.YEAR >= 1990")
        finally:
            for arn in made:
                control.delete_filter(filterArn=arn)

    # -- filters and promotions: runtime ------------------------------------------------------
    def test_an_include_filter_keeps_only_matching_items_with_unchanged_scores(self, runtime: Any,
                                                                                demo_dir: Path) -> None:
        plain = runtime.get_recommendations(campaignArn=REC, userId=USER, numResults=500)["itemList"]
        filtered = runtime.get_recommendations(campaignArn=REC, userId=USER, numResults=20, filterArn=GENRE,
                                               filterValues={"GENRES": '"Comedy","Horror"'})["itemList"]
        genres = _genres(demo_dir)
        assert len(filtered) == 20 and all(genres[i["itemId"]] & {"Comedy", "Horror"} for i in filtered)
        scores = {i["itemId"]: i["score"] for i in plain}
        expected = [i["itemId"] for i in plain if genres[i["itemId"]] & {"Comedy", "Horror"}][:20]
        assert [i["itemId"] for i in filtered] == expected
        for item in filtered:
            assert item["score"] == pytest.approx(scores[item["itemId"]], rel=1e-9)

    def test_exclude_watched_removes_the_users_watched_items(self, runtime: Any, demo_dir: Path) -> None:
        items = runtime.get_recommendations(campaignArn=REC, userId=USER, numResults=100,
                                            filterArn=WATCHED)["itemList"]
        assert len(items) == 100 and not {i["itemId"] for i in items} & _watched(demo_dir, USER)

    def test_include_filter_without_its_value_is_invalid_input(self, runtime: Any) -> None:
        with pytest.raises(runtime.exceptions.InvalidInputException) as caught:
            runtime.get_recommendations(campaignArn=REC, userId=USER, filterArn=GENRE)
        assert "$GENRES" in caught.value.response["Error"]["Message"]

    def test_filter_values_must_be_quoted(self, runtime: Any) -> None:
        with pytest.raises(runtime.exceptions.InvalidInputException) as caught:
            runtime.get_recommendations(campaignArn=REC, userId=USER, filterArn=GENRE,
                                        filterValues={"GENRES": "Comedy,Horror"})
        assert "double-quoted" in caught.value.response["Error"]["Message"]

    def test_unknown_filter_is_resource_not_found(self, runtime: Any) -> None:
        with pytest.raises(runtime.exceptions.ResourceNotFoundException):
            runtime.get_recommendations(campaignArn=REC, userId=USER, filterArn=NO_FILTER)

    def test_filters_apply_to_every_recipe(self, runtime: Any, demo_dir: Path) -> None:
        genres = _genres(demo_dir)
        values = {"GENRES": '"Documentary"'}
        for request in ({"campaignArn": SIMS, "itemId": "10"}, {"campaignArn": POPULAR},
                        {"campaignArn": REC, "userId": "nobody-knows-me"}):
            items = runtime.get_recommendations(**request, numResults=10, filterArn=GENRE,
                                                filterValues=values)["itemList"]
            assert len(items) == 10 and all("Documentary" in genres[i["itemId"]] for i in items), request
        cold = runtime.get_recommendations(campaignArn=REC, userId="nobody-knows-me", numResults=3,
                                           filterArn=GENRE, filterValues=values)["itemList"]
        assert all(i["reason"] == ["Popular item"] for i in cold)

    def test_ranking_drops_filtered_items_and_keeps_their_scores(self, runtime: Any, demo_dir: Path) -> None:
        input_list = [str(i) for i in range(1, 31)]
        plain = runtime.get_personalized_ranking(campaignArn=RANK, userId=USER, inputList=input_list)
        ranked = runtime.get_personalized_ranking(campaignArn=RANK, userId=USER, inputList=input_list,
                                                  filterArn=YEARS, filterValues={"YEAR": "2015"})
        years = pd.read_csv(demo_dir / "items.csv", dtype={"ITEM_ID": str}).set_index("ITEM_ID")["YEAR"]
        kept = [i for i in plain["personalizedRanking"] if years[i["itemId"]] >= 2015]
        assert 0 < len(kept) < len(input_list)
        assert [i["itemId"] for i in ranked["personalizedRanking"]] == [i["itemId"] for i in kept]
        for a, b in zip(ranked["personalizedRanking"], kept, strict=True):
            assert a["score"] == pytest.approx(b["score"], rel=1e-9)

    def test_a_promotion_marks_its_items_and_is_reproducible(self, runtime: Any, demo_dir: Path) -> None:
        request = {"campaignArn": REC, "userId": USER, "numResults": 10, "filterArn": WATCHED,
                   "promotions": [{"name": "horror-week", "percentPromotedItems": 25, "filterArn": GENRE,
                                   "filterValues": {"GENRES": '"Horror"'}}]}
        items = runtime.get_recommendations(**request)["itemList"]
        promoted = [i for i in items if i.get("promotionName")]
        assert len(items) == 10 and len(promoted) == math.ceil(10 * 25 / 100)
        genres = _genres(demo_dir)
        assert all(i["promotionName"] == "horror-week" and i["reason"] == ["Promoted item"]
                   and "Horror" in genres[i["itemId"]] for i in promoted)
        regular = [i for i in items if not i.get("promotionName")]
        assert not {i["itemId"] for i in regular} & _watched(demo_dir, USER)
        assert [i["score"] for i in promoted] == sorted((i["score"] for i in promoted), reverse=True)
        again = runtime.get_recommendations(**request)["itemList"]
        assert [i["itemId"] for i in again] == [i["itemId"] for i in items]

    # -- GetRecommendations --------------------------------------------------------------
    def test_recommendations_default_to_25_sorted_scores(self, runtime: Any) -> None:
        response = runtime.get_recommendations(campaignArn=REC, userId=USER)
        items = response["itemList"]
        assert len(items) == 25
        scores = [i["score"] for i in items]
        assert scores == sorted(scores, reverse=True)
        assert all(0 < s <= 1 for s in scores)
        assert len({i["itemId"] for i in items}) == 25
        assert response["recommendationId"]

    @pytest.mark.parametrize("n", [0, 1, 10, 500])
    def test_num_results_is_honoured(self, runtime: Any, n: int) -> None:
        items = runtime.get_recommendations(campaignArn=REC, userId=USER, numResults=n)["itemList"]
        assert len(items) == n

    def test_context_changes_the_ranking(self, runtime: Any) -> None:
        def top(device: str) -> list[str]:
            items = runtime.get_recommendations(campaignArn=REC, userId=USER, numResults=10,
                                                context={"DEVICE": device})["itemList"]
            return [i["itemId"] for i in items]

        assert top("mobile phone") != top("desktop")

    def test_unknown_user_gets_popular_items(self, runtime: Any) -> None:
        items = runtime.get_recommendations(campaignArn=REC, userId="nobody-knows-me", numResults=5)["itemList"]
        assert len(items) == 5
        assert all(i["reason"] == ["Popular item"] for i in items)

    @pytest.mark.parametrize("params", [
        {"numResults": 501},
        {"context": {f"KEY_{i}": "v" for i in range(151)}},
        {"context": {"BAD KEY": "v"}},
        {"context": {"DEVICE": "x" * 1001}},
        {"userId": "u" * 257},
        {"filterValues": {f"P{i}": '"v"' for i in range(26)}},
    ], ids=["numResults=501", "151-context-keys", "key-with-space", "long-value", "long-user", "26-filter-values"])
    def test_service_limits_are_invalid_input(self, runtime: Any, params: dict[str, Any]) -> None:
        request = {"campaignArn": REC, "userId": USER} | params
        with pytest.raises(runtime.exceptions.InvalidInputException) as caught:
            runtime.get_recommendations(**request)
        assert "validation error" in caught.value.response["Error"]["Message"]

    def test_malformed_arn_is_invalid_input(self, runtime: Any) -> None:
        with pytest.raises(runtime.exceptions.InvalidInputException):
            runtime.get_recommendations(campaignArn="not-an-arn", userId=USER)

    def test_unknown_campaign_is_resource_not_found(self, runtime: Any) -> None:
        with pytest.raises(runtime.exceptions.ResourceNotFoundException) as caught:
            runtime.get_recommendations(campaignArn=MISSING, userId=USER)
        assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404

    def test_negative_num_results_is_refused_by_boto3_itself(self, runtime: Any) -> None:
        with pytest.raises(ParamValidationError):
            runtime.get_recommendations(campaignArn=REC, userId=USER, numResults=-1)

    def test_recommendations_from_a_ranking_campaign_are_invalid(self, runtime: Any) -> None:
        with pytest.raises(runtime.exceptions.InvalidInputException):
            runtime.get_recommendations(campaignArn=RANK, userId=USER)

    # -- unscored recipes: related items and popularity count ---------------------------
    def test_related_items_have_no_scores_and_exclude_the_item(self, runtime: Any) -> None:
        items = runtime.get_recommendations(campaignArn=SIMS, itemId="10", numResults=15)["itemList"]
        assert len(items) == 15
        assert all("score" not in i for i in items)
        assert "10" not in {i["itemId"] for i in items}

    def test_related_items_of_an_unknown_item_are_popular_items(self, runtime: Any) -> None:
        unknown = runtime.get_recommendations(campaignArn=SIMS, itemId="no-such-item", numResults=5)["itemList"]
        popular = runtime.get_recommendations(campaignArn=POPULAR, numResults=5)["itemList"]
        assert [i["itemId"] for i in unknown] == [i["itemId"] for i in popular]
        assert all(i["reason"] == ["Popular item"] for i in unknown)

    def test_related_items_need_an_item_id(self, runtime: Any) -> None:
        with pytest.raises(runtime.exceptions.InvalidInputException):
            runtime.get_recommendations(campaignArn=SIMS, userId=USER)

    def test_popular_items_are_the_same_for_every_user(self, runtime: Any) -> None:
        a = runtime.get_recommendations(campaignArn=POPULAR, userId="1", numResults=10)["itemList"]
        b = runtime.get_recommendations(campaignArn=POPULAR, userId="2", numResults=10)["itemList"]
        assert a == b and len(a) == 10
        assert all("score" not in i for i in a)

    # -- GetPersonalizedRanking ----------------------------------------------------------
    def test_ranking_returns_every_input_item(self, runtime: Any) -> None:
        input_list = ["10", "20", "30", "40", "50"]
        ranked = runtime.get_personalized_ranking(campaignArn=RANK, userId=USER, inputList=input_list)
        items = ranked["personalizedRanking"]
        assert sorted(i["itemId"] for i in items) == sorted(input_list)
        assert sum(i["score"] for i in items) == pytest.approx(1.0, abs=1e-6)

    def test_untrained_items_go_last_with_score_zero(self, runtime: Any) -> None:
        items = runtime.get_personalized_ranking(campaignArn=RANK, userId=USER,
                                                 inputList=["never-seen", "10", "20"])["personalizedRanking"]
        assert items[-1] == {"itemId": "never-seen", "score": 0.0}

    def test_ranking_scores_are_recommendation_scores_renormalised(self, runtime: Any) -> None:
        context = {"DEVICE": "tablet"}
        recs = runtime.get_recommendations(campaignArn=REC, userId=USER, numResults=40,
                                           context=context)["itemList"]
        chosen = {i["itemId"]: i["score"] for i in recs[::4]}
        ranked = runtime.get_personalized_ranking(campaignArn=RANK, userId=USER, inputList=list(chosen),
                                                  context=context)["personalizedRanking"]
        total = sum(chosen.values())
        for item in ranked:
            expected = chosen[item["itemId"]] / total
            assert abs(item["score"] - expected) / expected < 1e-5

    def test_ranking_more_than_500_items_is_invalid(self, runtime: Any) -> None:
        with pytest.raises(runtime.exceptions.InvalidInputException):
            runtime.get_personalized_ranking(campaignArn=RANK, userId=USER,
                                             inputList=[str(i) for i in range(501)])

    def test_ranking_on_unknown_campaign_is_resource_not_found(self, runtime: Any) -> None:
        with pytest.raises(runtime.exceptions.ResourceNotFoundException):
            runtime.get_personalized_ranking(campaignArn=MISSING, userId=USER, inputList=["1"])

    def test_ranking_without_input_list_is_refused_by_boto3_itself(self, runtime: Any) -> None:
        with pytest.raises(ParamValidationError):
            runtime.get_personalized_ranking(campaignArn=RANK, userId=USER)


@pytest.fixture(scope="module")
def group_copy(demo_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A private copy of the demo group: filters are created and deleted there."""
    target = tmp_path_factory.mktemp("group") / "demo"
    shutil.copytree(demo_dir, target, ignore=shutil.ignore_patterns(".*"))
    return target


class TestLocalClients(ClientContract):
    @pytest.fixture
    def runtime(self, demo_dir: Any) -> Any:
        return scoring.client("personalize-runtime", demo_dir)

    @pytest.fixture
    def control(self, demo_dir: Any) -> Any:
        return scoring.client("personalize", demo_dir)

    @pytest.fixture
    def writable(self, group_copy: Path) -> tuple[Any, Any]:
        return scoring.client("personalize-runtime", group_copy), scoring.client("personalize", group_copy)


class TestBoto3UnderStubber(ClientContract):
    @pytest.fixture
    def runtime(self, demo_dir: Any) -> Any:
        return StubbedClient("personalize-runtime", scoring.client("personalize-runtime", demo_dir))

    @pytest.fixture
    def control(self, demo_dir: Any) -> Any:
        return StubbedClient("personalize", scoring.client("personalize", demo_dir))

    @pytest.fixture
    def writable(self, group_copy: Path) -> tuple[Any, Any]:
        return (StubbedClient("personalize-runtime", scoring.client("personalize-runtime", group_copy)),
                StubbedClient("personalize", scoring.client("personalize", group_copy)))


def test_local_and_stubbed_scores_agree(demo_dir: Any) -> None:
    local = scoring.client("personalize-runtime", demo_dir)
    stubbed = StubbedClient("personalize-runtime", local)
    a = local.get_recommendations(campaignArn=REC, userId=USER, numResults=5)["itemList"]
    b = stubbed.get_recommendations(campaignArn=REC, userId=USER, numResults=5)["itemList"]
    np.testing.assert_allclose([i["score"] for i in a], [i["score"] for i in b], rtol=1e-12)


# -- over real HTTP: boto3 clients pointed at the local endpoint (tests/conftest.py endpoint_url)


@pytest.fixture(scope="module")
def copy_endpoint_url(group_copy: Path) -> Iterator[str]:
    from scoring.server import serve_in_thread

    server, url = serve_in_thread(group_copy, "127.0.0.1", 0)
    yield url
    server.shutdown()


class TestBoto3OverHttp(ClientContract):
    @pytest.fixture
    def runtime(self, endpoint_url: str) -> Any:
        return http_client("personalize-runtime", endpoint_url)

    @pytest.fixture
    def control(self, endpoint_url: str) -> Any:
        return http_client("personalize", endpoint_url)

    @pytest.fixture
    def writable(self, copy_endpoint_url: str) -> tuple[Any, Any]:
        return (http_client("personalize-runtime", copy_endpoint_url),
                http_client("personalize", copy_endpoint_url))


@pytest.mark.parametrize("request_params", [
    {"campaignArn": REC, "userId": USER, "numResults": 25},
    {"campaignArn": REC, "userId": USER, "numResults": 10, "context": {"DEVICE": "mobile phone"}},
    {"campaignArn": REC, "userId": "nobody-knows-me", "numResults": 7},
    {"campaignArn": REC, "userId": "2", "numResults": 500},
], ids=["default", "context", "unknown-user", "500"])
def test_http_recommendations_equal_in_process(endpoint_url: str, demo_dir: Any,
                                               request_params: dict[str, Any]) -> None:
    local = scoring.client("personalize-runtime", demo_dir).get_recommendations(**request_params)["itemList"]
    remote = http_client("personalize-runtime", endpoint_url).get_recommendations(**request_params)["itemList"]
    assert [i["itemId"] for i in remote] == [i["itemId"] for i in local]
    assert [i.get("reason") for i in remote] == [i.get("reason") for i in local]
    np.testing.assert_allclose([i["score"] for i in remote], [i["score"] for i in local], rtol=1e-6)


@pytest.mark.parametrize("context", [None, {"DEVICE": "tablet"}], ids=["no-context", "context"])
def test_http_ranking_equals_in_process(endpoint_url: str, demo_dir: Any, context: Any) -> None:
    request = {"campaignArn": RANK, "userId": USER, "inputList": ["10", "never-seen", "20", "30", "40", "50"]}
    if context:
        request["context"] = context
    local = scoring.client("personalize-runtime", demo_dir).get_personalized_ranking(**request)
    remote = http_client("personalize-runtime", endpoint_url).get_personalized_ranking(**request)
    a, b = local["personalizedRanking"], remote["personalizedRanking"]
    assert [i["itemId"] for i in b] == [i["itemId"] for i in a]
    np.testing.assert_allclose([i["score"] for i in b], [i["score"] for i in a], rtol=1e-6)


def test_http_control_plane_equals_in_process(endpoint_url: str, demo_dir: Any) -> None:
    local = scoring.client("personalize", demo_dir)
    remote = http_client("personalize", endpoint_url)
    strip = lambda r: {k: v for k, v in r.items() if k != "ResponseMetadata"}  # noqa: E731
    assert strip(remote.describe_campaign(campaignArn=REC)) == strip(local.describe_campaign(campaignArn=REC))
    assert strip(remote.list_campaigns()) == strip(local.list_campaigns())
    for dataset in local.list_datasets()["datasets"]:
        got = remote.describe_dataset(datasetArn=dataset["datasetArn"])
        assert strip(got) == strip(local.describe_dataset(datasetArn=dataset["datasetArn"]))
        schema = got["dataset"]["schemaArn"]
        assert strip(remote.describe_schema(schemaArn=schema)) == strip(local.describe_schema(schemaArn=schema))
