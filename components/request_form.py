"""The console's test form, adapted to the recipe: user / item / item list, context rows, numResults,
filter + parameters, a promotion, item metadata columns.

Widgets keep their values across pages (`persist_state="session"`). A shared link's request is
copied into the widgets before they are drawn and then run as if the button had been pressed.
Returns the boto3 request to run, or None (nothing submitted, or a form mistake already shown).

The two filter pickers (the request's and the promotion's) sit above the form: choosing one
reruns the page at once, so the form shows one input per `$PARAM` of the chosen filter.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import streamlit as st

from components import errors, filters_view, share, sources
from components.sidebar import Selection
from components.safe_text import code, md
from scoring import filters, requests, shareable
from scoring.campaigns import CampaignDetails

DEFAULT_CONTEXT_ROWS = 2
_ROWS = "ctx_rows"


@dataclass(frozen=True)
class Suggestions:
    """What to pre-fill: a demo user, items to rank, context keys and known values per key."""

    user_id: str = ""
    items: Sequence[str] = ()
    context_keys: Sequence[str] = ()
    context_values: dict[str, list[str]] = field(default_factory=dict)
    filters: dict[str, str] = field(default_factory=dict)  # filterArn -> name
    expressions: dict[str, str] = field(default_factory=dict)  # filterArn -> filterExpression
    item_columns: Sequence[str] = ()
    origin: tuple[Any, ...] = ()  # the source and dataset group these suggestions come from


_DEFAULTS = "_prefilled_defaults"


def prefill(defaults: dict[str, Any], origin: tuple[Any, ...]) -> None:
    """Pre-fill widgets from suggestions, and follow a change of source or dataset group.

    A widget never set gets its default. When the suggestions come from another group than the
    last default did (the user picked another dataset group), a widget still holding that last
    default gets the new one; whatever the user typed is kept.
    """
    given: dict[str, tuple[tuple[Any, ...], Any]] = st.session_state.setdefault(_DEFAULTS, {})
    for key, value in defaults.items():
        if key not in st.session_state:
            st.session_state[key] = value
        elif key in given and given[key][0] != origin and st.session_state[key] == given[key][1]:
            st.session_state[key] = value
        given[key] = (origin, value)


def suggestions_for(selection: Selection, details: CampaignDetails) -> Suggestions:
    """Demo user and items from the local model; context keys, filters and item columns from the control plane."""
    assert selection.clients is not None
    control, key, group_arn = selection.clients.control, selection.config.key, details.dataset_group_arn
    keys = sources.context_keys(control, key, group_arn)
    listed = filters_view.best_effort(filters_view.group_filters, control, key, group_arn) or []
    names = {f["filterArn"]: f["name"] for f in listed if f.get("status", "ACTIVE") == "ACTIVE"}
    expressions = filters_view.best_effort(filters_view.expressions, control, key, group_arn) or {}
    columns: list[str] = []
    if details.config.get("enableMetadataWithRecommendations"):
        fields = filters_view.best_effort(filters_view.fields, control, key, group_arn) or {}
        columns = [c for c in fields.get("Items", []) if c != "ITEM_ID"]
    extra = {"filters": names, "expressions": expressions, "item_columns": columns,
             "origin": (key, group_arn)}
    try:
        group = sources.group(selection.config)
        model = None if group is None else group.model
    except Exception:  # suggestions are a convenience: never let them break the page
        model = None
    if model is None:
        return Suggestions(context_keys=keys, **extra)
    values = {k: model.context_values(k) for k in keys}
    return Suggestions(requests.suggested_user(model), requests.suggested_items(model), keys, values, **extra)


def demo_hint(selection: Selection, suggestions: Suggestions, needs_user: bool = True) -> None:
    """A first thing to try, on local campaigns whose data has a DEVICE context."""
    if not selection.config.is_local or not suggestions.user_id:
        return
    if not needs_user:
        if suggestions.items:
            st.caption(f"Try item {md(suggestions.items[0])}: related items are its nearest neighbours "
                       "in the item embedding, returned without scores.")
        return
    devices = suggestions.context_values.get("DEVICE", [])
    if "mobile phone" in devices and "smart tv" in devices:
        st.caption(f"Try user {md(suggestions.user_id)} with DEVICE = mobile phone, then smart tv: "
                   "the same user gets different items on each device.")
    else:
        st.caption(f"Try user {md(suggestions.user_id)}, then an unknown user such as `new-user`.")


def _prefill(s: Suggestions) -> None:
    """Defaults for widgets the user has not touched (see `prefill`)."""
    st.session_state.setdefault(_ROWS, DEFAULT_CONTEXT_ROWS)
    defaults: dict[str, Any] = {"user_id": s.user_id, "items_text": ", ".join(s.items), "item_id": "",
                                "num_results": requests.DEFAULT_NUM_RESULTS}
    for i in range(st.session_state[_ROWS]):
        defaults[f"ctx_key_{i}"] = s.context_keys[0] if i == 0 and s.context_keys else ""
        defaults[f"ctx_val_{i}"] = ""
    prefill(defaults, s.origin)


def _fill_from_link(state: shareable.SharedState) -> None:
    """Copy a shared link's request into the widgets (overwriting what they held)."""
    st.session_state["user_id"] = state.user_id
    st.session_state["item_id"] = state.item_id
    if state.items:
        st.session_state["items_text"] = ", ".join(state.items)
    if state.num_results is not None:
        st.session_state["num_results"] = max(1, min(state.num_results, 500))
    st.session_state["filter_arn"] = state.filter_arn
    for name, raw in state.filter_values:
        st.session_state[f"fv_{name}"] = filters.text_from_filter_value(raw)
    st.session_state["promo_filter_arn"] = state.promotion_filter_arn
    st.session_state["promo_name"] = state.promotion_name or "promotion"
    if state.promotion_percent is not None:
        st.session_state["promo_percent"] = max(1, min(state.promotion_percent, 100))
    for name, raw in state.promotion_values:
        st.session_state[f"pfv_{name}"] = filters.text_from_filter_value(raw)
    st.session_state["metadata_columns"] = list(state.metadata_columns)
    rows = max(DEFAULT_CONTEXT_ROWS, len(state.context))
    st.session_state[_ROWS] = rows
    padded = list(state.context) + [("", "")] * (rows - len(state.context))
    for i, (key, value) in enumerate(padded):
        st.session_state[f"ctx_key_{i}"] = key
        st.session_state[f"ctx_val_{i}"] = value


