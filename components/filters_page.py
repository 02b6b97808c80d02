"""The Filters page's pieces: the group's filters as a table, create, test and delete.

Everything goes through the control client (ListFilters, DescribeFilter, CreateFilter,
DeleteFilter), so the page is the same for a local group and a live dataset group; only
testing a filter against the catalogue needs the local data (a live campaign cannot say
which items pass without a request).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

from components import errors, filters_view, user_data, user_picker
from components.sidebar import Selection
from components.safe_text import md
from scoring import filters, requests
from scoring.campaigns import CampaignDetails

SAMPLE = 20
EXAMPLE = 'EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("click")'


def _when(value: Any) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if isinstance(value, datetime) else "—"


def table(listed: list[dict[str, Any]], expressions: dict[str, str]) -> pd.DataFrame:
    return pd.DataFrame({
        "Name": [f["name"] for f in listed],
        "Expression": [expressions.get(f["filterArn"], "") for f in listed],
        "Status": [f.get("status", "") for f in listed],
        "Created": [_when(f.get("creationDateTime")) for f in listed],
        "ARN": [f["filterArn"] for f in listed],
    })


def show_list(selection: Selection, details: CampaignDetails) -> tuple[list[dict[str, Any]], dict[str, str]] | None:
    """The group's filters, or None after showing why they could not be listed."""
    assert selection.clients is not None
    control, key, group = selection.clients.control, selection.config.key, details.dataset_group_arn
    try:
        listed = filters_view.group_filters(control, key, group)
        expressions = filters_view.expressions(control, key, group)
    except Exception as exc:
        errors.show(exc)
        return None
    st.subheader(f"{len(listed)} filter{'s' if len(listed) != 1 else ''} in dataset group "
                 f"{md(group.rsplit('/', 1)[-1]) if group else 'unknown'}")
    if listed:
        st.dataframe(table(listed, expressions), hide_index=True, key="filters_table",
                     column_config={"Expression": st.column_config.TextColumn(width="large"),
                                    "ARN": st.column_config.TextColumn(width="medium")})
    else:
        st.info("This dataset group has no filters yet.", icon=":material/filter_alt_off:")
    st.caption(f"A dataset group holds at most {filters.MAX_FILTERS} filters; a filter uses at most "
               f"{filters.MAX_FIELDS} distinct fields.")
    return listed, expressions


def fields_help(selection: Selection, details: CampaignDetails) -> None:
    assert selection.clients is not None
    found = filters_view.best_effort(filters_view.typed_fields, selection.clients.control, selection.config.key,
                                     details.dataset_group_arn) or {}
    lines = []
    for dataset, names in found.items():
        usable = ["EVENT_TYPE"] if dataset == "Interactions" else [n for n in names if not n.endswith("_ID")]
        lines.append(f"- **{dataset}**: {', '.join(usable)}")
    st.markdown("Fields you can use:\n" + "\n".join(lines) if lines else "")
    st.caption("`Items.<FIELD> IN (\"a\", $PARAM)`, `Items.<FIELD> >= 2000`, `Interactions.EVENT_TYPE IN (\"watch\")` "
               "(`*` = every event type), `... IF CurrentUser.<FIELD> IN (\"x\")`; join conditions with AND / OR "
               "and expressions with `|`.")


def create_form(selection: Selection, details: CampaignDetails, can_write: bool) -> None:
    assert selection.clients is not None
    with st.form("create_filter", clear_on_submit=False):
        st.text_input("Filter name", key="new_filter_name", placeholder="e.g. exclude-clicked",
                      help="Letters, digits, - and _ (at most 63 characters).")
        st.text_area("Filter expression", key="new_filter_expression", placeholder=EXAMPLE, height=90)
        submitted = st.form_submit_button("Create filter", key="create_filter_submit", type="primary",
                                          disabled=not can_write)
    if not submitted:
        return
    name = str(st.session_state.get("new_filter_name") or "").strip()
    expression = str(st.session_state.get("new_filter_expression") or "").strip()
    if not name or not expression:
        st.error("Enter a name and an expression.", icon=":material/edit_note:")
        return
    try:
        arn = selection.clients.control.create_filter(name=name, datasetGroupArn=details.dataset_group_arn,
                                                      filterExpression=expression)["filterArn"]
    except Exception as exc:
        errors.show(exc)
        return
    filters_view.forget()
    st.session_state["_filters_notice"] = f"Created filter {md(name)} ({md(arn)})."
    st.rerun()


