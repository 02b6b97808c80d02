"""Live titles and history: interactions files of 0.1M, 1M and 3M rows streamed into the snapshot,
against a whole-file read, in one run; then loading the snapshot and finding users.

Each way runs in its own child process, which samples its resident memory (/proc/self/statm,
every 2 ms) during the work: the figure is the peak above what the process held before it (the
imports), and a child that does nothing gives the sampling noise. Then the moto
S3 path (in-process, as the test): the Arrow memory the stream needs at its peak, against the file.

    python bench/live_data.py [--rows 100000 1000000 3000000] [--rounds 2]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CHILD = r"""
import json, sys, threading, time
from pathlib import Path
sys.path.insert(0, {root!r})
import pandas as pd, pyarrow, pyarrow.csv, pyarrow.parquet
from scoring import live_data
way, source, folder = sys.argv[1], sys.argv[2], Path(sys.argv[3])

def rss():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096 / 1e6

before, peak, done = rss(), [0.0], threading.Event()

def sample():
    while not done.is_set():
        peak[0] = max(peak[0], rss())
        time.sleep(0.002)

threading.Thread(target=sample, daemon=True).start()
start = time.perf_counter()
if way == "stream":
    with open(source, "rb") as handle:
        live_data.take(folder, live_data.INTERACTIONS, [live_data.Input(source, lambda: handle)])
elif way == "pandas":
    frame = pd.read_csv(source, dtype=str, keep_default_na=False)
    frame.to_parquet(folder / "whole.parquet")
elif way == "load":
    snapshot = live_data.read_snapshot(folder)
    from scoring import history, user_picker
    frame = live_data.load_interactions(snapshot)
    index, directory = history.InteractionsIndex(frame), user_picker.UserDirectory(frame)
    loaded = time.perf_counter() - start
    t = time.perf_counter(); [directory.by_prefix(p) for p in ("u1", "u22", "u333")]
    prefix = (time.perf_counter() - t) / 3
    t = time.perf_counter(); [directory.by_item(f"i{{k}}") for k in range(3)]; by_item = (time.perf_counter() - t) / 3
    t = time.perf_counter(); directory.most_active(); active = time.perf_counter() - t
    t = time.perf_counter(); [index.history(f"u{{k}}") for k in range(20)]; hist = (time.perf_counter() - t) / 20
    done.set()
    print(json.dumps({{"seconds": loaded, "prefix": prefix, "by_item": by_item, "most_active": active,
                      "history": hist, "maxrss_mb": max(peak[0], rss()) - before}}))
    raise SystemExit
seconds = time.perf_counter() - start
done.set()
print(json.dumps({{"seconds": seconds, "maxrss_mb": max(peak[0], rss()) - before}}))
"""


def _child(way: str, source: Path, folder: Path) -> dict[str, float]:
    out = subprocess.run([sys.executable, "-c", CHILD.format(root=str(ROOT)), way, str(source), str(folder)],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[100_000, 1_000_000, 3_000_000])
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    from tests.support.large_files import million_rows_csv

    with tempfile.TemporaryDirectory() as tmp:
        for rows in args.rows:
            body = million_rows_csv(rows)
            source = Path(tmp) / "interactions.csv"
            source.write_bytes(body)
            runs: dict[str, list[dict[str, float]]] = {"noise": [], "stream": [], "pandas": []}
            for _ in range(args.rounds):  # every way in turn in each round
                for way in runs:
                    runs[way].append(_child(way, source, Path(tempfile.mkdtemp(dir=tmp))))
            noise = statistics.median(r["maxrss_mb"] for r in runs["noise"])
            stream, whole = (statistics.median(r["maxrss_mb"] for r in runs[w]) for w in ("stream", "pandas"))
            ratio = statistics.median(s["seconds"] / p["seconds"] for s, p in zip(runs["stream"], runs["pandas"]))
            print(f"{rows:>9,} rows ({len(body) / 1e6:5.1f} MB): resident growth streaming {stream:5.0f} MB, "
                  f"whole-file pandas read {whole:5.0f} MB (noise {noise:.0f} MB); "
                  f"time stream / whole {ratio:.2f}x, "
                  f"{rows / statistics.median(r['seconds'] for r in runs['stream']):,.0f} rows/s")
            if rows == 1_000_000 or rows == args.rows[-1]:
                last_body, last_source = body, source
        folder = Path(tempfile.mkdtemp(dir=tmp))
        last_source.write_bytes(last_body)
        _child("stream", last_source, folder)
        loaded = _child("load", last_source, folder)
        print(f"snapshot ({len(last_body) / 1e6:.1f} MB) -> index + user directory: {loaded['seconds']:.2f} s, "
              f"+{loaded['maxrss_mb']:.0f} MB resident; prefix {loaded['prefix'] * 1e3:.2f} ms, "
              f"by item {loaded['by_item'] * 1e3:.1f} ms, most active {loaded['most_active'] * 1e3:.1f} ms, "
              f"one user's history {loaded['history'] * 1e3:.2f} ms")
        _moto(last_body)


def _moto(body: bytes) -> None:
    import boto3
    import pyarrow as pa
    from moto import mock_aws

    from scoring import live_data

    with mock_aws(), tempfile.TemporaryDirectory() as tmp:
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket="data")
        s3.put_object(Bucket="data", Key="interactions.csv", Body=body)
        pool = pa.proxy_memory_pool(pa.default_memory_pool())
        start = time.perf_counter()
        live_data.take(Path(tmp), live_data.INTERACTIONS,
                       [live_data.Input("s3://data/interactions.csv",
                                        lambda: live_data.open_s3(s3, "s3://data/interactions.csv"))],
                       memory_pool=pool)
        seconds = time.perf_counter() - start
        print(f"moto S3 stream: Arrow peak {pool.max_memory() / 1e6:.1f} MB for a {len(body) / 1e6:.1f} MB file "
              f"({pool.max_memory() / len(body):.2f}x), {seconds:.2f} s")


if __name__ == "__main__":
    main()
