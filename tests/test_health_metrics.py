"""Health metrics against slow, obviously correct reference implementations (plain Python loops).

The acceptance criterion: on the demo data every metric matches its reference to 1e-9; hypothesis
then checks the same on random lists, catalogues, scores, metadata and known interactions.
"""

from __future__ import annotations

import itertools
import math
import statistics
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import scoring
from scoring import arns, health_metrics as hm, health_run

REC = arns.local_arn("campaign", "demo-user-personalization")
TOL = 1e-9


# -- the reference: one metric at a time, loops only ----------------------------------------------
def prepare(lists: hm.RecLists, k: int) -> list[tuple[str, list[tuple[str, float | None]]]]:
    """Each list cut to its first k distinct items (first occurrence wins)."""
    out = []
    for user, items, scores in zip(lists.user_ids, lists.items, lists.scores, strict=True):
        kept: list[tuple[str, float | None]] = []
        for item, score in zip(items, scores, strict=True):
            if len(kept) == k:
                break
            if item not in [i for i, _ in kept]:
                kept.append((item, score))
        out.append((user, kept))
    return out


def reference(lists: hm.RecLists, cat: hm.Catalogue | None, k: int,
              known: dict[str, set[str]] | None = None) -> dict[str, float]:
    nan = float("nan")
    prepared = prepare(lists, k)
    nonempty = [(u, kept) for u, kept in prepared if kept]
    m = dict.fromkeys(hm.METRIC_INFO, nan)
    ids = list(cat.item_ids) if cat is not None else []
    if cat is not None and ids:
        exposure = dict.fromkeys(ids, 0)
        for _, kept in prepared:
            for item, _ in kept:
                if item in exposure:
                    exposure[item] += 1
        m["coverage"] = sum(1 for v in exposure.values() if v > 0) / len(ids)
        values = list(exposure.values())
        total = sum(values)
        if total > 0:
            diff = 0.0
            for a in values:
                for b in values:
                    diff += abs(a - b)
            m["gini"] = diff / (2 * len(values) * total)
    if cat is not None and cat.popularity is not None and nonempty:
        pop = {item: float(p) for item, p in zip(ids, cat.popularity, strict=True)}
        total = sum(pop.values())
        m["avg_popularity"] = sum(sum(pop.get(i, 0.0) for i, _ in kept) / len(kept)
                                  for _, kept in nonempty) / len(nonempty)
        if total > 0:
            ranked = sorted(range(len(ids)), key=lambda r: (-pop[ids[r]], r))
            head, running = set(), 0.0
            for r in ranked:
                head.add(ids[r])
                running += pop[ids[r]]
                if running >= hm.HEAD_SHARE * total:
                    break
            m["long_tail_share"] = sum(sum(1 for i, _ in kept if i not in head) / len(kept)
                                       for _, kept in nonempty) / len(nonempty)
            m["novelty"] = sum(sum(-math.log2((pop.get(i, 0.0) + 1) / (total + len(ids))) for i, _ in kept)
                               / len(kept) for _, kept in nonempty) / len(nonempty)
    if len(nonempty) >= 2:
        overlaps = []
        for (_, a), (_, b) in itertools.combinations(nonempty, 2):
            sa, sb = {i for i, _ in a}, {i for i, _ in b}
            overlaps.append(len(sa & sb) / math.sqrt(len(sa) * len(sb)))
        m["personalisation"] = 1 - sum(overlaps) / len(overlaps)
    if cat is not None and cat.metadata is not None:
        per_user = []
        for _, kept in nonempty:
            sets = [{v.strip() for v in str(cat.metadata.get(i, "")).split("|") if v.strip()} for i, _ in kept]
            sets = [s for s in sets if s]
            pairs = [1 - len(a & b) / len(a | b) for a, b in itertools.combinations(sets, 2)]
            if pairs:
                per_user.append(sum(pairs) / len(pairs))
        if per_user:
            m["intra_list_diversity"] = sum(per_user) / len(per_user)
    entropies, top1 = [], []
    for _, kept in prepared:
        if kept and kept[0][1] is not None:
            top1.append(kept[0][1])
        scores = [s for _, s in kept]
        if len(kept) >= 2 and all(s is not None for s in scores) and sum(scores) > 0:
            total = sum(scores)
            h = -sum((s / total) * math.log2(s / total) for s in scores if s > 0)
            entropies.append(h / math.log2(len(kept)))
    if entropies:
        m["score_entropy"] = sum(entropies) / len(entropies)
    if top1:
        m["top1_mean"] = sum(top1) / len(top1)
        m["top1_median"] = statistics.median(top1)
    return m


