"""The Health check's Batch inference jobs tab under AppTest: the form, its confirmation, the watched
job, the job list and the analysis, on a local group (S3 = moto's server) and a live campaign (stubbed)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

import scoring
from scoring import arns, batch_console, events, paths
from scoring.batch_jobs import JOBS_DIR, stop_all
from tests.app_support import WHEN, LiveAws, errors_of, needs_demo, on_page, rendered, table_of
from tests.support import s3_server
from tests.test_contract_batch import ROLE, request, wait

PAGE = "pages/health_check.py"
GROUP = "batch-app"
TAB = "Batch inference jobs"
VERSION = arns.local_arn("solution", "demo-softmax", "1")

pytestmark = needs_demo


@pytest.fixture(scope="module", autouse=True)
def s3_url() -> Iterator[str]:
    with s3_server.s3_environment() as url:
        yield url


@pytest.fixture
def group(demo_dir: Path) -> Iterator[Path]:
    """A fresh copy of the demo group in the data root (jobs write records into their group)."""
    target = Path(paths.DATA_ROOT) / GROUP
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(demo_dir, target, ignore=shutil.ignore_patterns(".*", events.EVENTS_FILE, JOBS_DIR))
    (Path(paths.DATA_ROOT) / batch_console.SETTINGS_FILE).unlink(missing_ok=True)
    yield target
    stop_all()  # a job the test left running must not write into the folder removed below
    shutil.rmtree(target, ignore_errors=True)


def jobs_tab(at: AppTest | None = None) -> AppTest:
    """The Health check on the copied group, its jobs tab open."""
    at = on_page(PAGE, at)
    at.selectbox(key="local_group").set_value(GROUP).run()
    at.session_state["health_batch_tab"] = TAB
    return at.run()


def fill(at: AppTest, *, out: str = "out/app/", role: str = ROLE) -> AppTest:
    if "batch_size" in [n.key for n in at.number_input]:  # the sample's size (absent for other inputs)
        at.number_input(key="batch_size").set_value(300)
    at.text_input(key="batch_in_folder").input(f"s3://{s3_server.BUCKET}/in/app/")
    at.text_input(key="batch_out_folder").input(f"s3://{s3_server.BUCKET}/{out}")
    at.text_input(key="batch_role").input(role)
    at.text_input(key="batch_name").input("app-job")
    return at


def markdown_text(at: AppTest) -> str:
    return " ".join(rendered(m.value) for m in at.markdown).replace("`", "")


def test_review_names_what_will_be_written_and_writes_nothing(group: Path) -> None:
    at = fill(jobs_tab())
    at.button(key="batch_review").click().run()
    assert not at.exception and not errors_of(at)
    text = markdown_text(at)
    assert f"s3://{s3_server.BUCKET}/in/app/app-job.json (300 lines" in text
    assert f"s3://{s3_server.BUCKET}/out/app/app-job.json.out" in text
    assert at.button(key="batch_start").disabled
    assert not s3_server.exists("in/app/") and not (group / JOBS_DIR).exists()


def test_a_confirmed_job_uploads_its_input_runs_and_is_analysed(group: Path) -> None:
    at = fill(jobs_tab())
    at.button(key="batch_review").click().run()
    at.checkbox(key="batch_agree").check().run()
    at.button(key="batch_start").click().run()
    assert not at.exception and not errors_of(at)
    assert len(s3_server.read_lines("in/app/app-job.json")) == 300
    control = scoring.client("personalize", group)
    arn = arns.local_arn("batch-inference-job", "app-job")
    assert wait(control, arn)["status"] == "ACTIVE"
    at.run()  # the watched job is described again: ACTIVE, so its analysis is shown
    assert not at.exception and not errors_of(at)
    params = table_of(at, "Parameter").set_index("Parameter")["Value"]
    assert params["Job ARN"] == arn and params["Number of results"] == "25"
    metrics = table_of(at, "Metric").set_index("Metric")
    assert 0 < metrics.loc["Catalogue coverage@K", "app-job"] <= 1
    assert any("300 lists read from 300 lines" in rendered(s.value) for s in at.success)


def test_the_role_and_folders_are_remembered_for_the_profile(group: Path) -> None:
    at = fill(jobs_tab())
    at.button(key="batch_review").click().run()
    at.checkbox(key="batch_agree").check().run()
    at.button(key="batch_start").click().run()
    assert batch_console.remembered("local") == {"roleArn": ROLE, "inputFolder": f"s3://{s3_server.BUCKET}/in/app/",
                                                 "outputFolder": f"s3://{s3_server.BUCKET}/out/app/"}
    fresh = jobs_tab()
    assert fresh.text_input(key="batch_role").value == ROLE


def test_review_lists_every_problem_of_the_form(group: Path) -> None:
    at = fill(jobs_tab(), out="in/app/", role="my-role")
    at.button(key="batch_review").click().run()
    found = " ".join(errors_of(at))
    assert "must differ from the input location" in found and "roleArn" in found
    assert at.button(key="batch_review") is not None and not (group / JOBS_DIR).exists()


def test_the_job_list_shows_the_versions_jobs_and_analyses_the_one_chosen(group: Path) -> None:
    control = scoring.client("personalize", group)
    path = s3_server.put_lines("in/listed.json", ['{"userId": "1"}', '{"userId": "2"}', "oops"])
    for name in ("listed-a", "listed-b"):
        wait(control, control.create_batch_inference_job(**request(name, path))["batchInferenceJobArn"])
    at = jobs_tab()
    assert not at.exception and not errors_of(at)
    assert set(table_of(at, "Job")["Job"]) == {"listed-a", "listed-b"}
    at.selectbox(key="batch_pick").set_value(arns.local_arn("batch-inference-job", "listed-a"))
    at.button(key="batch_analyse").click().run()
    assert table_of(at, "Parameter").set_index("Parameter")["Value"]["Job ARN"].endswith("/listed-a")
    assert any("2 lists read from 3 lines" in rendered(s.value) and "1 error line" in rendered(s.value)
               for s in at.success)


def test_a_live_jobs_list_is_read_with_list_batch_inference_jobs(live_aws: LiveAws) -> None:
    live_aws.queue_campaign(paged=False)
    summary = {"batchInferenceJobArn": "arn:aws:personalize:us-east-1:123456789012:batch-inference-job/nightly",
               "jobName": "nightly", "status": "CREATE FAILED", "failureReason": "AccessDenied on s3://x",
               "creationDateTime": WHEN, "lastUpdatedDateTime": WHEN}
    at = on_page(PAGE)
    at.radio(key="source").set_value("Amazon Personalize").run()
    live_aws.control_stub.add_response("list_batch_inference_jobs", {"batchInferenceJobs": [summary]})
    at.session_state["health_batch_tab"] = TAB
    at.run()
    assert not at.exception and not errors_of(at)
    row = table_of(at, "Job").iloc[0]
    assert (row["Job"], row["Status"], row["Failure reason"]) == ("nightly", "CREATE FAILED", "AccessDenied on s3://x")


def test_a_live_review_says_what_it_costs_and_calls_nothing(live_aws: LiveAws) -> None:
    live_aws.queue_campaign(paged=False)
    at = on_page(PAGE)
    at.radio(key="source").set_value("Amazon Personalize").run()
    live_aws.control_stub.add_response("list_batch_inference_jobs", {"batchInferenceJobs": []})
    at.session_state["health_batch_tab"] = TAB
    at.run()
    at.radio(key="batch_how").set_value("An input file already in S3").run()
    at.text_input(key="batch_existing").input("s3://my-bucket/in/users.json")
    at.text_input(key="batch_out_folder").input("s3://my-bucket/out/")
    at.text_input(key="batch_role").input(ROLE)
    live_aws.control_stub.add_response("list_batch_inference_jobs", {"batchInferenceJobs": []})
    at.button(key="batch_review").click().run()
    assert not at.exception and not errors_of(at)
    assert any("Amazon Personalize bills batch inference" in rendered(c.value) for c in at.caption)
    assert "in Amazon Personalize on solution version" in markdown_text(at)


def test_a_confirmed_live_job_is_created_as_planned_and_watched(live_aws: LiveAws) -> None:
    live_aws.queue_campaign(paged=False)
    at = on_page(PAGE)
    at.radio(key="source").set_value("Amazon Personalize").run()
    live_aws.control_stub.add_response("list_batch_inference_jobs", {"batchInferenceJobs": []})
    at.session_state["health_batch_tab"] = TAB
    at.run()
    at.radio(key="batch_how").set_value("An input file already in S3").run()
    at.text_input(key="batch_existing").input("s3://my-bucket/in/users.json")
    at.text_input(key="batch_out_folder").input("s3://my-bucket/out/")
    at.text_input(key="batch_role").input(ROLE)
    at.text_input(key="batch_name").input("live-job")
    at.number_input(key="batch_num").set_value(10)
    live_aws.control_stub.add_response("list_batch_inference_jobs", {"batchInferenceJobs": []})
    at.button(key="batch_review").click().run()
    live_aws.control_stub.add_response("list_batch_inference_jobs", {"batchInferenceJobs": []})
    at.checkbox(key="batch_agree").check().run()
    arn = "arn:aws:personalize:us-east-1:123456789012:batch-inference-job/live-job"
    version = at.session_state["_batch_plan"].params["solutionVersionArn"]
    live_aws.control_stub.add_response("create_batch_inference_job", {"batchInferenceJobArn": arn}, {
        "jobName": "live-job", "solutionVersionArn": version, "roleArn": ROLE, "numResults": 10,
        "jobInput": {"s3DataSource": {"path": "s3://my-bucket/in/users.json"}},
        "jobOutput": {"s3DataDestination": {"path": "s3://my-bucket/out/"}}})
    live_aws.control_stub.add_response("describe_batch_inference_job", {"batchInferenceJob": {
        "jobName": "live-job", "batchInferenceJobArn": arn, "status": "IN PROGRESS",
        "creationDateTime": WHEN, "lastUpdatedDateTime": WHEN}}, {"batchInferenceJobArn": arn})
    live_aws.control_stub.add_response("list_batch_inference_jobs", {"batchInferenceJobs": []})
    at.button(key="batch_start").click().run()
    assert not at.exception and not errors_of(at)
    live_aws.control_stub.assert_no_pending_responses()
    assert any("Job live-job is **IN PROGRESS** for" in rendered(i.value) for i in at.info)


def test_read_only_mode_hides_the_form_and_keeps_the_list(group: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONSOLE_READ_ONLY", "1")
    at = jobs_tab()
    assert not at.exception and not errors_of(at)
    assert "batch_review" not in [b.key for b in at.button]
    assert any("Starting a batch inference job is off in read-only mode" in rendered(c.value) for c in at.caption)
    assert any("No batch inference jobs yet." in rendered(c.value) for c in at.caption)


def test_the_users_of_the_last_real_time_run_can_be_the_jobs_input(group: Path) -> None:
    at = on_page(PAGE)
    at.selectbox(key="local_group").set_value(GROUP).run()
    at.slider(key="health_size").set_value(60)
    at.button(key="health_run").click().run()
    at.session_state["health_batch_tab"] = TAB
    at.run()
    assert at.radio(key="batch_how").value == "The users of the last real-time run"
    fill(at, out="out/last/")
    at.button(key="batch_review").click().run()
    assert not at.exception and not errors_of(at)
    users = len(at.session_state["_health_job"].request.users)
    assert f"app-job.json ({users} lines" in markdown_text(at)
