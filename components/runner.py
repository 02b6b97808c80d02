"""Send the request, keep the answer in the session, and hand back the last one for this campaign.

The last result is kept in session state so later reruns (a download click, a page switch)
still show it; it is shown only while the same source and campaign are selected.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

from components import errors
from components.sidebar import Selection
from scoring import results
from scoring.clients import RuntimeClient

_LAST = "_last_result"


@dataclass(frozen=True)
class Result:
    source_key: tuple[str | None, ...]
    campaign_arn: str
    method: str
    params: dict[str, Any]
    response: dict[str, Any]
    table: pd.DataFrame
    catalogue: tuple[np.ndarray, np.ndarray] | None
    elapsed_ms: float

    @property
    def is_ranking(self) -> bool:
        return "inputList" in self.params


def _catalogue(runtime: RuntimeClient, params: dict[str, Any]) -> tuple[np.ndarray, np.ndarray] | None:
    """The whole catalogue's scores where the source can give them; an extra, so never fatal."""
    try:
        return results.catalogue_scores(runtime, params)
    except Exception:
        return None


def run(selection: Selection, request: tuple[str, dict[str, Any]],
        items: pd.DataFrame | None) -> Result | None:
    """Call the runtime client; on failure show why and forget the previous result."""
    method, params = request
    assert selection.clients is not None and selection.campaign_arn is not None
    runtime = selection.clients.runtime
    try:
        with st.spinner("Asking the campaign…"):
            start = time.perf_counter()
            response = getattr(runtime, method)(**params)
            elapsed = (time.perf_counter() - start) * 1000
    except Exception as exc:
        st.session_state.pop(_LAST, None)
        errors.show(exc)
        return None
    result = Result(selection.config.key, selection.campaign_arn, method, params, response,
                    results.to_table(response, items), _catalogue(runtime, params), elapsed)
    st.session_state[_LAST] = result
    return result


def last(selection: Selection) -> Result | None:
    """The last result, if it belongs to the source and campaign selected now."""
    result: Result | None = st.session_state.get(_LAST)
    if result is None:
        return None
    if result.source_key != selection.config.key or result.campaign_arn != selection.campaign_arn:
        return None
    return result
