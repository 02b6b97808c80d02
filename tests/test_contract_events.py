"""The events contract: PutEvents / PutItems / PutUsers and event trackers, against every backend.

As in test_contract.py: the local clients in-process, real boto3 clients under botocore's
Stubber fed by the local clients, and real boto3 clients over HTTP against the local endpoint.
Each backend writes to its own copy of the demo group.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ParamValidationError

import scoring
from scoring import arns, events
from scoring.events import EventStore
from tests.support.stubbed import StubbedClient, fake_credentials

GROUP = arns.local_arn("dataset-group", "demo")
ITEMS = arns.local_arn("dataset", "demo", "ITEMS")
USERS = arns.local_arn("dataset", "demo", "USERS")
INTERACTIONS = arns.local_arn("dataset", "demo", "INTERACTIONS")
TRACKER = arns.local_arn("event-tracker", "demo-event-tracker")
REC = arns.local_arn("campaign", "demo-user-personalization")
WATCHED = arns.local_arn("filter", "exclude-watched")
NOW = 1_767_225_600


def _copy(demo_dir: Path, target: Path) -> Path:
    shutil.copytree(demo_dir, target, ignore=shutil.ignore_patterns(".*", events.EVENTS_FILE))
    return target


def _event(item: str, at: float | datetime = NOW, **extra: Any) -> dict[str, Any]:
    return {"eventType": "watch", "itemId": item, "sentAt": at, **extra}


class EventsContract:
    """Subclasses provide `events` and `control` clients on `folder`, a writable group copy."""

    @pytest.fixture
    def tracking_id(self, control: Any) -> str:
        return control.describe_event_tracker(eventTrackerArn=TRACKER)["eventTracker"]["trackingId"]

    # -- PutEvents -------------------------------------------------------------------------
    def test_put_events_answers_an_empty_body_and_records_in_order(self, events: Any, tracking_id: str,
                                                                   folder: Path) -> None:
        user = f"contract-{type(self).__name__}"
        response = events.put_events(trackingId=tracking_id, userId=user, sessionId="s-1", eventList=[
            _event("10", NOW + 5, properties=json.dumps({"device": "smart tv"}), eventValue=3.5),
            _event("20", NOW)])
        assert set(response) <= {"ResponseMetadata"}  # an empty body (Stubber leaves out the metadata)
        history = EventStore(folder).history(user)
        assert history["ITEM_ID"].tolist() == ["20", "10"]
        assert history["DEVICE"].tolist() == ["", "smart tv"] and history["EVENT_VALUE"].iloc[1] == 3.5

    def test_a_datetime_sent_at_is_epoch_seconds(self, events: Any, tracking_id: str, folder: Path) -> None:
        events.put_events(trackingId=tracking_id, userId="dated", sessionId="s",
                          eventList=[_event("10", datetime(2026, 1, 1, tzinfo=UTC))])
        assert EventStore(folder).history("dated")["TIMESTAMP"].tolist() == [NOW]

    def test_an_anonymous_session_is_served_by_its_session_id(self, events: Any, tracking_id: str,
                                                               folder: Path) -> None:
        events.put_events(trackingId=tracking_id, sessionId="anon-session", eventList=[_event("30")])
        assert EventStore(folder).history("anon-session")["ITEM_ID"].tolist() == ["30"]

    def test_an_item_the_catalogue_does_not_know_is_accepted(self, events: Any, tracking_id: str,
                                                             folder: Path) -> None:
        events.put_events(trackingId=tracking_id, userId="newitem", sessionId="s", eventList=[_event("not-an-item")])
        assert EventStore(folder).history("newitem")["ITEM_ID"].tolist() == ["not-an-item"]

    def test_an_unknown_tracking_id_is_resource_not_found(self, events: Any) -> None:
        with pytest.raises(events.exceptions.ResourceNotFoundException):
            events.put_events(trackingId="no-such-tracker", sessionId="s", eventList=[_event("1")])

    @pytest.mark.parametrize("change", [
        {"eventList": [_event(str(n)) for n in range(11)]},
        {"eventList": [_event("1", properties="not json")]},
        {"eventList": [_event("1", properties='["a list"]')]},
        {"eventList": [_event("1", properties=json.dumps({"x": "y" * 1100}))]},
        {"eventList": [_event("1", properties='{"userId": "sneaky"}')]},
        {"eventList": [_event("1", recommendationId="r" * 41)]},
        {"eventList": [_event("1", impression=[str(n) for n in range(26)])]},
        {"eventList": [_event("i" * 257)]},
        {"userId": "u" * 257},
        {"eventList": [_event("1", at=-5)]},
    ], ids=["11-events", "properties-not-json", "properties-not-object", "properties-too-long",
            "reserved-property", "recommendation-id-41", "impression-26", "item-id-257", "user-id-257",
            "negative-sent-at"])
    def test_service_side_limits_are_invalid_input(self, events: Any, tracking_id: str,
                                                   change: dict[str, Any]) -> None:
        request = {"trackingId": tracking_id, "sessionId": "s", "eventList": [_event("1")]} | change
        with pytest.raises(events.exceptions.InvalidInputException) as caught:
            events.put_events(**request)
        assert "validation error" in caught.value.response["Error"]["Message"]

    def test_boto3_itself_refuses_a_missing_session_id(self, events: Any, tracking_id: str) -> None:
        with pytest.raises(ParamValidationError):
            events.put_events(trackingId=tracking_id, eventList=[_event("1")])

    def test_an_interactions_filter_sees_a_recorded_event_at_once(self, events: Any, tracking_id: str,
                                                                  runtime: Any) -> None:
        user = f"filtered-{type(self).__name__}"
        ask = {"campaignArn": REC, "userId": user, "numResults": 5, "filterArn": WATCHED}
        first = runtime.get_recommendations(**ask)["itemList"][0]["itemId"]
        events.put_events(trackingId=tracking_id, userId=user, sessionId="s", eventList=[_event(first)])
        assert first not in [i["itemId"] for i in runtime.get_recommendations(**ask)["itemList"]]
        events.put_events(trackingId=tracking_id, userId=user, sessionId="s",
                          eventList=[_event("10", eventType="click")])  # another type: not excluded
        assert first not in [i["itemId"] for i in runtime.get_recommendations(**ask)["itemList"]]

    # -- PutItems / PutUsers ----------------------------------------------------------------
    def test_put_items_and_users_are_recorded(self, events: Any, folder: Path) -> None:
        assert set(events.put_items(datasetArn=ITEMS, items=[
            {"itemId": "fresh-1", "properties": json.dumps({"title": "Fresh", "genres": "Drama"})}])) \
            <= {"ResponseMetadata"}
        events.put_users(datasetArn=USERS, users=[{"userId": "fresh-user", "properties": '{"tier": "gold"}'}])
        store = EventStore(folder)
        assert store.items()["fresh-1"]["title"] == "Fresh" and store.users()["fresh-user"] == {"tier": "gold"}

    def test_put_items_to_an_unknown_dataset_is_resource_not_found(self, events: Any) -> None:
        with pytest.raises(events.exceptions.ResourceNotFoundException):
            events.put_items(datasetArn=arns.local_arn("dataset", "elsewhere", "ITEMS"), items=[{"itemId": "x"}])

    def test_put_users_to_the_items_dataset_is_invalid_input(self, events: Any) -> None:
        with pytest.raises(events.exceptions.InvalidInputException):
            events.put_users(datasetArn=INTERACTIONS, users=[{"userId": "x"}])

    def test_put_items_limits(self, events: Any) -> None:
        with pytest.raises(events.exceptions.InvalidInputException):
            events.put_items(datasetArn=ITEMS, items=[{"itemId": str(n)} for n in range(11)])
        with pytest.raises(events.exceptions.InvalidInputException):
            events.put_items(datasetArn=ITEMS, items=[{"itemId": "x", "properties": "{bad"}])

    def test_action_datasets_are_a_clear_invalid_input(self, events: Any) -> None:
        with pytest.raises(events.exceptions.InvalidInputException) as caught:
            events.put_actions(datasetArn=arns.local_arn("dataset", "demo", "ACTIONS"), actions=[{"actionId": "a"}])
        assert "PERSONALIZED_ACTIONS" in caught.value.response["Error"]["Message"]
        with pytest.raises(events.exceptions.InvalidInputException):
            events.put_action_interactions(trackingId="t", actionInteractions=[
                {"actionId": "a", "sessionId": "s", "timestamp": NOW, "eventType": "taken"}])

    # -- event trackers ----------------------------------------------------------------------
    def test_the_demo_group_has_one_active_tracker(self, control: Any) -> None:
        listed = control.list_event_trackers(datasetGroupArn=GROUP)["eventTrackers"]
        assert [t["eventTrackerArn"] for t in listed] == [TRACKER]
        assert "trackingId" not in listed[0] and listed[0]["status"] == "ACTIVE"
        described = control.describe_event_tracker(eventTrackerArn=TRACKER)["eventTracker"]
        assert described["status"] == "ACTIVE" and described["datasetGroupArn"] == GROUP
        assert described["accountId"] == arns.LOCAL_ACCOUNT and described["trackingId"]
        other = arns.local_arn("dataset-group", "elsewhere")
        assert control.list_event_trackers(datasetGroupArn=other)["eventTrackers"] == []

    def test_a_second_tracker_is_refused_and_a_deleted_one_can_be_replaced(self, control: Any,
                                                                            events: Any) -> None:
        with pytest.raises(control.exceptions.ResourceAlreadyExistsException):
            control.create_event_tracker(name="second", datasetGroupArn=GROUP)
        old = control.describe_event_tracker(eventTrackerArn=TRACKER)["eventTracker"]["trackingId"]
        control.delete_event_tracker(eventTrackerArn=TRACKER)
        try:
            with pytest.raises(control.exceptions.ResourceNotFoundException):
                control.describe_event_tracker(eventTrackerArn=TRACKER)
            with pytest.raises(events.exceptions.ResourceNotFoundException):
                events.put_events(trackingId=old, sessionId="s", eventList=[_event("1")])
            made = control.create_event_tracker(name="replacement", datasetGroupArn=GROUP)
            assert made["eventTrackerArn"] == arns.local_arn("event-tracker", "replacement")
            assert made["trackingId"] != old
            events.put_events(trackingId=made["trackingId"], sessionId="s", eventList=[_event("1")])
            control.delete_event_tracker(eventTrackerArn=made["eventTrackerArn"])
        finally:
            control.create_event_tracker(name="demo-event-tracker", datasetGroupArn=GROUP)

    def test_tracker_errors(self, control: Any) -> None:
        with pytest.raises(control.exceptions.ResourceNotFoundException):
            control.describe_event_tracker(eventTrackerArn=arns.local_arn("event-tracker", "nope"))
        with pytest.raises(control.exceptions.ResourceNotFoundException):
            control.delete_event_tracker(eventTrackerArn=arns.local_arn("event-tracker", "nope"))
        with pytest.raises(control.exceptions.ResourceNotFoundException):
            control.create_event_tracker(name="x", datasetGroupArn=arns.local_arn("dataset-group", "nope"))
        with pytest.raises(control.exceptions.InvalidInputException):
            control.describe_event_tracker(eventTrackerArn="not-an-arn")

    def test_list_event_trackers_pages(self, control: Any) -> None:
        first = control.list_event_trackers(maxResults=1)
        assert len(first["eventTrackers"]) == 1 and "nextToken" not in first
        pages = list(control.get_paginator("list_event_trackers").paginate(datasetGroupArn=GROUP))
        assert sum(len(p["eventTrackers"]) for p in pages) == 1


class TestLocalEvents(EventsContract):
    @pytest.fixture(scope="class")
    @classmethod
    def folder(cls, demo_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
        return _copy(demo_dir, tmp_path_factory.mktemp("local") / "demo")

    @pytest.fixture
    def events(self, folder: Path) -> Any:
        return scoring.client("personalize-events", folder)

    @pytest.fixture
    def control(self, folder: Path) -> Any:
        return scoring.client("personalize", folder)

    @pytest.fixture
    def runtime(self, folder: Path) -> Any:
        return scoring.client("personalize-runtime", folder)


class TestBoto3UnderStubber(EventsContract):
    @pytest.fixture(scope="class")
    @classmethod
    def folder(cls, demo_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
        return _copy(demo_dir, tmp_path_factory.mktemp("stubbed") / "demo")

    @pytest.fixture
    def events(self, folder: Path) -> Any:
        return StubbedClient("personalize-events", scoring.client("personalize-events", folder))

    @pytest.fixture
    def control(self, folder: Path) -> Any:
        return StubbedClient("personalize", scoring.client("personalize", folder))

    @pytest.fixture
    def runtime(self, folder: Path) -> Any:
        return StubbedClient("personalize-runtime", scoring.client("personalize-runtime", folder))

    def test_list_event_trackers_pages(self, control: Any) -> None:
        first = control.list_event_trackers(maxResults=1)
        assert len(first["eventTrackers"]) == 1 and "nextToken" not in first


class TestBoto3OverHttp(EventsContract):
    @pytest.fixture(scope="class")
    @classmethod
    def folder(cls, demo_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
        return _copy(demo_dir, tmp_path_factory.mktemp("http") / "demo")

    @pytest.fixture(scope="class")
    @classmethod
    def url(cls, folder: Path) -> Iterator[str]:
        from scoring.server import serve_in_thread

        server, url = serve_in_thread(folder, "127.0.0.1", 0)
        yield url
        server.shutdown()

    @pytest.fixture
    def events(self, url: str) -> Any:
        import boto3

        return boto3.client("personalize-events", endpoint_url=url, **fake_credentials())

    @pytest.fixture
    def control(self, url: str) -> Any:
        import boto3

        return boto3.client("personalize", endpoint_url=url, **fake_credentials())

    @pytest.fixture
    def runtime(self, url: str) -> Any:
        import boto3

        return boto3.client("personalize-runtime", endpoint_url=url, **fake_credentials())


def test_boto3_finds_the_endpoint_from_the_environment(demo_dir: Path, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """Unmodified boto3 code: only AWS_ENDPOINT_URL_PERSONALIZE_EVENTS points it at `make serve`."""
    import boto3

    from scoring.server import serve_in_thread

    folder = _copy(demo_dir, tmp_path / "demo")
    server, url = serve_in_thread(folder, "127.0.0.1", 0)
    try:
        monkeypatch.setenv("AWS_ENDPOINT_URL_PERSONALIZE_EVENTS", url)
        monkeypatch.setenv("AWS_ENDPOINT_URL_PERSONALIZE", url)
        control = boto3.client("personalize", **fake_credentials())
        tracker = control.describe_event_tracker(eventTrackerArn=TRACKER)["eventTracker"]
        boto3.client("personalize-events", **fake_credentials()).put_events(
            trackingId=tracker["trackingId"], userId="env-user", sessionId="s",
            eventList=[{"eventType": "watch", "itemId": "10", "sentAt": time.time()}])
    finally:
        server.shutdown()
    assert EventStore(folder).history("env-user")["ITEM_ID"].tolist() == ["10"]


# -- the wire, byte for byte -------------------------------------------------------------------------
@pytest.fixture(scope="module")
def raw_url(demo_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    from scoring.server import serve_in_thread

    server, url = serve_in_thread(_copy(demo_dir, tmp_path_factory.mktemp("raw") / "demo"), "127.0.0.1", 0)
    yield url
    server.shutdown()


def _raw(url: str, method: str, path: str, body: bytes = b"") -> tuple[int, dict[str, str], bytes]:
    import http.client
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=10)
    try:
        conn.request(method, path, body=body, headers={"Content-Type": "application/json"})
        response = conn.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        conn.close()


def test_a_put_events_success_is_200_with_an_empty_body(raw_url: str) -> None:
    from scoring import group_files

    body = json.dumps({"trackingId": group_files.event_tracker("demo", 0)["trackingId"], "sessionId": "raw",
                       "eventList": [{"eventType": "watch", "itemId": "10", "sentAt": NOW}]}).encode()
    status, headers, answer = _raw(raw_url, "POST", "/events", body)
    assert status == 200 and answer == b"" and headers["content-length"] == "0"


@pytest.mark.parametrize(("method", "path", "body", "status", "code"), [
    ("GET", "/events", b"", 405, "MethodNotAllowedException"),
    ("POST", "/events", b"{}", 400, "InvalidInputException"),
    ("POST", "/events", b"[1]", 400, "SerializationException"),
    ("POST", "/actions", json.dumps({"datasetArn": ITEMS, "actions": [{"actionId": "a"}]}).encode(), 400,
     "InvalidInputException"),
    ("POST", "/users", json.dumps({"datasetArn": arns.local_arn("dataset", "x", "USERS"),
                                   "users": [{"userId": "u"}]}).encode(), 404, "ResourceNotFoundException"),
], ids=["get", "missing-members", "not-an-object", "actions", "unknown-dataset"])
def test_events_routes_refuse_as_aws_does(raw_url: str, method: str, path: str, body: bytes, status: int,
                                          code: str) -> None:
    got, headers, answer = _raw(raw_url, method, path, body)
    assert got == status and headers["x-amzn-errortype"] == code
    assert json.loads(answer)["message"]
