"""Personalize batch-inference files (JSON lines): write inputs, stream outputs into the metrics.

An output file is read one line at a time from an upload, a local path or `s3://bucket/key`
(boto3 `get_object`, its StreamingBody's `iter_lines`), and fed in blocks into the same
`HealthAccumulator` as a live run, so a 1 GB file never needs 1 GB of memory: the accumulator
keeps per-item counts and, per line, a list hash and the top-1 score. Every metric, personalisation
included, is exact over every line. Bad lines (not JSON, an `error` set, no output) are collected
with their line numbers, not raised.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from scoring import csv_safe
from scoring.health_metrics import Catalogue, HealthAccumulator, HealthReport, RecLists

BLOCK = 2048
MAX_ERRORS = 1000  # bad lines kept with their text; the count goes on


@dataclass(frozen=True)
class LineError:
    line: int
    message: str


@dataclass
class StreamResult:
    report: HealthReport
    lines: int = 0
    records: int = 0
    errors: list[LineError] = field(default_factory=list)
    error_count: int = 0


# -- input files ------------------------------------------------------------------------------
def input_lines(ids: Iterable[str], *, key: str = "userId", filter_values: Mapping[str, str] | None = None,
                item_list: Sequence[str] | None = None) -> bytes:
    """A batch-inference input file: one JSON object per line ({"userId": ...} or {"itemId": ...})."""
    out = io.StringIO()
    for value in ids:
        record: dict[str, Any] = {key: str(value)}
        if item_list:
            record["itemList"] = list(item_list)
        if filter_values:
            record["filterValues"] = dict(filter_values)
        out.write(json.dumps(record, ensure_ascii=False) + "\n")
    return out.getvalue().encode("utf-8")


def read_input_ids(source: Any, *, s3: Any = None) -> tuple[list[str], list[LineError]]:
    """The userId (or itemId) of every line of a batch-inference input file, in order, deduplicated."""
    ids: dict[str, None] = {}
    bad: list[LineError] = []
    for number, line in _lines(source, s3=s3):
        text = line.strip()
        if not text:
            continue
        try:
            record = json.loads(text)
        except ValueError as exc:
            bad.append(LineError(number, f"not JSON ({exc.msg})"))
            continue
        value = record.get("userId", record.get("itemId")) if isinstance(record, dict) else None
        if not isinstance(value, str) or not value:
            bad.append(LineError(number, "no userId or itemId"))
            continue
        ids.setdefault(value, None)
    return list(ids), bad


def parse_id_list(text: str) -> list[str]:
    """User IDs pasted or uploaded as text: one per line or comma/space separated; a USER_ID header is skipped."""
    tokens = [t.strip().strip('"') for line in (text or "").splitlines() for t in line.replace(",", " ").split()]
    tokens = [t for t in tokens if t and t.upper() not in {"USER_ID", "USERID", "ITEM_ID"}]
    return list(dict.fromkeys(tokens))


# -- reading lines from anywhere ----------------------------------------------------------------
def parse_s3_uri(uri: str) -> tuple[str, str]:
    if not uri.startswith("s3://"):
        raise ValueError(f"{uri!r} is not an s3:// URI: use s3://bucket/key.")
    bucket, _, key = uri[len("s3://"):].partition("/")
    if not bucket or not key:
        raise ValueError(f"{uri!r} needs a bucket and a key: s3://bucket/path/to/file.json.out")
    return bucket, key


def _lines(source: Any, *, s3: Any = None) -> Iterator[tuple[int, bytes]]:
    """(line number from 1, raw bytes) from an s3:// URI, a path, bytes, or a binary/text file object."""
    if isinstance(source, str) and source.startswith("s3://"):
        bucket, key = parse_s3_uri(source)
        if s3 is None:
            import boto3

            s3 = boto3.client("s3")
        body = s3.get_object(Bucket=bucket, Key=key)["Body"]
        try:
            yield from enumerate(body.iter_lines(), start=1)
        finally:
            body.close()
        return
    if isinstance(source, (str, Path)):
        with open(source, "rb") as handle:
            yield from enumerate((line.rstrip(b"\r\n") for line in handle), start=1)
        return
    if isinstance(source, (bytes, bytearray)):
        source = io.BytesIO(source)
    for number, line in enumerate(source, start=1):
        raw = line.encode("utf-8") if isinstance(line, str) else line
        yield number, raw.rstrip(b"\r\n")


