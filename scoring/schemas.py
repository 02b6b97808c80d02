"""Personalize Avro schemas of a local dataset group: inferred from the data, or given as CreateSchema JSON.

A schema decides what a value *is*: the import checks each cell against its field's type, filters
are type-checked against it (`Items.YEAR >= 1970` needs a number field), and DescribeSchema returns
it. Types are decided once, at import, so one stray value can no longer change what a column is at
request time.

Inference (our choice; Personalize never infers, it takes the schema you give):
- reserved fields get Personalize's types: USER_ID/ITEM_ID string, TIMESTAMP long, EVENT_TYPE
  string, EVENT_VALUE ["null","float"], Items CREATION_TIMESTAMP ["null","long"];
- Interactions metadata (context keys such as DEVICE) are categorical strings: a request's context
  value is matched as text;
- an Items or Users column is `long` when at least 99 % of its non-empty values are whole numbers,
  `double` when at least 99 % are numbers, else a categorical string (`textual` on Items when a
  value is longer than the 1,000 characters a categorical value may have). The few values that do
  not fit are imported as null and reported with their line;
- `true`/`false` columns stay categorical strings, since Personalize cannot filter booleans;
- metadata fields are nullable (`["null", T]`), as in Personalize's own examples.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from scoring import filters, paths

NAMESPACE = "com.amazonaws.personalize.schema"
INTERACTIONS, ITEMS, USERS = "Interactions", "Items", "Users"
#: Dataset file -> dataset type, in the order a group's datasets are listed.
KINDS: dict[str, str] = {paths.INTERACTIONS_FILE: INTERACTIONS, paths.ITEMS_FILE: ITEMS,
                         paths.USERS_FILE: USERS}
ID_FIELD = {INTERACTIONS: "USER_ID", ITEMS: "ITEM_ID", USERS: "USER_ID"}
NUMERIC = ("int", "long", "float", "double")
TYPES = (*NUMERIC, "string", "boolean")
MAX_SCHEMA_CHARS = 20_000
MAX_CATEGORICAL_LENGTH = 1000
#: Inference: a column is a number when at most this share of its non-empty values is not one.
STRAY_SHARE = 0.01
#: The file in a group folder that holds its schemas (written at import).
SCHEMAS_FILE = "schemas.json"

_INT_RANGE = {"int": 2**31, "long": 2**63}
_REQUIRED: dict[str, dict[str, str]] = {
    INTERACTIONS: {"USER_ID": "string", "ITEM_ID": "string", "TIMESTAMP": "long"},
    ITEMS: {"ITEM_ID": "string"},
    USERS: {"USER_ID": "string"},
}
_RESERVED_INTERACTIONS: dict[str, tuple[str, bool]] = {  # name -> (type, nullable)
    "EVENT_TYPE": ("string", False), "EVENT_VALUE": ("float", True), "IMPRESSION": ("string", True),
    "RECOMMENDATION_ID": ("string", True), "EVENT_ATTRIBUTION_SOURCE": ("string", True),
}


class SchemaError(ValueError):
    """A schema Personalize's CreateSchema would refuse, or one that does not fit its file."""


@dataclass(frozen=True)
class Field:
    """One field of a schema: its Avro type, whether it may be null, and how Personalize reads it."""

    name: str
    type: str
    nullable: bool = False
    categorical: bool = False
    textual: bool = False

    @property
    def numeric(self) -> bool:
        return self.type in NUMERIC

    @property
    def unfilterable(self) -> str | None:
        """Why filters cannot use this field, or None when they can."""
        if self.textual:
            return "is a textual field (free text): filters cannot use it"
        if self.type == "boolean":
            return "is a boolean field: Personalize cannot filter booleans (use \"True\"/\"False\" strings or 0/1)"
        return None

    def avro(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "type": ["null", self.type] if self.nullable else self.type}
        if self.categorical:
            out["categorical"] = True
        if self.textual:
            out["textual"] = True
        return out

    def describe(self) -> str:
        """The type as a person reads it: "long, may be empty", "string, categorical"."""
        parts = [self.type]
        if self.categorical:
            parts.append("categorical")
        if self.textual:
            parts.append("textual")
        if self.nullable:
            parts.append("may be empty")
        return ", ".join(parts)


@dataclass(frozen=True)
class DatasetSchema:
    """The schema of one dataset (Interactions, Items or Users) and where it came from."""

    kind: str
    fields: tuple[Field, ...]
    given: bool = False

    def field(self, name: str) -> Field | None:
        return next((f for f in self.fields if f.name == name), None)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)

    def avro(self) -> dict[str, Any]:
        return {"type": "record", "name": self.kind, "namespace": NAMESPACE,
                "fields": [f.avro() for f in self.fields], "version": "1.0"}

    def to_json(self) -> str:
        return json.dumps(self.avro())


