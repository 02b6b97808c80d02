"""Amazon Personalize's filter-expression language: parse, check and evaluate, locally.

    INCLUDE ItemID WHERE Items.GENRES IN ($GENRES) | EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("watch")

`parse` turns the text into expressions (lark, LALR) and applies the rules that need no data
(datasets, CurrentUser only after IF, one dataset per WHERE, EVENT_TYPE only, <= 5 fields);
`check` adds the rules that need the dataset group's fields (unknown field, number operator on
a text field). Every refusal is a `FilterError` whose message names the column and what was
expected; the clients turn it into InvalidInputException.

`Evaluator.mask` evaluates a checked filter for one request to a boolean mask over the model's
item rows, vectorised with numpy: includes are unioned, excludes are unioned, the result is
includes minus excludes. An INCLUDE needs every parameter; an EXCLUDE expression whose
parameter is missing is skipped; an expression whose IF is false for the user is skipped.
Items the model was not trained on pass a filter only when no INCLUDE applied (nothing is
known about them). Filters only pick items: they never change a score.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache, cached_property
from typing import Any

import numpy as np
import pandas as pd
from lark import Lark, Token, Transformer, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

INCLUDE = "INCLUDE"
EXCLUDE = "EXCLUDE"
ITEMS = "Items"
INTERACTIONS = "Interactions"
USERS = "Users"
CURRENT_USER = "CurrentUser"
#: `CurrentItem.<FIELD>` stands for a field of the request's itemId (related-items recipes only).
CURRENT_ITEM = "CurrentItem"
#: Said when a filter names action datasets (PERSONALIZED_ACTIONS, Next-Best-Action).
ACTIONS_REFUSAL = "action filters are for PERSONALIZED_ACTIONS, which local groups do not have"
DATASETS = (ITEMS, INTERACTIONS, USERS, CURRENT_USER)
EVENT_TYPE = "EVENT_TYPE"
IN, NOT_IN = "IN", "NOT IN"
COMPARISONS = ("=", "<", "<=", ">", ">=")
MAX_FIELDS = 5
MAX_FILTERS = 10
#: Interactions conditions look at this many most recent interactions per user per event type.
RECENT_INTERACTIONS = 100
LIST, NUMBER = "list", "number"
#: Why a CurrentItem filter needs an itemId, said wherever one is refused.
CURRENT_ITEM_RECIPES = ("CurrentItem filters apply only to recommendations for an item: related-items recipes "
                        "(aws-sims, aws-similar-items, aws-semantic-similarity) and item-based use cases "
                        "(e.g. More like X, Because you watched X).")

_GRAMMAR = r"""
start: expression (PIPE expression)*
expression: ACTION NAME WHERE or_group if_clause?
if_clause: IF and_group
or_group: and_group (OR and_group)*
and_group: condition (AND condition)*
condition: field IN_OP value_list      -> in_condition
         | field IN_OP item_ref        -> in_condition
         | field CMP_OP scalar         -> cmp_condition
field: NAME DOT NAME
item_ref: NAME DOT NAME
value_list: LPAR [value (COMMA value)*] RPAR
value: STRING | PARAM | STAR
scalar: NUMBER | PARAM | item_ref

