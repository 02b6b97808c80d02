"""Titles and history for a live campaign on Test campaign (stubbed Personalize, moto S3)."""

from __future__ import annotations

import io
import shutil
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws
from streamlit.testing.v1 import AppTest

import scoring.aws
from scoring import live_data
from scoring import user_picker as up
from tests.app_support import LIVE_ARN, LIVE_GROUP, LiveAws, errors_of, new_app, rendered, table_of

INTERACTIONS = (b"USER_ID,ITEM_ID,TIMESTAMP,EVENT_TYPE\n"
                b"u-1,i-1,1700000000,watch\nu-1,i-2,1700000100,click\nu-2,i-1,1700000200,watch\n")
ITEMS = b"ITEM_ID,TITLE,GENRES\ni-1,Heat,Action|Crime\ni-2,Up,Animation\n"
DATASET = "arn:aws:personalize:us-east-1:123456789012:dataset/movies/INTERACTIONS"
JOB = "arn:aws:personalize:us-east-1:123456789012:dataset-import-job/first"


@pytest.fixture(autouse=True)
def no_snapshot() -> Iterator[None]:
    """The data root lives for the whole session: each test starts without a snapshot."""
    shutil.rmtree(live_data.cache_dir(LIVE_GROUP), ignore_errors=True)
    yield
    shutil.rmtree(live_data.cache_dir(LIVE_GROUP), ignore_errors=True)


def _snapshot() -> None:
    folder = live_data.cache_dir(LIVE_GROUP)
    live_data.take(folder, live_data.INTERACTIONS, [live_data.Input("upload: i.csv", lambda: io.BytesIO(INTERACTIONS))])
    live_data.take(folder, live_data.ITEMS, [live_data.Input("upload: items.csv", lambda: io.BytesIO(ITEMS))])


def _live(live_aws: LiveAws) -> AppTest:
    live_aws.queue_campaign(paged=False)
    at = new_app()
    at.query_params["source"] = "aws"
    return at.run()


def _ask(at: AppTest, live_aws: LiveAws, user: str) -> AppTest:
    live_aws.runtime_stub.add_response(
        "get_recommendations", {"itemList": [{"itemId": "i-2", "score": 0.6}, {"itemId": "i-1", "score": 0.4}],
                                "recommendationId": "R"},
        {"campaignArn": LIVE_ARN, "userId": user, "numResults": 25})
    at.text_input(key="user_id").input(user)
    return at.button(key="submit").click().run()


def test_without_a_snapshot_the_panel_offers_to_take_one(live_aws: LiveAws) -> None:
    at = _live(live_aws)
    assert not at.exception and not errors_of(at)
    assert any("No snapshot yet" in c.value for c in at.caption)
    assert at.button(key="live_data_s3").label == "Read from the import jobs (S3)"
    at.radio(key="picker_way").set_value(up.MOST_ACTIVE).run()
    assert any("take a snapshot" in c.value for c in at.caption)


def test_a_snapshot_gives_titles_history_and_users(live_aws: LiveAws) -> None:
    _snapshot()
    at = _live(live_aws)
    assert any("Interactions" in c.value and "3 rows from upload: i.csv" in c.value for c in at.caption)
    at = _ask(at, live_aws, "u-1")
    assert not at.exception and not errors_of(at)
    assert table_of(at)["TITLE"].tolist() == ["Up", "Heat"]
    recent = table_of(at, "When")
    assert recent["Item ID"].tolist() == ["i-2", "i-1"] and recent["TITLE"].tolist() == ["Up", "Heat"]
    assert any("User u-1: 2 interactions" in c.value for c in at.caption)
    at.radio(key="picker_way").set_value(up.MOST_ACTIVE).run()
    assert list(at.selectbox(key="picker_choice").options) == ["u-1 · 2 interactions", "u-2 · 1 interaction"]


@mock_aws
def test_read_from_the_import_jobs_takes_the_snapshot_from_s3(live_aws: LiveAws,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket="movies")
    s3.put_object(Bucket="movies", Key="imports/interactions.csv", Body=INTERACTIONS)

    def clients(service: str, *args: Any, **kwargs: Any) -> Any:
        return s3 if service == "s3" else live_aws(service, *args, **kwargs)

    monkeypatch.setattr(scoring.aws, "live_client", clients)
    at = _live(live_aws)
    stub = live_aws.control_stub
    stub.add_response("list_datasets", {"datasets": [{"name": "i", "datasetArn": DATASET,
                                                      "datasetType": "INTERACTIONS"}]},
                      {"datasetGroupArn": LIVE_GROUP, "maxResults": 100})
    stub.add_response("list_dataset_import_jobs", {"datasetImportJobs": [
        {"datasetImportJobArn": JOB, "jobName": "first", "status": "ACTIVE", "importMode": "FULL"}]},
        {"datasetArn": DATASET, "maxResults": 100})
    stub.add_response("describe_dataset_import_job", {"datasetImportJob": {
        "jobName": "first", "datasetImportJobArn": JOB, "datasetArn": DATASET, "status": "ACTIVE",
        "dataSource": {"dataLocation": "s3://movies/imports/interactions.csv"}}}, {"datasetImportJobArn": JOB})
    at.button(key="live_data_s3").click().run()
    assert not at.exception and not errors_of(at)
    assert any("Interactions: 3 rows from 1 file(s)" in s.value for s in at.success)
    assert any("s3://movies/imports/interactions.csv" in rendered(c.value) for c in at.caption)
    assert at.button(key="live_data_s3").label == "Refresh from S3"


