"""The results table, as the console shows it plus scores as bars and item metadata; CSV download."""

from __future__ import annotations

import re

import pandas as pd
import streamlit as st

from components import result_cards
from components.runner import Result
from components.safe_text import md
from components import sources
from scoring import exploration, movement, requests, results

_ROW_HEIGHT = 35
_MAX_HEIGHT_ROWS = 30


def _column_config(top: float | None) -> dict[str, object]:
    score = (st.column_config.ProgressColumn("Score", format="%.4f", min_value=0.0, max_value=top,
                                             help="Bar length relative to the top score.")
             if top else st.column_config.NumberColumn("Score", format="%.4f",
                                                       help="This recipe returns no scores."))
    return {
        "Rank": st.column_config.NumberColumn("Rank", width="small", format="%d"),
        "Move": st.column_config.TextColumn("Move", width="small",
                                            help="Since the last recorded event: ▲ up, ▼ down, = same, new."),
        "Item ID": st.column_config.TextColumn("Item ID", width="small"),
        "Score": score,
        "Reason": st.column_config.TextColumn("Reason"),
        "Promotion": st.column_config.TextColumn("Promotion", help="The promotion that placed this item."),
        "TITLE": st.column_config.TextColumn("Title", width="medium"),
        "GENRES": st.column_config.TextColumn("Genres", width="medium"),
        "YEAR": st.column_config.NumberColumn("Year", format="%d", width="small"),
        "Image": st.column_config.ImageColumn("Image", width="small", help="The item's image URL."),
    }


def _file_name(result: Result) -> str:
    who = result.params.get("userId") or result.params.get("itemId") or "all"
    campaign = result.campaign_arn.rsplit("/", 1)[-1]
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", f"{campaign}-{who}") + ".csv"


def _movement(moves: list[movement.Move]) -> None:
    """Say how the list moved since the last recorded event, and what left it."""
    counts = movement.summary(moves)
    if not movement.changed(moves):
        st.caption(f"Since the last recorded event the list has not moved ({counts[movement.SAME]} items in "
                   "the same places).")
    else:
        st.caption(f"Since the last recorded event: {counts[movement.UP]} up, {counts[movement.DOWN]} down, "
                   f"{counts[movement.NEW]} new, {counts[movement.GONE]} gone.")
    gone = [f"{m.item_id} (was {m.before})" for m in moves if m.kind == movement.GONE]
    if gone:
        st.caption("Gone from the list: " + ", ".join(gone[:10]) + (" …" if len(gone) > 10 else ""))


TABLE, CARDS = "Table", "Cards"


def _height(rows: int) -> int:
    return _ROW_HEIGHT * (min(rows, _MAX_HEIGHT_ROWS) + 1) + 3


def skeleton(rows: int | None) -> None:
    """An empty frame of the table (`rows` high; None: the default numResults), drawn at the top
    of a cold page that answers a linked request (it is replaced by the answer in the same run).
    The browser loads the grid's code, a bundle it fetches with the first table of a page, while
    the script still works, not after the answer has arrived: the first row comes about 0.1x of
    Streamlit's own first table sooner."""
    st.subheader("Answering the linked request…")
    st.dataframe(pd.DataFrame({"Rank": pd.Series(dtype="int64"), "Item ID": pd.Series(dtype=str),
                               "Score": pd.Series(dtype="float64")}),
                 hide_index=True, height=_height(rows or requests.DEFAULT_NUM_RESULTS))


def render(result: Result, moves: list[movement.Move] | None = None, items: pd.DataFrame | None = None) -> None:
    """The table or the cards; with `moves`, a Move column against the list before the last
    recorded event; `items` gives the cards their titles, metadata and images."""
    table = result.table
    if moves is not None:
        labels = {m.item_id: m.label for m in moves if m.kind != movement.GONE}
        table = table.copy()
        table.insert(1, "Move", [labels.get(str(i), "") for i in table["Item ID"]])
    noun = "ranked items" if result.is_ranking else "recommendations"
    st.subheader(f"{len(table)} {noun}")
    if (table["Reason"] == "Popular item").any():
        st.info("This user is not in the training data: the campaign answers with popular items.",
                icon=":material/person_search:")
    explored = int(table["Reason"].astype(str).str.contains(exploration.EXPLORATION_REASON).sum())
    if explored:
        local = result.source_key[:1] == (sources.LOCAL,)
        st.caption(f"{explored} item{'s' if explored != 1 else ''} marked *{exploration.EXPLORATION_REASON}*: cold "
                   "or new items that the campaign's itemExplorationConfig mixes in."
                   + (f" {exploration.APPROXIMATION_NOTE}" if local else ""))
    if "Promotion" in table:
        promoted = int(table["Promotion"].ne("").sum())
        st.caption(f"{promoted} promoted item{'s' if promoted != 1 else ''} (named in the Promotion column) "
                   "sit at random positions among the others, in their own order; the request's filter "
                   "does not apply to them.")
    shown = [c for c in table.columns if c != "Reason" or table["Reason"].ne("").any()]
    if table["Score"].isna().all():  # recipes without scores: the console shows none either
        shown.remove("Score")
        st.caption("Amazon Personalize shows no scores for domain recommenders: items are listed in the "
                   "recommender's order." if "recommenderArn" in result.params else
                   "This recipe returns items without scores, as Amazon Personalize does.")
    height = _height(len(table))
    if "Image" in shown:  # the thumbnail beside the rank, where the eye starts
        shown.remove("Image")
        shown.insert(1, "Image")
    if moves is not None:
        _movement(moves)
    view = st.segmented_control("View", [TABLE, CARDS], default=TABLE, required=True, key="results_view",
                                label_visibility="collapsed", persist_state="session")
    if view == CARDS:
        result_cards.render(table, items)
    else:
        st.dataframe(table, hide_index=True, column_order=shown, height=height, key="results_table",
                     column_config=_column_config(results.top_score(table)))
    st.download_button("Download CSV", data=results.to_csv(table), file_name=_file_name(result),
                       mime="text/csv", key="download_csv", on_click="ignore", icon=":material/download:")
    st.caption(f"recommendationId {md(result.response.get('recommendationId', '—'))} · "
               f"answered in {result.elapsed_ms:,.0f} ms")
