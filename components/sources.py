"""Clients and control-plane lookups, cached per source configuration.

Clients are `st.cache_resource` (one per local group, or per region + profile + endpoint:
boto3 clients are thread-safe); describe/list answers are `st.cache_data` with a short TTL so
paging through ListCampaigns does not run on every widget click. Live clients come from
`scoring.aws.live_client`, looked up on the module at call time so tests can replace it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

import scoring
import scoring.aws
from scoring import campaigns, errors, local_group, paths, recipes
from scoring.clients import ControlClient, RuntimeClient

LOCAL = "local"
AWS = "aws"
DEMO_GROUP = "demo"
LIST_TTL = 300  # seconds: campaign lists and descriptions change rarely


@dataclass(frozen=True)
class SourceConfig:
    """Where the campaigns live: a local dataset group, or an AWS region + profile (+ endpoint)."""

    source: str = LOCAL
    group: str = DEMO_GROUP
    region: str | None = None
    profile: str | None = None  # None: boto3's default credential chain
    endpoint: str | None = None

    @property
    def is_local(self) -> bool:
        return self.source == LOCAL

    @property
    def key(self) -> tuple[str | None, ...]:
        """The cache key of this configuration (names only: no credentials ever)."""
        if self.is_local:
            return (LOCAL, self.group)
        return (AWS, self.region, self.profile, self.endpoint)

    @property
    def data_dir(self) -> Path:
        """The local group's folder (the demo's is built on first use by `local_dir`)."""
        return paths.DEMO_DIR if self.group == DEMO_GROUP else paths.DATA_ROOT / self.group

    @property
    def label(self) -> str:
        if self.is_local:
            return f"local dataset group {self.group}"
        where = self.endpoint or self.region or "default region"
        return f"Amazon Personalize ({where}, {self.profile or 'default credentials'})"


@dataclass(frozen=True)
class Clients:
    runtime: RuntimeClient
    control: ControlClient


@st.cache_resource(show_spinner=False)
def _demo_built(data_dir: str) -> Path:
    """The demo group, generated and trained once per process when it is missing."""
    from scoring.demo import ensure_demo  # the training stack loads only when the demo is asked for

    return ensure_demo(Path(data_dir))


def local_dir(config: SourceConfig) -> Path:
    """The folder of a local source; asking for the demo builds it if needed."""
    if config.group == DEMO_GROUP:
        return _demo_built(str(paths.DEMO_DIR))
    return config.data_dir


@st.cache_resource(show_spinner=False, max_entries=8)
def _local_clients(data_dir: str, stamp: int) -> Clients:
    """One pair per group folder and model file time: a retrained group gets new clients."""
    return Clients(scoring.client("personalize-runtime", data_dir), scoring.client("personalize", data_dir))


@st.cache_resource(show_spinner=False)
def _live_clients(region: str | None, profile: str | None, endpoint: str | None) -> Clients:
    return Clients(scoring.aws.live_client("personalize-runtime", region, profile, endpoint),
                   scoring.aws.live_client("personalize", region, profile, endpoint))


@st.cache_resource(show_spinner=False)
def _local_events(group: str) -> Any:
    return scoring.client("personalize-events", SourceConfig(group=group).data_dir)


@st.cache_resource(show_spinner=False)
def _live_events(region: str | None, profile: str | None, endpoint: str | None) -> Any:
    return scoring.aws.live_client("personalize-events", region, profile, endpoint)


def events_client(config: SourceConfig) -> Any:
    """The `personalize-events` client of a source: built like the other two (same region, profile
    and endpoint URL; credentials found by boto3, never shown), only when events are recorded."""
    if config.is_local:
        return _local_events(config.group)
    return _live_events(config.region, config.profile, config.endpoint)


def clients(config: SourceConfig) -> Clients:
    if config.is_local:
        folder = local_dir(config)
        return _local_clients(str(folder), local_group.model_stamp(folder))
    return _live_clients(config.region, config.profile, config.endpoint)


def target_label(summary: dict[str, Any], recipe_arn: str | None = None) -> str:
    """A campaign's or recommender's picker label: its name, its use case (or the campaign's recipe,
    where known: ListCampaigns does not say it) and its status when it is not ACTIVE (plain text:
    selectbox options render no markdown)."""
    status = summary.get("status", "ACTIVE")
    label = summary["name"]
    recipe_arn = summary.get("recipeArn") or recipe_arn
    if recipe_arn:
        label += f" · {recipes.lookup(recipe_arn).label}"
    return label + ("" if status == "ACTIVE" else f" ({status})")


def target_arn(summary: dict[str, Any]) -> str:
    return str(summary.get("campaignArn") or summary["recommenderArn"])


def local_group_names() -> list[str]:
    """Local dataset groups on disk, demo first (listed even before it is built)."""
    names = [p.name for p in local_group.list_groups()]
    return [DEMO_GROUP] + [n for n in names if n != DEMO_GROUP]


@st.cache_data(ttl=LIST_TTL, show_spinner=False)
def campaign_list(_control: ControlClient, key: tuple[str | None, ...]) -> list[dict[str, Any]]:
    """Every page of ListCampaigns (`key` identifies the source; the client is not hashed)."""
    return campaigns.list_campaigns(_control)


@st.cache_data(ttl=LIST_TTL, show_spinner=False)
def recommender_list(_control: ControlClient, key: tuple[str | None, ...]
                     ) -> tuple[list[dict[str, Any]], errors.Problem | None]:
    """Every page of ListRecommenders, and why it failed if it did: best effort, as an account
    may allow ListCampaigns but not ListRecommenders (its campaigns still show)."""
    try:
        return campaigns.list_recommenders(_control), None
    except Exception as exc:
        return [], errors.explain(exc)


@st.cache_data(ttl=LIST_TTL, show_spinner=False)
def campaign_details(_control: ControlClient, key: tuple[str | None, ...], arn: str) -> campaigns.CampaignDetails:
    return campaigns.describe(_control, arn)


@st.cache_data(ttl=LIST_TTL, show_spinner=False)
def context_keys(_control: ControlClient, key: tuple[str | None, ...], dataset_group_arn: str | None) -> list[str]:
    """Suggested context keys; best effort, as ListDatasets may be denied where runtime calls are not."""
    try:
        return campaigns.context_keys(_control, dataset_group_arn)
    except Exception:
        return []


def group(config: SourceConfig) -> local_group.LocalGroup | None:
    """The local dataset group (items, model) of a local source; None for a live one."""
    if not config.is_local:
        return None
    return local_group.open_group(local_dir(config))


def items_frame(config: SourceConfig) -> pd.DataFrame | None:
    """Item metadata to join to results, where known (local groups with an items.csv)."""
    g = group(config)
    return None if g is None else g.items