# -- values against a type ---------------------------------------------------------------------
def fits(field: Field, values: pd.Series) -> np.ndarray:
    """True where a (string) cell is a value of the field's type. An empty cell is an empty string
    for a string field, and null otherwise (fitting only a nullable field)."""
    text = values.astype(str)
    if field.type == "string":
        return np.ones(len(text), dtype=bool)
    empty = (text == "").to_numpy()
    if field.type == "boolean":
        ok = text.isin(["true", "false"]).to_numpy()
    elif field.type in _INT_RANGE:
        ok = _whole(text, _INT_RANGE[field.type])
    else:
        ok = np.isfinite(_floats(text))
    return np.where(empty, field.nullable, ok)


def _whole(text: pd.Series, bound: int) -> np.ndarray:
    digits = text.str.fullmatch(r"[+-]?[0-9]{1,19}").fillna(False).to_numpy(dtype=bool)  # ASCII only
    out = digits.copy()
    for row in np.flatnonzero(digits & (text.str.len().to_numpy() >= 10)):  # few: check the range exactly
        out[row] = -bound <= int(text.iat[row]) < bound
    return out


def _floats(text: pd.Series) -> np.ndarray:
    return pd.to_numeric(text.where(text != ""), errors="coerce").to_numpy(np.float64, na_value=np.nan)


# -- inference ----------------------------------------------------------------------------------
def infer_field(kind: str, name: str, values: pd.Series) -> Field:
    """The field a column of string cells most plausibly is (see the module docstring)."""
    required = _REQUIRED[kind].get(name)
    if required is not None:
        return Field(name, required)
    if kind == INTERACTIONS:
        if name in _RESERVED_INTERACTIONS:
            avro_type, nullable = _RESERVED_INTERACTIONS[name]
            return Field(name, avro_type, nullable)
        return Field(name, "string", nullable=True, categorical=True)
    if kind == ITEMS and name == "CREATION_TIMESTAMP":
        return Field(name, "long", nullable=True)
    text = values.astype(str)
    filled = text[text != ""]
    if len(filled):
        allowed = math.floor(len(filled) * STRAY_SHARE)
        if int((~_whole(filled, _INT_RANGE["long"])).sum()) <= allowed:
            return Field(name, "long", nullable=True)
        if int((~np.isfinite(_floats(filled))).sum()) <= allowed:
            return Field(name, "double", nullable=True)
        if kind == ITEMS and int(filled.str.len().max()) > MAX_CATEGORICAL_LENGTH:
            return Field(name, "string", nullable=True, textual=True)
    return Field(name, "string", nullable=True, categorical=True)


def infer(kind: str, columns: Mapping[str, pd.Series]) -> DatasetSchema:
    """A schema for a dataset from its columns (header order), cells as strings."""
    return DatasetSchema(kind, tuple(infer_field(kind, name, values) for name, values in columns.items()))


# -- given schemas (CreateSchema JSON) --------------------------------------------------------
def parse(text: str) -> DatasetSchema:
    """A schema as CreateSchema takes it (the Avro JSON); SchemaError naming what is wrong."""
    if len(text) > MAX_SCHEMA_CHARS:
        raise SchemaError(f"The schema has {len(text):,} characters; Personalize allows at most "
                          f"{MAX_SCHEMA_CHARS:,}.")
    try:
        raw = json.loads(text)
    except ValueError as exc:
        raise SchemaError(f"The schema is not valid JSON ({exc}).") from None
    if not isinstance(raw, dict) or raw.get("type") != "record":
        raise SchemaError('The schema must be an Avro record: {"type": "record", "name": "Interactions", '
                          '"namespace": "com.amazonaws.personalize.schema", "fields": [...], "version": "1.0"}.')
    kind = next((k for k in (INTERACTIONS, ITEMS, USERS) if str(raw.get("name", "")).lower() == k.lower()), None)
    if kind is None:
        raise SchemaError(f'The schema\'s "name" is {raw.get("name")!r}: use Interactions, Items or Users, '
                          "the dataset it describes.")
    fields = raw.get("fields")
    if not isinstance(fields, list) or not fields:
        raise SchemaError(f"The {kind} schema has no \"fields\" list.")
    out: list[Field] = []
    for position, entry in enumerate(fields, start=1):
        out.append(_parse_field(kind, position, entry))
    names = [f.name for f in out]
    repeated = next((n for n in names if names.count(n) > 1), None)
    if repeated:
        raise SchemaError(f"The {kind} schema names the field {repeated} twice.")
    for name, avro_type in _REQUIRED[kind].items():
        found = next((f for f in out if f.name == name), None)
        if found is None:
            raise SchemaError(f"The {kind} schema needs the field {name} ({avro_type}).")
        if found.type != avro_type or found.nullable:
            raise SchemaError(f"The {kind} schema's {name} must be \"{avro_type}\", not null-able; "
                              f"it is {found.describe()}.")
    if kind != INTERACTIONS and len(out) < 2:
        raise SchemaError(f"The {kind} schema needs at least one metadata field besides {ID_FIELD[kind]}.")
    return DatasetSchema(kind, tuple(out), given=True)


