"""Paint the table first and the charts once the browser has drawn it: the answer is what a person waits for.

On a cold page the browser loads and runs plotly's code (megabytes) while the results table is
still rendering, and the table appears only when both are done. So the first time a page visit
shows a result, `after_paint` draws fixed-height placeholders where the charts go, and a
zero-height watcher (a script-only Streamlit component: no markup, no data but CSS selectors)
that waits in the page until the element `wait_for` names has its first table row (or has no
table: the cards view), then for the browser's next idle moment, and asks for a run. That run
draws the charts in the placeholders' places (nothing above moves). A timer was used before: it
fired after one second whether or not the table was drawn, and on a loaded machine plotly's code
then ran before the table's first row. On a visit's first run (`cold`) the page also leaves out
what sits beside and below the answer; the watcher's run draws it, and a second watcher then asks
for the charts, so they land where the page has settled. Later runs draw at once. Without a browser
(AppTest, no request headers) there is nothing to paint first, so everything is drawn at once too.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable

import streamlit as st

_PAGE = "_deferred_page"
_DRAWN = "_deferred_drawn"
_RUNS = "_deferred_runs"
#: Milliseconds after which the watcher asks for the run even if it never saw the element (a
#: page that changed under it): the charts must come eventually.
GIVE_UP_MS = 6000

_WATCHER_JS = """
export default function ({ data, setTriggerValue }) {
  let fired = false;
  const ready = () => {
    const box = document.querySelector(data.selector);
    // All of the answer is in (its last element), none of it still waits for its code (a
    // skeleton), and a table, if the answer shows one, has its first row.
    if (!box || !box.querySelector(data.last)) return false;
    if (box.querySelector("[data-testid='stSkeleton']")) return false;
    const grid = box.querySelector("[data-testid='stDataFrame']");
    return !grid || grid.querySelector("table tbody tr") !== null;
  };
  const observer = new MutationObserver(() => { if (ready()) fire(); });
  const timer = setTimeout(() => fire(), data.give_up_ms);
  function fire() {
    if (fired) return;
    fired = true;
    observer.disconnect();
    clearTimeout(timer);
    const idle = window.requestIdleCallback || ((f) => setTimeout(f, 50));
    idle(() => setTriggerValue("painted", true), { timeout: 1000 });
  }
  observer.observe(document.body, { childList: true, subtree: true });
  if (ready()) fire();
  return () => { observer.disconnect(); clearTimeout(timer); };
}
"""
_watcher = st.components.v2.component("console_after_paint", js=_WATCHER_JS)


def enter(page: str) -> None:
    """Note the page this run shows (app.py, before the page runs): a new visit paints anew."""
    if st.session_state.get(_PAGE) != page:
        st.session_state[_PAGE] = page
        st.session_state[_DRAWN] = set()
        st.session_state[_RUNS] = 0
    st.session_state[_RUNS] = st.session_state.get(_RUNS, 0) + 1


def cold() -> bool:
    """Whether this is a visit's first run in a browser: the page is empty, so what sits beside or
    below the answer can wait for `after_paint`'s run without anything on screen disappearing."""
    return st.session_state.get(_RUNS) == 1 and bool(st.context.headers)


def after_paint(token: Hashable, draw: Callable[[], None], placeholder: Callable[[], None], *,
                wait_for: str, last: str) -> None:
    """draw() now if `token` was shown on this visit (or there is no browser), else placeholder()
    now and draw() on the run the browser asks for once the element that the CSS selector
    `wait_for` names is drawn, down to its last element (the selector `last`, inside it). Call it
    last on the page: the watcher's place goes on that run."""
    drawn: set[Hashable] = st.session_state.setdefault(_DRAWN, set())
    if token in drawn or not st.context.headers:
        drawn.add(token)
        draw()
        return
    placeholder()
    # On a cold page the run the watcher asks for draws what waited beside the answer (`cold`):
    # the charts wait for one more, so they land where the page has settled, not in a place that
    # moves under them. A watcher per run: a new key starts a new one.
    runs = st.session_state.get(_RUNS, 0)
    _watcher(key=f"deferred_after_paint_{runs}", height=0,
             data={"selector": wait_for, "last": last, "give_up_ms": GIVE_UP_MS},
             on_painted_change=_nothing if cold() else lambda: drawn.add(token))


def _nothing() -> None:
    """The cold run's watcher only asks for the run (a trigger needs a callback to be sent)."""
