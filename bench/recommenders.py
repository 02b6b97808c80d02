"""Local recommenders against the user-personalization campaign they share a model with.

For each of the demo's VIDEO_ON_DEMAND recommenders, GetRecommendations (top 25, user 1, item 42
where the use case takes an item) is timed against the same call on demo-user-personalization,
interleaved in one run (best of a few repetitions, as other processes share the machine). Prints
microseconds per call and the ratio to the campaign. Not a test: the figures vary with the load.

    python bench/recommenders.py [--calls 300] [--repeats 5]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import scoring  # noqa: E402
from scoring import arns, group_files, recipes  # noqa: E402
from scoring.demo import ensure_demo  # noqa: E402

CAMPAIGN = arns.local_arn("campaign", "demo-user-personalization")


def per_call_us(call: Callable[[], object], calls: int) -> float:
    start = time.perf_counter()
    for _ in range(calls):
        call()
    return (time.perf_counter() - start) / calls * 1e6


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    runtime = scoring.client("personalize-runtime", ensure_demo())

    def campaign() -> object:
        return runtime.get_recommendations(campaignArn=CAMPAIGN, userId="1", numResults=25)

    print(f"{'recommender':<32}{'us/call':>10}{'campaign us/call':>18}{'ratio':>8}")
    for suffix, recipe in group_files.RECOMMENDERS[recipes.VIDEO_ON_DEMAND]:
        arn = arns.local_arn("recommender", f"demo-{suffix}")
        ids = {"userId": "1"} | ({"itemId": "42"} if recipes.lookup(recipe).takes_item else {})

        def recommender(arn: str = arn, ids: dict[str, str] = ids) -> object:
            return runtime.get_recommendations(recommenderArn=arn, numResults=25, **ids)

        recommender(), campaign()  # warm: lazy data (Trending now reads the interactions once)
        mine, theirs = [], []
        for _ in range(args.repeats):  # interleaved, so both see the same load
            mine.append(per_call_us(recommender, args.calls))
            theirs.append(per_call_us(campaign, args.calls))
        best, base = min(mine), min(theirs)
        print(f"demo-{suffix:<27}{best:>10.0f}{base:>18.0f}{best / base:>8.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
