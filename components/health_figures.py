"""Plotly figures of the health check: pure functions of HealthReports, no Streamlit."""

from __future__ import annotations

from collections.abc import Mapping
from itertools import cycle

import numpy as np
import plotly.graph_objects as go

from components.safe_text import plot
from scoring import health_metrics as hm

COLOURS = ["#FF9900", "#232F3E", "#879596", "#1D8102", "#D13212", "#0073BB", "#8C4FFF", "#E07941"]


def _empty(title: str, message: str) -> go.Figure:
    fig = go.Figure()
    fig.update_layout(title=title, xaxis={"visible": False}, yaxis={"visible": False}, height=260,
                      annotations=[{"text": message, "showarrow": False, "font": {"size": 14}}])
    return fig


def exposure_curve(reports: Mapping[str, hm.HealthReport]) -> go.Figure:
    """Each catalogue item's exposure, most shown first (log y): the long tail at a glance."""
    title = "Item exposure: lists showing each item"
    fig = go.Figure()
    for colour, (raw_name, report) in zip(cycle(COLOURS), reports.items()):
        name = plot(raw_name)  # campaign names: plotly reads labels as HTML
        if report.exposure.size == 0:
            continue
        ranked = np.sort(report.exposure)[::-1]
        shown = int(np.count_nonzero(ranked))
        fig.add_trace(go.Scatter(
            x=np.arange(1, shown + 1), y=ranked[:shown], mode="lines" if shown > 30 else "lines+markers", name=f"{name} ({shown:,} items shown)",
            line={"color": colour, "width": 2}, hovertemplate="item rank %{x}: in %{y} lists<extra></extra>"))
    if not fig.data:
        return _empty(title, "The catalogue is unknown: no exposure curve.")
    n = next(iter(reports.values())).n_catalogue or 0
    fig.update_layout(title=title, height=380, margin={"l": 10, "r": 20, "t": 50, "b": 10},
                      xaxis={"title": f"items ranked by exposure (catalogue: {n:,} items)",
                             "range": [0, n * 1.02] if n else None},
                      yaxis={"type": "log", "title": "lists showing the item (log scale)", "dtick": 1},
                      legend={"orientation": "h", "y": -0.2, "x": 0})
    return fig


def score_histograms(report: hm.HealthReport) -> go.Figure:
    """Where the top-1 scores and all top-K scores fall (log x), as shares of their totals."""
    title = "Scores: top-1 vs every top-K item"
    edges = hm.SCORE_EDGES
    top1, _ = np.histogram(np.clip(report.top1[report.top1 > 0], edges[0], edges[-1]), bins=edges)
    if report.score_counts.sum() == 0:
        return _empty(title, "No scores: this recipe (or file) returns none.")
    fig = go.Figure()
    lo, hi = _span(report.score_counts + top1)
    for counts, name, colour in ((report.score_counts, f"all top-{report.k} scores", "#879596"),
                                 (top1, "top-1 scores", "#FF9900")):
        share = counts / max(counts.sum(), 1) * 100
        fig.add_trace(go.Scatter(
            x=edges[lo:hi + 1], y=np.append(share[lo:hi], share[hi - 1]), mode="lines", line_shape="hv",
            fill="tozeroy", name=name, line={"color": colour, "width": 1.5}, opacity=0.8,
            hovertemplate="score ≥ %{x:.2e}: %{y:.1f}%<extra>" + name + "</extra>"))
    fig.update_layout(title=title, height=380, margin={"l": 10, "r": 20, "t": 50, "b": 10},
                      xaxis={"type": "log", "title": "score (log scale)", "dtick": "D2",
                             "exponentformat": "power"},
                      yaxis={"title": "% of scores"}, legend={"orientation": "h", "y": -0.2, "x": 0})
    return fig


def _span(counts: np.ndarray) -> tuple[int, int]:
    nonzero = np.flatnonzero(counts)
    return (int(nonzero[0]), int(nonzero[-1]) + 1) if nonzero.size else (0, len(counts))


def metric_bars(reports: Mapping[str, hm.HealthReport]) -> go.Figure:
    """The [0, 1] metrics side by side for the campaigns and their baselines (taller with more bars)."""
    infos = [m for m in hm.METRICS if m.unit_range]
    fig = go.Figure()
    for colour, (raw_name, report) in zip(cycle(COLOURS), reports.items()):
        name = plot(raw_name)  # campaign names: plotly reads labels as HTML
        values = [report.value(m.key) for m in infos]
        fig.add_trace(go.Bar(
            y=[m.label for m in infos], x=[None if np.isnan(v) else v for v in values], orientation="h",
            name=name, marker_color=colour, hovertemplate="%{y}: %{x:.3f}<extra>" + name + "</extra>"))
    title = "Campaign" if len(reports) <= 3 else "Campaigns"
    fig.update_layout(title=f"{title} vs baselines (metrics between 0 and 1)", barmode="group",
                      height=460 + 60 * max(len(reports) - 3, 0),
                      margin={"l": 10, "r": 20, "t": 50, "b": 10}, xaxis={"range": [0, 1]},
                      yaxis={"autorange": "reversed", "automargin": True},
                      legend={"orientation": "h", "y": -0.12, "x": 0})
    return fig