ACTION: /INCLUDE|EXCLUDE/i
WHERE: /WHERE/i
IF: /IF/i
AND: /AND/i
OR: /OR/i
IN_OP: /NOT\s+IN/i | /IN/i
CMP_OP: /[<>=!]+/
PIPE: "|"
DOT: "."
LPAR: "("
RPAR: ")"
COMMA: ","
STAR: "*"
STRING: /"[^"\n]*"/
PARAM: /\$[A-Za-z0-9_]+/
NUMBER: /-?\d+(\.\d+)?/
NAME: /[A-Za-z_][A-Za-z0-9_]*/
%ignore /[ \t\r\n]+/
"""

#: What each terminal means to a person reading an error message.
_TERMINALS = {
    "ACTION": "INCLUDE or EXCLUDE", "NAME": "a field such as Items.GENRES", "WHERE": "WHERE", "IF": "IF", "AND": "AND",
    "OR": "OR", "IN_OP": "IN or NOT IN", "CMP_OP": "an operator (=, <, <=, >, >=)", "PIPE": "|",
    "DOT": ".", "LPAR": "(", "RPAR": ")", "COMMA": ",", "STAR": "*", "STRING": 'a quoted value such as "Comedy"',
    "PARAM": "a $PARAMETER", "NUMBER": "a number", "$END": "the end of the expression",
}


class FilterError(ValueError):
    """A filter expression or filter value the service would refuse; the message says why and where."""


# -- the parsed form ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Value:
    kind: str  # "string", "param", "star", "number" or "current" (CurrentItem.<FIELD>)
    text: str  # the string without quotes, the parameter without $, the number as written, the field
    column: int


@dataclass(frozen=True)
class Condition:
    dataset: str
    field: str
    op: str
    values: tuple[Value, ...]
    column: int

    @property
    def name(self) -> str:
        return f"{self.dataset}.{self.field}"

    @property
    def is_list(self) -> bool:
        return self.op in (IN, NOT_IN)


@dataclass(frozen=True)
class Expression:
    """One INCLUDE/EXCLUDE part: WHERE as OR of AND groups, and the optional IF (an AND group)."""

    action: str
    where: tuple[tuple[Condition, ...], ...]
    when: tuple[Condition, ...]
    column: int

    @property
    def conditions(self) -> tuple[Condition, ...]:
        return tuple(c for group in self.where for c in group) + self.when

    @property
    def dataset(self) -> str:
        return self.where[0][0].dataset

    @property
    def parameters(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(v.text for c in self.conditions for v in c.values if v.kind == "param"))


@dataclass(frozen=True)
class Parameter:
    """A $PARAM of a filter: a value list (IN) or a number (comparison); INCLUDE parameters are required."""

    name: str
    kind: str
    required: bool


@dataclass(frozen=True)
class FilterExpression:
    text: str
    expressions: tuple[Expression, ...]

    @cached_property
    def parameters(self) -> tuple[Parameter, ...]:
        found: dict[str, Parameter] = {}
        for e in self.expressions:
            for c in e.conditions:
                for v in c.values:
                    if v.kind != "param":
                        continue
                    kind = LIST if c.is_list else NUMBER
                    old = found.get(v.text)
                    required = e.action == INCLUDE or (old is not None and old.required)
                    found[v.text] = Parameter(v.text, old.kind if old else kind, required)
        return tuple(found.values())

    @property
    def per_user(self) -> bool:
        """True when the result depends on the user (interactions or an IF on CurrentUser)."""
        return any(e.dataset == INTERACTIONS or e.when for e in self.expressions)

    @cached_property
    def uses_current_item(self) -> bool:
        """True when a condition compares with CurrentItem.<FIELD>: the result depends on the itemId."""
        return any(v.kind == "current" for e in self.expressions for c in e.conditions for v in c.values)


# -- parsing -----------------------------------------------------------------------------------
@v_args(inline=True)
class _Build(Transformer[Token, Any]):
    def start(self, *parts: Any) -> tuple[Expression, ...]:
        return tuple(p for p in parts if isinstance(p, Expression))

    def expression(self, action: Token, entity: Token, _where: Token, where: Any,
                   when: Any = None) -> Expression:
        if entity.value != "ItemID":
            if entity.value.lower() == "actionid":
                raise FilterError(f"ActionID at column {entity.column}: {ACTIONS_REFUSAL}. Filter items with "
                                  "INCLUDE ItemID ... or EXCLUDE ItemID ...")
            if entity.value.lower() == "userid":
                raise FilterError(f"{entity.value} at column {entity.column}: local campaigns recommend items, "
                                  "so filters must be INCLUDE ItemID ... or EXCLUDE ItemID ...")
            raise FilterError(f"Expected ItemID after {action.value.upper()} at column {entity.column}, "
                              f'found "{entity.value}".')
        return Expression(action.value.upper(), where, when or (), action.column)

    def if_clause(self, _if: Token, group: tuple[Condition, ...]) -> tuple[Condition, ...]:
        return group

    def or_group(self, *parts: Any) -> tuple[tuple[Condition, ...], ...]:
        return tuple(p for p in parts if isinstance(p, tuple))

    def and_group(self, *parts: Any) -> tuple[Condition, ...]:
        return tuple(p for p in parts if isinstance(p, Condition))

    def field(self, dataset: Token, _dot: Token, name: Token) -> tuple[str, str, int]:
        canonical = next((d for d in DATASETS if d.lower() == dataset.value.lower()), None)
        if canonical is None:
            if dataset.value.lower() == CURRENT_ITEM.lower():
                raise FilterError(f"CurrentItem.{name.value} at column {dataset.column} stands for a value of the "
                                  "request's item: put it after the operator, e.g. "
                                  f"Items.{name.value} IN CurrentItem.{name.value}.")
            if dataset.value.lower() in _ACTION_DATASETS:
                raise FilterError(f"{dataset.value}.{name.value} at column {dataset.column}: {ACTIONS_REFUSAL}.")
            raise FilterError(f'Unknown dataset "{dataset.value}" at column {dataset.column}: use Items, '
                              f"Interactions or Users, or CurrentUser after IF.")
        return canonical, name.value, dataset.column

    def item_ref(self, dataset: Token, _dot: Token, name: Token) -> Value:
        if dataset.value.lower() != CURRENT_ITEM.lower():
            raise FilterError(f"{dataset.value}.{name.value} at column {dataset.column} cannot stand for a value: "
                              "only CurrentItem.<FIELD> (a field of the request's item) can, e.g. "
                              "Items.GENRES IN CurrentItem.GENRES.")
        return Value("current", name.value, int(dataset.column or 0))

    def in_condition(self, target: tuple[str, str, int], op: Token, values: tuple[Value, ...] | Value) -> Condition:
        dataset, name, column = target
        if isinstance(values, Value):  # IN CurrentItem.<FIELD>, without parentheses as the guide writes it
            values = (values,)
        if not values:
            raise FilterError(f"{dataset}.{name} {_op(op)} () at column {column} has no values: list at least "
                              'one quoted value or a $PARAMETER, e.g. ("Comedy").')
        return Condition(dataset, name, _op(op), values, column)

    def cmp_condition(self, target: tuple[str, str, int], op: Token, value: Value) -> Condition:
        dataset, name, column = target
        if op.value not in COMPARISONS:
            raise FilterError(f'Unknown operator "{op.value}" at column {op.column}: use IN, NOT IN, =, <, <=, '
                              "> or >=.")
        return Condition(dataset, name, op.value, (value,), column)

    def value_list(self, _lpar: Token, *parts: Any) -> tuple[Value, ...]:
        return tuple(p for p in parts if isinstance(p, Value))

    def value(self, token: Token | Value) -> Value:
        return token if isinstance(token, Value) else _value(token)

    def scalar(self, token: Token | Value) -> Value:
        return token if isinstance(token, Value) else _value(token)


_ACTION_DATASETS = ("actions", "action", "action_interactions")
#: Words that only action filters use, outside quoted values.
_ACTION_WORDS = re.compile(r"\bActionID\b|\b(?:Actions?|Action_Interactions)\s*\.", re.IGNORECASE)


def _action_filter(text: str) -> re.Match[str] | None:
    """Where the text names ActionID or an action dataset (quoted values ignored)."""
    return _ACTION_WORDS.search(re.sub(r'"[^"]*"', lambda m: " " * len(m.group(0)), text))


def _op(token: Token) -> str:
    return NOT_IN if token.value.upper().startswith("NOT") else IN


def _value(token: Token) -> Value:
    column = int(token.column or 0)
    if token.type == "STRING":
        return Value("string", token.value[1:-1], column)
    if token.type == "PARAM":
        return Value("param", token.value[1:], column)
    if token.type == "STAR":
        return Value("star", "*", column)
    return Value("number", token.value, column)


@cache
def _parser() -> Lark:
    return Lark(_GRAMMAR, parser="lalr", propagate_positions=False, maybe_placeholders=False)


def _found(token: Token) -> str:
    if token.type == "$END":
        return "the end of the expression"
    return f'"{token.value}"'


def _syntax_error(text: str, exc: UnexpectedInput) -> FilterError:
    column = int(getattr(exc, "column", 0) or 0)
    token = getattr(exc, "token", None)
    if token is not None and token.type == "$END":
        column = len(text.rstrip()) + 1
    if isinstance(exc, UnexpectedCharacters):
        char = text[exc.pos_in_stream] if exc.pos_in_stream is not None and exc.pos_in_stream < len(text) else ""
        if char == '"':
            return FilterError(f"Unterminated string at column {column}: close the value with a double quote.")
        if char == "'":
            return FilterError(f"Single quote at column {column}: quote values with double quotes, e.g. "
                               '("Comedy").')
        return FilterError(f'Unexpected character "{char}" at column {column}.')
    if isinstance(exc, UnexpectedToken):
        token = exc.token
        expected = {t for t in exc.expected if not t.startswith("__")}
        previous = getattr(exc, "token_history", None)
        if expected == {"WHERE"}:
            return FilterError(f"Missing WHERE at column {column}: write INCLUDE ItemID WHERE <Dataset>.<FIELD> "
                               f"..., found {_found(token)}.")
        if expected >= {"IN_OP", "CMP_OP"}:
            return FilterError(f"Expected an operator (IN, NOT IN, =, <, <=, >, >=) at column {column}, "
                               f"found {_found(token)}.")
        if token.type == "NUMBER" and "STRING" in expected:
            return FilterError(f"Unquoted value {token.value} at column {column}: values of IN are quoted "
                               f'strings, e.g. ("{token.value}"), or a $PARAMETER.')
        if token.type == "STRING" and "NUMBER" in expected:
            return FilterError(f"Comparisons take a number or a $PARAMETER, not the string {token.value} "
                               f"(column {column}).")
        if token.type == "$END" and not previous and not text.strip():
            return FilterError("The filter expression is empty: write e.g. "
                               'EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("watch").')
        wanted = " or ".join(sorted(_TERMINALS.get(t, t) for t in expected)) or "something else"
        return FilterError(f"Expected {wanted} at column {column}, found {_found(token)}.")
    if isinstance(exc, UnexpectedEOF):
        return FilterError("The filter expression ends too early.")
    return FilterError(str(exc))


def parse(text: str) -> FilterExpression:
    """The expressions of a filter, with every rule that needs no data checked; FilterError otherwise."""
    if not text or not text.strip():
        raise FilterError("The filter expression is empty: write e.g. "
                          'EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("watch").')
    if len(text) > 2500:
        raise FilterError("A filter expression has at most 2,500 characters.")
    action = _action_filter(text)
    if action is not None:  # refused as what it is, even where its syntax (e.g. "> ($VALUE)") is not ours
        raise FilterError(f"{action.group(0).rstrip(' .')} at column {action.start() + 1}: {ACTIONS_REFUSAL}. "
                          "Filter items with INCLUDE ItemID ... or EXCLUDE ItemID ...")
    try:
        tree = _parser().parse(text)
    except UnexpectedInput as exc:
        raise _syntax_error(text, exc) from None
    try:
        expressions = _Build().transform(tree)
    except Exception as exc:  # lark wraps errors raised in callbacks
        inner = getattr(exc, "orig_exc", exc)
        if isinstance(inner, FilterError):
            raise inner from None
        raise
    for e in expressions:
        _check_structure(e)
    fields = list({c.name.upper(): c.name for e in expressions for c in e.conditions}.values())
    if len(fields) > MAX_FIELDS:
        raise FilterError(f"A filter uses at most {MAX_FIELDS} distinct fields; this one uses {len(fields)}: "
                          f"{', '.join(fields)}.")
    return FilterExpression(text, expressions)


def _check_structure(e: Expression) -> None:
    first = e.where[0][0]
    for c in (c for group in e.where for c in group):
        if c.dataset == CURRENT_USER:
            raise FilterError(f"CurrentUser.{c.field} at column {c.column} can only be used in the IF condition at "
                              "the end of an expression, e.g. ... IF CurrentUser.AGE_GROUP IN (\"18-24\").")
        if c.dataset == USERS:
            raise FilterError(f"Users.{c.field} at column {c.column}: item filters check the user with IF "
                              f"CurrentUser.{c.field} ... (Users.<FIELD> in WHERE filters user segments).")
        if c.dataset != first.dataset:
            raise FilterError(f"{c.name} at column {c.column} mixes {c.dataset} with {first.dataset} in one "
                              f"expression: conditions joined by AND/OR must use the first condition's dataset. "
                              f"Chain a second expression with |, e.g. ... | EXCLUDE ItemID WHERE {c.name} ...")
        _check_values(c)
    for c in e.when:
        if c.dataset != CURRENT_USER:
            raise FilterError(f"The IF condition checks the current user only: use CurrentUser.<FIELD>, not "
                              f"{c.name} (column {c.column}).")
        _check_values(c)


def _check_values(c: Condition) -> None:
    current = next((v for v in c.values if v.kind == "current"), None)
    if current is not None and c.dataset != ITEMS:
        raise FilterError(f"CurrentItem.{current.text} at column {current.column} compares with the request's item, "
                          f"so only an Items field can use it, not {c.name}: e.g. Items.{current.text} IN "
                          f"CurrentItem.{current.text}.")
    if c.dataset == INTERACTIONS:
        if c.field.upper() != EVENT_TYPE:
            raise FilterError(f"Interactions.{c.field} at column {c.column}: interactions can be filtered by "
                              "EVENT_TYPE only.")
        if not c.is_list:
            raise FilterError(f"Interactions.EVENT_TYPE at column {c.column} takes IN or NOT IN, not {c.op}.")
    stars = [v for v in c.values if v.kind == "star"]
    if stars and (c.dataset != INTERACTIONS or len(c.values) > 1):
        raise FilterError(f"* at column {stars[0].column} means every event type: use it alone, as "
                          "Interactions.EVENT_TYPE IN (*).")


# -- checking against a dataset group ---------------------------------------------------------
@dataclass(frozen=True)
class Schema:
    """The fields a filter may name: field -> True when it is a number field (from the group's Avro
    schemas, scoring.schemas.filter_schema; else from the values); `unfilterable` maps
    "Items.FIELD" / "Users.FIELD" to why a filter cannot use it (textual, boolean)."""

    items: Mapping[str, bool] = field(default_factory=dict)
    users: Mapping[str, bool] = field(default_factory=dict)
    has_interactions: bool = True
    unfilterable: Mapping[str, str] = field(default_factory=dict)


def _resolve(fields: Mapping[str, bool], name: str) -> str | None:
    if name in fields:
        return name
    return next((f for f in fields if f.upper() == name.upper()), None)


def check(parsed: FilterExpression, schema: Schema) -> FilterExpression:
    """The filter with field names resolved to the group's columns; FilterError for unknown fields."""
    out = []
    for e in parsed.expressions:
        def fix(c: Condition) -> Condition:
            if c.dataset == INTERACTIONS:
                if not schema.has_interactions:
                    raise FilterError(f"Interactions.{c.field} at column {c.column}: this dataset group has no "
                                      "interactions.")
                return Condition(c.dataset, EVENT_TYPE, c.op, c.values, c.column)
            fields = schema.items if c.dataset == ITEMS else schema.users
            label = "Items" if c.dataset == ITEMS else "Users"
            if not fields:
                raise FilterError(f"{c.name} at column {c.column}: this dataset group has no {label} dataset.")
            name = _resolve(fields, c.field)
            if name is None or name in ("ITEM_ID", "USER_ID"):
                known = ", ".join(f for f in fields if f not in ("ITEM_ID", "USER_ID"))
                raise FilterError(f"{label} has no field {c.field} (column {c.column}); its fields are: {known}.")
            why = schema.unfilterable.get(f"{label}.{name}")
            if why:
                raise FilterError(f"{c.dataset}.{name} at column {c.column} {why}.")
            if not c.is_list and not fields[name]:
                raise FilterError(f"{c.dataset}.{name} at column {c.column} is not a number field, so {c.op} cannot "
                                  f"compare it: use IN or NOT IN with quoted values.")
            return Condition(c.dataset, name, c.op, tuple(_current_field(v, c, schema) for v in c.values), c.column)

        where = tuple(tuple(fix(c) for c in group) for group in e.where)
        out.append(Expression(e.action, where, tuple(fix(c) for c in e.when), e.column))
    return FilterExpression(parsed.text, tuple(out))


