"""The demo data generator: deterministic, big enough, and in Personalize's import formats."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from scoring import demo_data, paths
from scoring.dataset import context_columns, load_interactions, load_items, load_users

FILES = (paths.ITEMS_FILE, paths.USERS_FILE, paths.INTERACTIONS_FILE)


@pytest.fixture(scope="module")
def generated(demo_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Two independent generations with the default seed: the demo group's files (the demo build
    generated them, in another process: string hashing differs there) and one made here."""
    fresh = tmp_path_factory.mktemp("gen")
    demo_data.generate(fresh)
    return demo_dir, fresh


@pytest.fixture(scope="module")
def frames(generated: tuple[Path, Path]) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    folder = generated[0]
    items, users = load_items(folder), load_users(folder)
    assert items is not None and users is not None
    return items, users, load_interactions(folder)


def test_two_generations_are_byte_identical(generated: tuple[Path, Path]) -> None:
    first, second = generated
    for name in FILES:
        assert (first / name).read_bytes() == (second / name).read_bytes(), name


def test_another_seed_gives_other_data(generated: tuple[Path, Path], tmp_path: Path) -> None:
    demo_data.generate(tmp_path, seed=7)
    assert (tmp_path / paths.INTERACTIONS_FILE).read_bytes() != \
        (generated[0] / paths.INTERACTIONS_FILE).read_bytes()


def test_sizes_meet_the_minimums(frames: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]) -> None:
    items, users, interactions = frames
    assert len(items) >= 2000
    assert len(users) >= 1000
    assert len(interactions) >= 50_000
    # Personalize's training minimum: 25 users with 2+ interactions (we want far more).
    assert (interactions.groupby("USER_ID").size() >= 2).sum() >= 1000


def test_columns_are_personalize_import_columns(
        frames: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]) -> None:
    items, users, interactions = frames
    assert list(items.columns) == ["ITEM_ID", "TITLE", "GENRES", "YEAR", "CREATION_TIMESTAMP"]
    assert list(users.columns) == ["USER_ID", "AGE_GROUP"]
    assert list(interactions.columns) == ["USER_ID", "ITEM_ID", "TIMESTAMP", "EVENT_TYPE", "DEVICE"]
    assert context_columns(interactions) == ["DEVICE"]


def test_ids_are_short_numeric_strings_that_match_across_files(
        frames: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]) -> None:
    items, users, interactions = frames
    columns = (items["ITEM_ID"], users["USER_ID"], interactions["ITEM_ID"], interactions["USER_ID"])
    for ids in columns:
        assert ids.map(lambda x: isinstance(x, str)).all()
        assert ids.str.len().max() <= 256
        assert ids.str.fullmatch(r"[1-9]\d*").all()
    assert items["ITEM_ID"].tolist() == [str(i) for i in range(1, len(items) + 1)]
    assert items["ITEM_ID"].is_unique and users["USER_ID"].is_unique
    assert set(interactions["ITEM_ID"]) <= set(items["ITEM_ID"])
    assert set(interactions["USER_ID"]) == set(users["USER_ID"])


def test_genres_are_multi_valued_with_a_pipe(
        frames: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]) -> None:
    items = frames[0]
    tokens = items["GENRES"].str.split("|")
    assert tokens.map(len).between(1, 3).all()
    assert (tokens.map(len) > 1).mean() > 0.3  # many items really are multi-genre
    assert set(tokens.explode()) == set(demo_data.GENRES)
    assert not tokens.map(lambda t: len(set(t)) != len(t)).any()  # no genre twice in one cell


def test_titles_years_and_creation_timestamps_are_plausible(
        frames: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]) -> None:
    items, _, interactions = frames
    assert items["TITLE"].is_unique and (items["TITLE"].str.len() > 3).all()
    assert pd.api.types.is_integer_dtype(items["YEAR"])
    assert items["YEAR"].between(1970, 2024).all()
    assert pd.api.types.is_integer_dtype(items["CREATION_TIMESTAMP"])
    released = pd.to_datetime(items["CREATION_TIMESTAMP"], unit="s").dt.year
    assert (released == items["YEAR"]).all()
    # Nobody watches a title before it exists.
    assert items["CREATION_TIMESTAMP"].max() < interactions["TIMESTAMP"].min()


def test_interaction_values(frames: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]) -> None:
    interactions = frames[2]
    assert set(interactions["DEVICE"]) == {"mobile phone", "desktop", "tablet", "smart tv"}
    assert set(interactions["EVENT_TYPE"]) == {"click", "watch"}
    assert not interactions.duplicated(["USER_ID", "ITEM_ID"]).any()


def test_timestamps_are_unix_seconds_sorted_and_increasing_per_user(
        frames: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]) -> None:
    interactions = frames[2]
    ts = interactions["TIMESTAMP"]
    assert ts.dtype == np.int64
    assert ts.is_monotonic_increasing  # the file is sorted by TIMESTAMP
    start = demo_data.WINDOW_START
    assert ts.between(start, start + demo_data.WINDOW_SECONDS).all()
    steps = interactions.groupby("USER_ID")["TIMESTAMP"].diff().dropna()
    assert (steps > 0).all()  # strictly increasing per user, in file order


