"""Check a user's Personalize CSV files the way Personalize's dataset import does, before training.

A dataset import job fails on the first bad file with one terse message; here every problem is
named with its file and line number, as the user sees the file in an editor (the header is
line 1, a quoted value spanning lines counts every line), so one pass fixes them all. The list
is capped (the first `max_problems`, then "and K more"). Nothing raises: a missing, empty,
binary or malformed file is one clear problem, never a traceback.

Rules (Amazon Personalize Developer Guide, custom dataset schemas and training minimums):

- interactions.csv needs USER_ID, ITEM_ID and TIMESTAMP (whole Unix epoch seconds); EVENT_TYPE,
  EVENT_VALUE (a number) and up to 5 metadata columns (context keys, e.g. DEVICE) are optional;
  optional fields plus distinct event types may not exceed 10; categorical values <= 1000 chars;
- items.csv needs ITEM_ID plus at least one metadata column, users.csv USER_ID plus one; IDs
  are unique there;
- every ID is non-empty and at most 256 characters; field names are Avro names
  (letters, digits, underscore; not starting with a digit), unique, case-sensitive;
- training needs at least 1,000 interactions and 25 users with 2 or more interactions each.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from scoring import dataset, paths

MIN_INTERACTIONS = 1000
MIN_ACTIVE_USERS = 25  # users with at least 2 interactions
MAX_ID_LENGTH = 256
MAX_CATEGORICAL_LENGTH = 1000
MAX_FIELD_NAME = 150
MAX_CUSTOM_FIELDS = 5  # interactions metadata fields other than the reserved ones
MAX_OPTIONAL_AND_EVENT_TYPES = 10
MAX_PROBLEMS = 50
#: A header wider than this is refused before any row is read: Personalize datasets have a few
#: dozen columns at most, and every check below is per column (a 10^6-column header was a
#: one-upload denial of service).
MAX_COLUMNS = 1000

FIELD_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

#: Files of a dataset group in the order they are checked and reported, with their ID column.
FILES: dict[str, str] = {
    paths.INTERACTIONS_FILE: "USER_ID",
    paths.ITEMS_FILE: "ITEM_ID",
    paths.USERS_FILE: "USER_ID",
}
REQUIRED: dict[str, tuple[str, ...]] = {
    paths.INTERACTIONS_FILE: dataset.REQUIRED_INTERACTION_FIELDS,
    paths.ITEMS_FILE: ("ITEM_ID",),
    paths.USERS_FILE: ("USER_ID",),
}


@dataclass(frozen=True)
class DataProblem:
    """One thing Personalize's import would refuse: where it is and what is wrong."""

    file: str
    line: int | None  # 1 = the header; None: the file as a whole
    column: str | None
    message: str

    def text(self) -> str:
        where = self.file if self.line is None else f"{self.file} line {self.line}"
        return f"{where}: {self.message}"


@dataclass(frozen=True)
class ImportReport:
    """The verdict on a set of files: the problems (capped), counts and context keys found."""

    problems: tuple[DataProblem, ...] = ()
    more: int = 0  # problems found beyond the listed ones
    counts: Mapping[str, int] = field(default_factory=dict)
    context_columns: tuple[str, ...] = ()
    files: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.problems and self.more == 0

    @property
    def total_problems(self) -> int:
        return len(self.problems) + self.more

    def lines(self) -> list[str]:
        """One line per listed problem, then "... and K more problems" when capped."""
        out = [p.text() for p in self.problems]
        if self.more:
            out.append(f"... and {self.more:,} more problem{'s' if self.more != 1 else ''}")
        return out

    def table(self) -> pd.DataFrame:
        """The listed problems as rows (File, Line, Column, Problem) for a UI table."""
        return pd.DataFrame({
            "File": [p.file for p in self.problems],
            "Line": pd.array([p.line for p in self.problems], dtype="Int64"),
            "Column": [p.column or "" for p in self.problems],
            "Problem": [p.message for p in self.problems],
        })

    def summary(self) -> str:
        c = self.counts
        if not c:
            return "No interactions could be read."
        text = (f"{c.get('interactions', 0):,} interactions, {c.get('users', 0):,} users "
                f"({c.get('active_users', 0):,} with 2 or more interactions), "
                f"{c.get('items', 0):,} items")
        if self.context_columns:
            text += f"; context keys: {', '.join(self.context_columns)}"
        return text


