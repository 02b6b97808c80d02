"""Show any failure as one clear `st.error`: what went wrong and what to do, never a traceback.

The code and message can carry user input or a remote server's words, so they are shown
literally (`safe_text.md`); the action is the console's own text.
"""

from __future__ import annotations

import streamlit as st

from components.safe_text import md
from scoring import errors
from scoring.requests import RequestError


def problem_markdown(problem: errors.Problem) -> str:
    return f"**{md(problem.code)}**: {md(problem.message)}\n\n{problem.action}"


def show_problem(problem: errors.Problem) -> None:
    st.error(problem_markdown(problem), icon=":material/error:")


def show(exc: BaseException) -> None:
    """A form mistake shows its own message; anything else goes through `errors.explain`."""
    if isinstance(exc, RequestError):
        st.error(md(exc.message), icon=":material/edit_note:")
    else:
        show_problem(errors.explain(exc))
