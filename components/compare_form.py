"""One side (A or B) of the Compare page: its source, campaign, request fields, context and filter.

Each side builds its own boto3 request with `scoring.requests.build_request`, as the Test
campaign form does, with the same filter picker and $PARAM inputs (ListFilters of the
campaign's dataset group, parameters read from DescribeFilter's expression). Widget keys are `cmp_a_*` / `cmp_b_*`, kept for the
session, so the page shows the same two requests when one comes back to it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd
import streamlit as st

from components import campaign_view, errors, request_form, sources, user_data, user_picker
from components.sidebar import DEMO_CAMPAIGN, Selection
from components.safe_text import md
from scoring import exploration, requests
from scoring.campaigns import CampaignDetails

CONTEXT_ROWS = 2
#: The demo's default comparison: the same user on two devices.
DEFAULT_DEVICES = {"a": "mobile phone", "b": "smart tv"}


@dataclass(frozen=True)
class SideRequest:
    """A side ready to run: where to send it, what to send, and how to name it."""

    side: str  # "A" or "B"
    selection: Selection
    details: CampaignDetails
    method: str
    params: dict[str, Any]
    filter_name: str | None = None
    #: campaignConfig entries this side answers with instead of the campaign's (local campaigns only).
    campaign_config: dict[str, Any] | None = None

    @property
    def exploration(self) -> exploration.Exploration | None:
        try:
            return exploration.parse_config(self.campaign_config)
        except exploration.ExplorationError:
            return None

    @property
    def label(self) -> str:
        """Short description for the chart's column heads and the lists' headers."""
        p = self.params
        parts = [self.details.name]
        if p.get("userId"):
            parts.append(f"user {p['userId']}")
        if p.get("itemId"):
            parts.append(f"item {p['itemId']}")
        parts += [f"{k}={v}" for k, v in (p.get("context") or {}).items()]
        if self.filter_name:
            parts.append(f"filter {self.filter_name}")
        if self.exploration is not None:
            parts.append(f"exploration {self.exploration.weight:g}")
        if not self.selection.config.is_local:
            parts.append("live")
        return " · ".join(parts)


# -- the side's source ------------------------------------------------------------------------------
def source_note(selection: Selection) -> None:
    """Say once, above the two sides, which sources they can use."""
    if selection.config.is_local:
        st.caption(f"Both sides use the sidebar's source ({md(selection.config.label)}). To compare a live "
                   "campaign with the local demo, choose **Amazon Personalize** in the sidebar: each "
                   "side can then switch to the local demo.")
    else:
        st.caption("Each side uses the sidebar's source, or the local demo: compare a live campaign "
                   "with the local one side by side.")


def _side_selection(selection: Selection, key: str) -> Selection | None:
    """The sidebar's selection, or (live sidebar only) the local demo if the side asks for it."""
    if selection.config.is_local:
        return selection
    local = sources.SourceConfig(sources.LOCAL, group=sources.DEMO_GROUP)
    options = {"sidebar": f"Sidebar: {selection.config.label}", "local": "Local demo"}
    st.session_state.setdefault(f"{key}_source", "sidebar")
    choice = st.segmented_control("Source", list(options), format_func=lambda o: md(options[o]), key=f"{key}_source",
                                  persist_state="session")
    if choice != "local":
        return selection
    try:
        with st.spinner("Preparing the local demo…"):
            clients = sources.clients(local)
            campaigns = sources.campaign_list(clients.control, local.key)
            recommenders, _ = sources.recommender_list(clients.control, local.key)
    except Exception as exc:
        errors.show(exc)
        return None
    return Selection(local, clients, campaigns, None, recommenders=recommenders)


def _campaign(side: Selection, key: str, default_arn: str | None) -> CampaignDetails | None:
    """The side's campaign or recommender (campaigns first), as the sidebar lists them."""
    names = {sources.target_arn(c): sources.target_label(c) for c in side.campaigns + side.recommenders}
    if not names:
        st.info(f"No campaigns or recommenders in {md(side.config.label)}.")
        return None
    arns = list(names)
    if st.session_state.get(f"{key}_campaign") not in arns:
        by_name = {n: a for a, n in names.items()}
        fallback = by_name.get(DEMO_CAMPAIGN, arns[0])
        st.session_state[f"{key}_campaign"] = default_arn if default_arn in names else fallback
    arn = st.selectbox("Campaign", arns, key=f"{key}_campaign", format_func=names.get)
    return campaign_view.load(side, arn)


# -- the request fields -----------------------------------------------------------------------------
def _prefill(key: str, suggestions: request_form.Suggestions) -> None:
    device = DEFAULT_DEVICES.get(key[-1], "")
    has_device = "DEVICE" in suggestions.context_keys and device in suggestions.context_values.get("DEVICE", [])
    first_key = suggestions.context_keys[0] if suggestions.context_keys else ""
    defaults = {f"{key}_user": suggestions.user_id,
                f"{key}_item": suggestions.items[0] if suggestions.items else "",
                f"{key}_items": ", ".join(suggestions.items)}
    for i in range(CONTEXT_ROWS):
        defaults[f"{key}_ctx_key_{i}"] = ("DEVICE" if has_device else first_key) if i == 0 else ""
        defaults[f"{key}_ctx_val_{i}"] = device if has_device and i == 0 else ""
    request_form.prefill(defaults, suggestions.origin)


