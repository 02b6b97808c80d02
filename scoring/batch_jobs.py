"""Batch inference jobs on a local dataset group: S3 in, the block path, S3 out, in the background.

A job is a JSON record in the group's `batch-jobs/` folder (written atomically) and, while it
runs, a thread of the process that created it (the endpoint, or the console) holding an exclusive
`flock` on the job's lock file. Its status goes PENDING > IN PROGRESS > ACTIVE | CREATE FAILED,
as Personalize's does. So that a job never ends half-written:

- the output is one S3 multipart upload, completed only after the last line: until then no
  output object exists, and a failure aborts the upload;
- a process that stops (the endpoint is stopped, killed or crashes) drops its locks with it; a
  job whose record says PENDING or IN PROGRESS but whose lock is free is finished as CREATE
  FAILED, with the reason, the next time any process reads it. A graceful stop
  (`stop_all`) cancels its runners and says so in the same way.

Memory is bounded whatever the input size: lines are read from S3 one at a time, scored a block
at a time (one matrix product per block of users on the user-personalization path, the same
lists as GetRecommendations: `health_run.block_scores`), and the output leaves in parts of
`PART_BYTES`. Other recipes, and jobs with a filter, answer each line with the local runtime
client's own call. A bad line becomes an error line of the output, never a failed job.

S3 is reached with boto3 and the standard environment (`AWS_ENDPOINT_URL_S3` for any
S3-compatible store, e.g. moto's server in the tests).
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from botocore.exceptions import BotoCoreError, ClientError

from scoring import arns, batch_requests, health_run, recipes, validation
from scoring.local_group import Campaign, LocalGroup

PENDING, IN_PROGRESS, ACTIVE, FAILED = "PENDING", "IN PROGRESS", "ACTIVE", "CREATE FAILED"
RUNNING = (PENDING, IN_PROGRESS)
JOBS_DIR = "batch-jobs"
MAX_RUNNING = 5          # running jobs at once (Personalize: 5 per region)
MAX_RESULTS = 500        # the local runtime's numResults limit
BLOCK_LINES = 2048       # input lines per block: (2048 x catalogue) float32 logits at most
MAX_BLOCK_CELLS = 8_000_000  # ... and at most 32 MB of logits per block in flight
PART_BYTES = 8 * 1024 * 1024  # S3 multipart part size (S3's minimum is 5 MiB)
WORKERS = 2              # blocks scored at once (numpy releases the GIL in the product and the sort)
STOPPED_REASON = ("The local endpoint (or console) running this job stopped before the job finished; "
                  "nothing was written to the output path. Create the job again.")

S3Factory = Callable[[], Any]


def default_s3() -> Any:
    """An S3 client from boto3's standard environment (AWS_ENDPOINT_URL_S3, credentials chain)."""
    import boto3

    return boto3.client("s3")


class JobError(Exception):
    """A request the service would refuse: an AWS error code and its message."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


# -- records on disk ---------------------------------------------------------------------------------
def _now() -> float:
    return time.time()


def job_arn(name: str) -> str:
    return arns.local_arn("batch-inference-job", name)


def _folder(group: LocalGroup) -> Path:
    return group.path / JOBS_DIR


def _record_file(group: LocalGroup, name: str) -> Path:
    return _folder(group) / f"{name}.json"


def _lock_file(group: LocalGroup, name: str) -> Path:
    return _folder(group) / f".{name}.lock"


def _write(file: Path, record: dict[str, Any]) -> None:
    tmp = file.with_name(f".{file.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    tmp.write_text(json.dumps(record, indent=1) + "\n")
    tmp.replace(file)


def _read(file: Path) -> dict[str, Any] | None:
    try:
        return json.loads(file.read_text())
    except (FileNotFoundError, ValueError):
        return None


def as_response(record: dict[str, Any]) -> dict[str, Any]:
    """The record as DescribeBatchInferenceJob's `batchInferenceJob` (dates as datetimes)."""
    out = {k: v for k, v in record.items() if not k.startswith("_")}
    for key in ("creationDateTime", "lastUpdatedDateTime"):
        out[key] = datetime.fromtimestamp(float(record[key]), tz=UTC)
    if not out.get("failureReason"):
        out.pop("failureReason", None)
    return out


