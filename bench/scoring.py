"""GetRecommendations on a 1,000,000-item catalogue: the whole local call against its floor.

The floor is the bare matrix-vector product: every item vector (1M x 64 float32 = 256 MB) must
be read once, so no scorer can beat it. The local client adds validation, the softmax
normaliser and an argpartition top-k; the naive version does a full softmax and a full
argsort. Prints medians and ratios measured in one run (timings here are noisy; ratios are not).

    python bench/scoring.py [--items 1000000] [--dim 64] [--repeat 15]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import scoring  # noqa: E402
from scoring import arns  # noqa: E402
from scoring.model import MODEL_FILE, SoftmaxModel  # noqa: E402
from scoring.softmax import softmax  # noqa: E402


def synthetic_group(root: Path, n_items: int, dim: int, seed: int = 0) -> Path:
    """A dataset group folder with a random model of n_items x dim float32 vectors."""
    rng = np.random.default_rng(seed)
    items = rng.standard_normal((n_items, dim), dtype=np.float32) * 0.3
    users = rng.standard_normal((100, dim), dtype=np.float32) * 0.3
    users[:, -1] = 1.0
    model = SoftmaxModel(
        item_ids=np.char.mod("%d", np.arange(n_items)), item_factors=items,
        user_ids=np.char.mod("u%d", np.arange(100)), user_factors=users,
        context_names=np.array(["DEVICE=mobile phone"]), context_factors=np.zeros((1, dim), np.float32),
        item_popularity=np.ones(n_items, np.float32), meta={"synthetic": True})
    model.save(root / MODEL_FILE)
    (root / "campaigns.json").write_text(json.dumps({
        "datasetGroup": {"name": "bench", "createdAt": 0},
        "solutions": [{"name": "bench", "recipe": "aws-user-personalization-v2"}],
        "campaigns": [{"name": "bench", "solution": "bench", "recipe": "aws-user-personalization-v2"}],
        "filters": []}))
    return root


def median_ms(fn: Callable[[], object], repeat: int) -> float:
    fn()  # warm caches and lazy loads
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--dim", type=int, default=64)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--num-results", type=int, default=25)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        group = synthetic_group(Path(tmp), args.items, args.dim)
        client = scoring.client("personalize-runtime", group)
        model = client.group.model
        campaign = arns.local_arn("campaign", "bench")
        vector = model.user_vector("u7")
        k = args.num_results

        def whole_call() -> object:
            return client.get_recommendations(campaignArn=campaign, userId="u7", numResults=k)

        def floor() -> object:
            return model.item_factors @ vector

        def naive() -> object:
            scores = softmax(model.item_factors @ vector)
            return np.argsort(-scores)[:k], scores

        # Same answer from the fast and the naive path, or the timing means nothing.
        fast_ids = [i["itemId"] for i in whole_call()["itemList"]]
        naive_ids = [str(model.item_ids[i]) for i in naive()[0]]
        assert fast_ids == naive_ids, "fast and naive top-k disagree"

        t_call, t_floor, t_naive = (median_ms(f, args.repeat) for f in (whole_call, floor, naive))

    mb = args.items * args.dim * 4 / 1e6
    print(f"GetRecommendations, local client: {args.items:,} items x {args.dim} float32 "
          f"({mb:.0f} MB of item vectors), numResults={k}, median of {args.repeat}")
    print(f"  bare matrix-vector product (floor) {t_floor:8.2f} ms   {mb / t_floor:6.1f} GB/s")
    print(f"  whole get_recommendations call     {t_call:8.2f} ms   {t_call / t_floor:5.2f}x floor")
    print(f"  naive: full softmax + full argsort {t_naive:8.2f} ms   {t_naive / t_floor:5.2f}x floor, "
          f"{t_naive / t_call:5.2f}x the local client")
    verdict = "within" if t_call <= 2 * t_floor else "OVER"
    print(f"  target: whole call within 2x of the floor -> {verdict} ({t_call / t_floor:.2f}x)")


if __name__ == "__main__":
    main()
