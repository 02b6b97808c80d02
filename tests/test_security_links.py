"""Shared links cannot redirect signed calls; answers of the wrong shape and hung endpoints end
as one clear message (issue 13, findings 2 and 11).

A fake "Personalize" on loopback records every request it gets, so the tests can tell whether
the console sent anything (and credentials) to it before the person accepted it.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from scoring import answers, aws, errors
from tests.app_support import errors_of, new_app, rendered

CAMPAIGN = "arn:aws:personalize:us-east-1:123456789012:campaign/evil"
SECRET_KEY_ID = "AKIASECURITYTEST0001"


class FakePersonalize:
    """Answers X-Amz-Target operations with canned JSON and records the requests."""

    def __init__(self, answers_by_op: dict[str, Any], delay: float = 0.0) -> None:
        self.answers, self.delay = answers_by_op, delay
        self.requests: list[dict[str, str]] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - the stdlib's name
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                op = (self.headers.get("X-Amz-Target") or self.path).rsplit(".", 1)[-1]
                fake.requests.append({"op": op, "authorization": self.headers.get("Authorization", "")})
                if fake.delay:
                    time.sleep(fake.delay)
                body = json.dumps(fake.answers.get(op, {})).encode()
                try:
                    self.send_response(200)
                    self.send_header("Content-Type", "application/x-amz-json-1.1")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except OSError:
                    pass

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", SECRET_KEY_ID)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "security-test-secret")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.setattr(aws, "default_region", lambda: "us-east-1")


@pytest.fixture
def attacker(credentials: None) -> Iterator[FakePersonalize]:
    fake = FakePersonalize({"ListCampaigns": {"campaigns": [{"campaignArn": CAMPAIGN, "name": "evil",
                                                             "status": "ACTIVE"}]},
                            "DescribeCampaign": {}})  # made up: no "campaign"
    yield fake
    fake.close()


def _open_link(url: str) -> Any:
    at = new_app()
    at.query_params.update({"source": "aws", "region": "us-east-1", "endpoint": url, "campaign": CAMPAIGN})
    return at.run()


# -- finding 2: a link never points the console at an endpoint by itself ----------------------
def test_a_linked_endpoint_gets_nothing_until_the_person_accepts_it(attacker: FakePersonalize) -> None:
    at = _open_link(attacker.url)
    assert not at.exception
    assert attacker.requests == []  # nothing sent, nothing signed
    warning = " ".join(rendered(w.value) for w in at.warning)
    assert attacker.url in warning and "credentials" in warning
    assert at.button(key="endpoint_accept") and at.button(key="endpoint_ignore")
    assert any("EndpointNotConfirmed" in e for e in errors_of(at))
    assert at.text_input(key="aws_endpoint").value in ("", None)

    at.run()  # reruns do not send anything either
    assert attacker.requests == []


def test_ignoring_the_linked_endpoint_never_contacts_it(attacker: FakePersonalize,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str | None] = []
    real = aws.live_client

    def recording(service: str, region: str | None, profile: str | None = None,
                  endpoint_url: str | None = None) -> Any:
        calls.append(endpoint_url)
        return real(service, region, profile, "http://127.0.0.1:9")  # never AWS from a test

    monkeypatch.setattr(aws, "live_client", recording)
    at = _open_link(attacker.url)
    at.button(key="endpoint_ignore").click().run()
    assert not at.exception
    assert attacker.requests == []
    assert calls and all(c is None for c in calls)  # AWS's own endpoint, not the link's


def test_accepting_it_then_a_made_up_answer_is_a_clear_message_not_a_keyerror(
        attacker: FakePersonalize) -> None:
    at = _open_link(attacker.url)
    at.button(key="endpoint_accept").click().run()
    assert not at.exception
    assert [r["op"] for r in attacker.requests][:1] == ["ListCampaigns"]
    shown = " ".join(errors_of(at))
    assert "MalformedAnswer" in shown and attacker.url in shown and "DescribeCampaign" in shown
    assert "KeyError" not in shown and "Traceback" not in shown


@pytest.mark.parametrize("url, ok", [
    ("https://personalize.eu-west-1.amazonaws.com", True),
    ("https://vpce-1.personalize.us-east-1.vpce.amazonaws.com:443", True),
    ("http://127.0.0.1:8080", True), ("http://localhost:8080/", True), ("http://[::1]:8080", True),
    ("http://attacker.example:8080", False), ("http://10.0.0.5", False),
    ("ftp://x.example", False), ("file:///etc/passwd", False), ("javascript:alert(1)", False),
    ("https://user:pw@x.example", False), ("https://x.example/path?q=1", False),
    ("https://", False), ("https://x.example:99999", False), ("not a url", False),
])
def test_endpoint_urls_are_checked(url: str, ok: bool) -> None:
    assert (aws.endpoint_problem(url) is None) == ok
    if not ok:
        with pytest.raises(aws.InvalidEndpoint):
            aws.live_client("personalize", "us-east-1", endpoint_url=url)


def test_a_typed_plain_http_endpoint_elsewhere_is_refused_on_the_page(credentials: None) -> None:
    at = new_app()
    at.query_params.update({"source": "aws"})
    at.run()
    at.text_input(key="aws_endpoint").input("http://attacker.example:8080").run()
    assert not at.exception
    assert any("InvalidEndpointURL" in e and "clear text" in e for e in errors_of(at))


@pytest.mark.parametrize("op, answer, needle", [
    ("DescribeCampaign", {"campaign": "x"}, "shape"),
    ("DescribeCampaign", {"campaign": {"name": 5}}, "campaign.name"),
    ("ListCampaigns", {"campaigns": "abc"}, "shape"),
    ("ListCampaigns", {"campaigns": [{"name": "no arn"}]}, "campaignArn"),
])
def test_answers_of_the_wrong_shape_become_malformed_answer(credentials: None, op: str,
                                                            answer: Any, needle: str) -> None:
    fake = FakePersonalize({op: answer})
    try:
        client = aws.live_client("personalize", "us-east-1", endpoint_url=fake.url)
        with pytest.raises(answers.MalformedAnswer) as caught:
            if op == "DescribeCampaign":
                client.describe_campaign(campaignArn=CAMPAIGN)
            else:
                client.list_campaigns()
        problem = errors.explain(caught.value)
        assert problem.code == "MalformedAnswer" and fake.url in problem.message
        assert needle in problem.message and op in problem.message
    finally:
        fake.close()


def test_runtime_answers_are_checked_too(credentials: None) -> None:
    fake = FakePersonalize({})
    fake.answers["/recommendations"] = {"itemList": [{"score": "high"}]}
    try:
        runtime = aws.live_client("personalize-runtime", "us-east-1", endpoint_url=fake.url)
        with pytest.raises(answers.MalformedAnswer):
            runtime.get_recommendations(campaignArn=CAMPAIGN, userId="1")
    finally:
        fake.close()


# -- finding 11: one call, one time budget ----------------------------------------------------
@pytest.fixture
def short_timeouts(monkeypatch: pytest.MonkeyPatch) -> None:
    """The defaults' arithmetic at a fraction of the wait: 1 + 2 s per attempt and 3.5 s in all
    (3 + 5 and 12 s), so a hung endpoint gets one attempt, not a second. aws reads all three at
    each call."""
    monkeypatch.setattr(aws, "CONNECT_TIMEOUT", 1)
    monkeypatch.setattr(aws, "READ_TIMEOUT", 2)
    monkeypatch.setattr(aws, "CALL_BUDGET", 3.5)


@pytest.fixture
def hung_listener() -> Iterator[tuple[str, list[socket.socket]]]:
    """Accepts connections and never answers; the URL and the connections it accepted."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}", held
    stop.set()
    thread.join(timeout=2)
    for sock in held:
        sock.close()
    listener.close()


