"""The endpoint's two header readers agree (issue 14, endpoint CPU).

`server.buffered_headers` parses a header block that is already in the connection's buffer in one
pass; whatever it does not accept goes to the line-by-line reader, which enforces every cap. So
wherever the quick one answers, it must answer what the line reader answers for the same bytes.
"""

from __future__ import annotations

import io
import time
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from scoring import server

_names = st.sampled_from(["Host", "Content-Type", "content-length", "Content-Length", "X-Amz-Target",
                          "Transfer-Encoding", "Connection", "Expect", "amz-sdk-request", "", " Host",
                          "Bad Name", "X\x85"])
_values = st.sampled_from(["", "1", " 12 ", "application/json", "keep-alive", "close", "a:b", "\t x",
                           "caf\xe9", "100-continue"])
_endings = st.sampled_from(["\r\n", "\n", "\r\r\n"])


@st.composite
def header_blocks(draw: st.DrawFn) -> bytes:
    """A header block as a client might send it, well formed or not, then a body."""
    lines = []
    for _ in range(draw(st.integers(0, 8))):
        kind = draw(st.sampled_from(["header", "header", "header", "folded", "no colon"]))
        name, value, end = draw(_names), draw(_values), draw(_endings)
        line = {"header": f"{name}:{value}", "folded": f" {name}: {value}", "no colon": name}[kind]
        lines.append(line + end)
    block = "".join(lines) + draw(st.sampled_from(["\r\n", "\n", ""]))  # "": not all arrived
    return block.encode("latin-1") + draw(st.sampled_from([b"", b"{}", b"\r\n\r\nbody"]))


class _Connection:
    def settimeout(self, _value: Any) -> None:
        pass


def _line_reader(data: bytes) -> tuple[dict[str, str] | None, int]:
    """What the line-by-line reader makes of `data`, and how many bytes it read."""
    handler = server.Handler.__new__(server.Handler)
    handler.rfile = io.BufferedReader(io.BytesIO(data))
    handler.wfile = io.BytesIO()
    handler.connection = _Connection()
    handler.request_version, handler.command = "HTTP/1.1", "POST"
    handler.server = type("S", (), {"verbose": False})()
    handler.client_address = ("127.0.0.1", 0)
    headers = handler._read_headers(time.monotonic() + 60)
    return (None if headers is None else dict(headers)), handler.rfile.tell()


@given(header_blocks())
def test_the_buffered_reader_answers_as_the_line_reader(data: bytes) -> None:
    quick = server.buffered_headers(data)
    if quick is not None:
        headers, size = quick
        assert _line_reader(data) == (dict(headers), size)


def test_a_boto3_header_block_is_read_from_the_buffer() -> None:
    data = (b"Host: 127.0.0.1:8080\r\nContent-Type: application/json\r\nContent-Length: 2\r\n"
            b"amz-sdk-request: attempt=1\r\n\r\n{}")
    headers, size = server.buffered_headers(data) or ({}, 0)
    assert (dict(headers), data[size:]) == ({"host": "127.0.0.1:8080", "content-type": "application/json",
                                            "content-length": "2", "amz-sdk-request": "attempt=1"}, b"{}")


def test_a_block_that_has_not_all_arrived_goes_to_the_line_reader() -> None:
    assert server.buffered_headers(b"Host: 127.0.0.1\r\nContent-Type: appl") is None


def test_a_malformed_line_goes_to_the_line_reader_for_its_error() -> None:
    assert server.buffered_headers(b"Host: x\r\n Folded: y\r\n\r\n") is None
