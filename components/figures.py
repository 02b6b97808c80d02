"""Plotly figure builders for the result charts: pure functions, no Streamlit.

They take tables and arrays and return `go.Figure`s, so tests check the figures' data directly.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go

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
    return f"{int(row['Rank'])}. {text}"


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
    hover = [f"Item {row['Item ID']}" + (f" — {row['TITLE']}" if isinstance(row.get("TITLE"), str) else "")
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
            name=f"the {len(points)} items shown", text=[f"item {i}" for i, _ in points],
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
