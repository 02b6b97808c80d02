"""Health check speed: the block-matrix path vs one call per user, and the thread pool vs sequential calls.

  local   10,000 users drawn with replacement from the demo users plus 5% new users, top 25 with a
          DEVICE context: `block_lists` (LocalRuntimeClient.batch_recommendations, one matrix product
          per block of users) against the same lists from one get_recommendations call per user.
          Target: the block path at least 10x faster.
  live    the local HTTP endpoint (`python -m scoring.server` in its own process) with a boto3 client (dummy keys,
          adaptive retries): `call_lists` on a pool of 8 threads against sequential calls, 500 users.

Prints users per second and the ratios, each pair measured in one run (best of a few repetitions,
as other processes share the machine). Not a test: the figures vary with the machine and its load.

    python bench/health.py [--users 10000] [--live-users 500] [--workers 8]
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
# One BLAS thread: both paths then use one core, and a shared machine's load hurts neither unfairly.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import boto3  # noqa: E402
from botocore.config import Config  # noqa: E402

import scoring  # noqa: E402
from bench.endpoint import start, stop  # noqa: E402
from scoring import arns, health_run, recipes  # noqa: E402
from scoring.demo import ensure_demo  # noqa: E402

REC = arns.local_arn("campaign", "demo-user-personalization")
USER_RECIPE = recipes.lookup("aws-user-personalization-v2")
CONTEXT = {"DEVICE": "mobile phone"}


def best_of(repeats: int, run: Callable[[], object]) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - start)
    return best


def local(users: list[str], runtime: object) -> None:
    threads = min(2, os.cpu_count() or 1)
    block = best_of(3, lambda: health_run.block_lists(runtime, REC, users, 25, CONTEXT))
    single = best_of(3, lambda: health_run.block_lists(runtime, REC, users, 25, CONTEXT, workers=1))
    sample = users[: max(1, len(users) // 5)]  # one call per user is slow: time a fifth, scale up
    calls = best_of(2, lambda: health_run.call_lists(runtime, USER_RECIPE, REC, sample, 25,
                                                     CONTEXT, workers=1, max_tps=0)) * len(users) / len(sample)
    print(f"local, {len(users):,} users, top 25, DEVICE context")
    rows = ((f"block-matrix path, {threads} block threads (default)", block, "  (target >= 10x)"),
            ("block-matrix path, 1 block thread", single, ""),
            ("one get_recommendations call per user", calls, ""))
    for label, seconds, note in rows:
        print(f"  {label:<46}{len(users) / seconds:>9,.0f} users/s {calls / seconds:6.1f}x{note}")


class WithLatency:
    """A client whose calls first wait `seconds`, like a round trip to a Personalize region.

    The local endpoint answers in about a millisecond, so on its own it measures CPU, not the
    network waits a thread pool exists to overlap. This is a simulation, and labelled as one.
    """

    def __init__(self, client: Any, seconds: float) -> None:
        self.client, self.seconds = client, seconds
        self.exceptions = client.exceptions

    def get_recommendations(self, **params: Any) -> Any:
        time.sleep(self.seconds)
        return self.client.get_recommendations(**params)


def _sequential_vs_pool(client: Any, users: list[str], workers: int) -> tuple[float, float]:
    def run(n: int) -> float:
        return best_of(1, lambda: health_run.call_lists(client, USER_RECIPE, REC, users, 25,
                                                        CONTEXT, workers=n))
    return len(users) / run(1), len(users) / run(workers)


def live(users: list[str], data_dir: Path, workers: int, latency_ms: float) -> None:
    # The endpoint runs in its own process, as a real service would: in this process it would
    # share one GIL with the client threads it is meant to serve.
    srv, url = start([sys.executable, "-m", "scoring.server", "--data", str(data_dir), "--port", "0"])
    try:
        client = boto3.client("personalize-runtime", endpoint_url=url, region_name="us-east-1",
                              aws_access_key_id="local", aws_secret_access_key="local",
                              config=Config(retries={"mode": "adaptive", "max_attempts": 3},
                                            max_pool_connections=max(10, workers)))
        health_run.call_lists(client, USER_RECIPE, REC, users[:20], 25, CONTEXT, workers=1)
        plain = _sequential_vs_pool(client, users, workers)
        slow = _sequential_vs_pool(WithLatency(client, latency_ms / 1000), users[: len(users) // 2], workers)
    finally:
        stop(srv)
    print(f"live-style over the local HTTP endpoint, {len(users):,} users (<= {health_run.MAX_TPS:.0f} TPS)")
    for label, (sequential, pooled) in (("endpoint as it is (CPU-bound)", plain),
                                        (f"+ {latency_ms:g} ms simulated network wait per call", slow)):
        print(f"  {label}")
        print(f"    sequential boto3 calls                  {sequential:>10,.0f} users/s")
        print(f"    thread pool of {workers} workers               {pooled:>10,.0f} users/s")
        print(f"    ratio                                    {pooled / sequential:>10.1f}x")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--live-users", type=int, default=500)
    parser.add_argument("--workers", type=int, default=health_run.DEFAULT_WORKERS)
    parser.add_argument("--latency-ms", type=float, default=20.0,
                        help="simulated network wait per call for the second live-style figure")
    args = parser.parse_args()
    data_dir = ensure_demo()
    runtime = scoring.client("personalize-runtime", data_dir)
    rng = random.Random(0)
    known = [str(u) for u in runtime.group.model.user_ids]
    users = [rng.choice(known) if rng.random() < 0.95 else f"new-{rng.randrange(10**6)}" for _ in range(args.users)]
    health_run.block_lists(runtime, REC, users[:300], 25, CONTEXT)  # warm up (imports, caches)
    local(users, runtime)
    live(users[: args.live_users], data_dir, args.workers, args.latency_ms)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
