"""Hypothesis against the local endpoint: whatever the body (valid requests, invalid values, wrong
JSON types, odd Unicode including lone surrogates, raw bytes, oversized), the answer is a well-formed
HTTP response with a JSON body and never a 5xx.

Two layers: `wire.Endpoint.handle` directly (fast, many examples) and the real server over one
persistent HTTP/1.1 connection (framing, Content-Length, keep-alive). Example counts are bounded
so the module runs in well under a minute.
"""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from botocore.exceptions import ClientError, ParamValidationError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import scoring
from scoring import arns, server, wire

REC = arns.local_arn("campaign", "demo-user-personalization")
RANK = arns.local_arn("campaign", "demo-personalized-ranking")
MISSING = arns.local_arn("campaign", "no-such-campaign")

FAST = settings(max_examples=400, deadline=None, suppress_health_check=list(HealthCheck))
WIRE = settings(max_examples=120, deadline=None, suppress_health_check=list(HealthCheck))

# -- strategies ------------------------------------------------------------------------------
odd_text = st.one_of(
    st.text(max_size=40),
    st.text(st.characters(blacklist_categories=()), max_size=40),  # surrogates, controls, private use
    st.sampled_from(["", " ", "\x00", "\ud800", "🎬" * 100, "ß" * 300, "u" * 257, "x" * 1001,
                     "DEVICE", "mobile phone", "1", "10", "never-seen", "BAD KEY", "a.b", "$GENRES"]),
)
json_scalar = st.one_of(st.none(), st.booleans(), st.integers(min_value=-(10**30), max_value=10**30),
                        st.floats(allow_nan=False, allow_infinity=False), odd_text)
json_any = st.recursive(json_scalar, lambda inner: st.one_of(
    st.lists(inner, max_size=5), st.dictionaries(odd_text, inner, max_size=5)), max_leaves=20)

arn = st.one_of(st.sampled_from([REC, RANK, MISSING, "not-an-arn", "arn:aws:personalize:::recipe/x",
                                 arns.local_arn("filter", "f"), "arn:" + "x" * 300]), odd_text)
string_map = st.dictionaries(odd_text, odd_text, max_size=8) | st.dictionaries(
    st.sampled_from(["DEVICE", "GENRES", "K_1"]), st.sampled_from(["mobile phone", "desktop", '"Action"']),
    max_size=3) | st.just({f"KEY_{i}": "v" for i in range(151)})
count = st.one_of(st.integers(min_value=-5, max_value=1000), st.sampled_from([0, 25, 50, 500, 501, 10**12]))
input_list = st.one_of(st.lists(odd_text, max_size=30), st.lists(st.sampled_from(["1", "10", "20", "x"]),
                                                                   max_size=30),
                       st.just([str(i) for i in range(501)]))
promotion = st.fixed_dictionaries({}, optional={"name": odd_text, "percentPromotedItems": count,
                                                "filterArn": arn, "filterValues": string_map})
metadata = st.dictionaries(st.sampled_from(["ITEMS", "USERS", "x"]),
                           st.lists(st.sampled_from(["TITLE", "GENRES", "NOPE"]) | odd_text, max_size=12),
                           max_size=2)

recommendations = st.fixed_dictionaries({}, optional={
    "campaignArn": arn, "recommenderArn": arn, "userId": odd_text, "itemId": odd_text, "numResults": count,
    "context": string_map, "filterArn": arn, "filterValues": string_map,
    "promotions": st.lists(promotion, max_size=2), "metadataColumns": metadata})
short_text = st.text(st.characters(blacklist_categories=()), max_size=12)
valid_context = st.dictionaries(st.sampled_from(["DEVICE", "OTHER", "K_1"]),
                                st.sampled_from(["mobile phone", "desktop", "tablet"]) | short_text, max_size=3)
valid_recommendations = st.fixed_dictionaries(
    {"campaignArn": st.just(REC), "userId": st.sampled_from(["1", "2", "3", "nobody"]) | short_text},
    optional={"numResults": st.integers(min_value=0, max_value=500), "context": valid_context})
valid_ranking = st.fixed_dictionaries(
    {"campaignArn": st.just(RANK), "userId": st.sampled_from(["1", "2", "nobody"]) | short_text,
     "inputList": st.lists(st.sampled_from([str(i) for i in range(1, 60)]) | short_text, max_size=40)},
    optional={"context": valid_context})
ranking = st.fixed_dictionaries({}, optional={
    "campaignArn": arn, "userId": odd_text, "inputList": input_list, "context": string_map,
    "filterArn": arn, "filterValues": string_map, "metadataColumns": metadata})
