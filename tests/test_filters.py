"""The filter-expression language: parser, checks, filter values, and evaluation on demo and generated data."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import scoring
from scoring import arns, dataset, filters
from scoring.filters import FilterError

REC = arns.local_arn("campaign", "demo-user-personalization")
GENRES = ("Action", "Comedy", "Drama", "Horror")


# -- demo data as filters see it ------------------------------------------------------------------
@pytest.fixture(scope="module")
def demo(demo_dir: Path) -> filters.Evaluator:
    """The demo group's data with a PRICE column added, for PERSONALIZE.md's price example."""
    items = dataset.load_items(demo_dir)
    assert items is not None
    items = items.assign(PRICE=(items["ITEM_ID"].astype(int) % 50) + 0.99)
    model = scoring.client("personalize-runtime", demo_dir).group.model
    data = filters.FilterData(model.item_ids, items, lambda: dataset.load_users(demo_dir),
                              lambda: dataset.load_interactions(demo_dir))
    return filters.Evaluator(data)


@pytest.fixture(scope="module")
def frames(demo_dir: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    items = dataset.load_items(demo_dir)
    assert items is not None
    return items.set_index("ITEM_ID", drop=False), dataset.load_interactions(demo_dir)


def passing(evaluator: filters.Evaluator, text: str, values: dict[str, str] | None = None,
            user: str | None = "1") -> set[str]:
    mask = evaluator.mask(text, values, user).mask
    return set(evaluator.data.item_ids[mask].tolist())


def recent(interactions: pd.DataFrame, user: str, events: set[str]) -> set[str]:
    mine = interactions[interactions["USER_ID"] == user]
    mine = mine[mine["EVENT_TYPE"].str.lower().isin(events)]
    mine = mine.sort_values("TIMESTAMP", ascending=False).groupby("EVENT_TYPE").head(filters.RECENT_INTERACTIONS)
    return set(mine["ITEM_ID"])


# -- every example of PERSONALIZE.md ---------------------------------------------------------------
def test_exclude_clicked_or_streamed(demo: filters.Evaluator, frames: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    items, interactions = frames
    kept = passing(demo, 'EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("click", "stream")')
    clicked = recent(interactions, "1", {"click", "stream"})
    assert clicked and kept == set(demo.data.item_ids) - clicked


def test_include_genres_parameter(demo: filters.Evaluator, frames: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    items, _ = frames
    kept = passing(demo, "INCLUDE ItemID WHERE Items.GENRES IN ($GENRES)", {"GENRES": '"Action","Comedy"'})
    expected = {i for i, g in zip(items["ITEM_ID"], items["GENRES"], strict=True)
                if set(g.split("|")) & {"Action", "Comedy"}}
    assert kept == expected and 0 < len(kept) < len(items)


def test_include_price_at_most(demo: filters.Evaluator) -> None:
    items = demo.data.items
    assert items is not None
    kept = passing(demo, "INCLUDE ItemID WHERE Items.PRICE <= $PRICE", {"PRICE": "10"})
    assert kept == set(items.index[items["PRICE"] <= 10]) and kept


def test_include_genre_minus_purchased(demo: filters.Evaluator, frames: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    text = ('INCLUDE ItemID WHERE Items.GENRES IN ($GENRE) | '
            'EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("purchase")')
    comedy = passing(demo, "INCLUDE ItemID WHERE Items.GENRES IN ($GENRE)", {"GENRE": '"Comedy"'})
    # The demo has no purchase events: the exclude removes nothing...
    assert passing(demo, text, {"GENRE": '"Comedy"'}) == comedy
    # ... and with "watch" (any case) it removes exactly the user's watched comedies.
    watched = recent(frames[1], "1", {"watch"})
    both = text.replace('"purchase"', '"WATCH"')
    assert passing(demo, both, {"GENRE": '"Comedy"'}) == comedy - watched


def test_star_means_every_event_type(demo: filters.Evaluator, frames: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    kept = passing(demo, "EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN (*)")
    assert kept == set(demo.data.item_ids) - recent(frames[1], "1", {"click", "watch"})


def test_if_current_user_applies_only_to_matching_users(demo: filters.Evaluator, demo_dir: Path) -> None:
    users = dataset.load_users(demo_dir)
    assert users is not None
    young = users.loc[users["AGE_GROUP"] == "18-24", "USER_ID"].iloc[0]
    older = users.loc[users["AGE_GROUP"] != "18-24", "USER_ID"].iloc[0]
    text = 'EXCLUDE ItemID WHERE Items.GENRES IN ("Horror") IF CurrentUser.AGE_GROUP IN ("18-24")'
    horror = passing(demo, 'INCLUDE ItemID WHERE Items.GENRES IN ("Horror")')
    assert passing(demo, text, user=young) == set(demo.data.item_ids) - horror
    assert passing(demo, text, user=older) == set(demo.data.item_ids)
    assert passing(demo, text, user="nobody-knows-me") == set(demo.data.item_ids)


def test_and_or_and_not_in(demo: filters.Evaluator) -> None:
    items = demo.data.items
    assert items is not None
    text = 'INCLUDE ItemID WHERE Items.GENRES IN ("Drama") AND Items.YEAR >= 2020 OR Items.GENRES NOT IN ("Drama", "Comedy", "Action", "Thriller", "Romance", "Crime", "Sci-Fi", "Horror", "Adventure", "Family", "Animation")'
    genres = items["GENRES"].str.split("|")
    drama_recent = genres.map(lambda g: "Drama" in g) & (items["YEAR"] >= 2020)
    documentaries = genres.map(lambda g: set(g) <= {"Documentary"})
    assert passing(demo, text) == set(items.index[drama_recent | documentaries])


def test_exclude_without_its_parameter_is_skipped_include_is_refused(demo: filters.Evaluator) -> None:
    assert passing(demo, "EXCLUDE ItemID WHERE Items.GENRES IN ($GENRES)") == set(demo.data.item_ids)
    with pytest.raises(FilterError, match=r"needs a value for \$GENRES"):
        demo.mask("INCLUDE ItemID WHERE Items.GENRES IN ($GENRES)", {}, "1")


def test_unknown_items_pass_only_without_an_include(demo: filters.Evaluator) -> None:
    rows = np.array([0, -1])
    assert demo.mask("EXCLUDE ItemID WHERE Items.YEAR < 1900", None, "1").passes(rows).tolist() == [True, True]
    include = demo.mask("INCLUDE ItemID WHERE Items.YEAR > 1900", None, "1")
    assert include.passes(rows).tolist() == [True, False]


def test_masks_are_cached_and_read_only(demo: filters.Evaluator) -> None:
    a = demo.mask("INCLUDE ItemID WHERE Items.YEAR >= $YEAR", {"YEAR": "2020"}, "1")
    b = demo.mask("INCLUDE ItemID WHERE Items.YEAR >= $YEAR", {"YEAR": "2020"}, "2")
    assert a is b  # an Items-only filter does not depend on the user
    with pytest.raises(ValueError):
        a.mask[0] = not a.mask[0]


# -- ten malformed expressions, ten messages -------------------------------------------------------
MALFORMED = [
    ('INCLUDE ItemID Items.GENRES IN ("Comedy")', r"Missing WHERE at column 16"),
    ('INCLUDE ItemID WHERE Item.GENRES IN ("Comedy")', r'Unknown dataset "Item" at column 22'),
    ('INCLUDE ItemID WHERE Items.GENRE IN ("Comedy")', r"Items has no field GENRE \(column 22\); its fields are: "
                                                       r"TITLE, GENRES"),
    ('INCLUDE ItemID WHERE CurrentUser.AGE_GROUP IN ("18-24")', r"CurrentUser.AGE_GROUP at column 22 can only be "
                                                                r"used in the IF condition"),
    ('INCLUDE ItemID WHERE Items.GENRES IN ("Comedy") AND Interactions.EVENT_TYPE IN ("watch")',
     r"Interactions.EVENT_TYPE at column 53 mixes Interactions with Items"),
    ("INCLUDE ItemID WHERE Items.YEAR == 2000", r'Unknown operator "==" at column 33'),
    ('INCLUDE ItemID WHERE Items.GENRES IN ("Comedy)', r"Unterminated string at column 39"),
    ("INCLUDE ItemID WHERE Items.GENRES IN ()", r"Items.GENRES IN \(\) at column 22 has no values"),
    ('INCLUDE ItemID WHERE Items.GENRES IN ("a") AND Items.TITLE IN ("b") OR Items.YEAR > 1 | '
     'EXCLUDE ItemID WHERE Items.CREATION_TIMESTAMP < 5 OR Items.PRICE > 3 | '
     'INCLUDE ItemID WHERE Items.ITEM_KIND IN ("c")', r"at most 5 distinct fields; this one uses 6"),
    ('INCLUDE ItemID WHERE Items.TITLE < 5', r"Items.TITLE at column 22 is not a number field, so < cannot"),
    ('INCLUDE ItemID WHERE Interactions.DEVICE IN ("tablet")', r"interactions can be filtered by EVENT_TYPE only"),
    ('INCLUDE ItemID WHERE Items.GENRES ("Comedy")', r"Expected an operator \(IN, NOT IN, =, <, <=, >, >=\) "
                                                     r"at column 35"),
    ('INCLUDE ItemID WHERE Items.GENRES IN (Comedy)', r"Expected .*a quoted value.* at column 39, found \"Comedy\""),
    ("INCLUDE ItemID WHERE Items.YEAR > \"2000\"", r"Comparisons take a number or a \$PARAMETER"),
    ('INCLUDE ItemID WHERE Items.GENRES IN ("Comedy") IF Items.YEAR > 3', r"The IF condition checks the current "
                                                                            r"user only"),
    ('', r"The filter expression is empty"),
]


@pytest.mark.parametrize("text, message", MALFORMED, ids=[f"malformed-{i}" for i in range(len(MALFORMED))])
def test_malformed_expression_gets_a_clear_message(demo: filters.Evaluator, text: str, message: str) -> None:
    with pytest.raises(FilterError, match=message):
        demo.compile(text)


def test_messages_are_distinct() -> None:
    messages = set()
    schema = filters.Schema(items={"GENRES": False, "TITLE": False, "YEAR": True, "CREATION_TIMESTAMP": True},
                            users={"AGE_GROUP": False})
    for text, _ in MALFORMED:
        with pytest.raises(FilterError) as caught:
            filters.compile_filter(text, schema)
        messages.add(str(caught.value))
    assert len(messages) == len(MALFORMED)


def test_client_turns_a_malformed_filter_into_invalid_input(tmp_path: Path, demo_dir: Path) -> None:
    control = scoring.client("personalize", demo_dir)
    with pytest.raises(control.exceptions.InvalidInputException, match="Missing WHERE"):
        control.create_filter(name="broken", datasetGroupArn=control.group.arn,
                              filterExpression='EXCLUDE ItemID Interactions.EVENT_TYPE IN ("watch")')


# -- filter values ----------------------------------------------------------------------------------
@pytest.mark.parametrize("raw, values", [
    ('"Action"', ["Action"]), ('"Action","Comedy"', ["Action", "Comedy"]),
    (' "Action" , "Sci-Fi" ', ["Action", "Sci-Fi"]), ('"a b","c,d"', ["a b", "c,d"]),
])
def test_quoted_filter_values(raw: str, values: list[str]) -> None:
    assert filters.parse_list_value("G", raw) == values


@pytest.mark.parametrize("raw", ["Action", '"Action",Comedy', '"Action",', '"Action" "Comedy"', "", '"Action'])
def test_unquoted_filter_values_are_refused(raw: str) -> None:
    with pytest.raises(FilterError, match="double-quoted values separated by commas"):
        filters.parse_list_value("G", raw)


def test_console_text_to_filter_values_and_back() -> None:
    assert filters.filter_values_from_text("Action, Sci-Fi ,, ") == '"Action","Sci-Fi"'
    assert filters.filter_values_from_text(" 2000 ", filters.NUMBER) == "2000"
    assert filters.filter_values_from_text("") == ""
    assert filters.text_from_filter_value('"Action","Sci-Fi"') == "Action, Sci-Fi"
    with pytest.raises(FilterError, match="double quote"):
        filters.filter_values_from_text('Act"ion')
    with pytest.raises(FilterError, match="must be a number"):
        filters.filter_values_from_text("soon", filters.NUMBER)


def test_parameters_know_their_kind_and_whether_required() -> None:
    params = filters.parameters_of("INCLUDE ItemID WHERE Items.GENRES IN ($G) | "
                                   "EXCLUDE ItemID WHERE Items.YEAR < $Y")
    assert params == (filters.Parameter("G", filters.LIST, True), filters.Parameter("Y", filters.NUMBER, False))
    # A live filter this parser refuses still shows its parameters.
    guess = filters.parameters_of("INCLUDE ItemID WHERE Items.PRICE <> CurrentItem.PRICE AND Items.G IN ($G)")
    assert [p.name for p in guess] == ["G"]


# -- properties on generated data -----------------------------------------------------------------
@st.composite
def small_groups(draw: st.DrawFn) -> tuple[pd.DataFrame, pd.DataFrame]:
    n = draw(st.integers(3, 30))
    genres = [draw(st.lists(st.sampled_from(GENRES), min_size=1, max_size=3, unique=True)) for _ in range(n)]
    items = pd.DataFrame({"ITEM_ID": [f"i{k}" for k in range(n)], "GENRES": ["|".join(g) for g in genres],
                          "YEAR": draw(st.lists(st.integers(1990, 2025), min_size=n, max_size=n))})
    events = draw(st.lists(st.tuples(st.sampled_from(["u1", "u2"]), st.integers(0, n - 1),
                                     st.sampled_from(["click", "Watch", "rate"]), st.integers(0, 10**6)),
                           max_size=60))
    interactions = pd.DataFrame(events, columns=["USER_ID", "ITEM", "EVENT_TYPE", "TIMESTAMP"])
    interactions["ITEM_ID"] = "i" + interactions["ITEM"].astype(str)
    return items, interactions.drop(columns="ITEM")


def _evaluator(items: pd.DataFrame, interactions: pd.DataFrame) -> filters.Evaluator:
    data = filters.FilterData(items["ITEM_ID"].to_numpy(), items, lambda: None, lambda: interactions)
    return filters.Evaluator(data)


@settings(max_examples=60, deadline=None)
@given(small_groups(), st.lists(st.sampled_from(GENRES), min_size=1, max_size=3, unique=True))
def test_include_results_are_exactly_the_matching_items(group: tuple[pd.DataFrame, pd.DataFrame],
                                                        wanted: list[str]) -> None:
    items, interactions = group
    evaluator = _evaluator(items, interactions)
    values = {"G": ",".join(f'"{g}"' for g in wanted)}
    kept = passing(evaluator, "INCLUDE ItemID WHERE Items.GENRES IN ($G)", values, "u1")
    matching = {i for i, g in zip(items["ITEM_ID"], items["GENRES"], strict=True) if set(g.split("|")) & set(wanted)}
    assert kept <= matching and kept == matching


@settings(max_examples=60, deadline=None)
@given(small_groups(), st.lists(st.sampled_from(["click", "watch", "RATE"]), min_size=1, max_size=3, unique=True),
       st.sampled_from(["u1", "u2", "u3"]))
def test_exclude_removes_every_matching_item(group: tuple[pd.DataFrame, pd.DataFrame], events: list[str],
                                             user: str) -> None:
    items, interactions = group
    evaluator = _evaluator(items, interactions)
    listed = ", ".join(f'"{e}"' for e in events)
    kept = passing(evaluator, f"EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ({listed})", None, user)
    touched = recent(interactions, user, {e.lower() for e in events})
    assert not kept & touched and kept | touched == set(items["ITEM_ID"])


@settings(max_examples=40, deadline=None)
@given(small_groups(), st.sampled_from(GENRES), st.integers(1990, 2025))
def test_pipe_is_union_of_includes_minus_union_of_excludes(group: tuple[pd.DataFrame, pd.DataFrame],
                                                           genre: str, year: int) -> None:
    items, interactions = group
    evaluator = _evaluator(items, interactions)
    a = f'INCLUDE ItemID WHERE Items.GENRES IN ("{genre}")'
    b = f"INCLUDE ItemID WHERE Items.YEAR >= {year}"
    c = 'EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("click")'
    combined = passing(evaluator, f"{a} | {c} | {b}", None, "u1")
    everything = set(items["ITEM_ID"])
    removed = everything - passing(evaluator, c, None, "u1")
    assert combined == (passing(evaluator, a, None, "u1") | passing(evaluator, b, None, "u1")) - removed


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(GENRES), min_size=1, max_size=2, unique=True), st.integers(1, 60),
       st.sampled_from(["1", "2", "17", "nobody-knows-me"]))
def test_filters_never_change_relative_scores(demo_dir: Path, wanted: list[str], num: int, user: str) -> None:
    runtime = scoring.client("personalize-runtime", demo_dir)
    ids, scores = runtime.catalogue_scores(campaignArn=REC, userId=user)  # type: ignore[misc]
    catalogue = dict(zip(ids.tolist(), scores.tolist(), strict=True))
    values = {"GENRES": ",".join(f'"{g}"' for g in wanted)}
    items = runtime.get_recommendations(campaignArn=REC, userId=user, numResults=num,
                                        filterArn=arns.local_arn("filter", "genre"), filterValues=values)["itemList"]
    assert len(items) == num
    for item in items:
        assert item["score"] == pytest.approx(catalogue[item["itemId"]], rel=1e-9)
    # Nothing that passes the filter and scores higher was left out.
    lowest = min(i["score"] for i in items)
    genres = runtime.group.items["GENRES"]
    better = [i for i, s in catalogue.items() if s > lowest * (1 + 1e-9) and set(genres[i].split("|")) & set(wanted)]
    assert set(better) <= {i["itemId"] for i in items}


def test_a_link_carries_filter_promotion_and_metadata() -> None:
    from scoring import shareable

    params = {"campaignArn": REC, "userId": "1", "numResults": 10, "filterArn": arns.local_arn("filter", "genre"),
              "filterValues": {"GENRES": '"Comedy","Sci-Fi"'},
              "promotions": [{"name": "p", "percentPromotedItems": 20, "filterArn": arns.local_arn("filter", "x"),
                              "filterValues": {"YEAR": "2020"}}],
              "metadataColumns": {"ITEMS": ["TITLE", "YEAR"]}}
    state = shareable.SharedState(**shareable.request_state(params))  # type: ignore[arg-type]
    query = shareable.to_query_params(state)
    assert query["fv"] == ['GENRES="Comedy","Sci-Fi"'] and query["pp"] == "20" and query["meta"] == "TITLE,YEAR"
    back = shareable.from_query_params({k: [v] if isinstance(v, str) else v for k, v in query.items()})
    assert back == state
    assert filters.text_from_filter_value(dict(back.filter_values)["GENRES"]) == "Comedy, Sci-Fi"


def test_an_older_demo_build_gets_the_demo_filters_without_retraining(demo_dir: Path, tmp_path: Path) -> None:
    import json
    import shutil

    from scoring import demo

    group = tmp_path / "demo"
    shutil.copytree(demo_dir, group, ignore=shutil.ignore_patterns(".*"))
    config = json.loads((group / "campaigns.json").read_text())
    mine = {"name": "mine", "filterExpression": "INCLUDE ItemID WHERE Items.YEAR > 2000", "createdAt": 1}
    old = {k: v for k, v in config.items() if k != "demoConfigVersion"} | {"filters": [mine]}
    (group / "campaigns.json").write_text(json.dumps(old))
    model_time = (group / "model.npz").stat().st_mtime_ns
    demo.refresh_config(group)
    names = [f["name"] for f in json.loads((group / "campaigns.json").read_text())["filters"]]
    assert names == ["exclude-watched", "genre", "recent-years", "mine"]
    assert (group / "model.npz").stat().st_mtime_ns == model_time
    # Once current, a user's deletion of a demo filter sticks; an unchanged file is not rewritten.
    scoring.client("personalize", group).delete_filter(filterArn=arns.local_arn("filter", "genre"))
    written = (group / "campaigns.json").stat().st_mtime_ns
    demo.refresh_config(group)
    assert "genre" not in [f["name"] for f in json.loads((group / "campaigns.json").read_text())["filters"]]
    assert (group / "campaigns.json").stat().st_mtime_ns == written


# -- CurrentItem: the request's item (related-items recipes) ----------------------------------------
def _current(evaluator: filters.Evaluator, item: str) -> pd.Series:
    items = evaluator.data.items
    assert items is not None
    return items.loc[item]


def test_documented_current_item_example_cheaper_and_same_genre(demo_dir: Path) -> None:
    """The guide's example, on the demo items with PRICE and a one-genre GENRE column added."""
    items = dataset.load_items(demo_dir)
    assert items is not None
    items = items.assign(PRICE=(items["ITEM_ID"].astype(int) % 50) + 0.99, GENRE=items["GENRES"].str.split("|").str[0])
    evaluator = filters.Evaluator(filters.FilterData(items["ITEM_ID"].to_numpy(), items, lambda: None, lambda: None))
    text = "INCLUDE ItemID WHERE Items.PRICE < CurrentItem.PRICE AND Items.GENRE IN CurrentItem.GENRE"
    current = items.set_index("ITEM_ID").loc["42"]
    kept = set(evaluator.data.item_ids[evaluator.mask(text, None, None, item_id="42").mask])
    expected = set(items.loc[(items["PRICE"] < current["PRICE"]) & (items["GENRE"] == current["GENRE"]), "ITEM_ID"])
    assert kept == expected and 0 < len(kept) < len(items)


