"""PutEvents then GetRecommendations, in-process, against two GetRecommendations calls.

Issue 9's bar: recording an event and asking again costs no more than two GetRecommendations
calls on the 1,000,000 x 64 catalogue of bench/scoring.py. PutEvents appends one checksummed line
and waits for the disk (fdatasync), so its cost is the disk's, not the catalogue's. Prints medians
and ratios measured in one run.

    python bench/events.py [--items 1000000] [--dim 64] [--repeat 15]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import scoring  # noqa: E402
from scoring import arns, group_files  # noqa: E402


def _scoring_bench() -> Any:
    """bench/scoring.py (its file name shadows the package, so it is loaded by path)."""
    spec = importlib.util.spec_from_file_location("bench_scoring", Path(__file__).with_name("scoring.py"))
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--dim", type=int, default=64)
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = _scoring_bench().synthetic_group(Path(tmp), args.items, args.dim)
        config = json.loads((root / "campaigns.json").read_text())
        config["eventTrackers"] = [group_files.event_tracker("bench", 0)]
        (root / "campaigns.json").write_text(json.dumps(config))
        runtime = scoring.client("personalize-runtime", root)
        events = scoring.client("personalize-events", root)
        tracking_id = config["eventTrackers"][0]["trackingId"]
        campaign = arns.local_arn("campaign", "bench")
        counter = iter(range(10**9))

        def get() -> object:
            return runtime.get_recommendations(campaignArn=campaign, userId="u7", numResults=25)

        def put() -> object:
            n = next(counter)
            return events.put_events(trackingId=tracking_id, userId="u7", sessionId="bench", eventList=[
                {"eventType": "watch", "itemId": str(n % args.items), "sentAt": 1_700_000_000 + n}])

        def put_then_get() -> object:
            put()
            return get()

        def median(fn: object) -> float:
            fn()  # type: ignore[operator]
            times = []
            for _ in range(args.repeat):
                start = time.perf_counter()
                fn()  # type: ignore[operator]
                times.append(time.perf_counter() - start)
            return statistics.median(times) * 1000

        t_get, t_put, t_both = median(get), median(put), median(put_then_get)
        history = runtime.group.events.history("u7")
    print(f"PutEvents + GetRecommendations, local clients: {args.items:,} items x {args.dim}, "
          f"median of {args.repeat} ({len(history)} events recorded for the user by the end)")
    print(f"  GetRecommendations                 {t_get:8.2f} ms")
    print(f"  PutEvents (append + fdatasync)     {t_put:8.2f} ms")
    print(f"  PutEvents then GetRecommendations  {t_both:8.2f} ms   {t_both / t_get:5.2f}x one call")
    verdict = "within" if t_both <= 2 * t_get else "OVER"
    print(f"  target: at most two GetRecommendations calls -> {verdict} ({t_both / t_get:.2f}x)")


if __name__ == "__main__":
    main()
