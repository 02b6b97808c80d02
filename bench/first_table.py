"""Time to first table: the console against a bare Streamlit 25-row table, cold starts side by side.

Each round starts both apps cold (`streamlit run`, new server, new browser page) in turn: the
floor is a bare Streamlit app that shows a 25-row pandas table; the console opens a shared link
that carries a request, so its first run answers it. Timed from the process start to the first
row of the results table in Chromium. Then, on the console's warm page (model cached), a rerun
(another user, submitted) and a page switch (from Campaign details back) are timed to the
updated table. Prints each figure's median and range, and the console/floor ratio per round.

    python bench/first_table.py [--rounds 3] [--screenshots DIR]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support.browser import (  # noqa: E402
    CHROMIUM,
    CHROMIUM_ARGS,
    VIEWPORT,
    free_port,
    start_streamlit,
    stop,
    wait_healthy,
)

LINK = "/?source=local&group=demo&user=1&ctx=DEVICE%3Dmobile+phone&n=25"
RESULTS_TABLE = ".st-key-results [data-testid='stDataFrame']"
FIRST_ROW = RESULTS_TABLE + " table tbody tr"
BARE_APP = '''
import numpy as np
import pandas as pd
import streamlit as st

rng = np.random.default_rng(0)
frame = pd.DataFrame({"Rank": range(1, 26), "Item ID": [str(i) for i in rng.integers(1, 2400, 25)],
                      "Score": rng.random(25) / 100, "TITLE": [f"Movie {i}" for i in range(25)]})
with st.container(key="results"):
    st.dataframe(frame, hide_index=True)
'''


# Marks taken inside the page when an element first appears (epoch ms), so a browser busy with
# other code cannot delay the measurement the way Playwright's polling would be delayed.
MARKS = """
window.__marks = {};
const marks = {row: "%s", chart: ".js-plotly-plot", placeholder: ".st-key-chart_placeholder"};
const top = (sel) => { const el = document.querySelector(sel);
  return el ? el.getBoundingClientRect().top + window.scrollY : null; };
const seen = () => {
  const holder = top(marks.placeholder);  // its last place before the chart replaced it
  if (holder !== null) window.__marks.placeholder_last = holder;
  for (const [name, sel] of Object.entries(marks)) {
    if (document.querySelector(sel) && !(name in window.__marks)) {
      window.__marks[name] = performance.timeOrigin + performance.now();
      window.__marks[name + "_top"] = top(sel);
      if (name === "row") window.__marks.table_top = top("%s");
    }
  }
};
new MutationObserver(seen).observe(document, {subtree: true, childList: true});
""" % (FIRST_ROW.replace('"', '\\"'), RESULTS_TABLE.replace('"', '\\"'))


def cold_start(browser: Any, script: str | Path, link: str, shots: Path | None, name: str,
               warm: bool = False) -> dict[str, float]:
    """Seconds from process start to health and to the first table row (and warm timings)."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    start = time.time()
    server = start_streamlit(script, port)
    try:
        if not wait_healthy(server, url, 120):
            raise SystemExit(f"streamlit did not start: {script}")
        out = {"health": time.time() - start}
        page = browser.new_page(viewport=VIEWPORT)
        page.set_default_timeout(120_000)
        page.add_init_script(MARKS)
        page.goto(url + link)
        page.locator(FIRST_ROW).first.wait_for(state="attached")
        if warm:  # the console draws its charts after the table: the page settles once they are in
            page.locator(".js-plotly-plot").first.wait_for(state="attached")
        idle(page)
        page.wait_for_timeout(500)
        out["settled"] = time.time() - start
        marks = page.evaluate("window.__marks")
        out["table"] = marks["row"] / 1000 - start
        if "chart" in marks:
            out["chart"] = marks["chart"] / 1000 - start
            # Layout shift: the results table between its first row and the settled page, and the
            # first chart against the placeholder that held its place.
            table_now = page.evaluate("(sel) => document.querySelector(sel).getBoundingClientRect().top"
                                      " + window.scrollY", RESULTS_TABLE)
            chart_now = page.evaluate("document.querySelector(\"[data-testid='stPlotlyChart']\")"
                                      ".getBoundingClientRect().top + window.scrollY")
            out["jump"] = abs(table_now - marks["table_top"])
            out["chart_shift"] = (abs(chart_now - marks["placeholder_last"])
                                  if marks.get("placeholder_last") is not None else float("nan"))
        if shots:
            page.screenshot(path=str(shots / f"{name}-first-table.png"))
        if warm:
            out |= warm_timings(page, shots, name)
        page.close()
        return out
    finally:
        stop(server)