def test_issue_example_older_than_the_current_item(demo: filters.Evaluator) -> None:
    items = demo.data.items
    assert items is not None
    year = _current(demo, "7")["YEAR"]
    kept = set(demo.data.item_ids[demo.mask("INCLUDE ItemID WHERE Items.YEAR < CurrentItem.YEAR", None, None,
                                            item_id="7").mask])
    assert kept == set(items.index[items["YEAR"] < year]) and kept


def test_multi_valued_current_item_matches_any_shared_value(demo: filters.Evaluator) -> None:
    items = demo.data.items
    assert items is not None
    genres = set(str(_current(demo, "3")["GENRES"]).split("|"))
    kept = set(demo.data.item_ids[demo.mask("EXCLUDE ItemID WHERE Items.GENRES IN CurrentItem.GENRES", None, None,
                                            item_id="3").mask])
    assert kept == {i for i, g in zip(items.index, items["GENRES"], strict=True) if not set(g.split("|")) & genres}


def test_current_item_joins_parameters_and_other_expressions(demo: filters.Evaluator) -> None:
    items = demo.data.items
    assert items is not None
    text = ('INCLUDE ItemID WHERE Items.GENRES IN CurrentItem.GENRES AND Items.YEAR >= $YEAR | '
            'INCLUDE ItemID WHERE Items.GENRES IN ("Horror")')
    genres = set(str(_current(demo, "3")["GENRES"]).split("|"))
    kept = set(demo.data.item_ids[demo.mask(text, {"YEAR": "2010"}, None, item_id="3").mask])
    assert kept == {i for i, g, y in zip(items.index, items["GENRES"], items["YEAR"], strict=True)
                    if (set(g.split("|")) & genres and y >= 2010) or "Horror" in g.split("|")}


