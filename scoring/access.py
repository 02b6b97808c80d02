"""Read-only mode for a shared deployment of the console: what is off, and the one switch.

Serving the console to a team (README, "Serving the console to a team") lets everyone who can
open it act on the machine it runs on. `CONSOLE_READ_ONLY=1` (or `--read-only` after `--` on
the `streamlit run` command line) turns off everything that writes on that machine or reads its
folders: training, replacing and deleting dataset groups, creating and deleting filters,
recording events, the "folder on the server" source, and custom AWS endpoint URLs (the
host's credentials would sign requests to a server a visitor chose). Pages hide those controls and say so
(`components.read_only`); `scoring` refuses them too, so no page can forget.
"""

from __future__ import annotations

import os
import sys

ENV = "CONSOLE_READ_ONLY"
FLAG = "--read-only"

#: What read-only mode turns off, in the words the pages use.
OFF: tuple[str, ...] = (
    "training, replacing and deleting dataset groups",
    "creating and deleting filters",
    "recording events",
    "changing local campaigns",
    "reading folders on the server",
    "custom AWS endpoint URLs",
)

WHY = (f"This console runs in read-only mode ({ENV}=1), as a shared deployment should: nothing "
       "on the machine it runs on is changed, and none of its folders are read.")


def read_only() -> bool:
    """True when the environment or the command line asks for read-only mode."""
    value = os.environ.get(ENV, "").strip().lower()
    return value in ("1", "true", "yes", "on") or FLAG in sys.argv[1:]


def refusal(what: str) -> str:
    """The message for an action read-only mode refuses, e.g. refusal("Creating a filter")."""
    return f"{what} is off in read-only mode ({ENV}=1): this shared console changes nothing on its server."
