"""Import a user's Personalize CSV files as leniently as Personalize's dataset import, and as honestly.

Two kinds of findings, each named with its file and line number as the user sees the file in an
editor (the header is line 1, a quoted value spanning lines counts every line):

- *problems* refuse the import: what Personalize refuses (missing columns, a value over its length
  limit, a file that is not UTF-8 CSV, too little data to train, a given schema that does not fit);
- *notes* are odd rows the import handled and says so: a repeated ID (the later row replaces the
  earlier, as Personalize does for an ID that already exists), a value that does not fit its
  field's type (imported as null where the field may be null, else the row is skipped), a row with
  the wrong number of fields or an empty or malformed required value (skipped). Personalize does not
  document these cases; this is our choice, so one bad row never refuses a whole dataset.

Every value is checked against the dataset's schema (scoring.schemas): the one given as
CreateSchema JSON, else one inferred from the data. `prepare` returns the report, the schemas and
the files as imported (odd rows applied), which is what a group stores and trains on. Both lists
are capped (the first `max_problems`, then "and K more"). Nothing raises: a missing, empty, binary,
huge or malformed file is one clear problem, never a traceback.

Rules (Amazon Personalize Developer Guide, custom dataset schemas and training minimums):

- interactions.csv needs USER_ID, ITEM_ID and TIMESTAMP (whole Unix epoch seconds); EVENT_TYPE,
  EVENT_VALUE (a number) and up to 5 metadata columns (context keys, e.g. DEVICE) are optional;
  optional fields plus distinct event types may not exceed 10; categorical values <= 1000 chars;
- items.csv needs ITEM_ID plus at least one metadata column, users.csv USER_ID plus one; a
  repeated ID there: the later row wins;
- every ID is non-empty and at most 256 characters; field names are Avro names
  (letters, digits, underscore; not starting with a digit), unique, case-sensitive;
- training needs at least 1,000 interactions and 25 users with 2 or more interactions each.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from scoring import dataset, paths, schemas
from scoring.schemas import DatasetSchema, SchemaError

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
#: A file larger than this is refused before it is read: a local import holds the file in memory
#: (about 5 million interactions); larger data belongs on Amazon Personalize itself.
MAX_FILE_BYTES = 256 * 1024 * 1024
#: A schema JSON file larger than this is refused unread (a schema has at most 20,000 characters;
#: a group's schemas.json holds three, indented).
MAX_SCHEMA_FILE_BYTES = 200_000
#: Where the page and the README say which choices are ours (Personalize does not document them).
UNDOCUMENTED = ("Personalize does not document what its import does with a repeated ID in one file, "
                "a value that does not fit its field's type, or a malformed row. This import keeps the "
                "later of repeated rows, imports an ill-fitting value as empty (null) where the field "
                "may be empty and skips the row where it may not, and skips malformed rows; each is "
                "listed with its line.")

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
    """The verdict on a set of files: problems and notes (capped), counts, context keys, schemas."""

    problems: tuple[DataProblem, ...] = ()
    more: int = 0  # problems found beyond the listed ones
    counts: Mapping[str, int] = field(default_factory=dict)
    context_columns: tuple[str, ...] = ()
    files: tuple[str, ...] = ()
    notes: tuple[DataProblem, ...] = ()  # odd rows the import handled: what it did with each
    more_notes: int = 0
    schemas: Mapping[str, DatasetSchema] = field(default_factory=dict)  # by dataset type

    @property
    def total_notes(self) -> int:
        return len(self.notes) + self.more_notes

    def note_lines(self) -> list[str]:
        """One line per listed note, then "... and K more odd rows" when capped."""
        out = [p.text() for p in self.notes]
        if self.more_notes:
            out.append(f"... and {self.more_notes:,} more odd row{'s' if self.more_notes != 1 else ''}")
        return out

    def notes_table(self) -> pd.DataFrame:
        """The listed notes as rows (File, Line, Column, What was done) for a UI table."""
        return pd.DataFrame({
            "File": [p.file for p in self.notes],
            "Line": pd.array([p.line for p in self.notes], dtype="Int64"),
            "Column": [p.column or "" for p in self.notes],
            "What was done": [p.message for p in self.notes],
        })

    def schema_table(self) -> pd.DataFrame:
        """One row per field of every schema: dataset, field, type, and whether it was given."""
        rows = [(kind, f.name, f.describe(), "given" if s.given else "inferred")
                for kind, s in self.schemas.items() for f in s.fields]
        return pd.DataFrame(rows, columns=["Dataset", "Field", "Type", "Schema"])

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
        if "catalogue" in c:
            text += f" ({c['catalogue']:,} in {paths.ITEMS_FILE})"
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
    names = [*FILES, *sorted(p.name for p in directory.glob("*.schema.json")), schemas.SCHEMAS_FILE]
    for name in names:
        path = directory / name
        if not path.is_file():
            continue
        try:
            size = path.stat().st_size
            if size > MAX_FILE_BYTES:  # refused before reading: a huge file must not hang the import
                problems.append(DataProblem(name, None, None, (
                    f"is {size / 2**20:,.0f} MB; a local import reads at most "
                    f"{MAX_FILE_BYTES // 2**20} MB (about 5 million interactions): import a sample, "
                    "or train on Amazon Personalize.")))
                continue
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
    keep: np.ndarray = field(default_factory=lambda: np.ones(0, dtype=bool))  # rows imported

    def __post_init__(self) -> None:
        if self.keep.size != self.lines.size:
            self.keep = np.ones(self.lines.size, dtype=bool)

    def skip(self, mask: np.ndarray) -> None:
        """Leave the rows where `mask` is true out of the import."""
        self.keep &= ~np.asarray(mask, dtype=bool)

    def blank(self, column: str, mask: np.ndarray) -> None:
        """Import the cells of `column` where `mask` is true as empty (null)."""
        values = self.columns[column].copy()
        values[np.asarray(mask, dtype=bool)] = ""
        self.columns[column] = values

    def csv_bytes(self) -> bytes:
        """The file as imported: the header, then the kept rows with their cells as fixed."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        names = list(dict.fromkeys(self.header))
        writer.writerow(names)
        kept = np.flatnonzero(self.keep)
        cells = [self.columns[n].to_numpy()[kept] for n in names]
        writer.writerows(zip(*cells, strict=True))
        return out.getvalue().encode("utf-8")


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

    def listed(self) -> list[DataProblem]:
        return [p for *_, p in sorted(self.found, key=lambda t: t[:3])][:self.limit]

    def report(self, counts: Mapping[str, int], context: Sequence[str],
               files: Sequence[str], notes: _Collector | None = None,
               found: Mapping[str, DatasetSchema] | None = None) -> ImportReport:
        listed = self.listed()
        odd = notes.listed() if notes is not None else []
        return ImportReport(tuple(listed), self.total - len(listed), dict(counts),
                            tuple(context), tuple(files), tuple(odd),
                            (notes.total - len(odd)) if notes is not None else 0, dict(found or {}))


