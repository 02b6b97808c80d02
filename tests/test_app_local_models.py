"""The Local models page under AppTest: upload or folder -> validated -> trained group in the picker;
bad files refused with their line numbers; delete with confirmation; the new group's campaign pages."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

import scoring
from scoring import arns, paths, requests, user_groups
from scoring.model import MODEL_FILE
from tests.app_support import (
    on_page,
    LiveAws,
    errors_of,
    new_app,
    table_of,
)
from tests.support import small_data

PAGE = "pages/local_models.py"
AIRLINE = paths.PROJECT_ROOT.parent / "shared" / "data" / "aws-airline-sample"  # unedited


@pytest.fixture(autouse=True)
def data_root(demo_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """User groups go to a temporary data root; the demo group stays where it is."""
    root = tmp_path / "data"
    root.mkdir()
    monkeypatch.setattr(paths, "DATA_ROOT", root)
    return root


def local_models_page() -> AppTest:
    return on_page(PAGE)


def upload(at: AppTest, files: dict[str, bytes], name: str) -> AppTest:
    for file_name, data in files.items():
        key = {"interactions.csv": "lm_interactions", "items.csv": "lm_items",
               "users.csv": "lm_users"}[file_name]
        at.file_uploader(key=key).set_value((file_name, data, "text/csv"))
    at.text_input(key="lm_name").input(name)
    at.number_input(key="lm_epochs").set_value(1)
    return at.button(key="lm_train").click().run()


def test_the_page_lists_the_demo_group_and_cannot_delete_it() -> None:
    at = local_models_page()
    assert not at.exception and not errors_of(at)
    groups = table_of(at, "Dataset group")
    assert groups["Dataset group"].tolist() == ["demo (demo)"]
    assert groups["× popularity"].iloc[0] > 1.0
    assert "lm_delete_name" not in [w.key for w in at.selectbox]
    assert any("demo group cannot be deleted" in c.value for c in at.caption)


def test_upload_trains_a_group_that_the_picker_and_campaign_page_show(data_root: Path) -> None:
    at = upload(local_models_page(), small_data.files(), "mine")
    assert not at.exception and not errors_of(at)
    assert (data_root / "mine" / paths.CAMPAIGNS_FILE).is_file()
    assert any("mine" in s.value and "is ready" in s.value for s in at.success)
    metrics = table_of(at, "Popularity baseline")
    assert "normalized_discounted_cumulative_gain_at_10" in set(metrics["Name"])
    assert metrics["Popularity baseline"].notna().all()
    assert "mine" in table_of(at, "Dataset group")["Dataset group"].tolist()
    assert "mine" in at.selectbox(key="local_group").options  # the sidebar's picker
    at = at.button(key="lm_open").click().run()
    assert not at.exception and not errors_of(at)
    assert at.title[0].value == "Campaign: mine-user-personalization"
    assert at.selectbox(key="local_group").value == "mine"
    shown = table_of(at, "Metric")
    assert {"Value", "Popularity baseline"} <= set(shown.columns)
    assert (shown["Value"] > 0).any() and shown["Popularity baseline"].notna().all()
    assert shown["Value"].between(0, 1).all()


def test_odd_rows_are_listed_with_line_numbers_and_the_group_trains(data_root: Path) -> None:
    files = small_data.files()
    lines = files["interactions.csv"].decode().splitlines()
    lines[4] = "u1,i2,yesterday,click,web"  # line 5 in an editor
    lines[9] = ",i3,1735689600,click,web"  # line 10
    files["interactions.csv"] = ("\n".join(lines) + "\n").encode()
    at = upload(local_models_page(), files, "odd")
    assert not at.exception and not errors_of(at)
    assert any("odd" in s.value and "is ready" in s.value for s in at.success)
    notes = table_of(at, "What was done")
    assert notes[["File", "Line", "Column"]].values.tolist() == [
        ["interactions.csv", 5, "TIMESTAMP"], ["interactions.csv", 10, "USER_ID"]]
    assert notes["What was done"].str.endswith("row skipped.").all()
    assert any("2 odd row(s) were imported" in w.value for w in at.warning)
    assert any("Personalize does not document" in c.value for c in at.caption)
    assert (data_root / "odd" / MODEL_FILE).is_file()


def test_a_value_over_its_length_limit_is_refused_and_nothing_is_trained(data_root: Path) -> None:
    files = small_data.files()
    lines = files["interactions.csv"].decode().splitlines()
    lines[4] = "u" * 300 + ",i2,1735689600,click,web"  # line 5 in an editor
    files["interactions.csv"] = ("\n".join(lines) + "\n").encode()
    at = upload(local_models_page(), files, "broken")
    assert not at.exception
    assert any("nothing was trained" in e for e in errors_of(at))
    problems = table_of(at, "Problem")
    assert problems[["File", "Line", "Column"]].values.tolist() == [["interactions.csv", 5, "USER_ID"]]
    assert not (data_root / "broken").exists()
    assert not at.get("progress")


def test_the_airline_sample_uploads_as_published_and_reports_what_was_done(data_root: Path) -> None:
    files = {name: (AIRLINE / name).read_bytes() for name in ("interactions.csv", "items.csv", "users.csv")}
    at = upload(local_models_page(), files, "airline")
    assert not at.exception and not errors_of(at)
    assert any("airline" in s.value and "is ready" in s.value for s in at.success)
    notes = table_of(at, "What was done")
    assert notes[["Line", "Column"]].values.tolist() == [
        [353, "DurationDays"], [354, "ITEM_ID"], [355, "ITEM_ID"], [356, "DurationDays"], [356, "ITEM_ID"]]
    assert "this later row replaces it" in notes["What was done"].iloc[1]
    fields = table_of(at, "Field").set_index("Field")
    assert fields.loc["DynamicPrice", "Type"] == "long, may be empty"
    assert fields.loc["CABIN_TYPE", "Type"] == "string, categorical, may be empty"
    assert "CABIN_TYPE" in table_of(at, "Dataset group").set_index("Dataset group").loc["airline", "Context keys"]


def test_a_given_schema_is_used_and_shown_as_given(data_root: Path) -> None:
    given = {"type": "record", "name": "Items", "namespace": "com.amazonaws.personalize.schema",
             "version": "1.0", "fields": [{"name": "ITEM_ID", "type": "string"},
                                          {"name": "GENRES", "type": "string", "categorical": True}]}
    at = local_models_page()
    at.file_uploader(key="lm_schemas").set_value([("items-schema.json", json.dumps(given).encode(),
                                                   "application/json")])
    at = upload(at, small_data.files(), "typed")
    assert not at.exception and not errors_of(at)
    assert any(e.label.startswith("Schemas (Interactions inferred, Items given)") for e in at.expander)
    described = scoring.client("personalize", data_root / "typed").group.schemas["Items"]
    assert described.given and described.field("GENRES").nullable is False  # type: ignore[union-attr]


def test_a_schema_that_does_not_fit_the_file_is_refused_with_its_reason(data_root: Path) -> None:
    given = {"type": "record", "name": "Items", "namespace": "com.amazonaws.personalize.schema",
             "version": "1.0", "fields": [{"name": "ITEM_ID", "type": "string"},
                                          {"name": "PRICE", "type": "float"}]}
    at = local_models_page()
    at.file_uploader(key="lm_schemas").set_value([("items.json", json.dumps(given).encode(),
                                                   "application/json")])
    at = upload(at, small_data.files(), "misfit")
    assert any("nothing was trained" in e for e in errors_of(at))
    problems = " ".join(table_of(at, "Problem")["Problem"])
    assert "column GENRES is not a field of the Items schema" in problems
    assert "field PRICE has no column in the header" in problems
    assert not (data_root / "misfit").exists()


def test_a_folder_on_the_server_becomes_a_group(data_root: Path, tmp_path: Path) -> None:
    folder = small_data.write(tmp_path / "Shop data")
    at = local_models_page()
    at.radio(key="lm_source").set_value("Folder on the server").run()
    at.text_input(key="lm_folder").input(str(folder))
    at.number_input(key="lm_epochs").set_value(1)
    at = at.button(key="lm_train").click().run()
    assert not at.exception and not errors_of(at)
    assert (data_root / "Shop-data" / MODEL_FILE).is_file()  # named after the folder
    assert any("Shop-data" in s.value and "is ready" in s.value for s in at.success)


def test_a_missing_folder_is_one_clear_problem(data_root: Path, tmp_path: Path) -> None:
    at = local_models_page()
    at.radio(key="lm_source").set_value("Folder on the server").run()
    at.text_input(key="lm_folder").input(str(tmp_path / "nowhere"))
    at = at.button(key="lm_train").click().run()
    assert not at.exception
    assert "does not exist" in " ".join(table_of(at, "Problem")["Problem"])
    assert [p.name for p in data_root.iterdir() if not p.name.startswith(".")] == []


def test_delete_needs_the_name_typed(data_root: Path) -> None:
    user_groups.create_group(small_data.files(), "old", settings=user_groups.TrainingSettings(
        dim=8, epochs=1))
    at = local_models_page()
    assert at.button(key="lm_delete").disabled
    at.text_input(key="lm_delete_confirm").input("old").run()
    at = at.button(key="lm_delete").click().run()
    assert not at.exception and not errors_of(at)
    assert not (data_root / "old").exists()
    assert any("Deleted the dataset group old" in s.value for s in at.success)
    assert "old" not in at.selectbox(key="local_group").options


def test_a_user_group_suggests_its_own_context_keys_on_the_test_page(data_root: Path) -> None:
    user_groups.create_group(small_data.files(), "shop", settings=user_groups.TrainingSettings(
        dim=8, epochs=1))
    at = new_app()
    at.session_state["local_group"] = "shop"  # a fresh session on the user group
    at.run()
    assert not at.exception and not errors_of(at)
    assert at.selectbox(key="campaign_arn").value == arns.local_arn(
        "campaign", "shop-user-personalization")
    assert at.text_input(key="ctx_key_0").value == "PLATFORM"
    assert any("PLATFORM: app, web" in c.value for c in at.caption)


def test_switching_group_updates_the_prefilled_form(data_root: Path) -> None:
    user_groups.create_group(small_data.files(), "shop", settings=user_groups.TrainingSettings(
        dim=8, epochs=1))
    at = new_app().run()
    assert at.text_input(key="ctx_key_0").value == "DEVICE"  # the demo's context key
    at.selectbox(key="local_group").set_value("shop").run()
    assert not at.exception and not errors_of(at)
    assert at.text_input(key="ctx_key_0").value == "PLATFORM"  # followed the new group
    shop = scoring.client("personalize-runtime", data_root / "shop").group.model
    assert at.text_input(key="user_id").value == requests.suggested_user(shop)
    assert at.selectbox(key="campaign_arn").value == arns.local_arn(
        "campaign", "shop-user-personalization")


def test_the_page_works_while_the_sidebar_points_at_aws(live_aws: LiveAws) -> None:
    """The page is about local folders: a failing live source does not stop it."""
    live_aws.control_stub.add_client_error("list_campaigns", service_error_code="AccessDeniedException",
                                           http_status_code=400, service_message="not authorized")
    at = new_app().run()
    at.radio(key="source").set_value("Amazon Personalize").run()
    at = at.switch_page(PAGE).run()
    assert not at.exception
    assert table_of(at, "Dataset group")["Dataset group"].tolist() == ["demo (demo)"]
    assert at.button(key="lm_train")


def test_a_domain_group_gets_its_recommenders_in_the_picker(data_root: Path) -> None:
    at = local_models_page()
    at.selectbox(key="lm_domain").set_value("ECOMMERCE")
    at = upload(at, small_data.files(), "shop")
    assert not at.exception and not errors_of(at)
    at.selectbox(key="local_group").set_value("shop").run()
    options = at.selectbox(key="campaign_arn").options
    assert "shop-recommended-for-you · Recommended for you" in options and len(options) == 4 + 5
    assert "shop-related-items · SIMS" in options  # a local campaign is labelled with its recipe
