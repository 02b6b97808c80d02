"""Titles and history for live campaigns: a local snapshot of a dataset group's items and interactions.

Amazon Personalize has no API that reads a dataset back, but every dataset was imported from
somewhere: its import jobs name the S3 location (ListDatasetImportJobs, then
DescribeDatasetImportJob `dataSource.dataLocation`). This module finds those files, streams them
with pyarrow in blocks (memory bounded by the block size, whatever the file size) into one Parquet
file per dataset under `data/.live-cache/<dataset group>/`, with the time of the snapshot and
where each file came from. An uploaded CSV takes the same path. The snapshot is what live results
join (titles, genres, images) and what the recent-interactions panel and the user picker read.

Which import jobs: the latest ACTIVE FULL import of a dataset and every ACTIVE INCREMENTAL import
after it, as Personalize itself holds the data (FULL replaces bulk data, INCREMENTAL appends;
a repeated item ID is replaced by the later row).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from scoring import access, batch_requests, paths

INTERACTIONS = "Interactions"
ITEMS = "Items"
DATASETS: tuple[str, ...] = (INTERACTIONS, ITEMS)

#: The cache of every live dataset group; a name no dataset group can have (they start with a letter or digit).
CACHE_FOLDER = ".live-cache"
SNAPSHOT_FILE = "snapshot.json"
#: Bytes pyarrow reads and converts at a time: the memory the stream needs, whatever the file size.
BLOCK_SIZE = 1 << 20
#: A header line longer than this is not a Personalize CSV header.
MAX_HEADER_BYTES = 1 << 20

_REQUIRED = {INTERACTIONS: ("USER_ID", "ITEM_ID"), ITEMS: ("ITEM_ID",)}
#: Interactions columns the panel and the picker never read (long, and unused here).
_DROPPED = {"IMPRESSION", "RECOMMENDATION_ID", "EVENT_ATTRIBUTION_SOURCE"}
_NUMERIC = {"TIMESTAMP", "EVENT_VALUE"}


class LiveDataError(ValueError):
    """A snapshot could not be taken: the message names the file or call and what to do."""


@dataclass(frozen=True)
class ImportSource:
    """One file (or S3 folder) a dataset was imported from."""

    dataset: str  # Interactions | Items
    location: str  # s3://bucket/key, or s3://bucket/folder/
    job_name: str
    import_mode: str  # FULL | INCREMENTAL


@dataclass(frozen=True)
class DatasetSnapshot:
    """What one dataset's cached file holds, and where it came from (never credentials)."""

    dataset: str
    sources: tuple[str, ...]
    rows: int
    taken_at: datetime
    skipped: int = 0  # rows with the wrong number of fields, left out (the first is named in `note`)
    note: str = ""


@dataclass(frozen=True)
class Snapshot:
    """A dataset group's cached datasets."""

    folder: Path
    datasets: dict[str, DatasetSnapshot]

    @property
    def stamp(self) -> str:
        """Changes whenever a dataset is taken again (for caches of what is loaded from it)."""
        return "|".join(f"{d.dataset}:{d.taken_at.isoformat()}" for d in self.datasets.values())

    def file(self, dataset: str) -> Path | None:
        return self.folder / _file_name(dataset) if dataset in self.datasets else None


def cache_dir(dataset_group_arn: str, root: Path | None = None) -> Path:
    """The snapshot folder of a dataset group: its readable name plus a hash of the whole ARN."""
    name = dataset_group_arn.rsplit("/", 1)[-1]
    region_account = ":".join(dataset_group_arn.split(":")[3:5])
    readable = re.sub(r"[^A-Za-z0-9_-]+", "_", f"{name}_{region_account}")[:80]
    digest = hashlib.sha256(dataset_group_arn.encode("utf-8")).hexdigest()[:12]
    return Path(root or paths.DATA_ROOT) / CACHE_FOLDER / f"{readable}-{digest}"


def _file_name(dataset: str) -> str:
    return f"{dataset.lower()}.parquet"


# --- where the data lives: the dataset group's import jobs -------------------------------------


def _pages(call: Callable[..., dict[str, Any]], key: str, **params: Any) -> Iterator[dict[str, Any]]:
    token = None
    while True:
        answer = call(**params, **({"nextToken": token} if token else {}), maxResults=100)
        yield from answer.get(key, [])
        token = answer.get("nextToken")
        if not token:
            return


