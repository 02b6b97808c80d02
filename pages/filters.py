"""Filters: the dataset group's filters; create, test and delete them (local groups), read them (AWS)."""

from __future__ import annotations

import streamlit as st

from components import campaign_view, filters_page, read_only, request_form, share, sources
from components.safe_text import md

selection, details = campaign_view.selected_or_stop()

st.title("Filters")
st.caption(f"Dataset group of campaign {md(details.name)}: {md(details.dataset_group_arn or 'unknown')}")
can_write = selection.config.is_local
if not can_write:
    st.info("On Amazon Personalize this page only reads filters (ListFilters, DescribeFilter): create and "
            "delete them in the AWS console or with boto3, where a new filter takes a few minutes to become "
            "ACTIVE. Choose a filter on the Test campaign page to try it.", icon=":material/visibility:")
filters_page.notice()
found = filters_page.show_list(selection, details)
if found is None:
    st.stop()
listed, expressions = found

test_col, manage_col = st.columns(2, gap="large")
with test_col:
    st.subheader("Test a filter")
    group = sources.group(selection.config)
    filters_page.test_panel(selection, listed, expressions, group,
                            request_form.suggestions_for(selection, details).user_id or "1")
with manage_col:
    if can_write and read_only.active():
        st.subheader("Create or delete a filter")
        read_only.note("Creating and deleting filters")
    else:
        st.subheader("Create a filter")
        filters_page.fields_help(selection, details)
        filters_page.create_form(selection, details, can_write)
        st.subheader("Delete a filter")
        filters_page.delete_panel(selection, listed, can_write)

share.sync(selection.shared)
