"""The limits Amazon Personalize enforces server-side, enforced the same way locally.

boto3 checks only required fields, types and minimums (we run that same check first, so a
local client raises ParamValidationError exactly where boto3 would). Everything else, like
numResults > 500 or a context key with a space, the service rejects with InvalidInputException
and a "1 validation error detected" message; these functions return those messages.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from functools import cache
from typing import Any

from botocore.exceptions import ParamValidationError
from botocore.model import Shape
from botocore.utils import is_json_value_header
from botocore.validate import validate_parameters

from scoring import arns
from scoring.service_models import service_model

MAX_RESULTS = 500
MAX_RESULTS_WITH_METADATA = 50
MAX_INPUT_LIST = 500
MAX_ID = 256
MAX_CONTEXT = 150
MAX_CONTEXT_KEY = 150
MAX_VALUE = 1000
MAX_FILTER_VALUES = 25
MAX_FILTER_KEY = 50
MAX_METADATA_COLUMNS = 10
MAX_PROMOTIONS = 1

_CONTEXT_KEY = re.compile(r"[A-Za-z\d_]+")
_NAME = re.compile(r"[a-zA-Z0-9][a-zA-Z0-9\-_]*")
MAX_NAME = 63
_FILTER_KEY = re.compile(r"[A-Za-z0-9_]+")


@cache
def _input_shape(service: str, operation: str) -> Shape:
    """Loaded once per operation: reading botocore's model files costs milliseconds."""
    return service_model(service).operation_model(operation).input_shape


def check_boto3_params(service: str, operation: str, params: Mapping[str, Any]) -> None:
    """Raise botocore's ParamValidationError for what boto3 itself would refuse to send.

    Plus one thing botocore lets through because Python's bool is an int: `true` where the
    model wants a number (`"numResults": true` is not 1 on the wire, and AWS refuses it).
    """
    if plainly_valid(_plan(service, operation), params):
        return  # what botocore's validator would accept, checked without walking its shapes
    shape = _input_shape(service, operation)
    validate_parameters(dict(params), shape)
    problems = _bools_as_numbers(params, shape, "")
    if problems:
        raise ParamValidationError(report="\n".join(problems))


#: A member kind the quick check reads: (kind, shortest length or smallest value, or None).
_Kind = tuple[str, "int | float | None"]


def _smallest(shape: Shape) -> int | float | None:
    """The `min` botocore's range_check enforces on a shape (a host label has an implicit 1)."""
    if "min" in shape.metadata:
        return shape.metadata["min"]  # type: ignore[no-any-return]
    return 1 if getattr(shape, "serialization", {}).get("hostLabel") else None


def _kind(shape: Shape) -> tuple[str, Any]:
    """How the quick check reads one member: a plain string, integer, boolean, string map or
    string list with its bounds; "other" (left to botocore) for anything else."""
    simple = shape.type_name in ("string", "integer", "long", "boolean") and not is_json_value_header(shape)
    if simple:
        return shape.type_name, _smallest(shape)
    if shape.type_name == "map":
        key, value = shape.key, shape.value  # type: ignore[attr-defined]
        if {key.type_name, value.type_name} == {"string"} and not (
                is_json_value_header(key) or is_json_value_header(value)):
            return "string_map", (_smallest(shape), _smallest(key), _smallest(value))
    if shape.type_name == "list":
        member = shape.member  # type: ignore[attr-defined]
        if member.type_name == "string" and not is_json_value_header(member):
            return "string_list", (_smallest(shape), _smallest(member))
    return "other", None


@cache
def _plan(service: str, operation: str) -> tuple[dict[str, tuple[str, Any]], frozenset[str]] | None:
    """Each input member's kind and the required members; None when the input shape is one the
    quick check does not read (a union or a document)."""
    shape = _input_shape(service, operation)
    if shape.is_tagged_union or shape.is_document_type:  # type: ignore[attr-defined]
        return None
    kinds = {name: _kind(member) for name, member in shape.members.items()}  # type: ignore[attr-defined]
    return kinds, frozenset(shape.metadata.get("required", []))


def _at_least(value: int | float, smallest: int | float | None) -> bool:
    return smallest is None or value >= smallest


