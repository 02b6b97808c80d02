"""The durable event store of a local dataset group: what PutEvents, PutItems and PutUsers record.

Amazon Personalize appends events to the group's Interactions dataset at once and the next
GetRecommendations for that user reflects them; the next training includes them. Locally the
events live in one append-only file, `<group>/events.log`, shared by every process that serves
the group (the console, `make serve`, a notebook):

- One line per request (an event batch, an item or user batch, or a "clear" tombstone):
  `<crc32 of payload, 8 hex> <payload length> <payload JSON>\\n`. JSON escapes newlines, so a
  newline only ever ends a record.
- A write appends one whole line with one `write()` under an exclusive `fcntl` lock, then
  `fsync`s, and only then is the request acknowledged. A process killed mid-write leaves at
  most a torn last line (no newline, or a checksum that does not match): readers ignore it and
  the next writer truncates it under the lock before appending, so earlier records are never
  touched.
- Readers take the shared lock, read only the bytes appended since their last look (the file's
  stat stamp says whether anything changed, as `LocalGroup.filters` does for campaigns.json),
  and keep per-user and per-session indexes.
- "Reset session" (`clear`) appends a tombstone: the user's earlier events disappear from every
  reader, durably, and the file stays append-only.

Events are keyed as Personalize serves them: by userId when the event has one, else by its
sessionId (pass the sessionId as `userId` to GetRecommendations). Repeats of an event with the
same timestamp, properties, item and event type for the same key are kept once, as Personalize
does; so are repeats of an explicit eventId.
"""

from __future__ import annotations

import fcntl
import itertools
import json
import logging
import math
import os
import re
import threading
import time
import zlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

log = logging.getLogger(__name__)

EVENTS_FILE = "events.log"
LOCK_FILE = ".events.lock"

#: The columns every history frame starts with; context columns follow, SESSION_ID last.
BASE_COLUMNS: tuple[str, ...] = ("USER_ID", "ITEM_ID", "TIMESTAMP", "EVENT_TYPE", "EVENT_VALUE")
SESSION_COLUMN = "SESSION_ID"

#: Record kinds in the log.
EVENTS, ITEMS, USERS, CLEAR = "events", "items", "users", "clear"

Stamp = tuple[int, int, int]


def camel_to_field(key: str) -> str:
    """A properties key as the schema's field name: `device` -> DEVICE, `numRatings` -> NUM_RATINGS."""
    snake = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", key)
    return snake.upper()


def field_to_camel(field_name: str) -> str:
    """The inverse: DEVICE -> device, NUM_RATINGS -> numRatings (how PutEvents names properties)."""
    head, *rest = field_name.lower().split("_")
    return head + "".join(part.capitalize() for part in rest)


# -- the line format ---------------------------------------------------------------------------
def encode_record(record: Mapping[str, Any]) -> bytes:
    """One log line: checksum, length and compact JSON (ASCII, so no raw newline can occur)."""
    payload = json.dumps(record, separators=(",", ":"), ensure_ascii=True, allow_nan=False).encode()
    return b"%08x %d " % (zlib.crc32(payload), len(payload)) + payload + b"\n"


def decode_line(line: bytes) -> dict[str, Any] | None:
    """The record of one line (without its newline), or None if the line is torn or corrupt."""
    try:
        crc_text, length_text, payload = line.split(b" ", 2)
        if len(payload) != int(length_text) or zlib.crc32(payload) != int(crc_text, 16):
            return None
        record = json.loads(payload)
    except ValueError:
        return None
    return record if isinstance(record, dict) else None


def parse(data: bytes) -> tuple[list[dict[str, Any]], int]:
    """The valid records in `data` and how many bytes were consumed.

    Consumption stops before an unterminated or invalid *last* line (a write in progress or a
    torn tail); an invalid line followed by valid ones (a disk error) is skipped with a warning.
    """
    records: list[dict[str, Any]] = []
    consumed = 0
    start = 0
    while True:
        end = data.find(b"\n", start)
        if end < 0:
            break
        record = decode_line(data[start:end])
        if record is None:
            if data.find(b"\n", end + 1) < 0:
                break  # the last line is bad: treat it as a torn tail
            log.warning("events log: skipped a corrupt record at byte %d", start)
        else:
            records.append(record)
        start = end + 1
        consumed = start
    return records, consumed


_GENERATIONS = itertools.count()


