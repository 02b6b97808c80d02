"""List agreement: overlap@k, Jaccard, RBO (against the paper's series) and rank shifts."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scoring import compare

items = st.lists(st.sampled_from([f"i{k}" for k in range(30)]), max_size=25, unique=True)
persistence = st.floats(min_value=0.05, max_value=0.98)


def rbo_by_the_series(a: list[str], b: list[str], p: float, depth: int = 2000) -> float:
    """The slow, obvious RBO_ext: (1 - p) Σ_d p^(d-1) A_d with the extrapolated agreement A_d.

    Down to the shorter length s, A_d = X_d / d. Between s and l the unseen items of the shorter
    list are assumed to agree at its rate X_s / s: A_d = (X_d + (d - s) X_s / s) / d. Below l the
    agreement stays at its value at l. The series is summed until p^d is negligible.
    """
    short, long_ = (a, b) if len(a) <= len(b) else (b, a)
    s, l = len(short), len(long_)
    if s == 0:
        return 1.0 if l == 0 else 0.0

    def x(d: int) -> int:
        return len(set(short[:d]) & set(long_[:d]))

    def agreement_at(d: int) -> float:
        if d <= s:
            return x(d) / d
        d = min(d, l)
        return (x(d) + (d - s) * x(s) / s) / d

    return (1 - p) * sum(p ** (d - 1) * agreement_at(d) for d in range(1, depth + 1))


# -- worked examples -----------------------------------------------------------------------------
def test_rbo_of_a_swap_at_the_top_is_p() -> None:
    """abcdefg vs bacdefg: X_1 = 0, X_d = d after, so RBO = 1 - (1-p)/p · p = p (by hand)."""
    assert compare.rbo(list("abcdefg"), list("bacdefg"), 0.9) == pytest.approx(0.9, abs=1e-12)
    assert compare.rbo(list("abcdefg"), list("bacdefg"), 0.5) == pytest.approx(0.5, abs=1e-12)


def test_rbo_hand_computed_example() -> None:
    """abc vs acb, p = 0.9: X = 1, 1, 3, so (0.1/0.9)(0.9 + 0.81/2 + 0.729) + 0.729 = 0.955."""
    assert compare.rbo(["a", "b", "c"], ["a", "c", "b"], 0.9) == pytest.approx(0.955, abs=1e-12)


def test_rbo_of_uneven_lists_extrapolates_the_shorter_one() -> None:
    """A prefix agrees fully with its extension: the extrapolation assumes it goes on agreeing."""
    assert compare.rbo(list("abc"), list("abcdefg"), 0.9) == pytest.approx(1.0, abs=1e-12)
    assert compare.rbo(list("abc"), list("xyzabcd"), 0.9) < compare.rbo(list("abc"), list("abcxyz"), 0.9)


def test_rbo_edge_cases() -> None:
    assert compare.rbo([], []) == 1.0
    assert compare.rbo([], ["a"]) == 0.0
    assert compare.rbo(["a", "a", "b"], ["a", "b"]) == pytest.approx(1.0)  # repeats count once
    with pytest.raises(ValueError):
        compare.rbo(["a"], ["a"], 1.0)


# -- properties ------------------------------------------------------------------------------------
@given(items, items, persistence)
def test_rbo_matches_the_series_and_lies_in_the_unit_interval(a: list[str], b: list[str], p: float) -> None:
    value = compare.rbo(a, b, p)
    assert 0.0 <= value <= 1.0
    assert value == pytest.approx(rbo_by_the_series(a, b, p), abs=1e-9)


@given(items, items, persistence)
def test_rbo_is_symmetric(a: list[str], b: list[str], p: float) -> None:
    assert compare.rbo(a, b, p) == pytest.approx(compare.rbo(b, a, p), abs=1e-12)


@given(items.filter(bool), persistence)
def test_rbo_of_a_list_with_itself_is_one(a: list[str], p: float) -> None:
    assert compare.rbo(a, a, p) == pytest.approx(1.0, abs=1e-12)


@given(st.lists(st.sampled_from("abcdefghij"), min_size=1, unique=True),
       st.lists(st.sampled_from("klmnopqrst"), min_size=1, unique=True), persistence)
def test_rbo_of_disjoint_lists_is_zero(a: list[str], b: list[str], p: float) -> None:
    assert compare.rbo(a, b, p) == 0.0


@given(items, items)
def test_set_measures_are_fractions_and_symmetric(a: list[str], b: list[str]) -> None:
    j = compare.jaccard(a, b)
    assert 0.0 <= j <= 1.0 and j == compare.jaccard(b, a)
    for k in (1, 5, 10):
        o = compare.overlap_at_k(a, b, k)
        if min(len(a), len(b)) < k:
            assert o is None
        else:
            assert o is not None and 0.0 <= o <= 1.0
            assert o == len(set(a[:k]) & set(b[:k])) / k == compare.overlap_at_k(b, a, k)


def test_overlap_and_jaccard_examples() -> None:
    a, b = list("abcdefghij"), list("axcyezgwiv")
    assert compare.overlap_at_k(a, b, 5) == 3 / 5
    assert compare.overlap_at_k(a, b, 10) == 5 / 10
    assert compare.overlap_at_k(a, b, 25) is None
    assert compare.jaccard(a, b) == 5 / 15
    assert compare.jaccard([], []) == 1.0


# -- rank shifts -----------------------------------------------------------------------------------
@given(items, items)
def test_rank_shifts_cover_every_item_once(a: list[str], b: list[str]) -> None:
    rows = compare.rank_shifts(a, b)
    assert sorted(rows["Item ID"]) == sorted(set(a) | set(b))
    for _, row in rows.iterrows():
        in_a, in_b = row["Item ID"] in a, row["Item ID"] in b
        assert row["In"] == (compare.BOTH if in_a and in_b else compare.ONLY_A if in_a else compare.ONLY_B)
        assert (row["Rank A"] is pd_na()) == (not in_a) and (row["Rank B"] is pd_na()) == (not in_b)
        if in_a and in_b:
            assert row["Change"] == (a.index(row["Item ID"]) - b.index(row["Item ID"]))


def pd_na() -> object:
    import pandas as pd

    return pd.NA


def test_rank_shift_rows_example() -> None:
    rows = compare.rank_shifts(["x", "y", "z"], ["z", "x", "w"])
    assert rows["Item ID"].tolist() == ["x", "y", "z", "w"]
    assert rows["Rank B"].tolist()[:1] == [2] and rows["Change"].tolist()[0] == -1  # x fell from 1 to 2
    assert rows.loc[2, "Change"] == 2  # z rose from 3 to 1
    assert rows["In"].tolist() == [compare.BOTH, compare.ONLY_A, compare.BOTH, compare.ONLY_B]


def test_agreement_bundles_every_measure() -> None:
    result = compare.agreement(list("abcdefghij"), list("abcdefghij"), depths=(5, 10, 25))
    assert result.overlap == {5: 1.0, 10: 1.0, 25: None}
    assert result.jaccard == 1.0 and result.rbo == pytest.approx(1.0) and result.common == 10


# -- filters ---------------------------------------------------------------------------------------