@mock_aws
def test_a_missing_s3_file_is_one_clear_error(live_aws: LiveAws, monkeypatch: pytest.MonkeyPatch) -> None:
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket="movies")
    monkeypatch.setattr(scoring.aws, "live_client",
                        lambda service, *a, **k: s3 if service == "s3" else live_aws(service, *a, **k))
    at = _live(live_aws)
    stub = live_aws.control_stub
    stub.add_response("list_datasets", {"datasets": [{"name": "i", "datasetArn": DATASET,
                                                      "datasetType": "INTERACTIONS"}]})
    stub.add_response("list_dataset_import_jobs", {"datasetImportJobs": [
        {"datasetImportJobArn": JOB, "jobName": "first", "status": "ACTIVE"}]})
    stub.add_response("describe_dataset_import_job", {"datasetImportJob": {
        "jobName": "first", "datasetImportJobArn": JOB,
        "dataSource": {"dataLocation": "s3://movies/gone.csv"}}})
    at.button(key="live_data_s3").click().run()
    assert not at.exception
    assert any("NoSuchKey" in e for e in errors_of(at))
    assert any("s3:GetObject" in c.value for c in at.caption)
    assert live_data.read_snapshot(live_data.cache_dir(LIVE_GROUP)) is None


def test_read_only_mode_shows_the_snapshot_but_takes_none(live_aws: LiveAws,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONSOLE_READ_ONLY", "1")
    at = _live(live_aws)
    assert not at.exception
    assert not [b for b in at.button if b.key in ("live_data_s3", "live_data_upload")]
    assert any("Taking a snapshot of live data" in c.value for c in at.caption)


def test_live_items_with_image_urls_give_thumbnails_and_card_images(live_aws: LiveAws) -> None:
    folder = live_data.cache_dir(LIVE_GROUP)
    with_images = b"ITEM_ID,TITLE,IMAGE_URL\ni-1,Heat,https://img.example/heat.jpg\ni-2,Up,/etc/passwd\n"
    live_data.take(folder, live_data.ITEMS, [live_data.Input("upload: items.csv", lambda: io.BytesIO(with_images))])
    at = _ask(_live(live_aws), live_aws, "u-1")
    images = table_of(at)["Image"]
    assert images.isna().tolist() == [True, False] and images.iloc[1] == "https://img.example/heat.jpg"
    at.segmented_control(key="results_view").set_value("Cards").run()
    assert not at.exception and not errors_of(at)
    shown = [image.proto.imgs[0].url for image in at.get("image")]
    assert shown[1] == "https://img.example/heat.jpg"
    assert "/etc/passwd" not in shown[0] and shown[0] != ""  # the tile, never the server's file


def test_uploaded_files_become_the_snapshot_and_can_be_used_again(live_aws: LiveAws) -> None:
    at = _live(live_aws)
    at.file_uploader(key="live_upload_items").upload("items.csv", ITEMS, "text/csv")
    at.file_uploader(key="live_upload_interactions").upload("interactions.csv", INTERACTIONS, "text/csv")
    at.button(key="live_data_upload").click().run()
    assert not at.exception and not errors_of(at)
    assert any("Interactions: 3 rows; Items: 2 rows" in s.value for s in at.success)
    at.button(key="live_data_upload").click().run()  # the same uploads, read again
    assert not at.exception and not errors_of(at)
    snapshot = live_data.read_snapshot(live_data.cache_dir(LIVE_GROUP))
    assert snapshot is not None and snapshot.datasets["Items"].sources == ("upload: items.csv",)
    assert _ask(at, live_aws, "u-2") and table_of(at)["TITLE"].tolist() == ["Up", "Heat"]


def test_a_user_missing_from_the_snapshot_is_explained(live_aws: LiveAws) -> None:
    _snapshot()
    at = _ask(_live(live_aws), live_aws, "u-new")
    assert not at.exception and not errors_of(at)
    assert any("no interactions in the snapshot" in c.value for c in at.caption)