# -- the in-memory indexes -------------------------------------------------------------------------
@dataclass
class _Event:
    key: str
    user_id: str | None
    session_id: str
    item_id: str | None
    event_type: str
    sent_at: float
    event_value: float | None
    properties: dict[str, Any]
    seq: int


@dataclass
class _State:
    """Everything read from the log so far."""

    offset: int = 0
    ino: int | None = None
    seq: int = 0
    by_key: dict[str, list[_Event]] = field(default_factory=dict)
    by_session: dict[str, list[_Event]] = field(default_factory=dict)
    seen: dict[str, set[tuple[Any, ...]]] = field(default_factory=dict)
    items: dict[str, dict[str, Any]] = field(default_factory=dict)
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    changes: dict[str, int] = field(default_factory=dict)  # per key: bumped when its events change
    generation: int = field(default_factory=lambda: next(_GENERATIONS))  # a new one per full reload

    def apply(self, record: Mapping[str, Any]) -> None:
        kind = record.get("t")
        if kind == EVENTS:
            self._events(record)
        elif kind == CLEAR:
            key = str(record.get("key"))
            gone = self.by_key.pop(key, [])
            self.seen.pop(key, None)
            self.changes[key] = self.changes.get(key, 0) + 1
            for event in gone:
                kept = [e for e in self.by_session.get(event.session_id, []) if e.key != key]
                if kept:
                    self.by_session[event.session_id] = kept
                else:
                    self.by_session.pop(event.session_id, None)
        elif kind in (ITEMS, USERS):
            target = self.items if kind == ITEMS else self.users
            id_key = "itemId" if kind == ITEMS else "userId"
            for row in record.get("rows", []):
                target[str(row[id_key])] = _properties(row.get("properties"))

    def _events(self, record: Mapping[str, Any]) -> None:
        user_id = record.get("userId")
        session_id = str(record.get("sessionId", ""))
        key = str(user_id) if user_id else session_id
        seen = self.seen.setdefault(key, set())
        for raw in record.get("events", []):
            properties = raw.get("properties")
            identity = ("e", raw.get("itemId"), raw.get("eventType"), raw.get("sentAt"), properties)
            explicit = ("id", raw["eventId"]) if raw.get("eventId") else None
            if identity in seen or (explicit is not None and explicit in seen):
                continue
            seen.add(identity)
            if explicit is not None:
                seen.add(explicit)
            self.seq += 1
            value = raw.get("eventValue")
            event = _Event(key=key, user_id=str(user_id) if user_id else None, session_id=session_id,
                           item_id=raw.get("itemId"), event_type=str(raw.get("eventType", "")),
                           sent_at=float(raw.get("sentAt", 0)),
                           event_value=None if value is None else float(value),
                           properties=_properties(properties), seq=self.seq)
            self.by_key.setdefault(key, []).append(event)
            self.by_session.setdefault(session_id, []).append(event)
            self.changes[key] = self.changes.get(key, 0) + 1


def _properties(text: Any) -> dict[str, Any]:
    if not text:
        return {}
    try:
        value = json.loads(text) if isinstance(text, str) else text
    except ValueError:
        return {}
    return dict(value) if isinstance(value, dict) else {}


