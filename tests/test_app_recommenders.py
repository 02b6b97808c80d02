"""Domain recommenders in the console under AppTest: the picker, their details, one test form per
use case (user-based, item-based with a user, popular) and results without scores; local and live
(stubbed boto3)."""

from __future__ import annotations

from pathlib import Path

from botocore.exceptions import ClientError
from streamlit.testing.v1 import AppTest

from scoring import arns
from scoring.local_group import open_group
from tests.app_support import LIVE_GROUP, WHEN, LiveAws, errors_of, needs_demo, new_app, rendered, table_of

TOP_PICKS = arns.local_arn("recommender", "demo-top-picks")
WATCHED_X = arns.local_arn("recommender", "demo-because-you-watched-x")
TRENDING = arns.local_arn("recommender", "demo-trending-now")
LIVE_RECOMMENDER = "arn:aws:personalize:us-east-1:123456789012:recommender/movies-top-picks"
NO_SCORES = "no scores for domain recommenders"

pytestmark = needs_demo


def submit(at: AppTest) -> AppTest:
    return at.button(key="submit").click().run()


def details_of(at: AppTest) -> dict[str, str]:
    frame = table_of(at, "Field")
    return dict(zip(frame["Field"], frame["Value"], strict=True))


def test_the_picker_lists_the_demo_recommenders_after_its_campaigns() -> None:
    at = new_app().run()
    picker = at.selectbox(key="campaign_arn")
    assert picker.label == "Campaign or recommender (4 + 5)"
    assert picker.options[4:] == ["demo-because-you-watched-x · Because you watched X",
                                  "demo-more-like-x · More like X", "demo-most-popular · Most popular",
                                  "demo-top-picks · Top picks for you", "demo-trending-now · Trending now"]


def test_because_you_watched_x_takes_an_item_and_a_user_and_shows_no_scores() -> None:
    at = new_app().run()
    at.selectbox(key="campaign_arn").set_value(WATCHED_X).run()
    assert at.text_input(key="user_id").label == "User ID"
    at.text_input(key="item_id").input("42")
    submit(at)
    assert not at.exception and not errors_of(at)
    table = table_of(at)
    assert len(table) == 25 and table["Score"].isna().all()
    assert any(NO_SCORES in c.value for c in at.caption)


def test_because_you_watched_x_without_an_item_says_so() -> None:
    at = new_app().run()
    at.selectbox(key="campaign_arn").set_value(WATCHED_X).run()
    submit(at)
    assert any("Enter an item ID: this recommender" in e for e in errors_of(at))


def test_top_picks_asks_for_a_user_only() -> None:
    at = new_app().run()
    at.selectbox(key="campaign_arn").set_value(TOP_PICKS).run()
    assert "item_id" not in [w.key for w in at.text_input]
    submit(at)  # the demo's user 1 is prefilled
    assert not at.exception and not errors_of(at)
    assert table_of(at)["Score"].isna().all()


def test_trending_now_takes_an_optional_user_and_offers_no_promotion() -> None:
    at = new_app().run()
    at.selectbox(key="campaign_arn").set_value(TRENDING).run()
    assert at.text_input(key="user_id").label == "User ID (optional)"
    assert "promo_filter_arn" not in [w.key for w in at.selectbox]
    at.text_input(key="user_id").input("")
    submit(at)
    assert not at.exception and not errors_of(at)
    assert len(table_of(at)) == 25


def test_recommender_details_show_the_use_case_and_domain() -> None:
    at = new_app().run()
    at.selectbox(key="campaign_arn").set_value(TOP_PICKS).run()
    at.switch_page("pages/campaign.py").run()
    assert not at.exception and not errors_of(at)
    details = details_of(at)
    assert details["Use case"] == "Top picks for you (aws-vod-top-picks)"
    assert details["Domain"] == "VIDEO_ON_DEMAND"
    assert details["Minimum recommendation requests per second"] == "1"
    assert {"coverage", "precision_at_5"} <= set(table_of(at, "Metric")["Name"])
    assert [s.value for s in at.subheader][:3] == ["Recommender details", "Recommender configuration",
                                                   "Recommender metrics"]


def _queue_live_recommender(live_aws: LiveAws) -> None:
    control = live_aws.control_stub
    control.add_response("list_campaigns", {"campaigns": []}, {"maxResults": 100})
    control.add_response("list_recommenders", {"recommenders": [{
        "name": "movies-top-picks", "recommenderArn": LIVE_RECOMMENDER, "datasetGroupArn": LIVE_GROUP,
        "recipeArn": "arn:aws:personalize:::recipe/aws-vod-top-picks", "status": "ACTIVE",
        "creationDateTime": WHEN, "lastUpdatedDateTime": WHEN}]}, {"maxResults": 100})
    control.add_response("describe_recommender", {"recommender": {
        "name": "movies-top-picks", "recommenderArn": LIVE_RECOMMENDER, "datasetGroupArn": LIVE_GROUP,
        "recipeArn": "arn:aws:personalize:::recipe/aws-vod-top-picks", "status": "ACTIVE",
        "recommenderConfig": {"minRecommendationRequestsPerSecond": 3},
        "modelMetrics": {"precision_at_5": 0.12}, "creationDateTime": WHEN}},
        {"recommenderArn": LIVE_RECOMMENDER})
    control.add_response("describe_dataset_group", {"datasetGroup": {
        "name": "movies", "datasetGroupArn": LIVE_GROUP, "status": "ACTIVE", "domain": "VIDEO_ON_DEMAND"}},
        {"datasetGroupArn": LIVE_GROUP})