def reference_flags(lists: hm.RecLists, cat: hm.Catalogue | None, k: int,
                    known: dict[str, set[str]] | None) -> dict[str, tuple[int, int]]:
    """(users, slots) per flag; for identical lists (users in groups, groups)."""
    prepared = prepare(lists, k)
    ids = set(cat.item_ids) if cat is not None else set()
    flags = {}
    counts = Counter(tuple(i for i, _ in kept) for _, kept in prepared if kept)
    repeated = {lst: n for lst, n in counts.items() if n > 1}
    flags["identical"] = (sum(repeated.values()), len(repeated))

    def per_user(test):  # noqa: ANN001, ANN202
        users = slots = 0
        for user, kept in prepared:
            n = sum(1 for item, score in kept if test(user, item, score))
            users += n > 0
            slots += n
        return users, slots

    flags["no_score"] = per_user(lambda u, i, s: s is None)
    flags["zero_score"] = per_user(lambda u, i, s: s is not None and s == 0)
    flags["outside"] = per_user(lambda u, i, s: cat is not None and i not in ids)
    flags["empty"] = (sum(1 for _, kept in prepared if not kept),) * 2
    if known is not None:
        flags["interacted"] = per_user(lambda u, i, s: i in known.get(u, set()))
    return flags


def assert_matches(report: hm.HealthReport, expected: dict[str, float]) -> None:
    for key, want in expected.items():
        got = report.metrics[key]
        if math.isnan(want):
            assert math.isnan(got), key
        else:
            assert got == pytest.approx(want, abs=TOL, rel=TOL), key


def assert_flags(report: hm.HealthReport, expected: dict[str, tuple[int, int]]) -> None:
    for key, (users, slots) in expected.items():
        assert (report.flags[key].users, report.flags[key].slots) == (users, slots), key


# -- the acceptance criterion: the demo data ------------------------------------------------------
@pytest.fixture(scope="module")
def demo_run(demo_dir: Path) -> tuple[hm.RecLists, hm.Catalogue, dict[str, set[str]]]:
    runtime = scoring.client("personalize-runtime", demo_dir)
    group = runtime.group
    users = [str(u) for u in group.model.user_ids[:250]] + ["new-1", "new-2", "new-3"]
    lists = health_run.block_lists(runtime, REC, users, 10, {"DEVICE": "mobile phone"}).lists
    catalogue = health_run.catalogue_of(group, "GENRES")
    known = health_run.known_interactions(group.path)
    return lists, catalogue, known


def test_every_metric_matches_the_reference_on_the_demo_data(demo_run) -> None:  # noqa: ANN001
    lists, catalogue, known = demo_run
    report = hm.compute(lists, catalogue, 10, known=known)
    expected = reference(lists, catalogue, 10, known)
    assert all(not math.isnan(v) for v in expected.values())
    assert_matches(report, expected)
    assert_flags(report, reference_flags(lists, catalogue, 10, known))
    # The three unknown users get the same (popular, context-shifted) list.
    assert any(set(g.examples) >= {"new-1", "new-2", "new-3"} for g in report.groups)


def test_baselines_match_the_reference_on_the_demo_data(demo_run) -> None:  # noqa: ANN001
    lists, catalogue, known = demo_run
    for baseline in (health_run.popularity_lists(lists.user_ids, catalogue, 10),
                     health_run.random_lists(lists.user_ids, catalogue, 10, seed=3)):
        report = hm.compute(baseline, catalogue, 10, known=known)
        assert_matches(report, reference(baseline, catalogue, 10, known))
        assert_flags(report, reference_flags(baseline, catalogue, 10, known))
    popular = hm.compute(health_run.popularity_lists(lists.user_ids, catalogue, 10), catalogue, 10)
    assert popular.metrics["personalisation"] == pytest.approx(0.0, abs=1e-12)
    assert popular.flags["identical"].users == len(lists)