def test_each_current_item_gets_its_own_mask(demo: filters.Evaluator) -> None:
    text = "INCLUDE ItemID WHERE Items.YEAR = CurrentItem.YEAR"
    years = {_current(demo, i)["YEAR"] for i in ("1", "2")}
    assert len(years) == 2
    one, two = (demo.mask(text, None, None, item_id=i).mask for i in ("1", "2"))
    assert one.any() and two.any() and not (one & two).any()


def test_an_unknown_current_item_has_no_values_so_nothing_matches(demo: filters.Evaluator) -> None:
    assert not demo.mask("INCLUDE ItemID WHERE Items.YEAR < CurrentItem.YEAR", None, None,
                         item_id="no-such-item").mask.any()
    assert demo.mask("EXCLUDE ItemID WHERE Items.GENRES IN CurrentItem.GENRES", None, None,
                     item_id="no-such-item").mask.all()


def test_current_item_without_an_item_is_refused_with_why(demo: filters.Evaluator) -> None:
    with pytest.raises(FilterError, match=r"compares with CurrentItem, which is the request's itemId: CurrentItem "
                                          r"filters apply only to .*related-items recipes"):
        demo.mask("INCLUDE ItemID WHERE Items.YEAR < CurrentItem.YEAR", None, "1")


CURRENT_ITEM_MISUSE = [
    ("INCLUDE ItemID WHERE CurrentItem.YEAR < 2000", r"CurrentItem.YEAR at column 22 stands for a value of the "
                                                     r"request's item: put it after the operator"),
    ("EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN CurrentItem.GENRES",
     r"only an Items field can use it, not Interactions.EVENT_TYPE"),
    ('INCLUDE ItemID WHERE Items.GENRES IN ("Drama") IF CurrentUser.AGE_GROUP IN CurrentItem.GENRES',
     r"only an Items field can use it, not CurrentUser.AGE_GROUP"),
    ("INCLUDE ItemID WHERE Items.YEAR < CurrentItem.PRICE_EUR", r"CurrentItem.PRICE_EUR at column 35: Items has no "
                                                                r"field PRICE_EUR"),
    ("INCLUDE ItemID WHERE Items.YEAR < CurrentItem.TITLE", r"CurrentItem.TITLE at column 35 is not a number field"),
    ("INCLUDE ItemID WHERE Items.GENRES IN Items.GENRES", r"Items.GENRES at column 38 cannot stand for a value: only "
                                                          r"CurrentItem"),
]


