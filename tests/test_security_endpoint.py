"""Endpoint abuse, bounded in time and count, on loopback only (issue 13, findings 8, 9, 12).

Each test opens at most a few dozen sockets on 127.0.0.1 and finishes in seconds. What held
before the fix is guarded here too: loopback-only binds, slowloris and half-sent bodies that
do not slow other clients, JSON 431/414/413, JSON 4xx for malformed JSON, NUL and traversal.
"""

from __future__ import annotations

import json
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from scoring import arns, server

REC = arns.local_arn("campaign", "demo-user-personalization")
GOOD = json.dumps({"campaignArn": REC, "userId": "1", "numResults": 3}).encode()


@pytest.fixture(scope="module")
def endpoint(demo_dir: Path) -> Iterator[tuple[server.LocalEndpointServer, tuple[str, int]]]:
    srv, url = server.serve_in_thread(demo_dir, "127.0.0.1", 0, max_connections=16)
    parts = urlsplit(url)
    yield srv, (str(parts.hostname), int(parts.port or 0))
    srv.shutdown(grace=2)


def _connect(address: tuple[str, int], timeout: float = 10) -> socket.socket:
    return socket.create_connection(address, timeout=timeout)


def _read_reply(sock: socket.socket) -> tuple[int, dict[str, str], bytes]:
    """One HTTP reply (status, headers, body), read by Content-Length."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    length = int(headers.get("content-length", "0"))
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        body += chunk
    return status, headers, body


def _post(address: tuple[str, int], head: bytes, body: bytes = b"") -> tuple[int, dict[str, str], bytes]:
    with _connect(address) as sock:
        sock.sendall(head + body)
        return _read_reply(sock)


def _good_request(address: tuple[str, int]) -> float:
    """Seconds a normal GetRecommendations takes end to end."""
    started = time.monotonic()
    status, _, body = _post(address, b"POST /recommendations HTTP/1.1\r\nHost: x\r\nContent-Type: "
                            b"application/json\r\nContent-Length: %d\r\n\r\n" % len(GOOD), GOOD)
    assert status == 200, body
    assert len(json.loads(body)["itemList"]) == 3
    return time.monotonic() - started


def _closed(sock: socket.socket, within: float = 5.0) -> bool:
    """True when the server closes the connection (EOF) within `within` seconds."""
    sock.settimeout(within)
    try:
        while sock.recv(65536):
            pass
        return True
    except (TimeoutError, socket.timeout):
        return False
    except OSError:
        return True


# -- finding 8: connection cap and bounded header buffering -----------------------------------
def test_connections_beyond_the_cap_get_a_clear_503(endpoint: tuple[server.LocalEndpointServer, tuple[str, int]]) -> None:
    srv, address = endpoint
    idle = threading.active_count()
    stalled = [_connect(address) for _ in range(srv.max_connections)]
    try:
        # Let the server accept them all, each on its thread (a fixed wait was too short under load:
        # threads still starting were counted as threads of refused connections).
        deadline = time.monotonic() + 10
        full = srv.max_connections
        while time.monotonic() < deadline and (
                len(srv.connections) < full or threading.active_count() < idle + full):
            time.sleep(0.02)
        before = threading.active_count()
        extra = [_connect(address) for _ in range(20)]  # bounded: 20 over the cap
        replies = []
        for sock in extra:
            with sock:
                replies.append(_read_reply(sock))
        assert {status for status, _, _ in replies} == {503}
        status, headers, body = replies[0]
        assert headers["retry-after"] == "1" and headers["connection"] == "close"
        assert "limit" in json.loads(body)["message"]
        assert threading.active_count() <= before + 2  # no thread per refused connection
    finally:
        for sock in stalled:
            sock.close()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:  # the stalled ones are noticed as closed, then served again
        try:
            _good_request(address)
            break
        except (AssertionError, ValueError, IndexError):
            time.sleep(0.2)
    assert _good_request(address) < 5


def test_header_block_is_capped_in_total_not_per_line(endpoint: tuple[server.LocalEndpointServer, tuple[str, int]]) -> None:
    _, address = endpoint
    line = b"X-Filler: " + b"a" * 8000 + b"\r\n"  # each line well under the per-line cap
    with _connect(address) as sock:
        sock.sendall(b"POST /recommendations HTTP/1.1\r\nHost: x\r\n")
        sent = 0
        try:
            for _ in range(90):  # 720 KB offered, the cap is 64 KiB
                sock.sendall(line)
                sent += len(line)
        except OSError:
            pass  # the server answered and closed before we finished: what we want
        status, headers, body = _read_reply(sock)
    assert status == 431 and "exceed" in json.loads(body)["message"]
    assert sent < 90 * len(line) or status == 431


def test_slow_headers_time_out(endpoint: tuple[server.LocalEndpointServer, tuple[str, int]],
                               monkeypatch: pytest.MonkeyPatch) -> None:
    _, address = endpoint
    monkeypatch.setattr(server, "HEADER_TIMEOUT", 1.0)
    with _connect(address) as sock:
        sock.sendall(b"POST /recommendations HTTP/1.1\r\nHost: x\r\n")
        started = time.monotonic()
        for _ in range(6):  # a header line every 0.3 s, never finishing
            try:
                sock.sendall(b"X-Slow: 1\r\n")
            except OSError:
                break
            time.sleep(0.3)
        status, _, body = _read_reply(sock)
    assert status == 408 and json.loads(body)["message"]
    assert time.monotonic() - started < 5


# -- what held: slowloris, half-sent bodies, caps, loopback -----------------------------------
def test_slowloris_and_half_sent_bodies_do_not_slow_others(
        endpoint: tuple[server.LocalEndpointServer, tuple[str, int]]) -> None:
    _, address = endpoint
    loris = [_connect(address) for _ in range(5)]
    halves = [_connect(address) for _ in range(5)]
    try:
        for sock in loris:
            sock.sendall(b"POST /recommendations HTTP/1.1\r\nHost: x\r\nX-A: ")
        for sock in halves:
            sock.sendall(b"POST /recommendations HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n{\"ca")
        assert max(_good_request(address) for _ in range(5)) < 3
    finally:
        for sock in loris + halves:
            sock.close()


def test_request_line_header_and_body_caps_are_json(endpoint: tuple[server.LocalEndpointServer, tuple[str, int]]) -> None:
    _, address = endpoint
    status, _, body = _post(address, b"GET /" + b"a" * 70_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n")
    assert status == 414 and json.loads(body)["message"]
    status, _, body = _post(address, b"POST /recommendations HTTP/1.1\r\nHost: x\r\nX-Big: "
                            + b"b" * 70_000 + b"\r\n\r\n")
    assert status == 431 and json.loads(body)["message"]
    status, _, body = _post(address, b"POST /recommendations HTTP/1.1\r\nHost: x\r\n"
                            b"Content-Length: 2000000\r\nExpect: 100-continue\r\n\r\n")
    assert status == 413 and json.loads(body)["message"]


def test_the_endpoint_refuses_non_loopback_binds(demo_dir: Path) -> None:
    for host in ("0.0.0.0", "::", "192.0.2.1"):
        with pytest.raises(server.RemoteBindRefused):
            server.make_server(demo_dir, host, 0)


# -- finding 12: strict framing -----------------------------------------------------------------
@pytest.mark.parametrize("value", [b"0_2", b"+2", b"-1", b"0x2", b"2 2", b"1e3", b"\xd9\xa2", b""])
def test_content_length_must_be_plain_digits(endpoint: tuple[server.LocalEndpointServer, tuple[str, int]],
                                             value: bytes) -> None:
    _, address = endpoint
    status, headers, body = _post(address, b"POST /recommendations HTTP/1.1\r\nHost: x\r\n"
                                  b"Content-Length: " + value + b"\r\n\r\n{}")
    assert status == 400 and headers["connection"] == "close"
    assert json.loads(body)["message"]


@pytest.mark.parametrize("size", [b"0x2", b"+2", b"2_0", b" 2", b"-2", b"", b"fffffffffffffffffff"])
def test_chunk_sizes_must_be_plain_hex(endpoint: tuple[server.LocalEndpointServer, tuple[str, int]],
                                       size: bytes) -> None:
    _, address = endpoint
    status, _, body = _post(address, b"POST /recommendations HTTP/1.1\r\nHost: x\r\nContent-Type: "
                            b"application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
                            + size + b"\r\n{}\r\n0\r\n\r\n")
    assert status == 400 and "chunk" in json.loads(body)["message"]


def test_plain_chunks_with_extensions_still_work(endpoint: tuple[server.LocalEndpointServer, tuple[str, int]]) -> None:
    _, address = endpoint
    chunked = b"%x;name=v\r\n%s\r\n0\r\n\r\n" % (len(GOOD), GOOD)
    status, _, body = _post(address, b"POST /recommendations HTTP/1.1\r\nHost: x\r\nContent-Type: "
                            b"application/json\r\nTransfer-Encoding: chunked\r\n\r\n" + chunked)
    assert status == 200 and len(json.loads(body)["itemList"]) == 3


def test_content_length_with_transfer_encoding_is_refused_and_closed(
        endpoint: tuple[server.LocalEndpointServer, tuple[str, int]]) -> None:
    _, address = endpoint
    with _connect(address) as sock:
        sock.sendall(b"POST /recommendations HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n"
                     b"Transfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n")
        status, headers, body = _read_reply(sock)
        assert status == 400 and headers["connection"] == "close"
        assert "not both" in json.loads(body)["message"]
        assert _closed(sock)


@pytest.mark.parametrize("params", [
    {"numResults": True}, {"numResults": False},
    {"promotions": [{"name": "p", "percentPromotedItems": True,
                     "filterArn": arns.local_arn("filter", "recent-years")}]},
])
def test_booleans_are_not_numbers(endpoint: tuple[server.LocalEndpointServer, tuple[str, int]],
                                  params: dict[str, object]) -> None:
    _, address = endpoint
    body = json.dumps({"campaignArn": REC, "userId": "1", **params}).encode()
    status, headers, reply = _post(address, b"POST /recommendations HTTP/1.1\r\nHost: x\r\nContent-Type: "
                                   b"application/json\r\nContent-Length: %d\r\n\r\n" % len(body), body)
    assert status == 400 and headers["x-amzn-errortype"] == "InvalidInputException"
    assert "bool" in json.loads(reply)["message"]


# -- what held: JSON 4xx for malformed input ----------------------------------------------------
@pytest.mark.parametrize("body", [
    b"{not json", b"[1, 2]", b'{"campaignArn": "arn:aws:personalize:local:0:campaign/a\\u0000b", "userId": "1"}',
    b'{"campaignArn": "arn:aws:personalize:local:000000000000:campaign/../../etc/passwd", "userId": "1"}',
    b'{"campaignArn": "../../../../etc/passwd", "userId": "1"}',
])
def test_malformed_json_nul_and_traversal_get_a_json_4xx(
        endpoint: tuple[server.LocalEndpointServer, tuple[str, int]], body: bytes) -> None:
    _, address = endpoint
    status, _, reply = _post(address, b"POST /recommendations HTTP/1.1\r\nHost: x\r\nContent-Type: "
                             b"application/json\r\nContent-Length: %d\r\n\r\n" % len(body), body)
    assert 400 <= status < 500 and json.loads(reply)["message"]
    assert b"/etc/passwd\x00" not in reply and b"root:" not in reply


# -- finding 9: no file paths in any error --------------------------------------------------------
def test_a_vanished_group_answers_500_without_paths(demo_dir: Path, tmp_path: Path) -> None:
    group = tmp_path / "secret-place" / "vanishing"
    shutil.copytree(demo_dir, group)
    srv, url = server.serve_in_thread(group, "127.0.0.1", 0)
    parts = urlsplit(url)
    address = (str(parts.hostname), int(parts.port or 0))
    try:
        shutil.rmtree(group)
        control = json.dumps({"name": "f1", "datasetGroupArn": arns.local_arn("dataset-group", "demo"),
                              "filterExpression": 'EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("watch")'}).encode()
        requests = [
            (b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-amz-json-1.1\r\n"
             b"X-Amz-Target: AmazonPersonalize.CreateFilter\r\nContent-Length: %d\r\n\r\n" % len(control), control),
            (b"POST /recommendations HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
             b"Content-Length: %d\r\n\r\n" % len(GOOD), GOOD),
        ]
        seen_500 = False
        for head, body in requests:
            status, _, reply = _post(address, head, body)
            assert str(tmp_path).encode() not in reply and b"secret-place" not in reply
            assert b"Error:" not in reply and b"Traceback" not in reply
            if status >= 500:
                seen_500 = True
                assert b"request id" in reply
        assert seen_500
    finally:
        srv.shutdown(grace=2)
