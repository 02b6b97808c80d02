"""What the console's batch-job panel needs besides the API: a job's plan, its output, its age,
the remembered role, and paged listing, for live and local sources alike.

The plan is what the confirmation names before anything is written: the input file the console
uploads (and its size), the job it creates, where the output goes and what it costs. The IAM role
ARN and the S3 folders are remembered per AWS profile in the data root (`.batch-settings.json`);
they are names of resources, never credentials.
"""

from __future__ import annotations

import json
import os
import re
import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from scoring import batch_files, batch_requests, paths, recipes

SETTINGS_FILE = ".batch-settings.json"
LOCAL_ROLE = "arn:aws:iam::000000000000:role/LocalBatchInference"
FINISHED = ("ACTIVE", "CREATE FAILED")
_lock = threading.Lock()


# -- remembered per profile ------------------------------------------------------------------------
def _settings_file(root: Path | None = None) -> Path:
    return Path(root or paths.DATA_ROOT) / SETTINGS_FILE


def remembered(profile: str, root: Path | None = None) -> dict[str, str]:
    """The role ARN and S3 folders last used with this profile ({} when none)."""
    try:
        saved = json.loads(_settings_file(root).read_text())
    except (OSError, ValueError):
        return {}
    entry = saved.get(profile) if isinstance(saved, dict) else None
    return {k: str(v) for k, v in entry.items() if k in ("roleArn", "inputFolder", "outputFolder")} \
        if isinstance(entry, dict) else {}


def remember(profile: str, values: Mapping[str, str], root: Path | None = None) -> None:
    """Keep the role ARN and folders for this profile (atomically; a failure to write is ignored)."""
    file = _settings_file(root)
    with _lock:
        try:
            saved = json.loads(file.read_text()) if file.exists() else {}
            saved = saved if isinstance(saved, dict) else {}
            saved[profile] = {k: v for k, v in values.items() if k in ("roleArn", "inputFolder", "outputFolder")}
            file.parent.mkdir(parents=True, exist_ok=True)
            tmp = file.with_name(f".{file.name}.{os.getpid()}.tmp")
            tmp.write_text(json.dumps(saved, indent=1) + "\n")
            tmp.replace(file)
        except OSError:
            pass


# -- the plan the confirmation names -------------------------------------------------------------------
@dataclass(frozen=True)
class Plan:
    """A job ready to start: the request, and the input file to upload first (None: it is in S3)."""

    params: dict[str, Any]
    input_body: bytes | None = None
    lines: int = 0
    live: bool = True
    problems: list[str] = field(default_factory=list)

    @property
    def input_path(self) -> str:
        return str(self.params["jobInput"]["s3DataSource"]["path"])

    @property
    def output_path(self) -> str:
        return str(self.params["jobOutput"]["s3DataDestination"]["path"])

    def changes(self) -> list[str]:
        """What starting the job writes, in the confirmation's words."""
        out = []
        if self.input_body is not None:
            out.append(f"upload the input file {self.input_path} ({self.lines:,} lines, "
                       f"{_size(len(self.input_body))}), replacing any file of that name")
        where = "in Amazon Personalize" if self.live else "on this machine (local dataset group)"
        out.append(f"create batch inference job {self.params['jobName']} {where} on solution version "
                   f"{self.params['solutionVersionArn']}")
        out.append(f"write its output to {batch_requests.output_key_uri(self.input_path, self.output_path)}")
        return out

    def costs(self) -> str:
        if self.live:
            return ("Amazon Personalize bills batch inference by the compute it uses (see its pricing page), "
                    "and S3 bills the storage and requests of the input and output files. A job cannot be "
                    "stopped once created.")
        return ("No Amazon Personalize charges: the local dataset group answers. The input and output files "
                "go to the S3 that boto3 reaches from this machine (AWS_ENDPOINT_URL_S3, or Amazon S3 itself, "
                "which bills storage and requests).")


def _size(n: int) -> str:
    return f"{n / 1e6:.1f} MB" if n >= 1e6 else f"{n / 1e3:.1f} KB"


def default_job_name(campaign: str, now: datetime | None = None) -> str:
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%d-%H%M%S")
    base = re.sub(r"[^a-zA-Z0-9\-_]", "-", campaign).strip("-_") or "job"
    return f"{base[:40]}-batch-{stamp}"


def folder_path(folder: str, file: str) -> str:
    """`file` inside the s3:// folder `folder`."""
    folder = folder.strip()
    return folder + file if folder.endswith("/") else f"{folder}/{file}"


def input_record_key(kind: str) -> str:
    return "itemId" if kind == recipes.RELATED_ITEMS else "userId"