def import_sources(control: Any, dataset_group_arn: str) -> list[ImportSource]:
    """The files behind the group's Interactions and Items datasets, oldest first per dataset.

    Raises LiveDataError when the group has no such dataset or no finished import job.
    """
    datasets = {d.get("datasetType", "").upper(): d["datasetArn"]
                for d in _pages(control.list_datasets, "datasets", datasetGroupArn=dataset_group_arn)}
    found: list[ImportSource] = []
    for dataset in DATASETS:
        arn = datasets.get(dataset.upper())
        if arn is None:
            continue
        jobs = [j for j in _pages(control.list_dataset_import_jobs, "datasetImportJobs", datasetArn=arn)
                if j.get("status") == "ACTIVE"]
        jobs.sort(key=lambda j: j.get("creationDateTime") or datetime.min.replace(tzinfo=UTC))
        for job in jobs_since_full(jobs):
            described = control.describe_dataset_import_job(
                datasetImportJobArn=job["datasetImportJobArn"])["datasetImportJob"]
            location = (described.get("dataSource") or {}).get("dataLocation")
            if location:
                found.append(ImportSource(dataset, location, described.get("jobName", job.get("jobName", "")),
                                          described.get("importMode") or job.get("importMode") or "FULL"))
    if not found:
        raise LiveDataError(
            f"The dataset group {dataset_group_arn} has no finished (ACTIVE) dataset import job for its "
            "Interactions or Items dataset, so there is no file to read titles and history from. "
            "Upload the items or interactions CSV file instead.")
    return found


def jobs_since_full(jobs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """From jobs in time order: the last FULL import and every import after it (a FULL replaces)."""
    start = 0
    for i, job in enumerate(jobs):
        if (job.get("importMode") or "FULL") == "FULL":
            start = i
    return jobs[start:]


def parse_s3_location(location: str) -> tuple[str, str]:
    """(bucket, key) of an import job's data location, with batch_requests' one s3:// parser."""
    try:
        return batch_requests.split_s3(location)
    except ValueError as exc:
        raise LiveDataError(f"The import job's data location: {exc}") from None


def s3_files(s3: Any, location: str) -> list[str]:
    """The CSV objects of a data location: the object itself, or every .csv under a folder."""
    bucket, key = parse_s3_location(location)
    if key and not key.endswith("/"):
        return [f"s3://{bucket}/{key}"]
    keys: list[str] = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=key):
        keys += [o["Key"] for o in page.get("Contents", []) if o["Key"].lower().endswith(".csv")]
    if not keys:
        raise LiveDataError(f"The folder {location} holds no .csv file.")
    return [f"s3://{bucket}/{k}" for k in sorted(keys)]


def open_s3(s3: Any, uri: str) -> BinaryIO:
    bucket, key = parse_s3_location(uri)
    return s3.get_object(Bucket=bucket, Key=key)["Body"]


# --- streaming a CSV into a snapshot ------------------------------------------------------------


class _Rejoined(io.RawIOBase):
    """The bytes already read for the header, then the rest of the stream."""

    def __init__(self, head: bytes, rest: Any) -> None:
        self._head, self._rest = memoryview(head), rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if len(self._head):
            n = min(len(buffer), len(self._head))
            buffer[:n] = self._head[:n]
            self._head = self._head[n:]
            return n
        chunk = self._rest.read(len(buffer))
        buffer[:len(chunk)] = chunk
        return len(chunk)


def _header(stream: Any, label: str) -> tuple[list[str], bytes]:
    head = b""
    while b"\n" not in head and len(head) < MAX_HEADER_BYTES:
        chunk = stream.read(64 * 1024)
        if not chunk:
            break
        head += chunk
    line = head.split(b"\n", 1)[0].rstrip(b"\r")
    if not line.strip():
        raise LiveDataError(f"{label} is empty: a Personalize CSV file starts with a header line.")
    if b"\n" not in head and len(head) >= MAX_HEADER_BYTES:
        raise LiveDataError(f"{label}: the first line is over {MAX_HEADER_BYTES:,} bytes, not a CSV header.")
    try:
        columns = next(csv.reader([line.decode("utf-8-sig")]))
    except UnicodeDecodeError as exc:
        raise LiveDataError(f"{label} is not UTF-8 text ({exc.reason} at byte {exc.start}).") from exc
    return columns, head  # as written: pyarrow matches the header exactly


