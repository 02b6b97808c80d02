"""What the health check runs on: the source's catalogue and interactions, and the request form.

A local dataset group knows its users, items, popularity and interactions. A live campaign does
not: its users come from a pasted/uploaded list or a batch-inference input file, and its
catalogue, popularity and interactions from optional uploads of Personalize's own CSV files.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

import pandas as pd
import streamlit as st

from components import errors, request_form, sources
from components.sidebar import Selection
from components.safe_text import md
from scoring import batch_files, health_metrics, health_run, local_group, recipes, requests
from scoring.campaigns import CampaignDetails

SAMPLE = "Random sample of the dataset's users"
LISTED = "Pasted or uploaded list"
BATCH = "Users of a batch-inference input file"
DEFAULT_SAMPLE = 200
MAX_USERS = 10_000


@dataclass(frozen=True)
class SourceData:
    """What the source knows about its data (None: unknown)."""

    user_pool: list[str] | None
    catalogue: health_metrics.Catalogue | None
    known: dict[str, set[str]] | None
    metadata_columns: list[str]
    context_values: dict[str, list[str]]


@dataclass(frozen=True)
class HealthRequest:
    users: list[str]
    k: int
    context: dict[str, str] | None
    candidates: list[str] | None
    workers: int = health_run.DEFAULT_WORKERS
    also: tuple[CampaignDetails, ...] = ()
    filters: dict[str, Any] | None = None  # filterArn (+ filterValues) sent with every call
    filter_name: str = ""


@st.cache_resource(show_spinner=False, max_entries=4)
def _known(path: str, stamp: int) -> dict[str, set[str]]:
    """Each user's interacted items, per group folder and model time (a retrain rereads them)."""
    from pathlib import Path

    return health_run.known_interactions(Path(path))


def _read_csv(upload: Any) -> pd.DataFrame | None:
    if upload is None:
        return None
    return pd.read_csv(io.BytesIO(upload.getvalue()), dtype=str, keep_default_na=False)


def source_data(selection: Selection) -> SourceData:
    """The local group's data, or (live) what the uploads in the expander provide."""
    group = sources.group(selection.config)
    if group is not None:
        items = group.items
        columns = [c for c in items.columns if c != "ITEM_ID"] if items is not None else []
        column = _metadata_choice(columns)
        model = group.model
        return SourceData([str(u) for u in model.user_ids], health_run.catalogue_of(group, column),
                          _known(str(group.path), local_group.model_stamp(group.path)), columns,
                          {k: model.context_values(k) for k in model.context_keys()})
    with st.expander("Catalogue and interactions (optional, for a live campaign)"):
        st.caption("A live campaign does not list its items, popularity or users. Upload your Personalize "
                   "import files to measure coverage, popularity, novelty and diversity and to flag "
                   "already-interacted items; without them those metrics stay empty.")
        interactions = st.file_uploader("Interactions CSV (USER_ID, ITEM_ID, ...)", type=["csv"],
                                        key="health_interactions")
        items_file = st.file_uploader("Items CSV (ITEM_ID, metadata columns)", type=["csv"], key="health_items")
    try:
        frame, items = _read_csv(interactions), _read_csv(items_file)
    except Exception as exc:
        errors.show(ValueError(f"The uploaded CSV could not be read: {exc}"))
        frame = items = None
    columns = [c for c in items.columns if c != "ITEM_ID"] if items is not None else []
    column = _metadata_choice(columns)
    known = None
    if frame is not None and {"USER_ID", "ITEM_ID"} <= set(frame.columns):
        known = health_run.interactions_by_user(frame)
    return SourceData(None, health_run.catalogue_from_files(frame, items, column), known, columns, {})


def _metadata_choice(columns: list[str]) -> str | None:
    if not columns:
        return None
    default = "GENRES" if "GENRES" in columns else columns[0]
    if st.session_state.get("health_meta") not in columns:
        st.session_state["health_meta"] = default
    return st.session_state["health_meta"]


