"""Filters in the console under AppTest: the Test campaign form's filter, promotion and metadata, and the
Filters page (list, create, test, delete) on a private copy of the demo group."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

import scoring
from scoring import arns, paths
from tests.app_support import (
    needs_demo,
    LIVE_GROUP,
    LiveAws,
    errors_of,
    new_app,
    on_own_group,
    own_group,  # noqa: F401 (a fixture)
    table_of,
)

REC = arns.local_arn("campaign", "demo-user-personalization")
RANK = arns.local_arn("campaign", "demo-personalized-ranking")
GENRE = arns.local_arn("filter", "genre")
WATCHED = arns.local_arn("filter", "exclude-watched")
YEARS = arns.local_arn("filter", "recent-years")


pytestmark = needs_demo


def submit(at: AppTest) -> AppTest:
    return at.button(key="submit").click().run()


def genres_of(table: pd.DataFrame) -> list[set[str]]:
    return [set(g.split(", ")) for g in table["GENRES"]]


# -- Test campaign form ----------------------------------------------------------------------------
def test_a_filter_with_a_parameter_filters_the_results() -> None:
    at = new_app().run()
    assert at.selectbox(key="filter_arn").value == ""  # "None" by default
    at.selectbox(key="filter_arn").set_value(GENRE).run()
    at.text_input(key="fv_GENRES").input("Horror, Documentary")
    submit(at)
    assert not at.exception and not errors_of(at)
    table = table_of(at)
    assert len(table) == 25 and all(g & {"Horror", "Documentary"} for g in genres_of(table))
    plain = scoring.client("personalize-runtime").get_recommendations(campaignArn=REC, userId="1", numResults=500)
    order = [i["itemId"] for i in plain["itemList"]]
    assert [order.index(i) for i in table["Item ID"]] == sorted(order.index(i) for i in table["Item ID"])
    assert at.query_params["filter"] == GENRE and at.query_params["fv"] == 'GENRES="Horror","Documentary"'
    assert "filterValues={'GENRES': '\"Horror\",\"Documentary\"'}" in at.code[0].value


def test_a_required_parameter_left_empty_is_a_form_error() -> None:
    at = new_app().run()
    at.selectbox(key="filter_arn").set_value(YEARS).run()
    submit(at)
    assert not at.exception
    assert errors_of(at) == ["Filter recent-years needs $YEAR: enter a number."]
    at.text_input(key="fv_YEAR").input("soon")
    submit(at)
    assert "must be a number" in errors_of(at)[0]


def test_a_promotion_marks_its_rows() -> None:
    at = new_app().run()
    at.selectbox(key="filter_arn").set_value(WATCHED).run()
    at.selectbox(key="promo_filter_arn").set_value(GENRE).run()
    at.text_input(key="promo_name").input("horror-week")
    at.number_input(key="promo_percent").set_value(20)
    at.text_input(key="pfv_GENRES").input("Horror")
    submit(at)
    assert not at.exception and not errors_of(at)
    table = table_of(at)
    promoted = table[table["Promotion"] == "horror-week"]
    assert len(promoted) == 5 and (promoted["Reason"] == "Promoted item").all()
    assert all("Horror" in g for g in genres_of(promoted))
    assert any("5 promoted items" in c.value for c in at.caption)
    assert at.query_params["promo"] == "horror-week" and at.query_params["pp"] == "20"


def test_metadata_columns_come_back_with_each_item() -> None:
    at = new_app().run()
    assert "CREATION_TIMESTAMP" in at.multiselect(key="metadata_columns").options
    at.multiselect(key="metadata_columns").select("CREATION_TIMESTAMP")
    at.number_input(key="num_results").set_value(10)
    submit(at)
    assert not at.exception and not errors_of(at)
    table = table_of(at)
    assert table["CREATION_TIMESTAMP"].str.fullmatch(r"\d+").all()


def test_ranking_form_offers_filters_but_no_promotion() -> None:
    at = new_app().run()
    at.selectbox(key="campaign_arn").set_value(RANK).run()
    assert [s.key for s in at.selectbox if s.key == "promo_filter_arn"] == []
    at.selectbox(key="filter_arn").set_value(YEARS).run()
    at.text_input(key="fv_YEAR").input("2020")
    at.text_area(key="items_text").input("1, 2, 3, 4, 5, 6, 7, 8, 9, 10")
    submit(at)
    assert not at.exception and not errors_of(at)
    years = pd.read_csv(paths.DEMO_DIR / "items.csv", dtype={"ITEM_ID": str}).set_index("ITEM_ID")["YEAR"]
    shown = table_of(at)["Item ID"].tolist()
    assert shown and all(years[i] >= 2020 for i in shown)
    assert set(shown) == {str(i) for i in range(1, 11) if years[str(i)] >= 2020}


def test_a_shared_link_reproduces_filter_and_values() -> None:
    at = new_app()
    at.query_params.update({"source": "local", "group": "demo", "campaign": REC, "user": "3", "n": "8",
                            "filter": GENRE, "fv": 'GENRES="Comedy"'})
    at.run()
    assert not at.exception and not errors_of(at)
    assert at.selectbox(key="filter_arn").value == GENRE and at.text_input(key="fv_GENRES").value == "Comedy"
    table = table_of(at)
    assert len(table) == 8 and all("Comedy" in g for g in genres_of(table))


# -- Filters page ----------------------------------------------------------------------------------
def filters_page(at: AppTest) -> AppTest:
    return on_own_group(at, "pages/filters.py")


def test_filters_page_creates_tests_and_deletes(own_group: Path) -> None:
    at = filters_page(new_app())
    assert not at.exception and not errors_of(at)
    listed = at.dataframe[0].value
    assert {"exclude-watched", "genre", "recent-years"} <= set(listed["Name"])

    # A malformed expression: one clear message, nothing created.
    at.text_input(key="new_filter_name").input("horror")
    at.text_area(key="new_filter_expression").input('INCLUDE ItemID WHERE Items.GENRE IN ("Horror")')
    at.button(key="create_filter_submit").click().run()
    assert len(errors_of(at)) == 1 and "Items has no field GENRE" in errors_of(at)[0]

    at.text_area(key="new_filter_expression").input('INCLUDE ItemID WHERE Items.GENRES IN ("Horror")')
    at.button(key="create_filter_submit").click().run()
    assert not errors_of(at)
    assert any("Created filter horror" in s.value for s in at.success)
    assert "horror" in set(at.dataframe[0].value["Name"])

    at.selectbox(key="test_filter_arn").set_value(arns.local_arn("filter", "horror")).run()
    at.button(key="test_filter_submit").click().run()
    assert not at.exception and not errors_of(at)
    items = pd.read_csv(own_group / "items.csv", dtype=str)
    horror = int(items["GENRES"].str.split("|").map(lambda g: "Horror" in g).sum())
    assert at.metric[0].value == f"{horror:,} of {len(items):,}"
    sample = at.dataframe[1].value
    assert len(sample) == 20 and all("Horror" in g for g in sample["GENRES"])

    at.selectbox(key="delete_filter_arn").set_value(arns.local_arn("filter", "horror")).run()
    assert at.button(key="delete_filter_submit").disabled  # nothing is deleted without the confirmation
    at.checkbox(key="delete_filter_confirm").check().run()
    at.button(key="delete_filter_submit").click().run()
    assert any("Deleted filter horror" in s.value for s in at.success)
    assert "horror" not in set(at.dataframe[0].value["Name"])
    assert scoring.client("personalize", own_group).list_filters()["Filters"][-1]["name"] != "horror"


def test_filters_page_tests_a_filter_with_parameters(own_group: Path) -> None:
    at = filters_page(new_app())
    at.selectbox(key="test_filter_arn").set_value(YEARS).run()
    at.button(key="test_filter_submit").click().run()
    assert errors_of(at) == ["Filter recent-years needs $YEAR: enter a number."]
    at.text_input(key="test_fv_YEAR").input("2024")
    at.button(key="test_filter_submit").click().run()
    assert not errors_of(at)
    assert all(int(y) >= 2024 for y in at.dataframe[1].value["YEAR"])


def test_filters_page_reads_live_filters(live_aws: LiveAws) -> None:
    arn = "arn:aws:personalize:us-east-1:123456789012:filter/no-clicked"
    live_aws.queue_campaign(paged=False)
    summary = {"name": "no-clicked", "filterArn": arn, "datasetGroupArn": LIVE_GROUP, "status": "ACTIVE"}
    live_aws.control_stub.add_response("list_filters", {"Filters": [summary]},
                                       {"datasetGroupArn": LIVE_GROUP, "maxResults": 100})
    live_aws.control_stub.add_response("describe_filter", {"filter": summary | {
        "filterExpression": 'EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("click")'}}, {"filterArn": arn})
    at = new_app()
    at.query_params["source"] = "aws"
    at.run()
    at.switch_page("pages/filters.py").run()
    assert not at.exception
    assert any("only reads filters" in i.value for i in at.info)
    listed = at.dataframe[0].value
    assert listed["Name"].tolist() == ["no-clicked"] and "Interactions.EVENT_TYPE" in listed["Expression"][0]
    assert at.button(key="create_filter_submit").disabled
    live_aws.control_stub.assert_no_pending_responses()


def test_filters_page_names_the_number_fields_from_the_schema(own_group: Path) -> None:
    at = filters_page(new_app())
    assert not at.exception and not errors_of(at)
    help_text = next(m.value for m in at.markdown if "Fields you can use" in m.value)
    assert "- **Items**: TITLE, GENRES, YEAR (number), CREATION_TIMESTAMP (number)" in help_text
    assert "- **Users**: AGE_GROUP" in help_text


def _older_than_current(own_group: Path) -> str:
    arn = scoring.client("personalize", own_group).create_filter(
        name="older", datasetGroupArn=arns.local_arn("dataset-group", "demo"),
        filterExpression="INCLUDE ItemID WHERE Items.YEAR < CurrentItem.YEAR")["filterArn"]
    return str(arn)


def test_filters_page_tests_a_current_item_filter_for_an_item(own_group: Path) -> None:
    arn = _older_than_current(own_group)
    at = filters_page(new_app())
    at.selectbox(key="test_filter_arn").set_value(arn).run()
    at.button(key="test_filter_submit").click().run()
    assert errors_of(at) and "CurrentItem filters apply only to recommendations for an item" in errors_of(at)[0]
    at.text_input(key="test_filter_item").input("7")
    at.button(key="test_filter_submit").click().run()
    assert not at.exception and not errors_of(at)
    items = pd.read_csv(own_group / "items.csv", dtype={"ITEM_ID": str}).set_index("ITEM_ID")
    older = int((items["YEAR"] < items.loc["7", "YEAR"]).sum())
    assert at.metric[0].value == f"{older:,} of {len(items):,}"


def test_related_items_with_a_current_item_filter_on_test_campaign(own_group: Path) -> None:
    arn = _older_than_current(own_group)
    at = on_own_group()
    at.selectbox(key="campaign_arn").set_value(arns.local_arn("campaign", "demo-related-items")).run()
    at.selectbox(key="filter_arn").set_value(arn).run()
    at.text_input(key="item_id").input("7")
    submit(at)
    assert not at.exception and not errors_of(at)
    items = pd.read_csv(own_group / "items.csv", dtype={"ITEM_ID": str}).set_index("ITEM_ID")
    shown = table_of(at)["Item ID"].tolist()
    assert len(shown) == 25 and all(items.loc[i, "YEAR"] < items.loc["7", "YEAR"] for i in shown)


def test_a_current_item_filter_on_a_user_campaign_says_why_it_is_refused(own_group: Path) -> None:
    arn = _older_than_current(own_group)
    at = on_own_group()
    at.text_input(key="user_id").input("1")
    at.selectbox(key="filter_arn").set_value(arn).run()
    submit(at)
    assert not at.exception
    assert len(errors_of(at)) == 1 and "CurrentItem filters apply only to recommendations for an item" in \
        errors_of(at)[0]


def test_an_item_based_recommender_reads_current_item(own_group: Path) -> None:
    """More like X recommends for an item, so CurrentItem.<FIELD> is that item's value."""
    arn = _older_than_current(own_group)
    runtime = scoring.client("personalize-runtime", own_group)
    shown = runtime.get_recommendations(recommenderArn=arns.local_arn("recommender", "demo-more-like-x"),
                                        itemId="7", userId="1", numResults=25, filterArn=arn)["itemList"]
    items = pd.read_csv(own_group / "items.csv", dtype={"ITEM_ID": str}).set_index("ITEM_ID")
    assert len(shown) == 25 and all(items.loc[i["itemId"], "YEAR"] < items.loc["7", "YEAR"] for i in shown)
