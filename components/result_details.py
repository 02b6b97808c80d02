"""Everything around the results table: score charts, the raw exchange and the same call as code."""

from __future__ import annotations

import streamlit as st

from components.runner import Result
from components.sidebar import Selection
from scoring import requests, results


def charts(result: Result) -> None:
    """Top-N scores; and, where the source knows the whole catalogue, where those scores sit in it."""
    if _unscored(result):
        st.caption("No score charts: these items come without scores.")
        return
    from components import figures  # plotly's figure code loads with the first chart, not at start-up

    top_col, dist_col = st.columns(2, gap="large")
    with top_col:
        st.plotly_chart(figures.top_scores(result.table), key="top_scores_chart")
    with dist_col:
        if result.catalogue is None:
            st.caption("The distribution of every item's score needs the whole catalogue's scores, "
                       "which only a local campaign can give.")
            return
        ids, scores = result.catalogue
        shown_ids = result.table["Item ID"].tolist()
        shown = results.shown_catalogue_scores(ids, scores, shown_ids)
        st.plotly_chart(figures.catalogue_distribution(scores, shown_ids, shown), key="catalogue_chart")
        summary = results.catalogue_summary(scores, [s for s in shown if s == s])
        st.caption(results.catalogue_caption(summary, ranking=result.is_ranking))


def below_table(result: Result, selection: Selection) -> None:
    """Everything under the results: charts, the raw request and response, the boto3 code."""
    charts(result)
    raw_exchange(result)
    boto3_code(result, selection)


def _unscored(result: Result) -> bool:
    """Related items, popularity and domain recommenders: nothing to chart."""
    return "Score" not in result.table or bool(result.table["Score"].isna().all())


def chart_placeholders(result: Result) -> None:
    """Empty boxes of the charts' heights, where `charts` draws them on the next run (no jump)."""
    if _unscored(result):
        return
    scored = int(result.table["Score"].notna().sum()) if "Score" in result.table else 0
    top_col, dist_col = st.columns(2, gap="large")
    with top_col:
        st.container(height=max(260, 22 * scored + 90), border=False,  # figures.top_scores' height
                     key="chart_placeholder")
    with dist_col:
        if result.catalogue is not None:
            st.container(height=CATALOGUE_CHART_PX, border=False)


CATALOGUE_CHART_PX = 400 + 60  # figures.catalogue_distribution's height and its caption


def raw_exchange(result: Result) -> None:
    with st.expander("Raw request / response"):
        st.markdown(f"**Request** — `{result.method}`")
        st.json(results.jsonable(result.params), expanded=1)
        st.markdown("**Response**")
        st.json(results.jsonable(result.response), expanded=1)


def boto3_code(result: Result, selection: Selection) -> None:
    config = selection.config
    code = requests.boto3_snippet(
        result.method, result.params, region=config.region, profile=config.profile,
        endpoint_url=config.endpoint, local=config.is_local)
    with st.expander("The same request with boto3"):
        st.code(code, language="python")
