"""Health check: many users at once, their lists' coverage, popularity bias, personalisation and flags."""

from __future__ import annotations

import streamlit as st

from components import (batch_jobs_view, campaign_view, health_batch, health_inputs, health_job, health_results,
                        request_form)

selection, details = campaign_view.selected_or_stop()

campaign_view.header(details, "Health check")
data = health_inputs.source_data(selection)

suggestions = request_form.suggestions_for(selection, details)
form_col, run_col = st.columns([5, 11], gap="large")
with form_col:
    request = health_inputs.render(details, data, health_inputs.other_campaigns(selection, details), suggestions)
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
# Lazy tabs: only the open one runs, so the jobs tab calls ListBatchInferenceJobs only when asked for.
file_tab, jobs_tab = st.tabs(["Batch output file", "Batch inference jobs"], key="health_batch_tab",
                             on_change="rerun")
if file_tab.open:
    with file_tab:
        health_batch.section(selection, data, int(st.session_state.get("health_k", 25)))
if jobs_tab.open:
    with jobs_tab:
        batch_jobs_view.section(selection, details, data, suggestions)
