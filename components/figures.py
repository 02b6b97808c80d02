"""Plotly figure builders for the result charts: pure functions, no Streamlit.

They take tables and arrays and return `go.Figure`s, so tests check the figures' data directly.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from components.safe_text import plot
from scoring import results

BAR_COLOUR = "#FF9900"  # the console's orange
SHOWN_COLOUR = "#D13212"
CATALOGUE_COLOUR = "#879596"
_LABEL_CHARS = 28


def _label(row: pd.Series) -> str:
    title = row.get("TITLE")
    text = f"{row['Item ID']}" if not isinstance(title, str) or not title else f"{title}"
    if len(text) > _LABEL_CHARS:
        text = text[: _LABEL_CHARS - 1] + "…"
    return f"{int(row['Rank'])}. {plot(text)}"


def _empty(title: str, message: str) -> go.Figure:
    fig = go.Figure()
    fig.update_layout(title=title, xaxis={"visible": False}, yaxis={"visible": False}, height=240,
                      annotations=[{"text": message, "showarrow": False, "font": {"size": 14}}])
    return fig


def top_scores(table: pd.DataFrame, *, title: str = "Scores of the returned items") -> go.Figure:
    """Horizontal bars, rank 1 at the top, one per returned item; hover shows ID, title and score."""
    scored = table.dropna(subset=["Score"]) if "Score" in table else table.iloc[0:0]
    if scored.empty:
        return _empty(title, "This campaign's recipe returns no scores.")
    labels = [_label(row) for _, row in scored.iterrows()]
    hover = [plot(f"Item {row['Item ID']}" + (f" — {row['TITLE']}" if isinstance(row.get("TITLE"), str) else ""))
             for _, row in scored.iterrows()]
    fig = go.Figure(go.Bar(
        x=scored["Score"].to_numpy(dtype=float), y=labels, orientation="h", marker_color=BAR_COLOUR,
        customdata=hover, hovertemplate="%{customdata}<br>score %{x:.6f}<extra></extra>",
        name="score",
    ))
    fig.update_layout(
        title=title, height=max(260, 22 * len(labels) + 90), margin={"l": 10, "r": 20, "t": 50, "b": 40},
        xaxis_title="score", yaxis={"autorange": "reversed", "automargin": True}, bargap=0.25,
        showlegend=False,
    )
    return fig


def catalogue_distribution(scores: np.ndarray, shown_ids: Sequence[str], shown_scores: Sequence[float],
                           *, title: str = "Every item's score for this user") -> go.Figure:
    """How the whole catalogue's scores are spread (log x axis), with the shown items marked.

    A step histogram over log-spaced bins, a dashed line at the mean (1/N for a softmax) and one
    marker per shown item at its catalogue score, so one sees how far above the mass they sit.
    """
    edges, counts = results.log_histogram(scores)
    if counts.sum() == 0:
        return _empty(title, "No positive scores to show.")
    summary = results.catalogue_summary(scores, [s for s in shown_scores if not math.isnan(s)])
    fig = go.Figure()
    # A filled step line: bars with data-unit widths do not draw reliably on a log axis.
    fig.add_trace(go.Scatter(
        x=edges, y=np.append(counts, counts[-1]), mode="lines", line_shape="hv",
        line={"color": CATALOGUE_COLOUR, "width": 1}, fill="tozeroy", name=f"all {summary.n_items:,} items",
        customdata=np.append(edges[1:], edges[-1]),
        hovertemplate="%{y} items with score in [%{x:.2e}, %{customdata:.2e})<extra></extra>",
    ))
    points = [(i, s) for i, s in zip(shown_ids, shown_scores, strict=True) if s > 0 and not math.isnan(s)]
    if points:
        top = float(counts.max())
        fig.add_trace(go.Scatter(
            x=[s for _, s in points], y=[-0.06 * top] * len(points), mode="markers",
            marker={"symbol": "triangle-up", "size": 11, "color": SHOWN_COLOUR,
                    "line": {"width": 1, "color": "white"}},
            name=f"the {len(points)} items shown", text=[f"item {plot(i)}" for i, _ in points],
            hovertemplate="%{text}<br>score %{x:.6f}<extra></extra>",
        ))
    if summary.mean > 0:
        fig.add_vline(x=summary.mean, line_dash="dash", line_color="#232F3E")
        # On a log axis an annotation's x is log10 of the value (shapes take the value itself).
        fig.add_annotation(x=float(np.log10(summary.mean)), y=1, yref="paper", yanchor="bottom",
                           xanchor="left", showarrow=False, text=f" mean = 1/N = {summary.mean:.1e}")
    span = np.log10([edges[0], edges[-1]])
    fig.update_layout(
        title=title, height=400, margin={"l": 10, "r": 20, "t": 50, "b": 10},
        xaxis={"type": "log", "title": "score (log scale)", "exponentformat": "power",
               "range": [span[0] - 0.15, span[1] + 0.15]},
        yaxis={"title": "number of items"},
        legend={"orientation": "h", "yanchor": "top", "y": -0.22, "x": 0, "xanchor": "left"},
    )
    return fig


# -- score normalisation ---------------------------------------------------------------------------
MASS_COLOUR = "#0073BB"
LEVEL_COLOURS = {0.5: "#1D8102", 0.9: "#D13212"}


def average_score_vs_catalogue(sizes: np.ndarray, averages: np.ndarray, n_items: int | None, *,
                               at_least: bool = False,
                               title: str = "Average score 1/N against catalogue size") -> go.Figure:
    """The line 1/N on log-log axes, with this catalogue marked (or its lower bound, for a live one)."""
    fig = go.Figure(go.Scatter(
        x=sizes, y=averages, mode="lines", line={"color": CATALOGUE_COLOUR, "width": 2}, name="1/N",
        hovertemplate="N = %{x:,.0f}<br>average score 1/N = %{y:.2e}<extra></extra>",
    ))
    if n_items:
        sign, inverse = ("≥", "≤") if at_least else ("=", "=")
        label = f"this catalogue<br>N {sign} {n_items:,} · 1/N {inverse} {1 / n_items:.1e}"
        fig.add_trace(go.Scatter(
            x=[n_items], y=[1 / n_items], mode="markers", name="this catalogue",
            marker={"size": 13, "color": BAR_COLOUR, "symbol": "triangle-right" if at_least else "circle",
                    "line": {"width": 1, "color": "#232F3E"}},
            hovertemplate=label.replace("<br>", ": ") + "<extra></extra>",
        ))
        # Annotations on log axes take log10 coordinates; unlike marker text they are never clipped.
        fig.add_annotation(x=math.log10(n_items), y=-math.log10(n_items), text=label, showarrow=True,
                           arrowhead=0, ax=40, ay=-45, xanchor="left", align="left", font={"size": 13})
    fig.update_layout(
        title=title, height=380, margin={"l": 10, "r": 20, "t": 50, "b": 10}, showlegend=False,
        xaxis={"type": "log", "title": "catalogue size N (items)", "exponentformat": "power"},
        yaxis={"type": "log", "title": "average score 1/N", "exponentformat": "power"},
    )
    return fig


def cumulative_mass(mass: np.ndarray, levels: dict[float, int | None], *, partial: bool = False,
                    title: str = "Cumulative probability mass over the ranked catalogue") -> go.Figure:
    """Share of the mass held by the top k items (log k axis), with the 50% / 90% points annotated.

    `partial`: the curve covers only the returned top N (a live campaign); the rest is unknown.
    """
    if mass.size == 0:
        return _empty(title, "No scores to accumulate.")
    ranks = np.arange(1, mass.size + 1)
    fig = go.Figure(go.Scatter(
        x=ranks, y=mass, mode="lines", line={"color": MASS_COLOUR, "width": 2.5}, line_shape="hv",
        name="top k items", hovertemplate="top %{x:,} items hold %{y:.1%} of the mass<extra></extra>",
    ))
    for level, count in levels.items():
        colour = LEVEL_COLOURS.get(level, "#232F3E")
        fig.add_hline(y=level, line_dash="dot", line_color=colour, line_width=1)
        if count is None:
            continue
        text = f"{level:.0%} of the mass<br>in the top {count:,} item{'s' if count != 1 else ''}"
        fig.add_trace(go.Scatter(
            x=[count], y=[float(mass[count - 1])], mode="markers", marker={"size": 11, "color": colour},
            name=f"{level:.0%}", hovertemplate=text.replace("<br>", " ") + "<extra></extra>",
        ))
        # Up and to the left of the point, where the rising curve leaves room; x is log10 (log axis).
        fig.add_annotation(x=math.log10(count), y=float(mass[count - 1]), text=text, showarrow=True,
                           arrowhead=0, ax=-50, ay=-28, xanchor="right", align="right",
                           font={"size": 13, "color": colour})
    fig.update_layout(
        title="Cumulative mass of the returned items" if partial else title, height=380, showlegend=False,
        margin={"l": 10, "r": 20, "t": 50, "b": 10},
        xaxis={"type": "log", "title": "top k items (log scale)", "range": [-0.05, math.log10(mass.size) + 0.1],
               "dtick": 1},
        yaxis={"title": "share of the probability mass", "tickformat": ".0%", "range": [0, 1.04]},
    )
    return fig


# -- compare: the slope chart ------------------------------------------------------------------------
UP_COLOUR = "#1D8102"
DOWN_COLOUR = "#D13212"
SAME_COLOUR = "#0073BB"
ONLY_COLOUR = "#879596"
_SLOPE_LABEL_CHARS = 34
_LABEL_GAP = 0.03  # data units between a rank's marker and its label
_SLOPE_ROW_PX = 26


def _short(text: str, limit: int = _SLOPE_LABEL_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _wrap(text: str, width: int = 36) -> str:
    """A request label on up to three lines, broken at its " · " separators."""
    lines: list[str] = []
    for part in text.split(" · "):
        if lines and len(lines[-1]) + 3 + len(part) <= width:
            lines[-1] += " · " + part
        else:
            lines.append(part)
    return "<br>".join(plot(_short(line, width + 8)) for line in lines[:3])


def slope_chart(rows: pd.DataFrame, titles: dict[str, str], name_a: str, name_b: str, *,
                title: str = "Rank shifts from A to B") -> go.Figure:
    """Two columns of ranks (A left, B right, rank 1 at the top), a line per item in both lists.

    `rows` is `scoring.compare.rank_shifts`. Lines are green when the item rises in B, red when
    it falls, blue when it keeps its rank; items in one list only are hollow grey markers (circles
    in A, diamonds in B) with grey labels. Labels sit outside the columns, one per rank row, so 25 items stay legible.
    """
    if rows.empty:
        return _empty(title, "Both lists are empty.")
    depth = int(max(rows["Rank A"].max(skipna=True) if rows["Rank A"].notna().any() else 0,
                    rows["Rank B"].max(skipna=True) if rows["Rank B"].notna().any() else 0))

    def label(item: str) -> str:
        name = titles.get(item) or ""
        return plot(_short(f"{name} ({item})" if name else f"item {item}"))

    both = rows[rows["In"] == "both"]
    fig = go.Figure()
    for colour, name, part in (
        (UP_COLOUR, "moved up in B", both[both["Change"] > 0]),
        (DOWN_COLOUR, "moved down in B", both[both["Change"] < 0]),
        (SAME_COLOUR, "same rank", both[both["Change"] == 0]),
    ):
        if part.empty:
            continue
        xs: list[float | None] = []
        ys: list[float | None] = []
        hover: list[str | None] = []
        for _, r in part.iterrows():
            text = f"{label(r['Item ID'])}<br>rank {r['Rank A']} → {r['Rank B']}"
            xs += [0, 1, None]
            ys += [int(r["Rank A"]), int(r["Rank B"]), None]
            hover += [text, text, None]
        fig.add_trace(go.Scatter(
            x=xs, y=ys, mode="lines+markers", line={"color": colour, "width": 2},
            marker={"size": 9, "color": colour}, name=f"{name} ({len(part)})", text=hover,
            hovertemplate="%{text}<extra></extra>", connectgaps=False,
        ))
    for x, column, where, side, symbol in ((0, "Rank A", "only in A", "A", "circle-open"),
                                           (1, "Rank B", "only in B", "B", "diamond-open")):
        only = rows[rows["In"] == where]
        if only.empty:
            continue
        fig.add_trace(go.Scatter(
            x=[x] * len(only), y=only[column].astype(int).tolist(), mode="markers",
            marker={"size": 11, "symbol": symbol, "color": ONLY_COLOUR, "line": {"width": 2}},
            name=f"only in {side} ({len(only)})",
            text=[f"{label(i)}<br>only in {side}" for i in only["Item ID"]],
            hovertemplate="%{text}<extra></extra>",
        ))
    # Labels: one text trace per side; items in both lists in black, one-list items in grey.
    for x, column, position, anchor in ((-_LABEL_GAP, "Rank A", "middle left", "A"),
                                        (1 + _LABEL_GAP, "Rank B", "middle right", "B")):
        present = rows[rows[column].notna()].sort_values(column)
        colours = ["#16191F" if w == "both" else ONLY_COLOUR for w in present["In"]]
        fig.add_trace(go.Scatter(
            x=[x] * len(present), y=present[column].astype(int).tolist(), mode="text",
            text=[f"{int(r)}. {label(i)}" for r, i in zip(present[column], present["Item ID"], strict=True)],
            textposition=position, textfont={"size": 12, "color": colours}, hoverinfo="skip",
            showlegend=False, name=f"labels {anchor}",
        ))
    # Column heads above the label columns: A reads leftwards from its ranks, B rightwards.
    for x, anchor, side, name in ((-_LABEL_GAP, "right", "A", name_a), (1 + _LABEL_GAP, "left", "B", name_b)):
        fig.add_annotation(x=x, y=1, xref="x", yref="paper", yanchor="bottom", xanchor=anchor, align=anchor,
                           showarrow=False, text=f"<b>{side}</b><br>{_wrap(name)}", font={"size": 13})
    fig.update_layout(
        title=title, height=max(360, _SLOPE_ROW_PX * depth + 210),
        margin={"l": 10, "r": 10, "t": 130, "b": 10}, hovermode="closest",
        xaxis={"range": [-1.25, 2.25], "visible": False, "fixedrange": True},
        yaxis={"autorange": False, "range": [depth + 0.7, 0.3], "visible": False, "fixedrange": True},
        legend={"orientation": "h", "yanchor": "top", "y": 1.0, "x": 1, "xanchor": "right",
                "yref": "container", "font": {"size": 12}},
        plot_bgcolor="white",
    )
    return fig
