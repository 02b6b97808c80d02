"""Cards: image URLs (http(s) only), generated tiles (escaped SVG), rank, metadata, score bar, badges."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, strategies as st

from scoring import cards, dataset, results

AIRLINE = Path(__file__).resolve().parents[2] / "shared" / "data" / "aws-airline-sample"
MOVIES = pd.DataFrame({"ITEM_ID": ["1", "2", "3"], "TITLE": ["Heat", "Up", "Alien"],
                       "GENRES": ["Action|Crime", "Animation", "Horror|Sci-Fi"], "YEAR": [1995, 2009, 1979],
                       "IMAGE_URL": ["https://img.example/1.jpg", "/etc/passwd", "javascript:alert(1)"]}
                      ).set_index("ITEM_ID", drop=False)
RESPONSE = {"itemList": [{"itemId": "2", "score": 0.5, "promotionName": "new", "reason": ["Promoted item"]},
                         {"itemId": "1", "score": 0.25}, {"itemId": "9", "score": 0.1, "reason": ["Exploration"]}],
            "recommendationId": "R"}


@pytest.mark.parametrize("value", ["/etc/passwd", "file:///etc/passwd", "javascript:alert(1)",
                                   "data:image/svg+xml;base64,AAAA", "https://a b/c.jpg",
                                   "https://x/\"><img", 42, None])
def test_only_plain_http_urls_are_images(value: object) -> None:
    assert cards.safe_image_url(value) is None


def test_the_image_column_is_found_by_name_and_content() -> None:
    assert cards.image_column(MOVIES) == "IMAGE_URL"
    assert cards.image_column(pd.DataFrame({"ITEM_ID": ["1"], "poster_link": ["http://x/p.png"]})) == "poster_link"
    assert cards.image_column(pd.DataFrame({"ITEM_ID": ["1"], "IMAGE": ["none"]})) is None
    assert cards.image_column(None) is None


def test_thumbnails_join_the_table_as_urls_or_nothing() -> None:
    table = results.to_table(RESPONSE, MOVIES)
    assert table["Image"].tolist() == [None, "https://img.example/1.jpg", None]


def test_cards_follow_the_ranks_with_scores_as_bars_and_badges() -> None:
    deck = cards.cards(results.to_table(RESPONSE, MOVIES), MOVIES)
    assert [(c.rank, c.item_id, c.title) for c in deck] == [(1, "2", "Up"), (2, "1", "Heat"), (3, "9", "9")]
    assert [c.bar for c in deck] == [1.0, 0.5, pytest.approx(0.2)]
    assert deck[0].badges == ("Promoted: new",) and deck[2].badges == ("Exploration",)
    assert deck[1].metadata == ("Genres: Action, Crime", "Year: 1995")
    assert deck[1].image_url == "https://img.example/1.jpg" and deck[0].image_url is None


def test_cards_without_scores_have_no_bar() -> None:
    deck = cards.cards(results.to_table({"itemList": [{"itemId": "1"}]}, MOVIES), MOVIES)
    assert deck[0].score is None and deck[0].bar is None


def test_airline_items_without_titles_show_key_metadata() -> None:
    items = dataset.load_items(AIRLINE)
    assert items is not None
    items = items.drop_duplicates("ITEM_ID", keep="last").set_index("ITEM_ID", drop=False)
    first = str(items["ITEM_ID"].iloc[0])
    deck = cards.cards(results.to_table({"itemList": [{"itemId": first, "score": 0.1}]}, items), items)
    assert deck[0].title == first
    assert [m.split(":")[0] for m in deck[0].metadata] == [c.replace("_", " ").capitalize()
                                                          for c in cards.metadata_columns(items)]
    assert len(deck[0].metadata) == cards.MAX_METADATA


@given(st.text(max_size=60), st.text(max_size=40), st.text(min_size=1, max_size=10))
def test_a_tile_is_well_formed_svg_whatever_the_text(title: str, genre: str, item_id: str) -> None:
    root = ET.fromstring(cards.tile_svg(title, genre, item_id))  # never a parse error, never HTML
    assert root.tag.endswith("svg") and [c.tag.split("}")[1] for c in root] == ["rect", "text", "text"]
    printable = "".join(ch for ch in genre if ch.isprintable())
    assert (root[2].text or "") in printable
