"""Campaign details: what DescribeCampaign says, the recipe behind it, and its solution metrics."""

from __future__ import annotations

import streamlit as st

from components import campaign_view, exploration_form, share

selection, details = campaign_view.selected_or_stop()

campaign_view.header(details, "Campaign")
campaign_view.details_panel(details)
config_col, metrics_col = st.columns(2, gap="large")
with config_col:
    campaign_view.config_panel(selection, details)
    exploration_form.render(selection, details)
with metrics_col:
    campaign_view.metrics_panel(selection, details)
campaign_view.raw_panel(details)

share.sync(selection.shared)
