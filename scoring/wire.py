"""Personalize's wire protocols over the local clients, without sockets.

`Endpoint.handle(method, path, headers, body)` turns one HTTP request into one `Reply`, the way
Amazon Personalize answers it:

- runtime, rest-json: `POST /recommendations`, `POST /personalize-ranking` (routes read from
  botocore's `personalize-runtime` service model), the request members in a JSON body;
- events, rest-json: `POST /events`, `/items`, `/users` (and `/actions`, `/action-interactions`,
  which answer that local groups have no action datasets), read from the `personalize-events`
  model; a success has an empty body, as the service sends it;
- control plane, JSON 1.1: `POST /` with `X-Amz-Target: AmazonPersonalize.<Operation>`, mapped to
  the snake_case method of the local control client.

Errors go out as AWS sends them, so botocore raises the modelled exception classes: the status
code, an `x-amzn-ErrorType: <Code>` header and a JSON body `{"message": ...}` (plus `__type`
for JSON 1.1). SigV4 signatures are not checked. Nothing here ever raises: every input, however
malformed, gets a 4xx reply; a 5xx only reports a bug in a local client.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Any

import botocore.session
from botocore import xform_name
from botocore.exceptions import ClientError, ParamValidationError
from botocore.model import ServiceModel

from scoring import errors, validation
from scoring.control_client import LocalControlClient
from scoring.events_client import LocalEventsClient
from scoring.request_ids import uuid4_text
from scoring.runtime_client import LocalRuntimeClient

log = logging.getLogger(__name__)

RUNTIME = "personalize-runtime"
CONTROL = "personalize"
EVENTS = "personalize-events"
REST_SERVICES = (RUNTIME, EVENTS)

#: Request bodies larger than this are refused with 413 (Personalize's largest valid request,
#: 500 IDs of 256 characters plus context and filters, is well under 200 KiB).
MAX_BODY = 1024 * 1024

REST_JSON = "application/json"
AMZ_JSON = "application/x-amz-json-1.1"
_JSON_TYPES = {"application/json", "application/x-amz-json-1.0", "application/x-amz-json-1.1",
               "text/json", "binary/octet-stream", "application/octet-stream"}

SERIALIZATION = "SerializationException"
UNKNOWN_OPERATION = "UnknownOperationException"
INTERNAL = "InternalFailure"
HEALTH_ROUTES = ("/ping", "/health")


@dataclass
class Reply:
    """One HTTP response: status, headers (Content-Length is added by the transport) and body."""

    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)


class WireError(Exception):
    """A refusal with an AWS error code, raised inside `handle` and turned into a Reply."""

    def __init__(self, status: int, code: str, message: str, *, json11: bool = False,
                 headers: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.json11 = status, code, message, json11
        self.headers = dict(headers or {})


@cache
def service_model(service: str) -> ServiceModel:
    return botocore.session.get_session().get_service_model(service)


@cache
def rest_routes() -> dict[str, tuple[str, str, str]]:
    """requestUri -> (service, HTTP method, operation name) of the rest-json services' models."""
    routes = {}
    for service in REST_SERVICES:
        model = service_model(service)
        for name in model.operation_names:
            http = model.operation_model(name).http
            routes[http["requestUri"].split("?", 1)[0]] = (service, http["method"], name)
    return routes


def runtime_routes() -> dict[str, tuple[str, str]]:
    """requestUri -> (HTTP method, operation name) from the runtime service model."""
    return {route: (method, op) for route, (service, method, op) in rest_routes().items() if service == RUNTIME}


@cache
def control_operations() -> frozenset[str]:
    return frozenset(service_model(CONTROL).operation_names)


@cache
def input_members(service: str, operation: str) -> frozenset[str]:
    return frozenset(service_model(service).operation_model(operation).input_shape.members)


def warm_up() -> None:
    """Load every model and shape a request needs now, not on (8 concurrent) first requests."""
    for service in (RUNTIME, CONTROL, EVENTS):
        for operation in service_model(service).operation_names:
            input_members(service, operation)
            try:
                validation.check_boto3_params(service, operation, {})
            except ParamValidationError:
                pass
    errors.service_exceptions(RUNTIME), errors.service_exceptions(CONTROL), errors.service_exceptions(EVENTS)