def plan(*, kind: str, job_name: str, solution_version_arn: str, role_arn: str, output_folder: str,
         num_results: int, live: bool, users: Sequence[str] | None = None, input_folder: str = "",
         existing_input: str = "", filter_arn: str | None = None, filter_values: Mapping[str, str] | None = None,
         item_list: Sequence[str] | None = None) -> Plan:
    """The job's request and input file from the form, with every problem the service would refuse."""
    problems: list[str] = []
    body: bytes | None = None
    lines = 0
    if users is not None:
        if not users:
            problems.append("Choose some users (or seed items) for the input file.")
        if kind == recipes.PERSONALIZED_RANKING and not item_list:
            problems.append("List the items each user's ranking is asked for.")
        if not input_folder.strip():
            problems.append("Give the S3 folder the input file is written to (s3://bucket/folder/).")
            source = ""
        else:
            source = folder_path(input_folder, f"{job_name or 'input'}.json")
        body = batch_files.input_lines(users, key=input_record_key(kind), filter_values=filter_values or None,
                                       item_list=item_list if kind == recipes.PERSONALIZED_RANKING else None)
        lines = len(users)
    else:
        source = existing_input.strip()
        if filter_values:
            problems.append("Filter values go in each line of the input file: with an existing file, the "
                            "file must carry its own filterValues.")
    params = batch_requests.request(job_name=job_name.strip(), solution_version_arn=solution_version_arn,
                                    input_path=source, output_path=output_folder.strip(), role_arn=role_arn.strip(),
                                    num_results=num_results, filter_arn=filter_arn)
    if problems and not source:
        params["jobInput"]["s3DataSource"]["path"] = "s3://placeholder/input.json"  # checked above already
    problems += batch_requests.problems(params)
    return Plan(params, body, lines, live, problems)


# -- jobs ----------------------------------------------------------------------------------------------
def list_jobs(control: Any, solution_version_arn: str, limit: int = 500) -> list[dict[str, Any]]:
    """ListBatchInferenceJobs for the solution version, every page (up to `limit` jobs), newest first."""
    out: list[dict[str, Any]] = []
    params: dict[str, Any] = {"solutionVersionArn": solution_version_arn, "maxResults": 100}
    while len(out) < limit:
        page = control.list_batch_inference_jobs(**params)
        out += page.get("batchInferenceJobs", [])
        if not page.get("nextToken"):
            break
        params["nextToken"] = page["nextToken"]
    return out[:limit]


def elapsed(job: Mapping[str, Any], now: datetime | None = None) -> str:
    """How long the job has run (or ran), e.g. "2 min 05 s"."""
    start = job.get("creationDateTime")
    if not isinstance(start, datetime):
        return ""
    end = job.get("lastUpdatedDateTime") if job.get("status") in FINISHED else (now or datetime.now(UTC))
    seconds = max(0, int(((end or datetime.now(UTC)) - start).total_seconds()))
    if seconds < 1:
        return "under 1 s"
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds:02d} s"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes:02d} min"
    days, hours = divmod(hours, 24)
    return f"{days} days {hours} h"


def output_uris(s3: Any, job: Mapping[str, Any]) -> Iterator[str]:
    """The job's output files: `<input file>.out` for a file input, one per input file for a folder."""
    source = job["jobInput"]["s3DataSource"]["path"]
    target = job["jobOutput"]["s3DataDestination"]["path"]
    bucket, key = batch_requests.split_s3(source)
    out_bucket, _ = batch_requests.split_s3(target)
    if key and not key.endswith("/"):
        yield f"s3://{out_bucket}/{batch_requests.output_key(key, target)}"
        return
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=key):
        for obj in page.get("Contents", []):
            if not obj["Key"].endswith("/"):
                yield f"s3://{out_bucket}/{batch_requests.output_key(obj['Key'], target)}"


def parameters(job: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The job's parameters as (name, value) rows for the analysis header."""
    rows = [("Job ARN", job.get("batchInferenceJobArn", "")), ("Status", job.get("status", "")),
            ("Solution version", job.get("solutionVersionArn", "")),
            ("Input", job.get("jobInput", {}).get("s3DataSource", {}).get("path", "")),
            ("Output folder", job.get("jobOutput", {}).get("s3DataDestination", {}).get("path", "")),
            ("Number of results", str(job.get("numResults", ""))), ("Filter", job.get("filterArn") or "None"),
            ("Role", job.get("roleArn", "")), ("Ran for", elapsed(job))]
    if job.get("failureReason"):
        rows.append(("Failure reason", job["failureReason"]))
    return [(k, str(v)) for k, v in rows]
