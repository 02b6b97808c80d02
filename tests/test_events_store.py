"""The event store of a local group: order, keys, duplicates, clear, torn tails, two processes."""

from __future__ import annotations

import multiprocessing
import os
from pathlib import Path

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from scoring import events
from scoring.events import EventStore


def _event(item: str, at: float, kind: str = "watch", **extra: object) -> dict[str, object]:
    return {"eventType": kind, "itemId": item, "sentAt": at, **extra}


def _put(store: EventStore, user: str | None, session: str, *evs: dict[str, object]) -> None:
    store.record_events(tracking_id="t", session_id=session, user_id=user, events=evs)


def test_history_has_the_interface_columns_oldest_first(tmp_path: Path) -> None:
    store = EventStore(tmp_path, fields=["USER_ID", "ITEM_ID", "TIMESTAMP", "EVENT_TYPE", "DEVICE"])
    _put(store, "u1", "s1", _event("b", 200.7, properties='{"device": "tv"}', eventValue=4.5))
    _put(store, "u1", "s1", _event("a", 100, kind="click"))
    frame = store.history("u1")
    assert list(frame.columns) == ["USER_ID", "ITEM_ID", "TIMESTAMP", "EVENT_TYPE", "EVENT_VALUE", "DEVICE",
                                   "SESSION_ID"]
    assert frame["ITEM_ID"].tolist() == ["a", "b"]
    assert frame["TIMESTAMP"].dtype == np.int64 and frame["TIMESTAMP"].tolist() == [100, 200]
    assert np.isnan(frame["EVENT_VALUE"].iloc[0]) and frame["EVENT_VALUE"].iloc[1] == 4.5
    assert frame["DEVICE"].tolist() == ["", "tv"]
    assert frame["SESSION_ID"].tolist() == ["s1", "s1"]


def test_an_empty_history_has_the_base_columns(tmp_path: Path) -> None:
    frame = EventStore(tmp_path).history("nobody")
    assert list(frame.columns) == [*events.BASE_COLUMNS, events.SESSION_COLUMN] and frame.empty
    assert EventStore(tmp_path).stamp is None


def test_properties_keys_map_back_to_schema_fields() -> None:
    assert events.camel_to_field("device") == "DEVICE"
    assert events.camel_to_field("numRatings") == "NUM_RATINGS"
    assert events.field_to_camel("NUM_RATINGS") == "numRatings"


def test_anonymous_events_are_keyed_by_session_and_named_users_by_user(tmp_path: Path) -> None:
    store = EventStore(tmp_path)
    _put(store, None, "anon", _event("x", 1))
    _put(store, "u2", "anon", _event("y", 2))
    assert store.history("anon")["ITEM_ID"].tolist() == ["x"]
    assert store.history("anon")["USER_ID"].tolist() == ["anon"]
    assert store.history("u2")["ITEM_ID"].tolist() == ["y"]
    assert store.session_history("anon")["ITEM_ID"].tolist() == ["x", "y"]


def test_identical_timestamp_and_properties_is_one_event(tmp_path: Path) -> None:
    store = EventStore(tmp_path)
    _put(store, "u", "s", _event("i", 5, properties='{"device": "tv"}'))
    _put(store, "u", "s", _event("i", 5, properties='{"device": "tv"}'))
    _put(store, "u", "s", _event("i", 5, properties='{"device": "phone"}'))
    _put(store, "u", "s", _event("i", 6, properties='{"device": "tv"}'))
    assert len(store.history("u")) == 3


def test_events_without_item_are_not_interactions(tmp_path: Path) -> None:
    store = EventStore(tmp_path)
    _put(store, "u", "s", {"eventType": "impression-only", "sentAt": 1, "impression": ["a", "b"]})
    assert store.history("u").empty and store.count("u") == 1


def test_clear_removes_one_key_durably_and_returns_the_count(tmp_path: Path) -> None:
    store = EventStore(tmp_path)
    _put(store, "u", "s", _event("a", 1), _event("b", 2))
    _put(store, "v", "s", _event("c", 3))
    assert store.clear("u") == 2 and store.clear("u") == 0
    assert store.history("u").empty
    fresh = EventStore(tmp_path)  # another process, or a restart
    assert fresh.history("u").empty and fresh.history("v")["ITEM_ID"].tolist() == ["c"]
    assert fresh.all_events()["ITEM_ID"].tolist() == ["c"]
    _put(store, "u", "s", _event("a", 1))  # after a reset the same event can be recorded again
    assert store.history("u")["ITEM_ID"].tolist() == ["a"]