class Skipped:
    """Rows pyarrow could not split into the header's fields: counted and left out, never fatal."""

    def __init__(self) -> None:
        self.count, self.first = 0, ""

    def __call__(self, row: Any) -> str:
        if not self.count:
            self.first = f"line {row.number}" if row.number is not None else "a row"
            self.first += f": expected {row.expected_columns} fields, found {row.actual_columns}"
        self.count += 1
        return "skip"


def stream_batches(stream: Any, dataset: str, label: str, memory_pool: pa.MemoryPool | None = None,
                   skipped: Skipped | None = None) -> Iterator[pa.RecordBatch]:
    """The file as record batches of string columns (TIMESTAMP, EVENT_VALUE numeric; unreadable -> null).

    Only interactions columns the console reads are kept; the header is checked first. A row
    with the wrong number of fields is left out and counted in `skipped`.
    """
    columns, head = _header(stream, label)
    missing = [c for c in _REQUIRED[dataset] if c not in columns]
    if missing:
        raise LiveDataError(f"{label} has no {', '.join(missing)} column, so it is not a Personalize "
                            f"{dataset} file; its columns are: {', '.join(columns[:20])}.")
    keep = [c for c in columns if dataset != INTERACTIONS or c not in _DROPPED]
    if head.startswith(b"\xef\xbb\xbf"):
        head = head[3:]
    reader = pacsv.open_csv(
        io.BufferedReader(_Rejoined(head, stream), buffer_size=BLOCK_SIZE),
        read_options=pacsv.ReadOptions(block_size=BLOCK_SIZE, use_threads=False),
        parse_options=pacsv.ParseOptions(newlines_in_values=True, invalid_row_handler=skipped or Skipped()),
        convert_options=pacsv.ConvertOptions(column_types={c: pa.string() for c in columns},
                                             include_columns=keep, strings_can_be_null=False,
                                             quoted_strings_can_be_null=False),
        memory_pool=memory_pool)
    try:
        for batch in reader:
            yield _typed(batch, dataset, memory_pool)
    except pa.ArrowInvalid as exc:
        raise LiveDataError(f"{label} could not be read as CSV ({exc}).") from exc


def _typed(batch: pa.RecordBatch, dataset: str, memory_pool: pa.MemoryPool | None) -> pa.RecordBatch:
    if dataset != INTERACTIONS:
        return batch
    arrays, names = [], []
    for name, column in zip(batch.schema.names, batch.columns):
        if name in _NUMERIC:
            numbers = pd.to_numeric(column.to_pandas(), errors="coerce")
            column = pa.array(numbers.round() if name == "TIMESTAMP" else numbers, from_pandas=True,
                              type=pa.float64(), memory_pool=memory_pool).cast(
                pa.int64() if name == "TIMESTAMP" else pa.float64(), safe=False, memory_pool=memory_pool)
        arrays.append(column)
        names.append(name)
    return pa.RecordBatch.from_arrays(arrays, names=names)


@dataclass(frozen=True)
class Input:
    """One file to read: its label (an s3:// URI or "upload: name.csv") and how to open it."""

    label: str
    open: Callable[[], Any]


