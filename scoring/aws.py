"""Live boto3 clients with the timeouts and retries a console needs, and AWS config lookups.

Every call has a total time budget (`CALL_BUDGET` seconds, retries included): a hung endpoint
fails one call in at most that long with a message naming it, instead of attempts x timeout.
botocore's adaptive retry mode backs off on throttling within that budget. Answers are checked
against the API's shapes (`scoring.answers`), and endpoint URLs against `endpoint_problem`.
Credentials are never read here: boto3's own chain (profile, environment, SSO, instance role)
finds them, and nothing logs or stores them.
"""

from __future__ import annotations

import functools
import ipaddress
import time
from typing import Any
from urllib.parse import urlsplit

import botocore.session
from botocore.config import Config
from botocore.exceptions import BotoCoreError

from scoring.answers import CheckedClient

CONNECT_TIMEOUT = 3
READ_TIMEOUT = 5
RETRY = {"mode": "adaptive", "max_attempts": 3}
#: Seconds one AWS call may take in all, retries included (a retry that could not finish
#: within it is not started).
CALL_BUDGET = 12.0

DEFAULT_PROFILE = "(default credential chain)"
_STARTED = "console_call_started"


class InvalidEndpoint(ValueError):
    """An endpoint URL the console will not send signed calls to (`endpoint_problem` says why)."""


class CallBudgetExceeded(BotoCoreError):
    """A call (with its retries) did not get an answer within the budget."""

    fmt = ("{endpoint} did not answer {operation} within {budget:g} s ({attempts} attempt(s); "
           "last: {last}).")


def client_config() -> Config:
    return Config(connect_timeout=CONNECT_TIMEOUT, read_timeout=READ_TIMEOUT, retries=dict(RETRY),
                  user_agent_extra="personalize-campaign-console")


def live_client(service: str, region: str | None, profile: str | None = None,
                endpoint_url: str | None = None) -> Any:
    """A boto3 client; `profile=None` uses the default credential chain."""
    problem = endpoint_problem(endpoint_url) if endpoint_url else None
    if problem:
        raise InvalidEndpoint(problem)
    import boto3.session  # half a second of imports, paid only when a live source is used

    session = boto3.session.Session(profile_name=profile or None, region_name=region or None)
    client = session.client(service, endpoint_url=endpoint_url or None, config=client_config())
    add_call_budget(client)
    return CheckedClient(client, client.meta.endpoint_url)


def add_call_budget(client: Any, budget: float | None = None) -> None:
    """Stop retrying once another attempt could end past `budget` seconds (None: CALL_BUDGET,
    read at each call, as the timeouts are) from the call's start."""
    events = client.meta.events
    endpoint = client.meta.endpoint_url

    def start(context: dict[str, Any], **_: Any) -> None:
        context[_STARTED] = time.monotonic()

    def check(attempts: int, caught_exception: BaseException | None, response: Any,
              request_dict: dict[str, Any], operation: Any, **_: Any) -> None:
        status = (response[0].status_code if response and response[0] is not None else None)
        failed = caught_exception is not None or (status is not None and (status >= 500 or status == 429))
        if not failed:
            return None  # success, or a 4xx that is the answer: nothing to decide here
        started = request_dict.get("context", {}).get(_STARTED, time.monotonic())
        elapsed = time.monotonic() - started
        limit = CALL_BUDGET if budget is None else budget
        if elapsed + CONNECT_TIMEOUT + READ_TIMEOUT > limit:
            last = (f"{type(caught_exception).__name__}: {caught_exception}" if caught_exception
                    else f"HTTP {status}")
            raise CallBudgetExceeded(endpoint=endpoint, operation=operation.name, budget=limit,
                                     attempts=attempts, last=last)
        return None

    events.register_first("before-call.*", start)
    events.register_first("needs-retry.*", check)


def endpoint_problem(url: str) -> str | None:
    """Why `url` cannot be an endpoint URL the console sends signed calls to, or None.

    http:// only for this machine (a local endpoint): elsewhere it would carry the access key
    ID, session token and signatures in clear text.
    """
    text = url.strip()
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as exc:
        return f"The endpoint URL {text[:200]!r} is not a valid URL ({exc})."
    if parts.scheme not in ("http", "https"):
        return f"The endpoint URL {text[:200]!r} must start with https:// (or http:// for this machine)."
    if not parts.hostname:
        return f"The endpoint URL {text[:200]!r} has no host name."
    if parts.username is not None or parts.password is not None:
        return "The endpoint URL must not contain a user name or password."
    if parts.query or parts.fragment or parts.path not in ("", "/"):
        return f"The endpoint URL {text[:200]!r} must be just scheme://host[:port], with no path or query."
    if port == 0:
        return f"The endpoint URL {text[:200]!r} has no valid port."
    if parts.scheme == "http" and not _is_loopback(parts.hostname):
        return (f"The endpoint URL {text[:200]!r} uses plain http to another machine: your signed "
                "requests (access key ID, session token) would travel in clear text. Use https://, "
                "or http:// only for an endpoint on this machine (127.0.0.1, localhost).")
    return None


def _is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def profiles() -> list[str]:
    """Profile names from ~/.aws/config and ~/.aws/credentials (names only, never secrets)."""
    try:
        return sorted(botocore.session.Session().available_profiles)
    except Exception:  # a broken config file must not break the sidebar
        return []


def default_region() -> str | None:
    try:
        return botocore.session.Session().get_config_variable("region")
    except Exception:
        return None


def regions() -> list[str]:
    """Regions where Amazon Personalize is offered, from botocore's endpoint data."""
    return list(_personalize_regions())


@functools.cache
def _personalize_regions() -> tuple[str, ...]:
    """Read once per process: the endpoint data ships with botocore and does not change while the
    console runs, and loading it took 0.05-0.1 s of CPU on every rerun of an AWS sidebar."""
    return tuple(sorted(botocore.session.get_session().get_available_regions("personalize")))
