"""Health check: many users at once, their lists' coverage, popularity bias, personalisation and flags."""

from __future__ import annotations

import streamlit as st

from components import campaign_view, health_batch, health_inputs, health_job, health_results, request_form

selection, details = campaign_view.selected_or_stop()

campaign_view.header(details, "Health check")
data = health_inputs.source_data(selection)

form_col, run_col = st.columns([5, 11], gap="large")
with form_col:
    request = health_inputs.render(details, data, health_inputs.other_campaigns(selection, details),
                                   request_form.suggestions_for(selection, details))
with run_col:
    if request is not None:
        health_job.start(selection, details, request, data)
    health_job.drive(selection)
    job = health_job.current(selection)
    if job is None:
        st.info("Choose users and press **Run health check**.", icon=":material/arrow_back:")

if job is not None and job.status != health_job.RUNNING:
    health_results.render(job)

st.divider()
health_batch.section(selection, data, int(st.session_state.get("health_k", 25)))
