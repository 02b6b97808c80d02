"""Score normalisation: the ranking identity on the demo, mass and entropy, and top-N bounds."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import scoring
from scoring import arns, normalisation
from scoring.softmax import softmax

REC = arns.local_arn("campaign", "demo-user-personalization")
RANK = arns.local_arn("campaign", "demo-personalized-ranking")

logits = arrays(np.float64, st.integers(1, 400),
                elements=st.floats(min_value=-30, max_value=30, allow_nan=False, width=64))


# -- the identity on the demo, through the local clients --------------------------------------------
@pytest.mark.parametrize("context", [None, {"DEVICE": "mobile phone"}, {"DEVICE": "smart tv"}])
@pytest.mark.parametrize("user", ["1", "7", "never-seen"])
def test_rank_score_is_rec_score_over_the_list_sum(demo_dir: Path, user: str,
                                                   context: dict[str, str] | None) -> None:
    runtime = scoring.client("personalize-runtime")
    extra = {"context": context} if context else {}
    top = runtime.get_recommendations(campaignArn=REC, userId=user, numResults=25, **extra)
    recommended = normalisation.scored_items(top)
    ranked = runtime.get_personalized_ranking(campaignArn=RANK, userId=user,
                                              inputList=[i for i, _ in recommended], **extra)
    table = normalisation.identity_table(recommended, normalisation.scored_items(ranked))
    assert len(table) == 25 and table["Actual rank score"].notna().all()
    assert normalisation.max_abs_difference(table) < 1e-6
    assert table["Predicted rank score"].sum() == pytest.approx(1.0, abs=1e-9)
    assert (table["Actual rank score"] > table["Rec score"]).all()  # the list's softmax is larger


def test_identity_table_rows_by_hand() -> None:
    table = normalisation.identity_table([("a", 0.2), ("b", 0.1), ("c", 0.1)],
                                         [("b", 0.26), ("a", 0.5)])
    assert table["Σ rec score (list)"].tolist() == pytest.approx([0.4] * 3)
    assert table["Predicted rank score"].tolist() == pytest.approx([0.5, 0.25, 0.25])
    assert table["Difference"].tolist()[:2] == pytest.approx([0.0, 0.01])
    assert math.isnan(table["Actual rank score"][2]) and math.isnan(table["Difference"][2])
    assert normalisation.max_abs_difference(table) == pytest.approx(0.01)


# -- cumulative mass and entropy ----------------------------------------------------------------------
@given(logits)
def test_cumulative_mass_is_monotone_and_ends_at_one(x: np.ndarray) -> None:
    mass = normalisation.cumulative_mass(softmax(x))
    assert np.all(np.diff(mass) >= 0)
    assert mass[-1] == pytest.approx(1.0) and np.all(mass <= 1.0)


@given(logits)
def test_entropy_lies_between_zero_and_log_n(x: np.ndarray) -> None:
    h = normalisation.entropy(softmax(x))
    assert -1e-12 <= h <= math.log(x.size) + 1e-9


@given(logits, st.sampled_from([0.5, 0.9]))
def test_items_for_mass_is_the_smallest_count_reaching_the_level(x: np.ndarray, level: float) -> None:
    p = softmax(x)
    k = normalisation.items_for_mass(normalisation.cumulative_mass(p), level)
    ordered = np.sort(p)[::-1]
    assert ordered[:k].sum() >= level - 1e-9
    assert k == 1 or ordered[: k - 1].sum() < level + 1e-9


def test_uniform_and_one_hot_extremes() -> None:
    uniform = normalisation.catalogue_stats(np.full(1000, 1e-3))
    assert uniform.entropy_nats == pytest.approx(math.log(1000))
    assert uniform.effective_items == pytest.approx(1000)
    assert uniform.entropy_bits == pytest.approx(math.log2(1000))
    assert (uniform.items_50, uniform.items_90) == (500, 900)
    assert uniform.top_over_mean == pytest.approx(1.0) and uniform.mean == pytest.approx(1e-3)
    one_hot = normalisation.catalogue_stats(np.array([1.0, 0.0, 0.0]))
    assert one_hot.entropy_nats == 0.0 and one_hot.effective_items == 1.0 and one_hot.items_90 == 1


def test_average_score_curve_is_one_over_n() -> None:
    sizes, average = normalisation.average_score_curve()
    assert sizes[0] == pytest.approx(10) and sizes[-1] == pytest.approx(1e6)
    assert np.allclose(average * sizes, 1.0)


# -- a live campaign: what its top-N scores prove -------------------------------------------------------
@given(logits.filter(lambda x: x.size >= 2), st.integers(1, 50))
def test_top_n_bounds_hold_for_the_true_distribution(x: np.ndarray, n: int) -> None:
    p = np.sort(softmax(x))[::-1]
    n = min(n, p.size)
    bounds = normalisation.top_n_bounds(p[:n].tolist(), catalogue_size=p.size)
    truth = normalisation.catalogue_stats(p)
    assert bounds.min_catalogue <= p.size or bounds.mass >= 1 - 1e-9
    assert bounds.entropy_min <= truth.entropy_nats + 1e-9
    if bounds.entropy_max is not None:
        assert truth.entropy_nats <= bounds.entropy_max + 1e-9
    assert bounds.items_50_at_least <= truth.items_50 and bounds.items_90_at_least <= truth.items_90
    if bounds.items_50 is not None:
        assert bounds.items_50 == truth.items_50


def test_top_n_bounds_by_hand() -> None:
    """Scores 0.4, 0.2, 0.1: 0.3 unseen, each ≤ 0.1, so at least 3 more items and N ≥ 6."""
    bounds = normalisation.top_n_bounds([0.4, 0.2, 0.1])
    assert bounds.mass == pytest.approx(0.7) and bounds.min_catalogue == 6
    expected = -sum(q * math.log(q) for q in [0.4, 0.2, 0.1, 0.1, 0.1, 0.1])
    assert bounds.entropy_min == pytest.approx(expected)
    assert bounds.items_50 == 2 and bounds.items_90 is None and bounds.items_90_at_least == 5
    assert bounds.entropy_max is None and bounds.catalogue_size is None
    assert any("catalogue size" in line for line in normalisation.top_n_missing(bounds))
    known = normalisation.top_n_bounds([0.4, 0.2, 0.1], catalogue_size=103)
    assert known.entropy_max == pytest.approx(-(0.4 * math.log(0.4) + 0.2 * math.log(0.2)
                                                + 0.1 * math.log(0.1)) + 0.3 * math.log(100 / 0.3))
    with pytest.raises(ValueError):
        normalisation.top_n_bounds([])


def test_unscored_recipes_have_nothing_to_normalise() -> None:
    assert normalisation.unscored_reason("RELATED_ITEMS", "aws-sims") is not None
    assert "popularity" in (normalisation.unscored_reason("POPULAR_ITEMS", "aws-popularity-count") or "")
    assert normalisation.unscored_reason("USER_PERSONALIZATION", "aws-user-personalization") is None
