"""Results as a grid of cards: the visual sanity check (image or tile, rank, title, metadata, score, badges).

Every piece of data is shown as text (`safe_text.md`) or as an image (an http(s) URL, or the SVG
tile `scoring.cards` draws with escaped text): never as HTML.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from components.safe_text import md
from scoring import cards

PER_ROW = 4


def _badge(text: str) -> None:
    colour = "orange" if text.startswith("Promoted") else "violet" if text == "Exploration" else "blue"
    st.badge(md(text), color=colour)  # type: ignore[arg-type]


def _card(card: cards.Card) -> None:
    st.image(card.image_url or cards.tile_svg(card.title, card.genre, card.item_id), width="stretch",
             alt=card.title)
    st.markdown(f"**{card.rank}.** {md(card.title)}")
    if card.metadata:
        st.caption(" · ".join(md(m) for m in card.metadata))
    if card.bar is not None and card.score is not None:
        st.progress(min(max(card.bar, 0.0), 1.0), text=f"Score {card.score:.4f}")
    for badge in card.badges:
        _badge(badge)
    st.caption(f"Item {md(card.item_id)}")


def render(table: pd.DataFrame, items: pd.DataFrame | None) -> None:
    """The results as cards, PER_ROW to a row, in rank order."""
    deck = cards.cards(table, items)
    if items is None:
        st.caption("No item metadata is known for this source, so the cards show item IDs on generated tiles.")
    for start in range(0, len(deck), PER_ROW):
        columns = st.columns(PER_ROW)
        for column, card in zip(columns, deck[start:start + PER_ROW]):
            with column.container(border=True, key=f"card_{card.rank}"):
                _card(card)
