"""Movement of a recommendation list between two requests: up n, down n, same, new, gone."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from scoring.movement import DOWN, GONE, NEW, SAME, UP, changed, movement, summary


def test_labels_of_each_kind() -> None:
    moves = {m.item_id: m for m in movement(["a", "b", "c", "d"], ["c", "a", "e", "b"])}
    assert moves["c"].kind == UP and moves["c"].by == 2 and moves["c"].label == "▲ 2"
    assert moves["a"].kind == DOWN and moves["a"].by == 1 and moves["a"].label == "▼ 1"
    assert moves["e"].kind == NEW and moves["e"].before is None and moves["e"].label == "new"
    assert moves["b"].kind == DOWN and moves["b"].by == 2
    assert moves["d"].kind == GONE and moves["d"].after is None and moves["d"].label == "gone"


def test_the_new_list_comes_first_then_what_left() -> None:
    moves = movement(["a", "b", "c"], ["c", "x"])
    assert [m.item_id for m in moves] == ["c", "x", "a", "b"]
    assert summary(moves) == {UP: 1, DOWN: 0, SAME: 0, NEW: 1, GONE: 2}


def test_an_unchanged_list_has_no_movement() -> None:
    moves = movement(["a", "b"], ["a", "b"])
    assert not changed(moves) and all(m.label == "=" for m in moves)


ids = st.lists(st.sampled_from([str(n) for n in range(12)]), unique=True, max_size=12)


@given(ids, ids)
def test_every_item_is_accounted_for_once(before: list[str], after: list[str]) -> None:
    moves = movement(before, after)
    assert [m.item_id for m in moves if m.kind != GONE] == after
    assert {m.item_id for m in moves if m.kind == GONE} == set(before) - set(after)
    assert len(moves) == len(set(before) | set(after))


@given(ids, ids)
def test_ranks_and_distances_agree(before: list[str], after: list[str]) -> None:
    for m in movement(before, after):
        if m.before is not None:
            assert before[m.before - 1] == m.item_id
        if m.after is not None:
            assert after[m.after - 1] == m.item_id
        if m.kind in (UP, DOWN, SAME):
            assert m.before is not None and m.after is not None
            assert m.by == abs(m.before - m.after) and (m.kind == UP) == (m.after < m.before)


@given(ids)
def test_a_list_against_itself_is_all_same(items: list[str]) -> None:
    assert summary(movement(items, items))[SAME] == len(items) and not changed(movement(items, items))


@given(ids, ids)
def test_swapping_the_lists_swaps_new_and_gone_and_up_and_down(before: list[str], after: list[str]) -> None:
    there, back = summary(movement(before, after)), summary(movement(after, before))
    assert there[NEW] == back[GONE] and there[GONE] == back[NEW]
    assert there[UP] == back[DOWN] and there[DOWN] == back[UP]