def _context_rows(key: str) -> list[tuple[str, str]]:
    rows = []
    for i in range(CONTEXT_ROWS):
        visibility = "visible" if i == 0 else "collapsed"
        key_col, value_col = st.columns([2, 3])
        key_col.text_input("Context key", key=f"{key}_ctx_key_{i}", placeholder="e.g. DEVICE",
                           label_visibility=visibility, persist_state="session")
        value_col.text_input("Context value", key=f"{key}_ctx_val_{i}", placeholder="value",
                             label_visibility=visibility, persist_state="session")
        rows.append((st.session_state.get(f"{key}_ctx_key_{i}", ""), st.session_state.get(f"{key}_ctx_val_{i}", "")))
    return rows


#: The exploration weights the two sides start with on a local user-personalization campaign.
DEFAULT_WEIGHTS = {"a": 0.0, "b": 0.3}


def _exploration(side: Selection, details: CampaignDetails, key: str) -> dict[str, Any] | None:
    """A local user-personalization side may answer at another exploration weight (a local extension:
    on AWS that takes a second campaign); None keeps the campaign's own setting."""
    if not side.config.is_local or not exploration.explores(details.recipe):
        return None
    if not st.toggle("Set exploration for this side", key=f"{key}_explore_on", persist_state="session",
                     help="Answer as if the campaign's itemExplorationConfig were this one (local campaigns)."):
        return None
    group = sources.group(side.config)
    cutoff = float(exploration.DEFAULT_AGE_CUTOFF)
    if group is not None and not group.item_activity.candidates(cutoff).any():
        cutoff = exploration.youngest_share_cutoff(group.item_activity)
    st.session_state.setdefault(f"{key}_explore_weight", DEFAULT_WEIGHTS.get(key[-1], 0.3))
    st.session_state.setdefault(f"{key}_explore_age", cutoff)
    weight_col, age_col = st.columns(2)
    weight_col.slider("Exploration weight", 0.0, 1.0, step=0.05, key=f"{key}_explore_weight",
                      persist_state="session")
    age_col.number_input("Item age cut-off (days)", min_value=1.0, step=1.0, key=f"{key}_explore_age",
                         persist_state="session")
    st.caption("An approximation of Personalize's exploration: items marked *Exploration* are cold items "
               "younger than the cut-off, drawn by the user's scores, seeded by the request.")
    return {exploration.CONFIG_KEY: exploration.config_for(float(st.session_state[f"{key}_explore_weight"]),
                                                           float(st.session_state[f"{key}_explore_age"]))}


def _filter(s: request_form.Suggestions, key: str) -> requests.FilterInputs | None:
    """The side's filter and its $PARAM inputs: the Test campaign form's own pieces, keyed per side."""
    if not s.filters:
        st.caption("No filters in this campaign's dataset group.")
        return None
    arn = request_form.filter_picker("Filter", f"{key}_filter", s, "Applied to this side's request only.")
    request_form.parameter_inputs(s, arn, f"{key}_fp")
    return request_form.filter_inputs(s, arn, f"{key}_fp")


@dataclass
class Side:
    """What one side's form produced: a request to run, or the mistake to show when asked to run."""

    request: SideRequest | None
    mistake: str | None
    slot: Any  # an st.empty() at the bottom of the side, for that mistake

    def show_mistake(self) -> None:
        if self.mistake:
            self.slot.error(self.mistake, icon=":material/edit_note:")


def render(selection: Selection, side: str, num_results: int) -> Side:
    """Draw one side's inputs (inside the caller's column). Form mistakes are kept, not shown: the
    page shows them when Compare is pressed, not while the user is still typing."""
    request, mistake = _render(selection, side, num_results)
    return Side(request, mistake, st.empty())


def _render(selection: Selection, side: str, num_results: int) -> tuple[SideRequest | None, str | None]:
    key = f"cmp_{side.lower()}"
    st.subheader(f"Request {side}")
    chosen = _side_selection(selection, key)
    if chosen is None:
        return None, None  # the failure is already on screen
    details = _campaign(chosen, key, selection.campaign_arn)
    if details is None:
        return None, None
    st.caption(f"recipe {md(details.recipe)} ({details.kind.replace('_', ' ').lower()})"
               + ("" if details.has_scores else " · returns no scores"))
    suggestions = request_form.suggestions_for(chosen, details)
    _prefill(key, suggestions)
    spec = details.form
    if spec.shows_user:
        user_picker.render(lambda: user_data.of(chosen.config, details.dataset_group_arn), f"{key}_user",
                           key=f"{key}_picker", live=not chosen.config.is_local)
        st.text_input("User ID", key=f"{key}_user", persist_state="session")
    if spec.shows_item:
        st.text_input("Item ID", key=f"{key}_item", persist_state="session")
    if spec.needs_item_list:
        st.text_area("Items to rank", key=f"{key}_items", height=90, persist_state="session")
    rows = _context_rows(key)
    chosen_filter = _filter(suggestions, key)
    config = _exploration(chosen, details, key)
    inputs = requests.FormInputs(
        campaign_arn=details.arn, recipe=details.recipe_info, user_id=st.session_state.get(f"{key}_user", ""),
        item_id=st.session_state.get(f"{key}_item", ""), items_text=st.session_state.get(f"{key}_items", ""),
        context_rows=tuple(rows), num_results=num_results, filter=chosen_filter)
    try:
        method, params = requests.build_request(inputs)
    except requests.RequestError as exc:
        return None, f"Request {side}: {exc.message}"
    return SideRequest(side, chosen, details, method, params, chosen_filter and chosen_filter.name, config), None


def items_frame(request: SideRequest) -> pd.DataFrame | None:
    """Item metadata for this side's results (a local group, or a live group's snapshot)."""
    try:
        return user_data.items(request.selection.config, request.details.dataset_group_arn)
    except Exception:
        return None