@pytest.fixture
def hung(hung_listener: tuple[str, list[socket.socket]]) -> str:
    """The URL of an endpoint that accepts connections and never answers."""
    return hung_listener[0]


def test_a_hung_endpoint_fails_one_call_within_the_budget_naming_it(
        credentials: None, short_timeouts: None, hung: str) -> None:
    client = aws.live_client("personalize", "us-east-1", endpoint_url=hung)
    started = time.monotonic()
    with pytest.raises(Exception) as caught:
        client.list_campaigns()
    took = time.monotonic() - started
    assert took <= aws.CALL_BUDGET + 1.5  # without the budget: 3 attempts x the read timeout
    problem = errors.explain(caught.value)
    assert problem.code == "Timeout" and hung in problem.message


def test_retries_stop_when_the_next_could_not_finish_in_budget(credentials: None,
                                                              short_timeouts: None) -> None:
    fake = FakePersonalize({}, delay=0.0)
    calls = []

    class Failing(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            calls.append(time.monotonic())
            time.sleep(0.4)  # one retry fits in the budget (0.4 + 1 + 2 s), a second does not
            self.send_response(503)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, *args: Any) -> None:
            pass

    fake.close()
    server = ThreadingHTTPServer(("127.0.0.1", 0), Failing)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}"
    try:
        client = aws.live_client("personalize", "us-east-1", endpoint_url=url)
        started = time.monotonic()
        with pytest.raises(aws.CallBudgetExceeded) as caught:
            client.list_campaigns()
        assert time.monotonic() - started <= aws.CALL_BUDGET + 1
        assert url in str(caught.value) and "503" in str(caught.value)
        assert 1 <= len(calls) <= 2
    finally:
        server.shutdown()
        server.server_close()


def test_a_hung_endpoint_is_not_called_again_on_every_rerun(
        credentials: None, short_timeouts: None, hung_listener: tuple[str, list[socket.socket]],
        monkeypatch: pytest.MonkeyPatch) -> None:
    hung, connections = hung_listener
    made: list[str] = []
    real = aws.live_client

    def counting(service: str, region: str | None, profile: str | None = None,
                 endpoint_url: str | None = None) -> Any:
        made.append(service)
        return real(service, region, profile, endpoint_url)

    monkeypatch.setattr(aws, "live_client", counting)
    at = new_app()
    at.query_params.update({"source": "aws"})
    at.default_timeout = 60
    at.run()
    at.text_input(key="aws_endpoint").input(hung).run()
    assert any("Timeout" in e and hung in e for e in errors_of(at))
    clients_so_far, calls_so_far = len(made), len(connections)
    assert calls_so_far >= 1
    at.run()  # a rerun within the retry window: no new call, no wait
    assert len(made) == clients_so_far
    assert len(connections) == calls_so_far
    assert at.button(key="sidebar_retry")
