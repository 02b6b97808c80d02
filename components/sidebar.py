"""The shared sidebar: where the campaigns are (local group or AWS account) and which one to test.

`render()` runs in app.py before the page, on every run, and hands its answer to the page
through session state (`current()`). A failure to list campaigns (no credentials, access
denied, unreachable endpoint...) is shown once as an `st.error` and returned as a Problem,
never raised: the page then shows a hint instead of content. A failure to reach the endpoint
is remembered for `RETRY_AFTER` seconds, so reruns do not wait for it again until the person
presses "Try again".

A shared link may name an endpoint URL: it is never used until the person accepts it here
(it would receive calls signed with their credentials), and every endpoint URL is checked
(`scoring.aws.endpoint_problem`) before a client is made.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import streamlit as st

import scoring.aws
from components import errors as error_view
from components import read_only, share, sources
from components.safe_text import code, md
from scoring import errors, shareable

LOCAL_LABEL = "Local"
AWS_LABEL = "Amazon Personalize"
DEFAULT_REGION = "us-east-1"
DEMO_CAMPAIGN = "demo-user-personalization"

_SELECTION = "_sidebar_selection"
_PENDING_ENDPOINT = "_sidebar_pending_endpoint"
_FAILED = "_sidebar_failed"
#: Seconds a failure to reach an endpoint is shown without calling it again.
RETRY_AFTER = 60.0
_UNREACHABLE = {"Timeout", "EndpointUnreachable"}


@dataclass(frozen=True)
class Selection:
    """What the sidebar chose, with the clients to use and the campaign picked (if any)."""

    config: sources.SourceConfig
    clients: sources.Clients | None = None
    campaigns: list[dict[str, Any]] = field(default_factory=list)
    campaign_arn: str | None = None  # the campaign's, or the recommender's, ARN
    problem: errors.Problem | None = None
    recommenders: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ready(self) -> bool:
        return self.clients is not None and self.campaign_arn is not None and self.problem is None

    @property
    def shared(self) -> shareable.SharedState:
        """The source and campaign as a shareable state (the page adds the request)."""
        c = self.config
        return shareable.SharedState(
            source=c.source, group=c.group if c.is_local else None,
            region=None if c.is_local else c.region, profile=None if c.is_local else c.profile,
            endpoint=None if c.is_local else c.endpoint, campaign=self.campaign_arn)


def _seed(state: shareable.SharedState) -> None:
    """Put a shared link's source and campaign into the widgets' state before they are drawn."""
    st.session_state["source"] = AWS_LABEL if state.source == shareable.AWS else LOCAL_LABEL
    if state.group:
        st.session_state["local_group"] = state.group
    if state.region:
        st.session_state["aws_region"] = state.region
    if state.profile:
        st.session_state["aws_profile"] = state.profile
    if state.endpoint:
        # Not used until the person accepts it in the sidebar (`_confirm_endpoint`).
        st.session_state[_PENDING_ENDPOINT] = state.endpoint
    if state.campaign:
        st.session_state["campaign_arn"] = state.campaign


def _choose(key: str, options: list[str], default: str) -> None:
    """Make the widget's state one of its options (sources change what the options are)."""
    if st.session_state.get(key) not in options:
        st.session_state[key] = default if default in options else options[0]


def _local_config() -> sources.SourceConfig:
    names = sources.local_group_names()
    _choose("local_group", names, sources.DEMO_GROUP)
    group = st.selectbox("Dataset group", names, key="local_group", persist_state="session",
                         help="A folder under data/ with Personalize CSV files and a trained model.")
    return sources.SourceConfig(sources.LOCAL, group=group)


def _confirm_endpoint(pending: str) -> None:
    """Ask before a linked endpoint URL gets calls signed with this person's credentials."""
    st.warning("The link you opened asks to send your AWS calls, signed with your credentials, "
               f"to {code(pending[:300])}. Accept only if you know and trust that server.",
               icon=":material/shield:")
    problem = scoring.aws.endpoint_problem(pending)
    if problem:
        st.error(md(problem), icon=":material/block:")
    accept, ignore = st.columns(2)
    if accept.button("Use it", key="endpoint_accept", disabled=problem is not None):
        st.session_state["aws_endpoint"] = pending
        del st.session_state[_PENDING_ENDPOINT]
        st.rerun()
    if ignore.button("Ignore it", key="endpoint_ignore"):
        del st.session_state[_PENDING_ENDPOINT]
        st.rerun()


def _aws_config() -> sources.SourceConfig:
    pending = st.session_state.get(_PENDING_ENDPOINT)
    if pending and read_only.active():
        del st.session_state[_PENDING_ENDPOINT]  # a shared console signs for its host: never
    elif pending:
        _confirm_endpoint(pending)
    regions = scoring.aws.regions() or [DEFAULT_REGION]
    _choose("aws_region", regions, scoring.aws.default_region() or DEFAULT_REGION)
    region = st.selectbox("Region", regions, key="aws_region", persist_state="session")
    profiles = [scoring.aws.DEFAULT_PROFILE] + scoring.aws.profiles()
    _choose("aws_profile", profiles, scoring.aws.DEFAULT_PROFILE)
    profile = st.selectbox("Profile", profiles, key="aws_profile", persist_state="session",
                           help="Profiles from your AWS config files (names only). Credentials are "
                                "found by boto3 and never shown.")
    if read_only.active():
        read_only.note("A custom endpoint URL")
        endpoint = ""
    else:
        endpoint = st.text_input("Endpoint URL (optional)", key="aws_endpoint", persist_state="session",
                                 placeholder="e.g. http://127.0.0.1:8080 for `python -m scoring.server`")
    return sources.SourceConfig(
        sources.AWS, region=region,
        profile=None if profile == scoring.aws.DEFAULT_PROFILE else profile,
        endpoint=(endpoint or "").strip() or None)