def _current_field(v: Value, c: Condition, schema: Schema) -> Value:
    """A CurrentItem.<FIELD> value with its field resolved to the Items column; other values as they are."""
    if v.kind != "current":
        return v
    name = _resolve(schema.items, v.text)
    if name is None or name == "ITEM_ID":
        known = ", ".join(f for f in schema.items if f != "ITEM_ID")
        raise FilterError(f"CurrentItem.{v.text} at column {v.column}: Items has no field {v.text}; its fields are: "
                          f"{known}.")
    if not c.is_list and not schema.items[name]:
        raise FilterError(f"CurrentItem.{name} at column {v.column} is not a number field, so {c.op} cannot compare "
                          f"with it: compare number fields, or use IN with a text field, e.g. Items.{name} IN "
                          f"CurrentItem.{name}.")
    return Value("current", name, v.column)


def compile_filter(text: str, schema: Schema) -> FilterExpression:
    return check(parse(text), schema)


# -- filter values ------------------------------------------------------------------------------
_QUOTED_LIST = re.compile(r'\s*"[^"]*"\s*(?:,\s*"[^"]*"\s*)*')
_QUOTED = re.compile(r'"([^"]*)"')
_PARAM_REF = re.compile(r"\$([A-Za-z0-9_]+)")


def parse_list_value(name: str, raw: str) -> list[str]:
    """A filterValues entry for IN: double-quoted values joined by commas, strictly."""
    if not _QUOTED_LIST.fullmatch(raw or ""):
        raise FilterError(f'filterValues {name} must be double-quoted values separated by commas, e.g. '
                          f'"\\"Action\\",\\"Comedy\\""; got {raw[:80]!r}.')
    return _QUOTED.findall(raw)


