"""Recording events from the console: the PutEvents request a person's click becomes.

On Test campaign a person picks an item (a result row, or one found by ID or title), one of the
group's own event types and an optional value; this module turns that into the exact PutEvents
request (the same for the local events client and boto3's), and says clearly what is wrong
with an input. The request's context (e.g. DEVICE = mobile phone) goes into the event's
`properties` under Personalize's camelCase names, so the event carries the context it
happened in.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from scoring import paths, recipes
from scoring.events import field_to_camel
from scoring.events_client import MAX_EVENT_PROPERTIES, MAX_ID
from scoring.requests import RequestError


#: The text the person must confirm before anything is sent to a live event tracker.
LIVE_WARNING = ("These events are written to the production Interactions dataset of {group} and change "
                "this user's real recommendations; PutEvents is billed per event.")

DEFAULT_EVENT_TYPES = ("click",)


def records_events(recipe: recipes.Recipe) -> bool:
    """Whether a campaign of this recipe offers the "Record events" panel: its lists react to
    events at once (PERSONALIZE.md, "Recording events")."""
    return recipe.real_time


def event_types(group_path: Path | None) -> list[str]:
    """The group's own event types: the EVENT_TYPE values of its interactions.csv, most used first."""
    if group_path is None:
        return []
    file = Path(group_path) / paths.INTERACTIONS_FILE
    if not file.exists():
        return []
    header = pd.read_csv(file, nrows=0).columns
    if "EVENT_TYPE" not in header:
        return []
    column = pd.read_csv(file, usecols=["EVENT_TYPE"], dtype=str, keep_default_na=False)["EVENT_TYPE"]
    counts = column[column != ""].value_counts()
    return [str(v) for v in counts.index]


def search_items(items: pd.DataFrame | None, catalogue: Sequence[str], query: str,
                 limit: int = 20) -> list[str]:
    """Item IDs whose ID equals the query, then whose ID or TITLE contains it (case ignored)."""
    query = query.strip()
    if not query:
        return []
    needle = query.lower()
    exact = [query] if query in set(catalogue) or (items is not None and query in items.index) else []
    if items is not None and "TITLE" in items.columns:
        ids = items["ITEM_ID"].astype(str)
        hits = ids[ids.str.lower().str.contains(needle, regex=False)
                   | items["TITLE"].astype(str).str.lower().str.contains(needle, regex=False)]
        found = hits.tolist()
    else:
        found = [i for i in catalogue if needle in i.lower()]
    return list(dict.fromkeys(exact + found))[:limit]


def item_label(item_id: str, items: pd.DataFrame | None) -> str:
    """"Title (ID)" where the title is known, else the ID."""
    if items is not None and "TITLE" in items.columns and item_id in items.index:
        title = items.at[item_id, "TITLE"]
        if isinstance(title, str) and title:
            return f"{title} ({item_id})"
    return item_id


@dataclass(frozen=True)
class EventInputs:
    """What the Record events panel collected."""

    user_id: str
    session_id: str
    item_id: str
    event_type: str
    value_text: str = ""
    context: Mapping[str, str] | None = None


def event_value(text: str) -> float | None:
    """The optional event value: empty means none; anything else must be a finite number."""
    text = text.strip()
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        raise RequestError(f"Event value {text[:40]!r} is not a number: enter e.g. 4.5, or leave it empty.") from None
    if not math.isfinite(value):
        raise RequestError("Event value must be a finite number: enter e.g. 4.5, or leave it empty.")
    return value


def put_events_request(inputs: EventInputs, tracking_id: str, *, now: float | None = None) -> dict[str, Any]:
    """The PutEvents keyword arguments for one event, or RequestError naming what to fix."""
    if not tracking_id.strip():
        raise RequestError("No trackingId: pick an event tracker or enter its trackingId.")
    for label, text in (("User ID", inputs.user_id), ("Item", inputs.item_id), ("Event type", inputs.event_type)):
        if not text.strip():
            raise RequestError(f"{label} is empty: {'pick' if label != 'User ID' else 'enter'} one first.")
        if len(text) > MAX_ID:
            raise RequestError(f"{label} is {len(text)} characters long; Personalize allows at most {MAX_ID}.")
    event: dict[str, Any] = {"eventType": inputs.event_type.strip(), "itemId": inputs.item_id.strip(),
                             "sentAt": int(now if now is not None else time.time())}
    value = event_value(inputs.value_text)
    if value is not None:
        event["eventValue"] = value
    if inputs.context:
        properties = json.dumps({field_to_camel(k): v for k, v in inputs.context.items()})
        if len(properties) > MAX_EVENT_PROPERTIES:
            raise RequestError(f"The context makes the event's properties {len(properties)} characters long; "
                               f"Personalize allows at most {MAX_EVENT_PROPERTIES}: remove some context rows.")
        event["properties"] = properties
    return {"trackingId": tracking_id.strip(), "userId": inputs.user_id.strip(),
            "sessionId": inputs.session_id, "eventList": [event]}


def recorded_rows(sent: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """Events sent from this console session (live campaigns: Personalize cannot read them back),
    as the store's history columns, oldest first."""
    rows = [{"USER_ID": r["userId"], "ITEM_ID": e["itemId"], "TIMESTAMP": int(e["sentAt"]),
             "EVENT_TYPE": e["eventType"], "EVENT_VALUE": e.get("eventValue", math.nan),
             "SESSION_ID": r["sessionId"]} for r in sent for e in r["eventList"]]
    columns = ["USER_ID", "ITEM_ID", "TIMESTAMP", "EVENT_TYPE", "EVENT_VALUE", "SESSION_ID"]
    return pd.DataFrame(rows, columns=columns)
