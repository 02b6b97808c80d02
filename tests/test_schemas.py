"""Avro schemas of local groups: inference from the data (properties), CreateSchema JSON, and what
filters may name."""

from __future__ import annotations

import json
from pathlib import Path
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scoring import filters, schemas
from scoring.schemas import Field, SchemaError

NUMBERS = st.integers(min_value=-(10**12), max_value=10**12).map(str)
STRAYS = st.text(alphabet="abcNo–-/ ", min_size=1, max_size=8).filter(lambda t: t.strip() != "")


def column(values: list[str]) -> pd.Series:
    return pd.Series(values, dtype=object)


# -- inference: properties -------------------------------------------------------------------------
@settings(max_examples=60, deadline=None)
@given(st.lists(NUMBERS, min_size=100, max_size=300), st.data())
def test_a_number_column_with_at_most_one_percent_strays_is_long(numbers: list[str],
                                                                 data: st.DataObject) -> None:
    strays = data.draw(st.lists(STRAYS, max_size=len(numbers) // 100))
    cells = numbers + strays
    data.draw(st.randoms()).shuffle(cells)
    f = schemas.infer_field(schemas.ITEMS, "YEAR", column(cells))
    assert f == Field("YEAR", "long", nullable=True)
    assert int((~schemas.fits(f, column(cells))).sum()) == len(strays)  # exactly the strays are odd


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(min_value=-1e6, max_value=1e6, allow_nan=False).map(repr), min_size=1,
                max_size=200))
def test_numbers_with_fractions_are_double(values: list[str]) -> None:
    f = schemas.infer_field(schemas.ITEMS, "PRICE", column([*values, "0.5"]))
    assert f.type == "double" and f.nullable
    assert schemas.fits(f, column(values)).all()


@settings(max_examples=80, deadline=None)
@given(st.lists(st.text(max_size=12), max_size=60), st.sampled_from([schemas.ITEMS, schemas.USERS]))
def test_any_column_gets_a_type_whose_misfits_are_at_most_one_percent(values: list[str],
                                                                      kind: str) -> None:
    f = schemas.infer_field(kind, "ANY", column(values))
    assert f.type in schemas.TYPES and f.nullable
    misfits = int((~schemas.fits(f, column(values))).sum())
    assert misfits <= len([v for v in values if v != ""]) * schemas.STRAY_SHARE


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(alphabet="ab|", min_size=1, max_size=5), min_size=1, max_size=30))
def test_an_inferred_schema_survives_create_schema_json(values: list[str]) -> None:
    inferred = schemas.infer(schemas.ITEMS, {"ITEM_ID": column([str(i) for i in range(len(values))]),
                                            "GENRES": column(values), "YEAR": column(["1999"] * len(values))})
    parsed = schemas.parse(inferred.to_json())
    assert parsed.fields == inferred.fields and parsed.given


def test_interactions_metadata_are_categorical_strings_even_when_numeric() -> None:
    inferred = schemas.infer(schemas.INTERACTIONS, {
        "USER_ID": column(["1"]), "ITEM_ID": column(["2"]), "TIMESTAMP": column(["3"]),
        "EVENT_VALUE": column(["7.0"]), "DEVICE": column(["1"])})
    assert [f.avro() for f in inferred.fields] == [
        {"name": "USER_ID", "type": "string"}, {"name": "ITEM_ID", "type": "string"},
        {"name": "TIMESTAMP", "type": "long"}, {"name": "EVENT_VALUE", "type": ["null", "float"]},
        {"name": "DEVICE", "type": ["null", "string"], "categorical": True}]


def test_true_false_stays_a_categorical_string_and_long_text_is_textual() -> None:
    assert schemas.infer_field(schemas.ITEMS, "NEW", column(["true", "false"])).categorical
    f = schemas.infer_field(schemas.ITEMS, "DESCRIPTION", column(["x" * 1001, "short"]))
    assert f.textual and not f.categorical


def test_long_range_is_checked_exactly() -> None:
    f = Field("N", "long", nullable=True)
    cells = column([str(2**63 - 1), str(-(2**63)), str(2**63), "-2996180203100007228", "", "1e3"])
    assert schemas.fits(f, cells).tolist() == [True, True, False, True, True, False]
    assert schemas.fits(Field("N", "int"), column([str(2**31), "5", ""])).tolist() == [False, True, False]


# -- given schemas (CreateSchema JSON) ---------------------------------------------------------------
ITEMS_SCHEMA = {"type": "record", "name": "Items", "namespace": schemas.NAMESPACE, "version": "1.0",
                "fields": [{"name": "ITEM_ID", "type": "string"},
                           {"name": "PRICE", "type": "float"},
                           {"name": "DESCRIPTION", "type": ["null", "string"], "textual": True},
                           {"name": "NEW", "type": "boolean"}]}


def test_a_create_schema_json_is_read_as_given() -> None:
    parsed = schemas.parse(json.dumps(ITEMS_SCHEMA))
    assert parsed.kind == "Items" and parsed.given
    assert parsed.field("PRICE") == Field("PRICE", "float")
    assert parsed.field("DESCRIPTION") == Field("DESCRIPTION", "string", nullable=True, textual=True)
    assert json.loads(parsed.to_json()) == ITEMS_SCHEMA