def _users(data: SourceData, recipe: recipes.Recipe) -> list[str] | None:
    """The chosen users (None: a mistake was shown or nothing chosen yet)."""
    noun = "seed items" if recipe.seeded_by_item else "users"
    options = ([SAMPLE] if data.user_pool and not recipe.seeded_by_item else []) + [LISTED, BATCH]
    how = st.radio(f"Which {noun}", options, key="health_users_how")
    if data.user_pool is None:
        st.caption("A live campaign has no users list: paste or upload user IDs, or use a batch-inference "
                   "input file.")
    if how == SAMPLE:
        pool = data.user_pool or []
        size = st.slider("Sample size", 10, min(MAX_USERS, max(len(pool), 10)), min(DEFAULT_SAMPLE, len(pool)),
                         step=10, key="health_size")
        seed_col, new_col = st.columns(2)
        seed = int(seed_col.number_input("Seed", 0, 1_000_000, 0, key="health_seed"))
        new = int(new_col.number_input("Plus new users", 0, 1000, 3, key="health_new",
                                       help="User IDs the model never saw: they get the cold-start (popular) list."))
        return health_run.sample_users(pool, size, seed, new_users=new)
    if how == LISTED:
        text = st.text_area(f"{noun.capitalize()} (one per line, or separated by commas)", key="health_pasted",
                            placeholder="1\n2\n3")
        upload = st.file_uploader("…or a .txt / .csv file of IDs", type=["txt", "csv"], key="health_id_file")
        if upload is not None:
            text = (text or "") + "\n" + upload.getvalue().decode("utf-8", "replace")
        ids = batch_files.parse_id_list(text or "")
        return ids[:MAX_USERS] if ids else None
    upload = st.file_uploader("Batch-inference input file (JSON lines)", type=["json", "jsonl", "txt"],
                              key="health_batch_in")
    if upload is None:
        return None
    ids, bad = batch_files.read_input_ids(upload.getvalue())
    if bad:
        st.warning(f"{len(bad)} line(s) skipped, e.g. line {bad[0].line}: {md(bad[0].message)}.")
    return ids[:MAX_USERS] if ids else None


_SERVING = ("ACTIVE", "UPDATE PENDING", "UPDATE IN_PROGRESS")


def _same_inputs(recipe: recipes.Recipe, other: recipes.Recipe) -> bool:
    """Campaigns that answer for the same IDs: users (personalization, popular, ranking) or seed items."""
    return recipe.seeded_by_item == other.seeded_by_item


def other_campaigns(selection: Selection, details: CampaignDetails) -> list[CampaignDetails]:
    """The source's other serving campaigns that take the same IDs as the selected one.

    Best effort: a campaign that cannot be described (denied, deleted meanwhile) is left out rather
    than failing the page, as the sidebar's campaign is what the page is about.
    """
    if selection.clients is None:
        return []
    found = []
    for campaign in selection.campaigns:
        arn = campaign["campaignArn"]
        if arn == details.arn or campaign.get("status", "ACTIVE") not in _SERVING:
            continue
        try:
            other = sources.campaign_details(selection.clients.control, selection.config.key, arn)
        except Exception:
            continue
        if _same_inputs(details.recipe_info, other.recipe_info):
            found.append(other)
    return found


def _also(others: list[CampaignDetails]) -> list[CampaignDetails]:
    """The campaigns to check beside the selected one, over the same users."""
    if not others:
        return []
    by_arn = {c.arn: c for c in others}
    kept = [arn for arn in st.session_state.get("health_also", []) if arn in by_arn]
    if kept != st.session_state.get("health_also", kept):  # another campaign or source: keep what fits
        st.session_state["health_also"] = kept
    chosen = st.multiselect("Also check", list(by_arn), key="health_also",
                            format_func=lambda arn: f"{by_arn[arn].name} ({by_arn[arn].recipe})",
                            placeholder="Other campaigns of this source",
                            help="The same users go through each campaign in turn; their metrics appear "
                                 "side by side, before the baselines.")
    return [by_arn[arn] for arn in chosen if arn in by_arn]