def test_block_sizes_do_not_change_the_numbers(demo_run) -> None:  # noqa: ANN001
    lists, catalogue, known = demo_run
    whole = hm.compute(lists, catalogue, 10, known=known)
    pieces = hm.compute(lists, catalogue, 10, known=known, block=7)
    for key in hm.METRIC_INFO:
        assert pieces.metrics[key] == pytest.approx(whole.metrics[key], abs=1e-12)
    np.testing.assert_array_equal(pieces.exposure, whole.exposure)


# -- direct checks of the small pieces ------------------------------------------------------------
def test_gini_extremes() -> None:
    assert hm.gini(np.array([3, 3, 3])) == 0.0
    assert hm.gini(np.array([0, 0, 0, 5])) == pytest.approx(0.75)  # (n-1)/n for one item
    assert math.isnan(hm.gini(np.zeros(4)))


def test_head_holds_the_pareto_share() -> None:
    pop = np.array([1, 50, 30, 10, 9])  # total 100: 50 + 30 = 80 reaches 80%
    assert hm.head_items(pop).tolist() == [False, True, True, False, False]


def test_no_catalogue_still_gives_list_metrics() -> None:
    lists = hm.RecLists()
    lists.append("a", ["1", "2"], [0.6, 0.4])
    lists.append("b", ["2", "3"], [0.5, None])
    report = hm.compute(lists, None, 2)
    assert math.isnan(report.metrics["coverage"]) and math.isnan(report.metrics["avg_popularity"])
    assert report.metrics["personalisation"] == pytest.approx(0.5)
    assert report.flags["no_score"].slots == 1 and report.flags["outside"].slots == 0


def test_metric_table_has_one_column_per_source_and_definitions() -> None:
    lists = hm.RecLists()
    lists.append("a", ["1"], [1.0])
    table = hm.metric_table({"campaign": hm.compute(lists, None, 1), "random": hm.compute(lists, None, 1)})
    assert list(table.columns) == ["Metric", "campaign", "random", "Definition"]
    assert len(table) == len(hm.METRICS) and table["Definition"].str.len().min() > 20


# -- hypothesis: random inputs ----------------------------------------------------------------
@st.composite
def cases(draw):  # noqa: ANN001, ANN201
    n_items = draw(st.integers(0, 12))
    ids = [f"i{j}" for j in range(n_items)]
    pool = ids + ["x1", "x2"]  # two items outside the catalogue
    with_pop = draw(st.booleans())
    pop = np.array(draw(st.lists(st.integers(0, 9), min_size=n_items, max_size=n_items)), dtype=float) \
        if with_pop else None
    vocab = ["A", "B", "C", "D"]
    meta = {i: "|".join(draw(st.lists(st.sampled_from(vocab), max_size=3))) for i in pool} \
        if draw(st.booleans()) else None
    has_cat = draw(st.booleans()) or n_items > 0
    catalogue = hm.Catalogue(ids, pop, meta, "G") if has_cat else None
    k = draw(st.integers(1, 5))
    lists = hm.RecLists()
    score = st.one_of(st.none(), st.just(0.0), st.floats(1e-6, 1.0))
    for u in range(draw(st.integers(0, 9))):
        items = draw(st.lists(st.sampled_from(pool), max_size=7))
        lists.append(f"u{u % 7}", items, draw(st.lists(score, min_size=len(items), max_size=len(items))))
    known = {f"u{u}": set(draw(st.lists(st.sampled_from(pool), max_size=4))) for u in range(7)} \
        if draw(st.booleans()) else None
    return lists, catalogue, k, known


@settings(max_examples=150, deadline=None)
@given(cases(), st.integers(1, 4))
def test_random_inputs_match_the_reference(case, block) -> None:  # noqa: ANN001
    lists, catalogue, k, known = case
    report = hm.compute(lists, catalogue, k, known=known, block=block)
    assert_matches(report, reference(lists, catalogue, k, known))
    assert_flags(report, reference_flags(lists, catalogue, k, known))
    assert report.n_lists == len(lists)