def _json_default(value: Any) -> Any:
    """Timestamps go out as epoch seconds, as JSON 1.1 and rest-json services send them to botocore."""
    if isinstance(value, datetime):
        return value.timestamp()
    if hasattr(value, "item"):  # a numpy scalar that slipped through
        return value.item()
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def encode(payload: Mapping[str, Any]) -> bytes:
    """A response dict of a local client as its JSON body (ResponseMetadata stripped)."""
    body = {k: v for k, v in payload.items() if k != "ResponseMetadata"}
    return json.dumps(body, default=_json_default, allow_nan=False, separators=(",", ":")).encode()


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


_DECODER = json.JSONDecoder(parse_constant=_reject_constant)


def decode(body: bytes) -> dict[str, Any]:
    """The request members of a JSON body; an empty body is `{}`."""
    if not body.strip():
        return {}
    try:
        # json.loads(body, parse_constant=...) builds a JSONDecoder per call: one, shared, instead.
        value = _DECODER.decode(body.decode(json.detect_encoding(body), "surrogatepass"))
    except RecursionError:
        raise WireError(400, SERIALIZATION, "The request body is nested too deeply.") from None
    except ValueError as exc:  # JSONDecodeError, UnicodeDecodeError, int digit limits
        raise WireError(400, SERIALIZATION, f"The request body is not valid JSON: {exc}") from None
    if not isinstance(value, dict):
        raise WireError(400, SERIALIZATION, "The request body must be a JSON object of request "
                        f"members, not a JSON {type(value).__name__}.")
    return value


def _media_type(headers: Mapping[str, str]) -> str:
    return (headers.get("content-type") or "").split(";", 1)[0].strip().lower()


def _check_content_type(headers: Mapping[str, str], json11: bool) -> None:
    media = _media_type(headers)
    if media and media not in _JSON_TYPES and not media.endswith("+json"):
        raise WireError(400, SERIALIZATION, f"Content-Type {media!r} is not supported: send a JSON "
                        f"body as {AMZ_JSON if json11 else REST_JSON}.", json11=json11)


