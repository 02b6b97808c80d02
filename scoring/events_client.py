"""A local `personalize-events` client: PutEvents, PutItems and PutUsers as boto3 sends them.

Same method names, keyword arguments, response (an empty body: only ResponseMetadata) and
exception classes as `boto3.client("personalize-events")`. boto3's own client-side check runs
first (required members, types, minimums), then the limits the service enforces itself:
lists of 1-10, strings of at most 256 characters, `properties` a JSON *string* (an object) of at
most 1,024 (events), 32,000 (items) or 24,000 (users) characters, recommendationId at most 40,
at most 25 impression IDs, events of at most 10 KB, a known trackingId and datasetArn. An itemId
the catalogue does not know is accepted, as Personalize accepts it.

Accepted requests are appended durably to the group's EventStore before the call returns.
"""

from __future__ import annotations

import json
import math
import uuid
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from botocore.utils import parse_to_aware_datetime

from scoring import access, arns, errors, validation
from scoring.local_group import LocalGroup
from scoring.runtime_client import _response_metadata

SERVICE = "personalize-events"
MAX_LIST = 10
MAX_ID = 256
MAX_RECOMMENDATION_ID = 40
MAX_IMPRESSION = 25
MAX_EVENT_PROPERTIES = 1024
MAX_ITEM_PROPERTIES = 32000
MAX_USER_PROPERTIES = 24000
MAX_EVENT_BYTES = 10 * 1024

#: Keys an event's properties may not use: they are members of the event or request already.
RESERVED_PROPERTIES = frozenset({"userId", "sessionId", "eventType", "timestamp", "recommendationId",
                                 "impression"})

ACTIONS_REFUSED = ("{op}: action datasets belong to PERSONALIZED_ACTIONS (Next-Best-Action) dataset groups, "
                   "which local dataset groups do not have. Record item interactions with PutEvents instead.")


def _problem(value: object, where: str, rule: str) -> str:
    shown = value if isinstance(value, (int, float)) else str(value)[:80]
    return f"Value '{shown}' at '{where}' failed to satisfy constraint: {rule}"


def _max_length(value: Any, where: str, limit: int) -> list[str]:
    if isinstance(value, (str, list)) and len(value) > limit:
        return [_problem(value if isinstance(value, str) else len(value), where,
                         f"Member must have length less than or equal to {limit}")]
    return []


def _properties(text: Any, where: str, limit: int, *, event: bool) -> list[str]:
    """`properties` must be a JSON object in a string, within the size limit."""
    if text is None:
        return []
    problems = _max_length(text, where, limit)
    if problems:
        return problems
    try:
        value = json.loads(text)
    except ValueError as exc:
        return [f"{where} is not valid JSON ({exc}): send a JSON object as a string, "
                'e.g. properties=\'{"device": "mobile phone"}\'.']
    if not isinstance(value, dict):
        return [f"{where} must be a JSON object of property names to values, not a JSON "
                f"{type(value).__name__}."]
    reserved = sorted(RESERVED_PROPERTIES & set(value)) if event else []
    if reserved:
        return [f"{where} may not use the reserved key(s) {', '.join(reserved)}: they are members of "
                "the event or the request."]
    return []


