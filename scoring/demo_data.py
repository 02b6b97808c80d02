"""A deterministic movie-streaming catalogue in Amazon Personalize's CSV import formats.

The interactions are drawn from a known ground-truth model, so tests can check that training
recovers real signal instead of just fitting noise:

    logit(u, i, d) = pop_i + g_i · (taste_u + device_d) + p_u · q_i

- pop_i: Zipf-like log popularity (a random permutation of ranks, log-scaled),
- g_i: the item's genres, normalised to sum to 1 (1-3 of 12 genres),
- taste_u: the user's genre tastes (an age-group prior, two favourite genres, noise),
- device_d: how the DEVICE shifts genre preference (mobile phone: comedy and animation;
  smart tv: drama, documentary, action; desktop: sci-fi and thriller; tablet: family),
- p_u · q_i: a small idiosyncratic taste that genres do not explain.

Each user watches on a personal mix of devices, one device per session, so the same user
shows different tastes on different devices: the effect a DEVICE context must capture.

Order matters, as it does in real viewing data. Each user's titles are drawn one after the
other, and the next title also depends on the ones before it:

- series are watched in order: after part k of a series, part k+1 gets a strong boost;
- sessions stay in a genre: within a session, titles sharing the previous title's genres
  are likelier;
- tastes drift: each user's genre tastes move along a personal direction over their history.

A title is watched at most once per user.
Everything is drawn from `numpy.random.Generator`s seeded from one seed, and written with
fixed formatting, so two runs produce byte-identical files.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from scoring import paths

DEFAULT_SEED = 20261129
N_ITEMS = 2400
N_USERS = 1200

GENRES: tuple[str, ...] = (
    "Action", "Adventure", "Animation", "Comedy", "Crime", "Documentary",
    "Drama", "Family", "Horror", "Romance", "Sci-Fi", "Thriller",
)
DEVICES: tuple[str, ...] = ("mobile phone", "desktop", "tablet", "smart tv")
AGE_GROUPS: tuple[str, ...] = ("18-24", "25-34", "35-44", "45-54", "55+")
EVENT_TYPES: tuple[str, ...] = ("click", "watch")

SERIES_SHARE = 0.2  # of the catalogue in series
#: Logit added to the next part right after a part. Chosen so that order matters here as much as
#: on real data: under Personalize's protocol a first-order Markov chain beats implicit's ALS by
#: 1.46x on MovieLens 100K and 2.44x on the AWS airline sample (bench/training.py prints this
#: "order signal"); with 8 it is 1.48x on the demo and 1.77x on the larger generated set. With 4
#: it was 0.87x: taste beat order, unlike any real dataset measured.
SERIES_BOOST = 8.0
SESSION_STICKINESS = 2.0  # logit per unit of genre overlap with the previous title in the session
DRIFT = 1.2  # spread of the taste drift per genre, first title to last
ACTIVITY = 45.0  # median titles per user, before the heavy tail

#: Interactions happen in 2025 (UTC); every item was released before, so none is watched early.
WINDOW_START = 1_735_689_600  # 2025-01-01T00:00:00Z
WINDOW_SECONDS = 365 * 86_400

# How often each genre appears in the catalogue (relative weights, GENRES order).
_GENRE_FREQUENCY = np.array([1.6, 0.8, 0.6, 1.6, 0.9, 0.6, 2.0, 0.6, 0.7, 1.0, 0.8, 1.2])

# DEVICE → genre preference shift (rows: DEVICES, columns: GENRES). Strong on purpose: the
# demo exists to show that context changes the ranking.
_DEVICE_EFFECT = np.array([
    # Act  Adv  Ani  Com  Cri  Doc  Dra  Fam  Hor  Rom  SciF Thr
    [-0.5, 0.0, 1.8, 2.0, -0.5, -1.5, -1.2, 0.6, 0.0, 0.6, -1.0, -0.8],  # mobile phone
    [0.0, 0.0, -1.2, -0.8, 0.8, 0.0, 0.0, -1.2, 0.6, -0.6, 2.0, 1.8],  # desktop
    [-0.6, 0.6, 1.2, 0.4, -0.6, -0.4, 0.0, 1.8, -0.8, 0.8, -0.4, -0.6],  # tablet
    [1.2, 0.6, -0.8, -0.6, 0.2, 1.8, 1.4, 0.0, 0.0, 0.0, 0.0, -0.2],  # smart tv
])

# AGE_GROUP → genre prior (rows: AGE_GROUPS), so users.csv metadata is not decoration.
_AGE_TASTE = np.array([
    [0.4, 0.2, 0.6, 0.5, 0.0, -0.6, -0.4, -0.4, 0.8, 0.0, 0.4, 0.2],  # 18-24
    [0.4, 0.2, 0.0, 0.4, 0.2, -0.2, 0.0, -0.2, 0.4, 0.3, 0.4, 0.4],  # 25-34
    [0.2, 0.2, 0.2, 0.2, 0.3, 0.0, 0.2, 0.6, -0.2, 0.0, 0.0, 0.3],  # 35-44
    [0.0, 0.0, -0.4, 0.0, 0.4, 0.4, 0.5, 0.0, -0.4, 0.2, -0.2, 0.3],  # 45-54
    [-0.2, 0.0, -0.8, 0.0, 0.4, 0.8, 0.8, -0.2, -0.8, 0.4, -0.4, 0.2],  # 55+
])
_AGE_SHARE = np.array([0.18, 0.27, 0.24, 0.18, 0.13])
_DEVICE_SHARE = np.array([0.38, 0.20, 0.14, 0.28])
# A "watch" (vs a "click") is likelier on a big screen.
_WATCH_SHARE = np.array([0.35, 0.45, 0.55, 0.75])

_ADJECTIVES = (
    "Silent", "Broken", "Golden", "Hidden", "Last", "Crimson", "Forgotten", "Midnight", "Electric",
    "Distant", "Burning", "Frozen", "Wild", "Quiet", "Endless", "Lost", "Scarlet", "Hollow",
    "Savage", "Gentle", "Secret", "Little", "Final", "Northern", "Shattered", "Velvet", "Iron",
    "Paper", "Lonely", "Brave", "Restless", "Invisible", "Wandering", "Bitter", "Bright", "Dark",
)
_NOUNS = (
    "Harbour", "Garden", "Horizon", "Kingdom", "Signal", "Empire", "River", "Island", "Summer",
    "Winter", "Orchard", "Station", "Frontier", "Mirror", "Lantern", "Promise", "Voyage", "Storm",
    "Circus", "Cathedral", "Detective", "Stranger", "Dragon", "Machine", "Valley", "Planet",
    "Heart", "Shadow", "Bridge", "Ocean", "Motel", "Archive", "Witness", "Carnival", "Forest",
    "Engine", "Hotel", "Mountain", "Letter", "Daughter", "Outlaw", "Parade", "Compass", "Tide",
)
_PLACES = (
    "Paris", "Brooklyn", "Tokyo", "Havana", "Memphis", "Marrakesh", "Oslo", "Bombay", "Venice",
    "Nowhere", "Sunset Boulevard", "the North", "the Nile", "Mars", "the Deep", "Route 66",
)


@dataclass(frozen=True, eq=False)
class GroundTruth:
    """The generating parameters, kept so tests can check what training recovers."""

    item_genres: np.ndarray  # bool (N, G)
    item_popularity: np.ndarray  # f64 (N,): log popularity (Zipf-like)
    item_latent: np.ndarray  # f64 (N, K)
    user_age: np.ndarray  # int (U,): index into AGE_GROUPS
    user_taste: np.ndarray  # f64 (U, G)
    user_latent: np.ndarray  # f64 (U, K)
    user_devices: np.ndarray  # f64 (U, len(DEVICES)): each user's device mix, rows sum to 1
    device_effect: np.ndarray  # f64 (len(DEVICES), G)
    series_next: np.ndarray  # int (N,): the next part of the item's series, -1 if none
    series_part: np.ndarray  # int (N,): 1 for a first part or a standalone title, 2, 3, ... after
    user_drift: np.ndarray  # f64 (U, G): how the user's tastes move from first to last title

    @property
    def genre_weights(self) -> np.ndarray:
        """Item genres normalised per item, so a 3-genre item is not 3x as appealing."""
        g = self.item_genres.astype(np.float64)
        return g / g.sum(axis=1, keepdims=True)

    def logits(self, users: np.ndarray, device: int) -> np.ndarray:
        """True logits (len(users), N) of every item for these users on one device."""
        taste = self.user_taste[users] + self.device_effect[device]
        return (self.item_popularity + taste @ self.genre_weights.T
                + self.user_latent[users] @ self.item_latent.T)


def _streams(seed: int) -> tuple[np.random.Generator, np.random.Generator]:
    """Independent generators for parameters and sampling: ground_truth() alone stays stable."""
    params, draws = np.random.SeedSequence(seed).spawn(2)
    return np.random.default_rng(params), np.random.default_rng(draws)


def ground_truth(seed: int = DEFAULT_SEED, n_items: int = N_ITEMS,
                 n_users: int = N_USERS) -> GroundTruth:
    """The known preference model behind the demo interactions (same seed, same model)."""
    rng, _ = _streams(seed)
    n_genres = len(GENRES)

    # 1-3 genres per item, drawn without replacement by genre frequency (Gumbel top-k).
    n_item_genres = rng.choice([1, 2, 3], size=n_items, p=[0.4, 0.4, 0.2])
    keys = np.log(_GENRE_FREQUENCY) + rng.gumbel(size=(n_items, n_genres))
    order = np.argsort(-keys, axis=1)
    item_genres = np.zeros((n_items, n_genres), dtype=bool)
    for slot in range(3):
        chosen = n_item_genres > slot
        item_genres[np.flatnonzero(chosen), order[chosen, slot]] = True

    series_next, series_part = _series(rng, n_items)
    # Later parts share the first part's genres.
    for part in range(2, int(series_part.max()) + 1):
        later = np.flatnonzero(series_part == part)
        earlier = _previous(series_next, later)
        item_genres[later] = item_genres[earlier]

    # Zipf-like popularity: rank r gets weight r^-0.9, ranks shuffled over the catalogue.
    ranks = rng.permutation(n_items) + 1
    item_popularity = -0.8 * np.log(ranks)

    k = 8
    item_latent = rng.normal(0.0, 0.5, size=(n_items, k))
    user_latent = rng.normal(0.0, 1.0, size=(n_users, k))

    user_age = rng.choice(len(AGE_GROUPS), size=n_users, p=_AGE_SHARE)
    favourites = np.argsort(-rng.gumbel(size=(n_users, n_genres)), axis=1)[:, :2]
    user_taste = _AGE_TASTE[user_age] + rng.normal(0.0, 0.6, size=(n_users, n_genres))
    boosted = np.take_along_axis(user_taste, favourites, axis=1) + 4.0
    np.put_along_axis(user_taste, favourites, boosted, axis=1)

    # Each user's device mix: most people have one main device and use others now and then.
    user_devices = rng.dirichlet(_DEVICE_SHARE * 2.0, size=n_users)

    user_drift = rng.normal(0.0, DRIFT, size=(n_users, n_genres))

    return GroundTruth(item_genres=item_genres, item_popularity=item_popularity,
                       item_latent=item_latent, user_age=user_age, user_taste=user_taste,
                       user_latent=user_latent, user_devices=user_devices,
                       device_effect=_DEVICE_EFFECT.astype(np.float64),
                       series_next=series_next, series_part=series_part, user_drift=user_drift)


def _series(rng: np.random.Generator, n_items: int) -> tuple[np.ndarray, np.ndarray]:
    """About a fifth of the catalogue in series of 2-4 parts (random items, chained)."""
    order = rng.permutation(n_items)
    lengths = rng.choice([2, 3, 4], size=n_items, p=[0.5, 0.3, 0.2])
    series_next = np.full(n_items, -1, dtype=np.int64)
    series_part = np.ones(n_items, dtype=np.int64)
    budget = int(SERIES_SHARE * n_items)
    used = 0
    s = 0
    while used + lengths[s] <= budget:
        chain = order[used:used + lengths[s]]
        series_next[chain[:-1]] = chain[1:]
        series_part[chain] = np.arange(1, chain.size + 1)
        used += chain.size
        s += 1
    return series_next, series_part


def _previous(series_next: np.ndarray, items: np.ndarray) -> np.ndarray:
    """The part before each of `items` (which are later parts)."""
    before = np.full(series_next.size, -1, dtype=np.int64)
    has = series_next >= 0
    before[series_next[has]] = np.flatnonzero(has)
    return before[items]


def _titles(rng: np.random.Generator, n: int) -> list[str]:
    """Plausible film titles from word lists; repeats become sequels ("... II")."""
    adj = np.asarray(_ADJECTIVES)[rng.integers(len(_ADJECTIVES), size=n)]
    noun = np.asarray(_NOUNS)[rng.integers(len(_NOUNS), size=n)]
    noun2 = np.asarray(_NOUNS)[rng.integers(len(_NOUNS), size=n)]
    place = np.asarray(_PLACES)[rng.integers(len(_PLACES), size=n)]
    template = rng.choice(5, size=n, p=[0.35, 0.2, 0.15, 0.15, 0.15])
    titles = []
    for t, a, n1, n2, p in zip(template, adj, noun, noun2, place, strict=True):
        titles.append([f"The {a} {n1}", f"{a} {n1}", f"The {n1} of {p}", f"{n1}s of the {a} {n2}",
                       f"{_article(n1)} {n1} in {p}"][t])
    seen: dict[str, int] = {}
    out = []
    for title in titles:
        seen[title] = seen.get(title, 0) + 1
        count = seen[title]
        out.append(title if count == 1 else f"{title} {_roman(count)}")
    return out


def _article(word: str) -> str:
    return "An" if word[0] in "AEIOU" else "A"


def _roman(n: int) -> str:
    numerals = [(10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")]
    out = ""
    for value, sym in numerals:
        while n >= value:
            out += sym
            n -= value
    return out


def _items_frame(truth: GroundTruth, rng: np.random.Generator) -> pd.DataFrame:
    n = truth.item_genres.shape[0]
    titles = _titles(rng, n)
    for part in range(2, int(truth.series_part.max()) + 1):
        for item in np.flatnonzero(truth.series_part == part):
            first = item
            while truth.series_part[first] > 1:
                first = int(_previous(truth.series_next, np.array([first]))[0])
            titles[item] = f"{titles[first]}: Part {_roman(part)}"
    genre_names = np.asarray(GENRES)
    genres = ["|".join(genre_names[row]) for row in truth.item_genres]
    # Release years skew recent; everything was released before the interaction window.
    year = np.clip(2024 - np.floor(rng.exponential(9.0, size=n)), 1972, 2024).astype(np.int64)
    year_start = pd.to_datetime(pd.DataFrame({"year": year, "month": 1, "day": 1}))
    year_start_s = (year_start - pd.Timestamp("1970-01-01")) // pd.Timedelta(seconds=1)
    created = year_start_s.to_numpy(np.int64) + rng.integers(0, 365 * 86_400, size=n)
    return pd.DataFrame({
        "ITEM_ID": [str(i) for i in range(1, n + 1)],
        "TITLE": titles,
        "GENRES": genres,
        "YEAR": year,
        "CREATION_TIMESTAMP": created,
    })


def _users_frame(truth: GroundTruth) -> pd.DataFrame:
    n = truth.user_taste.shape[0]
    return pd.DataFrame({
        "USER_ID": [str(u) for u in range(1, n + 1)],
        "AGE_GROUP": np.asarray(AGE_GROUPS)[truth.user_age],
    })


def _sample_sequences(truth: GroundTruth, per_user: np.ndarray, devices: np.ndarray,
                      session_start: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Every user's titles in order, step by step for all users at once (Gumbel-max sampling).

    Step t draws each active user's t-th title from the true logits of their session's device,
    plus the sequential terms: taste drift at that point of their history, genre overlap with
    the previous title of the same session, and the next part of a series just watched. A
    title already watched is not drawn again.
    """
    n_users, n_items = truth.user_taste.shape[0], truth.item_genres.shape[0]
    genre_weights = truth.genre_weights.astype(np.float32)
    base = np.stack([truth.logits(np.arange(n_users), d) for d in range(len(DEVICES))],
                    axis=1).astype(np.float32)  # (U, devices, N)
    drift = (truth.user_drift @ truth.genre_weights.T).astype(np.float32)  # (U, N)
    starts = np.r_[0, np.cumsum(per_user)[:-1]]
    seen = np.zeros((n_users, n_items), dtype=bool)
    out = np.empty(int(per_user.sum()), dtype=np.int64)
    previous = np.full(n_users, -1, dtype=np.int64)
    for t in range(int(per_user.max())):
        users = np.flatnonzero(per_user > t)
        rows = starts[users] + t
        logits = base[users, devices[rows]]
        logits += (t / np.maximum(per_user[users] - 1, 1) - 0.5)[:, None].astype(np.float32) * drift[users]
        prev = previous[users]
        same = (prev >= 0) & ~session_start[rows]
        if same.any():
            overlap = genre_weights[prev[same]] @ genre_weights.T  # (S, N)
            logits[same] += SESSION_STICKINESS * len(GENRES) * overlap
        nxt = np.where(prev >= 0, truth.series_next[np.maximum(prev, 0)], -1)
        follow = nxt >= 0
        logits[np.flatnonzero(follow), nxt[follow]] += SERIES_BOOST
        logits[seen[users]] = -np.inf
        uniform = rng.random(size=logits.shape, dtype=np.float32)
        np.maximum(uniform, np.float32(1e-30), out=uniform)
        logits -= np.log(-np.log(uniform))  # Gumbel noise: argmax samples the softmax
        chosen = np.argmax(logits, axis=1)
        out[rows] = chosen
        seen[users, chosen] = True
        previous[users] = chosen
    return out


