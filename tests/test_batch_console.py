"""The batch-job panel's logic (scoring.batch_console): plans, elapsed time, remembered settings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from scoring import arns, batch_console, recipes

VERSION = arns.local_arn("solution", "demo-softmax", "1")
ROLE = "arn:aws:iam::123456789012:role/PersonalizeBatch"
START = datetime(2026, 1, 1, tzinfo=UTC)


def plan(**changes: Any) -> batch_console.Plan:
    base: dict[str, Any] = {"kind": recipes.USER_PERSONALIZATION, "job_name": "nightly", "solution_version_arn": VERSION,
                            "role_arn": ROLE, "output_folder": "s3://bucket/out/", "num_results": 25, "live": True,
                            "users": ["1", "2", "3"], "input_folder": "s3://bucket/in"}
    return batch_console.plan(**(base | changes))


def test_a_plan_writes_one_input_line_per_user_in_the_input_folder() -> None:
    p = plan(filter_arn=arns.local_arn("filter", "genre"), filter_values={"GENRES": '"Comedy"'})
    assert p.problems == [] and p.input_path == "s3://bucket/in/nightly.json"
    assert p.input_body is not None and p.input_body.decode().splitlines()[0] == \
        '{"userId": "1", "filterValues": {"GENRES": "\\"Comedy\\""}}'
    assert p.params["filterArn"] == arns.local_arn("filter", "genre")


def test_the_confirmation_names_the_upload_the_job_the_output_and_the_bill() -> None:
    p = plan()
    changes = " ".join(p.changes())
    assert "s3://bucket/in/nightly.json (3 lines" in changes and "s3://bucket/out/nightly.json.out" in changes
    assert "in Amazon Personalize" in changes and "bills batch inference" in p.costs()
    assert "No Amazon Personalize charges" in plan(live=False).costs()


def test_a_related_items_plan_writes_item_ids() -> None:
    p = plan(kind=recipes.RELATED_ITEMS, users=["105"])
    assert p.input_body == b'{"itemId": "105"}\n'


@pytest.mark.parametrize(("changes", "problem"), [
    ({"users": []}, "Choose some users"),
    ({"kind": recipes.PERSONALIZED_RANKING}, "List the items"),
    ({"input_folder": ""}, "S3 folder the input file is written to"),
    ({"users": None, "existing_input": "s3://bucket/in/users.json", "filter_values": {"G": "x"}},
     "must carry its own filterValues"),
    ({"output_folder": "s3://bucket/in/"}, "must differ from the input location"),
], ids=["no-users", "ranking-items", "no-input-folder", "existing-file-with-values", "same-folder"])
def test_each_form_problem_is_named(changes: dict[str, Any], problem: str) -> None:
    assert any(problem in p for p in plan(**changes).problems)


@pytest.mark.parametrize(("seconds", "shown"), [(0, "under 1 s"), (5, "5 s"), (125, "2 min 05 s"), (3 * 3600 + 60, "3 h 01 min"),
                                                (50 * 3600, "2 days 2 h")])
def test_elapsed_time_of_a_running_job(seconds: int, shown: str) -> None:
    job = {"status": "IN PROGRESS", "creationDateTime": START}
    assert batch_console.elapsed(job, now=START + timedelta(seconds=seconds)) == shown


def test_a_finished_job_ran_until_its_last_update() -> None:
    job = {"status": "ACTIVE", "creationDateTime": START, "lastUpdatedDateTime": START + timedelta(seconds=42)}
    assert batch_console.elapsed(job, now=START + timedelta(days=3)) == "42 s"


def test_settings_are_remembered_per_profile_and_hold_only_resource_names(tmp_path: Path) -> None:
    batch_console.remember("dev", {"roleArn": ROLE, "outputFolder": "s3://b/out/", "aws_secret_access_key": "x"},
                           root=tmp_path)
    batch_console.remember("prod", {"roleArn": "arn:aws:iam::210987654321:role/Other"}, root=tmp_path)
    assert batch_console.remembered("dev", root=tmp_path) == {"roleArn": ROLE, "outputFolder": "s3://b/out/"}
    assert batch_console.remembered("prod", root=tmp_path)["roleArn"].endswith("role/Other")
    assert "secret" not in (tmp_path / batch_console.SETTINGS_FILE).read_text()
    assert batch_console.remembered("staging", root=tmp_path) == {}


def test_list_jobs_follows_next_token() -> None:
    pages = {None: {"batchInferenceJobs": [{"jobName": "a"}], "nextToken": "t"},
             "t": {"batchInferenceJobs": [{"jobName": "b"}]}}

    class Control:
        def list_batch_inference_jobs(self, **params: Any) -> dict[str, Any]:
            assert params["solutionVersionArn"] == VERSION
            return pages[params.get("nextToken")]

    assert [j["jobName"] for j in batch_console.list_jobs(Control(), VERSION)] == ["a", "b"]