def test_items_and_users_keep_the_latest_properties(tmp_path: Path) -> None:
    store = EventStore(tmp_path)
    store.record_items("arn", [{"itemId": "i1", "properties": '{"title": "One"}'}])
    store.record_items("arn", [{"itemId": "i1", "properties": '{"title": "Uno"}'}, {"itemId": "i2"}])
    store.record_users("arn", [{"userId": "u1", "properties": '{"tier": "gold"}'}])
    assert store.items() == {"i1": {"title": "Uno"}, "i2": {}}
    assert EventStore(tmp_path).users() == {"u1": {"tier": "gold"}}


def test_stamp_changes_with_every_write(tmp_path: Path) -> None:
    store = EventStore(tmp_path)
    stamps = {store.stamp}
    for n in range(3):
        _put(store, "u", "s", _event(str(n), n))
        stamps.add(store.stamp)
    assert len(stamps) == 4


def test_a_reader_sees_what_another_store_appended(tmp_path: Path) -> None:
    reader, writer = EventStore(tmp_path), EventStore(tmp_path)
    assert reader.history("u").empty
    _put(writer, "u", "s", _event("a", 1))
    assert reader.history("u")["ITEM_ID"].tolist() == ["a"]
    _put(writer, "u", "s", _event("b", 2))
    assert reader.history("u")["ITEM_ID"].tolist() == ["a", "b"]


def test_a_torn_tail_is_ignored_then_truncated_by_the_next_write(tmp_path: Path) -> None:
    store = EventStore(tmp_path)
    _put(store, "u", "s", _event("a", 1))
    good = store.file.stat().st_size
    whole = events.encode_record({"t": "events", "sessionId": "s", "userId": "u",
                                  "events": [_event("half", 2)]})
    with open(store.file, "ab") as handle:
        handle.write(whole[: len(whole) // 2])
    assert EventStore(tmp_path).history("u")["ITEM_ID"].tolist() == ["a"]
    _put(store, "u", "s", _event("b", 3))
    assert EventStore(tmp_path).history("u")["ITEM_ID"].tolist() == ["a", "b"]
    lines = store.file.read_bytes().splitlines()
    assert len(lines) == 2 and all(events.decode_line(line) for line in lines)
    assert store.file.read_bytes()[:good].endswith(b"\n")


def test_a_corrupt_last_line_with_a_newline_is_cut_too(tmp_path: Path) -> None:
    store = EventStore(tmp_path)
    _put(store, "u", "s", _event("a", 1))
    with open(store.file, "ab") as handle:
        handle.write(b"deadbeef 12 {\"t\":\"garbage\n")
    _put(store, "u", "s", _event("b", 2))
    lines = store.file.read_bytes().splitlines()
    assert len(lines) == 2 and all(events.decode_line(line) for line in lines)


def test_a_corrupt_middle_line_is_skipped_not_fatal(tmp_path: Path) -> None:
    first = events.encode_record({"t": "events", "sessionId": "s", "userId": "u", "events": [_event("a", 1)]})
    last = events.encode_record({"t": "events", "sessionId": "s", "userId": "u", "events": [_event("c", 3)]})
    (tmp_path / events.EVENTS_FILE).write_bytes(first + b"00000000 3 {}x\n" + last)
    assert EventStore(tmp_path).history("u")["ITEM_ID"].tolist() == ["a", "c"]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["u1", "u2", None]), st.sampled_from(["i1", "i2", "i3"]),
                          st.integers(0, 20), st.sampled_from(["watch", "click"])), max_size=25))
