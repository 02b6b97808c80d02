"""Test campaign: the console's "Test campaign results" panel, plus charts, raw I/O, code and a link."""

from __future__ import annotations

import streamlit as st

from components import (
    campaign_view, deferred, live_data, recent_interactions, record_events, request_form, result_details,
    results_table, runner, share, user_data, user_picker,
)

selection, details = campaign_view.selected_or_stop()

campaign_view.header(details, "Test campaign")
suggestions = request_form.suggestions_for(selection, details)

form_col, results_col = st.columns([5, 11], gap="large")
group_arn = details.dataset_group_arn
with results_col:
    # Always there, so the results below keep their place in the page from run to run; filled
    # only on a cold page that answers a linked request, until the answer replaces it.
    skeleton_slot = st.empty()
    linked = share.pending_request(details.arn)
    if linked is not None:
        with skeleton_slot.container(key="results_skeleton"):
            results_table.skeleton(linked.num_results)
with form_col:
    live_data.render(selection, group_arn)
    if details.form.shows_user:
        user_picker.render(lambda: user_data.of(selection.config, group_arn), "user_id",
                           live=not selection.config.is_local)
    request = request_form.render(details, suggestions)
    request_form.demo_hint(selection, suggestions, details.form.shows_user)
with results_col:
    if request is not None:
        result = runner.run(selection, request, user_data.items(selection.config, group_arn))
        record_events.forget()
    else:
        result = runner.last(selection)
    result = record_events.apply(selection, details, result)  # a Record / Reset pressed on the last run
    if linked is not None:
        skeleton_slot.empty()
    # On a cold page the answer goes out alone: the rest comes on the run after it is drawn.
    answer_first = result is not None and deferred.cold()
    if result is not None:
        with st.container(key="results"):
            results_table.render(result, record_events.moves(selection, result),
                                 user_data.items(selection.config, group_arn))
        if not answer_first:
            record_events.render(selection, details, result)
    elif request is None and not runner.failed(selection):
        st.info(f"Fill in the form and press **{details.form.button}**.", icon=":material/arrow_back:")
if not answer_first:
    with form_col:
        recent_interactions.render(selection.config, result,
                                   record_events.recorded(selection, result), group_arn)

if result is not None:
    # Below the table: charts, raw exchange, code; drawn once the browser has painted the table.
    deferred.after_paint(("details", id(result)),
                         lambda: result_details.below_table(result, selection),
                         lambda: result_details.chart_placeholders(result),
                         wait_for=".st-key-results", last=".st-key-download_csv")

share.sync(selection.shared, result.params if result is not None else None)
