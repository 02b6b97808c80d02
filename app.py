"""Personalize Campaign Console: page config, the shared sidebar, and the page router.

The sidebar (source + campaign) runs before every page; a failure to list campaigns is shown
once, and the page then explains what to do instead of showing content. In read-only mode
(CONSOLE_READ_ONLY=1) a banner above every page says what is off and why.
"""

from __future__ import annotations

import streamlit as st

st.set_page_config(page_title="Personalize Campaign Console", page_icon=":material/recommend:",
                   layout="wide")

page = st.navigation({
    "Campaign": [
        st.Page("pages/test_campaign.py", title="Test campaign", icon=":material/science:", default=True),
        st.Page("pages/campaign.py", title="Campaign details", icon=":material/info:"),
        st.Page("pages/filters.py", title="Filters", icon=":material/filter_alt:"),
    ],
    "Analyse": [
        st.Page("pages/score_normalisation.py", title="Score normalisation", icon=":material/functions:"),
        st.Page("pages/compare.py", title="Compare", icon=":material/compare_arrows:"),
        st.Page("pages/health_check.py", title="Health check", icon=":material/monitor_heart:"),
    ],
    "Local data": [
        st.Page("pages/local_models.py", title="Local models", icon=":material/model_training:"),
    ],
})

# Imported after the navigation has gone out: the browser draws it while the domain loads.
from components import deferred, read_only, sidebar  # noqa: E402

sidebar.render()
read_only.banner()  # read-only mode: every page says what is off and why
deferred.enter(page.url_path)
page.run()