# -- output files -------------------------------------------------------------------------------
def parse_output_line(text: bytes | str) -> tuple[str, list[str], list[float | None]]:
    """(input ID, recommended items, scores) of one output line; ValueError saying what is wrong."""
    try:
        record = json.loads(text)
    except ValueError as exc:
        raise ValueError(f"not JSON ({getattr(exc, 'msg', exc)})") from None
    if not isinstance(record, dict):
        raise ValueError("not a JSON object")
    if record.get("error"):
        raise ValueError(f"error: {record['error']}")
    source = record.get("input") or {}
    user = source.get("userId", source.get("itemId")) if isinstance(source, dict) else None
    if not isinstance(user, str) or not user:
        raise ValueError("no input.userId or input.itemId")
    output = record.get("output")
    if not isinstance(output, dict) or not isinstance(output.get("recommendedItems"), list):
        raise ValueError("no output.recommendedItems")
    items = [str(i) for i in output["recommendedItems"]]
    scores = output.get("scores")
    if scores is None:
        values: list[float | None] = [None] * len(items)
    elif isinstance(scores, list) and len(scores) == len(items):
        values = [None if s is None else float(s) for s in scores]
    else:
        raise ValueError("output.scores does not match output.recommendedItems")
    return user, items, values


def stream_output(source: Any, catalogue: Catalogue | None, k: int, *,
                  known: Mapping[str, Collection[str]] | None = None, s3: Any = None,
                  progress: Callable[[int], None] | None = None) -> StreamResult:
    """Every metric of a batch-inference output file, read line by line in blocks."""
    acc = HealthAccumulator(catalogue, k, known=known)
    result = StreamResult(report=acc.report())
    users: list[str] = []
    items: list[list[str]] = []
    scores: list[list[float | None]] = []

    def flush() -> None:
        acc.add(users, items, scores)
        users.clear(), items.clear(), scores.clear()
        if progress is not None:
            progress(result.lines)

    for number, line in _lines(source, s3=s3):
        result.lines = number
        if not line.strip():
            continue
        try:
            user, its, values = parse_output_line(line)
        except ValueError as exc:
            result.error_count += 1
            if len(result.errors) < MAX_ERRORS:
                result.errors.append(LineError(number, str(exc)))
            continue
        result.records += 1
        users.append(user), items.append(its), scores.append(values)
        if len(users) >= BLOCK:
            flush()
    flush()
    result.report = acc.report()
    return result


# -- exports ------------------------------------------------------------------------------------
def output_lines(lists: RecLists, *, key: str = "userId") -> bytes:
    """The lists as a Personalize batch-inference output file (scores left out where there are none)."""
    out = io.StringIO()
    for user, its, values in zip(lists.user_ids, lists.items, lists.scores, strict=True):
        output: dict[str, Any] = {"recommendedItems": list(its)}
        if values and all(v is not None for v in values):
            output["scores"] = [float(v) for v in values]  # type: ignore[arg-type]
        out.write(json.dumps({"input": {key: user}, "output": output, "error": None}) + "\n")
    return out.getvalue().encode("utf-8")


def lists_csv(lists: RecLists, *, key: str = "userId") -> bytes:
    """One row per (user, rank): userId, rank, itemId, score (empty where none)."""
    out = io.StringIO()
    writer = csv_safe.new_writer(out)
    writer.writerow(csv_safe.writer_row([key, "rank", "itemId", "score"]))
    for user, its, values in zip(lists.user_ids, lists.items, lists.scores, strict=True):
        for rank, (item, score) in enumerate(zip(its, values, strict=True), start=1):
            writer.writerow(csv_safe.writer_row([user, rank, item, "" if score is None else float(score)]))
    return out.getvalue().encode("utf-8")


def read_lists_csv(data: bytes | IO[bytes]) -> RecLists:
    """The inverse of `lists_csv` (for round trips and re-checking an exported run)."""
    text = data.decode("utf-8") if isinstance(data, (bytes, bytearray)) else data.read().decode("utf-8")
    reader = csv.DictReader(io.StringIO(text))
    key = reader.fieldnames[0] if reader.fieldnames else "userId"
    lists = RecLists()
    current: str | None = None
    for row in reader:
        user = csv_safe.restore(row[key])
        if user != current:
            current = user
            lists.append(current, [], [])
        lists.items[-1].append(csv_safe.restore(row["itemId"]))
        lists.scores[-1].append(float(row["score"]) if row["score"] else None)
    return lists
