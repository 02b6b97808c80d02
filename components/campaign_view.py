"""The campaign as DescribeCampaign tells it: header, details, metrics and raw responses."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import pandas as pd
import streamlit as st

from components import errors, sidebar, sources
from components.sidebar import Selection
from components.safe_text import md
from scoring import (
    campaign_config, campaigns, evaluation, group_files, learned_terms, recipes, results,
)

_STATUS_COLOUR = {"ACTIVE": "green", "CREATE FAILED": "red", "DELETE PENDING": "red"}


def require_campaign(selection: Selection) -> bool:
    """True when a campaign is picked; otherwise say what to do (the error, if any, is already shown)."""
    if selection.ready:
        return True
    if selection.problem is not None:
        st.info("Fix the problem above, or switch the source to **Local** in the sidebar to "
                "use the demo campaigns without an AWS account.", icon=":material/arrow_back:")
    else:
        st.info("Pick a campaign in the sidebar.", icon=":material/arrow_back:")
    return False


def load(selection: Selection, arn: str | None = None) -> campaigns.CampaignDetails | None:
    """DescribeCampaign + DescribeSolutionVersion of `arn` (default: the sidebar's campaign), or
    None after showing why they failed."""
    arn = arn or selection.campaign_arn
    assert selection.clients is not None and arn is not None
    try:
        return sources.campaign_details(selection.clients.control, selection.config.key, arn)
    except Exception as exc:
        errors.show(exc)
        return None


def selected_or_stop() -> tuple[Selection, campaigns.CampaignDetails]:
    """The sidebar's campaign and its details; stops the page after saying what is missing."""
    selection = sidebar.current()
    if not require_campaign(selection):
        st.stop()
    details = load(selection)
    if details is None:
        st.stop()
    return selection, details


def header(details: campaigns.CampaignDetails, page: str) -> None:
    if details.is_recommender:  # "Test campaign" -> "Test recommender", "Campaign" -> "Recommender"
        page = page.replace("campaign", "recommender").replace("Campaign", "Recommender")
    st.title(f"{page}: {md(details.name)}")
    status = details.status or "UNKNOWN"
    st.badge(status, color=_STATUS_COLOUR.get(status, "orange"))  # type: ignore[arg-type]
    if details.is_recommender:
        domain = f", {details.domain}" if details.domain else ""
        st.caption(f"{md(details.arn)} · recommender for {md(details.recipe_info.label)} "
                   f"({md(details.recipe)}{md(domain)})")
        return
    st.caption(f"{md(details.arn)} · recipe {md(details.recipe)} ({details.kind.replace('_', ' ').lower()})")


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S %Z").strip() if isinstance(value, datetime) else "—"


def _recommender_rows(details: campaigns.CampaignDetails) -> list[tuple[str, Any]]:
    """DescribeRecommender's fields beside the dataset group's domain, as the console lists them."""
    return [
        ("Recommender name", details.name),
        ("Recommender ARN", details.arn),
        ("Status", details.status),
        ("Use case", f"{details.recipe_info.label} ({details.recipe})"),
        ("Domain", details.domain or "—"),
        ("Returns scores", "no (domain recommenders return none)"),
        ("Dataset group ARN", details.dataset_group_arn or "—"),
        ("Minimum recommendation requests per second", details.min_tps if details.min_tps is not None else "—"),
        ("Created", _when(details.created)),
        ("Last updated", _when(details.updated)),
    ]


def detail_rows(details: campaigns.CampaignDetails) -> pd.DataFrame:
    """The details panel as (Field, Value) rows, in the AWS console's order."""
    if details.is_recommender:
        rows = _recommender_rows(details)
        if details.failure_reason:
            rows.append(("Failure reason", details.failure_reason))
        return pd.DataFrame(rows, columns=["Field", "Value"]).astype({"Value": str})
    rows: list[tuple[str, Any]] = [
        ("Campaign name", details.name),
        ("Campaign ARN", details.arn),
        ("Status", details.status),
        ("Recipe", details.recipe),
        ("Recipe type", details.kind),
        ("Returns scores", "yes" if details.has_scores else "no"),
        ("Solution version ARN", details.solution_version_arn),
        ("Dataset group ARN", details.dataset_group_arn or "—"),
        ("Minimum provisioned TPS", details.min_tps if details.min_tps is not None else "—"),
        ("Created", _when(details.created)),
        ("Last updated", _when(details.updated)),
    ]
    if details.failure_reason:
        rows.append(("Failure reason", details.failure_reason))
    return pd.DataFrame(rows, columns=["Field", "Value"]).astype({"Value": str})


def details_panel(details: campaigns.CampaignDetails) -> None:
    st.subheader(f"{details.noun.capitalize()} details")
    rows = detail_rows(details)
    st.dataframe(rows, hide_index=True, key="campaign_details", height=35 * (len(rows) + 1) + 3,
                 column_config={"Field": st.column_config.TextColumn(width="medium"),
                                "Value": st.column_config.TextColumn(width="large")})


def config_panel(selection: Selection, details: campaigns.CampaignDetails) -> None:
    """minProvisionedTPS and campaignConfig, each with what it does; for local campaigns, what the
    exploration emulation makes of it (an approximation, and labelled so)."""
    if details.is_recommender:
        st.subheader("Recommender configuration")
        if details.config:
            st.json(results.jsonable(details.config))
        else:
            st.caption("No recommender configuration: the use case's defaults apply.")
        return
    st.subheader("Campaign configuration")
    local = selection.config.is_local
    rows = campaign_config.rows(details.config, details.min_tps, details.recipe, local=local)
    frame = pd.DataFrame([(md(r.setting), md(r.value), md(r.meaning)) for r in rows],
                         columns=["Setting", "Value", "What it does"])
    # A static table wraps the explanations in a half-width column; it renders markdown, hence md().
    st.table(frame.set_index("Setting"))
    pending = (details.raw.get("campaign") or {}).get("latestCampaignUpdate") or {}
    if pending and pending.get("status") not in (None, "ACTIVE"):
        st.caption(f"An update is {md(pending['status'])}: the settings above serve until it is ACTIVE.")
    if local:
        group = sources.group(selection.config)
        note = campaign_config.local_exploration_note(details.config, details.recipe,
                                                      None if group is None else group.item_activity)
        if note:
            st.caption(md(note))


#: Column formats of a metrics table (metrics_frame).
METRICS_COLUMNS: dict[str, Any] = {
    "Name": st.column_config.TextColumn("API name"),
    "Value": st.column_config.NumberColumn(format="%.4f"),
    "Popularity baseline": st.column_config.NumberColumn(
        "Popularity", format="%.4f", width="small",
        help="The popularity baseline on the same hold-out split (a local extra)."),
}
#: With a baseline the table is wide: the API names alone say what each metric is.
BASELINE_ORDER = ("Name", "Value", "Popularity baseline")


def show_metrics(frame: pd.DataFrame, key: str) -> None:
    """A metrics_frame as a table that fits a half-width column."""
    wide = "Popularity baseline" in frame.columns
    st.dataframe(frame, hide_index=True, key=key, column_config=METRICS_COLUMNS,
                 column_order=BASELINE_ORDER if wide else None)


def metrics_frame(metrics: Mapping[str, float],
                  baseline: Mapping[str, float] | None = None) -> pd.DataFrame:
    """GetSolutionMetrics' map as the service returns it; the popularity baseline beside it."""
    frame = results.metrics_table(metrics)
    if baseline:
        base = frame["Name"].map(lambda name: baseline.get(name)).astype("Float64")
        frame["Popularity baseline"] = base
    return frame


def _local_baseline(selection: Selection, details: campaigns.CampaignDetails) -> dict[str, float] | None:
    """The popularity baseline stored with a local solution (None for live AWS or none stored)."""
    try:
        group = sources.group(selection.config)
        campaign = None if group is None else group.campaign(details.arn)
        if group is None or campaign is None:
            return None
        stored = group_files.stored_metrics(group.solution(campaign.solution), campaign.recipe,
                                            group.model.meta)
    except Exception:  # the baseline is an extra: never let it break the panel
        return None
    return stored.baseline


def metrics_panel(selection: Selection, details: campaigns.CampaignDetails) -> None:
    """GetSolutionMetrics of the campaign's solution version, or why it could not be read."""
    if details.is_recommender:
        _recommender_metrics(selection, details)
        return
    st.subheader("Solution version metrics")
    assert selection.clients is not None
    try:
        metrics = campaigns.solution_metrics(selection.clients.control, details.solution_version_arn)
    except Exception as exc:
        st.warning("The solution metrics could not be read:", icon=":material/warning:")
        errors.show(exc)
        return
    if not metrics:
        st.caption("This solution version reports no metrics." + (
            " Locally, related-items (SIMS) solutions have none: the evaluation predicts each "
            "test user's newest items, which SIMS does not do." if details.recipe_info.seeded_by_item
            and selection.config.is_local else ""))
        return
    baseline = _local_baseline(selection, details) if selection.config.is_local else None
    show_metrics(metrics_frame(metrics, baseline), "solution_metrics")
    if selection.config.is_local:
        st.caption(f"Measured with {evaluation.protocol_description()} (a model trained without "
                   "the test users, as Personalize measures a solution version)."
                   + (" *Popularity baseline*: the most interacted training items for everyone, "
                      "on the same split (a local extra)." if baseline else "")
                   + (" This recipe *is* the popularity baseline."
                      if details.recipe_info.ordering == recipes.BY_POPULARITY else ""))
    else:
        st.caption("Computed by Amazon Personalize on held-out data when the solution version was "
                   "trained. Amazon Personalize reports no popularity baseline: train an "
                   "aws-popularity-count solution on the same dataset group to compare.")
    if selection.config.is_local and details.recipe_info.ordering in (recipes.BY_USER,
                                                                      recipes.BY_USER_AND_ITEM):
        _learned_terms(selection)


def _learned_terms(selection: Selection) -> None:
    """What the local model learned beyond its vectors (why a watched title drops out)."""
    try:
        group = sources.group(selection.config)
        lines = [] if group is None else learned_terms.learned_lines(group.model)
    except Exception:  # an explanation is an extra: never let it break the panel
        return
    if lines:
        st.caption("**What the model learned** (local): " + " ".join(lines))


def _recommender_metrics(selection: Selection, details: campaigns.CampaignDetails) -> None:
    """DescribeRecommender's modelMetrics: a recommender has no solution version to ask."""
    st.subheader("Recommender metrics")
    if not details.model_metrics:
        st.caption("This recommender reports no metrics" + (
            ": locally, item-based use cases have none (the evaluation predicts each test user's "
            "newest items)." if selection.config.is_local else " yet."))
        return
    show_metrics(metrics_frame(details.model_metrics), "solution_metrics")
    st.caption("modelMetrics of DescribeRecommender" + (
        f", measured with {evaluation.protocol_description()}." if selection.config.is_local
        else ", computed by Amazon Personalize when the recommender was trained."))


def raw_panel(details: campaigns.CampaignDetails) -> None:
    if details.is_recommender:
        with st.expander("Raw DescribeRecommender / DescribeDatasetGroup responses"):
            st.json(results.jsonable(details.raw), expanded=2)
        return
    with st.expander("Raw DescribeCampaign / DescribeSolutionVersion responses"):
        st.json(results.jsonable(details.raw), expanded=2)
