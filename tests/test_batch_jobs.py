"""Local batch inference jobs: line formats per recipe, bad lines, the block path's identity with
GetRecommendations, and jobs whose endpoint stops (never ACTIVE half-written).

S3 is moto's server (tests/support/s3_server.py); each test module works on its own copy of the demo group.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import scoring
from scoring import arns, batch_requests, events, recipes
from scoring.batch_jobs import JOBS_DIR, STOPPED_REASON
from tests.support import s3_server
from tests.test_contract_batch import ROLE, wait

REC = arns.local_arn("campaign", "demo-user-personalization")
RANK = arns.local_arn("campaign", "demo-personalized-ranking")
SIMS = arns.local_arn("campaign", "demo-related-items")
POPULAR = arns.local_arn("campaign", "demo-popular-items")
GENRE = arns.local_arn("filter", "genre")
PROJECT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module", autouse=True)
def s3_url() -> Iterator[str]:
    with s3_server.s3_environment() as url:
        yield url


@pytest.fixture(scope="module")
def group(demo_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    ignore = shutil.ignore_patterns(".*", events.EVENTS_FILE, JOBS_DIR)
    return Path(shutil.copytree(demo_dir, tmp_path_factory.mktemp("jobs") / "g", ignore=ignore))


def _version(control: Any, campaign: str) -> str:
    return control.describe_campaign(campaignArn=campaign)["campaign"]["solutionVersionArn"]


def run_job(group: Path, name: str, lines: list[str], campaign: str = REC, **extra: Any) -> tuple[dict[str, Any],
                                                                                                 list[dict[str, Any]]]:
    """Create a job on `campaign`'s solution version over `lines`, wait for it, read its output."""
    control = scoring.client("personalize", group)
    path = s3_server.put_lines(f"in/{name}.json", lines)
    arn = control.create_batch_inference_job(
        jobName=name, solutionVersionArn=_version(control, campaign), roleArn=ROLE,
        jobInput={"s3DataSource": {"path": path}},
        jobOutput={"s3DataDestination": {"path": f"s3://{s3_server.BUCKET}/out/{name}"}}, **extra)["batchInferenceJobArn"]
    job = wait(control, arn)
    out = [json.loads(line) for line in s3_server.read_lines(f"out/{name}/{name}.json.out")] \
        if job["status"] == "ACTIVE" else []
    return job, out


# -- the block path equals GetRecommendations ---------------------------------------------------------
def test_the_jobs_lists_equal_get_recommendations_for_a_sample_of_users(group: Path) -> None:
    model_users = [str(u) for u in scoring.client("personalize-runtime", group).group.model.user_ids[:150]]
    users = model_users + ["never-seen-1", "never-seen-2"]
    job, out = run_job(group, "identical", [json.dumps({"userId": u}) for u in users], numResults=25)
    runtime = scoring.client("personalize-runtime", group)
    assert job["status"] == "ACTIVE"
    for user, line in zip(users, out, strict=True):
        single = runtime.get_recommendations(campaignArn=REC, userId=user, numResults=25)["itemList"]
        assert line["output"]["recommendedItems"] == [i["itemId"] for i in single]
        assert line["output"]["scores"] == pytest.approx([i["score"] for i in single], rel=1e-5)


def test_a_filtered_job_gives_each_line_its_own_filter_values(group: Path) -> None:
    lines = [json.dumps({"userId": "1", "filterValues": {"GENRES": '"Comedy"'}}),
             json.dumps({"userId": "1", "filterValues": {"GENRES": '"Horror"'}})]
    job, out = run_job(group, "filtered", lines, filterArn=GENRE, numResults=10)
    runtime = scoring.client("personalize-runtime", group)
    for line, genre in zip(out, ('"Comedy"', '"Horror"'), strict=True):
        single = runtime.get_recommendations(campaignArn=REC, userId="1", numResults=10, filterArn=GENRE,
                                             filterValues={"GENRES": genre})["itemList"]
        assert line["output"]["recommendedItems"] == [i["itemId"] for i in single]
    assert out[0]["output"]["recommendedItems"] != out[1]["output"]["recommendedItems"]