# -- the store ---------------------------------------------------------------------------------------
class EventStore:
    """The events recorded in one dataset group folder; safe across threads and processes."""

    def __init__(self, group_path: Path | str, fields: Sequence[str] = ()) -> None:
        """`fields`: the Interactions schema's field names, so a properties key maps back to the
        exact field it came from (else camelCase -> UPPER_SNAKE)."""
        self.path = Path(group_path)
        self.file = self.path / EVENTS_FILE
        self._file_name = str(self.file)
        self._lock_path = self.path / LOCK_FILE
        self._fields = {f.replace("_", "").lower(): f for f in fields}
        self._mutex = threading.RLock()
        self._state = _State()
        self._stamp: Stamp | None = None
        self._frames: dict[str, tuple[_State, int, pd.DataFrame]] = {}  # history() per key, until it changes

    # -- change detection -------------------------------------------------------------------------
    @property
    def stamp(self) -> Stamp | None:
        """Changes whenever the store changes (one stat call); None while nothing was recorded."""
        try:
            st = os.stat(self._file_name)  # every request looks: os.stat of a str costs less than Path.stat
        except FileNotFoundError:
            return None
        return (st.st_mtime_ns, st.st_size, st.st_ino)

    def _refresh(self) -> _State:
        """Read whatever was appended since the last look (everything, if the file was replaced)."""
        stamp = self.stamp
        with self._mutex:
            if stamp == self._stamp and (stamp is None or stamp[1] == self._state.offset):
                return self._state  # unchanged, and no unfinished bytes at the end to look at again
            if stamp is None:
                self._state, self._stamp = _State(), None
                return self._state
            with open(self._lock_path, "a+b") as lock:
                fcntl.flock(lock, fcntl.LOCK_SH)
                try:
                    with open(self.file, "rb") as handle:
                        st = os.fstat(handle.fileno())
                        state = self._state
                        if state.ino != st.st_ino or st.st_size < state.offset:
                            state = _State(ino=st.st_ino)
                        handle.seek(state.offset)
                        data = handle.read()
                        stamp = (st.st_mtime_ns, st.st_size, st.st_ino)
                finally:
                    fcntl.flock(lock, fcntl.LOCK_UN)
            records, consumed = parse(data)
            for record in records:
                state.apply(record)
            state.offset += consumed
            self._state, self._stamp = state, stamp
            return state

    # -- writing ------------------------------------------------------------------------------------
    def append(self, record: Mapping[str, Any]) -> None:
        """Append one record durably: when this returns, it survives a crash or a kill -9."""
        line = encode_record(record)
        self.path.mkdir(parents=True, exist_ok=True)
        with open(self._lock_path, "a+b") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                created = not self.file.exists()
                fd = os.open(self.file, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o644)
                try:
                    _truncate_torn_tail(fd)
                    _write_all(fd, line)
                    os.fdatasync(fd)  # data and the new file size reach the disk; mtime may lag
                finally:
                    os.close(fd)
                if created:
                    _fsync_dir(self.path)
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def record_events(self, *, tracking_id: str, session_id: str, user_id: str | None,
                      events: Iterable[Mapping[str, Any]]) -> None:
        """One PutEvents batch (already validated), events in the wire's camelCase."""
        record: dict[str, Any] = {"t": EVENTS, "trackingId": tracking_id, "sessionId": session_id,
                                  "receivedAt": time.time(), "events": [dict(e) for e in events]}
        if user_id:
            record["userId"] = user_id
        self.append(record)

    def record_items(self, dataset_arn: str, items: Iterable[Mapping[str, Any]]) -> None:
        """One PutItems batch: the latest properties per itemId win."""
        self.append({"t": ITEMS, "datasetArn": dataset_arn, "rows": [dict(i) for i in items]})

    def record_users(self, dataset_arn: str, users: Iterable[Mapping[str, Any]]) -> None:
        """One PutUsers batch: the latest properties per userId win."""
        self.append({"t": USERS, "datasetArn": dataset_arn, "rows": [dict(u) for u in users]})

    def clear(self, user_or_session_id: str) -> int:
        """Remove the events recorded for this user (or anonymous session), durably (local "Reset
        session"). Returns how many were removed (as seen just before; an event another process
        records meanwhile goes too); nothing is written when there were none."""
        with self._mutex:
            count = len(self._refresh().by_key.get(user_or_session_id, []))
            if count:
                self.append({"t": CLEAR, "key": user_or_session_id, "at": time.time()})
            return count

    # -- reading ------------------------------------------------------------------------------------
    def version(self, user_or_session_id: str) -> tuple[int, int]:
        """Changes whenever this user's (or session's) recorded events change: a cache key part."""
        with self._mutex:
            state = self._refresh()
            return state.generation, state.changes.get(user_or_session_id, 0)

    def count(self, user_or_session_id: str) -> int:
        """How many events are recorded for this user or session (cheap)."""
        return len(self._refresh().by_key.get(user_or_session_id, []))

    def history(self, user_or_session_id: str) -> pd.DataFrame:
        """The recorded events of one user (or anonymous session), oldest first.

        Columns: USER_ID (the key: userId, or the sessionId of an anonymous session), ITEM_ID,
        TIMESTAMP (int epoch s), EVENT_TYPE, EVENT_VALUE (float, NaN when absent), one column per
        context key found in the events' properties (as schema field names, "" where an event
        has none), SESSION_ID. Events without an itemId are not interactions and are left out.
        """
        with self._mutex:
            state = self._refresh()
            events = state.by_key.get(user_or_session_id)
            if not events:  # most users have no recorded events: keep that path cheap
                return _EMPTY.copy()
            change = state.changes.get(user_or_session_id, 0)
            cached = self._frames.get(user_or_session_id)
            if cached is None or cached[0] is not state or cached[1] != change:
                if len(self._frames) >= _MAX_CACHED_FRAMES:
                    self._frames.clear()
                cached = (state, change, self._frame(list(events)))
                self._frames[user_or_session_id] = cached
            return cached[2].copy()

    def session_history(self, session_id: str) -> pd.DataFrame:
        """Every recorded event of one session, whichever key it is served under, oldest first."""
        with self._mutex:
            events = list(self._refresh().by_session.get(session_id, []))
        return self._frame(events)

    def all_events(self) -> pd.DataFrame:
        """Every recorded event (the next training appends them to the interactions)."""
        with self._mutex:
            events = [e for rows in self._refresh().by_key.values() for e in rows]
        return self._frame(events)

    def keys(self) -> list[str]:
        """Users and anonymous sessions with recorded events."""
        with self._mutex:
            return list(self._refresh().by_key)

    def items(self) -> dict[str, dict[str, Any]]:
        """Item properties recorded by PutItems (latest per itemId), keyed by itemId."""
        with self._mutex:
            return {k: dict(v) for k, v in self._refresh().items.items()}

    def users(self) -> dict[str, dict[str, Any]]:
        """User properties recorded by PutUsers (latest per userId), keyed by userId."""
        with self._mutex:
            return {k: dict(v) for k, v in self._refresh().users.items()}

    def _frame(self, events: list[_Event]) -> pd.DataFrame:
        events = sorted((e for e in events if e.item_id), key=lambda e: (int(e.sent_at), e.seq))
        context: dict[str, list[str]] = {}
        for i, event in enumerate(events):
            for key, value in event.properties.items():
                column = self._field(key)
                if column in BASE_COLUMNS or column == SESSION_COLUMN:
                    continue
                context.setdefault(column, [""] * len(events))[i] = "" if value is None else str(value)
        frame = pd.DataFrame({
            "USER_ID": pd.Series([e.key for e in events], dtype=object),
            "ITEM_ID": pd.Series([e.item_id for e in events], dtype=object),
            "TIMESTAMP": np.array([int(math.floor(e.sent_at)) for e in events], dtype=np.int64),
            "EVENT_TYPE": pd.Series([e.event_type for e in events], dtype=object),
            "EVENT_VALUE": np.array([np.nan if e.event_value is None else e.event_value for e in events],
                                    dtype=np.float64),
        })
        for column, values in context.items():
            frame[column] = pd.Series(values, dtype=object)
        frame[SESSION_COLUMN] = pd.Series([e.session_id for e in events], dtype=object)
        return frame

    def _field(self, key: str) -> str:
        return self._fields.get(key.replace("_", "").lower()) or camel_to_field(key)


