"""What read-only mode turns off, said on every page and where a control would have been.

`banner()` runs above every page (app.py); `note(what)` replaces a control that writes, e.g.
`note("Recording events")` in the Test campaign page's event panel:

    if read_only.active():
        read_only.note("Recording events")
    else:
        ...draw the panel...
"""

from __future__ import annotations

import streamlit as st

from scoring import access


def active() -> bool:
    return access.read_only()


def banner() -> None:
    """One line above every page in read-only mode: what is off and why."""
    if not access.read_only():
        return
    st.info(f"**Read-only mode**: {'; '.join(access.OFF)} are off. {access.WHY}",
            icon=":material/lock:")


def note(what: str) -> None:
    """In place of a control that read-only mode removes."""
    st.caption(f":material/lock: {access.refusal(what)}")
