"""The import against its floor: `importing.prepare` (every Personalize rule, schema inference, odd
rows applied, the files as imported) beside `pandas.read_csv(dtype=str)` of the same bytes, which
only parses them. Interleaved rounds in one run; prints the median and range of each and their
ratio per round, for AWS's airline sample as published and a generated file of N interactions
with a few odd rows.

    python bench/importing.py [--rows 1000000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scoring import importing, paths  # noqa: E402

AIRLINE = ROOT.parent / "shared" / "data" / "aws-airline-sample"


def generated(rows: int, seed: int = 0) -> dict[str, bytes]:
    """interactions.csv (with one odd row in 10,000) and items.csv (with a stray YEAR)."""
    rng = np.random.default_rng(seed)
    users = rng.integers(0, max(rows // 20, 30), rows)
    items = rng.integers(0, 4000, rows)
    frame = pd.DataFrame({"USER_ID": users.astype(str), "ITEM_ID": items.astype(str),
                          "TIMESTAMP": (1_700_000_000 + rng.integers(0, 10**7, rows)).astype(str),
                          "EVENT_TYPE": np.where(rng.random(rows) < 0.3, "watch", "click"),
                          "DEVICE": np.where(rng.random(rows) < 0.5, "web", "app")})
    frame.loc[::10_000, "TIMESTAMP"] = "yesterday"
    catalogue = pd.DataFrame({"ITEM_ID": np.arange(4000).astype(str),
                              "YEAR": (1950 + np.arange(4000) % 70).astype(str),
                              "GENRES": np.where(np.arange(4000) % 2 == 0, "Action|Comedy", "Drama")})
    catalogue.loc[7, "YEAR"] = "2006–2007"
    return {paths.INTERACTIONS_FILE: frame.to_csv(index=False).encode(),
            paths.ITEMS_FILE: catalogue.to_csv(index=False).encode()}


def floor(files: dict[str, bytes]) -> None:
    for data in files.values():
        pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False)


def timed(call: object, files: dict[str, bytes]) -> float:
    started = time.perf_counter()
    call(files)  # type: ignore[operator]
    return time.perf_counter() - started


def run(label: str, files: dict[str, bytes], rounds: int) -> None:
    prepared = importing.prepare(files)
    assert prepared.report.ok, prepared.report.lines()
    ours, base, ratios = [], [], []
    for _ in range(rounds):
        b = timed(floor, files)
        o = timed(importing.prepare, files)
        base.append(b)
        ours.append(o)
        ratios.append(o / b)
    size = sum(map(len, files.values())) / 2**20
    rows = prepared.report.counts["interactions"]
    print(f"{label}: {rows:,} interactions, {size:,.1f} MB, {prepared.report.total_notes:,} odd rows")
    print(f"  prepare        median {statistics.median(ours):6.2f} s  range {min(ours):.2f}-{max(ours):.2f} s"
          f"  ({rows / statistics.median(ours):,.0f} interactions/s)")
    print(f"  read_csv floor median {statistics.median(base):6.2f} s  range {min(base):.2f}-{max(base):.2f} s")
    print(f"  ratio per round: {', '.join(f'{r:.2f}x' for r in ratios)}  (median {statistics.median(ratios):.2f}x)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    airline, _ = importing.read_directory(AIRLINE)
    run("airline sample as published", airline, args.rounds)
    run("generated", generated(args.rows), args.rounds)


if __name__ == "__main__":
    main()
