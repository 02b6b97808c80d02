"""The health check's answer: metrics beside the baselines, flags, charts, errors and downloads."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd
import streamlit as st

from components import health_figures
from components.health_job import CANCELLED, Job, Leg
from components.safe_text import md
from scoring import batch_files
from scoring import health_metrics as hm

_FLAG_LABELS = {
    "identical": "Users with identical lists",
    "interacted": "Already-interacted items recommended",
    "no_score": "Items without a score",
    "zero_score": "Items with score 0",
    "outside": "Items outside the catalogue",
    "empty": "Empty lists",
}


def metrics_table(reports: Mapping[str, hm.HealthReport], key: str) -> None:
    """One row per metric, one column per source; each column's help and the expander define them."""
    table = hm.metric_table(reports)
    config: dict[str, object] = {name: st.column_config.NumberColumn(name, format="%.4f") for name in reports}
    config["Definition"] = st.column_config.TextColumn("Definition", width="large")
    st.dataframe(table, hide_index=True, key=key, column_config=config)
    with st.expander("How each metric is defined"):
        for info in hm.METRICS:
            st.markdown(f"**{info.label}**: {info.definition}")
        st.caption("Empty cells: the metric needs what this source does not know (the catalogue and item "
                   "popularity, a metadata column, or scores).")


def flags_table(report: hm.HealthReport, key: str, *, scored: bool = True, interactions: bool = True) -> None:
    rows = []
    for flag_key, label in _FLAG_LABELS.items():
        flag = report.flags[flag_key]
        if flag_key in ("no_score", "zero_score") and not scored:
            continue
        if flag_key == "interacted" and not interactions:
            continue
        items = f"{flag.slots:,} groups" if flag_key == "identical" else f"{flag.slots:,}"
        rows.append({"Flag": label, "Users": flag.users, "Items": items,
                     "Examples": "; ".join(flag.examples[:5]), "Definition": flag.definition})
    frame = pd.DataFrame(rows)
    st.dataframe(frame, hide_index=True, key=key,
                 column_config={"Examples": st.column_config.TextColumn(width="medium"),
                                "Definition": st.column_config.TextColumn(width="large")})
    if not scored:
        st.caption("This recipe returns no scores, so the score flags do not apply.")
    if not interactions:
        st.caption("Interactions are unknown here, so already-interacted items cannot be flagged.")
    if report.groups:
        with st.expander(f"{len(report.groups):,} group(s) of users sharing one list"):
            st.dataframe(pd.DataFrame([{"Users": g.size, "Example users": ", ".join(g.examples[:5]),
                                        "List (first 5 items)": ", ".join(g.items[:5])}
                                       for g in report.groups[:50]]), hide_index=True, key=f"{key}_groups")


def charts(reports: Mapping[str, hm.HealthReport], main: str, key: str) -> None:
    """Exposure and metric bars for every campaign and baseline; the score histogram of `main`."""
    left, right = st.columns(2, gap="large")
    with left:
        st.plotly_chart(health_figures.exposure_curve(reports), key=f"{key}_exposure")
    with right:
        st.plotly_chart(health_figures.score_histograms(reports[main]), key=f"{key}_scores")
    if len(reports) > 1:
        st.plotly_chart(health_figures.metric_bars(reports), key=f"{key}_bars")


def _summary(job: Job, noun: str) -> str:
    """Lists per campaign, the rate and the failures (the selected campaign first)."""
    parts = []
    for leg in job.started:
        result = leg.result
        rate = f" in {result.seconds:.1f} s ({leg.done / result.seconds:,.0f} {noun}/s)" if result.seconds > 0 else ""
        failed = f"; {len(result.errors):,} {noun} failed" if result.errors else ""
        name = f" from {md(leg.name)}" if len(job.legs) > 1 else ""
        filtered = f" with filter {md(job.request.filter_name)}" if job.filters_for(leg) else ""
        parts.append(f"{len(result.lists):,} lists of up to {job.request.k} items{name}{filtered}{rate}{failed}")
    return "; ".join(parts) + "."


def _cancelled(job: Job, noun: str) -> str:
    if len(job.legs) == 1:
        return f"Cancelled after {job.done:,} of {job.total:,} {noun}: the results below cover those."
    done = ", ".join(f"{md(leg.name)} {leg.done:,} of {job.users:,}" for leg in job.legs)
    return f"Cancelled ({noun} done: {done}): the results below cover those; campaigns not started are left out."


def _viewed(job: Job) -> Leg:
    """The campaign whose flags, scores, errors and downloads are shown (a choice when several ran)."""
    legs = {leg.name: leg for leg in job.started}
    if len(legs) == 1:
        return job.main
    if st.session_state.get("health_view") not in legs:
        st.session_state["health_view"] = job.main.name
    name = st.segmented_control("Flags, scores and downloads of", list(legs), key="health_view",
                                format_func=md)
    return legs.get(name or "", job.main)


def render(job: Job) -> None:
    reports = job.finish()
    noun = "seed items" if job.recipe.seeded_by_item else "users"
    if job.status == CANCELLED:
        st.warning(_cancelled(job, noun), icon=":material/stop_circle:")
    st.success(_summary(job, noun), icon=":material/check_circle:")
    st.subheader("Metrics")
    metrics_table(reports, "health_metrics")
    if job.baseline_note:
        st.caption(job.baseline_note)
    leg = _viewed(job)
    st.subheader("Flags")
    flags_table(reports[leg.name], "health_flags", scored=leg.has_scores,
                interactions=job.data.known is not None and not leg.recipe.seeded_by_item)
    errors = leg.result.errors
    if errors:
        with st.expander(f"{len(errors):,} failed request(s)"):
            st.dataframe(pd.DataFrame([{"ID": e.user_id, "Error": e.code, "Message": e.message}
                                       for e in errors[:1000]]), hide_index=True, key="health_errors")
    st.subheader("Charts")
    charts(reports, leg.name, "health")
    downloads(job, leg)


def downloads(job: Job, leg: Leg) -> None:
    lists = leg.result.lists
    key = "itemId" if leg.recipe.seeded_by_item else "userId"
    name = leg.name
    a, b, c = st.columns(3)
    a.download_button("Lists as CSV", batch_files.lists_csv(lists, key=key), f"{name}-health.csv",
                      "text/csv", key="health_dl_csv")
    b.download_button("Lists as batch-inference output (JSON lines)", batch_files.output_lines(lists, key=key),
                      f"{name}-users.json.out", "application/json", key="health_dl_out")
    c.download_button("Batch-inference input file for these users",
                      batch_files.input_lines(job.request.users, key=key), f"{name}-users.json",
                      "application/json", key="health_dl_in")
