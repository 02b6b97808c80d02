"""The batch inference jobs contract: Create/Describe/ListBatchInferenceJobs against every backend.

As in test_contract.py: the local control client in-process, a real boto3 client under botocore's
Stubber fed by it (requests and answers checked against the service model), and a real boto3
client over HTTP against the local endpoint. S3 is moto's server, reached through boto3's
standard environment (AWS_ENDPOINT_URL_S3); each backend runs on its own copy of the demo group.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import scoring
from scoring import arns, events
from scoring.batch_jobs import JOBS_DIR
from tests.support import s3_server
from tests.support.stubbed import StubbedClient, fake_credentials

REC = arns.local_arn("campaign", "demo-user-personalization")
REC_VERSION = arns.local_arn("solution", "demo-softmax", "1")
RANK_VERSION = arns.local_arn("solution", "demo-softmax-ranking", "1")
ROLE = "arn:aws:iam::123456789012:role/PersonalizeBatch"
MEMBERS = {"jobName", "batchInferenceJobArn", "solutionVersionArn", "numResults", "jobInput", "jobOutput",
           "roleArn", "batchInferenceJobMode", "status", "creationDateTime", "lastUpdatedDateTime"}


@pytest.fixture(scope="module", autouse=True)
def s3_url() -> Iterator[str]:
    with s3_server.s3_environment() as url:
        yield url


def _copy(demo_dir: Path, target: Path) -> Path:
    ignore = shutil.ignore_patterns(".*", events.EVENTS_FILE, JOBS_DIR)
    return Path(shutil.copytree(demo_dir, target, ignore=ignore))


def request(name: str, input_path: str, **extra: Any) -> dict[str, Any]:
    return {"jobName": name, "solutionVersionArn": REC_VERSION, "roleArn": ROLE,
            "jobInput": {"s3DataSource": {"path": input_path}},
            "jobOutput": {"s3DataDestination": {"path": f"s3://{s3_server.BUCKET}/out/{name}/"}}, **extra}


def wait(control: Any, arn: str, timeout: float = 60.0) -> dict[str, Any]:
    """Describe until the job ends (a bounded wait for a result, not a timing assertion)."""
    deadline = time.monotonic() + timeout
    while True:
        job = control.describe_batch_inference_job(batchInferenceJobArn=arn)["batchInferenceJob"]
        if job["status"] in ("ACTIVE", "CREATE FAILED") or time.monotonic() > deadline:
            return job
        time.sleep(0.05)


class BatchContract:
    """Subclasses provide `control`, a control client on a writable copy of the demo group."""

    def test_create_answers_the_job_arn_and_describe_gives_the_request_back(self, control: Any) -> None:
        path = s3_server.put_lines("in/describe.json", ['{"userId": "1"}', '{"userId": "2"}'])
        arn = control.create_batch_inference_job(**request("describe-me", path, numResults=7))["batchInferenceJobArn"]
        assert arn == arns.local_arn("batch-inference-job", "describe-me")
        job = control.describe_batch_inference_job(batchInferenceJobArn=arn)["batchInferenceJob"]
        assert MEMBERS <= set(job)
        assert job["status"] in ("PENDING", "IN PROGRESS", "ACTIVE")
        assert (job["numResults"], job["roleArn"], job["jobInput"]["s3DataSource"]["path"]) == (7, ROLE, path)

    def test_a_job_ends_active_with_one_output_line_per_input_line(self, control: Any) -> None:
        path = s3_server.put_lines("in/active.json", [json.dumps({"userId": str(u)}) for u in range(1, 41)])
        arn = control.create_batch_inference_job(**request("active", path, numResults=5))["batchInferenceJobArn"]
        job = wait(control, arn)
        assert job["status"] == "ACTIVE" and "failureReason" not in job
        lines = [json.loads(line) for line in s3_server.read_lines("out/active/active.json.out")]
        assert [line["input"]["userId"] for line in lines] == [str(u) for u in range(1, 41)]
        assert all(len(line["output"]["recommendedItems"]) == 5 and line["error"] is None for line in lines)

    def test_list_shows_the_solution_versions_jobs_newest_first(self, control: Any) -> None:
        path = s3_server.put_lines("in/list.json", ['{"userId": "3"}'])
        first = control.create_batch_inference_job(**request("list-a", path))["batchInferenceJobArn"]
        second = control.create_batch_inference_job(**request("list-b", path))["batchInferenceJobArn"]
        listed = [j["batchInferenceJobArn"] for j in
                  control.list_batch_inference_jobs(solutionVersionArn=REC_VERSION)["batchInferenceJobs"]]
        assert listed.index(second) < listed.index(first)
        assert control.list_batch_inference_jobs(solutionVersionArn=RANK_VERSION)["batchInferenceJobs"] == []

    def test_list_pages_with_next_token(self, control: Any) -> None:
        path = s3_server.put_lines("in/pages.json", ['{"userId": "4"}'])
        for name in ("page-a", "page-b"):
            control.create_batch_inference_job(**request(name, path))
        first = control.list_batch_inference_jobs(maxResults=1)
        second = control.list_batch_inference_jobs(maxResults=1, nextToken=first["nextToken"])
        assert first["batchInferenceJobs"][0]["jobName"] != second["batchInferenceJobs"][0]["jobName"]

    def test_describe_an_unknown_job_is_resource_not_found(self, control: Any) -> None:
        with pytest.raises(control.exceptions.ResourceNotFoundException):
            control.describe_batch_inference_job(
                batchInferenceJobArn=arns.local_arn("batch-inference-job", "no-such-job"))

    def test_a_job_name_is_used_once(self, control: Any) -> None:
        path = s3_server.put_lines("in/twice.json", ['{"userId": "5"}'])
        control.create_batch_inference_job(**request("twice", path))
        with pytest.raises(control.exceptions.ResourceAlreadyExistsException):
            control.create_batch_inference_job(**request("twice", path))

    def test_an_output_path_in_the_input_folder_is_invalid_input(self, control: Any) -> None:
        path = s3_server.put_lines("in/same.json", ['{"userId": "6"}'])
        params = request("same-folder", path) | {
            "jobOutput": {"s3DataDestination": {"path": f"s3://{s3_server.BUCKET}/in/"}}}
        with pytest.raises(control.exceptions.InvalidInputException) as caught:
            control.create_batch_inference_job(**params)
        assert "must differ from the input location" in caught.value.response["Error"]["Message"]

    def test_a_role_that_is_not_an_iam_role_arn_is_invalid_input(self, control: Any) -> None:
        path = s3_server.put_lines("in/role.json", ['{"userId": "7"}'])
        with pytest.raises(control.exceptions.InvalidInputException) as caught:
            control.create_batch_inference_job(**request("bad-role", path) | {"roleArn": "my-role"})
        assert "roleArn" in caught.value.response["Error"]["Message"]

    def test_an_unknown_solution_version_is_resource_not_found(self, control: Any) -> None:
        path = s3_server.put_lines("in/version.json", ['{"userId": "8"}'])
        params = request("no-version", path) | {"solutionVersionArn": arns.local_arn("solution", "nope", "1")}
        with pytest.raises(control.exceptions.ResourceNotFoundException):
            control.create_batch_inference_job(**params)

    def test_a_missing_input_file_ends_create_failed_with_the_reason(self, control: Any) -> None:
        arn = control.create_batch_inference_job(**request("no-input", f"s3://{s3_server.BUCKET}/in/absent.json"))[
            "batchInferenceJobArn"]
        job = wait(control, arn)
        assert job["status"] == "CREATE FAILED"
        assert "input file does not exist" in job["failureReason"]


@pytest.fixture(scope="module")
def local_control(demo_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Any:
    return scoring.client("personalize", _copy(demo_dir, tmp_path_factory.mktemp("batch") / "local"))


@pytest.fixture(scope="module")
def stubbed_control(demo_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Any:
    folder = _copy(demo_dir, tmp_path_factory.mktemp("batch") / "stubbed")
    return StubbedClient("personalize", scoring.client("personalize", folder))


@pytest.fixture(scope="module")
def http_control(demo_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    import boto3

    from scoring.server import serve_in_thread

    folder = _copy(demo_dir, tmp_path_factory.mktemp("batch") / "http")
    server, url = serve_in_thread(folder, "127.0.0.1", 0)
    yield boto3.client("personalize", endpoint_url=url, **fake_credentials())
    server.shutdown()


class TestLocal(BatchContract):
    @pytest.fixture
    def control(self, local_control: Any) -> Any:
        return local_control


class TestBoto3WithStubber(BatchContract):
    @pytest.fixture
    def control(self, stubbed_control: Any) -> Any:
        return stubbed_control


class TestBoto3OverHttp(BatchContract):
    @pytest.fixture
    def control(self, http_control: Any) -> Any:
        return http_control
