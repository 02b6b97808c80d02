"""Responses as tables and the small summaries the result charts need.

Both runtime operations answer with a list of PredictedItem (`itemList` or
`personalizedRanking`); this module flattens either into one table, joins the items'
metadata when the catalogue is known, and summarises catalogue scores (softmax over all
items: they sum to 1, so the mean is exactly 1/N).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd

from scoring import cards, csv_safe
from scoring.clients import CatalogueScorer, RuntimeClient

#: Item metadata columns shown next to the results, when the items data has them.
METADATA_COLUMNS: tuple[str, ...] = ("TITLE", "GENRES", "YEAR")

BASE_COLUMNS: tuple[str, ...] = ("Rank", "Item ID", "Score", "Reason")


def predicted_items(response: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The PredictedItem list of either operation's response."""
    items = response.get("itemList")
    if items is None:
        items = response.get("personalizedRanking")
    return list(items or [])


def _reason(value: Any) -> str:
    if not value:
        return ""
    if isinstance(value, str):
        return value
    return ", ".join(str(v) for v in value)


def to_table(response: Mapping[str, Any], items: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per returned item, in the service's order.

    Columns: Rank, Item ID, Score (NaN when the recipe returns none), Reason, Promotion (only
    when an item was promoted), the response's own metadata columns, then TITLE / GENRES / YEAR
    from `items` (indexed by ITEM_ID) when known, and Image (http(s) URLs only) when the items
    have an image URL column. GENRES "A|B" reads "A, B".
    """
    rows = predicted_items(response)
    table = pd.DataFrame({
        "Rank": pd.Series(range(1, len(rows) + 1), dtype="int64"),
        "Item ID": pd.Series([str(r.get("itemId", "")) for r in rows], dtype="object"),
        "Score": pd.Series([float(r["score"]) if r.get("score") is not None else math.nan for r in rows],
                           dtype="float64"),
        "Reason": pd.Series([_reason(r.get("reason")) for r in rows], dtype="object"),
    })
    if any(r.get("promotionName") for r in rows):
        table["Promotion"] = [str(r.get("promotionName") or "") for r in rows]

    known = [c for c in METADATA_COLUMNS if items is not None and c in items.columns]
    meta_keys = list(dict.fromkeys(k for r in rows for k in (r.get("metadata") or {})))
    for key in meta_keys:
        if key not in known:
            table[key] = [str((r.get("metadata") or {}).get(key, "")) for r in rows]
    if known and items is not None:
        joined = items.reindex(table["Item ID"])[known]
        for column in known:
            values = joined[column].to_numpy()
            if column == "GENRES":
                values = np.array([_genres(v) for v in values], dtype=object)
            if column in ("TITLE", "GENRES"):  # items the catalogue lacks: blank, not "None"
                values = np.array(["" if not isinstance(v, str) else v for v in values], dtype=object)
            table[column] = values
    image = cards.image_column(items)
    if image is not None and items is not None:
        urls = items.reindex(table["Item ID"])[image].to_numpy()
        table["Image"] = pd.Series([cards.safe_image_url(u) for u in urls], dtype="object")
    return table


def _genres(value: Any) -> Any:
    if isinstance(value, str):
        return ", ".join(g for g in value.split("|") if g)
    return value


def to_csv(table: pd.DataFrame) -> bytes:
    """The table as UTF-8 CSV for the download button (formula-like cells neutralised)."""
    return csv_safe.frame_to_csv(table)


def jsonable(value: Any) -> Any:
    """A copy of a boto3 response that json.dumps accepts (datetimes as ISO 8601, numpy as Python)."""
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, np.ndarray):
        return [jsonable(v) for v in value.tolist()]
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def top_score(table: pd.DataFrame) -> float | None:
    """The largest score in the table, or None when the response has no scores."""
    scores = table["Score"].dropna() if "Score" in table else pd.Series(dtype=float)
    return float(scores.max()) if len(scores) else None


@dataclass(frozen=True)
class CatalogueSummary:
    """Facts about one user's score over the whole catalogue, for the chart caption."""

    n_items: int
    total: float
    mean: float
    top: float
    shown: int
    shown_mass: float

    @property
    def top_over_mean(self) -> float:
        return self.top / self.mean if self.mean > 0 else math.inf


def catalogue_summary(scores: np.ndarray, shown_scores: Sequence[float]) -> CatalogueSummary:
    """Sum, mean (= 1/N for a softmax) and top score, and the share of mass in the shown items."""
    scores = np.asarray(scores, dtype=np.float64)
    n = int(scores.size)
    total = float(scores.sum()) if n else 0.0
    return CatalogueSummary(
        n_items=n, total=total, mean=total / n if n else 0.0,
        top=float(scores.max()) if n else 0.0,
        shown=len(shown_scores), shown_mass=float(np.sum(np.asarray(shown_scores, dtype=np.float64))),
    )


def shown_catalogue_scores(item_ids: np.ndarray, scores: np.ndarray,
                           shown: Sequence[str]) -> list[float]:
    """The catalogue score of each shown item (NaN for items the model does not know)."""
    index = {str(i): k for k, i in enumerate(np.asarray(item_ids).tolist())}
    return [float(scores[index[i]]) if i in index else math.nan for i in shown]


def log_histogram(scores: np.ndarray, bins: int = 60) -> tuple[np.ndarray, np.ndarray]:
    """(edges, counts) over log-spaced bins: softmax scores span orders of magnitude.

    Zero scores (possible only by underflow) are left out: a log axis cannot show them.
    """
    positive = np.asarray(scores, dtype=np.float64)
    positive = positive[positive > 0]
    if positive.size == 0:
        return np.array([1e-12, 1.0]), np.array([0])
    lo, hi = float(positive.min()), float(positive.max())
    if hi < lo * 1.01:  # (nearly) equal scores: log-spaced edges that close would collapse in float
        lo, hi = lo / 1.5, hi * 1.5
    edges = np.logspace(np.log10(lo), np.log10(hi), bins + 1)
    edges[0], edges[-1] = min(edges[0], lo), max(edges[-1], hi)  # rounding must not drop the extremes
    counts, _ = np.histogram(positive, bins=edges)
    return edges, counts


_METRIC_LABELS: dict[str, str] = {
    "coverage": "Coverage",
    "mean_reciprocal_rank_at_25": "Mean reciprocal rank at 25",
    "normalized_discounted_cumulative_gain_at_5": "Normalized DCG at 5",
    "normalized_discounted_cumulative_gain_at_10": "Normalized DCG at 10",
    "normalized_discounted_cumulative_gain_at_25": "Normalized DCG at 25",
    "precision_at_5": "Precision at 5",
    "precision_at_10": "Precision at 10",
    "precision_at_25": "Precision at 25",
}


def metrics_table(metrics: Mapping[str, float]) -> pd.DataFrame:
    """GetSolutionMetrics' map as (Metric, Name, Value), in the console's order, others after."""
    known = [m for m in _METRIC_LABELS if m in metrics]
    names = known + sorted(m for m in metrics if m not in _METRIC_LABELS)
    return pd.DataFrame({
        "Metric": [_METRIC_LABELS.get(m, m.replace("_", " ").capitalize()) for m in names],
        "Name": names,
        "Value": pd.Series([float(metrics[m]) for m in names], dtype="float64"),
    })


def catalogue_scores(runtime: RuntimeClient, params: Mapping[str, Any]) -> tuple[np.ndarray, np.ndarray] | None:
    """(item IDs, catalogue scores) for the request's user and context, where the source knows them.

    Only local clients can score the whole catalogue (`catalogue_scores`, not a boto3 method);
    a live campaign returns None here and the page simply skips the distribution chart.
    """
    if not isinstance(runtime, CatalogueScorer) or "itemId" in params or "campaignArn" not in params:
        return None  # a live client, an item's neighbours or a recommender: no catalogue scores
    answer = runtime.catalogue_scores(campaignArn=params["campaignArn"], userId=params.get("userId"),
                       context=params.get("context"))
    if answer is None:
        return None
    ids, scores = answer
    return np.asarray(ids), np.asarray(scores, dtype=np.float64)


def catalogue_caption(summary: CatalogueSummary, *, ranking: bool = False) -> str:
    """Why the scores are small: the softmax normalises them over the whole catalogue."""
    text = (f"Scores sum to 1 over the catalogue (here {summary.total:.4f} over {summary.n_items:,} items), "
            f"so the mean score is 1/N = {summary.mean:.2e}: the dashed line. "
            f"The top item scores {summary.top_over_mean:,.0f}× the mean")
    if summary.shown:
        text += f"; the {summary.shown} items shown hold {summary.shown_mass:.1%} of the probability mass"
    text += ". Compare scores with the top score, not with a fixed threshold."
    if ranking:
        text += (" Ranking scores are these catalogue scores renormalised over the input list, "
                 "so they are larger and sum to 1 over the list.")
    return text