@pytest.mark.parametrize("text, message", CURRENT_ITEM_MISUSE, ids=[f"misuse-{i}" for i in range(len(CURRENT_ITEM_MISUSE))])
def test_current_item_misuse_gets_a_clear_message(demo: filters.Evaluator, text: str, message: str) -> None:
    with pytest.raises(FilterError, match=message):
        demo.compile(text)


@settings(max_examples=60, deadline=None)
@given(small_groups(), st.data())
def test_current_item_genres_and_year_match_a_direct_comparison(group: tuple[pd.DataFrame, pd.DataFrame],
                                                                 data: st.DataObject) -> None:
    items, interactions = group
    evaluator = _evaluator(items, interactions)
    row = data.draw(st.integers(0, len(items) - 1))
    current = items.iloc[row]
    text = "INCLUDE ItemID WHERE Items.GENRES IN CurrentItem.GENRES AND Items.YEAR <= CurrentItem.YEAR"
    kept = set(evaluator.data.item_ids[evaluator.mask(text, None, "u1", item_id=str(current["ITEM_ID"])).mask])
    genres = set(current["GENRES"].split("|"))
    assert kept == {i for i, g, y in zip(items["ITEM_ID"], items["GENRES"], items["YEAR"], strict=True)
                    if set(g.split("|")) & genres and y <= current["YEAR"]}
    assert str(current["ITEM_ID"]) in kept  # an item always shares its own genres and year


