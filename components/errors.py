"""Show any failure as one clear `st.error`: what went wrong and what to do, never a traceback."""

from __future__ import annotations

import streamlit as st

from scoring import errors
from scoring.requests import RequestError


def show_problem(problem: errors.Problem) -> None:
    st.error(problem.text(), icon=":material/error:")


def show(exc: BaseException) -> None:
    """A form mistake shows its own message; anything else goes through `errors.explain`."""
    if isinstance(exc, RequestError):
        st.error(exc.message, icon=":material/edit_note:")
    else:
        show_problem(errors.explain(exc))