def _interactions_frame(truth: GroundTruth, rng: np.random.Generator,
                        activity: float = ACTIVITY) -> pd.DataFrame:
    n_users = truth.user_taste.shape[0]
    # Heavy-tailed activity: most users watch a few dozen titles, some a few hundred.
    per_user = np.clip(5 + np.floor(rng.lognormal(np.log(activity), 0.8, size=n_users)), 5, 600)
    per_user = per_user.astype(np.int64)
    users = np.repeat(np.arange(n_users), per_user)
    first = np.r_[True, users[1:] != users[:-1]]

    # Sessions: a new one starts with probability 0.3; each session uses one device.
    session_start = first | (rng.random(users.size) < 0.3)
    session = np.cumsum(session_start) - 1
    session_user = users[session_start]
    device_cdf = np.cumsum(truth.user_devices, axis=1)[session_user]
    session_device = (rng.random(session_user.size)[:, None] > device_cdf[:, :-1]).sum(axis=1)
    devices = session_device[session]

    items = _sample_sequences(truth, per_user, devices, session_start, rng)
    frame = pd.DataFrame({"u": users, "i": items, "d": devices, "s": session})
    u = frame["u"].to_numpy()
    s = frame["s"].to_numpy()
    first = np.r_[True, u[1:] != u[:-1]]
    new_session = first | np.r_[True, s[1:] != s[:-1]]

    # Gaps: minutes within a session, days between sessions; at least 1 s so time increases.
    gap = np.where(new_session, rng.exponential(2.5 * 86_400, size=u.size),
                   rng.exponential(25 * 60, size=u.size))
    gap = np.floor(gap).astype(np.int64) + 1
    gap[first] = 0
    elapsed = np.cumsum(gap)
    starts = np.flatnonzero(first)
    lengths = np.diff(np.r_[starts, u.size])
    elapsed -= np.repeat(elapsed[starts], lengths)  # seconds since the user's first event
    position = np.arange(u.size) - np.repeat(starts, lengths)
    # Squeeze a very active user's history into the window (adding the position keeps every
    # step at least 1 s), then place it at a random start inside the window.
    span = np.repeat(elapsed[starts + lengths - 1], lengths).astype(np.float64)
    budget = np.repeat(WINDOW_SECONDS - lengths, lengths).astype(np.float64)
    scale = np.minimum(1.0, budget / np.maximum(span, 1.0))
    elapsed = np.floor(elapsed * scale).astype(np.int64) + position
    span = np.repeat(elapsed[starts + lengths - 1], lengths)
    user_start = np.asarray(rng.random(n_users))
    offset = np.floor(np.repeat(user_start[u[starts]], lengths)
                      * (WINDOW_SECONDS - span)).astype(np.int64)
    timestamp = WINDOW_START + offset + elapsed

    d = frame["d"].to_numpy()
    watch = rng.random(u.size) < _WATCH_SHARE[d]
    out = pd.DataFrame({
        "USER_ID": (u + 1).astype(str),
        "ITEM_ID": (frame["i"].to_numpy() + 1).astype(str),
        "TIMESTAMP": timestamp,
        "EVENT_TYPE": np.where(watch, EVENT_TYPES[1], EVENT_TYPES[0]),
        "DEVICE": np.asarray(DEVICES)[d],
    })
    # Chronological, as an export would be; ties keep user order (stable sort).
    order = np.lexsort((u, timestamp))
    return out.iloc[order].reset_index(drop=True)


def _write_csv(frame: pd.DataFrame, path: Path) -> None:
    """Atomic write with fixed formatting: readers never see half a file; output is byte-stable."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    frame.to_csv(tmp, index=False, lineterminator="\n")
    tmp.replace(path)


def frames(seed: int = DEFAULT_SEED) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(items, users, interactions) as DataFrames, without touching the disk."""
    return frames_of(ground_truth(seed), seed)


def frames_of(truth: GroundTruth, seed: int, activity: float = ACTIVITY
              ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The demo's files for any ground truth (another size, another seed): benches use it."""
    _, rng = _streams(seed)
    items = _items_frame(truth, rng)
    users = _users_frame(truth)
    interactions = _interactions_frame(truth, rng, activity)
    return items, users, interactions


def generate(out_dir: Path, seed: int = DEFAULT_SEED) -> None:
    """Write items.csv, users.csv and interactions.csv of the demo dataset group to out_dir."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    items, users, interactions = frames(seed)
    _write_csv(items, out_dir / paths.ITEMS_FILE)
    _write_csv(users, out_dir / paths.USERS_FILE)
    _write_csv(interactions, out_dir / paths.INTERACTIONS_FILE)