# -- action filters: PERSONALIZED_ACTIONS only -------------------------------------------------------
#: Every example of the guide's "Action recommendation filter expression examples".
ACTION_EXAMPLES = [
    "INCLUDE ActionID WHERE Action_Interactions.EVENT_TYPE IN ($EVENT_TYPE)",
    'EXCLUDE ActionID WHERE Action_Interactions.EVENT_TYPE IN ("NOT_TAKEN")',
    "EXCLUDE ActionID WHERE Actions.CATEGORY IN ($CATEGORY)",
    "INCLUDE ActionID WHERE Actions.VALUE > ($VALUE)",
    'INCLUDE ActionID WHERE Action.MEMBERSHIP_LEVEL IN ("Premium") IF CurrentUser.MEMBERSHIP = $PREMIUM',
    "EXCLUDE ActionID WHERE Actions.VALUE < ($VALUE) IF CurrentUser.MEMBERSHIP = $PREMIUM",
    # item filters that name an action dataset
    'EXCLUDE ItemID WHERE Action_Interactions.EVENT_TYPE IN ("TAKEN")',
    'INCLUDE ItemID WHERE Actions.CATEGORY IN ("upsell")',
]


@pytest.mark.parametrize("text", ACTION_EXAMPLES, ids=[f"action-{i}" for i in range(len(ACTION_EXAMPLES))])
def test_action_filters_are_refused_as_action_filters(demo: filters.Evaluator, text: str) -> None:
    with pytest.raises(FilterError, match="action filters are for PERSONALIZED_ACTIONS, which local groups do not "
                                          "have") as caught:
        demo.compile(text)
    assert "Expected" not in str(caught.value)  # not a syntax error


def test_action_words_inside_quoted_values_are_only_values(demo: filters.Evaluator) -> None:
    demo.compile('INCLUDE ItemID WHERE Items.GENRES IN ("ActionID", "Actions.VALUE")')