def _show(value: str, width: int = 40) -> str:
    """A cell value quoted for a message, shortened when long."""
    shown = value if len(value) <= width else value[:width - 1] + "…"
    return '"' + shown.replace("\n", "\\n") + '"'


def _a(word: str) -> str:
    return ("an " if word[:1] in "aeiou" else "a ") + word


def _users(n: int) -> str:
    return f"{n:,} user" + ("" if n == 1 else "s")


def _parse(name: str, data: bytes, out: _Collector, odd: _Collector) -> _Table | None:
    """Decode and split one file; None (after saying why) when it cannot be read as CSV.

    A row with the wrong number of fields is skipped (a note); the rest of the file imports."""
    if len(data) > MAX_FILE_BYTES:
        out.add(DataProblem(name, None, None, f"is {len(data) / 2**20:,.0f} MB; a local import reads at "
                            f"most {MAX_FILE_BYTES // 2**20} MB (about 5 million interactions): import "
                            "a sample, or train on Amazon Personalize."))
        return None
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
                    odd.add(DataProblem(name, previous + 1, None, (
                        f"has {len(row):,} field{'s' if len(row) != 1 else ''} but the header has "
                        f"{width} (a value containing a comma must be in double quotes): row "
                        "skipped.")))
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


def _schema_of(table: _Table, given: DatasetSchema | None, out: _Collector) -> DatasetSchema:
    """The given schema, checked against the header, or one inferred from the columns."""
    kind = schemas.KINDS[table.name]
    if given is None:
        names = [c for c in dict.fromkeys(table.header) if c and FIELD_NAME.fullmatch(c)]
        return schemas.infer(kind, {c: table.columns[c] for c in names})
    for message in schemas.check_header(given, table.header):
        out.add(DataProblem(table.name, 1, None, message))
    return given


