"""Campaign listing and details for the picker and the Campaign page, on any control client."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from scoring import recipes
from scoring.clients import ControlClient
from scoring.dataset import RESERVED_INTERACTION_FIELDS


@dataclass(frozen=True)
class CampaignDetails:
    """What the Campaign page shows: DescribeCampaign joined with its solution version and recipe."""

    name: str
    arn: str
    status: str
    recipe_arn: str
    solution_version_arn: str
    dataset_group_arn: str | None
    config: dict[str, Any]
    min_tps: int | None
    created: datetime | None
    updated: datetime | None
    failure_reason: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, compare=False)
    #: A recommender's: its dataset group's domain and DescribeRecommender's modelMetrics.
    domain: str | None = None
    model_metrics: dict[str, float] | None = None

    @property
    def is_recommender(self) -> bool:
        """A domain recommender (called with recommenderArn), not a campaign."""
        return self.recipe_info.is_use_case

    @property
    def noun(self) -> str:
        return "recommender" if self.is_recommender else "campaign"

    @property
    def recipe(self) -> str:
        return recipes.recipe_name(self.recipe_arn)

    @property
    def recipe_info(self) -> recipes.Recipe:
        """The registry entry of the recipe (or, for a recommender, the use case)."""
        return recipes.lookup(self.recipe_arn)

    @property
    def kind(self) -> str:
        return self.recipe_info.kind

    @property
    def has_scores(self) -> bool:
        return self.recipe_info.scored

    @property
    def form(self) -> recipes.FormSpec:
        return self.recipe_info.form


def list_campaigns(control: ControlClient, max_pages: int = 100) -> list[dict[str, Any]]:
    """Every campaign summary, following nextToken through all pages of ListCampaigns."""
    out: list[dict[str, Any]] = []
    params: dict[str, Any] = {"maxResults": 100}
    for _ in range(max_pages):
        page = control.list_campaigns(**params)
        out += page.get("campaigns", [])
        token = page.get("nextToken")
        if not token:
            break
        params["nextToken"] = token
    return sorted(out, key=lambda c: c["name"])


def list_recommenders(control: ControlClient, max_pages: int = 100) -> list[dict[str, Any]]:
    """Every recommender summary, following nextToken through all pages of ListRecommenders."""
    out: list[dict[str, Any]] = []
    params: dict[str, Any] = {"maxResults": 100}
    for _ in range(max_pages):
        page = control.list_recommenders(**params)
        out += page.get("recommenders", [])
        token = page.get("nextToken")
        if not token:
            break
        params["nextToken"] = token
    return sorted(out, key=lambda r: r["name"])


def is_recommender_arn(arn: str) -> bool:
    """A recommender's ARN names its resource type: arn:aws:personalize:<region>:<account>:recommender/<name>."""
    return arn.rsplit(":", 1)[-1].startswith("recommender/")


def describe(control: ControlClient, campaign_arn: str) -> CampaignDetails:
    """DescribeCampaign, then DescribeSolutionVersion for the recipe and dataset group; for a
    recommender's ARN, DescribeRecommender and its dataset group's domain."""
    if is_recommender_arn(campaign_arn):
        return describe_recommender(control, campaign_arn)
    campaign = control.describe_campaign(campaignArn=campaign_arn)["campaign"]
    version_arn = campaign.get("solutionVersionArn", "")
    version = control.describe_solution_version(solutionVersionArn=version_arn)["solutionVersion"]
    return CampaignDetails(
        name=campaign["name"], arn=campaign["campaignArn"], status=campaign.get("status", ""),
        recipe_arn=version.get("recipeArn", ""), solution_version_arn=version_arn,
        dataset_group_arn=version.get("datasetGroupArn"), config=dict(campaign.get("campaignConfig") or {}),
        min_tps=campaign.get("minProvisionedTPS"), created=campaign.get("creationDateTime"),
        updated=campaign.get("lastUpdatedDateTime"), failure_reason=campaign.get("failureReason"),
        raw={"campaign": campaign, "solutionVersion": version},
    )


def describe_recommender(control: ControlClient, recommender_arn: str) -> CampaignDetails:
    """DescribeRecommender, then DescribeDatasetGroup for the domain (best effort: the details
    stand without it, e.g. where that call is denied)."""
    recommender = control.describe_recommender(recommenderArn=recommender_arn)["recommender"]
    group_arn = recommender.get("datasetGroupArn")
    group: dict[str, Any] = {}
    if group_arn:
        try:
            group = control.describe_dataset_group(datasetGroupArn=group_arn)["datasetGroup"]
        except Exception:
            group = {}
    config = dict(recommender.get("recommenderConfig") or {})
    metrics = {str(k): float(v) for k, v in (recommender.get("modelMetrics") or {}).items()}
    return CampaignDetails(
        name=recommender["name"], arn=recommender["recommenderArn"], status=recommender.get("status", ""),
        recipe_arn=recommender.get("recipeArn", ""), solution_version_arn="", dataset_group_arn=group_arn,
        config=config, min_tps=config.get("minRecommendationRequestsPerSecond"),
        created=recommender.get("creationDateTime"), updated=recommender.get("lastUpdatedDateTime"),
        failure_reason=recommender.get("failureReason"),
        raw={"recommender": recommender, **({"datasetGroup": group} if group else {})},
        domain=group.get("domain"), model_metrics=metrics)


def solution_metrics(control: ControlClient, solution_version_arn: str) -> dict[str, float]:
    """GetSolutionMetrics' `metrics` map, as the service returns it."""
    return dict(control.get_solution_metrics(solutionVersionArn=solution_version_arn).get("metrics", {}))


def context_keys(control: ControlClient, dataset_group_arn: str | None) -> list[str]:
    """Context keys a request may use: the Interactions schema fields that are not reserved."""
    if not dataset_group_arn:
        return []

    datasets = control.list_datasets(datasetGroupArn=dataset_group_arn).get("datasets", [])
    interactions = next((d for d in datasets if d.get("datasetType", "").upper() == "INTERACTIONS"), None)
    if interactions is None:
        return []
    dataset = control.describe_dataset(datasetArn=interactions["datasetArn"])["dataset"]
    schema = json.loads(control.describe_schema(schemaArn=dataset["schemaArn"])["schema"]["schema"])
    return [f["name"] for f in schema.get("fields", []) if f["name"] not in RESERVED_INTERACTION_FIELDS]
