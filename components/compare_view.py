"""The Compare page's results: run both requests, then the two lists, the agreement and the slope chart."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd
import streamlit as st

from components import errors as error_view
from components import figures
from components.compare_form import SideRequest, items_frame
from components.safe_text import md
from scoring import compare, errors, results

_RESULT = "_compare_result"


@dataclass(frozen=True)
class Answer:
    """One side's request and what came back, as a table (metadata joined where known)."""

    side: str
    label: str
    source_key: tuple[str | None, ...]
    params: dict[str, Any]
    table: pd.DataFrame

    @property
    def ids(self) -> list[str]:
        return self.table["Item ID"].tolist()


@dataclass(frozen=True)
class Comparison:
    a: Answer
    b: Answer
    agreement: compare.Agreement
    shifts: pd.DataFrame


def _ask(request: SideRequest) -> Answer | None:
    runtime = request.selection.clients.runtime  # type: ignore[union-attr]
    if request.campaign_config:  # a local campaign at another exploration setting
        runtime = runtime.with_campaign_config(request.details.arn, request.campaign_config)
    try:
        response = getattr(runtime, request.method)(**request.params)
    except Exception as exc:
        problem = errors.explain(exc)
        st.error(f"Request {request.side} failed. " + error_view.problem_markdown(problem), icon=":material/error:")
        return None
    table = results.to_table(response, items_frame(request))
    return Answer(request.side, request.label, request.selection.config.key, request.params, table)


def run(sidebar_key: tuple[str | None, ...], a: SideRequest, b: SideRequest) -> Comparison | None:
    """Both calls; a failure of either is shown (naming the side) and forgets the last comparison.

    The comparison is remembered for the sidebar's source (`sidebar_key`), so switching the
    sidebar to another source does not show a comparison made with the previous one.
    """
    st.session_state.pop(_RESULT, None)
    with st.spinner("Asking both campaigns…"):
        answer_a, answer_b = _ask(a), _ask(b)
    if answer_a is None or answer_b is None:
        return None
    comparison = Comparison(answer_a, answer_b, compare.agreement(answer_a.ids, answer_b.ids),
                            compare.rank_shifts(answer_a.ids, answer_b.ids))
    st.session_state[_RESULT] = (sidebar_key, comparison)
    return comparison


def last(sidebar_key: tuple[str | None, ...]) -> Comparison | None:
    kept = st.session_state.get(_RESULT)
    return kept[1] if kept is not None and kept[0] == sidebar_key else None


# -- showing it --------------------------------------------------------------------------------------
def _fraction(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}" if value in (0.0, 1.0) else f"{value:.2f}"


def metrics(c: Comparison) -> None:
    g = c.agreement
    cols = st.columns(len(g.overlap) + 2)
    for col, (k, value) in zip(cols, g.overlap.items(), strict=False):
        col.metric(f"Overlap@{k}", _fraction(value), border=True,
                   help=f"|A₍{k}₎ ∩ B₍{k}₎| / {k}: the share of the top {k} items the two lists share, "
                        "order ignored." + (" Both lists need at least this many items." if value is None else ""))
    cols[-2].metric("Jaccard", _fraction(g.jaccard), border=True,
                    help=f"|A ∩ B| / |A ∪ B| over the whole lists: {g.common} shared items out of "
                         f"{g.n_a + g.n_b - g.common} distinct ones.")
    cols[-1].metric(f"RBO (p = {g.persistence})", f"{g.rbo:.3f}", border=True,
                    help="Rank-biased overlap (Webber, Moffat & Zobel 2010), extrapolated: the average "
                         "overlap at depths 1, 2, 3…, weighted by pᵈ so the top ranks count most. 1 = same "
                         "ranking, 0 = no common item.")
    st.caption(f"{g.common} item{'s' if g.common != 1 else ''} in both lists, "
               f"{g.n_a - g.common} only in A, {g.n_b - g.common} only in B.")


