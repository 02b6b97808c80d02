"""Time to first table: cold `streamlit run` to a rendered result, measured in the browser.

Starts the app on a free port, opens a shared link that carries a request (so the page runs
it on load) in Debian's Chromium, and times: server start to health, page load to the first
results table row, and the whole. Prints the median over a few cold starts.

    python bench/first_table.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, VIEWPORT, _free_port, _healthy  # noqa: E402

LINK = "/?source=local&group=demo&user=1&ctx=DEVICE%3Dmobile+phone&n=25"


def cold_start(browser: object) -> tuple[float, float]:
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    start = time.perf_counter()
    server = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
         "--server.port", str(port), "--server.address", "127.0.0.1",
         "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while not _healthy(url):
            if server.poll() is not None or time.perf_counter() - start > 120:
                raise SystemExit("streamlit did not start")
            time.sleep(0.05)
        healthy = time.perf_counter()
        page = browser.new_page(viewport=VIEWPORT)  # type: ignore[attr-defined]
        page.goto(url + LINK)
        page.locator(".st-key-results").get_by_test_id("stDataFrame").locator("table tbody tr").first.wait_for(state="attached", timeout=120_000)
        done = time.perf_counter()
        page.close()
        return healthy - start, done - start
    finally:
        server.terminate()
        server.wait(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    from scoring.demo import ensure_demo

    ensure_demo()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        runs = [cold_start(browser) for _ in range(args.repeat)]
        browser.close()
    health = statistics.median(r[0] for r in runs)
    table = statistics.median(r[1] for r in runs)
    print(f"Time to first table (cold `streamlit run` -> first result row in Chromium), median of {args.repeat}")
    print(f"  server start to /_stcore/health ok  {health:6.2f} s")
    print(f"  server start to rendered table      {table:6.2f} s   (page + first run: {table - health:.2f} s)")


if __name__ == "__main__":
    main()
