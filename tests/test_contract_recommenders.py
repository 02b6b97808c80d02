"""Domain recommenders, one contract for every client: the demo is also a VIDEO_ON_DEMAND dataset
group whose recommenders the same model serves. Backends as in tests/test_contract.py: the local
clients in-process, boto3 under botocore's Stubber (requests and responses checked against the
service model), and boto3 over HTTP against the local endpoint.
"""

from __future__ import annotations

from typing import Any

import pytest

import scoring
from scoring import arns, campaigns
from tests.support.stubbed import StubbedClient, http_client

GROUP = arns.local_arn("dataset-group", "demo")
TOP_PICKS = arns.local_arn("recommender", "demo-top-picks")
WATCHED_X = arns.local_arn("recommender", "demo-because-you-watched-x")
MORE_LIKE_X = arns.local_arn("recommender", "demo-more-like-x")
MOST_POPULAR = arns.local_arn("recommender", "demo-most-popular")
TRENDING = arns.local_arn("recommender", "demo-trending-now")
MISSING = arns.local_arn("recommender", "no-such-recommender")
SIMS = arns.local_arn("campaign", "demo-related-items")
POPULAR = arns.local_arn("campaign", "demo-popular-items")
WATCHED_FILTER = arns.local_arn("filter", "exclude-watched")
VOD_USE_CASES = {"aws-vod-top-picks", "aws-vod-because-you-watched-x", "aws-vod-more-like-x",
                 "aws-vod-most-popular", "aws-vod-trending-now"}


def _ids(response: dict[str, Any]) -> list[str]:
    return [i["itemId"] for i in response["itemList"]]


class RecommenderContract:
    """Subclasses provide the `runtime` and `control` fixtures."""

    # -- control plane -------------------------------------------------------------------
    def test_list_recommenders_gives_the_video_use_cases(self, control: Any) -> None:
        listed = control.list_recommenders(datasetGroupArn=GROUP)["recommenders"]
        assert {r["recipeArn"].rsplit("/", 1)[-1] for r in listed} == VOD_USE_CASES
        assert all(r["status"] == "ACTIVE" and r["datasetGroupArn"] == GROUP for r in listed)

    def test_list_recommenders_of_another_group_is_empty(self, control: Any) -> None:
        other = arns.local_arn("dataset-group", "elsewhere")
        assert control.list_recommenders(datasetGroupArn=other)["recommenders"] == []

    def test_list_recommenders_pages_with_next_token(self, control: Any) -> None:
        first = control.list_recommenders(maxResults=2)
        second = control.list_recommenders(maxResults=2, nextToken=first["nextToken"])
        assert len(first["recommenders"]) == 2 and first["nextToken"]
        assert not {r["recommenderArn"] for r in first["recommenders"]} & \
            {r["recommenderArn"] for r in second["recommenders"]}

    def test_describe_recommender_gives_config_and_metrics(self, control: Any) -> None:
        described = control.describe_recommender(recommenderArn=TOP_PICKS)["recommender"]
        assert described["recipeArn"] == "arn:aws:personalize:::recipe/aws-vod-top-picks"
        assert described["recommenderConfig"]["minRecommendationRequestsPerSecond"] == 1
        assert {"coverage", "precision_at_5"} <= set(described["modelMetrics"])

    def test_describe_unknown_recommender_is_resource_not_found(self, control: Any) -> None:
        with pytest.raises(control.exceptions.ResourceNotFoundException):
            control.describe_recommender(recommenderArn=MISSING)

    def test_the_demo_dataset_group_is_a_video_domain_group(self, control: Any) -> None:
        assert control.describe_dataset_group(datasetGroupArn=GROUP)["datasetGroup"]["domain"] == "VIDEO_ON_DEMAND"

    def test_the_console_reads_a_recommender_like_a_campaign(self, control: Any) -> None:
        details = campaigns.describe(control, WATCHED_X)
        assert details.is_recommender and details.domain == "VIDEO_ON_DEMAND" and details.min_tps == 1
        assert details.form.needs_user and details.form.needs_item and not details.has_scores
        assert [r["name"] for r in campaigns.list_recommenders(control)][:2] == [
            "demo-because-you-watched-x", "demo-more-like-x"]

    # -- runtime -------------------------------------------------------------------------
    def test_top_picks_have_no_scores(self, runtime: Any) -> None:
        items = runtime.get_recommendations(recommenderArn=TOP_PICKS, userId="1", numResults=7)["itemList"]
        assert len(items) == 7 and all("score" not in i for i in items)

    def test_because_you_watched_x_needs_an_item(self, runtime: Any) -> None:
        with pytest.raises(runtime.exceptions.InvalidInputException) as caught:
            runtime.get_recommendations(recommenderArn=WATCHED_X, userId="1")
        assert "itemId is required" in caught.value.response["Error"]["Message"]

    def test_because_you_watched_x_follows_the_item(self, runtime: Any) -> None:
        def top(item: str) -> list[str]:
            return _ids(runtime.get_recommendations(recommenderArn=WATCHED_X, userId="1", itemId=item,
                                                    numResults=10))

        assert top("42") != top("1000")

    def test_more_like_x_is_the_related_items_ordering(self, runtime: Any) -> None:
        like = runtime.get_recommendations(recommenderArn=MORE_LIKE_X, userId="1", itemId="42", numResults=10)
        related = runtime.get_recommendations(campaignArn=SIMS, itemId="42", numResults=10)
        assert _ids(like) == _ids(related) and "42" not in _ids(like)

    def test_most_popular_is_the_popularity_ordering(self, runtime: Any) -> None:
        popular = runtime.get_recommendations(recommenderArn=MOST_POPULAR, userId="1", numResults=10)
        assert _ids(popular) == _ids(runtime.get_recommendations(campaignArn=POPULAR, numResults=10))

    def test_filters_apply_to_recommenders(self, runtime: Any) -> None:
        plain = _ids(runtime.get_recommendations(recommenderArn=MOST_POPULAR, userId="1", numResults=50))
        kept = _ids(runtime.get_recommendations(recommenderArn=MOST_POPULAR, userId="1", numResults=50,
                                                filterArn=WATCHED_FILTER))
        assert kept != plain and set(kept) - set(plain)  # watched items gave way to others

    def test_trending_now_takes_no_promotion(self, runtime: Any) -> None:
        promotion = {"name": "p", "percentPromotedItems": 10, "filterArn": WATCHED_FILTER}
        with pytest.raises(runtime.exceptions.InvalidInputException):
            runtime.get_recommendations(recommenderArn=TRENDING, numResults=5, promotions=[promotion])

    def test_unknown_recommender_is_resource_not_found(self, runtime: Any) -> None:
        with pytest.raises(runtime.exceptions.ResourceNotFoundException):
            runtime.get_recommendations(recommenderArn=MISSING, userId="1")

    def test_campaign_and_recommender_together_are_invalid(self, runtime: Any) -> None:
        with pytest.raises(runtime.exceptions.InvalidInputException):
            runtime.get_recommendations(recommenderArn=TOP_PICKS, campaignArn=POPULAR, userId="1")


