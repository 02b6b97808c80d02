"""The campaign as DescribeCampaign tells it: header, details, metrics and raw responses."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pandas as pd
import streamlit as st

from components import errors, sidebar, sources
from components.sidebar import Selection
from scoring import campaigns, results

_STATUS_COLOUR = {"ACTIVE": "green", "CREATE FAILED": "red", "DELETE PENDING": "red"}


def require_campaign(selection: Selection) -> bool:
    """True when a campaign is picked; otherwise say what to do (the error, if any, is already shown)."""
    if selection.ready:
        return True
    if selection.problem is not None:
        st.info("Fix the problem above, or switch the source to **Local demo** in the sidebar to "
                "use the demo campaigns without an AWS account.", icon=":material/arrow_back:")
    else:
        st.info("Pick a campaign in the sidebar.", icon=":material/arrow_back:")
    return False


def load(selection: Selection) -> campaigns.CampaignDetails | None:
    """DescribeCampaign + DescribeSolutionVersion, or None after showing why they failed."""
    assert selection.clients is not None and selection.campaign_arn is not None
    try:
        return sources.campaign_details(selection.clients.control, selection.config.key,
                                        selection.campaign_arn)
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
    st.title(f"{page}: {details.name}")
    status = details.status or "UNKNOWN"
    st.badge(status, color=_STATUS_COLOUR.get(status, "orange"))  # type: ignore[arg-type]
    st.caption(f"{details.arn} · recipe {details.recipe} ({details.kind.replace('_', ' ').lower()})")


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S %Z").strip() if isinstance(value, datetime) else "—"


def detail_rows(details: campaigns.CampaignDetails) -> pd.DataFrame:
    """The details panel as (Field, Value) rows, in the AWS console's order."""
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
    st.subheader("Campaign details")
    rows = detail_rows(details)
    st.dataframe(rows, hide_index=True, key="campaign_details", height=35 * (len(rows) + 1) + 3,
                 column_config={"Field": st.column_config.TextColumn(width="medium"),
                                "Value": st.column_config.TextColumn(width="large")})


def config_panel(details: campaigns.CampaignDetails) -> None:
    st.subheader("Campaign configuration")
    if details.config:
        st.json(results.jsonable(details.config))
    else:
        st.caption("No campaign configuration: the recipe's defaults apply.")


def metrics_panel(selection: Selection, details: campaigns.CampaignDetails) -> None:
    """GetSolutionMetrics of the campaign's solution version, or why it could not be read."""
    st.subheader("Solution version metrics")
    assert selection.clients is not None
    try:
        metrics = campaigns.solution_metrics(selection.clients.control, details.solution_version_arn)
    except Exception as exc:
        st.warning("The solution metrics could not be read:", icon=":material/warning:")
        errors.show(exc)
        return
    if not metrics:
        st.caption("This solution version reports no metrics.")
        return
    st.dataframe(results.metrics_table(metrics), hide_index=True, key="solution_metrics",
                 column_config={"Value": st.column_config.NumberColumn(format="%.4f"),
                                "Name": st.column_config.TextColumn("API name")})
    if selection.config.is_local:
        st.caption("Measured by the local trainer like a solution version's metrics: each user's last "
                   "interaction is held out and predicted by a model trained without it.")
    else:
        st.caption("Computed by Amazon Personalize on held-out data when the solution version was trained.")

def raw_panel(details: campaigns.CampaignDetails) -> None:
    with st.expander("Raw DescribeCampaign / DescribeSolutionVersion responses"):
        st.json(results.jsonable(details.raw), expanded=2)
