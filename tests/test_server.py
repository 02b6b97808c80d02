"""The local Personalize endpoint over real HTTP: errors as AWS sends them, framing, safety, the
AWS docs' samples run unmodified, graceful shutdown.

The contract suite (tests/test_contract.py::TestBoto3OverHttp) covers results; this file covers
the wire: status codes, `x-amzn-ErrorType`, the botocore exception classes, malformed and oversized
bodies, unknown routes and methods, persistent connections.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import boto3
import pytest
from botocore.config import Config

import scoring
from scoring import arns, server, wire

REC = arns.local_arn("campaign", "demo-user-personalization")
RANK = arns.local_arn("campaign", "demo-personalized-ranking")
MISSING = arns.local_arn("campaign", "no-such-campaign")
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def endpoint(demo_dir: Path) -> Iterator[str]:
    srv, url = server.serve_in_thread(demo_dir, "127.0.0.1", 0)
    yield url
    srv.shutdown()


def _client(service: str, url: str) -> Any:
    return boto3.client(service, endpoint_url=url, region_name="us-east-1", aws_access_key_id="testing",
                        aws_secret_access_key="testing", config=Config(retries={"max_attempts": 1}))


@pytest.fixture
def runtime(endpoint: str) -> Any:
    return _client("personalize-runtime", endpoint)


@pytest.fixture
def control(endpoint: str) -> Any:
    return _client("personalize", endpoint)


class Raw:
    """One persistent HTTP/1.1 connection for hand-made requests."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self.conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)

    def request(self, method: str, path: str, body: bytes | str | None = None,
                headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
        if isinstance(body, str):
            body = body.encode()
        self.conn.request(method, path, body=body, headers=headers or {})
        response = self.conn.getresponse()
        data = response.read()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, data

    def close(self) -> None:
        self.conn.close()


@pytest.fixture
def raw(endpoint: str) -> Iterator[Raw]:
    conn = Raw(endpoint)
    yield conn
    conn.close()


JSON = {"Content-Type": "application/json"}
TARGET = {"Content-Type": "application/x-amz-json-1.1"}


def target(op: str) -> dict[str, str]:
    return TARGET | {"X-Amz-Target": f"AmazonPersonalize.{op}"}


# -- errors the way AWS sends them ------------------------------------------------------------
def test_invalid_input_is_400_with_error_type_header(raw: Raw) -> None:
    status, headers, body = raw.request("POST", "/recommendations",
                                        json.dumps({"campaignArn": REC, "userId": "1", "numResults": 501}), JSON)
    assert status == 400
    assert headers["x-amzn-errortype"] == "InvalidInputException"
    assert headers["x-amzn-requestid"]
    assert "numResults" in json.loads(body)["message"]


def test_unknown_campaign_is_404_with_error_type_header(raw: Raw) -> None:
    status, headers, body = raw.request("POST", "/recommendations",
                                        json.dumps({"campaignArn": MISSING, "userId": "1"}), JSON)
    assert status == 404
    assert headers["x-amzn-errortype"] == "ResourceNotFoundException"
    assert MISSING in json.loads(body)["message"]


def test_json11_errors_carry_type_in_body(raw: Raw) -> None:
    status, headers, body = raw.request("POST", "/", json.dumps({"campaignArn": MISSING}),
                                        target("DescribeCampaign"))
    assert status == 400  # the control plane's model gives its errors no status: JSON 1.1 sends 400
    assert json.loads(body)["__type"] == headers["x-amzn-errortype"] == "ResourceNotFoundException"
    assert headers["content-type"] == "application/x-amz-json-1.1"


def test_botocore_raises_the_modelled_runtime_exceptions(runtime: Any) -> None:
    with pytest.raises(runtime.exceptions.InvalidInputException) as caught:
        runtime.get_recommendations(campaignArn=REC, userId="1", context={"BAD KEY": "v"})
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert caught.value.response["ResponseMetadata"]["RequestId"]
    with pytest.raises(runtime.exceptions.ResourceNotFoundException) as missing:
        runtime.get_personalized_ranking(campaignArn=MISSING, userId="1", inputList=["1"])
    assert missing.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    assert missing.value.response["Error"]["Message"] == f"Campaign {MISSING} does not exist."


def test_botocore_raises_the_modelled_control_exceptions(control: Any) -> None:
    with pytest.raises(control.exceptions.ResourceNotFoundException) as missing:
        control.describe_campaign(campaignArn=MISSING)
    assert missing.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    with pytest.raises(control.exceptions.InvalidInputException):
        control.describe_campaign(campaignArn="not-an-arn")
    with pytest.raises(control.exceptions.InvalidNextTokenException):
        control.list_campaigns(nextToken="garbage")


def test_messages_and_codes_match_the_in_process_client(runtime: Any, demo_dir: Path) -> None:
    local = scoring.client("personalize-runtime", demo_dir)
    request = {"campaignArn": REC, "userId": "u" * 257, "numResults": 600}
    with pytest.raises(local.exceptions.InvalidInputException) as a:
        local.get_recommendations(**request)
    with pytest.raises(runtime.exceptions.InvalidInputException) as b:
        runtime.get_recommendations(**request)
    assert a.value.response["Error"] == b.value.response["Error"]


def test_unsupported_control_operation_is_a_clear_400(control: Any, raw: Raw) -> None:
    with pytest.raises(control.exceptions.InvalidInputException) as caught:
        control.create_campaign(name="x", solutionVersionArn=arns.local_arn("solution", "x", "1"))
    assert caught.value.response["Error"]["Message"] == \
        "Operation CreateCampaign is not supported by the local endpoint."
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    status, _, body = raw.request("POST", "/", "{}", target("DeleteCampaign"))
    assert status == 400 and json.loads(body)["__type"] == "InvalidInputException"
    assert "DeleteCampaign is not supported by the local endpoint" in json.loads(body)["message"]


def test_unsupported_runtime_operation_is_a_clear_400(runtime: Any) -> None:
    with pytest.raises(runtime.exceptions.InvalidInputException) as caught:
        runtime.get_action_recommendations(campaignArn=REC, userId="1")
    assert "GetActionRecommendations is not supported by the local endpoint" in str(caught.value)


@pytest.mark.parametrize("header", ["AmazonPersonalize.NoSuchOperation", "OtherService.ListCampaigns", ""])
def test_unknown_target_is_400_unknown_operation(raw: Raw, header: str) -> None:
    headers = TARGET | ({"X-Amz-Target": header} if header else {})
    status, got, body = raw.request("POST", "/", "{}", headers)
    assert status == 400
    assert got["x-amzn-errortype"] == "UnknownOperationException"
    assert json.loads(body)["message"]


def test_wrong_types_from_a_non_boto3_caller_are_invalid_input(raw: Raw) -> None:
    status, headers, body = raw.request("POST", "/recommendations",
                                        json.dumps({"campaignArn": REC, "userId": 7, "numResults": "ten"}), JSON)
    assert status == 400 and headers["x-amzn-errortype"] == "InvalidInputException"
    message = json.loads(body)["message"]
    assert "userId" in message and "numResults" in message and "\n" not in message


@pytest.mark.parametrize("body", [
    {"campaignArn": REC, "userId": "1", "self": "x"},
    {"campaignArn": REC, "userId": "1", "noSuchMember": 1},
    {"userId": "1", "inputList": ["1"]},
], ids=["self-key", "unknown-member", "missing-required"])
def test_unknown_or_missing_members_are_invalid_input(raw: Raw, body: dict[str, Any]) -> None:
    status, headers, _ = raw.request("POST", "/personalize-ranking", json.dumps(body), JSON)
    assert status == 400 and headers["x-amzn-errortype"] == "InvalidInputException"


# -- malformed, oversized, misrouted -----------------------------------------------------------
@pytest.mark.parametrize("body", [
    b"{not json", b"[1, 2, 3]", b'"a string"', b"null", b"\xff\xfe\x00garbage", b'{"numResults": NaN}',
    b"[" * 100_000, b'{"numResults": ' + b"9" * 5000 + b"}", b'{"userId": "\\ud800"',
], ids=["broken", "array", "string", "null", "bad-utf8", "nan", "deep-nesting", "huge-int", "truncated"])
def test_malformed_body_is_400_and_the_connection_survives(raw: Raw, body: bytes) -> None:
    status, headers, data = raw.request("POST", "/recommendations", body, JSON)
    assert status == 400, data
    assert headers["x-amzn-errortype"] == "SerializationException"
    assert json.loads(data)["message"]
    status, _, _ = raw.request("GET", "/ping")  # same keep-alive connection, still usable
    assert status == 200


def test_wrong_content_type_is_400(raw: Raw) -> None:
    status, _, data = raw.request("POST", "/recommendations", json.dumps({"campaignArn": REC}),
                                        {"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 400 and "application/json" in json.loads(data)["message"]


def test_empty_body_is_an_empty_request(raw: Raw) -> None:
    status, _, data = raw.request("POST", "/", b"", target("ListCampaigns"))
    assert status == 200 and json.loads(data)["campaigns"]


def test_oversized_body_is_413_with_a_json_message(raw: Raw) -> None:
    payload = json.dumps({"campaignArn": REC, "userId": "x" * (wire.MAX_BODY + 10)})
    status, headers, data = raw.request("POST", "/recommendations", payload, JSON)
    assert status == 413
    assert "limit" in json.loads(data)["message"]
    assert headers["connection"] == "close"


def test_oversized_body_over_boto3_is_a_client_error_not_a_dropped_connection(runtime: Any) -> None:
    with pytest.raises(runtime.exceptions.ClientError) as caught:
        runtime.get_personalized_ranking(campaignArn=RANK, userId="1", inputList=["x" * 1000] * 1100)
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 413


def test_oversized_chunked_body_is_413(endpoint: str) -> None:
    parts = urlsplit(endpoint)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    chunk = b"x" * 65536
    conn.request("POST", "/recommendations", body=iter([chunk] * 20), headers=JSON, encode_chunked=True)
    response = conn.getresponse()
    assert response.status == 413 and json.loads(response.read())["message"]
    conn.close()


def test_small_chunked_body_is_accepted(endpoint: str) -> None:
    parts = urlsplit(endpoint)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    body = json.dumps({"campaignArn": REC, "userId": "1", "numResults": 3}).encode()
    conn.request("POST", "/recommendations", body=iter([body[:10], body[10:]]), headers=JSON,
                 encode_chunked=True)
    response = conn.getresponse()
    assert response.status == 200 and len(json.loads(response.read())["itemList"]) == 3
    conn.close()


def test_expect_100_continue_with_oversized_length_is_refused_before_the_body(endpoint: str) -> None:
    parts = urlsplit(endpoint)
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        sock.sendall(b"POST /recommendations HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     b"Content-Length: 99999999\r\nExpect: 100-continue\r\n\r\n")
        head = sock.recv(65536).decode()
    assert head.startswith("HTTP/1.1 413")


def test_bad_content_length_is_400(endpoint: str) -> None:
    parts = urlsplit(endpoint)
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        sock.sendall(b"POST /recommendations HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n")
        head = sock.recv(65536).decode()
    assert head.startswith("HTTP/1.1 400") and "application/json" in head


def test_truncated_body_is_400_not_a_hang(endpoint: str) -> None:
    parts = urlsplit(endpoint)
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        sock.sendall(b"POST /recommendations HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{}")
        sock.shutdown(socket.SHUT_WR)
        head = sock.recv(65536).decode()
    assert head.startswith("HTTP/1.1 400")


def test_unknown_path_is_404_json(raw: Raw) -> None:
    status, _, data = raw.request("POST", "/no/such/path", "{}", JSON)
    assert status == 404
    assert "/recommendations" in json.loads(data)["message"]


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE", "PATCH"])
def test_wrong_method_on_a_post_path_is_405(raw: Raw, method: str) -> None:
    status, headers, data = raw.request(method, "/recommendations")
    assert status == 405
    assert headers["allow"] == "POST"
    assert json.loads(data)["message"]


def test_unknown_http_method_is_not_a_5xx(endpoint: str) -> None:
    parts = urlsplit(endpoint)
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        sock.sendall(b"BREW /recommendations HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
        head = sock.recv(65536).decode()
    assert head.startswith("HTTP/1.1 405")


def test_garbage_request_line_is_a_json_400(endpoint: str) -> None:
    parts = urlsplit(endpoint)
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        sock.sendall(b"\x00\x01\x02 nonsense\r\n\r\n")
        head = sock.recv(65536).decode("latin-1")
    assert head.startswith(("HTTP/1.1 400", "HTTP/1.0 400"))
    assert '{"message"' in head


def test_ping_and_head(raw: Raw) -> None:
    status, headers, data = raw.request("GET", "/ping")
    assert status == 200 and json.loads(data)["status"] == "ok"
    assert REC in json.loads(data)["campaigns"]
    status, headers, data = raw.request("HEAD", "/ping")
    assert status == 200 and data == b"" and int(headers["content-length"]) > 0


# -- transport -----------------------------------------------------------------------------
def test_connections_are_persistent_with_fresh_request_ids(raw: Raw) -> None:
    body = json.dumps({"campaignArn": REC, "userId": "1", "numResults": 5})
    ids = set()
    for _ in range(5):
        status, headers, data = raw.request("POST", "/recommendations", body, JSON)
        assert status == 200 and int(headers["content-length"]) == len(data)
        assert "connection" not in headers
        ids.add(headers["x-amzn-requestid"])
    assert len(ids) == 5


def test_signatures_are_ignored(runtime: Any, endpoint: str) -> None:
    other = boto3.client("personalize-runtime", endpoint_url=endpoint, region_name="eu-west-1",
                         aws_access_key_id="AKIAOTHER", aws_secret_access_key="wrong",
                         aws_session_token="token")
    assert len(other.get_recommendations(campaignArn=REC, userId="1", numResults=3)["itemList"]) == 3


def test_timestamps_arrive_as_datetimes(control: Any, demo_dir: Path) -> None:
    local = scoring.client("personalize", demo_dir).describe_campaign(campaignArn=REC)["campaign"]
    remote = control.describe_campaign(campaignArn=REC)["campaign"]
    assert remote["creationDateTime"] == local["creationDateTime"]


def test_boto3_paginator_walks_every_campaign(control: Any) -> None:
    pages = control.get_paginator("list_campaigns").paginate(PaginationConfig={"PageSize": 1})
    arns_seen = [c["campaignArn"] for page in pages for c in page["campaigns"]]
    assert {REC, RANK} <= set(arns_seen) and len(arns_seen) == len(set(arns_seen))


def test_console_control_calls_work_over_http(control: Any) -> None:
    """Every control-plane call the app makes, end to end."""
    group = control.list_dataset_groups()["datasetGroups"][0]["datasetGroupArn"]
    control.describe_dataset_group(datasetGroupArn=group)
    solutions = control.list_solutions(datasetGroupArn=group)["solutions"]
    assert solutions
    campaigns = control.list_campaigns(solutionArn=solutions[0]["solutionArn"])["campaigns"]
    version = control.describe_campaign(campaignArn=campaigns[0]["campaignArn"])["campaign"]["solutionVersionArn"]
    recipe = control.describe_solution_version(solutionVersionArn=version)["solutionVersion"]["recipeArn"]
    assert control.describe_recipe(recipeArn=recipe)["recipe"]["recipeArn"] == recipe
    assert control.get_solution_metrics(solutionVersionArn=version)["metrics"]
    assert {f["name"] for f in control.list_filters(datasetGroupArn=group)["Filters"]} >= {"genre"}
    for dataset in control.list_datasets(datasetGroupArn=group)["datasets"]:
        schema_arn = control.describe_dataset(datasetArn=dataset["datasetArn"])["dataset"]["schemaArn"]
        assert json.loads(control.describe_schema(schemaArn=schema_arn)["schema"]["schema"])["fields"]


# -- binding ---------------------------------------------------------------------------------
@pytest.mark.parametrize("host, loopback", [("127.0.0.1", True), ("localhost", True), ("::1", True),
                                            ("127.0.0.2", True), ("0.0.0.0", False), ("", False),
                                            ("8.8.8.8", False)])
def test_loopback_detection(host: str, loopback: bool) -> None:
    assert server.is_loopback(host) is loopback


def test_refuses_to_bind_beyond_loopback_unless_asked(demo_dir: Path) -> None:
    with pytest.raises(server.RemoteBindRefused, match="--allow-remote"):
        server.make_server(demo_dir, "0.0.0.0", 0)
    result = subprocess.run([sys.executable, "-m", "scoring.server", "--data", str(demo_dir),
                             "--host", "0.0.0.0", "--port", "0"],
                            cwd=ROOT, capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 2
    assert "--allow-remote" in result.stderr and "Traceback" not in result.stderr


def test_allow_remote_binds_with_a_warning(demo_dir: Path) -> None:
    srv = server.make_server(demo_dir, "0.0.0.0", 0, allow_remote=True)
    try:
        assert srv.server_address[0] == "0.0.0.0"
    finally:
        srv.shutdown()


def test_shutdown_is_idempotent_and_frees_the_port(demo_dir: Path) -> None:
    srv, _url = server.serve_in_thread(demo_dir, "127.0.0.1", 0)
    port = srv.server_port
    srv.shutdown()
    srv.shutdown()
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=1).close()


# -- the CLI: docs samples, graceful shutdown --------------------------------------------------
@pytest.fixture(scope="module")
def cli_server(demo_dir: Path) -> Iterator[tuple[subprocess.Popen[str], str]]:
    proc = subprocess.Popen([sys.executable, "-m", "scoring.server", "--data", str(demo_dir), "--port", "0"],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    match = re.search(r"on (http://\S+)", line)
    assert match, line + (proc.stderr.read() if proc.poll() is not None and proc.stderr else "")
    yield proc, match.group(1)
    if proc.poll() is None:
        proc.kill()
        proc.wait()


def _docs_env(url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env |= {"AWS_ENDPOINT_URL_PERSONALIZE_RUNTIME": url, "AWS_ENDPOINT_URL_PERSONALIZE": url,
            "AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local", "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull}
    return env


# The four Python samples of "Getting real-time recommendations" (Amazon Personalize Developer
# Guide), as published; only the placeholders ('Campaign ARN', 'User ID', item IDs) are filled in.
DOCS_SAMPLES = {
    "recommendations": f"""
        import boto3

        personalizeRt = boto3.client('personalize-runtime')

        response = personalizeRt.get_recommendations(
            campaignArn = '{REC}',
            userId = '1',
            numResults = 10
        )

        print("Recommended items")
        for item in response['itemList']:
            print (item['itemId'])
        """,
    "recommendations-with-context": f"""
        import boto3

        personalizeRt = boto3.client('personalize-runtime')

        response = personalizeRt.get_recommendations(
            campaignArn = '{REC}',
            userId = '1',
            context = {{
              'DEVICE': 'mobile phone'
            }}
        )

        print("Recommended items")
        for item in response['itemList']:
            print (item['itemId'])
        """,
    "ranking": f"""
        import boto3

        personalizeRt = boto3.client('personalize-runtime')

        response = personalizeRt.get_personalized_ranking(
            campaignArn = "{RANK}",
            userId = "1",
            inputList = ['10','20']
        )

        print("Personalized Ranking")
        for item in response['personalizedRanking']:
            print (item['itemId'])
        """,
    "ranking-with-context": f"""
        import boto3

        personalizeRt = boto3.client('personalize-runtime')

        response = personalizeRt.get_personalized_ranking(
            campaignArn = "{RANK}",
            userId = "1",
            inputList = ['10','20'],
            context = {{
              'DEVICE': 'mobile phone'
            }}
        )

        print("Personalized Ranking")
        for item in response['personalizedRanking']:
            print (item['itemId'])
        """,
}
EXPECTED_LINES = {"recommendations": 1 + 10, "recommendations-with-context": 1 + 25, "ranking": 1 + 2,
                  "ranking-with-context": 1 + 2}


@pytest.mark.parametrize("name", list(DOCS_SAMPLES))
def test_aws_docs_sample_runs_unmodified(cli_server: tuple[Any, str], name: str, tmp_path: Path,
                                         demo_dir: Path) -> None:
    _, url = cli_server
    script = tmp_path / "sample.py"
    script.write_text(textwrap.dedent(DOCS_SAMPLES[name]))
    result = subprocess.run([sys.executable, str(script)], env=_docs_env(url), cwd=tmp_path,
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == EXPECTED_LINES[name], result.stdout
    # The very items the in-process client returns for the same request.
    local = scoring.client("personalize-runtime", demo_dir)
    if name.startswith("ranking"):
        context = {"DEVICE": "mobile phone"} if "context" in name else None
        ranked = local.get_personalized_ranking(campaignArn=RANK, userId="1", inputList=["10", "20"],
                                                **({"context": context} if context else {}))
        assert lines[1:] == [i["itemId"] for i in ranked["personalizedRanking"]]
    else:
        request: dict[str, Any] = {"campaignArn": REC, "userId": "1"}
        request |= {"context": {"DEVICE": "mobile phone"}} if "context" in name else {"numResults": 10}
        assert lines[1:] == [i["itemId"] for i in local.get_recommendations(**request)["itemList"]]


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_cli_stops_gracefully_on_signals(demo_dir: Path, signum: int) -> None:
    proc = subprocess.Popen([sys.executable, "-m", "scoring.server", "--data", str(demo_dir), "--port", "0"],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        url = re.search(r"on (http://\S+)", proc.stdout.readline()).group(1)  # type: ignore[union-attr]
        runtime = _client("personalize-runtime", url)
        assert runtime.get_recommendations(campaignArn=REC, userId="1", numResults=1)["itemList"]
        proc.send_signal(signum)
        _, err = proc.communicate(timeout=20)
        assert proc.returncode == 0, err
        assert "Stopped." in err and "Traceback" not in err
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_stopped_endpoint_is_unreachable_not_a_hang(demo_dir: Path) -> None:
    srv, url = server.serve_in_thread(demo_dir, "127.0.0.1", 0)
    runtime = _client("personalize-runtime", url)
    assert runtime.get_recommendations(campaignArn=REC, userId="1", numResults=1)["itemList"]
    srv.shutdown()
    start = time.monotonic()
    from botocore.exceptions import EndpointConnectionError

    with pytest.raises(EndpointConnectionError):
        _client("personalize-runtime", url).get_recommendations(campaignArn=REC, userId="1")
    assert time.monotonic() - start < 10


# -- every request member of the service model, over HTTP and in-process ----------------------
def _outcome(call: Any, **params: Any) -> tuple[Any, ...]:
    """("ok", response without ids and metadata) or ("error", code, message, status)."""
    from botocore.exceptions import ClientError

    try:
        response = call(**params)
    except ClientError as exc:
        return ("error", exc.response["Error"]["Code"], exc.response["Error"]["Message"],
                exc.response["ResponseMetadata"]["HTTPStatusCode"])
    return ("ok", {k: v for k, v in response.items() if k not in ("ResponseMetadata", "recommendationId")})


FILTER = arns.local_arn("filter", "demo-genre")
EVERY_FIELD = [
    ("get_recommendations", {"campaignArn": REC, "userId": "3", "numResults": 7,
                             "context": {"DEVICE": "smart tv"}}),
    ("get_recommendations", {"campaignArn": REC, "userId": "3", "filterArn": FILTER,
                             "filterValues": {"GENRES": '"Comedy","Drama"'}}),
    ("get_recommendations", {"campaignArn": REC, "userId": "3", "numResults": 5,
                             "promotions": [{"name": "promo", "percentPromotedItems": 20, "filterArn": FILTER,
                                             "filterValues": {"GENRES": '"Comedy"'}}]}),
    ("get_recommendations", {"campaignArn": REC, "userId": "3", "promotions": [{"name": "p"}, {"name": "q"}]}),
    ("get_recommendations", {"campaignArn": REC, "userId": "3", "numResults": 5,
                             "metadataColumns": {"ITEMS": ["TITLE", "GENRES"]}}),
    ("get_recommendations", {"campaignArn": REC, "itemId": "10", "numResults": 5}),
    ("get_recommendations", {"recommenderArn": arns.local_arn("recommender", "r"), "userId": "3"}),
    ("get_recommendations", {"campaignArn": REC, "recommenderArn": arns.local_arn("recommender", "r"),
                             "userId": "3"}),
    ("get_personalized_ranking", {"campaignArn": RANK, "userId": "3", "inputList": ["5", "6", "7", "zzz"],
                                  "context": {"DEVICE": "desktop"}}),
    ("get_personalized_ranking", {"campaignArn": RANK, "userId": "3", "inputList": ["5"], "filterArn": FILTER,
                                  "filterValues": {"GENRES": '"Comedy"'}}),
    ("get_personalized_ranking", {"campaignArn": RANK, "userId": "3", "inputList": ["5", "6"],
                                  "metadataColumns": {"ITEMS": ["TITLE"]}}),
    ("get_personalized_ranking", {"campaignArn": RANK, "userId": "3", "inputList": [str(i) for i in range(51)],
                                  "metadataColumns": {"ITEMS": ["TITLE"]}}),
]


@pytest.mark.parametrize("method, params", EVERY_FIELD, ids=[
    "context", "filter", "promotion", "two-promotions", "metadata", "item-id", "recommender",
    "campaign-and-recommender", "ranking-context", "ranking-filter", "ranking-metadata", "ranking-metadata-51"])
def test_every_member_behaves_as_in_process(runtime: Any, demo_dir: Path, method: str,
                                            params: dict[str, Any]) -> None:
    local = scoring.client("personalize-runtime", demo_dir)
    assert _outcome(getattr(runtime, method), **params) == _outcome(getattr(local, method), **params)


def test_item_metadata_travels_over_http(tmp_path: Path, demo_dir: Path) -> None:
    """A group whose campaign enables metadata: the nested `metadata` maps arrive intact."""
    import shutil

    group = tmp_path / "group"
    shutil.copytree(demo_dir, group, ignore=shutil.ignore_patterns(".*"))
    config = json.loads((group / "campaigns.json").read_text())
    for campaign in config["campaigns"]:
        campaign.setdefault("campaignConfig", {})["enableMetadataWithRecommendations"] = True
    (group / "campaigns.json").write_text(json.dumps(config))
    srv, url = server.serve_in_thread(group, "127.0.0.1", 0)
    try:
        remote = _client("personalize-runtime", url)
        local = scoring.client("personalize-runtime", group)
        for method, params in [
            ("get_recommendations", {"campaignArn": REC, "userId": "3", "numResults": 5,
                                     "metadataColumns": {"ITEMS": ["TITLE", "GENRES"]}}),
            ("get_personalized_ranking", {"campaignArn": RANK, "userId": "3", "inputList": ["5", "6", "nope"],
                                          "metadataColumns": {"ITEMS": ["TITLE"]}}),
        ]:
            got = _outcome(getattr(remote, method), **params)
            assert got == _outcome(getattr(local, method), **params)
            assert got[0] == "ok"
            items = next(iter(got[1].values()))
            assert all(set(i["metadata"]) == set(params["metadataColumns"]["ITEMS"]) for i in items)
    finally:
        srv.shutdown()
