"""`python -m scoring.train DATA_DIR`: a user's CSV folder becomes a working local dataset group;
bad rows are refused (exit 2) with their line numbers; names, replacing, retraining in place."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import scoring
from scoring import arns, campaigns, paths, schemas, user_groups
from scoring.model import MODEL_FILE
from scoring.train import main as train_main
from tests.support import small_data

FAST = ["--epochs", "1", "--dim", "8"]
METRICS = {"coverage", "mean_reciprocal_rank_at_25", "normalized_discounted_cumulative_gain_at_5",
           "normalized_discounted_cumulative_gain_at_10", "normalized_discounted_cumulative_gain_at_25",
           "precision_at_5", "precision_at_10", "precision_at_25"}


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "scoring.train", *args], cwd=paths.PROJECT_ROOT,
                          capture_output=True, text=True, timeout=180, check=False)


def test_a_folder_becomes_a_group_the_clients_serve(tmp_path: Path) -> None:
    source = small_data.write(tmp_path / "shop")
    out = tmp_path / "data" / "shop"
    done = run_cli(str(source), "--out", str(out), *FAST)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert "normalized_discounted_cumulative_gain_at_10" in done.stdout
    assert "Training" in done.stdout and "100%" in done.stdout  # progress lines
    assert sorted(p.name for p in out.iterdir()) == [
        paths.CAMPAIGNS_FILE, paths.INTERACTIONS_FILE, paths.ITEMS_FILE, MODEL_FILE, schemas.SCHEMAS_FILE]

    runtime, control = scoring.client("personalize-runtime", out), scoring.client("personalize", out)
    names = [c["name"] for c in campaigns.list_campaigns(control)]
    assert names == ["shop-personalized-ranking", "shop-popular-items", "shop-related-items",
                     "shop-user-personalization"]
    rec = arns.local_arn("campaign", "shop-user-personalization")
    items = runtime.get_recommendations(campaignArn=rec, userId="u1", numResults=5,
                                        context={"PLATFORM": "app"})["itemList"]
    assert len(items) == 5 and all(0 < i["score"] < 1 for i in items)
    details = campaigns.describe(control, rec)
    metrics = campaigns.solution_metrics(control, details.solution_version_arn)
    assert set(metrics) == METRICS and all(0 <= v <= 1 for v in metrics.values())
    assert campaigns.context_keys(control, details.dataset_group_arn) == ["PLATFORM"]
    config = json.loads((out / paths.CAMPAIGNS_FILE).read_text())
    assert config["filters"] == []
    assert config["solutions"][0]["metrics"] == pytest.approx(metrics)
    assert set(config["solutions"][0]["baselineMetrics"]) == METRICS


def test_popularity_count_reports_the_baseline_and_sims_no_metrics(tmp_path: Path) -> None:
    out = tmp_path / "g"
    assert train_main([str(small_data.write(tmp_path / "src")), "--out", str(out), *FAST]) == 0
    control = scoring.client("personalize", out)
    config = json.loads((out / paths.CAMPAIGNS_FILE).read_text())

    def metrics_of(campaign: str) -> dict[str, float]:
        details = campaigns.describe(control, arns.local_arn("campaign", campaign))
        return campaigns.solution_metrics(control, details.solution_version_arn)

    assert metrics_of("g-popular-items") == pytest.approx(config["solutions"][0]["baselineMetrics"])
    assert metrics_of("g-related-items") == {}
    assert metrics_of("g-personalized-ranking") == metrics_of("g-user-personalization")


def test_odd_rows_are_skipped_and_listed_with_their_line_numbers(tmp_path: Path) -> None:
    source = small_data.write(tmp_path / "odd")
    lines = (source / paths.INTERACTIONS_FILE).read_text().splitlines()
    lines[2] = "u1,i1,1735689600000,click,web"  # milliseconds, line 3
    lines[7] = "u1,,1735689600,click,web"  # empty ITEM_ID, line 8
    lines.insert(11, "u1,i1")  # too few fields, line 12
    (source / paths.INTERACTIONS_FILE).write_text("\n".join(lines) + "\n")
    out = tmp_path / "data" / "odd"
    done = run_cli(str(source), "--out", str(out), *FAST)
    assert done.returncode == 0, done.stderr
    assert "3 odd row(s)" in done.stdout
    assert "interactions.csv line 3: TIMESTAMP 1735689600000 is too large" in done.stdout
    assert "interactions.csv line 8: ITEM_ID is empty: row skipped." in done.stdout
    assert "interactions.csv line 12: has 2 fields but the header has 5" in done.stdout
    imported = (out / paths.INTERACTIONS_FILE).read_text().splitlines()
    assert len(imported) == len(lines) - 3 and "u1,i1" not in imported


def test_a_value_over_its_length_limit_exits_2_with_its_line(tmp_path: Path) -> None:
    source = small_data.write(tmp_path / "bad")
    lines = (source / paths.INTERACTIONS_FILE).read_text().splitlines()
    lines[4] = "u" * 300 + ",i1,1735689600,click,web"  # line 5
    (source / paths.INTERACTIONS_FILE).write_text("\n".join(lines) + "\n")
    out = tmp_path / "data" / "bad"
    done = run_cli(str(source), "--out", str(out), *FAST)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "interactions.csv line 5: USER_ID is 300 characters long" in done.stderr
    assert not out.exists()


@pytest.mark.parametrize(("files", "expected"), [
    ({}, "interactions.csv: is missing"),
    ({"interactions.csv": "USER_ID,ITEM_ID,EVENT_TYPE\n1,2,click\n"},
     "required column TIMESTAMP is missing"),
    ({"interactions.csv": ""}, "is empty"),
])
def test_unusable_folders_are_refused_without_a_traceback(tmp_path: Path, files: dict[str, str],
                                                          expected: str,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    assert train_main([str(tmp_path), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert expected in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()


def test_default_name_and_folder_come_from_the_source(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "data"
    monkeypatch.setattr(paths, "DATA_ROOT", root)
    assert train_main([str(small_data.write(tmp_path / "My shop (2025)")), *FAST]) == 0
    config = json.loads((root / "My-shop-2025" / paths.CAMPAIGNS_FILE).read_text())
    assert config["datasetGroup"]["name"] == "My-shop-2025"
    assert train_main([str(tmp_path / "My shop (2025)"), "--name", "second", *FAST]) == 0
    assert (root / "second" / MODEL_FILE).is_file()
    assert not (root / user_groups.STAGING_DIR).exists()  # no staging leftovers


def test_an_existing_group_needs_replace_and_keeps_its_filters(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source, out = small_data.write(tmp_path / "src"), tmp_path / "g"
    assert train_main([str(source), "--out", str(out), *FAST]) == 0
    config = json.loads((out / paths.CAMPAIGNS_FILE).read_text())
    config["filters"] = [{"name": "no-watched", "expression":
                          'EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("watch")'}]
    (out / paths.CAMPAIGNS_FILE).write_text(json.dumps(config))
    assert train_main([str(source), "--out", str(out), *FAST]) == 2
    assert "already exists" in capsys.readouterr().err
    assert train_main([str(source), "--out", str(out), "--replace", *FAST]) == 0
    assert json.loads((out / paths.CAMPAIGNS_FILE).read_text())["filters"] == config["filters"]


def test_a_group_folder_retrains_in_place(tmp_path: Path) -> None:
    out = tmp_path / "g"
    assert train_main([str(small_data.write(tmp_path / "src")), "--out", str(out), *FAST]) == 0
    before = (out / paths.INTERACTIONS_FILE).read_bytes()
    assert train_main([str(out), "--out", str(out), "--epochs", "2", "--dim", "8"]) == 0
    assert (out / paths.INTERACTIONS_FILE).read_bytes() == before
    assert scoring.client("personalize", out).group.model.meta["epochs"] == 2


@pytest.mark.parametrize("name", ["demo", "has space", "-dash-first", "x" * 64, ""])
def test_bad_group_names_are_refused(tmp_path: Path, name: str,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    source = small_data.write(tmp_path / "src")
    assert train_main([str(source), f"--name={name}", "--out", str(tmp_path / "out"), *FAST]) == 2
    assert "error:" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_the_demo_folder_is_never_a_target(demo_dir: Path) -> None:
    with pytest.raises(user_groups.GroupError, match="demo dataset group"):
        user_groups.create_group(small_data.files(), "other", out=demo_dir, overwrite=True)
    with pytest.raises(user_groups.GroupError, match="demo"):
        user_groups.delete_group("demo")


def test_a_source_folder_named_demo_needs_another_name(tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    source = small_data.write(tmp_path / "demo")
    assert train_main([str(source), "--out", str(tmp_path / "demo-out"), *FAST]) == 0  # named demo-out
    assert train_main([str(source), "--name", "demo", "--out", str(tmp_path / "x"), *FAST]) == 2
    assert "'demo' is the demo dataset group's name" in capsys.readouterr().err


def test_retraining_in_place_lists_the_odd_rows_it_fixed(tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    folder = small_data.write(tmp_path / "here")
    items = (folder / paths.ITEMS_FILE).read_text() + "i1,Drama\n"  # i0 is line 2, i1 line 3
    (folder / paths.ITEMS_FILE).write_text(items)
    assert train_main([str(folder), "--out", str(folder), *FAST]) == 0
    out = capsys.readouterr().out
    assert "1 odd row(s), imported as follows" in out
    assert f"items.csv line {items.count(chr(10))}: ITEM_ID \"i1\" repeats line 3: this later row replaces it." in out


def test_domain_makes_a_group_with_the_domains_recommenders(tmp_path: Path) -> None:
    source = small_data.write(tmp_path / "shop")
    out = tmp_path / "data" / "shop"
    assert train_main([str(source), "--out", str(out), "--domain", "ECOMMERCE", *FAST]) == 0
    control = scoring.client("personalize", out)
    group = control.describe_dataset_group(datasetGroupArn=arns.local_arn("dataset-group", "shop"))
    assert group["datasetGroup"]["domain"] == "ECOMMERCE"
    listed = control.list_recommenders()["recommenders"]
    assert len(listed) == 5 and all("/aws-ecomm-" in r["recipeArn"] for r in listed)
    runtime = scoring.client("personalize-runtime", out)
    items = runtime.get_recommendations(recommenderArn=arns.local_arn("recommender", "shop-recommended-for-you"),
                                        userId="u1", numResults=3)["itemList"]
    assert len(items) == 3 and all("score" not in i for i in items)


def test_a_group_without_domain_is_custom(tmp_path: Path) -> None:
    source = small_data.write(tmp_path / "shop")
    out = tmp_path / "data" / "shop"
    assert train_main([str(source), "--out", str(out), *FAST]) == 0
    control = scoring.client("personalize", out)
    assert "domain" not in control.list_dataset_groups()["datasetGroups"][0]
    assert control.list_recommenders()["recommenders"] == []


def test_an_unknown_domain_is_refused_by_the_cli(tmp_path: Path) -> None:
    done = run_cli(str(tmp_path), "--domain", "GROCERIES")
    assert done.returncode == 2 and "invalid choice" in done.stderr and "Traceback" not in done.stderr
