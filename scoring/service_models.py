"""botocore's service models, parsed once per process.

`botocore.session.get_session()` makes a new session, with its own loader cache, on every
call: asking it for a model each time re-read and re-parsed Personalize's service JSON (~50 ms
each, nine times on the console's first page). One shared, parsed model per service instead.
"""

from __future__ import annotations

import threading
from functools import cache

import botocore.session
from botocore.model import ServiceModel

_lock = threading.Lock()


@cache
def _session() -> botocore.session.Session:
    return botocore.session.get_session()


def service_model(service: str) -> ServiceModel:
    """The parsed model of `service` (e.g. "personalize-runtime"), shared by every caller."""
    with _lock:  # a botocore Session is not thread-safe; the lock makes the first load single
        return _cached(service)


@cache
def _cached(service: str) -> ServiceModel:
    return _session().get_service_model(service)