def test_a_live_recommender_is_listed_described_and_called_with_its_arn(live_aws: LiveAws) -> None:
    _queue_live_recommender(live_aws)
    live_aws.runtime_stub.add_response(
        "get_recommendations", {"itemList": [{"itemId": "i-1"}, {"itemId": "i-2"}], "recommendationId": "R"},
        {"recommenderArn": LIVE_RECOMMENDER, "userId": "u-1", "numResults": 25})
    at = new_app()
    at.query_params["source"] = "aws"
    at.run()
    assert not at.exception and not errors_of(at)
    assert at.selectbox(key="campaign_arn").options == ["movies-top-picks · Top picks for you"]
    assert any("VIDEO_ON_DEMAND" in rendered(c.value) for c in at.caption)  # the header names the domain
    at.text_input(key="user_id").input("u-1")
    submit(at)
    assert not at.exception and not errors_of(at)
    assert table_of(at)["Item ID"].tolist() == ["i-1", "i-2"]
    assert any(NO_SCORES in c.value for c in at.caption)
    live_aws.runtime_stub.assert_no_pending_responses()


def test_campaigns_still_list_when_list_recommenders_is_denied(live_aws: LiveAws) -> None:
    denied = ClientError({"Error": {"Code": "AccessDeniedException", "Message": "no"}}, "ListRecommenders")
    live_aws.queue_campaign(paged=False, recommenders=denied)
    at = new_app()
    at.query_params["source"] = "aws"
    at.run()
    assert not at.exception and not errors_of(at)
    assert at.selectbox(key="campaign_arn").options == ["movies-live", "movies-ranking"]
    assert any("Recommenders could not be listed (AccessDeniedException)" in rendered(c.value) for c in at.caption)


# -- the analysis pages accept a recommender wherever they accept a campaign ---------------------
def _on(page: str, recommender: str) -> AppTest:
    at = new_app().run()
    at.selectbox(key="campaign_arn").set_value(recommender).run()
    return at.switch_page(page).run()


def test_compare_puts_a_recommender_beside_a_campaign() -> None:
    at = new_app().run().switch_page("pages/compare.py").run()
    assert "demo-top-picks · Top picks for you" in at.selectbox(key="cmp_b_campaign").options
    at.selectbox(key="cmp_b_campaign").set_value(TOP_PICKS).run()
    at.button(key="cmp_submit").click().run()
    assert not at.exception and not errors_of(at)
    assert len(at.dataframe[1].value) == 25  # side B: the recommender's list
    assert any(m.label.startswith("Overlap@10") for m in at.metric)


def test_the_health_check_runs_a_user_based_recommender() -> None:
    at = _on("pages/health_check.py", TOP_PICKS)
    at.slider(key="health_size").set_value(30)
    at.button(key="health_run").click().run()
    for _ in range(10):
        if not at.get("progress"):
            break
        at.run()
    assert not at.exception and not errors_of(at)
    assert "demo-top-picks" in table_of(at, "Metric").columns


def test_the_health_check_says_why_it_cannot_run_because_you_watched_x() -> None:
    at = _on("pages/health_check.py", WATCHED_X)
    assert not at.exception and not errors_of(at)
    assert any("needs a user and an item in every request" in i.value for i in at.info)
    assert "health_run" not in [b.key for b in at.button]


def test_score_normalisation_says_recommenders_have_no_scores() -> None:
    at = _on("pages/score_normalisation.py", TOP_PICKS)
    assert not at.exception and not errors_of(at)
    shown = [rendered(x.value) for x in (*at.info, *at.warning, *at.markdown, *at.caption)]
    assert any("returns no scores for domain recommenders" in s for s in shown), shown


def test_top_picks_react_to_a_recorded_event(demo_dir: Path) -> None:
    """Top picks for you is real-time (PERSONALIZE.md): the Record events panel is offered and the
    next list already reflects the event."""
    user = "78"  # no other test asks for this demo user
    store = open_group(demo_dir).events
    store.clear(user)
    try:
        at = new_app().run()
        at.selectbox(key="campaign_arn").set_value(TOP_PICKS).run()
        at.text_input(key="user_id").input(user)
        submit(at)
        before = table_of(at)["Item ID"].tolist()
        at.selectbox(key="rec_item").set_value(before[0])
        at.selectbox(key="rec_event_type").set_value("watch")
        at.button(key="record_event").click().run()
        assert not at.exception and not errors_of(at)
        assert table_of(at)["Item ID"].tolist() != before
    finally:
        store.clear(user)


def test_more_like_x_offers_no_record_events_panel() -> None:
    at = new_app().run()
    at.selectbox(key="campaign_arn").set_value(arns.local_arn("recommender", "demo-more-like-x")).run()
    at.text_input(key="item_id").input("42")
    submit(at)
    assert not at.exception and not errors_of(at)
    assert "record_event" not in [b.key for b in at.button]


def test_local_campaigns_are_labelled_with_their_recipe() -> None:
    options = new_app().run().selectbox(key="campaign_arn").options
    assert options[:4] == ["demo-personalized-ranking · Personalized-Ranking-v2",
                           "demo-popular-items · Popularity-Count", "demo-related-items · SIMS",
                           "demo-user-personalization · User-Personalization-v2"]
