"""Paint the table first and the charts once the browser is free: the answer is what a person waits for.

On a cold page the browser loads and runs plotly's code (megabytes) while the results table is
still rendering, and the table appears only when both are done. So the first time a page visit
shows a result, `after_paint` draws fixed-height placeholders where the charts go, inside a
fragment with a short `run_every`: the browser asks for that fragment's rerun from its own timer,
which fires only once it is done with the table; that rerun asks for a full run, which draws the
charts in the placeholders' places (nothing below moves) and, without the fragment, drops the timer. Later reruns draw at once. Without a
browser (AppTest, no request headers) there is nothing to paint first, so it draws at once too.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable

import streamlit as st

_PAGE = "_deferred_page"
_DRAWN = "_deferred_drawn"
TICK = 1.0  # seconds: the browser's timer for the deferred fragment (fires once it is idle)


def enter(page: str) -> None:
    """Note the page this run shows (app.py, before the page runs): a new visit paints anew."""
    if st.session_state.get(_PAGE) != page:
        st.session_state[_PAGE] = page
        st.session_state[_DRAWN] = set()


def after_paint(token: Hashable, draw: Callable[[], None], placeholder: Callable[[], None]) -> None:
    """draw() now if `token` was shown on this visit (or there is no browser), else placeholder()
    now and draw() on the fragment rerun the browser asks for when it has painted the rest."""
    drawn: set[Hashable] = st.session_state.setdefault(_DRAWN, set())
    if token in drawn or not st.context.headers:
        drawn.add(token)
        draw()
        return
    st.fragment(_later, run_every=TICK)(token, draw, placeholder)


def _later(token: Hashable, draw: Callable[[], None], placeholder: Callable[[], None]) -> None:
    drawn: set[Hashable] = st.session_state.setdefault(_DRAWN, set())
    if token not in drawn:  # the full run: the table goes out first
        drawn.add(token)
        placeholder()
        return
    # The browser's timer fired: it has painted the table. A full run draws the charts directly
    # (the token is drawn now) and, without this fragment in it, stops the timer.
    st.rerun()
