"""Results as cards: image (or a generated tile), rank, title, key metadata, score bar and badges.

A product manager sees at a glance whether a list makes sense when it shows what the items are.
Images come from the items' image URL column (http(s) only: anything else could be read as a
path on the server); items without one get a tile drawn from title and genre. The tile is SVG
built here with every piece of data XML-escaped, and shown as an image, never as HTML.
"""

from __future__ import annotations

import base64
import hashlib
import math
import re
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape

import pandas as pd

#: Item columns that name an image, in order of preference; then any column whose name says so.
IMAGE_COLUMNS: tuple[str, ...] = ("IMAGE_URL", "IMAGE", "THUMBNAIL_URL", "THUMBNAIL", "POSTER_URL", "POSTER",
                                  "IMG_URL", "PICTURE_URL", "PICTURE")
_IMAGE_WORDS = re.compile(r"IMAGE|THUMBNAIL|POSTER|PICTURE|PHOTO|IMG", re.IGNORECASE)
_URL = re.compile(r"https?://[^\s\"'<>\\]{1,2000}", re.IGNORECASE)
TITLE_COLUMNS: tuple[str, ...] = ("TITLE", "NAME", "PRODUCT_NAME", "ITEM_NAME", "PRODUCT_TITLE")
GENRE_COLUMNS: tuple[str, ...] = ("GENRES", "GENRE", "CATEGORIES", "CATEGORY", "CATEGORY_L1")
#: Metadata shown on a card besides the title: at most this many fields.
MAX_METADATA = 3
_NOT_METADATA = re.compile(r"^(ITEM_ID|CREATION_TIMESTAMP)$|_URL$|DESCRIPTION", re.IGNORECASE)
_TILE_SIZE = (240, 150)


def safe_image_url(value: Any) -> str | None:
    """The value if it is one plain http(s) URL, else None (never a path, never a data: URI)."""
    if not isinstance(value, str):
        return None
    text = value.strip()
    return text if _URL.fullmatch(text) else None


def image_column(items: pd.DataFrame | None) -> str | None:
    """The items' image URL column: a known name, or a name that says image, holding http(s) URLs."""
    if items is None or items.empty:
        return None
    named = [c for c in IMAGE_COLUMNS if c in items.columns]
    named += [c for c in items.columns if c not in named and _IMAGE_WORDS.search(str(c))]
    for column in named:
        sample = items[column].head(200)
        if any(safe_image_url(v) for v in sample):
            return str(column)
    return None


def first_column(frame: pd.DataFrame | None, names: tuple[str, ...]) -> str | None:
    if frame is None:
        return None
    return next((c for c in names if c in frame.columns), None)


def metadata_columns(items: pd.DataFrame | None) -> list[str]:
    """The key metadata fields of a card: genre first, then other short fields in file order."""
    if items is None:
        return []
    skip = {first_column(items, TITLE_COLUMNS), image_column(items)}
    genre = first_column(items, GENRE_COLUMNS)
    rest = [str(c) for c in items.columns
            if c not in skip and c != genre and not _NOT_METADATA.search(str(c))]
    return ([genre] if genre else []) + rest[:MAX_METADATA - (1 if genre else 0)]


def _text(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


@dataclass(frozen=True)
class Card:
    rank: int
    item_id: str
    title: str
    metadata: tuple[str, ...]  # "Genres: Action, Crime", "YEAR: 1995"
    score: float | None
    bar: float | None  # score / top score, in [0, 1]
    badges: tuple[str, ...]  # "Promoted: name", "Popular item", ...
    image_url: str | None
    genre: str


def _printable(text: str) -> str:
    """Only printable characters: control characters and lone surrogates cannot be in XML at all."""
    return "".join(ch for ch in text if ch.isprintable() and not 0xD800 <= ord(ch) <= 0xDFFF)


def tile_svg(title: str, genre: str, item_id: str) -> str:
    """A coloured tile with the title's initials and the genre: every piece of data XML-escaped."""
    title, genre, item_id = _printable(title), _printable(genre), _printable(item_id)
    seed = genre or title or item_id
    hue = int(hashlib.sha256(seed.encode("utf-8")).hexdigest()[:4], 16) % 360
    words = [w for w in re.split(r"\W+", title or item_id) if w]
    initials = "".join(w[0] for w in words[:2]).upper() or "?"
    width, height = _TILE_SIZE
    label = (genre or "").split("|")[0][:28]
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}">'
            f'<rect width="{width}" height="{height}" rx="10" fill="hsl({hue},55%,42%)"/>'
            f'<text x="50%" y="44%" text-anchor="middle" dominant-baseline="central" font-family="sans-serif" '
            f'font-size="54" font-weight="bold" fill="white">{escape(initials[:2])}</text>'
            f'<text x="50%" y="{height - 16}" text-anchor="middle" font-family="sans-serif" font-size="22" '
            f'fill="white" fill-opacity="0.9">{escape(label)}</text></svg>')


def tile_data_uri(svg: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


def cards(table: pd.DataFrame, items: pd.DataFrame | None) -> list[Card]:
    """One card per results row (the table of `scoring.results.to_table`), in rank order."""
    title_col = first_column(items, TITLE_COLUMNS)
    genre_col = first_column(items, GENRE_COLUMNS)
    image_col = image_column(items)
    meta_cols = metadata_columns(items)
    known = items.reindex(table["Item ID"].astype(str)) if items is not None else None
    scores = table["Score"] if "Score" in table else pd.Series(math.nan, index=table.index)
    top = scores.max(skipna=True) if scores.notna().any() else None
    out = []
    for k, (_, row) in enumerate(table.iterrows()):
        item_id = str(row["Item ID"])
        meta_row = None if known is None else known.iloc[k]
        title = _text(meta_row[title_col]) if meta_row is not None and title_col else ""
        genre = _text(meta_row[genre_col]) if meta_row is not None and genre_col else ""
        metadata = []
        for column in meta_cols:
            value = _text(meta_row[column]) if meta_row is not None else ""
            if value:
                shown = ", ".join(v for v in value.split("|") if v) if column == genre_col else value
                metadata.append(f"{column.replace('_', ' ').capitalize()}: {shown}")
        score = None if pd.isna(row.get("Score")) else float(row["Score"])
        badges = []
        if str(row.get("Promotion", "") or ""):
            badges.append(f"Promoted: {row['Promotion']}")
        badges += [r.strip() for r in str(row.get("Reason", "") or "").split(",")
                   if r.strip() and not (r.strip() == "Promoted item" and badges)]
        out.append(Card(
            rank=int(row["Rank"]), item_id=item_id, title=title or item_id, metadata=tuple(metadata),
            score=score, bar=(score / top) if score is not None and top else None, badges=tuple(badges),
            image_url=safe_image_url(meta_row[image_col]) if meta_row is not None and image_col else None,
            genre=genre))
    return out