_EMPTY = pd.DataFrame({"USER_ID": pd.Series([], dtype=object), "ITEM_ID": pd.Series([], dtype=object),
                       "TIMESTAMP": np.array([], dtype=np.int64), "EVENT_TYPE": pd.Series([], dtype=object),
                       "EVENT_VALUE": np.array([], dtype=np.float64), SESSION_COLUMN: pd.Series([], dtype=object)})
_MAX_CACHED_FRAMES = 4096


def _truncate_torn_tail(fd: int) -> None:
    """Cut a torn last record (left by a writer killed mid-write) before appending after it."""
    size = os.fstat(fd).st_size
    if size == 0:
        return
    keep = _line_start(fd, size)  # bytes after the last newline are an unfinished record
    if keep == size:
        # The file ends with a newline; its last line may still be bad (e.g. after a power loss).
        last = _line_start(fd, size - 1)
        if decode_line(os.pread(fd, size - 1 - last, last)) is None:
            keep = last
    if keep < size:
        log.warning("events log: truncated a torn record of %d bytes", size - keep)
        os.ftruncate(fd, keep)


def _line_start(fd: int, end: int) -> int:
    """The offset just after the last newline before `end` (0 if there is none)."""
    chunk = 1 << 16
    while end > 0:
        start = max(0, end - chunk)
        cut = os.pread(fd, end - start, start).rfind(b"\n")
        if cut >= 0:
            return start + cut + 1
        end = start
    return 0


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
