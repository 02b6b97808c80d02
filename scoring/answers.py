"""Answers from a live endpoint checked against the shape the Personalize API promises.

A shared link or a typo can point the console at a server that is not Amazon Personalize.
botocore parses whatever JSON comes back: a missing member is simply absent (then a page's
`response["campaign"]` is a KeyError) and a wrong type fails deep in its parser as an
AttributeError or ValueError. `CheckedClient` wraps a boto3 client so that any such answer
becomes one `MalformedAnswer` naming the endpoint and the operation, which
`scoring.errors.explain` turns into a clear message.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from botocore.model import Shape

#: Members the console reads from each answer ("a[].b": member b of every entry of list a).
REQUIRED: dict[str, tuple[str, ...]] = {
    "ListCampaigns": ("campaigns[].campaignArn", "campaigns[].name"),
    "DescribeCampaign": ("campaign", "campaign.campaignArn", "campaign.name"),
    "DescribeSolutionVersion": ("solutionVersion",),
    "DescribeRecipe": ("recipe",),
    "ListFilters": ("Filters[].filterArn", "Filters[].name"),
    "DescribeFilter": ("filter", "filter.filterArn", "filter.name"),
    "ListDatasets": ("datasets[].datasetArn",),
    "DescribeDataset": ("dataset", "dataset.schemaArn"),
    "DescribeSchema": ("schema", "schema.schema"),
    "ListSolutions": ("solutions[].solutionArn",),
    "GetRecommendations": ("itemList[].itemId",),
    "GetPersonalizedRanking": ("personalizedRanking[].itemId",),
}

_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,), "integer": (int,), "long": (int,), "float": (float, int), "double": (float, int),
    "boolean": (bool,), "timestamp": (dt.datetime,),
    "structure": (dict,), "list": (list,), "map": (dict,),
}


class MalformedAnswer(Exception):
    """The endpoint answered, but not with what the API promises for this operation."""

    def __init__(self, endpoint: str, operation: str, detail: str) -> None:
        super().__init__(f"{endpoint} answered {operation} with something that is not an Amazon "
                         f"Personalize answer ({detail}).")
        self.endpoint, self.operation, self.detail = endpoint, operation, detail


def problems(response: Any, shape: Shape | None, operation: str) -> list[str]:
    """What is wrong with a parsed answer: wrong types anywhere, missing required members."""
    out = _type_problems(response, shape, "") if shape is not None else []
    for path in REQUIRED.get(operation, ()):
        out += _missing(response, path.split("."), "")
    return out


def _type_problems(value: Any, shape: Shape, where: str) -> list[str]:
    if value is None:
        return []
    kind = shape.type_name
    allowed = _TYPES.get(kind)
    if allowed is not None and (not isinstance(value, allowed) or (kind != "boolean" and isinstance(value, bool))):
        return [f"{where or 'the answer'} is a {type(value).__name__}, not a {kind}"]
    out: list[str] = []
    if kind == "structure":
        for name, member in shape.members.items():  # type: ignore[attr-defined]
            if name in value:
                out += _type_problems(value[name], member, f"{where}.{name}" if where else name)
    elif kind == "list":
        for i, entry in enumerate(value[:1000]):
            out += _type_problems(entry, shape.member, f"{where}[{i}]")  # type: ignore[attr-defined]
    elif kind == "map":
        for key, entry in list(value.items())[:1000]:
            out += _type_problems(entry, shape.value, f"{where}.{key}")  # type: ignore[attr-defined]
    return out[:5]


def _missing(value: Any, parts: list[str], where: str) -> list[str]:
    if not parts:
        return []
    head, rest = parts[0], parts[1:]
    is_list = head.endswith("[]")
    name = head[:-2] if is_list else head
    here = f"{where}.{name}" if where else name
    if not isinstance(value, Mapping) or value.get(name) is None:
        return [] if is_list and isinstance(value, Mapping) else [f"{here} is missing"]
    child = value[name]
    if is_list:
        if not isinstance(child, list):
            return [f"{here} is not a list"]
        return [p for i, entry in enumerate(child[:1000]) for p in _missing(entry, rest, f"{here}[{i}]")][:5]
    return _missing(child, rest, here)


class CheckedClient:
    """A boto3 client whose API calls return only answers shaped as the API promises."""

    def __init__(self, client: Any, endpoint: str) -> None:
        self._client = client
        self._endpoint = endpoint

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._client, name)
        operation = self._client.meta.method_to_api_mapping.get(name)
        if operation is None or not callable(attr):
            return attr  # exceptions, meta, get_paginator, close, ...

        def call(*args: Any, **kwargs: Any) -> Any:
            try:
                response = attr(*args, **kwargs)
            except (BotoCoreError, ClientError):
                raise  # botocore's own errors say what they are
            except (AttributeError, TypeError, ValueError, KeyError, IndexError) as exc:
                # botocore's parser fails like this on an answer of the wrong shape.
                raise MalformedAnswer(self._endpoint, operation, "its JSON does not fit the "
                                      f"response's shape: {type(exc).__name__}: {exc}") from None
            shape = self._client.meta.service_model.operation_model(operation).output_shape
            found = problems(response, shape, operation)
            if found:
                raise MalformedAnswer(self._endpoint, operation, "; ".join(found[:3]))
            return response

        call.__name__ = name
        return call