def test_history_is_the_deduplicated_events_in_time_order(tmp_path_factory, batch) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path_factory.mktemp("hyp")
    store = EventStore(folder)
    for user, item, at, kind in batch:
        _put(store, user, "sess", _event(item, at, kind))
    for key in ("u1", "u2", "sess"):
        mine = [(i, at, k) for u, i, at, k in batch if (u or "sess") == key]
        expected = list(dict.fromkeys(mine))  # first occurrence of each identical event
        expected.sort(key=lambda e: e[1])  # stable: arrival order among equal timestamps
        frame = EventStore(folder).history(key)
        assert list(zip(frame["ITEM_ID"], frame["TIMESTAMP"], frame["EVENT_TYPE"], strict=True)) == expected
    total = len(EventStore(folder).all_events())
    assert total == sum(len(EventStore(folder).history(k)) for k in ("u1", "u2", "sess"))
    cleared = store.clear("u1")
    assert cleared == len(dict.fromkeys((i, at, k) for u, i, at, k in batch if u == "u1"))
    assert EventStore(folder).history("u1").empty


def _writer(folder: str, user: str, n: int) -> None:
    store = EventStore(folder)
    for i in range(n):
        store.record_events(tracking_id="t", session_id=user, user_id=user,
                            events=[_event(f"{user}-{i}", i)])


def test_two_processes_writing_at_once_lose_nothing(tmp_path: Path) -> None:
    context = multiprocessing.get_context("spawn")
    procs = [context.Process(target=_writer, args=(str(tmp_path), user, 150)) for user in ("p", "q")]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    store = EventStore(tmp_path)
    for user in ("p", "q"):
        assert store.history(user)["ITEM_ID"].tolist() == [f"{user}-{i}" for i in range(150)]
    assert all(events.decode_line(line) for line in store.file.read_bytes().splitlines())


def test_all_events_works_in_a_fresh_process(tmp_path: Path) -> None:
    _put(EventStore(tmp_path), "u", "s", _event("a", 1, properties='{"device": "tv"}'))
    context = multiprocessing.get_context("spawn")
    with context.Pool(1) as pool:
        frame = pool.apply(_all_events, (str(tmp_path),))
    assert isinstance(frame, pd.DataFrame) and frame["ITEM_ID"].tolist() == ["a"]
    assert frame["DEVICE"].tolist() == ["tv"]


def _all_events(folder: str) -> pd.DataFrame:
    return EventStore(folder).all_events()


def test_group_events_is_the_store_of_the_group_folder(demo_dir: Path) -> None:
    from scoring.local_group import open_group

    group = open_group(demo_dir)
    assert group.events is group.events and group.events.path == Path(demo_dir).resolve()
    assert os.path.basename(group.events.file) == events.EVENTS_FILE


def test_history_frames_are_copies(tmp_path: Path) -> None:
    store = EventStore(tmp_path)
    _put(store, "u", "s", _event("a", 1))
    mine, nobody = store.history("u"), store.history("nobody")
    mine.loc[0, "ITEM_ID"] = "changed"
    nobody["ITEM_ID"] = "x"
    assert store.history("u")["ITEM_ID"].tolist() == ["a"] and store.history("nobody").empty


def test_a_trained_group_gets_a_tracker_and_retraining_keeps_it_and_the_events(tmp_path: Path) -> None:
    import scoring
    from scoring.train import main as train_main
    from tests.support import small_data

    out = tmp_path / "g"
    assert train_main([str(small_data.write(tmp_path / "src")), "--out", str(out), "--epochs", "1",
                       "--dim", "8"]) == 0
    control = scoring.client("personalize", out)
    tracker = control.list_event_trackers()["eventTrackers"]
    assert [t["name"] for t in tracker] == ["g-event-tracker"]
    tracking_id = control.describe_event_tracker(eventTrackerArn=tracker[0]["eventTrackerArn"])[
        "eventTracker"]["trackingId"]
    scoring.client("personalize-events", out).put_events(
        trackingId=tracking_id, userId="u1", sessionId="s", eventList=[_event("i1", 1)])
    assert train_main([str(out), "--out", str(out), "--epochs", "1", "--dim", "8"]) == 0
    again = scoring.client("personalize", out)
    assert again.describe_event_tracker(eventTrackerArn=tracker[0]["eventTrackerArn"])[
        "eventTracker"]["trackingId"] == tracking_id
    assert EventStore(out).history("u1")["ITEM_ID"].tolist() == ["i1"]