class TestLocalRecommenders(RecommenderContract):
    @pytest.fixture
    def runtime(self, demo_dir: Any) -> Any:
        return scoring.client("personalize-runtime", demo_dir)

    @pytest.fixture
    def control(self, demo_dir: Any) -> Any:
        return scoring.client("personalize", demo_dir)


class TestBoto3UnderStubberRecommenders(RecommenderContract):
    @pytest.fixture
    def runtime(self, demo_dir: Any) -> Any:
        return StubbedClient("personalize-runtime", scoring.client("personalize-runtime", demo_dir))

    @pytest.fixture
    def control(self, demo_dir: Any) -> Any:
        return StubbedClient("personalize", scoring.client("personalize", demo_dir))


class TestBoto3OverHttpRecommenders(RecommenderContract):
    @pytest.fixture
    def runtime(self, endpoint_url: str) -> Any:
        return http_client("personalize-runtime", endpoint_url)

    @pytest.fixture
    def control(self, endpoint_url: str) -> Any:
        return http_client("personalize", endpoint_url)




def test_boto3_paginates_list_recommenders_over_http(endpoint_url: str) -> None:
    pages = http_client("personalize", endpoint_url).get_paginator("list_recommenders").paginate(
        PaginationConfig={"PageSize": 2})
    assert [len(p["recommenders"]) for p in pages] == [2, 2, 1]


def _aws_cli(url: str, *args: str) -> Any:
    import json
    import os
    import subprocess

    env = {**os.environ, "AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local",
           "AWS_DEFAULT_REGION": "us-east-1", "AWS_CONFIG_FILE": os.devnull,
           "AWS_SHARED_CREDENTIALS_FILE": os.devnull}
    done = subprocess.run(["aws", *args, "--endpoint-url", url, "--output", "json"], env=env,
                          capture_output=True, text=True, timeout=60, check=True)
    return json.loads(done.stdout)


@pytest.mark.skipif(__import__("shutil").which("aws") is None, reason="the AWS CLI is not installed")
def test_the_aws_cli_lists_recommenders_and_gets_their_recommendations(endpoint_url: str) -> None:
    listed = _aws_cli(endpoint_url, "personalize", "list-recommenders")["recommenders"]
    assert TOP_PICKS in {r["recommenderArn"] for r in listed}
    got = _aws_cli(endpoint_url, "personalize-runtime", "get-recommendations", "--recommender-arn",
                   WATCHED_X, "--user-id", "1", "--item-id", "42", "--num-results", "3")
    assert len(got["itemList"]) == 3 and all("score" not in i for i in got["itemList"])