def _context_rows(s: Suggestions) -> None:
    st.markdown("**Context** (optional)")
    placeholder = f"e.g. {s.context_keys[0]}" if s.context_keys else "e.g. DEVICE"
    for i in range(st.session_state[_ROWS]):
        visibility = "visible" if i == 0 else "collapsed"
        key_col, value_col = st.columns([2, 3])
        key_col.text_input("Key", key=f"ctx_key_{i}", placeholder=placeholder,
                           label_visibility=visibility, persist_state="session")
        value_col.text_input("Value", key=f"ctx_val_{i}", placeholder="value",
                             label_visibility=visibility, persist_state="session")
    known = [f"{md(k)}: {md(', '.join(v))}" for k, v in s.context_values.items() if v]
    note = "Rows without a value are ignored."
    st.caption(note + (" Known values — " + "; ".join(known) + "." if known else ""))


def filter_picker(label: str, key: str, s: Suggestions, help_text: str) -> str:
    """A filter of the campaign's dataset group, "None" first (outside the form: it reruns at once)."""
    options = [""] + list(s.filters)
    if st.session_state.get(key) not in options:
        st.session_state[key] = ""
    chosen = str(st.selectbox(label, options, key=key, format_func=lambda a: s.filters.get(a, "None"),
                              help=help_text, persist_state="session") or "")
    if s.expressions.get(chosen):
        st.caption(code(s.expressions[chosen]))
    return chosen


def _parameters(s: Suggestions, arn: str) -> tuple[filters.Parameter, ...]:
    return filters.parameters_of(s.expressions.get(arn, "")) if arn else ()


def parameter_inputs(s: Suggestions, arn: str, prefix: str) -> None:
    """One text input per $PARAM of the chosen filter, comma-separated values as in the console."""
    for p in _parameters(s, arn):
        example = "e.g. 2000" if p.kind == filters.NUMBER else "e.g. Comedy, Drama"
        need = "required" if p.required else "optional: left empty, this part of the filter is skipped"
        st.text_input(md(f"${p.name}"), key=f"{prefix}_{p.name}", placeholder=example, persist_state="session",
                      help=f"{'A number' if p.kind == filters.NUMBER else 'Values separated by commas'} ({need}).")


def filter_inputs(s: Suggestions, arn: str, prefix: str) -> requests.FilterInputs | None:
    if not arn:
        return None
    params = _parameters(s, arn)
    texts = {p.name: str(st.session_state.get(f"{prefix}_{p.name}", "")) for p in params}
    return requests.FilterInputs(arn, s.filters.get(arn, ""), params, texts)