def _check_ids(table: _Table, column: str, out: _Collector, odd: _Collector) -> None:
    """Over-long IDs refuse the import (documented); rows with an empty ID are skipped."""
    values = table.columns[column]
    empty = (values == "").to_numpy() & table.keep
    odd.add_rows(table, empty, column, lambda r: f"{column} is empty: row skipped.")
    table.skip(empty)
    long = (values.str.len() > MAX_ID_LENGTH).to_numpy()
    out.add_rows(table, long, column, lambda r: f"{column} is {len(values.iat[r])} characters "
                 f"long; IDs have at most {MAX_ID_LENGTH}.")


def _check_epoch(table: _Table, column: str, odd: _Collector, *, required: bool) -> None:
    """Whole Unix epoch seconds: a required one that is not skips the row, an optional one is null."""
    values = table.columns[column]
    empty = (values == "").to_numpy()
    digits = values.str.fullmatch(r"[0-9]+").fillna(False).to_numpy(dtype=bool)
    done = "row skipped" if required else "imported as empty (null)"
    if required:
        odd.add_rows(table, empty & table.keep, column, lambda r: f"{column} is empty; it must be Unix "
                     f"epoch seconds (e.g. 1735689600): {done}.")
    bad = ~digits & ~empty & table.keep
    odd.add_rows(table, bad, column, lambda r: f"{column} {_show(values.iat[r])} is not a whole "
                 f"number of Unix epoch seconds (e.g. 1735689600): {done}.")
    # 10**10 has 11 digits: a value with more than 10 significant digits is past year 2286.
    huge = digits & (values.str.lstrip("0").str.len() > 10).to_numpy() & table.keep
    odd.add_rows(table, huge, column, lambda r: f"{column} {values.iat[r]} is too large for epoch "
                 f"seconds (milliseconds? Divide by 1000): {done}.")
    wrong = (bad | huge | (empty & required)) & table.keep
    if required:
        table.skip(wrong)
    else:
        table.blank(column, bad | huge)


def _conform(table: _Table, schema: DatasetSchema, odd: _Collector,
             skip: Sequence[str]) -> None:
    """Every other field's cells against its type: null where it may be null, else the row skipped."""
    for f in schema.fields:
        if f.name in skip or f.name not in table.columns:
            continue
        values = table.columns[f.name]
        wrong = ~schemas.fits(f, values) & table.keep
        if not wrong.any():
            continue
        empty = (values == "").to_numpy()
        if f.nullable:
            odd.add_rows(table, wrong, f.name, lambda r, f=f: (
                f"{f.name} {_show(values.iat[r])} is not {_a(f.type)}: imported as empty (null)."))
            table.blank(f.name, wrong)
        else:
            odd.add_rows(table, wrong, f.name, lambda r, f=f: (
                f"{f.name} is empty but the field may not be null: row skipped." if empty[r] else
                f"{f.name} {_show(values.iat[r])} is not {_a(f.type)}: row skipped."))
            table.skip(wrong)


def _check_interactions(table: _Table, out: _Collector, odd: _Collector,
                        given: DatasetSchema | None) -> tuple[dict[str, int], list[str], DatasetSchema]:
    missing = _check_header(table, out)
    schema = _schema_of(table, given, out)
    for column in ("USER_ID", "ITEM_ID"):
        if column in table.columns:
            _check_ids(table, column, out, odd)
    if "TIMESTAMP" in table.columns:
        _check_epoch(table, "TIMESTAMP", odd, required=True)
    if "EVENT_TYPE" in table.columns:
        kinds = table.columns["EVENT_TYPE"]
        long = (kinds.str.len() > MAX_ID_LENGTH).to_numpy()
        out.add_rows(table, long, "EVENT_TYPE", lambda r: "EVENT_TYPE is longer than "
                     f"{MAX_ID_LENGTH} characters.")
    _conform(table, schema, odd, ("USER_ID", "ITEM_ID", "TIMESTAMP", "EVENT_TYPE"))
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
    event_types = table.columns["EVENT_TYPE"][table.keep].nunique() if "EVENT_TYPE" in table.columns else 0
    if len(optional) + event_types > MAX_OPTIONAL_AND_EVENT_TYPES:
        out.add(DataProblem(table.name, None, "EVENT_TYPE", (
            f"has {len(optional)} optional columns and {event_types} distinct event types: "
            f"together at most {MAX_OPTIONAL_AND_EVENT_TYPES} are allowed.")))
    if missing and "USER_ID" in missing:
        return {}, context, schema
    users = table.columns["USER_ID"][table.keep]
    per_user = users.value_counts()
    items = table.columns["ITEM_ID"][table.keep] if "ITEM_ID" in table.columns else None
    counts = {"interactions": int(table.keep.sum()), "users": int(per_user.size),
              "active_users": int((per_user >= 2).sum()),
              "items": int(items.nunique()) if items is not None else 0}
    if not missing:
        skipped = table.lines.size - counts["interactions"]
        after = f" (after skipping {skipped:,} odd row{'s' if skipped != 1 else ''})" if skipped else ""
        if counts["interactions"] < MIN_INTERACTIONS:
            out.add(DataProblem(table.name, None, None, (
                f"has {counts['interactions']:,} valid interactions{after}; training needs at least "
                f"{MIN_INTERACTIONS:,}.")))
        if counts["active_users"] < MIN_ACTIVE_USERS:
            out.add(DataProblem(table.name, None, "USER_ID", (
                f"has {_users(counts['active_users'])} with 2 or more interactions{after}; training "
                f"needs at least {MIN_ACTIVE_USERS}.")))
    return counts, context, schema