def summary(record: dict[str, Any]) -> dict[str, Any]:
    """The record as a ListBatchInferenceJobs summary."""
    full = as_response(record)
    keys = ("batchInferenceJobArn", "jobName", "status", "creationDateTime", "lastUpdatedDateTime",
            "failureReason", "solutionVersionArn", "batchInferenceJobMode")
    return {k: full[k] for k in keys if k in full}


# -- runners of this process -----------------------------------------------------------------------
@dataclass
class _Runner:
    thread: threading.Thread
    cancel: threading.Event
    lock: IO[str]


_runners: dict[Path, _Runner] = {}
_runners_lock = threading.RLock()


def _try_lock(file: Path) -> IO[str] | None:
    """The exclusive lock of a job, or None when a runner (here or in another process) holds it."""
    handle = open(file, "a+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        return None
    return handle


def _finish_if_orphaned(group: LocalGroup, record: dict[str, Any]) -> dict[str, Any]:
    """A PENDING / IN PROGRESS record whose runner is gone ends CREATE FAILED (never ACTIVE)."""
    if record.get("status") not in RUNNING:
        return record
    file = _record_file(group, record["jobName"])
    with _runners_lock:
        if file in _runners:
            return record
    handle = _try_lock(_lock_file(group, record["jobName"]))
    if handle is None:
        return record  # another process runs it
    try:
        current = _read(file) or record
        if current.get("status") in RUNNING:
            current = current | {"status": FAILED, "failureReason": STOPPED_REASON, "lastUpdatedDateTime": _now()}
            _write(file, current)
        return current
    finally:
        handle.close()


def stop_all(group: LocalGroup | None = None, reason: str = STOPPED_REASON, wait: float = 10.0) -> int:
    """Cancel this process's running jobs (of `group`, or all): each ends CREATE FAILED with `reason`."""
    with _runners_lock:
        chosen = [(f, r) for f, r in _runners.items() if group is None or f.parent == _folder(group)]
    for file, runner in chosen:
        setattr(runner.cancel, "reason", reason)  # read by the runner once it sees the event
        runner.cancel.set()
    deadline = time.monotonic() + wait
    for _, runner in chosen:
        runner.thread.join(max(0.0, deadline - time.monotonic()))
    return len(chosen)


# -- the service's operations ------------------------------------------------------------------------
class BatchJobs:
    """Create, describe and list the batch inference jobs of one local dataset group."""

    def __init__(self, group: LocalGroup, s3: S3Factory = default_s3) -> None:
        self.group = group
        self.s3 = s3

    def records(self) -> list[dict[str, Any]]:
        """Every job of the group, oldest first, orphaned runs finished as CREATE FAILED."""
        folder = _folder(self.group)
        if not folder.exists():
            return []
        found = [r for f in folder.glob("*.json") if (r := _read(f)) is not None]
        found = [_finish_if_orphaned(self.group, r) for r in found]
        return sorted(found, key=lambda r: (float(r["creationDateTime"]), r["jobName"]))

    def describe(self, arn: str) -> dict[str, Any]:
        name = arn.rsplit("/", 1)[-1] if arn.startswith(arns.local_arn("batch-inference-job", "")) else ""
        valid = batch_requests.JOB_NAME.fullmatch(name) and len(name) <= batch_requests.MAX_JOB_NAME
        record = _read(_record_file(self.group, name)) if valid else None  # a name never leaves the folder
        if record is None:
            raise JobError("ResourceNotFoundException", f"Batch inference job {arn} does not exist.")
        return _finish_if_orphaned(self.group, record)

    def campaign_for(self, solution_version_arn: str) -> Campaign | None:
        return next((c for c in self.group.campaigns if c.solution_version_arn == solution_version_arn), None)

    def create(self, params: dict[str, Any]) -> dict[str, Any]:
        """Check the request as the service does, write the PENDING record and start the runner."""
        problems = batch_requests.problems(params)
        if problems:
            raise JobError("InvalidInputException", " ".join(problems))
        campaign = self.campaign_for(params["solutionVersionArn"])
        if campaign is None:
            raise JobError("ResourceNotFoundException",
                           f"Solution version {params['solutionVersionArn']} does not exist.")
        if params.get("batchInferenceJobMode", "BATCH_INFERENCE") != "BATCH_INFERENCE":
            raise JobError("InvalidInputException", "THEME_GENERATION needs a Similar-Items solution version and "
                           "a generative model: local groups run BATCH_INFERENCE jobs only.")
        num = int(params.get("numResults") or batch_requests.DEFAULT_RESULTS)
        if num > MAX_RESULTS:
            raise JobError("InvalidInputException", f"numResults {num} exceeds {MAX_RESULTS}, the most a local "
                           "campaign returns.")
        if params.get("filterArn") and self.group.filter(params["filterArn"]) is None:
            raise JobError("ResourceNotFoundException", f"Filter {params['filterArn']} does not exist.")
        name = params["jobName"]
        folder = _folder(self.group)
        folder.mkdir(exist_ok=True)
        with _runners_lock:
            if _record_file(self.group, name).exists():
                raise JobError("ResourceAlreadyExistsException", f"Batch inference job {job_arn(name)} already "
                               "exists: choose another job name.")
            running = [r for r in self.records() if r["status"] in RUNNING]
            if len(running) >= MAX_RUNNING:
                raise JobError("LimitExceededException", f"{len(running)} batch inference jobs are running, the "
                               f"limit is {MAX_RUNNING}: wait for one to finish.")
            lock = _try_lock(_lock_file(self.group, name))  # held by the runner for its whole life
            if lock is None:
                raise JobError("ResourceInUseException", f"Batch inference job {name} is being created.")
            now = _now()
            record: dict[str, Any] = {
                "jobName": name, "batchInferenceJobArn": job_arn(name),
                "solutionVersionArn": params["solutionVersionArn"], "numResults": num,
                "jobInput": params["jobInput"], "jobOutput": params["jobOutput"], "roleArn": params["roleArn"],
                "batchInferenceJobMode": "BATCH_INFERENCE", "status": PENDING,
                "creationDateTime": now, "lastUpdatedDateTime": now,
            }
            for key in ("filterArn", "batchInferenceJobConfig"):
                if params.get(key):
                    record[key] = params[key]
            file = _record_file(self.group, name)
            _write(file, record)
            cancel = threading.Event()
            run = _Run(self.group, campaign, file, cancel, self.s3)
            thread = threading.Thread(target=run.main, name=f"batch-job-{name}", daemon=True)
            _runners[file] = _Runner(thread, cancel, lock)
        thread.start()
        return record


# -- one run ------------------------------------------------------------------------------------------
class _Cancelled(Exception):
    pass


@dataclass
class _Line:
    raw: str               # the input line as given (echoed as "input")
    record: dict[str, Any] | None
    error: str | None


class _Run:
    """The runner thread of one job: reads, scores and writes; always ends ACTIVE or CREATE FAILED."""

    def __init__(self, group: LocalGroup, campaign: Campaign, file: Path, cancel: threading.Event,
                 s3: S3Factory) -> None:
        self.group, self.campaign, self.file, self.cancel, self.s3_factory = group, campaign, file, cancel, s3
        self.record: dict[str, Any] = _read(file) or {}
        from scoring.runtime_client import LocalRuntimeClient

        self.runtime = LocalRuntimeClient(group)

    def _update(self, **changes: Any) -> None:
        self.record = self.record | changes | {"lastUpdatedDateTime": _now()}
        _write(self.file, self.record)

    def main(self) -> None:
        try:
            self._update(status=IN_PROGRESS)
            self._run()
            self._update(status=ACTIVE)
        except _Cancelled:
            self._update(status=FAILED, failureReason=getattr(self.cancel, "reason", STOPPED_REASON))
        except JobError as exc:
            self._update(status=FAILED, failureReason=exc.message)
        except (ClientError, BotoCoreError) as exc:
            self._update(status=FAILED, failureReason=_s3_reason(exc))
        except Exception as exc:  # a bug must still end the job, with a reason and no half output
            self._update(status=FAILED, failureReason=f"The job failed: {type(exc).__name__}: {exc}"[:1000])
        finally:
            with _runners_lock:
                runner = _runners.pop(self.file, None)
            if runner is not None:
                runner.lock.close()

    def _run(self) -> None:
        s3 = self.s3_factory()
        source = self.record["jobInput"]["s3DataSource"]["path"]
        target = self.record["jobOutput"]["s3DataDestination"]["path"]
        bucket, key = batch_requests.split_s3(source)
        keys = _input_keys(s3, bucket, key)
        out_bucket, _ = batch_requests.split_s3(target)
        for input_key in keys:
            out = _Upload(s3, out_bucket, batch_requests.output_key(input_key, target))
            try:
                for chunk in self._outputs(s3, bucket, input_key):
                    if self.cancel.is_set():
                        raise _Cancelled
                    out.write(chunk)
                if self.cancel.is_set():
                    raise _Cancelled
                out.complete()
            except BaseException:
                out.abort()
                raise

    # -- reading and scoring -----------------------------------------------------------------
    def _outputs(self, s3: Any, bucket: str, key: str) -> Iterator[bytes]:
        """The output of one input file, a block at a time, in input order (WORKERS blocks in flight)."""
        body = s3.get_object(Bucket=bucket, Key=key)["Body"]
        size = max(1, min(BLOCK_LINES, MAX_BLOCK_CELLS // max(self.group.model.n_items, 1)))
        pending: list[Future[bytes]] = []
        with ThreadPoolExecutor(WORKERS, thread_name_prefix="batch-block") as pool:
            try:
                block: list[_Line] = []
                for raw in _iter_lines(body):
                    if not raw.strip():
                        continue
                    block.append(self._parse(raw))
                    if len(block) >= size:
                        pending.append(pool.submit(self._answer, block))
                        block = []
                        while len(pending) > WORKERS:
                            yield pending.pop(0).result()
                        if self.cancel.is_set():
                            raise _Cancelled
                if block:
                    pending.append(pool.submit(self._answer, block))
                while pending:
                    yield pending.pop(0).result()
            finally:
                self.cancel_pending(pending)
                body.close()

    @staticmethod
    def cancel_pending(pending: list[Future[bytes]]) -> None:
        for future in pending:
            future.cancel()

    def _parse(self, raw: bytes) -> _Line:
        text = raw.decode("utf-8", errors="replace").strip()
        simple = _SIMPLE_USER.fullmatch(text) if self.campaign.kind != recipes.RELATED_ITEMS else None
        if simple is not None:  # most lines: {"userId": "..."} with a plain ID, valid as it stands
            record = {"userId": simple.group(1)}
            ranking = self.campaign.kind == recipes.PERSONALIZED_RANKING
            return _Line(text, record, _line_problem(record, self.campaign.kind) if ranking else None)
        try:
            record = _DECODER.decode(text)  # the line is echoed into the output: it must be JSON
        except ValueError as exc:
            reason = getattr(exc, "msg", exc)
            return _Line(json.dumps(text), None, f"User error: the line is not valid JSON ({reason}).")
        if not isinstance(record, dict):
            return _Line(text, None, "User error: each line must be a JSON object.")
        return _Line(text, record, _line_problem(record, self.campaign.kind))

    def _answer(self, block: list[_Line]) -> bytes:
        """The output lines of one block (one matrix product for the user-personalization path)."""
        answers: list[str | None] = [None] * len(block)
        kind = self.campaign.kind
        num = int(self.record["numResults"])
        if kind == recipes.USER_PERSONALIZATION and not self.record.get("filterArn"):
            good = [i for i, line in enumerate(block) if line.error is None]
            if good:
                model = self.group.model
                quoted = _quoted_ids(model)
                users = [block[i].record["userId"] for i in good]  # type: ignore[index]
                rows, scores = health_run.block_scores(self.group, users, num, None)
                score_format = ",".join(["%.7g"] * rows.shape[1])  # 7 significant digits, as the service writes
                for i, items, values in zip(good, quoted[rows].tolist(), scores.tolist(), strict=True):
                    answers[i] = ('{"input":%s,"output":{"recommendedItems":[%s],"scores":[%s]},"error":null}'
                                  % (block[i].raw, ",".join(items), score_format % tuple(values)))
        out = []
        for i, line in enumerate(block):
            text = answers[i]
            if text is None:
                text = self._one(line, num)
            out.append(text)
        return ("\n".join(out) + "\n").encode("utf-8")

    def _one(self, line: _Line, num: int) -> str:
        """One line through the local runtime client's own call (or its error line)."""
        if line.error is None:
            assert line.record is not None
            try:
                output = self._call(line.record, num)
            except ClientError as exc:
                line = _Line(line.raw, line.record, f"User error: {exc.response['Error']['Message']}")
            else:
                return json.dumps({"input": line.record, "output": output, "error": None}, ensure_ascii=False)
        return '{"input":%s,"output":{"recommendedItems":[]},"error":%s}' % (line.raw, json.dumps(line.error))

    def _call(self, record: dict[str, Any], num: int) -> dict[str, Any]:
        kind, arn = self.campaign.kind, self.campaign.arn
        params: dict[str, Any] = {"campaignArn": arn}
        if self.record.get("filterArn"):
            params["filterArn"] = self.record["filterArn"]
            if record.get("filterValues"):
                params["filterValues"] = record["filterValues"]
        if kind == recipes.PERSONALIZED_RANKING:
            ranked = self.runtime.get_personalized_ranking(userId=record["userId"], inputList=record["itemList"],
                                                           **params)["personalizedRanking"]
            return {"recommendedItems": [i["itemId"] for i in ranked], "scores": [i.get("score") for i in ranked]}
        who = {"itemId": record["itemId"]} if kind == recipes.RELATED_ITEMS else {"userId": record["userId"]}
        items = self.runtime.get_recommendations(numResults=num, **who, **params)["itemList"]
        output: dict[str, Any] = {"recommendedItems": [i["itemId"] for i in items]}
        if recipes.has_scores(self.campaign.recipe):
            output["scores"] = [i.get("score") for i in items]
        return output


def _not_json(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


#: An input line that is exactly {"userId": "<ID>"} with no escapes or control characters in the ID
#: (1-256 characters): parsed without the JSON decoder, the same record it would give.
_SIMPLE_USER = re.compile(r'\{[ \t\r\n]*"userId"[ \t\r\n]*:[ \t\r\n]*"([^"\\\x00-\x1f]{1,%d})"[ \t\r\n]*\}'
                          % validation.MAX_ID)

#: Refuses NaN and Infinity; one decoder for every line (json.loads with options builds one per call).
_DECODER = json.JSONDecoder(parse_constant=_not_json)


def _line_problem(record: dict[str, Any], kind: str) -> str | None:
    """Why a line cannot be answered by this recipe (Personalize's "User error: ..." wording)."""
    need = {recipes.RELATED_ITEMS: ("itemId",), recipes.PERSONALIZED_RANKING: ("userId", "itemList")}.get(
        kind, ("userId",))
    missing = [k for k in need if not record.get(k)]
    if missing:
        return f"User error: Required fields for the provided recipe are {', '.join(need)}"
    for key in ("userId", "itemId"):
        value = record.get(key)
        if key in need and (not isinstance(value, str) or len(value) > validation.MAX_ID):
            return f"User error: {key} must be a string of at most {validation.MAX_ID} characters."
    if "itemList" in need:
        items = record["itemList"]
        if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
            return "User error: itemList must be a list of item ID strings."
    values = record.get("filterValues")
    if values is not None and (not isinstance(values, dict)
                               or not all(isinstance(v, str) for v in values.values())):
        return 'User error: filterValues must map each parameter to a string, e.g. {"GENRES": "\\"Comedy\\""}.'
    return None


_quoted_cache: dict[int, Any] = {}


def _quoted_ids(model: Any) -> Any:
    """Item IDs as JSON string literals in an object array: a block's lists are joined, not encoded."""
    import numpy as np

    key = id(model)
    cached = _quoted_cache.get(key)
    if cached is None or cached[0] is not model:
        cached = (model, np.array([json.dumps(i, ensure_ascii=False) for i in health_run.item_id_list(model)],
                                  dtype=object))
        _quoted_cache.clear()
        _quoted_cache[key] = cached
    return cached[1]


def _iter_lines(body: Any, chunk: int = 1 << 20) -> Iterator[bytes]:
    """Lines of a StreamingBody, read a megabyte at a time (botocore's iter_lines reads 1 KiB)."""
    rest = b""
    while True:
        data = body.read(chunk)
        if not data:
            break
        lines = (rest + data).split(b"\n")
        rest = lines.pop()
        yield from lines
    if rest:
        yield rest


def _input_keys(s3: Any, bucket: str, key: str) -> list[str]:
    """The input file, or every file of an input folder (a path ending with '/'), at most 1000."""
    if key and not key.endswith("/"):
        s3.head_object(Bucket=bucket, Key=key)  # NoSuchKey now, as a clear reason
        return [key]
    keys: list[str] = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=key):
        keys += [o["Key"] for o in page.get("Contents", []) if not o["Key"].endswith("/")]
    if not keys:
        raise JobError("InvalidInputException", f"The input folder s3://{bucket}/{key} holds no files.")
    if len(keys) > 1000:
        raise JobError("InvalidInputException", f"The input folder holds {len(keys)} files; the limit is 1000.")
    return keys


class _Upload:
    """One output object, sent as an S3 multipart upload in parts of PART_BYTES: it exists only
    once `complete` succeeds."""

    def __init__(self, s3: Any, bucket: str, key: str) -> None:
        self.s3, self.bucket, self.key = s3, bucket, key
        self.buffer = bytearray()
        self.parts: list[dict[str, Any]] = []
        self.upload_id: str | None = None

    def write(self, data: bytes) -> None:
        self.buffer += data
        if len(self.buffer) >= PART_BYTES:
            self._send()

    def _send(self) -> None:
        if self.upload_id is None:
            self.upload_id = self.s3.create_multipart_upload(Bucket=self.bucket, Key=self.key,
                                                             ContentType="application/json")["UploadId"]
        number = len(self.parts) + 1
        etag = self.s3.upload_part(Bucket=self.bucket, Key=self.key, UploadId=self.upload_id,
                                   PartNumber=number, Body=bytes(self.buffer))["ETag"]
        self.parts.append({"PartNumber": number, "ETag": etag})
        self.buffer.clear()

    def complete(self) -> None:
        if self.upload_id is None:  # small output: one PUT
            self.s3.put_object(Bucket=self.bucket, Key=self.key, Body=bytes(self.buffer),
                               ContentType="application/json")
            return
        if self.buffer:
            self._send()
        self.s3.complete_multipart_upload(Bucket=self.bucket, Key=self.key, UploadId=self.upload_id,
                                          MultipartUpload={"Parts": self.parts})
        self.upload_id = None

    def abort(self) -> None:
        if self.upload_id is None:
            return
        try:
            self.s3.abort_multipart_upload(Bucket=self.bucket, Key=self.key, UploadId=self.upload_id)
        except (ClientError, BotoCoreError):
            pass  # the bucket's lifecycle rule cleans it; the object was never created


def _s3_reason(exc: Exception) -> str:
    """A failureReason for an S3 failure: what failed and what to do."""
    if isinstance(exc, ClientError):
        err = exc.response.get("Error", {})
        code = str(err.get("Code") or "")
        if code in ("NoSuchKey", "404", "NotFound"):
            return "The input file does not exist in S3: check jobInput.s3DataSource.path."
        if code == "NoSuchBucket":
            return f"The bucket does not exist ({err.get('BucketName') or err.get('Message')}): check the S3 paths."
        if code in ("AccessDenied", "403", "Forbidden"):
            return ("Access to S3 was denied: the credentials (locally) or the role (on AWS) need s3:GetObject, "
                    "s3:ListBucket and s3:PutObject on the input and output paths.")
        return f"S3 refused a request: {code}: {err.get('Message') or exc}"
    return f"S3 could not be reached ({exc}): check AWS_ENDPOINT_URL_S3 and the network."