control_body = st.fixed_dictionaries({}, optional={
    "campaignArn": arn, "solutionArn": arn, "solutionVersionArn": arn, "recipeArn": arn,
    "datasetGroupArn": arn, "datasetArn": arn, "schemaArn": arn, "filterArn": arn,
    "maxResults": count, "nextToken": odd_text})


def _with_wrong_types(valid: st.SearchStrategy[dict[str, Any]]) -> st.SearchStrategy[dict[str, Any]]:
    """Valid-looking requests with some members replaced by any JSON value, or extra members."""
    return st.tuples(valid, st.dictionaries(st.sampled_from(
        ["campaignArn", "userId", "numResults", "context", "inputList", "promotions", "metadataColumns",
         "filterValues", "maxResults", "nextToken", "self", "kwargs"]) | odd_text, json_any, max_size=3)
    ).map(lambda pair: pair[0] | pair[1])


def _encode(value: Any) -> bytes:
    return json.dumps(value).encode()  # ensure_ascii: lone surrogates travel as \\udXXX escapes


body_bytes = st.one_of(
    recommendations.map(_encode), ranking.map(_encode), control_body.map(_encode),
    _with_wrong_types(recommendations).map(_encode), _with_wrong_types(ranking).map(_encode),
    json_any.map(_encode),
    st.binary(max_size=200),
    st.text(st.characters(blacklist_categories=("Cs",)), max_size=100).map(lambda s: s.encode("utf-8")),
    st.sampled_from([b"", b"{", b"{}", b"[]", b"null", b'{"a": NaN}', b'{"a": Infinity}', b"\xef\xbb\xbf{}",
                     b"[" * 5000, b'{"numResults": 1' + b"0" * 5000 + b"}", '{"é": 1}'.encode("utf-16")]),
)

control_ops = sorted(wire.control_operations())
route = st.one_of(
    st.sampled_from([("POST", "/recommendations", None), ("POST", "/personalize-ranking", None),
                     ("POST", "/action-recommendations", None)]),
    st.sampled_from(["ListCampaigns", "DescribeCampaign", "DescribeSolutionVersion", "DescribeRecipe",
                     "GetSolutionMetrics", "ListFilters", "DescribeFilter", "ListDatasets", "DescribeDataset",
                     "DescribeSchema", "ListSolutions", "ListDatasetGroups", "DescribeDatasetGroup"]
                    + control_ops).map(lambda op: ("POST", "/", f"AmazonPersonalize.{op}")),
    st.tuples(st.sampled_from(["GET", "POST", "PUT", "DELETE", "HEAD"]),
              st.sampled_from(["/", "/ping", "/recommendations", "/x", "/recommendations/", "//", "/?a=b"]),
              st.one_of(st.none(), st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=60))),
)
content_type = st.sampled_from([None, "application/json", "application/x-amz-json-1.1", "text/plain",
                                "application/json; charset=utf-8", "multipart/form-data"])


def _check_reply(status: int, headers: dict[str, str], body: bytes, method: str) -> None:
    assert 200 <= status < 500, (status, body[:500])
    if method == "HEAD":
        return
    payload = json.loads(body)
    assert isinstance(payload, dict)
    if status >= 400:
        assert isinstance(payload["message"], str) and payload["message"]
        assert headers["x-amzn-errortype"]


# -- layer 1: the wire mapping, no sockets -----------------------------------------------------
@pytest.fixture(scope="module")
def endpoint_obj(demo_dir: Path) -> wire.Endpoint:
    return server.make_endpoint(demo_dir)


@FAST
@given(route=route, body=body_bytes, ctype=content_type)
def test_wire_never_answers_5xx(endpoint_obj: wire.Endpoint, route: tuple[str, str, str | None],
                                body: bytes, ctype: str | None) -> None:
    method, path, target = route
    headers = {}
    if target is not None:
        headers["x-amz-target"] = target
    if ctype is not None:
        headers["content-type"] = ctype
    reply = endpoint_obj.handle(method, path, headers, body)
    _check_reply(reply.status, {k.lower(): v for k, v in reply.headers.items()}, reply.body, method)
    assert reply.headers["x-amzn-RequestId"]


@FAST
@given(request=st.one_of(valid_recommendations.map(lambda p: ("/recommendations", p)),
                         valid_ranking.map(lambda p: ("/personalize-ranking", p)),
                         recommendations.map(lambda p: ("/recommendations", p)),
                         ranking.map(lambda p: ("/personalize-ranking", p))))