def definitions() -> None:
    with st.expander("How these measures are defined"):
        st.markdown("With A₍k₎ and B₍k₎ the top k items of each list:")
        st.latex(r"\mathrm{overlap@}k=\frac{|A_k\cap B_k|}{k}\qquad"
                 r"\mathrm{Jaccard}=\frac{|A\cap B|}{|A\cup B|}")
        st.latex(r"\mathrm{RBO_{ext}}=\frac{1-p}{p}\sum_{d=1}^{l}\frac{X_d}{d}p^d"
                 r"+\frac{1-p}{p}\sum_{d=s+1}^{l}\frac{X_s(d-s)}{sd}p^d"
                 r"+\Big(\frac{X_l-X_s}{l}+\frac{X_s}{s}\Big)p^l")
        st.markdown("X_d is the number of items the two lists share in their top d; s and l are the "
                    "lengths of the shorter and the longer list (equal lists: s = l). RBO is the "
                    "expected overlap of a reader who goes from one rank to the next with probability "
                    "p (0.9: the top 10 ranks carry 86% of the weight), extrapolated past the lists' "
                    "end (Webber, Moffat & Zobel, *A similarity measure for indefinite rankings*, "
                    "ACM TOIS 2010, eq. 32).")


def _list_table(answer: Answer, other: Answer, key: str) -> None:
    """One list, narrow enough to sit beside the other: rank, item (title and ID), score, its rank there."""
    table = answer.table.copy()
    other_rank = {item: r for r, item in enumerate(other.ids, start=1)}
    if "TITLE" in table.columns:
        table["Item"] = [f"{t} ({i})" if isinstance(t, str) and t else i
                         for t, i in zip(table["TITLE"], table["Item ID"], strict=True)]
    else:
        table["Item"] = table["Item ID"]
    there = f"Rank in {other.side}"
    table[there] = [str(other_rank[i]) if i in other_rank else "—" for i in table["Item ID"]]
    top = results.top_score(table)
    shown = ["Rank", "Item", "Score", there] if top is not None else ["Rank", "Item", there]
    st.markdown(f"**{answer.side}** · {md(answer.label)}")
    st.dataframe(table, hide_index=True, key=key, column_order=shown,
                 height=35 * (min(len(table), 25) + 1) + 3, column_config={
                     "Rank": st.column_config.NumberColumn("Rank", format="%d", width=48),
                     "Item": st.column_config.TextColumn("Item", width="medium",
                                                         help="Title (item ID) where the catalogue is known."),
                     there: st.column_config.TextColumn(there, width=76, help=f"Where this item sits in "
                                                        f"list {other.side}; — when it is not there."),
                     "Score": st.column_config.ProgressColumn("Score", format="%.4f", min_value=0.0,
                                                              max_value=top or 1.0, width=110),
                 })
    reasons = _ranks_by_reason(table)
    if reasons:  # under the list (the two lists stay level): a Reason column would not fit beside the other
        st.caption(" · ".join(f"{md(reason)}: " + ("every item" if len(ranks) == len(table) else
                                                   f"rank{'s' if len(ranks) > 1 else ''} {', '.join(ranks)}")
                              for reason, ranks in reasons.items()))


def _ranks_by_reason(table: pd.DataFrame) -> dict[str, list[str]]:
    """Which ranks carry which reason (Exploration, Popular item, Promoted item)."""
    out: dict[str, list[str]] = {}
    if "Reason" not in table.columns:
        return out
    for rank, reason in zip(table["Rank"], table["Reason"].fillna("").astype(str), strict=True):
        if reason.strip():
            out.setdefault(reason, []).append(str(rank))
    return out


def lists(c: Comparison) -> None:
    left, right = st.columns(2, gap="large")
    with left:
        _list_table(c.a, c.b, "compare_list_a")
    with right:
        _list_table(c.b, c.a, "compare_list_b")


def _titles(c: Comparison) -> dict[str, str]:
    out: dict[str, str] = {}
    for answer in (c.a, c.b):
        if "TITLE" in answer.table.columns:
            out.update({i: t for i, t in zip(answer.table["Item ID"], answer.table["TITLE"], strict=True)
                        if isinstance(t, str) and t})
    return out


def slope_chart(c: Comparison) -> None:
    st.plotly_chart(figures.slope_chart(c.shifts, _titles(c), c.a.label, c.b.label), key="compare_slope")
    st.caption("Each line links an item's rank in A (left) to its rank in B (right): green rises in B, "
               "red falls, blue keeps its rank. Hollow grey markers are items only one list has (circles: only in A, "
               "diamonds: only in B).")