def idle(page: Any) -> None:
    """The script has finished and no lazy element is still a skeleton."""
    page.locator("[data-testid='stApp'][data-test-script-state='notRunning']").wait_for()
    page.wait_for_function("document.querySelectorAll(\"[data-testid='stSkeleton']\").length === 0")


def first_cell(page: Any) -> str:
    return str(page.locator(FIRST_ROW).first.locator("td").nth(1).inner_text())


def warm_timings(page: Any, shots: Path | None, name: str) -> dict[str, float]:
    """A rerun with another user; a switch back from Campaign details: each to the updated table."""
    out: dict[str, float] = {}
    before = first_cell(page).strip()
    page.locator(".st-key-user_id input").fill("2")
    page.evaluate(CHANGED, [FIRST_ROW, before])
    start = time.time()
    page.get_by_role("button", name="Get recommendations").click()
    page.wait_for_function("window.__changed !== undefined")
    out["rerun"] = page.evaluate("window.__changed") / 1000 - start
    idle(page)
    page.get_by_test_id("stSidebarNav").get_by_text("Campaign details").click()
    page.get_by_text("Solution version metrics").first.wait_for()
    idle(page)
    page.evaluate(APPEARS, FIRST_ROW)
    start = time.time()
    page.get_by_test_id("stSidebarNav").get_by_text("Test campaign").click()
    page.wait_for_function("window.__changed !== undefined")
    out["switch"] = page.evaluate("window.__changed") / 1000 - start
    idle(page)
    if shots:
        page.screenshot(path=str(shots / f"{name}-after-switch.png"))
    return out


# In-page watchers: the epoch ms when the first row's item changes, or when a first row appears.
CHANGED = """([sel, old]) => { window.__changed = undefined;
  const check = () => { const r = document.querySelector(sel); const td = r && r.querySelectorAll('td')[1];
    if (window.__changed === undefined && td && td.innerText.trim() !== old)
      window.__changed = performance.timeOrigin + performance.now(); };
  new MutationObserver(check).observe(document, {subtree: true, childList: true, characterData: true});
  setInterval(check, 50); }"""
APPEARS = """(sel) => { window.__changed = undefined;
  const check = () => { if (window.__changed === undefined && document.querySelector(sel))
      window.__changed = performance.timeOrigin + performance.now(); };
  new MutationObserver(check).observe(document, {subtree: true, childList: true}); setInterval(check, 50); }"""


def spread(values: list[float], unit: str = " s") -> str:
    return f"{statistics.median(values):5.2f}{unit} ({min(values):.2f}-{max(values):.2f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--screenshots", type=Path, default=None, help="save a screenshot of each page here")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    from scoring.demo import ensure_demo

    ensure_demo()
    if args.screenshots:
        args.screenshots.mkdir(parents=True, exist_ok=True)
    floor, console = [], []
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as p:
        bare = Path(tmp) / "bare_table.py"
        bare.write_text(BARE_APP)
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for i in range(args.rounds):
            floor.append(cold_start(browser, bare, "/", args.screenshots, f"bare-{i}"))
            console.append(cold_start(browser, "app.py", LINK, args.screenshots, f"console-{i}", warm=True))
        browser.close()

    def col(runs: list[dict[str, float]], key: str) -> list[float]:
        return [r[key] for r in runs]

    ratios = [c["table"] / f["table"] for c, f in zip(console, floor, strict=True)]
    print(f"Time to first table: cold `streamlit run` -> first result row in Chromium, {args.rounds} rounds, "
          "median (range)")
    print(f"  bare Streamlit 25-row table (floor): health {spread(col(floor, 'health'))}, "
          f"table {spread(col(floor, 'table'))}")
    print(f"  console, shared link with a request: health {spread(col(console, 'health'))}, "
          f"table {spread(col(console, 'table'))}, page settled {spread(col(console, 'settled'))}")
    print(f"  console: charts drawn {spread(col(console, 'chart'))} (after the table: "
          f"{spread([c['chart'] - c['table'] for c in console])}); between the first row and the settled "
          f"page the table moved {max(col(console, 'jump')):.0f} px, the first chart sat "
          f"{max(col(console, 'chart_shift')):.0f} px from its placeholder's place")
    print(f"  console / floor, same round: {spread(ratios, 'x')}   target <= 1.3x -> "
          f"{'within' if statistics.median(ratios) <= 1.3 else 'OVER'}")
    print(f"  warm rerun (another user) to the updated table: {spread(col(console, 'rerun'))}")
    print(f"  page switch (back from Campaign details) to the table: {spread(col(console, 'switch'))}")
    slowest = max(statistics.median(col(console, k)) for k in ("rerun", "switch"))
    print(f"  target: rerun and page switch each <= 1 s -> {'within' if slowest <= 1 else 'OVER'}")


if __name__ == "__main__":
    main()
