"""The figure builders are pure: check their data, not their pixels."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from components import figures
from scoring import results


def _table(scores: list[float | None], titles: bool = True) -> pd.DataFrame:
    response = {"itemList": [{"itemId": str(i), **({"score": s} if s is not None else {})}
                             for i, s in enumerate(scores)]}
    items = pd.DataFrame({"ITEM_ID": [str(i) for i in range(len(scores))],
                          "TITLE": [f"A rather long movie title number {i}" for i in range(len(scores))]}
                         ).set_index("ITEM_ID", drop=False)
    return results.to_table(response, items if titles else None)


def test_top_scores_has_one_bar_per_item_rank_one_on_top() -> None:
    fig = figures.top_scores(_table([0.3, 0.2, 0.1]))
    assert isinstance(fig, go.Figure)
    bar = fig.data[0]
    assert bar.type == "bar" and bar.orientation == "h"
    assert list(bar.x) == [0.3, 0.2, 0.1]
    assert bar.y[0].startswith("1. A rather long") and bar.y[0].endswith("…")
    assert fig.layout.yaxis.autorange == "reversed"


def test_top_scores_labels_fall_back_to_item_ids() -> None:
    assert figures.top_scores(_table([0.5], titles=False)).data[0].y == ("1. 0",)


def test_top_scores_without_scores_says_so() -> None:
    fig = figures.top_scores(_table([None, None]))
    assert len(fig.data) == 0 and "no scores" in fig.layout.annotations[0].text


def test_catalogue_distribution_marks_shown_items_on_a_log_axis() -> None:
    rng = np.random.default_rng(0)
    logits = rng.normal(size=1000)
    scores = np.exp(logits) / np.exp(logits).sum()
    top = np.argsort(-scores)[:5]
    fig = figures.catalogue_distribution(scores, [str(i) for i in top], scores[top].tolist())
    assert fig.layout.xaxis.type == "log"
    catalogue, shown = fig.data
    assert sum(catalogue.y[:-1]) == 1000  # the step line repeats the last count
    assert list(shown.x) == scores[top].tolist()
    mean_line = [s for s in fig.layout.shapes if s.type == "line"]
    assert mean_line and math.isclose(mean_line[0].x0, 1 / 1000)
    assert any("1/N" in a.text for a in fig.layout.annotations)


def test_catalogue_distribution_skips_unknown_items_and_empty_catalogues() -> None:
    scores = np.full(10, 0.1)
    fig = figures.catalogue_distribution(scores, ["a", "b"], [0.1, math.nan])
    assert len(fig.data[1].x) == 1
    empty = figures.catalogue_distribution(np.zeros(3), [], [])
    assert len(empty.data) == 0