# -- formats of the other recipes ---------------------------------------------------------------------
def test_a_ranking_job_ranks_each_lines_item_list_with_scores(group: Path) -> None:
    job, out = run_job(group, "ranking", [json.dumps({"userId": "2", "itemList": ["10", "20", "30"]})], RANK)
    single = scoring.client("personalize-runtime", group).get_personalized_ranking(
        campaignArn=RANK, userId="2", inputList=["10", "20", "30"])["personalizedRanking"]
    assert out[0]["output"]["recommendedItems"] == [i["itemId"] for i in single]
    assert sum(out[0]["output"]["scores"]) == pytest.approx(1.0)


def test_a_related_items_job_reads_item_ids_and_gives_no_scores(group: Path) -> None:
    job, out = run_job(group, "related", ['{"itemId": "105"}'], SIMS, numResults=5)
    assert len(out[0]["output"]["recommendedItems"]) == 5 and "scores" not in out[0]["output"]


def test_a_popularity_job_gives_items_without_scores(group: Path) -> None:
    job, out = run_job(group, "popular", ['{"userId": "5"}'], POPULAR, numResults=5)
    assert len(out[0]["output"]["recommendedItems"]) == 5 and "scores" not in out[0]["output"]


# -- bad lines become error lines ---------------------------------------------------------------------
def test_bad_lines_become_error_lines_and_the_job_still_ends_active(group: Path) -> None:
    lines = ['{"userId": "1"}', "this is not json", '{"itemId": "3"}', "[1, 2]",
             json.dumps({"userId": "x" * 300}), '{"userId": NaN}', '{"userId": "2"}']
    job, out = run_job(group, "malformed", lines, numResults=3)
    assert job["status"] == "ACTIVE" and len(out) == len(lines)
    assert [line["error"] is None for line in out] == [True, False, False, False, False, False, True]
    assert out[2]["error"] == "User error: Required fields for the provided recipe are userId"
    assert out[2]["input"] == {"itemId": "3"} and out[2]["output"] == {"recommendedItems": []}
    assert out[1]["input"] == "this is not json" and "not valid JSON" in out[1]["error"]


# -- stopped endpoints --------------------------------------------------------------------------------
def _big_input(name: str, users: int) -> str:
    return s3_server.put_lines(f"in/{name}.json", [json.dumps({"userId": str(u % 1500)}) for u in range(users)])


def _params(control: Any, name: str, path: str) -> dict[str, Any]:
    return {"jobName": name, "solutionVersionArn": _version(control, REC), "roleArn": ROLE,
            "jobInput": {"s3DataSource": {"path": path}},
            "jobOutput": {"s3DataDestination": {"path": f"s3://{s3_server.BUCKET}/out/{name}/"}}}


