"""Producing the lists: block path == per-user path, cancellation, the live call path, baselines."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import scoring
from scoring import arns, health_run, recipes
from tests.app_support import stubbed

REC = arns.local_arn("campaign", "demo-user-personalization")
POP = arns.local_arn("campaign", "demo-popular-items")
RANK = arns.local_arn("campaign", "demo-personalized-ranking")
SIMS = arns.local_arn("campaign", "demo-related-items")
LIVE = "arn:aws:personalize:us-east-1:123456789012:campaign/live"

USER_RECIPE = recipes.lookup("aws-user-personalization-v2")
RANKING_RECIPE = recipes.lookup("aws-personalized-ranking-v2")
SIMS_RECIPE = recipes.lookup("aws-sims")


@pytest.fixture(scope="module")
def runtime(demo_dir: Path) -> Any:
    return scoring.client("personalize-runtime", demo_dir)


def per_user(runtime: Any, users: list[str], k: int, context: dict[str, str] | None) -> list[tuple[list, list]]:
    out = []
    for user in users:
        params: dict[str, Any] = {"campaignArn": REC, "userId": user, "numResults": k}
        if context:
            params["context"] = context
        items = runtime.get_recommendations(**params)["itemList"]
        out.append(([i["itemId"] for i in items], [i["score"] for i in items]))
    return out


@pytest.mark.parametrize("context", [None, {"DEVICE": "mobile phone"}, {"DEVICE": "smart tv"},
                                     {"DEVICE": "tablet", "UNKNOWN_KEY": "x"}])
def test_block_path_equals_one_call_per_user(runtime: Any, context: dict[str, str] | None) -> None:
    users = [str(u) for u in runtime.group.model.user_ids] + ["new-1", "never-seen"]
    result = health_run.block_lists(runtime, REC, users, 25, context, block=100)
    assert result.lists.user_ids == users and not result.errors
    for (items, scores), got_items, got_scores in zip(per_user(runtime, users, 25, context),
                                                      result.lists.items, result.lists.scores, strict=True):
        assert got_items == items  # identical lists, order included
        # A matrix product rounds float32 logits differently from a matrix-vector product.
        np.testing.assert_allclose(got_scores, scores, rtol=1e-5)


def test_near_ties_are_recomputed_with_the_single_call_arithmetic(runtime: Any) -> None:
    group = runtime.group
    model = group.model
    users = [str(u) for u in model.user_ids]
    vectors, seen, events = group.user_vectors(users, {"DEVICE": "tablet"})
    _, _, uncertain = health_run.block_top_k(model, vectors, 25, seen, events)
    assert 0 < uncertain.sum() < len(users) // 5  # some rows are too close to call, most are not
    for i, u in enumerate(users):
        np.testing.assert_array_equal(vectors[i], group.user_vector(u, {"DEVICE": "tablet"}))


def test_block_path_k_edge_cases_and_bad_ids(runtime: Any) -> None:
    result = health_run.block_lists(runtime, REC, ["1", "", "x" * 300], 3)
    assert result.lists.user_ids == ["1"] and [e.user_id for e in result.errors] == ["", "x" * 300]
    assert runtime.batch_recommendations(campaignArn=REC, userIds=["1"], numResults=0)["results"][0][
        "output"]["recommendedItems"] == []
    with pytest.raises(runtime.exceptions.InvalidInputException):
        runtime.batch_recommendations(campaignArn=REC, userIds=["1"], numResults=501)
    with pytest.raises(runtime.exceptions.InvalidInputException):
        runtime.batch_recommendations(campaignArn=RANK, userIds=["1"])


def test_popular_campaign_block_path_matches_its_calls(runtime: Any) -> None:
    result = health_run.block_lists(runtime, POP, ["1", "2"], 5)
    call = runtime.get_recommendations(campaignArn=POP, userId="1", numResults=5)["itemList"]
    assert result.lists.items == [[i["itemId"] for i in call]] * 2
    assert result.lists.scores == [[None] * 5] * 2


def test_cancel_between_blocks_keeps_what_was_done(runtime: Any) -> None:
    cancel = threading.Event()
    seen: list[tuple[int, int]] = []

    def progress(done: int, total: int) -> None:
        seen.append((done, total))
        cancel.set()

    users = [str(u) for u in runtime.group.model.user_ids[:50]]
    result = health_run.block_lists(runtime, REC, users, 5, block=10, progress=progress, cancel=cancel)
    assert result.cancelled and len(result.lists) == 10 and seen == [(10, 50)]


def test_call_path_on_the_local_client_equals_the_block_path(runtime: Any) -> None:
    users = [str(u) for u in runtime.group.model.user_ids[:40]] + ["new-9"]
    calls = health_run.call_lists(runtime, USER_RECIPE, REC, users, 10,
                                  {"DEVICE": "desktop"}, workers=4)
    block = health_run.block_lists(runtime, REC, users, 10, {"DEVICE": "desktop"})
    assert calls.lists.user_ids == users and calls.lists.items == block.lists.items


def test_call_path_for_ranking_and_related_items(runtime: Any) -> None:
    ranked = health_run.call_lists(runtime, RANKING_RECIPE, RANK, ["1", "2"], 3,
                                   candidates=["10", "20", "30", "40"], workers=2)
    assert all(len(items) == 3 and set(items) <= {"10", "20", "30", "40"} for items in ranked.lists.items)
    related = health_run.call_lists(runtime, SIMS_RECIPE, SIMS, ["10", "11"], 4, workers=1)
    assert all(len(items) == 4 and scores == [None] * 4
               for items, scores in zip(related.lists.items, related.lists.scores, strict=True))


def test_live_path_collects_per_user_errors_and_keeps_order() -> None:
    client, stub = stubbed("personalize-runtime")
    stub.add_response("get_recommendations", {"itemList": [{"itemId": "a", "score": 0.2}, {"itemId": "b"}]},
                      {"campaignArn": LIVE, "userId": "1", "numResults": 2})
    stub.add_client_error("get_recommendations", "InvalidInputException", "bad user", 400,
                          expected_params={"campaignArn": LIVE, "userId": "2", "numResults": 2})
    stub.add_response("get_recommendations", {"itemList": [{"itemId": "c", "score": 0.0}]},
                      {"campaignArn": LIVE, "userId": "3", "numResults": 2})
    result = health_run.call_lists(client, USER_RECIPE, LIVE, ["1", "2", "3"], 2, workers=1)
    stub.assert_no_pending_responses()
    assert result.lists.user_ids == ["1", "3"] and result.lists.scores == [[0.2, None], [0.0]]
    assert [(e.user_id, e.code) for e in result.errors] == [("2", "InvalidInputException")]


def test_live_thread_pool_cancels_and_reports_progress() -> None:
    class SlowClient:
        def __init__(self) -> None:
            self.calls = 0
            self.lock = threading.Lock()

        def get_recommendations(self, **params: Any) -> dict[str, Any]:
            with self.lock:
                self.calls += 1
            return {"itemList": [{"itemId": params["userId"], "score": 1.0}]}

    client = SlowClient()
    cancel = threading.Event()
    progress: list[int] = []

    def on_progress(done: int, total: int) -> None:
        progress.append(done)
        if done >= 20:
            cancel.set()

    users = [str(u) for u in range(1000)]
    result = health_run.call_lists(client, USER_RECIPE, LIVE, users, 1, workers=4,
                                   progress=on_progress, cancel=cancel)
    assert result.cancelled and 20 <= len(result.lists) < 1000 and client.calls == len(result.lists)
    assert progress == sorted(progress)
    assert result.lists.user_ids == users[:len(result.lists)]  # the users in order, none skipped


class FakeClock:
    """Time that moves only when the code under test sleeps or the test says so."""

    def __init__(self) -> None:
        self.now = 100.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def test_rate_limiter_spaces_a_burst_evenly() -> None:
    clock = FakeClock()
    limiter = health_run.RateLimiter(1000.0, clock=clock, sleep=clock.sleep)
    times = []
    for _ in range(5):
        limiter.acquire()
        times.append(clock.now)
    assert np.allclose(np.diff(times), 0.001) and times[0] == 100.0


def test_rate_limiter_never_waits_for_calls_slower_than_the_rate() -> None:
    clock = FakeClock()
    limiter = health_run.RateLimiter(1000.0, clock=clock, sleep=clock.sleep)
    for _ in range(5):
        limiter.acquire()
        clock.now += 0.01  # each call takes 10 ms, ten times the interval
    assert clock.sleeps == []


def test_baselines(runtime: Any) -> None:
    catalogue = health_run.catalogue_of(runtime.group, "GENRES")
    popular = health_run.popularity_lists(["a", "b"], catalogue, 5)
    call = runtime.get_recommendations(campaignArn=POP, userId="a", numResults=5)["itemList"]
    assert popular.items == [[i["itemId"] for i in call]] * 2
    first = health_run.random_lists(["a", "b"], catalogue, 5, seed=1)
    assert first.items == health_run.random_lists(["a", "b"], catalogue, 5, seed=1).items
    assert first.items[0] != first.items[1] and len(set(first.items[0])) == 5
    assert health_run.ranking_candidates(catalogue, 5) == popular.items[0]


def test_sample_users_is_seeded_and_adds_new_users(runtime: Any) -> None:
    pool = [str(u) for u in runtime.group.model.user_ids]
    a = health_run.sample_users(pool, 30, 7, new_users=2)
    assert a == health_run.sample_users(pool, 30, 7, new_users=2)
    assert len(set(a)) == 32 and a[-2:] == ["new-user-1", "new-user-2"]


def test_catalogue_from_uploaded_files() -> None:
    import pandas as pd

    interactions = pd.DataFrame({"USER_ID": ["1", "1", "2"], "ITEM_ID": ["a", "b", "a"]})
    items = pd.DataFrame({"ITEM_ID": ["a", "b", "c"], "GENRES": ["X|Y", "Y", ""]})
    cat = health_run.catalogue_from_files(interactions, items, "GENRES")
    assert cat is not None and list(cat.item_ids) == ["a", "b", "c"]
    assert cat.popularity.tolist() == [2.0, 1.0, 0.0] and cat.metadata["a"] == "X|Y"
    assert health_run.catalogue_from_files(None, None) is None


@settings(max_examples=50, deadline=None)
@given(pairs=st.lists(st.tuples(st.sampled_from(["1", "01", "u-2", "é"]),
                                st.sampled_from(["a", "7", "b c"])), max_size=30),
       as_numbers=st.booleans())
def test_interactions_by_user_are_each_users_distinct_items(pairs: list[tuple[str, str]],
                                                            as_numbers: bool) -> None:
    import pandas as pd

    frame = pd.DataFrame(pairs, columns=["USER_ID", "ITEM_ID"], dtype="string")
    if as_numbers:  # a CSV read without dtype=str gives numbers: the IDs are still their text
        frame = pd.DataFrame({"USER_ID": range(len(pairs)), "ITEM_ID": [len(i) for _, i in pairs]})
        pairs = [(str(n), str(len(i))) for n, (_, i) in enumerate(pairs)]
    expected: dict[str, set[str]] = {}
    for user, item in pairs:
        expected[user] = expected.get(user, set()) | {item}
    assert health_run.interactions_by_user(frame) == expected


@settings(max_examples=200, deadline=None)
@given(users=st.integers(1, 6), items=st.integers(1, 90), want=st.integers(1, 40), levels=st.integers(1, 6),
       seed=st.integers(0, 2**16))
def test_two_stage_top_rows_equal_a_full_sort(users: int, items: int, want: int, levels: int, seed: int) -> None:
    """The group-maximum cut never drops a top item, ties included (few distinct values force ties)."""
    want = min(want, items)
    rng = np.random.default_rng(seed)
    logits = rng.integers(0, levels, size=(users, items)).astype(np.float32)
    rows, values = health_run._top_rows(logits, want)
    for u in range(users):
        expected = np.lexsort((np.arange(items), -logits[u]))[:want]  # value descending, then row
        assert rows[u].tolist() == expected.tolist()
        assert values[u].tolist() == logits[u, expected].tolist()


def test_call_path_sends_the_filter_with_every_request(runtime: Any) -> None:
    users = [str(u) for u in runtime.group.model.user_ids[:15]]
    genre = {"filterArn": arns.local_arn("filter", "genre"), "filterValues": {"GENRES": '"Horror"'}}
    result = health_run.call_lists(runtime, USER_RECIPE, REC, users, 10, filters=genre,
                                   workers=2)
    items = runtime.group.items
    assert result.lists.user_ids == users and not result.errors
    assert all("Horror" in items.loc[i, "GENRES"].split("|") for row in result.lists.items for i in row)


def test_a_recommenders_requests_name_it_and_skip_the_block_path() -> None:
    arn = arns.local_arn("recommender", "demo-top-picks")
    top_picks = recipes.lookup("aws-vod-top-picks")
    method, params = health_run.request_for(top_picks, arn, "7", 10, None, None)
    assert method == "get_recommendations" and params == {"recommenderArn": arn, "userId": "7", "numResults": 10}

    class Local:
        def batch_recommendations(self) -> None: ...

    assert not health_run.supports_blocks(Local(), top_picks)  # type: ignore[arg-type]
    assert health_run.supports_blocks(Local(), USER_RECIPE)  # type: ignore[arg-type]