def _parse_field(kind: str, position: int, entry: Any) -> Field:
    if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
        raise SchemaError(f"Field {position} of the {kind} schema needs a \"name\".")
    name = entry["name"]
    declared = entry.get("type")
    nullable = False
    if isinstance(declared, list):
        kinds = [t for t in declared if t != "null"]
        nullable = "null" in declared
        if len(kinds) != 1 or len(declared) != len(kinds) + int(nullable):
            raise SchemaError(f"Field {name} of the {kind} schema has the type {declared}: a union is "
                              'one type and "null", e.g. ["null", "string"].')
        declared = kinds[0]
    if declared not in TYPES:
        raise SchemaError(f"Field {name} of the {kind} schema has the type {declared!r}: use one of "
                          f"{', '.join(TYPES)} (Personalize has no arrays, maps or nested records; "
                          'write multiple values as "a|b").')
    categorical, textual = bool(entry.get("categorical")), bool(entry.get("textual"))
    if (categorical or textual) and declared != "string":
        raise SchemaError(f"Field {name} of the {kind} schema is {declared}: only string fields can be "
                          "categorical or textual.")
    if textual and kind != ITEMS:
        raise SchemaError(f"Field {name}: only Items fields can be textual.")
    return Field(name, declared, nullable, categorical, textual)


def check_header(schema: DatasetSchema, header: list[str]) -> list[str]:
    """Why a CSV header does not fit a given schema (every column a field, every field a column)."""
    out = [f"column {c} is not a field of the {schema.kind} schema: add it to the schema or remove "
           "the column." for c in header if c and schema.field(c) is None]
    out += [f"the {schema.kind} schema's field {f.name} has no column in the header." for f in schema.fields
            if f.name not in header]
    return out


# -- a group's schemas on disk ---------------------------------------------------------------
def save(schemas: Mapping[str, DatasetSchema]) -> str:
    """The text of schemas.json for `schemas` (by dataset type); the caller writes it atomically."""
    return json.dumps({kind: {"origin": "given" if s.given else "inferred", "schema": s.avro()}
                       for kind, s in schemas.items()}, indent=2) + "\n"


def load_schemas(folder: Path) -> dict[str, DatasetSchema]:
    """The schemas of a group: from schemas.json, else inferred from its CSV files (older groups, demo)."""
    folder = Path(folder)
    stored: dict[str, Any] = {}
    try:
        stored = dict(json.loads((folder / SCHEMAS_FILE).read_text(encoding="utf-8")))
    except (OSError, ValueError):
        pass
    out: dict[str, DatasetSchema] = {}
    for file_name, kind in KINDS.items():
        entry = stored.get(kind)
        if isinstance(entry, dict) and isinstance(entry.get("schema"), dict):
            try:
                parsed = parse(json.dumps(entry["schema"]))
            except SchemaError:
                parsed = None
            if parsed is not None:
                out[kind] = DatasetSchema(kind, parsed.fields, given=entry.get("origin") == "given")
                continue
        path = folder / file_name
        if path.exists():  # Interactions are typed by their names alone: the header is enough
            frame = pd.read_csv(path, dtype=str, keep_default_na=False,
                                nrows=0 if kind == INTERACTIONS else None)
            out[kind] = infer(kind, {str(c): frame[c] for c in frame.columns})
    if INTERACTIONS not in out:  # every group has interactions: its folder was removed or broken
        raise FileNotFoundError(f"dataset group {folder.name!r} has no {paths.INTERACTIONS_FILE}")
    return out


def filter_schema(group: Mapping[str, DatasetSchema]) -> filters.Schema:
    """What filters may name in a group with these schemas: number fields by type, not by value."""
    def numbers(kind: str) -> dict[str, bool]:
        found = group.get(kind)
        return {f.name: f.numeric for f in found.fields} if found is not None else {}

    refused = {f"{kind}.{f.name}": why for kind in (ITEMS, USERS) if kind in group
               for f in group[kind].fields if (why := f.unfilterable)}
    return filters.Schema(items=numbers(ITEMS), users=numbers(USERS),
                          has_interactions=INTERACTIONS in group, unfilterable=refused)


# -- on any control client (local or live) -----------------------------------------------------
def described(control: Any, dataset_group_arn: str | None) -> dict[str, DatasetSchema]:
    """The schema of each dataset of a group, from ListDatasets / DescribeDataset / DescribeSchema;
    a schema this module cannot read (a domain or newer field type) is left out, not fatal."""
    if not dataset_group_arn:
        return {}
    out: dict[str, DatasetSchema] = {}
    for d in control.list_datasets(datasetGroupArn=dataset_group_arn).get("datasets", []):
        arn = control.describe_dataset(datasetArn=d["datasetArn"])["dataset"]["schemaArn"]
        try:
            found = parse(control.describe_schema(schemaArn=arn)["schema"]["schema"])
        except SchemaError:
            continue
        out[found.kind] = found
    return out


def field_hint(f: Field) -> str:
    """A field as the filter help shows it: "YEAR (number)", "DESCRIPTION (textual: not filterable)"."""
    if f.unfilterable:
        return f"{f.name} ({'textual' if f.textual else f.type}: not filterable)"
    return f"{f.name} (number)" if f.numeric else f.name
