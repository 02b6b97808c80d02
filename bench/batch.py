"""Batch inference job speed, memory and fidelity on the demo model (issue 12's three numbers).

  job         a local batch inference job over N users (default 1,000,000: the demo users again
              and again, plus 5% users the model never saw) x top 25, S3 being moto's server in
              its own process: seconds from CreateBatchInferenceJob to ACTIVE, and this process's
              peak resident memory (the job runs here, on the control client's thread).
              Targets: <= 60 s on 2 cores, peak < 1 GB.
  throughput  a job's users per second over one GetRecommendations call per user through the
              local HTTP endpoint (`python -m scoring.server` in its own process, one boto3
              client), a job and the calls in turn for a few rounds. Target: >= 20x.
  identical   a random sample of the job's output lines against GetRecommendations for the same
              users (in-process): how many lists are identical.

Figures, not a test: they move with the machine's load; each ratio is measured in one run.

    python bench/batch.py [--users 1000000] [--rounds 3] [--round-users 50000] [--calls 1000] [--sample 2000]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import boto3  # noqa: E402

import scoring  # noqa: E402
from bench.endpoint import start, stop  # noqa: E402
from scoring import arns  # noqa: E402
from scoring.demo import ensure_demo  # noqa: E402

REC = arns.local_arn("campaign", "demo-user-personalization")
ROLE = "arn:aws:iam::123456789012:role/PersonalizeBatch"
BUCKET = "bench-batch"


def moto_server() -> tuple[subprocess.Popen[str], str]:
    """moto's S3 in its own process, so its memory (it holds the objects) is not counted here."""
    code = ("import sys, time, warnings; warnings.simplefilter('ignore');"
            "from moto.server import ThreadedMotoServer;"
            "s = ThreadedMotoServer(ip_address='127.0.0.1', port=0, verbose=False); s.start();"
            "print('on http://127.0.0.1:%d' % s.get_host_and_port()[1], flush=True); time.sleep(1e9)")
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    return proc, line.split("on ", 1)[1].strip()


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=1_000_000)
    parser.add_argument("--calls", type=int, default=1000, help="GetRecommendations calls per round over HTTP")
    parser.add_argument("--round-users", type=int, default=50_000, help="users of each round's job")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--sample", type=int, default=2000, help="output lines compared with GetRecommendations")
    args = parser.parse_args(argv)

    demo = ensure_demo()
    moto, s3_url = moto_server()
    os.environ.update(AWS_ENDPOINT_URL_S3=s3_url, AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench",
                      AWS_DEFAULT_REGION="us-east-1")
    endpoint = None
    try:
        s3 = boto3.client("s3")
        s3.create_bucket(Bucket=BUCKET)
        control = scoring.client("personalize", demo)
        runtime = scoring.client("personalize-runtime", demo)
        known = [str(u) for u in runtime.group.model.user_ids]
        rng = random.Random(12)
        users = [known[i % len(known)] if rng.random() >= 0.05 else f"new-{i}" for i in range(args.users)]
        s3.put_object(Bucket=BUCKET, Key="in/users.json",
                      Body="".join(f'{{"userId": "{u}"}}\n' for u in users).encode())
        version = control.describe_campaign(campaignArn=REC)["campaign"]["solutionVersionArn"]
        before = peak_mb()
        cpu_before = sum(resource.getrusage(resource.RUSAGE_SELF)[:2])
        name = f"bench-{int(time.time())}"
        started = time.perf_counter()
        arn = control.create_batch_inference_job(
            jobName=name, solutionVersionArn=version, roleArn=ROLE, numResults=25,
            jobInput={"s3DataSource": {"path": f"s3://{BUCKET}/in/users.json"}},
            jobOutput={"s3DataDestination": {"path": f"s3://{BUCKET}/out/{name}/"}})["batchInferenceJobArn"]
        while (job := control.describe_batch_inference_job(batchInferenceJobArn=arn)["batchInferenceJob"])[
                "status"] not in ("ACTIVE", "CREATE FAILED"):
            time.sleep(0.05)
        seconds = time.perf_counter() - started
        cpu = sum(resource.getrusage(resource.RUSAGE_SELF)[:2]) - cpu_before
        if job["status"] != "ACTIVE":
            print(f"job failed: {job.get('failureReason')}")
            return 1
        per_second = args.users / seconds
        print(f"job         {args.users:,} users x top 25: {seconds:.1f} s ({per_second:,.0f} users/s), "
              f"{cpu:.1f} s of CPU (both cores), peak memory {peak_mb():.0f} MB (before the job {before:.0f} MB; "
              f"the input upload included); {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}")

        endpoint, url = start([sys.executable, "-m", "scoring.server", "--data", str(demo), "--port", "0"])
        client = boto3.client("personalize-runtime", endpoint_url=url)
        client.get_recommendations(campaignArn=REC, userId=users[0], numResults=25)  # warm the connection
        s3.put_object(Bucket=BUCKET, Key="in/round.json",
                      Body="".join(f'{{"userId": "{u}"}}\n' for u in users[:args.round_users]).encode())
        ratios, job_rates, call_rates = [], [], []
        for round_number in range(args.rounds):  # a job and the calls in turn: the same load for both
            t = time.perf_counter()
            arn = control.create_batch_inference_job(
                jobName=f"{name}-round-{round_number}", solutionVersionArn=version, roleArn=ROLE, numResults=25,
                jobInput={"s3DataSource": {"path": f"s3://{BUCKET}/in/round.json"}},
                jobOutput={"s3DataDestination": {"path": f"s3://{BUCKET}/out/{name}-{round_number}/"}})[
                    "batchInferenceJobArn"]
            while control.describe_batch_inference_job(batchInferenceJobArn=arn)["batchInferenceJob"]["status"] \
                    not in ("ACTIVE", "CREATE FAILED"):
                time.sleep(0.02)
            job_rates.append(args.round_users / (time.perf_counter() - t))
            sample = [users[rng.randrange(len(users))] for _ in range(args.calls)]
            t = time.perf_counter()
            for user in sample:
                client.get_recommendations(campaignArn=REC, userId=user, numResults=25)
            call_rates.append(args.calls / (time.perf_counter() - t))
            ratios.append(job_rates[-1] / call_rates[-1])
        print(f"throughput  {args.rounds} rounds of a {args.round_users:,}-user job then {args.calls:,} "
              f"GetRecommendations over HTTP (one client): job {statistics.median(job_rates):,.0f} users/s, calls "
              f"{statistics.median(call_rates):,.0f} users/s; ratio median {statistics.median(ratios):.1f}x "
              f"(range {min(ratios):.1f}-{max(ratios):.1f}x)")

        chosen = sorted(rng.sample(range(args.users), min(args.sample, args.users)))
        body = s3.get_object(Bucket=BUCKET, Key=f"out/{name}/users.json.out")["Body"]
        wanted, same, number = set(chosen), 0, 0
        for number, line in enumerate(body.iter_lines(chunk_size=1 << 20)):
            if number in wanted:
                record = json.loads(line)
                single = runtime.get_recommendations(campaignArn=REC, userId=record["input"]["userId"],
                                                     numResults=25)["itemList"]
                same += record["output"]["recommendedItems"] == [i["itemId"] for i in single]
        print(f"identical   {same:,} of {len(chosen):,} sampled lists equal GetRecommendations "
              f"({number + 1:,} output lines)")
    finally:
        stop(endpoint)
        moto.kill()
    return 0


if __name__ == "__main__":
    sys.exit(main())