def _check_metadata(table: _Table, out: _Collector, odd: _Collector,
                    given: DatasetSchema | None) -> tuple[int, DatasetSchema]:
    """items.csv / users.csv: the ID column, at least one metadata column, typed values, and a
    repeated ID replaced by its later row (as Personalize replaces an ID that already exists)."""
    id_column = FILES[table.name]
    schema = _schema_of(table, given, out)
    if _check_header(table, out):
        return table.lines.size, schema
    if len([c for c in dict.fromkeys(table.header) if c != id_column]) == 0:
        kind = "Items" if id_column == "ITEM_ID" else "Users"
        out.add(DataProblem(table.name, 1, None, f"has only {id_column}: Personalize's {kind} "
                            "dataset needs at least one metadata column (e.g. GENRES)."))
    _check_ids(table, id_column, out, odd)
    if "CREATION_TIMESTAMP" in table.columns and table.name == paths.ITEMS_FILE:
        _check_epoch(table, "CREATION_TIMESTAMP", odd, required=False)
    _conform(table, schema, odd, (id_column, "CREATION_TIMESTAMP"))
    ids = table.columns[id_column]
    kept = np.flatnonzero(table.keep)
    later = pd.Series(ids.to_numpy()[kept]).duplicated(keep="first").to_numpy()
    if later.any():
        involved = kept[pd.Series(ids.to_numpy()[kept]).duplicated(keep=False).to_numpy()]
        earlier_line: dict[int, int] = {}
        last_seen: dict[str, int] = {}
        gone = np.zeros(table.lines.size, dtype=bool)
        for row in involved:  # rows of repeated IDs only, in file order
            value = ids.iat[row]
            if value in last_seen:
                earlier_line[int(row)] = int(table.lines[last_seen[value]])
                gone[last_seen[value]] = True
            last_seen[value] = int(row)
        repeated = np.zeros(table.lines.size, dtype=bool)
        repeated[kept[later]] = True
        odd.add_rows(table, repeated, id_column, lambda r: (
            f"{id_column} {_show(ids.iat[r])} repeats line {earlier_line[r]}: this later row "
            "replaces it."))
        table.skip(gone)
    return int(table.keep.sum()), schema


# -- entry points --------------------------------------------------------------------------------
@dataclass(frozen=True)
class Prepared:
    """An import: the report, and (when it is ok) the files as imported, by dataset file name."""

    report: ImportReport
    files: Mapping[str, bytes]

    @property
    def schemas(self) -> Mapping[str, DatasetSchema]:
        return self.report.schemas


def is_schema_file(name: str) -> bool:
    """Schemas ride along with the CSV files as JSON (CreateSchema's text, or a group's schemas.json)."""
    return name.lower().endswith(".json")