# -- reading ---------------------------------------------------------------------------------
def read_directory(directory: Path) -> tuple[dict[str, bytes], list[DataProblem]]:
    """The dataset files found in `directory` as bytes, and the problems reading them."""
    directory = Path(directory)
    if not directory.is_dir():
        where = "does not exist" if not directory.exists() else "is not a directory"
        return {}, [DataProblem(paths.INTERACTIONS_FILE, None, None,
                                f"{directory} {where}: give the folder that holds "
                                f"{paths.INTERACTIONS_FILE}.")]
    files: dict[str, bytes] = {}
    problems: list[DataProblem] = []
    for name in FILES:
        path = directory / name
        if not path.exists():
            continue
        try:
            files[name] = path.read_bytes()
        except OSError as exc:
            problems.append(DataProblem(name, None, None, f"cannot be read: {exc.strerror or exc}."))
    return files, problems


def decode(data: bytes) -> str:
    """The text of a CSV file: UTF-8, a leading byte-order mark dropped (Excel writes one)."""
    return data.decode("utf-8-sig")


@dataclass
class _Table:
    """One parsed file: its header and the rows with the header's field count, as strings."""

    name: str
    header: list[str]
    columns: dict[str, pd.Series]  # first column of each name -> values (str)
    lines: np.ndarray  # int64: the line each kept row starts on


@dataclass
class _Collector:
    """Problems found so far: counted in full, kept only as far as they can still be listed."""

    limit: int
    found: list[tuple[int, int, int, DataProblem]] = field(default_factory=list)  # sort key + it
    total: int = 0
    _order: int = 0

    def add(self, problem: DataProblem) -> None:
        self.total += 1
        self._push(problem)
        if len(self.found) > 4 * self.limit + 64:  # memory stays bounded however many problems
            self.found = sorted(self.found, key=lambda t: t[:3])[:self.limit]

    def add_rows(self, table: _Table, mask: np.ndarray | pd.Series, column: str | None,
                 message: Callable[[int], str]) -> None:
        """One problem per row where `mask` is true; `message(row)` is built for listed rows only."""
        rows = np.flatnonzero(np.asarray(mask, dtype=bool))
        self.total += rows.size
        for row in rows[:self.limit]:
            self._push(DataProblem(table.name, int(table.lines[row]), column, message(int(row))))

    def _push(self, problem: DataProblem) -> None:
        file_rank = list(FILES).index(problem.file) if problem.file in FILES else len(FILES)
        # File-level problems (counts, a missing file) come after the file's rows.
        line = problem.line if problem.line is not None else 1 << 62
        self.found.append((file_rank, line, self._order, problem))
        self._order += 1

    def report(self, counts: Mapping[str, int], context: Sequence[str],
               files: Sequence[str]) -> ImportReport:
        listed = [p for *_, p in sorted(self.found, key=lambda t: t[:3])][:self.limit]
        return ImportReport(tuple(listed), self.total - len(listed), dict(counts),
                            tuple(context), tuple(files))


def _show(value: str, width: int = 40) -> str:
    """A cell value quoted for a message, shortened when long."""
    shown = value if len(value) <= width else value[:width - 1] + "…"
    return '"' + shown.replace("\n", "\\n") + '"'


def _users(n: int) -> str:
    return f"{n:,} user" + ("" if n == 1 else "s")


