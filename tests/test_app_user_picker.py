"""The Find a user picker on Test campaign: each way of finding, history sizes, filling the User ID box."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from scoring import dataset
from scoring import user_picker as up
from tests.app_support import errors_of, needs_demo, new_app, on_page, table_of

pytestmark = needs_demo


@pytest.fixture(scope="module")
def counts(demo_dir: Path) -> dict[str, int]:
    return dataset.load_interactions(demo_dir)["USER_ID"].value_counts().to_dict()


def _pick(way: str) -> AppTest:
    at = new_app().run()
    at.radio(key="picker_way").set_value(way).run()
    assert not at.exception and not errors_of(at)
    return at


def _candidates(at: AppTest) -> list[str]:
    return list(at.selectbox(key="picker_choice").options)


def test_nothing_is_loaded_until_a_way_is_chosen() -> None:
    at = new_app().run()
    assert at.radio(key="picker_way").value is None
    assert not [s for s in at.selectbox if s.key == "picker_choice"]


def test_most_active_users_come_with_their_history_sizes(counts: dict[str, int]) -> None:
    at = _pick(up.MOST_ACTIVE)
    shown = _candidates(at)
    top = sorted(counts.values(), reverse=True)[:len(shown)]
    assert [int(label.split(" · ")[1].split()[0].replace(",", "")) for label in shown] == top


def test_use_this_user_fills_the_user_id_box_and_the_request_uses_it(counts: dict[str, int]) -> None:
    at = _pick(up.MOST_ACTIVE)
    chosen = at.selectbox(key="picker_choice").value
    at.button(key="picker_use").click().run()
    assert at.text_input(key="user_id").value == chosen
    at.button(key="submit").click().run()
    assert not at.exception and not errors_of(at)
    assert len(table_of(at)) == 25
    assert any(f"User {chosen}: {counts[chosen]:,} interactions" in c.value for c in at.caption)


def test_an_id_prefix_lists_matching_users_only() -> None:
    at = _pick(up.PREFIX)
    at.text_input(key="picker_prefix").input("12").run()
    ids = [label.split(" · ")[0] for label in _candidates(at)]
    assert ids and all(i.startswith("12") for i in ids) and ids[0] == "12"


def test_an_unknown_prefix_says_no_user_matches() -> None:
    at = _pick(up.PREFIX)
    at.text_input(key="picker_prefix").input("zzz").run()
    assert any("matches" in c.value for c in at.caption)


def test_users_of_an_item_interacted_with_it(demo_dir: Path) -> None:
    at = _pick(up.BY_ITEM)
    at.text_input(key="picker_item").input("878").run()
    frame = dataset.load_interactions(demo_dir)
    touched = set(frame.loc[frame["ITEM_ID"] == "878", "USER_ID"])
    shown = _candidates(at)
    assert shown and {label.split(" · ")[0] for label in shown} <= touched
    assert all("with this item" in label for label in shown)


def test_users_of_a_genre_are_offered_by_genre() -> None:
    at = _pick(up.BY_GENRE)
    assert "Comedy" in at.selectbox(key="picker_genre").options
    at.selectbox(key="picker_genre").set_value("Comedy").run()
    assert all("with Comedy" in label for label in _candidates(at))


def test_random_users_change_when_drawn_again() -> None:
    at = _pick(up.RANDOM)
    first = _candidates(at)
    at.button(key="picker_draw").click().run()
    assert _candidates(at) != first and len(_candidates(at)) == len(first)


def test_typing_an_id_stays_possible() -> None:
    at = _pick(up.MOST_ACTIVE)
    at.text_input(key="user_id").input("new-user")
    at.button(key="submit").click().run()
    assert not at.exception and not errors_of(at)
    assert at.text_input(key="user_id").value == "new-user"


@pytest.mark.parametrize(("page", "picker", "box"), [
    ("pages/compare.py", "cmp_a_picker", "cmp_a_user"),
    ("pages/compare.py", "cmp_b_picker", "cmp_b_user"),
    ("pages/score_normalisation.py", "norm_picker", "norm_user"),
    ("pages/filters.py", "filter_picker", "test_filter_user"),
])
def test_every_user_id_box_has_a_picker(page: str, picker: str, box: str, counts: dict[str, int]) -> None:
    at = on_page(page)
    at.radio(key=f"{picker}_way").set_value(up.MOST_ACTIVE).run()
    chosen = at.selectbox(key=f"{picker}_choice").value
    assert counts[chosen] == max(counts.values())
    at.button(key=f"{picker}_use").click().run()
    assert not at.exception and not errors_of(at)
    assert at.text_input(key=box).value == chosen