def sent_at_seconds(value: Any) -> float:
    """sentAt as epoch seconds, whatever boto3 accepted (datetime, number or date string)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    when = value if isinstance(value, datetime) else parse_to_aware_datetime(value)
    if when.tzinfo is None:
        from datetime import UTC

        when = when.replace(tzinfo=UTC)
    return when.timestamp()


class LocalEventsClient:
    """Drop-in for `boto3.client("personalize-events")` on a local dataset group."""

    def __init__(self, group: LocalGroup) -> None:
        self.group = group
        self.exceptions = errors.service_exceptions(SERVICE)

    def _refuse_if_read_only(self, what: str, op: str) -> None:
        """A read-only console writes nothing (CONSOLE_READ_ONLY; see scoring.access)."""
        if access.read_only():
            raise self._error("AccessDeniedException", access.refusal(what), op)

    # -- boto3 API -----------------------------------------------------------------------
    def put_events(self, **params: Any) -> dict[str, Any]:
        """Record up to 10 events of one session (and user) at once; they count from the next call."""
        op = "PutEvents"
        validation.check_boto3_params(SERVICE, op, params)
        self._refuse_if_read_only("Recording events", op)
        problems = []
        for name in ("trackingId", "userId", "sessionId"):
            problems += _max_length(params.get(name), name, MAX_ID)
        events = list(params["eventList"])
        problems += _max_length(events, "eventList", MAX_LIST)
        stored: list[dict[str, Any]] = []
        for n, event in enumerate(events, 1):
            event_problems, row = self._event(event, f"eventList.{n}.member")
            problems += event_problems
            stored.append(row)
        self._invalid_if(problems, op)
        tracking_id = params["trackingId"]
        if self.group.event_tracker(tracking_id=tracking_id) is None:
            raise self._error(errors.NOT_FOUND, f"Event tracker with trackingId {tracking_id[:80]} does not "
                              f"exist in dataset group {self.group.arn}: call ListEventTrackers and "
                              "DescribeEventTracker for its trackingId.", op)
        self.group.events.record_events(tracking_id=tracking_id, session_id=params["sessionId"],
                                        user_id=params.get("userId"), events=stored)
        return {"ResponseMetadata": _response_metadata()}

    def put_items(self, **params: Any) -> dict[str, Any]:
        """Add or replace items (their properties are kept with the events until the next training)."""
        return self._put_records(params, "PutItems", "items", "itemId", "ITEMS", MAX_ITEM_PROPERTIES,
                                 self.group.events.record_items)

    def put_users(self, **params: Any) -> dict[str, Any]:
        """Add or replace users (their properties are kept with the events until the next training)."""
        return self._put_records(params, "PutUsers", "users", "userId", "USERS", MAX_USER_PROPERTIES,
                                 self.group.events.record_users)

    def _put_records(self, params: dict[str, Any], op: str, member: str, id_field: str,
                     dataset_type: str, max_properties: int,
                     record: Callable[[str, list[dict[str, Any]]], Any]) -> dict[str, Any]:
        """PutItems and PutUsers: the same checks on rows of another name, then one store call."""
        validation.check_boto3_params(SERVICE, op, params)
        self._refuse_if_read_only(f"Recording {member}", op)
        rows = list(params[member])
        problems = _max_length(rows, member, MAX_LIST)
        for n, row in enumerate(rows, 1):
            problems += _max_length(row.get(id_field), f"{member}.{n}.member.{id_field}", MAX_ID)
            problems += _properties(row.get("properties"), f"{member}.{n}.member.properties",
                                    max_properties, event=False)
        self._invalid_if(problems, op)
        self._dataset(params["datasetArn"], dataset_type, op)
        record(params["datasetArn"], rows)
        return {"ResponseMetadata": _response_metadata()}

    def put_action_interactions(self, **params: Any) -> dict[str, Any]:
        op = "PutActionInteractions"
        validation.check_boto3_params(SERVICE, op, params)
        raise self._error(errors.INVALID_INPUT, ACTIONS_REFUSED.format(op=op), op)

    def put_actions(self, **params: Any) -> dict[str, Any]:
        op = "PutActions"
        validation.check_boto3_params(SERVICE, op, params)
        raise self._error(errors.INVALID_INPUT, ACTIONS_REFUSED.format(op=op), op)

    def can_paginate(self, operation_name: str) -> bool:
        return False

    # -- helpers ---------------------------------------------------------------------------
    def _event(self, event: Mapping[str, Any], where: str) -> tuple[list[str], dict[str, Any]]:
        """The service-side problems of one event, and the event as the store keeps it."""
        problems: list[str] = []
        for name in ("eventId", "eventType", "itemId"):
            problems += _max_length(event.get(name), f"{where}.{name}", MAX_ID)
        problems += _max_length(event.get("recommendationId"), f"{where}.recommendationId",
                                MAX_RECOMMENDATION_ID)
        impression = event.get("impression")
        if impression is not None:
            problems += _max_length(list(impression), f"{where}.impression", MAX_IMPRESSION)
            for item in impression:
                problems += _max_length(item, f"{where}.impression.member", MAX_ID)
        problems += _properties(event.get("properties"), f"{where}.properties", MAX_EVENT_PROPERTIES,
                                event=True)
        value = event.get("eventValue")
        if value is not None and not math.isfinite(float(value)):
            problems.append(_problem(value, f"{where}.eventValue", "Member must be a finite number"))
        sent_at = sent_at_seconds(event["sentAt"])
        if not 0 <= sent_at < 1e11:
            problems.append(_problem(sent_at, f"{where}.sentAt", "Member must be a time in epoch seconds "
                                     "(e.g. int(time.time()) or a datetime)"))
        row: dict[str, Any] = {k: v for k, v in event.items() if k != "sentAt"}
        row["sentAt"] = sent_at
        row.setdefault("eventId", str(uuid.uuid4()))
        if impression is not None:
            row["impression"] = list(impression)
        if value is not None:
            row["eventValue"] = float(value)
        size = len(json.dumps(row, default=str))
        if size > MAX_EVENT_BYTES:
            problems.append(_problem(size, where, f"An event must be at most {MAX_EVENT_BYTES} bytes"))
        # A generated eventId must not defeat Personalize's duplicate rule (same time + properties).
        if "eventId" not in event:
            row.pop("eventId")
        return problems, row

    def _dataset(self, arn: str, kind: str, op: str) -> None:
        if not arns.is_valid(arn):
            raise self._error(errors.INVALID_INPUT, _problem(arn, "datasetArn", "Member must satisfy regular "
                              "expression pattern: arn:([a-z\\d-]+):personalize:.*:.*:.+"), op)
        files = {"ITEMS": "items.csv", "USERS": "users.csv"}
        own = arns.local_arn("dataset", self.group.name, kind)
        if arn == own:
            if (self.group.path / files[kind]).exists():
                return
            raise self._error(errors.NOT_FOUND, f"Dataset {arn} does not exist: dataset group "
                              f"{self.group.name} has no {kind.capitalize()} dataset.", op)
        others = {arns.local_arn("dataset", self.group.name, k) for k in ("INTERACTIONS", "ITEMS", "USERS")}
        if arn in others:
            raise self._error(errors.INVALID_INPUT, f"{op} needs the {kind.capitalize()} dataset of the group "
                              f"({own}), not {arn}.", op)
        raise self._error(errors.NOT_FOUND, f"Dataset {arn} does not exist: call ListDatasets for the "
                          f"{kind.capitalize()} dataset ARN of this dataset group.", op)

    def _invalid_if(self, problems: list[str], op: str) -> None:
        if problems:
            n = len(problems)
            raise self._error(errors.INVALID_INPUT, f"{n} validation error{'s' if n > 1 else ''} detected: "
                              + "; ".join(problems), op)

    def _error(self, code: str, message: str, op: str) -> Exception:
        return errors.client_error(SERVICE, code, message, op)