class Endpoint:
    """The local dataset group's three clients behind Personalize's HTTP interface."""

    def __init__(self, runtime: LocalRuntimeClient, control: LocalControlClient,
                 events: LocalEventsClient | None = None) -> None:
        self.runtime = runtime
        self.control = control
        self.events = events if events is not None else LocalEventsClient(runtime.group)

    # -- entry point ---------------------------------------------------------------------
    def handle(self, method: str, path: str, headers: Mapping[str, str], body: bytes) -> Reply:
        """Answer one request. `headers` keys must be lower-case. Never raises."""
        request_id = uuid4_text()
        json11 = False
        try:
            route = path.split("?", 1)[0].split("#", 1)[0] or "/"
            if route != "/" and route.endswith("/"):
                route = route.rstrip("/") or "/"
            if route == "/" and method in ("GET", "HEAD") and "x-amz-target" not in headers:
                reply = self._health()
            elif route == "/":
                json11 = True
                reply = self._control(method, headers, body)
            elif route in rest_routes():
                reply = self._rest(method, route, headers, body)
            elif route in HEALTH_ROUTES:
                if method not in ("GET", "HEAD"):
                    raise _method_not_allowed(method, route, "GET, HEAD")
                reply = self._health()
            else:
                raise WireError(404, "NotFoundException", f"No route for {method} {route[:200]}: the local "
                                "endpoint serves POST /recommendations, POST /personalize-ranking, "
                                "POST /events, /items, /users, POST / (control plane, X-Amz-Target) "
                                "and GET /ping.")
        except WireError as exc:
            reply = error_reply(exc.status, exc.code, exc.message, json11=exc.json11 or json11)
            reply.headers.update(exc.headers)
        except Exception:  # a bug, or a group folder that vanished: log it, keep serving
            # The exception's text stays in the log: it can hold file paths of this machine.
            log.exception("local endpoint failed on %s %s (request %s)", method, path[:200], request_id)
            reply = error_reply(500, INTERNAL, f"The local endpoint failed on this request (request id "
                                f"{request_id}): the endpoint's log has the details.", json11=json11)
        reply.headers["x-amzn-RequestId"] = request_id
        return reply

    # -- runtime and events: rest-json -------------------------------------------------------
    def _rest(self, method: str, route: str, headers: Mapping[str, str], body: bytes) -> Reply:
        service, http_method, operation = rest_routes()[route]
        if method != http_method:
            raise _method_not_allowed(method, route, http_method)
        _check_content_type(headers, json11=False)
        params = decode(body)
        client = self.runtime if service == RUNTIME else self.events
        payload = self._call(service, client, operation, params, json11=False)
        if service_model(service).operation_model(operation).output_shape is None:
            return Reply(200, b"", {"Content-Type": REST_JSON})  # PutEvents & co: an empty body
        return Reply(200, encode(payload), {"Content-Type": REST_JSON})

    # -- control plane: JSON 1.1 ---------------------------------------------------------
    def _control(self, method: str, headers: Mapping[str, str], body: bytes) -> Reply:
        if method != "POST":
            raise _method_not_allowed(method, "/", "POST", json11=True)
        target = headers.get("x-amz-target", "").strip()
        prefix, _, operation = target.partition(".")
        if not target:
            raise WireError(400, UNKNOWN_OPERATION, "POST / is the control plane: name the operation "
                            "in an X-Amz-Target header, e.g. AmazonPersonalize.ListCampaigns.", json11=True)
        if prefix != service_model(CONTROL).metadata["targetPrefix"] or operation not in control_operations():
            raise WireError(400, UNKNOWN_OPERATION, f"Unknown operation {target[:200]!r}: X-Amz-Target must "
                            "be AmazonPersonalize.<Operation>.", json11=True)
        _check_content_type(headers, json11=True)
        params = decode(body)
        payload = self._call(CONTROL, self.control, operation, params, json11=True)
        return Reply(200, encode(payload), {"Content-Type": AMZ_JSON})

    # -- shared --------------------------------------------------------------------------
    def _call(self, service: str, client: Any, operation: str, params: dict[str, Any],
              *, json11: bool) -> dict[str, Any]:
        method = getattr(client, xform_name(operation), None)
        if not callable(method):
            raise WireError(400, errors.INVALID_INPUT, f"Operation {operation} is not supported by the "
                            "local endpoint.", json11=json11)
        # JSON null is an absent member on the wire (botocore never sends one).
        params = {key: value for key, value in params.items() if value is not None}
        try:
            if not input_members(service, operation).issuperset(params):
                # An unknown member (e.g. "self", which would collide with the method's own
                # argument): botocore's validator names it, as boto3 would have refused it.
                validation.check_boto3_params(service, operation, params)
            # The local client validates types, required members and limits itself.
            return method(**params)
        except ParamValidationError as exc:
            raise WireError(400, errors.INVALID_INPUT, _one_line(str(exc)), json11=json11) from None
        except ClientError as exc:
            err = exc.response.get("Error", {})
            status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 400)
            raise WireError(status, str(err.get("Code") or errors.INVALID_INPUT),
                            str(err.get("Message") or exc), json11=json11) from None

    def _health(self) -> Reply:
        group = self.runtime.group
        body = {"status": "ok", "datasetGroupArn": group.arn,
                "campaigns": [c.arn for c in group.campaigns]}
        return Reply(200, json.dumps(body).encode(), {"Content-Type": REST_JSON})


def _one_line(message: str) -> str:
    return " ".join(message.split())


def _method_not_allowed(method: str, route: str, allowed: str, *, json11: bool = False) -> WireError:
    return WireError(405, "MethodNotAllowedException", f"{method[:20]} is not allowed on {route}: use "
                     f"{allowed}.", json11=json11, headers={"Allow": allowed})


def error_reply(status: int, code: str, message: str, *, json11: bool = False) -> Reply:
    """An error the way AWS sends it: status, x-amzn-ErrorType header, JSON message (+ __type)."""
    body: dict[str, str] = {"message": message}
    if json11:
        body = {"__type": code, "message": message}
    headers = {"Content-Type": AMZ_JSON if json11 else REST_JSON, "x-amzn-ErrorType": code}
    return Reply(status, json.dumps(body).encode(), headers)