def parse_number_value(name: str, raw: str) -> float:
    """A filterValues entry for a comparison: a number, quoted or not."""
    text = (raw or "").strip()
    if len(text) >= 2 and text[0] == text[-1] == '"':
        text = text[1:-1].strip()
    try:
        value = float(text)
    except ValueError:
        raise FilterError(f"filterValues {name} must be a number for a comparison; got {raw[:80]!r}.") from None
    if not np.isfinite(value):
        raise FilterError(f"filterValues {name} must be a finite number; got {raw[:80]!r}.")
    return value


def filter_values_from_text(text: str, kind: str = LIST) -> str:
    """The console's comma-separated input as the request's filterValues entry.

    List parameters: `Action, Comedy` -> `"Action","Comedy"`; number parameters: `2000` -> `2000`.
    Empty input -> "" (the caller leaves the parameter out).
    """
    if kind == NUMBER:
        text = (text or "").strip()
        if text:
            parse_number_value("value", text)
        return text
    values = [v.strip() for v in (text or "").split(",") if v.strip()]
    bad = next((v for v in values if '"' in v), None)
    if bad is not None:
        raise FilterError(f"The value {bad!r} contains a double quote, which filter values cannot hold.")
    return ",".join(f'"{v}"' for v in values)


def text_from_filter_value(raw: str, kind: str = LIST) -> str:
    """The inverse of `filter_values_from_text`, for filling the form from a request."""
    if kind == LIST and _QUOTED_LIST.fullmatch(raw or ""):
        return ", ".join(_QUOTED.findall(raw))
    return (raw or "").strip().strip('"')


