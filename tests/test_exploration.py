"""Item exploration: the campaign setting's rules, item ages, and the local approximation's properties."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import scoring
from scoring import arns, exploration
from scoring.exploration import Exploration, ExplorationError, ItemActivity

REC = arns.local_arn("campaign", "demo-user-personalization")
DAY = exploration.DAY


# -- the setting ---------------------------------------------------------------------------------
def test_parse_config_reads_the_documented_strings() -> None:
    setting = exploration.parse_config({"itemExplorationConfig": {"explorationWeight": "0.3",
                                                                  "explorationItemAgeCutOff": "30"}})
    assert setting == Exploration(0.3, 30.0) and setting.active


def test_parse_config_fills_the_documented_defaults() -> None:
    assert exploration.parse_config({"itemExplorationConfig": {}}) == Exploration(0.3, 30.0)


def test_no_item_exploration_config_means_no_setting() -> None:
    assert exploration.parse_config({"enableMetadataWithRecommendations": True}) is None


@pytest.mark.parametrize("config, message", [
    ({"explorationWeight": "1.5"}, r"between 0.0 and 1.0"),
    ({"explorationWeight": "-0.1"}, r"between 0.0 and 1.0"),
    ({"explorationWeight": 0.3}, r"is a string in itemExplorationConfig"),
    ({"explorationWeight": "lots"}, r"must be a number written as a string"),
    ({"explorationItemAgeCutOff": "0"}, r"positive number of days"),
    ({"explorationItemAgeCutOff": "nan"}, r"finite number"),
    ({"explorationWeigth": "0.3"}, r"takes explorationWeight and explorationItemAgeCutOff only, not "
                                   r"explorationWeigth"),
])
def test_bad_settings_are_refused_with_what_to_fix(config: dict[str, object], message: str) -> None:
    with pytest.raises(ExplorationError, match=message):
        exploration.parse_config({"itemExplorationConfig": config})


@given(st.integers(0, 500), st.floats(0, 1), st.floats(0, 1))
def test_slots_never_shrink_as_the_weight_grows(k: int, w1: float, w2: float) -> None:
    low, high = sorted((w1, w2))
    assert 0 <= exploration.slots(k, low) <= exploration.slots(k, high) <= k


def test_slots_are_zero_at_weight_zero_and_half_the_list_at_one() -> None:
    assert exploration.slots(25, 0.0) == 0 and exploration.slots(25, 1.0) == 13 and exploration.slots(25, 0.3) == 4


# -- item ages -------------------------------------------------------------------------------------
def test_age_comes_from_creation_timestamp_else_first_interaction() -> None:
    items = pd.DataFrame({"ITEM_ID": ["a", "b", "c", "d"], "CREATION_TIMESTAMP": [90 * DAY, None, None, 10 * DAY]})
    interactions = pd.DataFrame({"ITEM_ID": ["a", "b", "b", "d"], "TIMESTAMP": [95 * DAY, 60 * DAY, 99 * DAY, 100 * DAY]})
    activity = exploration.item_activity(np.array(["a", "b", "c", "d"]), np.array([1, 2, 0, 1]), items, interactions)
    np.testing.assert_allclose(activity.age_days[[0, 1, 3]], [10.0, 40.0, 90.0])
    assert np.isnan(activity.age_days[2])  # no creation time, no interaction: age unknown, treated as new


def test_candidates_are_young_and_cold_among_the_young() -> None:
    activity = ItemActivity(np.array([1.0, 2.0, 3.0, 400.0, np.nan]), np.array([50.0, 1.0, 3.0, 0.0, 0.0]))
    # Young: rows 0, 1, 2 and the unknown 4; their median count is 2: rows 1 and 4.
    assert activity.candidates(30).tolist() == [False, True, False, False, True]


def test_demo_items_are_all_older_than_thirty_days(demo_dir: Path) -> None:
    """So on the demo the documented default cut-off explores nothing; the console suggests a wider one."""
    activity = scoring.client("personalize-runtime", demo_dir).group.item_activity
    assert not activity.candidates(30).any()
    cutoff = exploration.youngest_share_cutoff(activity)
    assert 0.05 < float(np.mean(activity.age_days <= cutoff)) < 0.2


# -- the list: properties -------------------------------------------------------------------------
@st.composite
def catalogues(draw: st.DrawFn) -> tuple[np.ndarray, ItemActivity, np.ndarray | None, int]:
    n = draw(st.integers(5, 80))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    preference = rng.normal(size=n).astype(np.float32)
    ages = rng.uniform(0, 100, size=n)
    ages[rng.random(n) < 0.1] = np.nan
    counts = rng.integers(0, 50, size=n).astype(np.float64)
    allowed = None if draw(st.booleans()) else rng.random(n) < 0.7
    k = draw(st.integers(1, n))
    return preference, ItemActivity(ages, counts), allowed, k


def _exploited(preference: np.ndarray, allowed: np.ndarray | None, k: int) -> np.ndarray:
    order = np.argsort(-preference, kind="stable")
    if allowed is not None:
        order = order[allowed[order]]
    return order[:k]


@settings(max_examples=80, deadline=None)
@given(catalogues(), st.integers(0, 2**63 - 1))
def test_weight_zero_is_the_list_exactly(catalogue: tuple[np.ndarray, ItemActivity, np.ndarray | None, int],
                                         seed: int) -> None:
    preference, activity, allowed, k = catalogue
    head = _exploited(preference, allowed, k)
    rows, explored = exploration.explore(preference, head, k, Exploration(0.0, 30), activity, allowed, seed)
    assert rows.tolist() == head.tolist() and not explored.any()


@settings(max_examples=80, deadline=None)
@given(catalogues(), st.floats(0, 1), st.floats(0, 1), st.floats(1, 120), st.integers(0, 2**63 - 1))
def test_explored_share_grows_with_the_weight(catalogue: tuple[np.ndarray, ItemActivity, np.ndarray | None, int],
                                              w1: float, w2: float, cutoff: float, seed: int) -> None:
    preference, activity, allowed, k = catalogue
    head = _exploited(preference, allowed, k)
    low, high = sorted((w1, w2))
    shares = [exploration.explore(preference, head, k, Exploration(w, cutoff), activity, allowed, seed)[1].sum()
              for w in (low, high)]
    assert shares[0] <= shares[1]


@settings(max_examples=80, deadline=None)
@given(catalogues(), st.floats(0.01, 1), st.floats(1, 120), st.integers(0, 2**63 - 1))
def test_explored_items_are_allowed_young_cold_and_new_to_the_list(
        catalogue: tuple[np.ndarray, ItemActivity, np.ndarray | None, int], weight: float, cutoff: float,
        seed: int) -> None:
    preference, activity, allowed, k = catalogue
    head = _exploited(preference, allowed, k)
    rows, explored = exploration.explore(preference, head, k, Exploration(weight, cutoff), activity, allowed, seed)
    assert len(rows) == len(head) and len(set(rows.tolist())) == len(rows)
    picked = rows[explored]
    assert activity.candidates(cutoff)[picked].all()
    assert allowed is None or allowed[rows].all()
    # The exploited part keeps its order and is the head of the unexplored list.
    assert rows[~explored].tolist() == [r for r in head.tolist() if r not in set(picked.tolist())][:len(rows) - len(picked)]


@settings(max_examples=40, deadline=None)
@given(catalogues(), st.floats(0.01, 1), st.integers(0, 2**63 - 1))
def test_the_same_request_gives_the_same_list(catalogue: tuple[np.ndarray, ItemActivity, np.ndarray | None, int],
                                              weight: float, seed: int) -> None:
    preference, activity, allowed, k = catalogue
    head = _exploited(preference, allowed, k)
    one = exploration.explore(preference, head, k, Exploration(weight, 60), activity, allowed, seed)
    two = exploration.explore(preference, head, k, Exploration(weight, 60), activity, allowed, seed)
    assert one[0].tolist() == two[0].tolist() and one[1].tolist() == two[1].tolist()


# -- through the local client -------------------------------------------------------------------------
def _explorer(demo_dir: Path, weight: str, cutoff: str = "3000") -> scoring.LocalRuntimeClient:
    return scoring.client("personalize-runtime", demo_dir).with_campaign_config(
        REC, {"itemExplorationConfig": {"explorationWeight": weight, "explorationItemAgeCutOff": cutoff}})


def test_explored_items_keep_their_catalogue_scores(demo_dir: Path) -> None:
    runtime = _explorer(demo_dir, "0.6")
    listed = runtime.get_recommendations(campaignArn=REC, userId="5", numResults=20)["itemList"]
    ids, scores = runtime.catalogue_scores(campaignArn=REC, userId="5")
    by_id = dict(zip(ids.tolist(), scores.tolist(), strict=True))
    explored = [i for i in listed if i.get("reason") == ["Exploration"]]
    assert explored and all(i["score"] == pytest.approx(by_id[i["itemId"]], rel=1e-6) for i in listed)


def test_exploration_is_seeded_by_the_request(demo_dir: Path) -> None:
    runtime = _explorer(demo_dir, "0.6")
    first = runtime.get_recommendations(campaignArn=REC, userId="5", numResults=20)["itemList"]
    again = runtime.get_recommendations(campaignArn=REC, userId="5", numResults=20)["itemList"]
    other = runtime.get_recommendations(campaignArn=REC, userId="6", numResults=20)["itemList"]
    assert first == again
    assert {i["itemId"] for i in first if i.get("reason")} != {i["itemId"] for i in other if i.get("reason")}


def test_the_block_path_equals_one_call_per_user_when_exploring(demo_dir: Path) -> None:
    runtime = _explorer(demo_dir, "0.3")
    users = ["1", "2", "nobody"]
    records = runtime.batch_recommendations(campaignArn=REC, userIds=users, numResults=10)["results"]
    for user, record in zip(users, records, strict=True):
        single = runtime.get_recommendations(campaignArn=REC, userId=user, numResults=10)["itemList"]
        assert record["output"]["recommendedItems"] == [i["itemId"] for i in single]


def test_a_related_items_campaign_ignores_an_exploration_override(demo_dir: Path) -> None:
    sims = arns.local_arn("campaign", "demo-related-items")
    plain = scoring.client("personalize-runtime", demo_dir)
    runtime = plain.with_campaign_config(sims, {"itemExplorationConfig": {"explorationWeight": "1"}})
    assert runtime.get_recommendations(campaignArn=sims, itemId="7")["itemList"] == \
        plain.get_recommendations(campaignArn=sims, itemId="7")["itemList"]


def test_retraining_keeps_what_update_campaign_set(tmp_path: Path) -> None:
    from scoring.train import main as train_main
    from tests.support import small_data

    out = tmp_path / "g"
    assert train_main([str(small_data.write(tmp_path / "src")), "--out", str(out), "--epochs", "1",
                       "--dim", "8"]) == 0
    arn = arns.local_arn("campaign", "g-user-personalization")
    explore = {"explorationWeight": "0.5", "explorationItemAgeCutOff": "90"}
    scoring.client("personalize", out).update_campaign(campaignArn=arn, minProvisionedTPS=3,
                                                       campaignConfig={"itemExplorationConfig": explore})
    assert train_main([str(out), "--out", str(out), "--epochs", "1", "--dim", "8"]) == 0
    campaign = scoring.client("personalize", out).describe_campaign(campaignArn=arn)["campaign"]
    assert campaign["campaignConfig"]["itemExplorationConfig"] == explore and campaign["minProvisionedTPS"] == 3


def test_update_campaign_is_refused_in_read_only_mode(demo_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONSOLE_READ_ONLY", "1")
    control = scoring.client("personalize", demo_dir)
    with pytest.raises(control.exceptions.ClientError, match="Updating a campaign is off in read-only mode"):
        control.update_campaign(campaignArn=REC, minProvisionedTPS=2)


# -- the configuration rows of the Campaign page -------------------------------------------------------
def test_config_rows_of_a_related_items_campaign_say_exploration_does_not_apply() -> None:
    from scoring import campaign_config

    rows = {r.setting: r for r in campaign_config.rows({}, 1, "aws-sims", local=True)}
    assert rows["itemExplorationConfig"].value == "— (not for this recipe)"
    assert "explorationWeight" not in rows


def test_config_rows_say_when_a_live_setting_is_not_valid() -> None:
    from scoring import campaign_config

    rows = {r.setting: r for r in campaign_config.rows(
        {"itemExplorationConfig": {"explorationWeight": "2"}}, 1, "aws-user-personalization", local=False)}
    assert rows["itemExplorationConfig"].meaning.startswith("Not valid: explorationWeight must be between 0.0 and 1.0")


def test_local_note_counts_the_items_exploration_can_pick(demo_dir: Path) -> None:
    from scoring import campaign_config

    activity = scoring.client("personalize-runtime", demo_dir).group.item_activity
    config = {"itemExplorationConfig": {"explorationWeight": "0.3", "explorationItemAgeCutOff": "30"}}
    note = campaign_config.local_exploration_note(config, "aws-user-personalization-v2", activity)
    assert note is not None and f"0 of {len(activity.counts):,} items are young and cold enough" in note
    assert f"a cut-off of {exploration.youngest_share_cutoff(activity):g} days takes in the youngest 10%" in note


@pytest.mark.skipif(shutil.which("aws") is None, reason="the AWS CLI is not installed")
def test_the_aws_cli_updates_a_local_campaign_over_the_endpoint(demo_dir: Path, tmp_path: Path) -> None:
    """Proof beyond this project's boto3: the AWS CLI (its own botocore) speaks to `make serve`."""
    from scoring.server import serve_in_thread

    group = tmp_path / "demo"
    shutil.copytree(demo_dir, group, ignore=shutil.ignore_patterns(".*"))
    server, url = serve_in_thread(group, "127.0.0.1", 0)
    env = dict(os.environ, AWS_ACCESS_KEY_ID="local", AWS_SECRET_ACCESS_KEY="local", AWS_DEFAULT_REGION="us-east-1")
    explore = {"explorationWeight": "0.3", "explorationItemAgeCutOff": "730"}
    try:
        update = subprocess.run(["aws", "personalize", "update-campaign", "--endpoint-url", url, "--campaign-arn", REC,
                                 "--campaign-config", json.dumps({"itemExplorationConfig": explore})],
                                capture_output=True, text=True, env=env, timeout=120)
        assert update.returncode == 0, update.stderr
        described = subprocess.run(["aws", "personalize", "describe-campaign", "--endpoint-url", url,
                                    "--campaign-arn", REC], capture_output=True, text=True, env=env, timeout=120)
        assert json.loads(described.stdout)["campaign"]["campaignConfig"]["itemExplorationConfig"] == explore
    finally:
        server.shutdown()


def test_exploration_and_a_promotion_share_the_list_without_repeats(demo_dir: Path) -> None:
    runtime = _explorer(demo_dir, "0.6")
    listed = runtime.get_recommendations(
        campaignArn=REC, userId="5", numResults=20,
        promotions=[{"name": "recent", "percentPromotedItems": 20,
                     "filterArn": arns.local_arn("filter", "recent-years"), "filterValues": {"YEAR": "2020"}}])["itemList"]
    ids = [i["itemId"] for i in listed]
    reasons = [tuple(i.get("reason") or ()) for i in listed]
    assert len(ids) == 20 == len(set(ids))
    assert reasons.count(("Promoted item",)) == 4
    assert reasons.count(("Exploration",)) == exploration.slots(16, 0.6)  # explored among the 16 regular places
