"""Compare: two requests side by side (context, filter, campaign or source), how much they agree."""

from __future__ import annotations

import streamlit as st

from components import campaign_view, compare_form, compare_view, share
from scoring import requests

selection, details = campaign_view.selected_or_stop()

st.title("Compare two requests")
st.caption("Change the context, the filter, the campaign or the source on one side and see what moves.")
compare_form.source_note(selection)

st.session_state.setdefault("cmp_num_results", requests.DEFAULT_NUM_RESULTS)
left, right = st.columns(2, gap="large")
with left, st.container(border=True):
    side_a = compare_form.render(selection, "A", int(st.session_state["cmp_num_results"]))
with right, st.container(border=True):
    side_b = compare_form.render(selection, "B", int(st.session_state["cmp_num_results"]))

count_col, button_col = st.columns([1, 3], vertical_alignment="bottom")
count_col.number_input("Number of results (each side)", min_value=1, max_value=500, step=1,
                       key="cmp_num_results", persist_state="session")
pressed = button_col.button("Compare", key="cmp_submit", type="primary", icon=":material/compare_arrows:")

comparison = compare_view.last(selection.config.key)
ready = side_a.request is not None and side_b.request is not None
if ready and (pressed or (comparison is None and selection.config.is_local)):
    # Local campaigns answer at once, so the page opens compared; live calls wait for the button.
    comparison = compare_view.run(selection.config.key, side_a.request, side_b.request)  # type: ignore[arg-type]
elif pressed:
    side_a.show_mistake()
    side_b.show_mistake()
    comparison = None

if comparison is not None:
    compare_view.metrics(comparison)
    compare_view.definitions()
    compare_view.lists(comparison)
    compare_view.slope_chart(comparison)
elif not pressed:
    st.info("Set up both requests and press **Compare**.", icon=":material/arrow_upward:")

share.sync(selection.shared)