def test_wire_agrees_with_the_in_process_client(endpoint_obj: wire.Endpoint, demo_dir: Path,
                                                request: tuple[str, dict[str, Any]]) -> None:
    """Same request, same outcome: the item IDs and scores, or the same error code and message."""
    path, params = request
    local = scoring.client("personalize-runtime", demo_dir)
    method = local.get_recommendations if path == "/recommendations" else local.get_personalized_ranking
    reply = endpoint_obj.handle("POST", path, {"content-type": "application/json"}, _encode(params))
    try:
        expected = method(**params)
    except (ClientError, ParamValidationError) as exc:
        assert reply.status in (400, 404)
        if hasattr(exc, "response"):
            assert reply.headers["x-amzn-ErrorType"] == exc.response["Error"]["Code"]
            assert json.loads(reply.body)["message"] == exc.response["Error"]["Message"]
        else:
            assert reply.headers["x-amzn-ErrorType"] == "InvalidInputException"
        return
    assert reply.status == 200
    key = "itemList" if path == "/recommendations" else "personalizedRanking"
    got, want = json.loads(reply.body)[key], expected[key]
    assert [i["itemId"] for i in got] == [i["itemId"] for i in want]
    assert [i.get("score") for i in got] == [i.get("score") for i in want]  # exact: repr round-trips


# -- layer 2: the real server over a persistent connection -------------------------------------
@pytest.fixture(scope="module")
def base_url(demo_dir: Path) -> Iterator[str]:
    srv, url = server.serve_in_thread(demo_dir, "127.0.0.1", 0)
    yield url
    srv.shutdown()


class Connection:
    """A keep-alive connection that reconnects only when the server said `Connection: close`."""

    def __init__(self, url: str) -> None:
        self.parts = urlsplit(url)
        self.conn: http.client.HTTPConnection | None = None
        self.requests = 0
        self.reconnects = 0

    def send(self, method: str, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        if self.conn is None:
            self.conn = http.client.HTTPConnection(self.parts.hostname, self.parts.port, timeout=30)
            self.reconnects += 1
        try:
            self.conn.request(method, path, body=body, headers=headers)
            response = self.conn.getresponse()
            data = response.read()
        except BaseException:
            self.conn.close()
            self.conn = None
            raise
        got = {k.lower(): v for k, v in response.getheaders()}
        if method != "HEAD":
            assert int(got["content-length"]) == len(data)
        if got.get("connection", "").lower() == "close":
            self.conn.close()
            self.conn = None
        self.requests += 1
        return response.status, got, data


@pytest.fixture(scope="module")
def connection(base_url: str) -> Iterator[Connection]:
    conn = Connection(base_url)
    yield conn
    if conn.conn is not None:
        conn.conn.close()


@WIRE
@given(route=route, body=body_bytes, ctype=content_type)
def test_server_never_answers_5xx(connection: Connection, route: tuple[str, str, str | None],
                                  body: bytes, ctype: str | None) -> None:
    method, path, target = route
    headers = {}
    if target is not None:
        headers["X-Amz-Target"] = target
    if ctype is not None:
        headers["Content-Type"] = ctype
    status, got, data = connection.send(method, path, body, headers)
    _check_reply(status, got, data, method)


@settings(max_examples=6, deadline=None, suppress_health_check=list(HealthCheck))
@given(size=st.sampled_from([wire.MAX_BODY - 64, wire.MAX_BODY + 1, 2 * wire.MAX_BODY, 5 * wire.MAX_BODY]),
       path=st.sampled_from(["/recommendations", "/personalize-ranking", "/"]),
       filler=st.sampled_from([b"x", b"\xff", b"["]))
def test_huge_bodies_are_refused_cleanly(connection: Connection, size: int, path: str, filler: bytes) -> None:
    prefix = b'{"campaignArn": "' + REC.encode() + b'", "userId": "'
    body = (prefix + filler * size)[:size]
    headers = {"Content-Type": "application/json", "X-Amz-Target": "AmazonPersonalize.ListCampaigns"}
    status, got, data = connection.send("POST", path, body, headers)
    _check_reply(status, got, data, "POST")
    assert status == (413 if size > wire.MAX_BODY else 400)


def test_the_connection_was_mostly_reused(connection: Connection) -> None:
    """Errors in the body (not the framing) keep the connection open, as botocore expects."""
    if connection.requests:
        assert connection.reconnects <= connection.requests // 2 + 10
