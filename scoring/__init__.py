"""The console's domain core: local Personalize clients, scoring, data and AWS helpers.

`scoring.client(...)` mirrors `boto3.client(...)`: the UI talks to one interface whatever the
source. This package never imports Streamlit.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, overload

if TYPE_CHECKING:
    from scoring.control_client import LocalControlClient
    from scoring.events_client import LocalEventsClient
    from scoring.runtime_client import LocalRuntimeClient

__all__ = ["LocalControlClient", "LocalEventsClient", "LocalRuntimeClient", "client"]

#: The clients, imported when first used: `import scoring.x` (in every subprocess the console or
#: its tests start: the CLI, the endpoint, a lock holder) then loads only what x needs, not the
#: control client with its batch jobs and health runs (0.6 s of CPU for `import scoring.train`).
_LAZY = {"LocalControlClient": "scoring.control_client",
         "LocalEventsClient": "scoring.events_client",
         "LocalRuntimeClient": "scoring.runtime_client"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'scoring' has no attribute {name!r}")


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
    from scoring.local_group import open_group

    group = open_group(Path(data_dir))
    if service == "personalize-runtime":
        from scoring.runtime_client import LocalRuntimeClient

        return LocalRuntimeClient(group)
    if service == "personalize":
        from scoring.control_client import LocalControlClient

        return LocalControlClient(group)
    if service == "personalize-events":
        from scoring.events_client import LocalEventsClient

        return LocalEventsClient(group)
    raise ValueError(f"Unknown service {service!r}: use 'personalize-runtime', 'personalize' or "
                     "'personalize-events'.")