def notice() -> None:
    message = st.session_state.pop("_filters_notice", None)
    if message:
        st.success(message, icon=":material/check_circle:")


def _arn_picker(label: str, key: str, listed: list[dict[str, Any]]) -> str:
    names = {f["filterArn"]: f["name"] for f in listed}
    if st.session_state.get(key) not in names:
        st.session_state[key] = next(iter(names))
    return str(st.selectbox(label, list(names), key=key, format_func=names.get))


def test_panel(selection: Selection, listed: list[dict[str, Any]], expressions: dict[str, str],
               group: Any, default_user: str) -> None:
    """Which catalogue items pass a filter for a user and parameter values (local groups only)."""
    if not listed:
        return
    if group is None:
        st.info("Testing a filter against the catalogue needs the items and interactions, which only a local "
                "dataset group has: on AWS, choose the filter on the Test campaign page.", icon=":material/info:")
        return
    arn = _arn_picker("Filter to test", "test_filter_arn", listed)
    params = filters.parameters_of(expressions.get(arn, ""))
    st.session_state.setdefault("test_filter_user", default_user)
    user_picker.render(lambda: user_data.of(selection.config, None), "test_filter_user", key="filter_picker")
    with st.form("test_filter"):
        st.text_input("User ID", key="test_filter_user", help="Interactions and CurrentUser conditions read "
                      "this user's data; an unknown user has none.")
        needs_item = filters.uses_current_item(expressions.get(arn, ""))
        if needs_item:
            st.text_input("Item ID (CurrentItem)", key="test_filter_item", help="CurrentItem.<FIELD> reads this "
                          "item's data, as a related-items request's itemId; an unknown item has none.")
        texts = {}
        for p in params:
            texts[p.name] = st.text_input(md(f"${p.name}"), key=f"test_fv_{p.name}",
                                          placeholder="e.g. 2000" if p.kind == filters.NUMBER else "e.g. Comedy, Drama")
        st.caption("; ".join(filters.describe_parameters(params)) or "This filter has no parameters.")
        submitted = st.form_submit_button("Test filter", key="test_filter_submit")
    if not submitted:
        return
    name = next((f["name"] for f in listed if f["filterArn"] == arn), "")
    try:
        values = requests.filter_values(requests.FilterInputs(arn, name, params, texts))
        item = str(st.session_state.get("test_filter_item", "")).strip() if needs_item else None
        result = group.evaluator.mask(expressions[arn], values, str(st.session_state["test_filter_user"]).strip(),
                                      f"Filter {name}", item_id=item or None)
    except (requests.RequestError, filters.FilterError) as exc:
        st.error(md(exc), icon=":material/edit_note:")
        return
    rows = np.flatnonzero(result.mask)
    total = len(result.mask)
    st.metric("Catalogue items that pass", f"{len(rows):,} of {total:,}", delta=f"{len(rows) / total:.1%}",
              delta_color="off")
    ids = group.model.item_ids[rows[:SAMPLE]].astype(str)
    sample = pd.DataFrame({"Item ID": ids})
    if group.items is not None:
        known = [c for c in ("TITLE", "GENRES", "YEAR") if c in group.items.columns]
        sample = sample.join(group.items.reindex(ids)[known].reset_index(drop=True))
    st.dataframe(sample, hide_index=True, key="filter_sample")
    st.caption(f"The first {len(sample)} passing items in catalogue order.")


def delete_panel(selection: Selection, listed: list[dict[str, Any]], can_write: bool) -> None:
    assert selection.clients is not None
    if not listed:
        return
    arn = _arn_picker("Filter to delete", "delete_filter_arn", listed)
    confirm = st.checkbox("Yes, delete this filter", key="delete_filter_confirm",
                          help="Requests that name it will then fail with ResourceNotFoundException.")
    if not st.button("Delete filter", key="delete_filter_submit", type="secondary",
                     disabled=not (can_write and confirm), icon=":material/delete:"):
        return
    try:
        selection.clients.control.delete_filter(filterArn=arn)
    except Exception as exc:
        errors.show(exc)
        return
    filters_view.forget()
    st.session_state.pop("delete_filter_confirm", None)
    st.session_state["_filters_notice"] = f"Deleted filter {md(arn.rsplit('/', 1)[-1])}."
    st.rerun()
