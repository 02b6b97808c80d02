"""The Cards / Table switch on Test campaign results (AppTest on the demo campaign)."""

from __future__ import annotations

import re

from streamlit.testing.v1 import AppTest

from tests.app_support import errors_of, needs_demo, new_app, rendered, table_of

pytestmark = needs_demo


def _results() -> AppTest:
    at = new_app().run()
    at.text_input(key="user_id").input("1")
    return at.button(key="submit").click().run()


def test_results_open_as_a_table() -> None:
    at = _results()
    assert at.segmented_control(key="results_view").value == "Table"
    assert len(table_of(at)) == 25


def test_cards_show_rank_title_score_bar_and_a_tile_per_item() -> None:
    at = _results()
    titles = table_of(at)["TITLE"].tolist()
    at.segmented_control(key="results_view").set_value("Cards").run()
    assert not at.exception and not errors_of(at)
    assert not [d for d in at.dataframe if "Rank" in d.value.columns]
    headings = [rendered(m.value) for m in at.markdown if re.match(r"\*\*\d+\.\*\*", m.value)]
    assert headings[:25] == [f"**{rank}.** {title}" for rank, title in enumerate(titles, start=1)]
    assert len(at.get("progress")) == 25
    assert len(at.get("image")) == 25
    assert any(rendered(c.value).startswith("Genres: ") for c in at.caption)


def test_switching_back_shows_the_table_again() -> None:
    at = _results()
    at.segmented_control(key="results_view").set_value("Cards").run()
    at.segmented_control(key="results_view").set_value("Table").run()
    assert len(table_of(at)) == 25