def parameters_of(text: str) -> tuple[Parameter, ...]:
    """The $PARAMs of any filter expression; for one this parser refuses (a live filter), a best guess."""
    try:
        return parse(text).parameters
    except FilterError:
        out: dict[str, Parameter] = {}
        for m in _PARAM_REF.finditer(text or ""):
            before = text[:m.start()].rstrip()
            kind = LIST if before.endswith(("(", ",")) else NUMBER
            out.setdefault(m.group(1), Parameter(m.group(1), kind, "INCLUDE" in text.upper()))
        return tuple(out.values())


def uses_current_item(text: str) -> bool:
    """True when a filter expression compares with CurrentItem.<FIELD> (a best guess for one this parser
    refuses, e.g. a live filter): such a filter needs the request's itemId."""
    try:
        return parse(text).uses_current_item
    except FilterError:
        return re.search(r"\bCurrentItem\s*\.", text or "", re.IGNORECASE) is not None


# -- evaluation --------------------------------------------------------------------------------
def _split_cells(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """(row of each part, part) for cells holding "A|B": one entry per value."""
    text = values.fillna("").astype(str)
    parts = text.str.split("|")
    lengths = parts.str.len().to_numpy()
    rows = np.repeat(np.arange(len(text)), lengths)
    flat = np.asarray([p for cell in parts for p in cell], dtype=object)
    return rows, flat


def _numbers(values: pd.Series) -> np.ndarray:
    return pd.to_numeric(values, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)


def numeric_fields(frame: pd.DataFrame | None) -> dict[str, bool]:
    """field -> True when every non-empty value is a number (a field that comparisons accept)."""
    if frame is None:
        return {}
    out = {}
    for column in frame.columns:
        values = frame[column]
        if pd.api.types.is_numeric_dtype(values):
            out[str(column)] = True
            continue
        text = values.astype(str).str.strip()
        filled = text[text != ""]
        out[str(column)] = bool(len(filled)) and bool(pd.to_numeric(filled, errors="coerce").notna().all())
    return out


_COMPARE: dict[str, Callable[[np.ndarray, float], np.ndarray]] = {
    "=": np.equal, "<": np.less, "<=": np.less_equal, ">": np.greater, ">=": np.greater_equal,
}


class FilterData:
    """A dataset group's data as filters read it, aligned to the model's item rows, loaded lazily."""

    def __init__(self, item_ids: np.ndarray, items: pd.DataFrame | None,
                 load_users: Callable[[], pd.DataFrame | None],
                 load_interactions: Callable[[], pd.DataFrame | None],
                 recorded: Callable[[str], pd.DataFrame] | None = None,
                 recorded_version: Callable[[str], object] | None = None,
                 schema: Callable[[], Schema] | None = None) -> None:
        """`recorded(user_id)`: the user's events recorded with PutEvents (EventStore.history), which
        Interactions filters see at once, as Personalize's do; `recorded_version(user_id)` changes
        when they change (cached masks of that user are then recomputed). `schema()`: the field types
        filters are checked against (the group's Avro schemas); without it, guessed from the values."""
        self.item_ids = np.asarray(item_ids).astype(str)
        self.n = len(self.item_ids)
        self._items = items
        self._load_users = load_users
        self._load_interactions = load_interactions
        self._recorded = recorded
        self.recorded_version = recorded_version
        self._schema = schema
        self._lock = threading.Lock()
        self._columns: dict[tuple[str, str], Any] = {}

    @cached_property
    def items(self) -> pd.DataFrame | None:
        if self._items is None:
            return None
        frame = self._items.drop_duplicates("ITEM_ID").set_index("ITEM_ID", drop=False)
        return frame.reindex(pd.Index(self.item_ids))

    @cached_property
    def users(self) -> pd.DataFrame | None:
        frame = self._load_users()
        if frame is None:
            return None
        frame = frame.astype({"USER_ID": str})
        return frame.drop_duplicates("USER_ID").set_index("USER_ID", drop=False)

    @cached_property
    def schema(self) -> Schema:
        if self._schema is not None:
            return self._schema()
        users = self._load_users()
        return Schema(items=numeric_fields(self._items), users=numeric_fields(users),
                      has_interactions=True)

    @cached_property
    def recent_events(self) -> tuple[dict[str, tuple[int, int]], np.ndarray, np.ndarray]:
        """Per user, the 100 most recent interactions per event type: (user -> slice, events, item rows)."""
        frame = self._load_interactions()
        if frame is None or frame.empty:
            return {}, np.empty(0, dtype=object), np.empty(0, dtype=np.int64)
        events = (frame["EVENT_TYPE"].astype(str).str.lower() if "EVENT_TYPE" in frame
                  else pd.Series("", index=frame.index))
        table = pd.DataFrame({"user": frame["USER_ID"].astype(str).to_numpy(), "event": events.to_numpy(),
                              "time": frame["TIMESTAMP"].to_numpy() if "TIMESTAMP" in frame else 0,
                              "row": pd.Index(self.item_ids).get_indexer(frame["ITEM_ID"].astype(str))})
        table = table.sort_values(["user", "event", "time"], ascending=[True, True, False], kind="mergesort")
        table = table[table.groupby(["user", "event"], sort=False).cumcount() < RECENT_INTERACTIONS]
        table = table[table["row"] >= 0]
        users = table["user"].to_numpy()
        starts = np.flatnonzero(np.r_[True, users[1:] != users[:-1]]) if len(users) else np.empty(0, int)
        stops = np.r_[starts[1:], len(users)]
        spans = {str(users[s]): (int(s), int(e)) for s, e in zip(starts, stops, strict=True)}
        return spans, table["event"].to_numpy(), table["row"].to_numpy(dtype=np.int64)

    def _item_parts(self, column: str) -> tuple[np.ndarray, np.ndarray]:
        key = ("parts", column)
        with self._lock:
            if key not in self._columns:
                assert self.items is not None
                self._columns[key] = _split_cells(self.items[column])
            return self._columns[key]  # type: ignore[no-any-return]

    def _item_numbers(self, column: str) -> np.ndarray:
        key = ("numbers", column)
        with self._lock:
            if key not in self._columns:
                assert self.items is not None
                self._columns[key] = _numbers(self.items[column])
            return self._columns[key]  # type: ignore[no-any-return]

    # -- one condition ---------------------------------------------------------------------------
    def item_mask(self, c: Condition, wanted: list[str] | float, user_id: str | None) -> np.ndarray:
        if c.dataset == INTERACTIONS:
            return self._interaction_mask(c, wanted, user_id)  # type: ignore[arg-type]
        if c.is_list:
            rows, parts = self._item_parts(c.field)
            mask = np.zeros(self.n, dtype=bool)
            mask[rows[np.isin(parts, np.asarray(wanted, dtype=object))]] = True
            return ~mask if c.op == NOT_IN else mask
        numbers = self._item_numbers(c.field)
        with np.errstate(invalid="ignore"):
            return _COMPARE[c.op](numbers, float(wanted))  # type: ignore[arg-type]

    def _interaction_mask(self, c: Condition, wanted: list[str], user_id: str | None) -> np.ndarray:
        mask = np.zeros(self.n, dtype=bool)
        spans, events, rows = self.recent_events
        span = spans.get(str(user_id)) if user_id is not None else None
        user_events, user_rows = (events[span[0]:span[1]], rows[span[0]:span[1]]) if span is not None \
            else (events[:0], rows[:0])
        if user_id is not None and self._recorded is not None:
            user_events, user_rows = self._with_recorded(str(user_id), user_events, user_rows)
        if not len(user_rows):
            return mask
        if "*" in wanted:
            hit = np.ones(len(user_rows), dtype=bool)
        else:
            hit = np.isin(user_events, np.asarray([w.lower() for w in wanted], dtype=object))
        if c.op == NOT_IN:
            hit = ~hit
        mask[user_rows[hit]] = True
        return mask

    def _with_recorded(self, user_id: str, user_events: np.ndarray,
                       user_rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The user's recent interactions plus the events recorded since, still the 100 most recent
        per event type (recorded events are the newest)."""
        assert self._recorded is not None
        recorded = self._recorded(user_id)
        if recorded.empty:
            return user_events, user_rows
        newest = recorded.iloc[::-1]
        rec_rows = pd.Index(self.item_ids).get_indexer(newest["ITEM_ID"].astype(str))
        keep = rec_rows >= 0
        rec_events = newest["EVENT_TYPE"].astype(str).str.lower().to_numpy()[keep]
        merged = pd.DataFrame({"event": np.concatenate([rec_events, user_events]),
                               "row": np.concatenate([rec_rows[keep], user_rows])})
        merged = merged[merged.groupby("event", sort=False).cumcount() < RECENT_INTERACTIONS]
        return merged["event"].to_numpy(), merged["row"].to_numpy(dtype=np.int64)

    def current_item(self, item_id: str) -> CurrentItem:
        """The request's item for CurrentItem.<FIELD>, read from the Items data (model items or not)."""
        if self._items is None:
            return CurrentItem(item_id, None)
        frame = self._current_rows
        return CurrentItem(item_id, frame.loc[item_id].to_dict() if item_id in frame.index else None)

    @cached_property
    def _current_rows(self) -> pd.DataFrame:
        assert self._items is not None
        frame = self._items.drop_duplicates("ITEM_ID")
        return frame.set_index(frame["ITEM_ID"].astype(str), drop=False)

    def user_matches(self, c: Condition, wanted: list[str] | float, user_id: str | None) -> bool:
        """An IF condition on CurrentUser; False for a user the Users data does not know."""
        users = self.users
        if users is None or user_id is None or str(user_id) not in users.index:
            return False
        cell = users.at[str(user_id), c.field]
        if c.is_list:
            parts = set(str(cell).split("|")) if str(cell) != "" else set()
            hit = bool(parts & set(wanted))  # type: ignore[arg-type]
            return not hit if c.op == NOT_IN else hit
        number = pd.to_numeric(pd.Series([cell]), errors="coerce").iloc[0]
        return bool(pd.notna(number) and _COMPARE[c.op](np.float64(number), float(wanted)))  # type: ignore[arg-type]


@dataclass(frozen=True)
class FilterMask:
    """Which model items pass, and whether items outside the model pass (only when no INCLUDE applied)."""

    mask: np.ndarray
    unknown_items_pass: bool

    def passes(self, rows: np.ndarray) -> np.ndarray:
        """For item rows (-1 for items the model does not know): True where the item passes."""
        rows = np.asarray(rows, dtype=np.int64)
        out = np.full(rows.shape, self.unknown_items_pass, dtype=bool)
        known = rows >= 0
        out[known] = self.mask[rows[known]]
        return out


def _resolved(c: Condition, values: Mapping[str, str],
              current: CurrentItem | None = None) -> list[str] | float | None:
    """The condition's values with parameters and CurrentItem fields filled in; None when a parameter
    is missing."""
    if c.is_list:
        out: list[str] = []
        for v in c.values:
            if v.kind == "param":
                if v.text not in values:
                    return None
                out += parse_list_value(v.text, values[v.text])
            elif v.kind == "current":
                assert current is not None
                out += current.values(v.text)
            else:
                out.append(v.text)
        return out
    v = c.values[0]
    if v.kind == "param":
        if v.text not in values:
            return None
        return parse_number_value(v.text, values[v.text])
    if v.kind == "current":
        assert current is not None
        return current.number(v.text)
    return float(v.text)


@dataclass(frozen=True)
class CurrentItem:
    """The request's item as CurrentItem.<FIELD> reads it: its Items row, or nothing for an unknown item.

    An item the Items data does not know has no values, so a condition on it matches no item (what
    Personalize does then is not documented).
    """

    item_id: str
    row: Mapping[str, Any] | None

    def values(self, name: str) -> list[str]:
        cell = "" if self.row is None else self.row.get(name)
        text = "" if cell is None or (isinstance(cell, float) and np.isnan(cell)) else str(cell)
        return [part for part in text.split("|") if part != ""]

    def number(self, name: str) -> float:
        cell = None if self.row is None else self.row.get(name)
        value = pd.to_numeric(pd.Series([cell]), errors="coerce").iloc[0]
        return float(value) if pd.notna(value) else float("nan")


class Evaluator:
    """Masks of checked filters over one group's data, cached per (filter, values, user)."""

    def __init__(self, data: FilterData, cache_size: int = 512) -> None:
        self.data = data
        self._cache: OrderedDict[tuple[Any, ...], FilterMask] = OrderedDict()
        self._size = cache_size
        self._lock = threading.Lock()

    def compile(self, text: str) -> FilterExpression:
        return _compiled(self.data, text)

    def mask(self, text: str, values: Mapping[str, str] | None, user_id: str | None,
             filter_name: str = "The filter", *, item_id: str | None = None) -> FilterMask:
        """The filter's mask for one request. `item_id` is the request's item (related-items recipes
        and item-based recommenders): CurrentItem.<FIELD> reads it; a CurrentItem filter without one
        is refused."""
        compiled = self.compile(text)
        values = dict(values or {})
        if compiled.uses_current_item and not item_id:
            raise FilterError(f"{filter_name} compares with CurrentItem, which is the request's itemId: "
                              f"{CURRENT_ITEM_RECIPES}")
        key: tuple[Any, ...] = (text, tuple(sorted(values.items())), user_id if compiled.per_user else None,
                                item_id if compiled.uses_current_item else None)
        if compiled.per_user and user_id is not None and self.data.recorded_version is not None:
            key += (self.data.recorded_version(user_id),)
        with self._lock:
            hit = self._cache.get(key)
            if hit is not None:
                self._cache.move_to_end(key)
                return hit
        current = self.data.current_item(str(item_id)) if compiled.uses_current_item else None
        result = self._evaluate(compiled, values, user_id, filter_name, current)
        with self._lock:
            self._cache[key] = result
            while len(self._cache) > self._size:
                self._cache.popitem(last=False)
        return result

    def _evaluate(self, compiled: FilterExpression, values: Mapping[str, str], user_id: str | None,
                  filter_name: str, current: CurrentItem | None = None) -> FilterMask:
        n = self.data.n
        include: np.ndarray | None = None
        exclude = np.zeros(n, dtype=bool)
        for e in compiled.expressions:
            missing = [p for p in e.parameters if p not in values]
            if missing:
                if e.action == INCLUDE:
                    raise FilterError(f"{filter_name} needs a value for ${missing[0]}: add filterValues "
                                      f"{{\"{missing[0]}\": ...}} to the request (INCLUDE expressions need every "
                                      "parameter).")
                continue  # an EXCLUDE without its parameter is skipped, as Personalize does
            if e.when and not all(self.data.user_matches(c, _resolved(c, values), user_id)  # type: ignore[arg-type]
                                  for c in e.when):
                continue
            part = np.zeros(n, dtype=bool)
            for group in e.where:
                both = np.ones(n, dtype=bool)
                for c in group:
                    both &= self.data.item_mask(c, _resolved(c, values, current), user_id)  # type: ignore[arg-type]
                part |= both
            if e.action == INCLUDE:
                include = part if include is None else include | part
            else:
                exclude |= part
        mask = (np.ones(n, dtype=bool) if include is None else include) & ~exclude
        mask.setflags(write=False)
        return FilterMask(mask, include is None)


def _compiled(data: FilterData, text: str) -> FilterExpression:
    cache_ = data._columns  # the data object lives as long as the group: cache compiled text there
    key = ("compiled", text)
    with data._lock:
        found = cache_.get(key)
    if found is None:
        found = compile_filter(text, data.schema)
        with data._lock:
            cache_[key] = found
    return found  # type: ignore[no-any-return]


def describe_parameters(params: Iterable[Parameter]) -> Sequence[str]:
    """One line per parameter for the UI: name, what it takes, required or optional."""
    out = []
    for p in params:
        what = "comma-separated values" if p.kind == LIST else "a number"
        out.append(f"${p.name}: {what}, {'required' if p.required else 'optional (skipped when empty)'}")
    return out


# -- on any control client (local or live) -----------------------------------------------------
def list_filters(control: Any, dataset_group_arn: str | None, max_pages: int = 20) -> list[dict[str, Any]]:
    """Every FilterSummary of a dataset group, following nextToken (ListFilters' key is "Filters")."""
    if not dataset_group_arn:
        return []
    out: list[dict[str, Any]] = []
    params: dict[str, Any] = {"datasetGroupArn": dataset_group_arn, "maxResults": 100}
    for _ in range(max_pages):
        page = control.list_filters(**params)
        out += page.get("Filters", [])
        if not page.get("nextToken"):
            break
        params["nextToken"] = page["nextToken"]
    return sorted(out, key=lambda f: str(f.get("name", "")))


def dataset_fields(control: Any, dataset_group_arn: str | None) -> dict[str, list[str]]:
    """Fields of each dataset of a group (Interactions, Items, Users), from DescribeSchema."""
    import json

    if not dataset_group_arn:
        return {}
    out: dict[str, list[str]] = {}
    for d in control.list_datasets(datasetGroupArn=dataset_group_arn).get("datasets", []):
        described = control.describe_dataset(datasetArn=d["datasetArn"])["dataset"]
        schema = json.loads(control.describe_schema(schemaArn=described["schemaArn"])["schema"]["schema"])
        kind = str(d.get("datasetType", "")).capitalize()
        out[kind] = [f["name"] for f in schema.get("fields", [])]
    return out
