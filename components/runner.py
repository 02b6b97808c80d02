"""Send the request, keep the answer in the session, and hand back the last one for this campaign.

The last result is kept in session state so later reruns (a download click, a page switch)
still show it; it is shown only while the same source and campaign are selected. So is the last
failure: its message stays until the next request, not only on the run that sent it (the page's
own follow-up run, e.g. for the charts of the answer before, would otherwise wipe it at once).
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
from scoring import errors as scoring_errors
from scoring import results
from scoring.clients import RuntimeClient

_LAST = "_last_result"
_FAILED = "_last_failure"


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
        problem = scoring_errors.explain(exc)
        st.session_state[_FAILED] = (selection.config.key, selection.campaign_arn, problem)
        errors.show_problem(problem)
        return None
    st.session_state.pop(_FAILED, None)
    result = Result(selection.config.key, selection.campaign_arn, method, params, response,
                    results.to_table(response, items), _catalogue(runtime, params), elapsed)
    st.session_state[_LAST] = result
    return result


def failed(selection: Selection) -> bool:
    """Whether the last request for the source and campaign selected now failed."""
    failure = st.session_state.get(_FAILED)
    return failure is not None and failure[:2] == (selection.config.key, selection.campaign_arn)


def last(selection: Selection) -> Result | None:
    """The last result, if it belongs to the source and campaign selected now; when the last
    request for them failed instead, its message again, and None."""
    if failed(selection):
        errors.show_problem(st.session_state[_FAILED][2])
        return None
    result: Result | None = st.session_state.get(_LAST)
    if result is None:
        return None
    if result.source_key != selection.config.key or result.campaign_arn != selection.campaign_arn:
        return None
    return result