@pytest.mark.parametrize(("change", "expected"), [
    (lambda s: s.update(name="Movies"), "use Interactions, Items or Users"),
    (lambda s: s["fields"].pop(0), "needs the field ITEM_ID"),
    (lambda s: s["fields"].append({"name": "TAGS", "type": {"type": "array", "items": "string"}}),
     "no arrays, maps or nested records"),
    (lambda s: s["fields"].append({"name": "A", "type": ["null", "int", "string"]}), "a union is one type"),
    (lambda s: s["fields"].append({"name": "PRICE", "type": "float"}), "names the field PRICE twice"),
    (lambda s: s["fields"][1].update(categorical=True), "only string fields can be categorical"),
    (lambda s: s["fields"].append({"name": "X" * 20_000, "type": "string"}), "at most 20,000"),
])
def test_what_create_schema_refuses_is_refused_with_its_reason(change: Callable[[dict[str, Any]], object],
                                                               expected: str) -> None:
    raw = json.loads(json.dumps(ITEMS_SCHEMA))
    change(raw)
    with pytest.raises(SchemaError, match=expected):
        schemas.parse(json.dumps(raw))


def test_a_given_schema_must_match_the_header() -> None:
    parsed = schemas.parse(json.dumps(ITEMS_SCHEMA))
    problems = schemas.check_header(parsed, ["ITEM_ID", "PRICE", "NEW", "COLOUR"])
    assert problems == ["column COLOUR is not a field of the Items schema: add it to the schema or "
                        "remove the column.",
                        "the Items schema's field DESCRIPTION has no column in the header."]


# -- what filters may name ---------------------------------------------------------------------------
def test_filters_are_typed_by_the_schema_not_by_the_values() -> None:
    group = {"Items": schemas.parse(json.dumps(ITEMS_SCHEMA)),
             "Interactions": schemas.infer(schemas.INTERACTIONS, {"USER_ID": column([]),
                                                                 "ITEM_ID": column([]),
                                                                 "TIMESTAMP": column([])})}
    typed = schemas.filter_schema(group)
    assert typed.items == {"ITEM_ID": False, "PRICE": True, "DESCRIPTION": False, "NEW": False}
    filters.compile_filter("INCLUDE ItemID WHERE Items.PRICE <= $PRICE", typed)
    with pytest.raises(filters.FilterError, match="DESCRIPTION at column 22 is a textual field"):
        filters.compile_filter('INCLUDE ItemID WHERE Items.DESCRIPTION IN ("x")', typed)
    with pytest.raises(filters.FilterError, match="Personalize cannot filter booleans"):
        filters.compile_filter('EXCLUDE ItemID WHERE Items.NEW IN ("true")', typed)


def test_a_stray_value_does_not_change_the_numbers_a_filter_compares() -> None:
    years = column([*map(str, range(1900, 2000)), "2006–2007"])
    items = pd.DataFrame({"ITEM_ID": [f"i{k}" for k in range(len(years))], "YEAR": years})
    group = {"Items": schemas.infer(schemas.ITEMS, {c: items[c] for c in items.columns})}
    data = filters.FilterData(items["ITEM_ID"].to_numpy(), items, lambda: None, lambda: None,
                              schema=lambda: schemas.filter_schema(group))
    mask = filters.Evaluator(data).mask("INCLUDE ItemID WHERE Items.YEAR >= $YEAR", {"YEAR": "1990"}, None)
    assert np.flatnonzero(mask.mask).tolist() == list(range(90, 100))  # the stray passes no comparison


def test_only_ascii_digits_make_a_number() -> None:
    f = Field("N", "long", nullable=True)
    assert schemas.fits(f, column(["١٢", "12", "１２"])).tolist() == [False, True, False]
    assert schemas.infer_field(schemas.ITEMS, "N", column(["١٢"] * 5)).type == "string"


def test_a_group_without_schemas_json_is_typed_when_opened(tmp_path: Path) -> None:
    (tmp_path / "interactions.csv").write_text("USER_ID,ITEM_ID,TIMESTAMP,DEVICE\n1,2,3,4\n")
    (tmp_path / "items.csv").write_text("ITEM_ID,YEAR,GENRES\n1,1999,A|B\n2,2001,C\n")
    found = schemas.load_schemas(tmp_path)
    assert set(found) == {"Interactions", "Items"} and not found["Items"].given
    assert found["Items"].field("YEAR") == Field("YEAR", "long", nullable=True)
    assert found["Interactions"].field("DEVICE") == Field("DEVICE", "string", nullable=True, categorical=True)


def test_the_filter_help_names_what_each_field_is() -> None:
    parsed = schemas.parse(json.dumps(ITEMS_SCHEMA))
    assert [schemas.field_hint(f) for f in parsed.fields] == [
        "ITEM_ID", "PRICE (number)", "DESCRIPTION (textual: not filterable)", "NEW (boolean: not filterable)"]
