"""Paint the table first and the charts once the browser has drawn it: the answer is what a person waits for.

On a cold page the browser loads and runs plotly's code (megabytes) while the results table is
still rendering, and the table appears only when both are done. So the first time a page visit
shows a result, `after_paint` draws fixed-height placeholders where the charts go, and a
zero-height watcher (a script-only Streamlit component, no markup, no data but a CSS selector)
that waits in the page until the element `wait_for` names has its first table row (or has no
table: the cards view), then for the browser's next idle moment, and asks for a run. That run
draws the charts in the placeholders' places (nothing above moves). A timer was used before: it
fired after one second whether or not the table was drawn, and on a loaded machine plotly's code
then ran before the table's first row. Later runs draw at once. Without a browser (AppTest, no
request headers) there is nothing to paint first, so it draws at once too.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable

import streamlit as st

_PAGE = "_deferred_page"
_DRAWN = "_deferred_drawn"
#: Milliseconds after which the watcher asks for the run even if it never saw the element (a
#: page that changed under it): the charts must come eventually.
GIVE_UP_MS = 6000

_WATCHER_JS = """
export default function ({ data, setTriggerValue }) {
  let fired = false;
  const ready = () => {
    const box = document.querySelector(data.selector);
    if (!box) return false;
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


def after_paint(token: Hashable, draw: Callable[[], None], placeholder: Callable[[], None], *,
                wait_for: str) -> None:
    """draw() now if `token` was shown on this visit (or there is no browser), else placeholder()
    now and draw() on the run the browser asks for once the element that the CSS selector
    `wait_for` names is drawn. Call it last on the page: the watcher's place goes on that run."""
    drawn: set[Hashable] = st.session_state.setdefault(_DRAWN, set())
    if token in drawn or not st.context.headers:
        drawn.add(token)
        draw()
        return
    placeholder()
    _watcher(key="deferred_after_paint", data={"selector": wait_for, "give_up_ms": GIVE_UP_MS},
             height=0, on_painted_change=lambda: drawn.add(token))