def test_a_job_in_an_endpoint_that_is_killed_ends_create_failed_and_writes_nothing(group: Path) -> None:
    import boto3

    path = _big_input("killed", 400_000)
    env = dict(os.environ, PYTHONPATH=str(PROJECT))
    server = subprocess.Popen([sys.executable, "-m", "scoring.server", "--data", str(group), "--port", "0"],
                              cwd=PROJECT, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        url = re.search(r"on (http://\S+)", server.stdout.readline()).group(1)  # type: ignore[union-attr]
        control = boto3.client("personalize", endpoint_url=url, region_name="us-east-1")
        arn = control.create_batch_inference_job(**_params(control, "killed", path))["batchInferenceJobArn"]
        deadline = time.monotonic() + 60  # a bound for a broken runner, not a timing assertion
        while (control.describe_batch_inference_job(batchInferenceJobArn=arn)["batchInferenceJob"]["status"]
               == "PENDING" and time.monotonic() < deadline):
            time.sleep(0.02)
        status = control.describe_batch_inference_job(batchInferenceJobArn=arn)["batchInferenceJob"]["status"]
        assert status == "IN PROGRESS"  # killed mid-job
    finally:
        server.send_signal(signal.SIGKILL)
        server.wait()
    job = scoring.client("personalize", group).describe_batch_inference_job(batchInferenceJobArn=arn)["batchInferenceJob"]
    assert job["status"] == "CREATE FAILED" and job["failureReason"] == STOPPED_REASON
    assert not s3_server.exists("out/killed/")


def test_stopping_the_endpoint_fails_its_running_jobs_with_the_reason(group: Path) -> None:
    import boto3

    from scoring.server import serve_in_thread
    from tests.support.stubbed import fake_credentials

    path = _big_input("stopped", 400_000)
    server, url = serve_in_thread(group, "127.0.0.1", 0)
    control = boto3.client("personalize", endpoint_url=url, **fake_credentials())
    arn = control.create_batch_inference_job(**_params(control, "stopped", path))["batchInferenceJobArn"]
    server.shutdown()
    job = scoring.client("personalize", group).describe_batch_inference_job(batchInferenceJobArn=arn)["batchInferenceJob"]
    assert job["status"] == "CREATE FAILED" and "stopped before the job finished" in job["failureReason"]
    assert not s3_server.exists("out/stopped/")
    assert not s3_server.s3().list_multipart_uploads(Bucket=s3_server.BUCKET).get("Uploads")


# -- the request checks (scoring.batch_requests) ----------------------------------------------------
def _valid(**changes: Any) -> dict[str, Any]:
    return batch_requests.request(job_name="job-1", solution_version_arn=arns.local_arn("solution", "s", "1"),
                                  input_path="s3://bucket/in/users.json", output_path="s3://bucket/out/",
                                  role_arn=ROLE) | changes


def test_a_valid_request_has_no_problems() -> None:
    assert batch_requests.problems(_valid()) == []


@pytest.mark.parametrize(("changes", "named"), [
    ({"jobName": "-starts-with-dash"}, "jobName"),
    ({"jobName": "x" * 64}, "jobName"),
    ({"roleArn": "arn:aws:iam::123:role/short-account"}, "roleArn"),
    ({"jobInput": {"s3DataSource": {"path": "bucket/in/users.json"}}}, "input path"),
    ({"jobOutput": {"s3DataDestination": {"path": "s3://bucket/in/"}}}, "must differ"),
    ({"numResults": 0}, "numResults"),
    ({"filterArn": "not-an-arn"}, "filterArn"),
], ids=["name-pattern", "name-length", "role", "input-scheme", "same-folder", "num-results", "filter"])
def test_each_rule_names_the_member_at_fault(changes: dict[str, Any], named: str) -> None:
    found = batch_requests.problems(_valid(**changes))
    assert len(found) == 1 and named in found[0]


@given(st.from_regex(r"[a-zA-Z0-9][a-zA-Z0-9\-_]{0,62}", fullmatch=True))
def test_every_name_of_the_service_pattern_is_accepted(name: str) -> None:
    assert batch_requests.problems(_valid(jobName=name)) == []


@given(st.from_regex(r"[a-z0-9]{3,20}", fullmatch=True), st.from_regex(r"([a-z0-9]{1,8}/){0,3}", fullmatch=True),
       st.from_regex(r"[a-zA-Z0-9_.-]{1,30}", fullmatch=True))
def test_the_output_is_the_input_file_name_dot_out_in_the_output_folder(bucket: str, folder: str, file: str) -> None:
    key = batch_requests.output_key(f"in/{file}", f"s3://{bucket}/{folder}")
    assert key == f"{folder}{file}.out"


# -- the fast path for plain {"userId": ...} lines --------------------------------------------------
_lines = st.one_of(
    st.builds(lambda u, a: json.dumps({"userId": u}, ensure_ascii=a), st.text(max_size=300), st.booleans()),
    st.builds(lambda u, sep: '{%s"userId"%s:%s"%s"%s}' % (sep, sep, sep, u, sep), st.text(max_size=40),
              st.sampled_from(["", " ", "\t", "\n", "\x0b", "\u00a0"])),
    st.text(max_size=60))


@given(_lines)
def test_a_line_parsed_without_the_decoder_is_the_record_the_decoder_gives(line: str) -> None:
    from scoring.batch_jobs import _SIMPLE_USER, _line_problem

    match = _SIMPLE_USER.fullmatch(line)
    if match is not None:
        assert json.loads(line) == {"userId": match.group(1)}
        assert _line_problem({"userId": match.group(1)}, recipes.USER_PERSONALIZATION) is None


def test_read_only_mode_refuses_to_create_a_job(group: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONSOLE_READ_ONLY", "1")
    control = scoring.client("personalize", group)
    path = s3_server.put_lines("in/read-only.json", ['{"userId": "1"}'])
    with pytest.raises(control.exceptions.ClientError) as caught:
        control.create_batch_inference_job(**_params(control, "read-only", path))
    assert caught.value.response["Error"]["Code"] == "AccessDeniedException"
    assert not (group / JOBS_DIR / "read-only.json").exists()
