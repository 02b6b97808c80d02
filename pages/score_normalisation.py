"""Score normalisation: why Personalize scores are small, with this campaign's own numbers."""

from __future__ import annotations

import streamlit as st

from components import campaign_view, normalisation_view, request_form, share
from scoring import normalisation

selection, details = campaign_view.selected_or_stop()

campaign_view.header(details, "Score normalisation")
normalisation_view.formula()

unscored = normalisation.unscored_reason(details.kind, details.recipe)
if unscored is not None:
    st.info(unscored + " Pick a user-personalization or personalized-ranking campaign in the sidebar "
            "to see how scores are normalised.", icon=":material/block:")
    share.sync(selection.shared)
    st.stop()

suggestions = request_form.suggestions_for(selection, details)
pair = normalisation_view.campaign_pair(selection, details)
given, submitted = normalisation_view.inputs(selection, suggestions)

study = normalisation_view.last(selection, pair)
if pair.recommend is None:
    st.info("Personalized-ranking scores are a softmax over the input list only. To see where they come "
            "from, pick above the user-personalization campaign that serves the same model: its "
            "catalogue scores, renormalised over the list, are the ranking scores.", icon=":material/info:")
elif given is not None and (submitted or (study is None and selection.config.is_local)):
    # Local campaigns answer at once, so the page opens with the numbers; live calls wait for the button.
    study = normalisation_view.run(selection, pair, given)
elif submitted:
    study = None  # the mistake is shown above; do not leave the previous numbers beside it
elif study is None:
    st.info("Enter a user and press **Show the numbers**.", icon=":material/arrow_upward:")

if study is not None:
    normalisation_view.identity_section(study)
    normalisation_view.catalogue_section(study)

share.sync(selection.shared)
