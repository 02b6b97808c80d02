"""Import validation: each Personalize rule, line numbers as an editor shows them, the cap, and
garbage in (never a traceback)."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scoring import importing
from scoring.importing import ImportReport, validate_directory, validate_files
from tests.support import small_data

HEADER = "USER_ID,ITEM_ID,TIMESTAMP,EVENT_TYPE,PLATFORM"


def interactions_lines() -> list[str]:
    """A valid interactions.csv (1,500 rows, 60 users) as lines; index 0 is line 1 (the header)."""
    return small_data.files()["interactions.csv"].decode().splitlines()


def check(lines: list[str], **others: str) -> ImportReport:
    files = {"interactions.csv": ("\n".join(lines) + "\n").encode()}
    files.update({name.replace("_", "."): text.encode() for name, text in others.items()})
    return validate_files(files)


def where(report: ImportReport) -> list[tuple[str, int | None, str | None]]:
    return [(p.file, p.line, p.column) for p in report.problems]


def noted(report: ImportReport) -> list[tuple[str, int | None, str | None]]:
    return [(p.file, p.line, p.column) for p in report.notes]


def messages(report: ImportReport) -> str:
    return "\n".join(report.lines())


# -- valid data ----------------------------------------------------------------------------------
def test_valid_files_pass_with_counts_and_context_keys(tmp_path: Path) -> None:
    report = validate_directory(small_data.write(tmp_path))
    assert report.ok and report.problems == () and report.more == 0
    assert report.counts == {"interactions": 1500, "users": 60, "active_users": 60,
                             "items": report.counts["items"], "catalogue": 120}
    assert 0 < report.counts["items"] <= 120
    assert report.context_columns == ("PLATFORM",)
    assert report.files == ("interactions.csv", "items.csv")
    assert "1,500 interactions, 60 users" in report.summary()
    assert report.summary().endswith("items (120 in items.csv); context keys: PLATFORM")


def test_the_demo_data_is_valid(demo_dir: Path) -> None:
    report = validate_directory(demo_dir)
    assert report.ok, report.lines()
    assert report.context_columns == ("DEVICE",)


def test_a_byte_order_mark_and_crlf_line_ends_are_fine() -> None:
    text = "\r\n".join(interactions_lines()) + "\r\n"
    assert validate_files({"interactions.csv": b"\xef\xbb\xbf" + text.encode()}).ok


# -- header rules --------------------------------------------------------------------------------
@pytest.mark.parametrize("missing", ["USER_ID", "ITEM_ID", "TIMESTAMP"])
def test_each_required_interactions_column(missing: str) -> None:
    lines = interactions_lines()
    position = HEADER.split(",").index(missing)
    cut = [",".join(f for k, f in enumerate(line.split(",")) if k != position) for line in lines]
    report = check(cut)
    assert ("interactions.csv", 1, missing) in where(report)
    assert f"required column {missing} is missing" in messages(report)


def test_case_and_separator_hints() -> None:
    lines = interactions_lines()
    lower = check([lines[0].replace("USER_ID", "user_id"), *lines[1:]])
    assert 'found "user_id": field names are case-sensitive' in messages(lower)
    semicolons = check([line.replace(",", ";") for line in lines])
    assert "Personalize reads comma-separated files" in messages(semicolons)


@pytest.mark.parametrize(("header", "expected"), [
    (HEADER + ",MY FIELD", 'column name "MY FIELD" is not a valid field name'),
    (HEADER + ",2ND", 'column name "2ND" is not a valid field name'),
    (HEADER + ",PLATFORM", "column PLATFORM appears twice"),
    (HEADER + ",", "column 6 has no name"),
    (HEADER + "," + "X" * 151, "longer than 150 characters"),
])
def test_column_names(header: str, expected: str) -> None:
    lines = interactions_lines()
    report = check([header, *[line + ",x" for line in lines[1:]]])
    assert expected in messages(report)
    assert report.problems[0].line == 1


def test_at_most_five_metadata_columns_and_ten_optional_fields_with_event_types() -> None:
    lines = interactions_lines()
    six = check([lines[0] + ",A,B,C,D,E", *[line + ",1,2,3,4,5" for line in lines[1:]]])
    assert "has 6 metadata columns" in messages(six)
    kinds = [lines[0], *[f"{line.rsplit(',', 2)[0]},kind{k % 9},web"
                         for k, line in enumerate(lines[1:])]]
    report = check(kinds)
    assert "2 optional columns and 9 distinct event types" in messages(report)


# -- row rules -----------------------------------------------------------------------------------
@pytest.mark.parametrize(("row", "column", "expected"), [
    ("u" * 257 + ",i1,1735689600,click,web", "USER_ID", "USER_ID is 257 characters long"),
    ("u1,i" + "9" * 256 + ",1735689600,click,web", "ITEM_ID", "ITEM_ID is 257 characters long"),
    ("u1,i1,1735689600," + "k" * 257 + ",web", "EVENT_TYPE", "EVENT_TYPE is longer than 256"),
    ("u1,i1,1735689600,click," + "w" * 1001, "PLATFORM", "PLATFORM value is longer than 1000"),
])
def test_a_value_over_its_length_limit_refuses_the_import(row: str, column: str, expected: str) -> None:
    lines = interactions_lines()
    lines[41] = row  # line 42 in an editor
    report = check(lines)
    assert where(report) == [("interactions.csv", 42, column)], report.lines()
    assert expected in report.problems[0].message


@pytest.mark.parametrize(("row", "column", "expected"), [
    ("u1,i1,2025-01-01,click,web", "TIMESTAMP", 'TIMESTAMP "2025-01-01" is not a whole number'),
    ("u1,i1,1735689600.5,click,web", "TIMESTAMP", "is not a whole number"),
    ("u1,i1,-5,click,web", "TIMESTAMP", "is not a whole number"),
    ("u1,i1,,click,web", "TIMESTAMP", "TIMESTAMP is empty"),
    ("u1,i1,1735689600000,click,web", "TIMESTAMP", "milliseconds? Divide by 1000"),
    (",i1,1735689600,click,web", "USER_ID", "USER_ID is empty"),
    ("u1,,1735689600,click,web", "ITEM_ID", "ITEM_ID is empty"),
])
def test_a_row_without_a_usable_required_value_is_skipped_and_named(row: str, column: str,
                                                                     expected: str) -> None:
    lines = interactions_lines()
    lines[41] = row
    report = check(lines)
    assert report.ok, report.lines()
    assert noted(report) == [("interactions.csv", 42, column)], report.note_lines()
    assert expected in report.notes[0].message and report.notes[0].message.endswith("row skipped.")
    assert report.counts["interactions"] == 1500 - 1


def test_ids_of_exactly_256_characters_and_old_timestamps_are_fine() -> None:
    lines = interactions_lines()
    lines[5] = "u" * 256 + ",i1,0,click,web"
    lines[6] = "u" * 256 + ",i2,9999999999,click,web"
    assert check(lines).ok


def test_an_event_value_that_is_not_a_number_is_imported_as_null() -> None:
    lines = [interactions_lines()[0] + ",EVENT_VALUE",
             *[line + ",1.5" for line in interactions_lines()[1:]]]
    assert check(lines).ok and not check(lines).notes
    lines[3] = lines[3].rsplit(",", 1)[0] + ",lots"
    lines[4] = lines[4].rsplit(",", 1)[0] + ",inf"
    lines[5] = lines[5].rsplit(",", 1)[0] + ","  # empty: null is allowed
    prepared = importing.prepare({"interactions.csv": ("\n".join(lines) + "\n").encode()})
    report = prepared.report
    assert report.ok and noted(report) == [("interactions.csv", 4, "EVENT_VALUE"),
                                           ("interactions.csv", 5, "EVENT_VALUE")]
    assert 'EVENT_VALUE "lots" is not a float: imported as empty (null)' in "\n".join(report.note_lines())
    imported = pd.read_csv(io.BytesIO(prepared.files["interactions.csv"]), keep_default_na=False, dtype=str)
    assert imported["EVENT_VALUE"].iloc[2:5].tolist() == ["", "", ""] and len(imported) == 1500


def test_wrong_field_counts_are_named_and_skipped() -> None:
    lines = interactions_lines()
    lines[9] = "u1,i1,1735689600"
    lines[10] = "u1,i1,1735689600,click,web,extra"
    report = check(lines)
    assert report.ok and noted(report) == [("interactions.csv", 10, None), ("interactions.csv", 11, None)]
    assert "has 3 fields but the header has 5" in report.notes[0].message
    assert report.counts["interactions"] == 1500 - 2


def test_line_numbers_count_quoted_newlines_and_blank_lines() -> None:
    lines = interactions_lines()
    lines[1] = 'u1,i1,1735689600,"click\nand\nwatch",web'  # lines 2-4
    lines.insert(2, "")  # line 5: blank, skipped
    lines[3] = "u1,i1,soon,click,web"  # line 6
    report = check(lines)
    assert noted(report) == [("interactions.csv", 6, "TIMESTAMP")], report.note_lines()


def test_a_broken_quote_is_one_problem_on_its_line() -> None:
    lines = interactions_lines()
    lines[6] = 'u1,"i1"x,1735689600,click,web'
    report = check(lines)
    assert where(report) == [("interactions.csv", 7, None)]
    assert "double quotes" in report.problems[0].message


# -- training minimums ---------------------------------------------------------------------------
def test_at_least_1000_interactions() -> None:
    lines = interactions_lines()
    assert check(lines[:1001]).ok  # exactly 1,000 rows
    report = check(lines[:1000])
    assert where(report) == [("interactions.csv", None, None)]
    assert "has 999 valid interactions; training needs at least 1,000" in messages(report)


def test_the_minimum_counts_rows_after_the_skipped_ones() -> None:
    lines = interactions_lines()[:1001]
    lines[7] = "u1,i1,later,click,web"
    report = check(lines)
    assert "has 999 valid interactions (after skipping 1 odd row); training needs" in messages(report)
    assert noted(report) == [("interactions.csv", 8, "TIMESTAMP")]


def test_at_least_25_users_with_two_interactions() -> None:
    interactions, _ = small_data.frames(users=60, per_user=50)
    # 24 users keep all their rows; everyone else keeps exactly one.
    keep = interactions["USER_ID"].isin([f"u{u}" for u in range(24)]) | \
        ~interactions.duplicated("USER_ID")
    few = interactions[keep]
    short = validate_files({"interactions.csv": few.to_csv(index=False).encode()})
    assert "has 24 users with 2 or more interactions; training needs at least 25" in \
        messages(short)
    # Pad with rows of one more user and we are fine (still 1,000+ rows).
    assert len(few) >= 1000
    extra = interactions[interactions["USER_ID"] == "u59"].iloc[1:2]
    fixed = validate_files({"interactions.csv": pd.concat([few, extra]).to_csv(index=False).encode()})
    assert fixed.ok, fixed.lines()


# -- items and users -----------------------------------------------------------------------------
def test_items_and_users_rules() -> None:
    lines = interactions_lines()
    items = "ITEM_ID,GENRES,CREATION_TIMESTAMP\ni1,Action,1\ni2,Drama,2\ni1,Comedy,x\n,Drama,3\n"
    users = "USER_ID\nu1\n"
    report = check(lines, items_csv=items, users_csv=users)
    assert where(report) == [("users.csv", 1, None)]
    assert "has only USER_ID: Personalize's Users dataset needs at least one metadata column" in \
        messages(report)
    assert noted(report) == [("items.csv", 4, "CREATION_TIMESTAMP"), ("items.csv", 4, "ITEM_ID"),
                             ("items.csv", 5, "ITEM_ID")]
    text = "\n".join(report.note_lines())
    assert 'ITEM_ID "i1" repeats line 2: this later row replaces it' in text
    assert 'CREATION_TIMESTAMP "x" is not a whole number of Unix epoch seconds' in text


def test_a_repeated_id_keeps_the_later_row() -> None:
    items = "ITEM_ID,GENRES\ni1,Action\ni2,Drama\ni1,Comedy\ni1,Horror\n"
    prepared = importing.prepare({"interactions.csv": small_data.files()["interactions.csv"],
                                  "items.csv": items.encode()})
    assert prepared.report.ok and prepared.report.counts["catalogue"] == 2
    assert prepared.files["items.csv"].decode().splitlines() == ["ITEM_ID,GENRES", "i2,Drama", "i1,Horror"]
    assert [n.line for n in prepared.report.notes] == [4, 5]
    assert "repeats line 4" in prepared.report.notes[1].message


def test_items_need_item_id() -> None:
    report = check(interactions_lines(), items_csv="ID,GENRES\ni1,Action\n")
    assert ("items.csv", 1, "ITEM_ID") in where(report)


# -- whole files ---------------------------------------------------------------------------------
@pytest.mark.parametrize(("data", "expected"), [
    (b"", "is empty"),
    (b"\n\n  \n", "is empty"),
    ("USER_ID,ITEM_ID,TIMESTAMP\ncaf\xe9,1,2\n".encode("latin-1"), "line 2: is not UTF-8 text"),
    ("USER_ID,ITEM_ID,TIMESTAMP\n".encode("utf-16"), "is UTF-16 text"),
    (b"USER_ID,ITEM_ID,TIMESTAMP\n1,\x00,2\n", "line 2: contains NUL bytes"),
    (bytes(range(256)) * 4, "not UTF-8"),
])
def test_garbage_files_are_one_clear_problem(data: bytes, expected: str) -> None:
    report = validate_files({"interactions.csv": data})
    assert not report.ok and len(report.problems) == 1
    assert expected in report.lines()[0]


def test_missing_and_unknown_files() -> None:
    assert "interactions.csv: is missing" in messages(validate_files({}))
    report = validate_files({"interactions.csv": None, "ratings.csv": b"x"})
    assert "ratings.csv: is not a dataset file" in messages(report)


def test_folders(tmp_path: Path) -> None:
    assert "does not exist" in messages(validate_directory(tmp_path / "nowhere"))
    (tmp_path / "file").write_text("x")
    assert "is not a directory" in messages(validate_directory(tmp_path / "file"))
    assert "interactions.csv: is missing" in messages(validate_directory(tmp_path))


# -- the cap -------------------------------------------------------------------------------------
def test_the_lists_are_capped_and_count_the_rest() -> None:
    lines = interactions_lines()
    bad = [lines[0], *[line.replace(",173", ",x173") for line in lines[1:]]]  # every TIMESTAMP
    report = importing.validate_files({"interactions.csv": ("\n".join(bad)).encode()},
                                      max_problems=10)
    assert len(report.notes) == 10 and [p.line for p in report.notes] == list(range(2, 12))
    assert report.total_notes == 1500
    assert report.note_lines()[-1] == "... and 1,490 more odd rows"
    assert report.notes_table()["Line"].tolist() == list(range(2, 12))
    assert report.total_problems == 2  # nothing left: the two minimums refuse it


# -- properties ----------------------------------------------------------------------------------
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=400))
def test_any_bytes_give_a_report_not_an_exception(data: bytes) -> None:
    report = validate_files({"interactions.csv": data, "items.csv": data, "users.csv": data})
    assert isinstance(report, ImportReport) and not report.ok
    assert all(p.line is None or p.line >= 1 for p in report.problems)


BASE = interactions_lines()


@settings(max_examples=25, deadline=None)
@given(st.sets(st.integers(min_value=1, max_value=len(BASE) - 1), min_size=1, max_size=8),
       st.sampled_from(["u1,i1,never,click,web", ",i1,1735689600,click,web", "u1,i1"]))
def test_every_bad_row_is_named_at_its_line(rows: set[int], bad_row: str) -> None:
    lines = list(BASE)
    for index in rows:
        lines[index] = bad_row
    report = check(lines)
    named = sorted({p.line for p in report.notes if p.line is not None})
    assert named == sorted(index + 1 for index in rows)
    assert report.counts["interactions"] == len(BASE) - 1 - len(rows)


# -- given schemas ---------------------------------------------------------------------------------
@pytest.mark.parametrize(("text", "expected"), [
    ("{not json", "items.schema.json: is not a JSON schema"),
    ('{"colour": "blue"}', "items.schema.json: The schema must be an Avro record"),
    ('{"type": "record", "name": "Items", "fields": [{"name": "ITEM_ID", "type": "string"}]}',
     "needs at least one metadata field besides ITEM_ID"),
])
def test_a_bad_schema_file_is_one_problem_naming_it(text: str, expected: str) -> None:
    report = validate_files({**small_data.files(), "items.schema.json": text.encode()})
    assert not report.ok and expected in messages(report)


def test_a_schema_for_a_missing_file_is_a_problem() -> None:
    given = ('{"type": "record", "name": "Users", "fields": [{"name": "USER_ID", "type": "string"}, '
             '{"name": "AGE", "type": ["null", "int"]}]}')
    report = validate_files({**small_data.files(), "users.json": given.encode()})
    assert "users.csv: is missing, but a Users schema was given" in messages(report)