def _load(config: sources.SourceConfig) -> tuple[sources.Clients | None, list[dict[str, Any]],
                                                 errors.Problem | None]:
    """Clients and every campaign and recommender summary (campaigns first), or the problem."""
    if not config.is_local:
        if st.session_state.get(_PENDING_ENDPOINT):
            return None, [], errors.Problem(
                "EndpointNotConfirmed", "The link you opened names an endpoint URL for AWS calls.",
                "Accept it or ignore it in the sidebar: nothing is sent until you do.")
        if config.endpoint:
            problem = scoring.aws.endpoint_problem(config.endpoint)
            if problem:
                return None, [], errors.Problem("InvalidEndpointURL", problem,
                                                "Fix the endpoint URL in the sidebar, or clear it.")
        failed = st.session_state.get(_FAILED)
        if failed and failed[0] == config.key and time.monotonic() - failed[1] < RETRY_AFTER:
            return None, [], failed[2]
    message = ("Preparing the local campaign (the first run builds the demo data and trains the "
               "model)…" if config.is_local else "Listing campaigns…")
    try:
        with st.spinner(message):
            clients = sources.clients(config)
            listed = sources.campaign_list(clients.control, config.key)
            recommenders, failed = sources.recommender_list(clients.control, config.key)
            if failed is not None and not config.is_local:
                st.caption(f"Recommenders could not be listed ({md(failed.code)}): only campaigns are shown.")
            return clients, listed + recommenders, None
    except Exception as exc:  # any failure: one clear message, never a traceback
        problem = errors.explain(exc)
        if not config.is_local and problem.code in _UNREACHABLE:
            st.session_state[_FAILED] = (config.key, time.monotonic(), problem)
        return None, [], problem


def _default_campaign(targets: list[dict[str, Any]]) -> str:
    by_name = {c["name"]: sources.target_arn(c) for c in targets}
    if DEMO_CAMPAIGN in by_name:
        return by_name[DEMO_CAMPAIGN]
    personal = [c for c in targets if "user-personalization" in c["name"]]
    return sources.target_arn((personal or targets)[0])


def _local_recipe(clients: sources.Clients | None, config: sources.SourceConfig,
                  summary: dict[str, Any]) -> str | None:
    """A local campaign's recipe ARN (describing it is cheap locally; live, it would cost two calls
    per campaign, so live campaigns are labelled by name and status only)."""
    if clients is None or not config.is_local or "campaignArn" not in summary:
        return None
    try:
        return sources.campaign_details(clients.control, config.key, summary["campaignArn"]).recipe_arn
    except Exception:  # a label is a convenience: the page reports a broken campaign itself
        return None


def _campaign_picker(targets: list[dict[str, Any]], clients: sources.Clients | None,
                     config: sources.SourceConfig) -> str | None:
    """One picker for campaigns and then recommenders, each labelled with its recipe or use case
    and status."""
    # Option labels are plain text in a selectbox (Streamlit does not render markdown there).
    names = {sources.target_arn(c): sources.target_label(c, _local_recipe(clients, config, c))
             for c in targets}
    arns = list(names)
    _choose("campaign_arn", arns, _default_campaign(targets))
    recommenders = sum("recommenderArn" in c for c in targets)
    label = (f"Campaign ({len(arns)})" if not recommenders else
             f"Campaign or recommender ({len(arns) - recommenders} + {recommenders})")
    return st.selectbox(label, arns, key="campaign_arn", format_func=names.get,
                        help="Campaigns first, then the domain recommenders (name · use case)."
                        if recommenders else None)


def render() -> Selection:
    """Draw the sidebar and return (and remember) the selection."""
    opened_with = share.boot()
    if opened_with is not None:
        _seed(opened_with)
    st.session_state.setdefault("source", LOCAL_LABEL)
    with st.sidebar:
        st.header("Source")
        label = st.radio("Source", [LOCAL_LABEL, AWS_LABEL], key="source", label_visibility="collapsed")
        config = _local_config() if label == LOCAL_LABEL else _aws_config()
        clients, targets, problem = _load(config)
        arn = None
        if targets:
            st.header("Campaign")
            arn = _campaign_picker(targets, clients, config)
        elif problem is None:
            st.info(f"No campaigns or recommenders found in {md(config.label)}.")
        else:
            st.caption("Campaigns could not be listed: see the message on the page.")
            if st.session_state.get(_FAILED) and st.button("Try again", key="sidebar_retry"):
                del st.session_state[_FAILED]
                st.rerun()
    if problem is not None:
        error_view.show_problem(problem)
    campaigns = [c for c in targets if "campaignArn" in c]
    recommenders = [c for c in targets if "recommenderArn" in c]
    selection = Selection(config, clients, campaigns, arn, problem, recommenders)
    st.session_state[_SELECTION] = selection
    return selection


def current() -> Selection:
    """The selection app.py's sidebar made on this run.

    With a `pages/` folder next to app.py, Streamlit starts in its old multipage mode and, until
    some run has called `st.navigation`, runs a requested page (e.g. a link to /campaign as the
    first request a server gets) *without* app.py. The page then finds no selection here: we
    turn that mode off exactly as `st.navigation` does and rerun, so app.py draws the page.
    """
    selection = st.session_state.pop(_SELECTION, None)
    if selection is None:
        from streamlit.runtime.pages_manager import PagesManager

        PagesManager.uses_pages_directory = False
        st.rerun()
    return selection
