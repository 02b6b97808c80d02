"""Imports as lenient as Personalize's: AWS's airline sample as published (repeated IDs, "No" in a
number column) imports and trains with CABIN_TYPE as context; one stray value in a number column
never disables numeric filters, at import or at request time."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import scoring
from scoring import arns, importing, paths, schemas, user_groups
from tests.support import small_data

#: ../shared/data beside the checkout (see its README); unedited.
AIRLINE = paths.PROJECT_ROOT.parent / "shared" / "data" / "aws-airline-sample"
FAST = user_groups.TrainingSettings(dim=8, epochs=1)
STRAY = "2006–2007"


def _control_and_runtime(group: Path) -> tuple[object, object]:
    return scoring.client("personalize", group), scoring.client("personalize-runtime", group)


# -- the airline sample, as published --------------------------------------------------------------
def test_the_airline_sample_imports_with_its_odd_rows_named() -> None:
    report = importing.validate_directory(AIRLINE)
    assert report.ok, report.lines()
    assert [(n.file, n.line, n.column) for n in report.notes] == [
        ("items.csv", 353, "DurationDays"), ("items.csv", 354, "ITEM_ID"), ("items.csv", 355, "ITEM_ID"),
        ("items.csv", 356, "DurationDays"), ("items.csv", 356, "ITEM_ID")]
    assert report.notes[1].message == 'ITEM_ID "0" repeats line 352: this later row replaces it.'
    assert report.notes[0].message == 'DurationDays "No" is not a long: imported as empty (null).'
    assert report.counts["catalogue"] == 352 and report.counts["interactions"] == 34_853
    assert report.context_columns == ("CABIN_TYPE",)


def test_the_airline_sample_gets_number_fields_where_the_data_has_numbers() -> None:
    items = importing.validate_directory(AIRLINE).schemas["Items"]
    assert {f.name: f.type for f in items.fields if f.numeric} == {
        "DurationDays": "long", "numberOfSearchByUser": "long", "DynamicPrice": "long",
        "DiscountForMember": "double"}
    assert items.field("Promotion") == schemas.Field("Promotion", "string", nullable=True, categorical=True)


@pytest.fixture(scope="module")
def airline(tmp_path_factory: pytest.TempPathFactory) -> Path:
    files, problems = importing.read_directory(AIRLINE)
    assert not problems
    out = tmp_path_factory.mktemp("airline") / "airline"
    user_groups.create_group(files, "airline", out=out, settings=FAST)
    return out


def test_the_airline_group_stores_the_later_of_repeated_rows(airline: Path) -> None:
    items = pd.read_csv(airline / paths.ITEMS_FILE, dtype=str, keep_default_na=False).set_index("ITEM_ID")
    assert len(items) == 352 and items.index.is_unique
    assert items.loc["0", "DynamicPrice"] == "398"  # line 355, the last of the three "0" rows
    assert items.loc["No", "DurationDays"] == "" and items.loc["No", "DynamicPrice"] == "1022"


def test_the_airline_group_trains_with_cabin_type_as_context(airline: Path) -> None:
    assert user_groups.summary(airline).context_keys == ("CABIN_TYPE",)
    _, runtime = _control_and_runtime(airline)
    campaign = arns.local_arn("campaign", "airline-user-personalization")
    user = "8120125224640029423"  # a signed 64-bit number written as text
    scores = {cabin: [i["score"] for i in runtime.get_recommendations(  # type: ignore[attr-defined]
        campaignArn=campaign, userId=user, numResults=10, context={"CABIN_TYPE": cabin})["itemList"]]
        for cabin in ("Economy", "Business Class")}
    assert len(scores["Economy"]) == 10 and scores["Economy"] != scores["Business Class"]


def test_describe_schema_and_filters_agree_on_the_airline_number_fields(airline: Path) -> None:
    control, _ = _control_and_runtime(airline)
    avro = json.loads(control.describe_schema(  # type: ignore[attr-defined]
        schemaArn=arns.local_arn("schema", "airline-items"))["schema"]["schema"])
    types = {f["name"]: f["type"] for f in avro["fields"]}
    assert types["DynamicPrice"] == ["null", "long"] and types["DiscountForMember"] == ["null", "double"]
    typed = control.group.filter_data.schema  # type: ignore[attr-defined]
    assert typed.items["DynamicPrice"] and typed.items["DiscountForMember"] and not typed.items["Airline"]


def test_the_airline_group_filters_on_a_number_column(airline: Path, tmp_path: Path) -> None:
    group = tmp_path / "airline"
    shutil.copytree(airline, group, ignore=shutil.ignore_patterns(".*"))
    control, runtime = _control_and_runtime(group)
    arn = control.create_filter(  # type: ignore[attr-defined]
        name="cheap", datasetGroupArn=arns.local_arn("dataset-group", "airline"),
        filterExpression="INCLUDE ItemID WHERE Items.DynamicPrice <= $PRICE")["filterArn"]
    got = runtime.get_recommendations(  # type: ignore[attr-defined]
        campaignArn=arns.local_arn("campaign", "airline-user-personalization"), userId="1",
        numResults=50, filterArn=arn, filterValues={"PRICE": "2000"})["itemList"]
    prices = pd.read_csv(group / paths.ITEMS_FILE, dtype=str, keep_default_na=False).set_index("ITEM_ID")
    assert got and all(int(prices.loc[i["itemId"], "DynamicPrice"]) <= 2000 for i in got)


# -- one stray value in a number column --------------------------------------------------------------
def _movies_with_a_stray_year() -> dict[str, bytes]:
    files = small_data.files()
    items = pd.read_csv(pd.io.common.BytesIO(files[paths.ITEMS_FILE]), dtype=str)
    items["YEAR"] = [str(1950 + k % 70) for k in range(len(items))]
    items.loc[7, "YEAR"] = STRAY  # line 9 of items.csv
    return {**files, paths.ITEMS_FILE: items.to_csv(index=False).encode()}


@pytest.fixture(scope="module")
def movies(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("movies") / "movies"
    user_groups.create_group(_movies_with_a_stray_year(), "movies", out=out, settings=FAST)
    return out


def test_a_stray_year_is_reported_and_the_field_stays_a_number() -> None:
    report = importing.validate_files(_movies_with_a_stray_year())
    assert report.ok
    assert [n.text() for n in report.notes] == [
        f'items.csv line 9: YEAR "{STRAY}" is not a long: imported as empty (null).']
    assert report.schemas["Items"].field("YEAR") == schemas.Field("YEAR", "long", nullable=True)


def _use_year_filter(group: Path) -> list[str]:
    control, runtime = _control_and_runtime(group)
    arn = control.create_filter(  # type: ignore[attr-defined]
        name="recent", datasetGroupArn=arns.local_arn("dataset-group", group.name),
        filterExpression="INCLUDE ItemID WHERE Items.YEAR >= $YEAR")["filterArn"]
    got = runtime.get_recommendations(  # type: ignore[attr-defined]
        campaignArn=arns.local_arn("campaign", f"{group.name}-user-personalization"), userId="u1",
        numResults=100, filterArn=arn, filterValues={"YEAR": "2000"})["itemList"]
    return [i["itemId"] for i in got]


def test_a_stray_year_does_not_disable_a_number_filter(movies: Path, tmp_path: Path) -> None:
    group = tmp_path / "movies"
    shutil.copytree(movies, group, ignore=shutil.ignore_patterns(".*"))
    control, _ = _control_and_runtime(group)
    control.create_filter(  # type: ignore[attr-defined]
        name="since-1970", datasetGroupArn=arns.local_arn("dataset-group", "movies"),
        filterExpression="INCLUDE ItemID WHERE Items.YEAR >= 1970")
    shown = _use_year_filter(group)
    years = pd.read_csv(group / paths.ITEMS_FILE, dtype=str, keep_default_na=False).set_index("ITEM_ID")
    assert shown and all(int(years.loc[i, "YEAR"]) >= 2000 for i in shown)


def test_a_group_imported_before_schemas_still_filters_at_request_time(movies: Path,
                                                                      tmp_path: Path) -> None:
    """A group without schemas.json whose items.csv holds the stray as it was uploaded."""
    group = tmp_path / "movies"
    shutil.copytree(movies, group, ignore=shutil.ignore_patterns(".*"))
    (group / schemas.SCHEMAS_FILE).unlink()
    (group / paths.ITEMS_FILE).write_bytes(_movies_with_a_stray_year()[paths.ITEMS_FILE])
    shown = _use_year_filter(group)
    assert shown and "i7" not in shown  # the stray's item passes no comparison
    stored = scoring.client("personalize", group).group.schemas["Items"]
    assert stored.field("YEAR") == schemas.Field("YEAR", "long", nullable=True)


def test_a_given_schema_types_a_column_the_values_alone_would_not(tmp_path: Path) -> None:
    files = _movies_with_a_stray_year()
    given = {"type": "record", "name": "Items", "namespace": schemas.NAMESPACE, "version": "1.0",
             "fields": [{"name": "ITEM_ID", "type": "string"},
                        {"name": "GENRES", "type": "string", "categorical": True},
                        {"name": "YEAR", "type": "string", "categorical": True}]}
    created = user_groups.create_group({**files, "items.schema.json": json.dumps(given).encode()},
                                       "typed", out=tmp_path / "typed", settings=FAST)
    assert created.report.ok and not created.report.notes  # "2006–2007" is a fine string
    control = scoring.client("personalize", tmp_path / "typed")
    arn = arns.local_arn("schema", "typed-items")
    assert json.loads(control.describe_schema(schemaArn=arn)["schema"]["schema"]) == given
    with pytest.raises(control.exceptions.InvalidInputException, match="not a number field"):
        control.create_filter(name="f", datasetGroupArn=arns.local_arn("dataset-group", "typed"),
                              filterExpression="INCLUDE ItemID WHERE Items.YEAR >= 1970")


def test_a_non_null_number_field_skips_the_rows_it_cannot_hold() -> None:
    files = _movies_with_a_stray_year()
    given = {"type": "record", "name": "Items", "namespace": schemas.NAMESPACE, "version": "1.0",
             "fields": [{"name": "ITEM_ID", "type": "string"},
                        {"name": "GENRES", "type": "string", "categorical": True},
                        {"name": "YEAR", "type": "int"}]}
    prepared = importing.prepare({**files, "items.schema.json": json.dumps(given).encode()})
    assert [n.text() for n in prepared.report.notes] == [
        f'items.csv line 9: YEAR "{STRAY}" is not an int: row skipped.']
    assert prepared.report.counts["catalogue"] == 119
    assert STRAY not in prepared.files[paths.ITEMS_FILE].decode()


def test_retraining_in_place_keeps_a_given_schema(tmp_path: Path) -> None:
    given = {"type": "record", "name": "Items", "namespace": schemas.NAMESPACE, "version": "1.0",
             "fields": [{"name": "ITEM_ID", "type": "string"},
                        {"name": "GENRES", "type": "string", "categorical": True},
                        {"name": "YEAR", "type": ["null", "string"], "categorical": True}]}
    group = tmp_path / "kept"
    user_groups.create_group({**_movies_with_a_stray_year(), "items.schema.json": json.dumps(given).encode()},
                             "kept", out=group, settings=FAST)
    user_groups.retrain_in_place(group, settings=FAST)
    stored = schemas.load_schemas(group)
    assert stored["Items"].given and stored["Items"].avro() == given
    assert not stored["Interactions"].given


def test_retraining_a_folder_in_place_rewrites_only_the_files_with_odd_rows(tmp_path: Path) -> None:
    folder = tmp_path / "airline"
    shutil.copytree(AIRLINE, folder)
    for file in folder.iterdir():
        file.chmod(0o644)  # the shared copy is read-only
    created = user_groups.retrain_in_place(folder, settings=FAST)
    assert created.report.total_notes == 5
    for name in (paths.INTERACTIONS_FILE, paths.USERS_FILE):  # no odd rows: untouched, byte for byte
        assert (folder / name).read_bytes() == (AIRLINE / name).read_bytes()
    items = pd.read_csv(folder / paths.ITEMS_FILE, dtype=str, keep_default_na=False)
    assert len(items) == 352 and items["ITEM_ID"].is_unique
    assert not importing.validate_directory(folder).notes  # imported once: nothing odd is left


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["a", "b", "c", "0", "No"]), st.sampled_from(["x", "y", "z"])),
                min_size=1, max_size=30))
def test_the_imported_catalogue_is_the_last_row_of_each_id(rows: list[tuple[str, str]]) -> None:
    items = "ITEM_ID,GENRES\n" + "".join(f"{i},{g}\n" for i, g in rows)
    prepared = importing.prepare({paths.INTERACTIONS_FILE: small_data.files()[paths.INTERACTIONS_FILE],
                                  paths.ITEMS_FILE: items.encode()})
    imported = pd.read_csv(io.BytesIO(prepared.files[paths.ITEMS_FILE]), dtype=str, keep_default_na=False)
    assert dict(zip(imported["ITEM_ID"], imported["GENRES"], strict=True)) == dict(rows)  # last wins
    assert imported["ITEM_ID"].is_unique
    assert prepared.report.total_notes == len(rows) - len(dict(rows))  # one note per replaced row