def _given_schemas(files: Mapping[str, bytes], out: _Collector) -> dict[str, DatasetSchema]:
    """The schemas given as JSON files, by dataset type; a bad one is a problem naming its file."""
    given: dict[str, DatasetSchema] = {}
    for name, data in files.items():
        if len(data) > MAX_SCHEMA_FILE_BYTES:  # before parsing: a huge JSON file must not eat memory
            out.add(DataProblem(name, None, None, f"is {len(data):,} bytes: a schema has at most "
                                f"{schemas.MAX_SCHEMA_CHARS:,} characters."))
            continue
        try:
            text = decode(data)
            raw = json.loads(text)
        except (UnicodeDecodeError, ValueError) as exc:
            out.add(DataProblem(name, None, None, f"is not a JSON schema ({exc})."))
            continue
        stored = isinstance(raw, dict) and bool(raw) and set(raw) <= set(schemas.KINDS.values())
        entries = ([json.dumps(v["schema"]) for v in raw.values()
                    if isinstance(v, dict) and v.get("origin") == "given" and isinstance(v.get("schema"), dict)]
                   if stored else [text])  # a group's schemas.json: only the schemas someone gave
        for entry in entries:
            try:
                parsed = schemas.parse(entry)
            except SchemaError as exc:
                out.add(DataProblem(name, None, None, str(exc)))
                continue
            if parsed.kind in given:
                out.add(DataProblem(name, None, None, f"gives a second {parsed.kind} schema: give one "
                                    "per dataset."))
            given[parsed.kind] = parsed
    return given


def prepare(files: Mapping[str, bytes | None], *, max_problems: int = MAX_PROBLEMS) -> Prepared:
    """Check uploaded files (by file name: interactions.csv, items.csv, users.csv, and optional
    JSON schemas) and apply what the import does with odd rows."""
    out = _Collector(max(1, max_problems))
    odd = _Collector(max(1, max_problems))
    present = {n: d for n, d in files.items() if d is not None}
    given = _given_schemas({n: d for n, d in present.items() if is_schema_file(n)}, out)
    unknown = sorted(n for n in set(present) - set(FILES) if not is_schema_file(n))
    for name in unknown:
        out.add(DataProblem(name, None, None, f"is not a dataset file: name it one of "
                            f"{', '.join(FILES)}."))
    counts: dict[str, int] = {}
    context: list[str] = []
    found: dict[str, DatasetSchema] = {}
    tables: dict[str, _Table] = {}
    if paths.INTERACTIONS_FILE not in present:
        out.add(DataProblem(paths.INTERACTIONS_FILE, None, None, "is missing: a dataset group "
                            "needs its interactions (USER_ID, ITEM_ID, TIMESTAMP, ...)."))
    for kind in given:
        name = next(n for n, k in schemas.KINDS.items() if k == kind)
        if name not in present:
            out.add(DataProblem(name, None, None, f"is missing, but a {kind} schema was given: add "
                                "the file or leave the schema out."))
    for name in FILES:
        if name not in present:
            continue
        table = _parse(name, present[name], out, odd)  # type: ignore[arg-type]
        if table is None:
            continue
        kind = schemas.KINDS[name]
        if name == paths.INTERACTIONS_FILE:
            got, context, found[kind] = _check_interactions(table, out, odd, given.get(kind))
            counts.update(got)
        else:
            key = "catalogue" if name == paths.ITEMS_FILE else "user_records"
            counts[key], found[kind] = _check_metadata(table, out, odd, given.get(kind))
        tables[name] = table
    report = out.report(counts, context, [n for n in FILES if n in present], odd, found)
    imported = {n: t.csv_bytes() for n, t in tables.items()} if report.ok else {}
    return Prepared(report, imported)


def validate_files(files: Mapping[str, bytes | None], *,
                   max_problems: int = MAX_PROBLEMS) -> ImportReport:
    """Check uploaded files, by dataset file name (interactions.csv, items.csv, users.csv)."""
    return prepare(files, max_problems=max_problems).report


def prepare_directory(directory: Path, *, max_problems: int = MAX_PROBLEMS) -> Prepared:
    """`prepare` for the dataset files (and *.schema.json / schemas.json) of a folder."""
    files, problems = read_directory(Path(directory))
    if problems and not files:
        out = _Collector(max(1, max_problems))
        for p in problems:
            out.add(p)
        return Prepared(out.report({}, [], []), {})
    prepared = prepare(files, max_problems=max_problems)
    if not problems:
        return prepared
    report = prepared.report
    merged = _Collector(max(1, max_problems))
    for p in (*problems, *report.problems):
        merged.add(p)
    merged.total += report.more
    merged_report = replace(merged.report(report.counts, report.context_columns, report.files),
                            notes=report.notes, more_notes=report.more_notes, schemas=report.schemas)
    return Prepared(merged_report, {})


def validate_directory(directory: Path, *, max_problems: int = MAX_PROBLEMS) -> ImportReport:
    """Check the dataset files of a folder (interactions.csv, optional items.csv, users.csv)."""
    return prepare_directory(directory, max_problems=max_problems).report