def plainly_valid(plan: tuple[dict[str, tuple[str, Any]], frozenset[str]] | None,
                  params: Mapping[str, Any]) -> bool:
    """True only when botocore's validator would accept `params` and no bool stands for a number:
    every member known, required ones present, plain Python types of the member's kind (an exact
    `str`, `int` that is not a bool, `dict`, `list`) within their `min`. False means "ask
    botocore", which then names the problem or accepts what this check leaves to it.

    Why: botocore's validator walks its shape objects for every request, a few per cent of a
    local request's CPU; the usual request is a handful of strings and an integer."""
    if plan is None or type(params) is not dict:
        return False
    kinds, required = plan
    if not required.issubset(params):
        return False
    for name, value in params.items():
        kind, bound = kinds.get(name, ("other", None))
        t = type(value)
        if kind == "string":
            ok = t is str and _at_least(len(value), bound)
        elif kind in ("integer", "long"):
            ok = t is int and _at_least(value, bound)
        elif kind == "boolean":
            ok = t is bool
        elif kind == "string_map":
            size, key_min, value_min = bound
            ok = t is dict and _at_least(len(value), size) and all(
                type(k) is str and type(v) is str and _at_least(len(k), key_min) and _at_least(len(v), value_min)
                for k, v in value.items())
        elif kind == "string_list":
            size, member_min = bound
            ok = t is list and _at_least(len(value), size) and all(
                type(v) is str and _at_least(len(v), member_min) for v in value)
        else:
            ok = False
        if not ok:
            return False
    return True


_NUMBERS = frozenset({"integer", "long", "float", "double"})


def _bools_as_numbers(value: Any, shape: Shape, where: str) -> list[str]:
    """Every place where a JSON true/false stands for a number."""
    if isinstance(value, bool):
        if shape.type_name in _NUMBERS:
            return [f"Invalid type for parameter {where or 'input'}, value: {value}, type: "
                    f"<class 'bool'>, valid types: <class 'int'>"]
        return []
    problems: list[str] = []
    if shape.type_name == "structure" and isinstance(value, Mapping):
        for name, member in shape.members.items():  # type: ignore[attr-defined]
            if name in value:
                problems += _bools_as_numbers(value[name], member, f"{where}.{name}" if where else name)
    elif shape.type_name == "list" and isinstance(value, list):
        for i, entry in enumerate(value):
            problems += _bools_as_numbers(entry, shape.member, f"{where}[{i}]")  # type: ignore[attr-defined]
    elif shape.type_name == "map" and isinstance(value, Mapping):
        for key, entry in value.items():
            problems += _bools_as_numbers(entry, shape.value, f"{where}.{key}")  # type: ignore[attr-defined]
    return problems


def _constraint(value: object, where: str, rule: str) -> str:
    shown = value if isinstance(value, (int, float)) else str(value)[:80]
    return f"Value '{shown}' at '{where}' failed to satisfy constraint: {rule}"


def _length(value: str, where: str, limit: int) -> list[str]:
    if len(value) > limit:
        return [_constraint(value, where, f"Member must have length less than or equal to {limit}")]
    return []


def _arn(value: str | None, where: str) -> list[str]:
    if value is None:
        return []
    if len(value) > arns.MAX_ARN:
        return _length(value, where, arns.MAX_ARN)
    if not arns.is_valid(value):
        return [_constraint(value, where, "Member must satisfy regular expression pattern: "
                            "arn:([a-z\\d-]+):personalize:.*:.*:.+")]
    return []


def _map(values: Mapping[str, str] | None, where: str, max_entries: int, key_re: re.Pattern[str],
         max_key: int) -> list[str]:
    if not values:
        return []
    problems: list[str] = []
    if len(values) > max_entries:
        problems.append(_constraint(len(values), where,
                                    f"Map value must have length less than or equal to {max_entries}"))
    for key, value in values.items():
        if not key_re.fullmatch(key):
            problems.append(_constraint(key, f"{where}.{key}.member.key", "Member must satisfy regular "
                                        f"expression pattern: {key_re.pattern}"))
        problems += _length(key, f"{where}.{key}.member.key", max_key)
        problems += _length(value, f"{where}.{key}.member.value", MAX_VALUE)
    return problems