def _parse(name: str, data: bytes, out: _Collector) -> _Table | None:
    """Decode and split one file; None (after saying why) when it cannot be read as CSV."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        out.add(DataProblem(name, None, None, "is UTF-16 text: save it as UTF-8 CSV "
                            "(Personalize imports UTF-8)."))
        return None
    try:
        text = decode(data)
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        out.add(DataProblem(name, line, None, f"is not UTF-8 text (byte 0x{data[exc.start]:02x}): "
                            "save the file as UTF-8 CSV (Personalize imports UTF-8)."))
        return None
    if not text.strip():
        out.add(DataProblem(name, None, None, "is empty: it needs a header line naming the "
                            f"columns ({', '.join(REQUIRED[name])}, ...) and one row per record."))
        return None
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        out.add(DataProblem(name, line, None, "contains NUL bytes: this is not a text CSV file."))
        return None
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    rows: list[list[str]] = []
    starts: list[int] = []
    try:
        header = next(reader)
        width = len(header)
        if width > MAX_COLUMNS:
            out.add(DataProblem(name, 1, None, f"has {width:,} columns in its header; a Personalize "
                                f"dataset file has far fewer (this check stops at {MAX_COLUMNS:,})."))
            return None
        previous = reader.line_num
        for row in reader:
            if row:  # a blank line is skipped, as Personalize and pandas do
                if len(row) == width:
                    rows.append(row)
                    starts.append(previous + 1)
                else:
                    out.add(DataProblem(name, previous + 1, None, (
                        f"has {len(row)} field{'s' if len(row) != 1 else ''} but the header has "
                        f"{width}: a value containing a comma must be in double quotes.")))
            previous = reader.line_num
    except csv.Error as exc:
        out.add(DataProblem(name, reader.line_num, None, f"is not valid CSV here ({exc}): check "
                            "the double quotes on this line."))
        return None
    columns: dict[str, pd.Series] = {}
    values = list(zip(*rows, strict=True)) if rows else [()] * width
    for position, column in enumerate(header):
        if column not in columns:
            columns[column] = pd.Series(values[position], dtype=object)
    return _Table(name, header, columns, np.asarray(starts, dtype=np.int64))


# -- checks ------------------------------------------------------------------------------------
def _check_header(table: _Table, out: _Collector) -> list[str]:
    """Problems of the header line; returns the required columns that are missing."""
    name, header = table.name, table.header
    seen: set[str] = set()
    for position, column in enumerate(header, start=1):
        if column == "":
            out.add(DataProblem(name, 1, None, f"column {position} has no name."))
        elif column in seen:
            out.add(DataProblem(name, 1, column, f"column {column} appears twice in the header."))
        elif len(column) > MAX_FIELD_NAME:
            out.add(DataProblem(name, 1, column[:40], f"column name is longer than "
                                f"{MAX_FIELD_NAME} characters."))
        elif not FIELD_NAME.fullmatch(column):
            out.add(DataProblem(name, 1, column, f"column name {_show(column)} is not a valid field "
                                "name: use letters, digits and underscores, not starting with a "
                                "digit."))
        seen.add(column)
    missing = [c for c in REQUIRED[name] if c not in seen]
    for column in missing:
        hint = ""
        near = next((h for h in header if h.strip().upper() == column), None)
        if near is not None:
            hint = f" (found {_show(near)}: field names are case-sensitive and have no spaces)"
        elif len(header) == 1 and any(sep in header[0] for sep in ";\t|"):
            hint = " (the header has one column: Personalize reads comma-separated files)"
        out.add(DataProblem(name, 1, column, f"required column {column} is missing{hint}."))
    return missing


def _check_ids(table: _Table, column: str, out: _Collector) -> pd.Series:
    """Empty or over-long IDs; returns the mask of valid ones."""
    values = table.columns[column]
    empty = (values == "").to_numpy()
    out.add_rows(table, empty, column, lambda r: f"{column} is empty.")
    long = (values.str.len() > MAX_ID_LENGTH).to_numpy()
    out.add_rows(table, long, column, lambda r: f"{column} is {len(values.iat[r])} characters "
                 f"long; IDs have at most {MAX_ID_LENGTH}.")
    return pd.Series(~(empty | long))


def _check_epoch(table: _Table, column: str, out: _Collector, *, required: bool) -> pd.Series:
    """Whole Unix epoch seconds; empty allowed only where the field is optional."""
    values = table.columns[column]
    empty = (values == "").to_numpy()
    digits = values.str.fullmatch(r"\d+").fillna(False).to_numpy(dtype=bool)
    if required:
        out.add_rows(table, empty, column, lambda r: f"{column} is empty; it must be Unix epoch "
                     "seconds (e.g. 1735689600).")
    bad = ~digits & ~empty
    out.add_rows(table, bad, column, lambda r: f"{column} {_show(values.iat[r])} is not a whole "
                 "number of Unix epoch seconds (e.g. 1735689600).")
    # 10**10 has 11 digits: a value with more than 10 significant digits is past year 2286.
    huge = digits & (values.str.lstrip("0").str.len() > 10).to_numpy()
    out.add_rows(table, huge, column, lambda r: f"{column} {values.iat[r]} is too large for epoch "
                 "seconds: milliseconds? Divide by 1000.")
    return pd.Series(digits & ~huge)


def _check_interactions(table: _Table, out: _Collector) -> tuple[dict[str, int], list[str]]:
    missing = _check_header(table, out)
    valid = pd.Series(np.ones(table.lines.size, dtype=bool))
    for column in ("USER_ID", "ITEM_ID"):
        if column in table.columns:
            valid &= _check_ids(table, column, out)
    if "TIMESTAMP" in table.columns:
        valid &= _check_epoch(table, "TIMESTAMP", out, required=True)
    if "EVENT_TYPE" in table.columns:
        kinds = table.columns["EVENT_TYPE"]
        long = (kinds.str.len() > MAX_ID_LENGTH).to_numpy()
        out.add_rows(table, long, "EVENT_TYPE", lambda r: "EVENT_TYPE is longer than "
                     f"{MAX_ID_LENGTH} characters.")
    if "EVENT_VALUE" in table.columns:
        raw = table.columns["EVENT_VALUE"]
        number = pd.to_numeric(raw.where(raw != ""), errors="coerce").to_numpy(np.float64)
        bad = (raw != "").to_numpy() & ~np.isfinite(number)
        out.add_rows(table, bad, "EVENT_VALUE", lambda r: f"EVENT_VALUE {_show(raw.iat[r])} is "
                     "not a number.")
    names = [c for c in dict.fromkeys(table.header) if c and FIELD_NAME.fullmatch(c)]
    context = dataset.context_columns(pd.DataFrame(columns=names))
    for column in context:
        long = (table.columns[column].str.len() > MAX_CATEGORICAL_LENGTH).to_numpy()
        out.add_rows(table, long, column, lambda r, c=column: f"{c} value is longer than "
                     f"{MAX_CATEGORICAL_LENGTH} characters.")
    if len(context) > MAX_CUSTOM_FIELDS:
        out.add(DataProblem(table.name, 1, None, f"has {len(context)} metadata columns "
                            f"({', '.join(context)}); Personalize allows at most "
                            f"{MAX_CUSTOM_FIELDS} besides its reserved fields."))
    counted = {"EVENT_TYPE", "EVENT_VALUE", *context}  # built once: per name it was quadratic
    optional = [c for c in names if c not in dataset.REQUIRED_INTERACTION_FIELDS and c in counted]
    event_types = table.columns["EVENT_TYPE"].nunique() if "EVENT_TYPE" in table.columns else 0
    if len(optional) + event_types > MAX_OPTIONAL_AND_EVENT_TYPES:
        out.add(DataProblem(table.name, None, "EVENT_TYPE", (
            f"has {len(optional)} optional columns and {event_types} distinct event types: "
            f"together at most {MAX_OPTIONAL_AND_EVENT_TYPES} are allowed.")))
    if missing and "USER_ID" in missing:
        return {}, context
    users = table.columns["USER_ID"][valid.to_numpy()]
    per_user = users.value_counts()
    items = table.columns["ITEM_ID"][valid.to_numpy()] if "ITEM_ID" in table.columns else None
    counts = {"interactions": int(valid.sum()), "users": int(per_user.size),
              "active_users": int((per_user >= 2).sum()),
              "items": int(items.nunique()) if items is not None else 0}
    if not missing:
        if counts["interactions"] < MIN_INTERACTIONS:
            out.add(DataProblem(table.name, None, None, (
                f"has {counts['interactions']:,} valid interactions; training needs at least "
                f"{MIN_INTERACTIONS:,}.")))
        if counts["active_users"] < MIN_ACTIVE_USERS:
            out.add(DataProblem(table.name, None, "USER_ID", (
                f"has {_users(counts['active_users'])} with 2 or more interactions; training "
                f"needs at least {MIN_ACTIVE_USERS}.")))
    return counts, context


def _check_metadata(table: _Table, out: _Collector) -> int:
    """items.csv / users.csv: the ID column, unique IDs, at least one metadata column."""
    id_column = FILES[table.name]
    if _check_header(table, out):
        return table.lines.size
    if len([c for c in dict.fromkeys(table.header) if c != id_column]) == 0:
        kind = "Items" if id_column == "ITEM_ID" else "Users"
        out.add(DataProblem(table.name, 1, None, f"has only {id_column}: Personalize's {kind} "
                            "dataset needs at least one metadata column (e.g. GENRES)."))
    valid = _check_ids(table, id_column, out).to_numpy()
    ids = table.columns[id_column]
    repeated = ids.duplicated(keep="first").to_numpy() & valid
    if repeated.any():
        first_line = dict(zip(ids.to_numpy()[::-1], table.lines[::-1], strict=True))  # first wins
        out.add_rows(table, repeated, id_column, lambda r: (
            f"{id_column} {_show(ids.iat[r])} repeats line {first_line[ids.iat[r]]}; "
            "IDs must be unique."))
    if "CREATION_TIMESTAMP" in table.columns:
        _check_epoch(table, "CREATION_TIMESTAMP", out, required=False)
    return table.lines.size


# -- entry points --------------------------------------------------------------------------------
def validate_files(files: Mapping[str, bytes | None], *,
                   max_problems: int = MAX_PROBLEMS) -> ImportReport:
    """Check uploaded files, by dataset file name (interactions.csv, items.csv, users.csv)."""
    out = _Collector(max(1, max_problems))
    present = {n: d for n, d in files.items() if d is not None}
    unknown = sorted(set(present) - set(FILES))
    for name in unknown:
        out.add(DataProblem(name, None, None, f"is not a dataset file: name it one of "
                            f"{', '.join(FILES)}."))
    counts: dict[str, int] = {}
    context: list[str] = []
    if paths.INTERACTIONS_FILE not in present:
        out.add(DataProblem(paths.INTERACTIONS_FILE, None, None, "is missing: a dataset group "
                            "needs its interactions (USER_ID, ITEM_ID, TIMESTAMP, ...)."))
    for name in FILES:
        if name not in present:
            continue
        table = _parse(name, present[name], out)
        if table is None:
            continue
        if name == paths.INTERACTIONS_FILE:
            found, context = _check_interactions(table, out)
            counts.update(found)
        else:
            counts["catalogue" if name == paths.ITEMS_FILE else "user_records"] = \
                _check_metadata(table, out)
    return out.report(counts, context, [n for n in FILES if n in present])


def validate_directory(directory: Path, *, max_problems: int = MAX_PROBLEMS) -> ImportReport:
    """Check the dataset files of a folder (interactions.csv, optional items.csv, users.csv)."""
    files, problems = read_directory(Path(directory))
    if problems and not files:
        out = _Collector(max(1, max_problems))
        for p in problems:
            out.add(p)
        return out.report({}, [], [])
    report = validate_files(files, max_problems=max_problems)
    if not problems:
        return report
    merged = _Collector(max(1, max_problems))
    for p in (*problems, *report.problems):
        merged.add(p)
    merged.total += report.more
    return merged.report(report.counts, report.context_columns, report.files)
