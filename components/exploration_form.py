"""Change a local user-personalization campaign's exploration with UpdateCampaign (Campaign page).

Local only: on AWS an update of a campaign is billed by its new minProvisionedTPS and takes minutes,
so the console only reads live campaigns' configuration. Read-only mode hides the form.
"""

from __future__ import annotations

import streamlit as st

from components import errors, read_only, sources
from components.safe_text import md
from components.sidebar import Selection
from scoring import exploration
from scoring.campaigns import CampaignDetails

NOTICE = "_exploration_notice"


def _defaults(selection: Selection, details: CampaignDetails) -> tuple[float, float]:
    """The campaign's setting, else the documented defaults (with a cut-off that reaches some items)."""
    try:
        setting = exploration.parse_config(details.config)
    except exploration.ExplorationError:
        setting = None
    if setting is not None:
        return setting.weight, setting.age_cutoff_days
    group = sources.group(selection.config)
    cutoff = float(exploration.DEFAULT_AGE_CUTOFF)
    if group is not None and not group.item_activity.candidates(cutoff).any():
        cutoff = exploration.youngest_share_cutoff(group.item_activity)
    return float(exploration.DEFAULT_WEIGHT), cutoff


def render(selection: Selection, details: CampaignDetails) -> None:
    message = st.session_state.pop(NOTICE, None)
    if message:
        st.success(message, icon=":material/check_circle:")
    if not selection.config.is_local:
        st.caption("Change a live campaign's configuration with UpdateCampaign (AWS console, CLI or SDK): this "
                   "console only reads live campaigns.")
        return
    if not exploration.explores(details.recipe):
        return
    if read_only.active():
        read_only.note("Changing local campaigns")
        return
    weight_key, age_key = f"explore_weight_{details.name}", f"explore_age_{details.name}"
    weight, cutoff = _defaults(selection, details)
    st.session_state.setdefault(weight_key, weight)
    st.session_state.setdefault(age_key, cutoff)
    with st.expander("Change exploration (UpdateCampaign)"), st.form("exploration_form"):
        st.slider("Exploration weight", 0.0, 1.0, step=0.05, key=weight_key,
                  help="0 turns exploration off: the list is then exactly the model's best items.")
        st.number_input("Item age cut-off (days)", min_value=1.0, step=1.0, key=age_key,
                        help="Only items at most this old, counted back from the latest interaction, are explored.")
        st.caption("Writes this local campaign's configuration in its campaigns.json at once; nothing is billed.")
        submitted = st.form_submit_button("Update campaign", key="exploration_submit")
    if not submitted:
        return
    config = exploration.config_for(float(st.session_state[weight_key]), float(st.session_state[age_key]))
    assert selection.clients is not None
    try:
        selection.clients.control.update_campaign(campaignArn=details.arn,
                                                  campaignConfig={exploration.CONFIG_KEY: config})
    except Exception as exc:
        errors.show(exc)
        return
    sources.campaign_details.clear()
    st.session_state[NOTICE] = (f"Updated {md(details.name)}: explorationWeight {config[exploration.WEIGHT_KEY]}, "
                                f"explorationItemAgeCutOff {config[exploration.AGE_KEY]} days.")
    st.rerun()
