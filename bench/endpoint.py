"""Sustained throughput of the local Personalize endpoint, and the HTTP overhead as a ratio.

Runs on the demo catalogue, the same console-like request mix, the same number of clients:

  http        N threads, one boto3 `personalize-runtime` client each (default config, SigV4
              signing, botocore's keep-alive pool), against `python -m scoring.server` in its own
              process, as `make serve` runs it;
  in-process  N threads calling the local client directly (no serialisation, no HTTP);
  ceiling     the same boto3 threads against a canned-response server that does no work at all
              (asyncio, pre-built bodies): the most these clients can send on this machine, so
              what the endpoint itself costs is http / ceiling.

Prints requests/s, p50/p99 latency and errors for each, the CPU each process used, and the
ratios. The target is Personalize's own per-campaign limit: >= 500 requests/s with zero errors
on 2 cores. A boto3 call costs ~1.5-2 ms of client CPU and all N threads share one GIL, so with
`--processes 1` the client process, not the server, is usually the limit on 2 cores: compare
with the ceiling line. `--processes 2` spreads the same N threads over 2 client processes.

The mix: GetRecommendations (numResults 25, every 3rd with a DEVICE context) for known users,
every 5th call a GetPersonalizedRanking of 25 items. Not a test: absolute figures vary with the
machine and its load; compare the ratios measured in one run.

    python bench/endpoint.py [--duration 10] [--threads 8] [--processes 1] [--data DIR] [--url URL]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scoring import arns  # noqa: E402 (after the sys.path insert)

REC = arns.local_arn("campaign", "demo-user-personalization")
RANK = arns.local_arn("campaign", "demo-personalized-ranking")
DEVICES = ("mobile phone", "desktop", "tablet", "smart tv")
TARGET = 500


@dataclass
class Result:
    name: str
    seconds: float
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    first_error: str = ""
    client_cpu: float = 0.0  # CPU seconds of the client process(es) during the run
    server_cpu: float = float("nan")

    @property
    def requests(self) -> int:
        return len(self.latencies) + self.errors

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    def percentile_ms(self, q: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000

    def merge(self, other: Result) -> None:
        self.latencies += other.latencies
        self.errors += other.errors
        self.first_error = self.first_error or other.first_error
        self.client_cpu += other.client_cpu

    def line(self) -> str:
        return (f"{self.name:<11} {self.rate:7.0f} req/s   p50 {self.percentile_ms(0.50):6.2f} ms   "
                f"p99 {self.percentile_ms(0.99):6.2f} ms   {self.requests:6d} requests   {self.errors} errors")

    def cpu_line(self) -> str:
        """CPU shares, and CPU per request: the figure a loaded machine moves least (a rate
        swings with the other processes' load, the work a request takes much less)."""
        span, done = self.seconds, max(1, len(self.latencies))
        server = "" if self.server_cpu != self.server_cpu else (
            f", server process {self.server_cpu / span:.0%} ({self.server_cpu / done * 1000:.2f} ms a request)")
        return (f"{'':<11} cpu: client process(es) {self.client_cpu / span:.0%} of a core "
                f"({self.client_cpu / done * 1000:.2f} ms a request){server}")


# -- the request mix -------------------------------------------------------------------------
def request_mix(users: list[str], items: list[str]) -> Callable[[Any, int], Any]:
    """call(client, i): the i-th request of the console-like mix."""
    def call(client: Any, i: int) -> Any:
        user = users[i % len(users)]
        if i % 5 == 4:
            start = (i * 7) % max(1, len(items) - 25)
            return client.get_personalized_ranking(campaignArn=RANK, userId=user,
                                                   inputList=items[start:start + 25])
        if i % 3 == 0:
            return client.get_recommendations(campaignArn=REC, userId=user, numResults=25,
                                              context={"DEVICE": DEVICES[i % len(DEVICES)]})
        return client.get_recommendations(campaignArn=REC, userId=user, numResults=25)
    return call


def catalogue(data_dir: Path) -> tuple[list[str], list[str]]:
    import scoring

    model = scoring.client("personalize-runtime", data_dir).group.model
    return [str(u) for u in model.user_ids[:500]], [str(i) for i in model.item_ids[:1000]]


# -- running N threads -----------------------------------------------------------------------
def run_threads(name: str, clients: list[Any], call: Callable[[Any, int], Any], duration: float,
                warmup: float, first_index: int = 0) -> Result:
    """Every thread calls as fast as it can; only calls that start after the warm-up count."""
    start_line = threading.Barrier(len(clients) + 1)
    per_thread: list[Result] = [Result(name, duration) for _ in clients]

    def worker(index: int, client: Any) -> None:
        out = per_thread[index]
        i = (first_index + index) * 1_000_003
        start_line.wait()
        begin = time.perf_counter()
        count_from, stop_at = begin + warmup, begin + warmup + duration
        while True:
            t0 = time.perf_counter()
            if t0 >= stop_at:
                break
            try:
                call(client, i)
                ok = True
            except Exception as exc:  # noqa: BLE001 - every failure is an error in the figures
                ok = False
                out.first_error = out.first_error or f"{type(exc).__name__}: {exc}"
            if t0 >= count_from:
                if ok:
                    out.latencies.append(time.perf_counter() - t0)
                else:
                    out.errors += 1
            i += 1

    threads = [threading.Thread(target=worker, args=(n, c), daemon=True) for n, c in enumerate(clients)]
    for t in threads:
        t.start()
    start_line.wait()
    time.sleep(warmup)
    cpu1 = time.process_time()
    for t in threads:
        t.join()
    result = Result(name, duration)
    for r in per_thread:
        result.merge(r)
    result.client_cpu = time.process_time() - cpu1  # the measured span only, not the warm-up
    return result


def boto3_clients(url: str, n: int) -> list[Any]:
    import boto3

    return [boto3.session.Session().client(
        "personalize-runtime", endpoint_url=url, region_name="us-east-1", aws_access_key_id="bench",
        aws_secret_access_key="bench") for _ in range(n)]


def _client_process(url: str, threads: int, first: int, users: list[str], items: list[str], duration: float,
                    warmup: float, ready: Any, out: Any) -> None:
    clients = boto3_clients(url, threads)
    ready.wait()
    out.put(run_threads("http", clients, request_mix(users, items), duration, warmup, first))


def run_http(url: str, threads: int, processes: int, users: list[str], items: list[str], duration: float,
             warmup: float, name: str, server: subprocess.Popen[str] | None) -> Result:
    """N boto3 clients (one per thread) spread over `processes` client processes."""
    if processes <= 1:
        clients = boto3_clients(url, threads)
        s0 = process_cpu(server)
        result = run_threads(name, clients, request_mix(users, items), duration, warmup)
        result.server_cpu = (process_cpu(server) - s0) * duration / (duration + warmup)
        return result
    ctx = mp.get_context("spawn")
    ready, out = ctx.Barrier(processes + 1), ctx.Queue()
    shares = [threads // processes + (1 if p < threads % processes else 0) for p in range(processes)]
    procs = [ctx.Process(target=_client_process, args=(url, n, sum(shares[:p]), users, items, duration, warmup,
                                                       ready, out), daemon=True)
             for p, n in enumerate(shares)]
    for p in procs:
        p.start()
    ready.wait()
    s0 = process_cpu(server)
    result = Result(name, duration)
    for _ in procs:
        result.merge(out.get())
    result.server_cpu = (process_cpu(server) - s0) * duration / (duration + warmup)
    for p in procs:
        p.join()
    return result


# -- servers ---------------------------------------------------------------------------------
def process_cpu(proc: subprocess.Popen[str] | None) -> float:
    """CPU seconds used so far by a child process (Linux /proc; NaN elsewhere)."""
    if proc is None:
        return float("nan")
    try:
        fields = Path(f"/proc/{proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return float("nan")


def start(cmd: list[str]) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    match = re.search(r"on (http://\S+)", line)
    if not match:
        proc.kill()
        raise SystemExit(f"{cmd} did not start: {line}{proc.stderr.read() if proc.stderr else ''}")
    return proc, match.group(1)


def stop(proc: subprocess.Popen[str] | None) -> None:
    if proc is not None and proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def serve_canned(data_dir: Path) -> None:
    """A server that answers every runtime request with a pre-built body: zero work per request.

    The bodies are real local answers (25 scored items), so boto3 parses what it parses against
    the endpoint; the difference between the two runs is the endpoint's own cost."""
    import scoring
    from scoring import wire

    local = scoring.client("personalize-runtime", data_dir)
    users, items = catalogue(data_dir)

    def response(payload: dict[str, Any]) -> bytes:
        body = wire.encode(payload)
        return (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nx-amzn-RequestId: canned\r\n"
                b"Content-Length: %d\r\n\r\n" % len(body)) + body

    recs = response(local.get_recommendations(campaignArn=REC, userId=users[0], numResults=25))
    ranked = response(local.get_personalized_ranking(campaignArn=RANK, userId=users[0], inputList=items[:25]))

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line[:15].lower() == b"content-length:":
                        length = int(line[15:])
                await reader.readexactly(length)
                writer.write(ranked if b"/personalize-ranking" in head[:64] else recs)
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()

    async def main() -> None:
        server = await asyncio.start_server(handle, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        print(f"canned server on http://127.0.0.1:{port}", flush=True)
        await server.serve_forever()

    asyncio.run(main())


# -- main ------------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=10.0, help="seconds measured per run (default 10)")
    parser.add_argument("--warmup", type=float, default=1.0, help="seconds not measured first (default 1)")
    parser.add_argument("--threads", type=int, default=8, help="concurrent boto3 clients (default 8)")
    parser.add_argument("--processes", type=int, default=1,
                        help="client processes the threads are spread over (default 1: one GIL)")
    parser.add_argument("--data", type=Path, default=None, help="dataset group (default: the demo)")
    parser.add_argument("--url", default=None, help="bench an endpoint that is already running")
    parser.add_argument("--no-ceiling", action="store_true", help="skip the canned-server run")
    parser.add_argument("--serve-canned", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.data is None:
        from scoring.demo import ensure_demo

        args.data = ensure_demo()
    if args.serve_canned:
        serve_canned(args.data)
        return 0

    import scoring

    users, items = catalogue(args.data)
    model = scoring.client("personalize-runtime", args.data).group.model
    where = f"{args.threads} threads" + (f" in {args.processes} processes" if args.processes > 1 else "")
    load = f", load average {os.getloadavg()[0]:.1f}" if hasattr(os, "getloadavg") else ""
    print(f"Local endpoint throughput: {where}, {args.duration:g} s per run, {model.n_items} items, "
          f"{len(model.user_ids)} users, {os.cpu_count()} CPUs{load}", flush=True)

    proc, url = (None, args.url) if args.url else start(
        [sys.executable, "-m", "scoring.server", "--data", str(args.data), "--port", "0"])
    try:
        http = run_http(url, args.threads, args.processes, users, items, args.duration, args.warmup, "http", proc)
    finally:
        stop(proc)

    ceiling = None
    if not args.no_ceiling:
        canned, canned_url = start([sys.executable, str(Path(__file__).resolve()), "--serve-canned",
                                    "--data", str(args.data)])
        try:
            ceiling = run_http(canned_url, args.threads, args.processes, users, items, args.duration,
                               args.warmup, "ceiling", canned)
        finally:
            stop(canned)

    local = scoring.client("personalize-runtime", args.data)
    inproc = run_threads("in-process", [local] * args.threads, request_mix(users, items), args.duration,
                         args.warmup)

    print(http.line())
    print(http.cpu_line())
    print(inproc.line())
    if ceiling is not None:
        print(ceiling.line())
        print(ceiling.cpu_line())
    if http.rate:
        print(f"ratio       in-process / http = {inproc.rate / http.rate:.1f}x throughput, "
              f"p50 {http.percentile_ms(0.5) / inproc.percentile_ms(0.5):.1f}x")
        if ceiling is not None and ceiling.rate:
            print(f"            http / ceiling = {http.rate / ceiling.rate:.0%} of what these boto3 "
                  "clients can send to a server that does nothing")
    meets = http.rate >= TARGET and http.errors == 0
    note = ""
    if not meets and ceiling is not None and ceiling.rate and http.rate / ceiling.rate >= 0.8:
        note = (f" (the zero-work ceiling is {ceiling.rate:.0f} req/s: the boto3 client process, one GIL, "
                "is the limit on this machine; --processes 2 spreads the same clients over two)")
    print(f"target      >= {TARGET} req/s with zero errors over HTTP: {'meets' if meets else 'MISSES'}{note}")
    for r in (http, ceiling):
        if r is not None and r.first_error:
            print(f"first error ({r.name}): {r.first_error}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
