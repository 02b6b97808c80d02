"""Read-only mode (CONSOLE_READ_ONLY=1): an AppTest per page, and the refusals in scoring.

Every page says what is off and why (the banner); the pages that write hide those controls and
say so where they were; reading, testing and in-memory uploads keep working.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

import scoring
from scoring import access, arns, user_groups
from tests.app_support import errors_of, new_app, rendered
from tests.support import small_data

PAGES = ["pages/test_campaign.py", "pages/campaign.py", "pages/filters.py", "pages/score_normalisation.py",
         "pages/compare.py", "pages/health_check.py", "pages/local_models.py"]
WATCHED = 'EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("watch")'


@pytest.fixture(autouse=True)
def read_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(access.ENV, "1")


def _page(path: str) -> AppTest:
    at = new_app().run()
    if path != "pages/test_campaign.py":
        at.switch_page(path).run()
    return at


def _buttons(at: AppTest) -> set[str]:
    return {b.key for b in at.button if b.key}


def _captions(at: AppTest) -> str:
    return " ".join(rendered(c.value) for c in at.caption)


@pytest.mark.parametrize("path", PAGES)
def test_every_page_says_what_is_off_and_why(path: str) -> None:
    at = _page(path)
    assert not at.exception and not errors_of(at)
    banner = " ".join(rendered(i.value) for i in at.info)
    assert "Read-only mode" in banner and access.ENV in banner
    for what in access.OFF:
        assert what in banner


def test_test_campaign_still_answers_requests() -> None:
    at = _page("pages/test_campaign.py")
    at.text_input(key="user_id").input("1")
    at.button(key="submit").click().run()
    assert not at.exception and not errors_of(at) and at.dataframe
    # ... but the Record events panel says recording is off, and offers no Record button.
    assert "record_event" not in _buttons(at) and "reset_session" not in _buttons(at)
    assert access.refusal("Recording events") in _captions(at)


def test_the_events_clients_refuse_to_write(demo_dir: Path) -> None:
    events = scoring.client("personalize-events", data_dir=demo_dir)
    control = scoring.client("personalize", data_dir=demo_dir)
    tracker = control.list_event_trackers()["eventTrackers"][0]["eventTrackerArn"]
    tracking_id = control.describe_event_tracker(eventTrackerArn=tracker)["eventTracker"]["trackingId"]
    with pytest.raises(events.exceptions.ClientError, match="read-only"):
        events.put_events(trackingId=tracking_id, userId="1", sessionId="s",
                          eventList=[{"eventType": "watch", "itemId": "5", "sentAt": 1_760_000_000}])
    with pytest.raises(control.exceptions.ClientError, match="read-only"):
        control.delete_event_tracker(eventTrackerArn=tracker)


def test_campaign_details_still_read() -> None:
    at = _page("pages/campaign.py")
    assert at.title and at.dataframe


def test_filters_page_tests_but_neither_creates_nor_deletes() -> None:
    at = _page("pages/filters.py")
    keys = _buttons(at)
    assert "create_filter_submit" not in keys and "delete_filter_submit" not in keys
    assert "Creating and deleting filters is off in read-only mode" in _captions(at)
    assert at.dataframe  # the list is still read


def test_score_normalisation_still_computes() -> None:
    at = _page("pages/score_normalisation.py")
    at.button(key="norm_submit").click().run()
    assert not at.exception and not errors_of(at)


def test_compare_still_compares() -> None:
    at = _page("pages/compare.py")
    assert not at.exception and not errors_of(at)


def test_health_check_runs_and_keeps_in_memory_uploads() -> None:
    at = _page("pages/health_check.py")
    assert any("pload" in o for o in at.radio(key="health_users_how").options)  # nothing written
    at.button(key="health_run").click().run()
    assert not at.exception and not errors_of(at) and at.get("download_button")


def test_local_models_lists_groups_but_trains_and_deletes_nothing() -> None:
    at = _page("pages/local_models.py")
    keys = _buttons(at)
    assert not keys & {"lm_train", "lm_delete"}
    assert not [t for t in at.text_input if t.key == "lm_folder"]  # no server folders
    assert not at.get("file_uploader")  # uploads here would be written to disk
    captions = _captions(at)
    assert "Creating a dataset group" in captions and "Deleting a dataset group" in captions
    assert at.dataframe  # the groups on this machine are still listed


# -- scoring refuses as well, so no page (or endpoint caller) can forget ---------------------------
def test_groups_cannot_be_trained_retrained_or_deleted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(access.ENV)
    folder = tmp_path / "g"
    user_groups.create_group(small_data.files(), "g", out=folder,
                             settings=user_groups.TrainingSettings(dim=8, epochs=1))
    monkeypatch.setenv(access.ENV, "1")
    for attempt in (lambda: user_groups.create_group(small_data.files(), "h", root=tmp_path),
                    lambda: user_groups.retrain_in_place(folder),
                    lambda: user_groups.delete_group("g", root=tmp_path)):
        with pytest.raises(user_groups.GroupError, match="read-only mode"):
            attempt()
    assert (folder / "campaigns.json").is_file() and not (tmp_path / "h").exists()


def test_filters_cannot_be_created_or_deleted(demo_dir: Path) -> None:
    control = scoring.client("personalize", demo_dir)
    group = arns.local_arn("dataset-group", control.group.name)
    before = [f["name"] for f in control.list_filters(datasetGroupArn=group)["Filters"]]
    with pytest.raises(Exception, match="read-only mode") as caught:
        control.create_filter(name="nope", datasetGroupArn=group, filterExpression=WATCHED)
    assert caught.value.response["Error"]["Code"] == "AccessDeniedException"  # type: ignore[attr-defined]
    with pytest.raises(Exception, match="read-only mode"):
        control.delete_filter(filterArn=arns.local_arn("filter", before[0]))
    assert [f["name"] for f in control.list_filters(datasetGroupArn=group)["Filters"]] == before


def test_no_custom_endpoint_even_from_a_link(monkeypatch: pytest.MonkeyPatch) -> None:
    from botocore.exceptions import NoCredentialsError

    from scoring import aws

    def no_aws(*args: object, **kwargs: object) -> None:  # hermetic: never AWS from a test
        raise NoCredentialsError()

    monkeypatch.setattr(aws, "live_client", no_aws)
    at = new_app()
    at.query_params.update({"source": "aws", "region": "us-east-1", "endpoint": "https://attacker.example"})
    at.run()
    assert not at.exception
    assert not [t for t in at.sidebar.text_input if t.key == "aws_endpoint"]
    assert not [b for b in at.sidebar.button if b.key == "endpoint_accept"]
    assert "A custom endpoint URL is off in read-only mode" in " ".join(rendered(c.value) for c in at.sidebar.caption)


def test_the_flag_works_like_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(access.ENV)
    monkeypatch.setattr("sys.argv", ["app.py"])
    assert not access.read_only()
    monkeypatch.setattr("sys.argv", ["app.py", "--read-only"])
    assert access.read_only()