def _context(data: SourceData) -> dict[str, str] | None:
    hint = ""
    devices = data.context_values.get("DEVICE", [])
    if devices:
        hint = f"e.g. DEVICE={devices[0]} (known values: {', '.join(devices)})"
    text = st.text_input("Context (optional: KEY=value; KEY2=value2)", key="health_context", placeholder=hint)
    rows = []
    for part in (text or "").replace("\n", ";").split(";"):
        if part.strip():
            key, _, value = part.partition("=")
            rows.append((key, value))
    try:
        return requests.context_dict(rows) or None
    except requests.RequestError as exc:
        errors.show(exc)
        raise


def _filter(suggestions: request_form.Suggestions | None) -> requests.FilterInputs | None:
    """The dataset group's filter for every request, as the Test campaign form offers it."""
    if suggestions is None or not suggestions.filters:
        return None
    arn = request_form.filter_picker(
        "Filter", "health_filter", suggestions,
        "Sent with every request of campaigns in this dataset group (e.g. exclude what users watched); "
        "the baselines are not filtered, and the local block path gives way to one call per user.")
    request_form.parameter_inputs(suggestions, arn, "health_fp")
    return request_form.filter_inputs(suggestions, arn, "health_fp")


def render(details: CampaignDetails, data: SourceData, others: list[CampaignDetails] | None = None,
           suggestions: request_form.Suggestions | None = None) -> HealthRequest | None:
    """The form; returns a request when Run was pressed and the inputs are valid."""
    if details.form.needs_user and details.form.needs_item:
        st.info(f"{md(details.recipe_info.label)} needs a user and an item in every request; the health "
                "check sends one ID per list. Pick a recommender or campaign that takes users only or "
                "items only.", icon=":material/info:")
        return None
    st.caption(health_run.measures(details.recipe_info))
    users = _users(data, details.recipe_info)
    also = _also(others or [])
    asked = [details.recipe_info] + [c.recipe_info for c in also]
    ranking = any(r.ranks_input_list for r in asked)
    k_col, meta_col = st.columns(2)
    k = int(k_col.number_input("K (items per list)", 1, 500, 25, key="health_k"))
    if data.metadata_columns:
        meta_col.selectbox("Diversity over the metadata column", data.metadata_columns, key="health_meta")
    try:
        context = _context(data) if not details.recipe_info.seeded_by_item else None
    except requests.RequestError:
        return None
    chosen_filter = _filter(suggestions)
    candidates = None
    if ranking:
        default = ", ".join(health_run.ranking_candidates(data.catalogue))
        text = st.text_area("Items every user's ranking is asked for", value=default, key="health_candidates")
        candidates = requests.parse_item_list(text)[:500]
    workers = health_run.DEFAULT_WORKERS
    if data.user_pool is None or any(r.ranks_input_list or r.seeded_by_item for r in asked):
        workers = int(st.number_input(
            "Parallel requests", 1, 32, health_run.DEFAULT_WORKERS, key="health_workers",
            help=f"Calls in flight at once; the run never exceeds {health_run.MAX_TPS:.0f} requests/s, "
                 "Personalize's limit per campaign, and botocore retries throttled calls adaptively."))
    if not st.button("Run health check", key="health_run", type="primary"):
        return None
    if not users:
        st.error("Choose some users first: a sample, a list of IDs or a batch-inference input file.",
                 icon=":material/group:")
        return None
    if ranking and not candidates:
        st.error("List the items to rank (item IDs separated by commas).", icon=":material/edit_note:")
        return None
    filter_params: dict[str, Any] | None = None
    if chosen_filter is not None:
        try:
            values = requests.filter_values(chosen_filter)
        except requests.RequestError as exc:
            errors.show(exc)
            return None
        filter_params = {"filterArn": chosen_filter.arn} | ({"filterValues": values} if values else {})
    return HealthRequest(users, k, context, candidates, workers, tuple(also), filter_params,
                         chosen_filter.name if chosen_filter else "")