def _inputs(details: CampaignDetails, s: Suggestions) -> requests.FormInputs:
    rows = [(st.session_state.get(f"ctx_key_{i}", ""), st.session_state.get(f"ctx_val_{i}", ""))
            for i in range(st.session_state[_ROWS])]
    promotion = None
    promo_filter = filter_inputs(s, st.session_state.get("promo_filter_arn", ""), "pfv")
    if promo_filter is not None and _promotes(details):
        promotion = requests.PromotionInputs(str(st.session_state.get("promo_name", "")),
                                             int(st.session_state.get("promo_percent") or 0), promo_filter)
    return requests.FormInputs(
        campaign_arn=details.arn, recipe=details.recipe_info,
        user_id=st.session_state.get("user_id", ""), item_id=st.session_state.get("item_id", ""),
        items_text=st.session_state.get("items_text", ""), context_rows=tuple(rows),
        num_results=st.session_state.get("num_results"),
        filter=filter_inputs(s, st.session_state.get("filter_arn", ""), "fv"), promotion=promotion,
        metadata_columns=tuple(st.session_state.get("metadata_columns") or ()) if s.item_columns else (),
    )


def _promotes(details: CampaignDetails) -> bool:
    """Promotions go with GetRecommendations, on every recipe or use case that allows them."""
    return not details.form.needs_item_list and details.recipe_info.promotions


def _pickers(details: CampaignDetails, s: Suggestions) -> tuple[str, str]:
    """The request's filter and (for GetRecommendations) the promotion's filter."""
    if not s.filters:
        return "", ""
    chosen = filter_picker("Filter", "filter_arn", s, "Filters of this campaign's dataset group "
                            "(the Filters page lists, tests and creates them).")
    promoted = ""
    if _promotes(details):
        with st.expander("Promotion", expanded=bool(st.session_state.get("promo_filter_arn"))):
            promoted = filter_picker("Promotion filter", "promo_filter_arn", s,
                                      "Items that pass this filter fill a share of the list, at random "
                                      "positions; the request's filter applies only to the other items.")
            if not promoted:
                st.caption("Choose a filter to promote the items that pass it.")
    return chosen, promoted


def _promotion_fields(s: Suggestions, promoted: str) -> None:
    if not promoted:
        return
    st.markdown(f"**Promotion** · {md(s.filters.get(promoted, ''))}")
    name_col, percent_col = st.columns([3, 2])
    name_col.text_input("Promotion name", key="promo_name", persist_state="session")
    percent_col.number_input("Promoted items (%)", min_value=1, max_value=100, step=1, key="promo_percent",
                             persist_state="session",
                             help="percentPromotedItems: the share of the list, rounded up to whole items.")
    parameter_inputs(s, promoted, "pfv")


def render(details: CampaignDetails, suggestions: Suggestions) -> tuple[str, dict[str, Any]] | None:
    """Draw the form; return (method, params) when it was submitted (or opened from a link)."""
    linked = share.take_pending_request(details.arn)
    if linked is not None:
        _fill_from_link(linked)
    _prefill(suggestions)
    st.session_state.setdefault("promo_name", "promotion")
    st.session_state.setdefault("promo_percent", 20)
    spec = details.form
    chosen, promoted = _pickers(details, suggestions)
    with st.form("request_form"):
        if spec.shows_user:
            st.text_input("User ID" if spec.needs_user else "User ID (optional)", key="user_id",
                          persist_state="session", placeholder="e.g. 1",
                          help="A user the model has never seen gets popular items." if spec.needs_user
                          else "Optional: used only by filters that read the user's data.")
        if spec.shows_item:
            st.text_input("Item ID", key="item_id", persist_state="session",
                          help="Recommendations are items related to this one.")
        if spec.needs_item_list:
            st.text_area("Items to rank", key="items_text", height=110, persist_state="session",
                         help="Item IDs separated by commas, spaces or new lines (at most 500).")
        parameter_inputs(suggestions, chosen, "fv")
        _context_rows(suggestions)
        if not spec.needs_item_list:
            st.number_input("Number of results", min_value=1, max_value=500, step=1, key="num_results",
                            persist_state="session", help="numResults: 25 by default, at most 500 "
                            "(50 with item metadata columns).")
        _promotion_fields(suggestions, promoted)
        if suggestions.item_columns:
            st.multiselect("Item metadata columns", list(suggestions.item_columns), key="metadata_columns",
                           max_selections=10, persist_state="session",
                           help="metadataColumns: returned with each item (the campaign enables it).")
        # The run button comes first: Enter in a field presses the form's first button.
        submitted = st.form_submit_button(spec.button, key="submit", type="primary", width="stretch")
        add_row = st.form_submit_button("Add context row", key="add_context_row", type="tertiary",
                                        icon=":material/add:")
    if add_row:
        st.session_state[_ROWS] += 1
        st.rerun()
    if not submitted and linked is None:
        return None
    try:
        return requests.build_request(_inputs(details, suggestions))
    except requests.RequestError as exc:
        errors.show(exc)
        return None
