"""A dataset group's filters for the UI, on any control client (local group or live AWS), cached briefly.

Lists come from ListFilters(datasetGroupArn) and expressions from DescribeFilter, so the Test
campaign form and the Filters page work the same for a live campaign. `forget()` drops the
cache after a create or delete.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from scoring import filters, schemas

TTL = 60  # seconds: filters change more often than campaigns


@st.cache_data(ttl=TTL, show_spinner=False)
def group_filters(_control: Any, key: tuple[str | None, ...], group_arn: str | None) -> list[dict[str, Any]]:
    """Every FilterSummary of the group (`key` identifies the source; the client is not hashed)."""
    return filters.list_filters(_control, group_arn)


@st.cache_data(ttl=TTL, show_spinner=False)
def expressions(_control: Any, key: tuple[str | None, ...], group_arn: str | None) -> dict[str, str]:
    """filterArn -> filterExpression for every filter of the group (one DescribeFilter each)."""
    out = {}
    for f in group_filters(_control, key, group_arn):
        out[f["filterArn"]] = _control.describe_filter(filterArn=f["filterArn"])["filter"].get("filterExpression", "")
    return out


@st.cache_data(ttl=TTL, show_spinner=False)
def fields(_control: Any, key: tuple[str | None, ...], group_arn: str | None) -> dict[str, list[str]]:
    """Dataset type -> field names from the schemas (for metadata columns and the expression help)."""
    return filters.dataset_fields(_control, group_arn)


@st.cache_data(ttl=TTL, show_spinner=False)
def typed_fields(_control: Any, key: tuple[str | None, ...], group_arn: str | None) -> dict[str, list[str]]:
    """Dataset type -> its fields as the filter help shows them, typed by DescribeSchema."""
    return {kind: [schemas.field_hint(f) for f in found.fields]
            for kind, found in schemas.described(_control, group_arn).items()}


def forget() -> None:
    group_filters.clear()
    expressions.clear()


def best_effort(call: Any, *args: Any) -> Any:
    """A suggestion the form can do without: None when the source refuses (e.g. no ListFilters right)."""
    try:
        return call(*args)
    except Exception:
        return None
