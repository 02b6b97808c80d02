"""Live titles and history: import jobs found, S3 files streamed (moto) into a snapshot, uploads, limits."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

import boto3
import pyarrow as pa
import pytest
from hypothesis import given, settings, strategies as st
from moto import mock_aws

from scoring import live_data as ld
from tests.app_support import LIVE_GROUP, stubbed
from tests.support.large_files import million_rows_csv

GROUP = LIVE_GROUP
DATASET = "arn:aws:personalize:us-east-1:123456789012:dataset/movies/INTERACTIONS"
ITEMS_DATASET = "arn:aws:personalize:us-east-1:123456789012:dataset/movies/ITEMS"
T0 = datetime(2025, 1, 1, tzinfo=UTC)

INTERACTIONS_CSV = (b"USER_ID,ITEM_ID,TIMESTAMP,EVENT_TYPE,DEVICE,IMPRESSION\n"
                    b"007,1,1700000000,watch,tv,1|2\n7,2,1700000100,click,phone,\n007,2,1700000200,watch,tv,\n")
ITEMS_CSV = b'ITEM_ID,TITLE,GENRES,YEAR\n1,"Heat, the film",Action|Crime,1995\n2,Up,Animation,2009\n'


def _job(name: str, mode: str, status: str = "ACTIVE", days: int = 0) -> dict[str, object]:
    return {"datasetImportJobArn": f"arn:aws:personalize:us-east-1:123456789012:dataset-import-job/{name}",
            "jobName": name, "status": status, "importMode": mode,
            "creationDateTime": T0 + timedelta(days=days), "lastUpdatedDateTime": T0 + timedelta(days=days)}


def _describe(stub: object, job: dict[str, object], location: str, dataset: str = DATASET) -> None:
    stub.add_response("describe_dataset_import_job", {"datasetImportJob": {  # type: ignore[attr-defined]
        "jobName": job["jobName"], "datasetImportJobArn": job["datasetImportJobArn"], "datasetArn": dataset,
        "dataSource": {"dataLocation": location}, "status": "ACTIVE", "importMode": job["importMode"]}},
        {"datasetImportJobArn": job["datasetImportJobArn"]})


def _datasets(stub: object, *types: str) -> None:
    arns = {"INTERACTIONS": DATASET, "ITEMS": ITEMS_DATASET}
    stub.add_response("list_datasets", {"datasets": [  # type: ignore[attr-defined]
        {"name": t.lower(), "datasetArn": arns[t], "datasetType": t, "status": "ACTIVE"} for t in types]},
        {"datasetGroupArn": GROUP, "maxResults": 100})


def test_the_last_full_import_and_the_incremental_ones_after_it_are_read() -> None:
    control, stub = stubbed("personalize")
    _datasets(stub, "INTERACTIONS")
    old, failed = _job("old", "FULL", days=0), _job("broken", "INCREMENTAL", "CREATE FAILED", days=3)
    full, more = _job("full", "FULL", days=1), _job("more", "INCREMENTAL", days=2)
    stub.add_response("list_dataset_import_jobs", {"datasetImportJobs": [more, failed, old, full]},
                      {"datasetArn": DATASET, "maxResults": 100})
    _describe(stub, full, "s3://data/full.csv")
    _describe(stub, more, "s3://data/more/")
    found = ld.import_sources(control, GROUP)
    stub.assert_no_pending_responses()
    assert [(s.job_name, s.location, s.import_mode) for s in found] == [
        ("full", "s3://data/full.csv", "FULL"), ("more", "s3://data/more/", "INCREMENTAL")]


def test_a_group_without_finished_imports_says_to_upload_instead() -> None:
    control, stub = stubbed("personalize")
    _datasets(stub, "INTERACTIONS")
    stub.add_response("list_dataset_import_jobs",
                      {"datasetImportJobs": [_job("running", "FULL", "CREATE IN_PROGRESS")]},
                      {"datasetArn": DATASET, "maxResults": 100})
    with pytest.raises(ld.LiveDataError, match="no finished .*Upload"):
        ld.import_sources(control, GROUP)


@mock_aws
def test_a_folder_location_reads_every_csv_under_it() -> None:
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket="data")
    for key in ("more/b.csv", "more/a.CSV", "more/notes.txt", "other/c.csv"):
        s3.put_object(Bucket="data", Key=key, Body=b"x")
    assert ld.s3_files(s3, "s3://data/more/") == ["s3://data/more/a.CSV", "s3://data/more/b.csv"]
    assert ld.s3_files(s3, "s3://data/other/c.csv") == ["s3://data/other/c.csv"]


@mock_aws
def test_a_snapshot_from_s3_joins_titles_and_keeps_history(tmp_path: Path) -> None:
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket="data")
    s3.put_object(Bucket="data", Key="interactions/part-1.csv", Body=INTERACTIONS_CSV)
    s3.put_object(Bucket="data", Key="items.csv", Body=ITEMS_CSV)
    control, stub = stubbed("personalize")
    _datasets(stub, "INTERACTIONS", "ITEMS")
    job, items_job = _job("interactions", "FULL"), _job("items", "FULL")
    stub.add_response("list_dataset_import_jobs", {"datasetImportJobs": [job]},
                      {"datasetArn": DATASET, "maxResults": 100})
    _describe(stub, job, "s3://data/interactions/")
    stub.add_response("list_dataset_import_jobs", {"datasetImportJobs": [items_job]},
                      {"datasetArn": ITEMS_DATASET, "maxResults": 100})
    _describe(stub, items_job, "s3://data/items.csv", ITEMS_DATASET)

    folder = ld.cache_dir(GROUP, tmp_path)
    taken = ld.take_from_s3(folder, control, s3, GROUP)
    assert {t.dataset: (t.rows, t.sources) for t in taken} == {
        "Interactions": (3, ("s3://data/interactions/part-1.csv",)), "Items": (2, ("s3://data/items.csv",))}
    snapshot = ld.read_snapshot(folder)
    assert snapshot is not None
    interactions = ld.load_interactions(snapshot)
    assert interactions is not None
    assert interactions["USER_ID"].tolist() == ["007", "7", "007"]  # IDs stay text: "007" is not 7
    assert "IMPRESSION" not in interactions and interactions["TIMESTAMP"].dtype == "int64"
    items = ld.load_items(snapshot)
    assert items is not None and items.loc["1", "TITLE"] == "Heat, the film"
    assert items["YEAR"].dtype.kind == "i"


def test_the_cache_folder_is_per_dataset_group_and_inside_the_data_root(tmp_path: Path) -> None:
    a = ld.cache_dir(GROUP, tmp_path)
    b = ld.cache_dir(GROUP.replace("us-east-1", "eu-west-1"), tmp_path)
    assert a != b and a.parent == b.parent == tmp_path / ld.CACHE_FOLDER
    assert ld.cache_dir("arn:aws:personalize:x:1:dataset-group/../../etc", tmp_path).parent == a.parent


def test_a_file_without_the_required_column_is_refused_by_name(tmp_path: Path) -> None:
    with pytest.raises(ld.LiveDataError, match=r"upload: u\.csv has no USER_ID column.*ITEM_ID, TIMESTAMP"):
        ld.take(tmp_path, ld.INTERACTIONS, [ld.Input("upload: u.csv", lambda: io.BytesIO(b"ITEM_ID,TIMESTAMP\n1,2\n"))])


def test_a_failed_refresh_keeps_the_previous_snapshot(tmp_path: Path) -> None:
    ld.take(tmp_path, ld.ITEMS, [ld.Input("first", lambda: io.BytesIO(ITEMS_CSV))])
    with pytest.raises(ld.LiveDataError):
        ld.take(tmp_path, ld.ITEMS, [ld.Input("second", lambda: io.BytesIO(b"\xff\xfe bad\n"))])
    snapshot = ld.read_snapshot(tmp_path)
    assert snapshot is not None and snapshot.datasets["Items"].sources == ("first",)
    assert len(ld.load_items(snapshot)) == 2  # type: ignore[arg-type]
    assert not list(tmp_path.glob("*.partial"))


def test_a_repeated_item_id_keeps_the_later_row(tmp_path: Path) -> None:
    ld.take(tmp_path, ld.ITEMS, [ld.Input("u", lambda: io.BytesIO(ITEMS_CSV + b"1,Heat again,Action,1995\n"))])
    items = ld.load_items(ld.read_snapshot(tmp_path))  # type: ignore[arg-type]
    assert items is not None and items.loc["1", "TITLE"] == "Heat again" and len(items) == 2


_ids = st.text(st.characters(codec="utf-8", exclude_characters="\r\n\x00"), min_size=1, max_size=12)


@settings(max_examples=40)
@given(st.lists(st.tuples(_ids, _ids, st.integers(0, 2**40)), min_size=1, max_size=30))
def test_ids_come_back_exactly_as_written(rows: list[tuple[str, str, int]]) -> None:
    import tempfile

    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(["USER_ID", "ITEM_ID", "TIMESTAMP"])
    writer.writerows(rows)
    data = text.getvalue().encode("utf-8")
    with tempfile.TemporaryDirectory() as folder:
        ld.take(Path(folder), ld.INTERACTIONS, [ld.Input("u", lambda: io.BytesIO(data))])
        back = ld.load_interactions(ld.read_snapshot(Path(folder)))  # type: ignore[arg-type]
    assert back is not None
    assert list(zip(back["USER_ID"], back["ITEM_ID"], back["TIMESTAMP"].tolist())) == rows


@mock_aws
def test_a_million_row_interactions_file_streams_with_bounded_memory(tmp_path: Path) -> None:
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket="data")
    body = million_rows_csv()
    s3.put_object(Bucket="data", Key="big/interactions.csv", Body=body)
    pool = pa.proxy_memory_pool(pa.default_memory_pool())
    taken = ld.take(tmp_path, ld.INTERACTIONS,
                    [ld.Input("s3://data/big/interactions.csv",
                              lambda: ld.open_s3(s3, "s3://data/big/interactions.csv"))],
                    memory_pool=pool)
    assert taken.rows == 1_000_000
    # Every Arrow buffer of the read, conversion and Parquet writing at its peak: a few blocks
    # (about 7 MiB), not the 30 MB file (a whole-file pyarrow read holds 2.6 times its size).
    assert pool.max_memory() < 12 * ld.BLOCK_SIZE < len(body) / 2, (pool.max_memory(), len(body))
    back = ld.load_interactions(ld.read_snapshot(tmp_path))  # type: ignore[arg-type]
    assert back is not None and len(back) == 1_000_000 and back["USER_ID"].iloc[-1].startswith("u")


def test_read_only_mode_takes_no_snapshot(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONSOLE_READ_ONLY", "1")
    with pytest.raises(ld.LiveDataError, match="read-only mode"):
        ld.take(tmp_path, ld.ITEMS, [ld.Input("u", lambda: io.BytesIO(ITEMS_CSV))])
    assert not list(tmp_path.iterdir())


AIRLINE = Path(__file__).resolve().parents[2] / "shared" / "data" / "aws-airline-sample"


def test_aws_airline_sample_snapshots_as_published(tmp_path: Path) -> None:
    for dataset, name in ((ld.INTERACTIONS, "interactions.csv"), (ld.ITEMS, "items.csv")):
        ld.take(tmp_path, dataset, [ld.Input(f"upload: {name}", lambda name=name: open(AIRLINE / name, "rb"))])
    snapshot = ld.read_snapshot(tmp_path)
    assert snapshot is not None and snapshot.datasets["Interactions"].rows == 34_853
    interactions = ld.load_interactions(snapshot)
    assert interactions is not None and len(interactions) == 34_853
    raw = (AIRLINE / "interactions.csv").read_text("utf-8").splitlines()[1]
    first = next(csv.DictReader([(AIRLINE / "interactions.csv").read_text("utf-8").splitlines()[0], raw]))
    assert interactions.iloc[0]["USER_ID"] == first["USER_ID"]  # signed 64-bit IDs stay text
    assert interactions["CABIN_TYPE"].notna().all() and "Economy" in set(interactions["CABIN_TYPE"])
    items = ld.load_items(snapshot)
    assert items is not None and items.index.is_unique and len(items) < 355  # repeated IDs: the later row


def test_a_header_with_spaces_is_refused_by_name(tmp_path: Path) -> None:
    with pytest.raises(ld.LiveDataError, match="has no USER_ID, ITEM_ID column"):
        ld.take(tmp_path, ld.INTERACTIONS, [ld.Input("u", lambda: io.BytesIO(b"USER_ID , ITEM_ID\n1,2\n"))])


def test_a_row_with_the_wrong_number_of_fields_is_left_out_and_named(tmp_path: Path) -> None:
    data = b"ITEM_ID,TITLE\n1,Heat\n2,Up,extra\n3,Alien\n"
    taken = ld.take(tmp_path, ld.ITEMS, [ld.Input("upload: items.csv", lambda: io.BytesIO(data))])
    assert (taken.rows, taken.skipped) == (2, 1)
    assert taken.note == "upload: items.csv line 3: expected 2 fields, found 3"
    assert ld.read_snapshot(tmp_path).datasets["Items"].note == taken.note  # type: ignore[union-attr]


def test_import_jobs_are_read_over_every_page() -> None:
    control, stub = stubbed("personalize")
    _datasets(stub, "INTERACTIONS")
    first, second = _job("first", "FULL", days=0), _job("second", "INCREMENTAL", days=1)
    stub.add_response("list_dataset_import_jobs", {"datasetImportJobs": [first], "nextToken": "page-2"},
                      {"datasetArn": DATASET, "maxResults": 100})
    stub.add_response("list_dataset_import_jobs", {"datasetImportJobs": [second]},
                      {"datasetArn": DATASET, "maxResults": 100, "nextToken": "page-2"})
    _describe(stub, first, "s3://data/a.csv")
    _describe(stub, second, "s3://data/b.csv")
    assert [s.location for s in ld.import_sources(control, GROUP)] == ["s3://data/a.csv", "s3://data/b.csv"]
    stub.assert_no_pending_responses()