def _metadata(columns: Mapping[str, Iterable[str]] | None) -> list[str]:
    problems: list[str] = []
    for dataset, cols in (columns or {}).items():
        if dataset != "ITEMS":
            problems.append(f"metadataColumns supports only the ITEMS dataset, not '{dataset}'.")
        if len(list(cols)) > MAX_METADATA_COLUMNS:
            problems.append(_constraint(len(list(cols)), f"metadataColumns.{dataset}",
                                        f"Member must have length less than or equal to {MAX_METADATA_COLUMNS}"))
    return problems


def _common(params: Mapping[str, Any]) -> list[str]:
    problems = _arn(params.get("campaignArn"), "campaignArn")
    problems += _arn(params.get("filterArn"), "filterArn")
    if params.get("userId") is not None:
        problems += _length(params["userId"], "userId", MAX_ID)
    problems += _map(params.get("context"), "context", MAX_CONTEXT, _CONTEXT_KEY, MAX_CONTEXT_KEY)
    problems += _map(params.get("filterValues"), "filterValues", MAX_FILTER_VALUES, _FILTER_KEY,
                     MAX_FILTER_KEY)
    problems += _metadata(params.get("metadataColumns"))
    return problems


def name_problem(name: str, where: str) -> str | None:
    """A resource name (filter, promotion) as the service model constrains it, or None if valid."""
    if len(name) > MAX_NAME:
        return _summary(_length(name, where, MAX_NAME))
    if not _NAME.fullmatch(name):
        return _summary([_constraint(name, where, "Member must satisfy regular expression pattern: "
                                     "^[a-zA-Z0-9][a-zA-Z0-9\\-_]*")])
    return None


def _summary(problems: list[str]) -> str | None:
    if not problems:
        return None
    n = len(problems)
    return f"{n} validation error{'s' if n > 1 else ''} detected: " + "; ".join(problems)


def recommendations_problem(params: Mapping[str, Any]) -> str | None:
    """The InvalidInputException message for a GetRecommendations request, or None if valid."""
    problems = _common(params)
    problems += _arn(params.get("recommenderArn"), "recommenderArn")
    if params.get("itemId") is not None:
        problems += _length(params["itemId"], "itemId", MAX_ID)
    limit = MAX_RESULTS_WITH_METADATA if params.get("metadataColumns") else MAX_RESULTS
    num = params.get("numResults")
    if num is not None and num > limit:
        problems.append(_constraint(num, "numResults",
                                    f"Member must have value less than or equal to {limit}"))
    promotions = params.get("promotions") or []
    if len(promotions) > MAX_PROMOTIONS:
        problems.append(_constraint(len(promotions), "promotions",
                                    f"Member must have length less than or equal to {MAX_PROMOTIONS}"))
    for p in promotions:
        if p.get("name") is not None:
            problems += [m.split(": ", 1)[1] for m in [name_problem(p["name"], "promotions.member.name")] if m]
        percent = p.get("percentPromotedItems")
        if percent is not None and not 1 <= percent <= 100:
            problems.append(_constraint(percent, "promotions.member.percentPromotedItems",
                                        "Member must have value between 1 and 100"))
        problems += _arn(p.get("filterArn"), "promotions.member.filterArn")
        problems += _map(p.get("filterValues"), "promotions.member.filterValues", MAX_FILTER_VALUES,
                         _FILTER_KEY, MAX_FILTER_KEY)
    message = _summary(problems)
    if message is None and bool(params.get("campaignArn")) == bool(params.get("recommenderArn")):
        return "Provide exactly one of campaignArn or recommenderArn."
    return message


def ranking_problem(params: Mapping[str, Any]) -> str | None:
    """The InvalidInputException message for a GetPersonalizedRanking request, or None if valid."""
    problems = _common(params)
    items = params.get("inputList") or []
    limit = MAX_RESULTS_WITH_METADATA if params.get("metadataColumns") else MAX_INPUT_LIST
    if len(items) > limit:
        problems.append(_constraint(len(items), "inputList",
                                    f"Member must have length less than or equal to {limit}"))
    for item in items:
        problems += _length(item, "inputList.member", MAX_ID)
    return _summary(problems)
