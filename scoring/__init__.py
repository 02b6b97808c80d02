"""The console's domain core: local Personalize clients, scoring, data and AWS helpers.

`scoring.client(...)` mirrors `boto3.client(...)`: the UI talks to one interface whatever the
source. This package never imports Streamlit.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal, overload

from scoring.control_client import LocalControlClient
from scoring.events_client import LocalEventsClient
from scoring.local_group import open_group
from scoring.runtime_client import LocalRuntimeClient

__all__ = ["LocalControlClient", "LocalEventsClient", "LocalRuntimeClient", "client"]


@overload
def client(service: Literal["personalize-runtime"], data_dir: Path | str | None = None) -> LocalRuntimeClient: ...
@overload
def client(service: Literal["personalize"], data_dir: Path | str | None = None) -> LocalControlClient: ...
@overload
def client(service: Literal["personalize-events"], data_dir: Path | str | None = None) -> LocalEventsClient: ...


def client(service: str, data_dir: Path | str | None = None
           ) -> LocalRuntimeClient | LocalControlClient | LocalEventsClient:
    """A local client for `service` on the dataset group in `data_dir` (None: the demo group,
    generated and trained first if it is missing)."""
    if data_dir is None:
        from scoring.demo import ensure_demo  # only a caller that wants the demo builds it

        data_dir = ensure_demo()
    group = open_group(Path(data_dir))
    if service == "personalize-runtime":
        return LocalRuntimeClient(group)
    if service == "personalize":
        return LocalControlClient(group)
    if service == "personalize-events":
        return LocalEventsClient(group)
    raise ValueError(f"Unknown service {service!r}: use 'personalize-runtime', 'personalize' or "
                     "'personalize-events'.")