def take(folder: Path, dataset: str, inputs: Iterable[Input], *,
         memory_pool: pa.MemoryPool | None = None, now: datetime | None = None) -> DatasetSnapshot:
    """Stream the inputs, in order, into the dataset's Parquet file of `folder` (replaced at the end,
    so a failure keeps the previous snapshot) and record it in snapshot.json."""
    if access.read_only():
        raise LiveDataError(access.refusal("Taking a snapshot of live data (it writes on this machine)"))
    if dataset not in DATASETS:
        raise LiveDataError(f"Unknown dataset {dataset!r}: use one of {', '.join(DATASETS)}.")
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / _file_name(dataset)
    partial = target.with_suffix(".parquet.partial")
    writer: pq.ParquetWriter | None = None
    rows, labels, skipped, notes = 0, [], 0, []
    try:
        for source in inputs:
            labels.append(source.label)
            stream = source.open()
            bad = Skipped()
            try:
                for batch in stream_batches(stream, dataset, source.label, memory_pool, bad):
                    if writer is None:
                        writer = pq.ParquetWriter(partial, batch.schema, compression="zstd",
                                                  memory_pool=memory_pool)
                    elif batch.schema != writer.schema:
                        raise LiveDataError(f"{source.label} has other columns than the files before it "
                                            f"({', '.join(batch.schema.names)}).")
                    writer.write_batch(batch)
                    rows += batch.num_rows
            finally:
                close = getattr(stream, "close", None)
                if close is not None:
                    close()
            if bad.count:
                skipped += bad.count
                notes.append(f"{source.label} {bad.first}")
        if writer is None:
            raise LiveDataError(f"No {dataset} file to read.")
        writer.close()
        writer = None
        os.replace(partial, target)
    finally:
        if writer is not None:
            writer.close()
        partial.unlink(missing_ok=True)
    taken = DatasetSnapshot(dataset, tuple(labels), rows, now or datetime.now(UTC), skipped, "; ".join(notes[:3]))
    _record(folder, taken)
    return taken


def take_from_s3(folder: Path, control: Any, s3: Any, dataset_group_arn: str,
                 datasets: Iterable[str] = DATASETS) -> list[DatasetSnapshot]:
    """Snapshot the group's datasets from the files their import jobs read."""
    wanted = set(datasets)
    by_dataset: dict[str, list[str]] = {}
    for source in import_sources(control, dataset_group_arn):
        if source.dataset in wanted:
            by_dataset.setdefault(source.dataset, []).extend(s3_files(s3, source.location))
    return [take(folder, dataset, [Input(uri, lambda uri=uri: open_s3(s3, uri)) for uri in uris])
            for dataset, uris in by_dataset.items()]


def _record(folder: Path, taken: DatasetSnapshot) -> None:
    file = folder / SNAPSHOT_FILE
    known = json.loads(file.read_text("utf-8")) if file.exists() else {}
    known[taken.dataset] = {"sources": list(taken.sources), "rows": taken.rows,
                            "taken_at": taken.taken_at.isoformat(), "skipped": taken.skipped, "note": taken.note}
    partial = file.with_suffix(".json.partial")
    partial.write_text(json.dumps(known, indent=2), "utf-8")
    os.replace(partial, file)


def read_snapshot(folder: Path) -> Snapshot | None:
    """The snapshot of a folder, or None when nothing was taken yet."""
    file = folder / SNAPSHOT_FILE
    if not file.exists():
        return None
    known = json.loads(file.read_text("utf-8"))
    datasets = {name: DatasetSnapshot(name, tuple(v["sources"]), int(v["rows"]),
                                      datetime.fromisoformat(v["taken_at"]), int(v.get("skipped", 0)),
                                      str(v.get("note", "")))
                for name, v in known.items() if name in DATASETS and (folder / _file_name(name)).exists()}
    return Snapshot(folder, datasets) if datasets else None


# --- loading a snapshot ------------------------------------------------------------------------


def load_items(snapshot: Snapshot) -> pd.DataFrame | None:
    """Items indexed by ITEM_ID (kept as a column), the later of repeated IDs kept; columns whose
    every value is a number become numbers (YEAR), the rest stay text."""
    file = snapshot.file(ITEMS)
    if file is None:
        return None
    frame = pq.read_table(file).to_pandas()
    frame = frame.drop_duplicates("ITEM_ID", keep="last")
    for column in frame.columns:
        if column == "ITEM_ID":
            continue
        numbers = pd.to_numeric(frame[column], errors="coerce")
        if len(frame) and numbers.notna().all():
            frame[column] = numbers
    return frame.set_index("ITEM_ID", drop=False)


def load_interactions(snapshot: Snapshot) -> pd.DataFrame | None:
    """Interactions as `scoring.dataset.load_interactions` gives them (string IDs, int TIMESTAMP)."""
    file = snapshot.file(INTERACTIONS)
    if file is None:
        return None
    # One chunk per column: a per-user lookup then takes from one array, not from hundreds of blocks.
    frame = pq.read_table(file).combine_chunks().to_pandas()
    if "TIMESTAMP" in frame.columns:
        frame = frame[frame["TIMESTAMP"].notna()].astype({"TIMESTAMP": "int64"})
    return frame.reset_index(drop=True)