def test_device_really_shifts_genre_preference(
        frames: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]) -> None:
    items, _, interactions = frames
    genres = interactions.merge(items[["ITEM_ID", "GENRES"]], on="ITEM_ID")

    def share(device: str, genre: str) -> float:
        rows = genres[genres["DEVICE"] == device]
        return float(rows["GENRES"].str.split("|").map(lambda g: genre in g).mean())

    for genre in ("Comedy", "Animation"):
        assert share("mobile phone", genre) > 2 * share("desktop", genre)
    for genre in ("Sci-Fi", "Thriller"):
        assert share("desktop", genre) > 2 * share("mobile phone", genre)
    for genre in ("Drama", "Documentary"):
        assert share("smart tv", genre) > 1.5 * share("mobile phone", genre)


def test_ground_truth_is_reproducible_and_matches_the_items(
        frames: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]) -> None:
    items = frames[0]
    truth, again = demo_data.ground_truth(), demo_data.ground_truth()
    assert np.array_equal(truth.user_taste, again.user_taste)
    assert truth.item_genres.shape == (len(items), len(demo_data.GENRES))
    names = np.asarray(demo_data.GENRES)
    assert items["GENRES"].tolist() == ["|".join(names[row]) for row in truth.item_genres]
    assert np.allclose(truth.user_devices.sum(axis=1), 1.0)
    logits = truth.logits(np.arange(3), 0)
    assert logits.shape == (3, len(items)) and np.isfinite(logits).all()


# -- order matters, as in real viewing data --------------------------------------------------
def test_series_are_watched_in_order(frames: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]) -> None:
    items, _, interactions = frames
    truth = demo_data.ground_truth()
    nxt = truth.series_next
    in_series = (truth.series_part > 1) | (nxt >= 0)
    assert 0.15 < in_series.mean() <= demo_data.SERIES_SHARE
    ordered = interactions.sort_values(["USER_ID", "TIMESTAMP"], kind="stable")
    item = ordered["ITEM_ID"].astype(int).to_numpy() - 1
    user = ordered["USER_ID"].to_numpy()
    same = user[1:] == user[:-1]
    followed = same & (nxt[item[:-1]] >= 0)
    took_next = item[1:][followed] == nxt[item[:-1]][followed]
    assert took_next.mean() > 0.1  # far above chance (1 / 2,400): series pull the next part
    titled = items.set_index("ITEM_ID").loc[[str(j + 1) for j in np.flatnonzero(truth.series_part == 2)], "TITLE"]
    assert titled.str.endswith(": Part II").all()


def test_a_session_stays_in_its_genre(frames: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]) -> None:
    items, _, interactions = frames
    genres = items.set_index("ITEM_ID")["GENRES"].str.split("|").map(set)
    ordered = interactions.sort_values(["USER_ID", "TIMESTAMP"], kind="stable")
    g = genres.loc[ordered["ITEM_ID"]].to_list()
    user = ordered["USER_ID"].to_numpy()
    gap = np.diff(ordered["TIMESTAMP"].to_numpy())
    consecutive = (user[1:] == user[:-1]) & (gap < 3 * 3600)  # within one session
    shared = np.array([bool(a & b) for a, b in zip(g[:-1], g[1:], strict=True)])
    rng = np.random.default_rng(0)
    shuffled = rng.permutation(len(g))
    chance = np.mean([bool(g[i] & g[j]) for i, j in zip(shuffled[:-1], shuffled[1:], strict=True)])
    assert shared[consecutive].mean() > chance + 0.15


def test_the_next_title_depends_on_the_previous_one(
        frames: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]) -> None:
    """A first-order Markov chain beats popularity by far: order carries signal, as in real data."""
    from scoring.evaluation import PopularityScorer, evaluate, protocol_split

    _, _, interactions = frames
    split = protocol_split(interactions, seed=0)
    popular = PopularityScorer(split.train)
    following: dict[str, dict[str, int]] = {}
    ordered = split.train
    for (u0, i0), (u1, i1) in zip(ordered[["USER_ID", "ITEM_ID"]].values[:-1],
                                  ordered[["USER_ID", "ITEM_ID"]].values[1:], strict=True):
        if u0 == u1:
            following.setdefault(i0, {}).setdefault(i1, 0)
            following[i0][i1] += 1

    class Markov:
        item_ids = popular.item_ids
        column = {item: j for j, item in enumerate(item_ids)}

        def scores(self, queries):  # type: ignore[no-untyped-def]
            out = np.tile(popular.counts * 1e-9, (len(queries.user_ids), 1))
            for q, history in enumerate(queries.histories):
                for prev in history[-5:]:
                    for item, count in following.get(prev, {}).items():
                        out[q, self.column[item]] += count
            return out

    mrr = "mean_reciprocal_rank_at_25"
    assert evaluate(Markov(), split)[mrr] > 1.3 * evaluate(popular, split)[mrr]
