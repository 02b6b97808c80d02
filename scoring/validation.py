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
    shape = _input_shape(service, operation)
    validate_parameters(dict(params), shape)
    problems = _bools_as_numbers(params, shape, "")
    if problems:
        raise ParamValidationError(report="\n".join(problems))


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
