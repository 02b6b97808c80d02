"""The Score normalisation page's pieces: formula, inputs, the calls, and the numbers and charts.

One "study" = GetRecommendations for a user (top N with catalogue scores), the same items
re-scored by GetPersonalizedRanking on a ranking campaign, and, where the source can give them
(local campaigns), every item's catalogue score. It is kept in session state so reruns (a
widget click elsewhere) still show it while the same source and campaign are selected.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import streamlit as st

from components import campaign_view, errors, figures, request_form, sources, user_data, user_picker
from components.request_form import Suggestions
from components.sidebar import Selection
from components.safe_text import md
from scoring import normalisation, requests, results
from scoring.campaigns import CampaignDetails

_STUDY = "_normalisation_study"
_SKIP = ""
DEFAULT_TOP_N = 25


# -- the formula -------------------------------------------------------------------------------------
def formula() -> None:
    left, right = st.columns(2, gap="large")
    with left:
        st.markdown("**GetRecommendations**: a softmax over the whole catalogue of N items")
        st.latex(r"\mathrm{score}(u,i)=\frac{e^{\bar w_u\cdot w_i}}{\sum_{j=1}^{N} e^{\bar w_u\cdot w_j}}"
                 r"\qquad \sum_{i=1}^{N}\mathrm{score}(u,i)=1")
        st.caption("w̄ᵤ is the user's vector shifted by the request's context (e.g. DEVICE); wᵢ is the "
                   "item's vector. The scores share one unit of probability, so their average is 1/N: "
                   "small by construction, whatever the model's quality.")
    with right:
        st.markdown("**GetPersonalizedRanking**: the same softmax over the input list L only")
        st.latex(r"\mathrm{rank\_score}(u,i)=\frac{e^{\bar w_u\cdot w_i}}{\sum_{j\in L} e^{\bar w_u\cdot w_j}}"
                 r"=\frac{\mathrm{score}(u,i)}{\sum_{j\in L}\mathrm{score}(u,j)}")
        st.caption("The catalogue's normaliser cancels: for the same model, user and context a ranking "
                   "score is the recommendation score divided by the list's total. The table below "
                   "checks this row by row.")


# -- which campaigns play which part -------------------------------------------------------------------
@dataclass(frozen=True)
class Pair:
    """The campaign that recommends (catalogue scores) and the one that re-ranks (list scores)."""

    recommend: CampaignDetails | None
    rank: CampaignDetails | None


def _first_of_kind(selection: Selection, ranking: bool, exclude: str) -> str:
    """Local groups: the first scored campaign that ranks an input list (or that does not), as
    wanted (descriptions are cheap locally)."""
    for c in selection.campaigns:
        if c["campaignArn"] == exclude:
            continue
        details = campaign_view.load(selection, c["campaignArn"])
        if details is not None and details.recipe_info.ranks_input_list == ranking and details.has_scores:
            return c["campaignArn"]
    return _SKIP


def campaign_pair(selection: Selection, details: CampaignDetails) -> Pair:
    """The selected campaign plus a partner of the other kind, picked by the user (default: the
    local group's campaign of that kind, which serves the same model; none for a live source)."""
    ranking = details.recipe_info.ranks_input_list
    names = {c["campaignArn"]: c["name"] for c in selection.campaigns if c["campaignArn"] != details.arn}
    options = [_SKIP, *names]
    key = "norm_partner"
    if st.session_state.get(key) not in options or st.session_state.get("_norm_partner_for") != details.arn:
        st.session_state[key] = _first_of_kind(selection, not ranking, details.arn) if selection.config.is_local else _SKIP
        st.session_state["_norm_partner_for"] = details.arn
    label = ("Recommendation campaign that gives the catalogue scores" if ranking
             else "Ranking campaign that re-scores the list")
    none = "none: skip the re-scoring" if not ranking else "none"
    partner_arn = st.selectbox(
        label, options, key=key, format_func=lambda a: names.get(a, none),
        help="For the identity to hold, both campaigns must serve the same solution version "
             "(same model). The local demo's user-personalization and personalized-ranking campaigns do.")
    partner = campaign_view.load(selection, partner_arn) if partner_arn else None
    if partner is not None and (partner.recipe_info.ranks_input_list == ranking or not partner.has_scores):
        wanted = "user personalization" if ranking else "personalized ranking"
        st.error(f"{md(partner.name)} is a {partner.kind.replace('_', ' ').lower()} campaign: pick a "
                 f"{wanted} campaign, or none.", icon=":material/error:")
        partner = None
    if ranking:
        return Pair(recommend=partner, rank=details)
    return Pair(recommend=details, rank=partner)


# -- the inputs -----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Inputs:
    user_id: str
    context: dict[str, str]
    top_n: int
    catalogue_size: int | None


def _prefill(suggestions: Suggestions) -> None:
    request_form.prefill({"norm_user": suggestions.user_id,
                          "norm_ctx_key": suggestions.context_keys[0] if suggestions.context_keys else "",
                          "norm_ctx_val": "", "norm_top_n": DEFAULT_TOP_N, "norm_catalogue": 0},
                         suggestions.origin)


def inputs(selection: Selection, suggestions: Suggestions) -> tuple[Inputs | None, bool]:
    """(inputs, submitted). Inputs are None after a form mistake (already shown)."""
    _prefill(suggestions)
    group_arn = suggestions.origin[-1] if suggestions.origin else None  # (source key, dataset group)
    user_picker.render(lambda: user_data.of(selection.config, group_arn), "norm_user", key="norm_picker",
                       live=not selection.config.is_local)
    with st.form("norm_form", border=True):
        user_col, key_col, value_col, n_col = st.columns([3, 2, 3, 2])
        user_col.text_input("User ID", key="norm_user", persist_state="session",
                            help="A user the model has never seen gets popular items.")
        key_col.text_input("Context key (optional)", key="norm_ctx_key", persist_state="session",
                           placeholder="e.g. DEVICE")
        known = suggestions.context_values.get(st.session_state.get("norm_ctx_key", ""), [])
        value_col.text_input("Context value", key="norm_ctx_val", persist_state="session",
                             placeholder=", ".join(known[:3]) if known else "value")
        n_col.number_input("Top N", min_value=1, max_value=500, step=1, key="norm_top_n",
                           persist_state="session", help="How many items GetRecommendations returns "
                           "(numResults) and the ranking campaign re-scores.")
        if not selection.config.is_local:
            st.number_input("Catalogue size N, if you know it (0 = unknown)", min_value=0, step=1,
                            key="norm_catalogue", persist_state="session",
                            help="Personalize does not expose it; with it the page can place 1/N and bound "
                                 "the entropy from above.")
        submitted = st.form_submit_button("Show the numbers", key="norm_submit", type="primary")
    # Mistakes are shown when the button is pressed, not while the user is still typing.
    try:
        context = requests.context_dict([(st.session_state.get("norm_ctx_key", ""),
                                          st.session_state.get("norm_ctx_val", ""))])
    except requests.RequestError as exc:
        if submitted:
            errors.show(exc)
        return None, submitted
    user = (st.session_state.get("norm_user") or "").strip()
    if not user:
        if submitted:
            st.error("Enter a user ID: scores are computed for one user.", icon=":material/edit_note:")
        return None, submitted
    size = int(st.session_state.get("norm_catalogue") or 0) if not selection.config.is_local else 0
    return Inputs(user, context, int(st.session_state.get("norm_top_n") or DEFAULT_TOP_N), size or None), submitted


# -- the calls --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Study:
    key: tuple[Any, ...]
    inputs: Inputs
    recommended: list[tuple[str, float]]
    ranked: list[tuple[str, float]] | None
    rank_campaign: str | None
    catalogue: tuple[np.ndarray, np.ndarray] | None
    titles: dict[str, str]


def _key(selection: Selection, pair: Pair) -> tuple[Any, ...]:
    return (selection.config.key, selection.campaign_arn,
            pair.recommend.arn if pair.recommend else None, pair.rank.arn if pair.rank else None)


def _titles(selection: Selection, ids: list[str]) -> dict[str, str]:
    try:
        items = sources.items_frame(selection.config)
    except Exception:
        items = None
    if items is None or "TITLE" not in items.columns:
        return {}
    known = items.reindex(ids)["TITLE"]
    return {i: t for i, t in zip(ids, known.tolist(), strict=True) if isinstance(t, str) and t}


def run(selection: Selection, pair: Pair, given: Inputs) -> Study | None:
    """Ask the campaigns; on failure show one clear error and forget the previous study."""
    assert selection.clients is not None and pair.recommend is not None
    runtime = selection.clients.runtime
    params: dict[str, Any] = {"campaignArn": pair.recommend.arn, "userId": given.user_id,
                              "numResults": given.top_n}
    if given.context:
        params["context"] = given.context
    st.session_state.pop(_STUDY, None)
    try:
        with st.spinner("Asking the campaigns…"):
            recommended = normalisation.scored_items(runtime.get_recommendations(**params))
            ranked = None
            if pair.rank is not None and recommended:
                ranking = runtime.get_personalized_ranking(
                    campaignArn=pair.rank.arn, userId=given.user_id, inputList=[i for i, _ in recommended],
                    **({"context": given.context} if given.context else {}))
                ranked = normalisation.scored_items(ranking)
    except Exception as exc:
        errors.show(exc)
        return None
    if not recommended:
        st.error(f"{md(pair.recommend.name)} returned no scores for this user, so there is nothing to "
                 "normalise. Check that its recipe returns scores.", icon=":material/error:")
        return None
    try:
        catalogue = results.catalogue_scores(runtime, params)
    except Exception:  # an extra: the page explains what is missing without it
        catalogue = None
    study = Study(_key(selection, pair), given, recommended, ranked, pair.rank.name if pair.rank else None,
                  catalogue, _titles(selection, [i for i, _ in recommended]))
    st.session_state[_STUDY] = study
    return study


def last(selection: Selection, pair: Pair) -> Study | None:
    study: Study | None = st.session_state.get(_STUDY)
    return study if study is not None and study.key == _key(selection, pair) else None


# -- the numbers --------------------------------------------------------------------------------------------
def identity_section(study: Study) -> None:
    st.subheader("Recommendation scores, re-scored by ranking")
    table = normalisation.identity_table(study.recommended, study.ranked or [])
    if study.titles:
        table.insert(2, "Title", [study.titles.get(i, "") for i in table["Item ID"]])
    shown = list(table.columns)
    if study.ranked is None:
        shown = [c for c in shown if c not in ("Actual rank score", "Difference")]
    fmt = st.column_config.NumberColumn
    st.dataframe(table, hide_index=True, key="identity_table", column_order=shown,
                 height=35 * (min(len(table), 12) + 1) + 3, column_config={
                     "Rank": fmt("Rank", format="%d", width="small"),
                     "Rec score": fmt("Rec score", format="%.6f", help="GetRecommendations' score: "
                                      "softmax over the whole catalogue."),
                     "Σ rec score (list)": fmt("Σ rec score (list)", format="%.6f",
                                               help="The rec scores of these items added up."),
                     "Predicted rank score": fmt("Predicted rank score", format="%.6f",
                                                 help="rec score / Σ rec score over the list."),
                     "Actual rank score": fmt("Actual rank score", format="%.6f",
                                              help="GetPersonalizedRanking's score for the same item."),
                     "Difference": fmt("Difference", format="%.1e", help="actual − predicted"),
                 })
    total = float(table["Rec score"].sum())
    if study.ranked is None:
        st.info("No ranking campaign re-scored the list, so only the predicted ranking scores are "
                "shown. Pick a ranking campaign above that serves the same solution version to check "
                "them against GetPersonalizedRanking.", icon=":material/info:")
    else:
        worst = normalisation.max_abs_difference(table)
        verdict = ("the identity holds (differences this small are float32 rounding in the model)"
                   if worst < 1e-6 else
                   "the identity does not hold: the two campaigns probably serve different models")
        st.caption(f"{md(study.rank_campaign)} re-scored these {len(table)} items. Largest |difference| "
                   f"= {worst:.1e}: {verdict}.")
    st.caption(f"These {len(table)} items hold {total:.2%} of the catalogue's probability mass; "
               f"ranking spreads 100% over them, so each ranking score is {1 / total:,.1f}× its "
               "recommendation score." if total > 0 else "")


def _metric_row(values: list[tuple[str, str, str]]) -> None:
    for column, (label, value, help_text) in zip(st.columns(len(values)), values, strict=True):
        column.metric(label, value, help=help_text, border=True)


def catalogue_section(study: Study) -> None:
    """Local: exact numbers over every item's score. Live: what the top-N scores prove."""
    st.subheader("Probability mass and entropy")
    if study.catalogue is not None:
        _exact(study)
    else:
        _bounded(study)


def _exact(study: Study) -> None:
    assert study.catalogue is not None
    ids, scores = study.catalogue
    stats = normalisation.catalogue_stats(scores)
    _metric_row([
        ("Catalogue size N", f"{stats.n_items:,}", "Items the model scores for every request."),
        ("Average score 1/N", f"{stats.mean:.2e}", "Scores sum to 1 over N items."),
        ("Top score", f"{stats.top:.4f}", "The best item's catalogue score for this user."),
        ("Top score ÷ 1/N", f"{stats.top_over_mean:,.0f}×", "How far above average the best item sits."),
    ])
    _metric_row([
        ("Entropy H", f"{stats.entropy_nats:.2f} nats", f"−Σ p ln p over the catalogue = "
         f"{stats.entropy_bits:.2f} bits; at most ln N = {stats.max_entropy:.2f} nats (uniform)."),
        ("Effective items e^H", f"{stats.effective_items:,.0f}", "The size of a uniform catalogue with "
         "the same entropy: how many items the user's probability is really spread over."),
        ("Items holding 50%", f"{stats.items_50:,}", "The fewest top items that hold half the mass."),
        ("Items holding 90%", f"{stats.items_90:,}", "The fewest top items that hold 90% of the mass."),
    ])
    sizes, averages = normalisation.average_score_curve()
    mass = normalisation.cumulative_mass(scores)
    left, right = st.columns(2, gap="large")
    left.plotly_chart(figures.average_score_vs_catalogue(sizes, averages, stats.n_items), key="norm_average")
    right.plotly_chart(figures.cumulative_mass(mass, {0.5: stats.items_50, 0.9: stats.items_90}),
                       key="norm_mass")
    shown_ids = [i for i, _ in study.recommended]
    shown = results.shown_catalogue_scores(ids, scores, shown_ids)
    st.plotly_chart(figures.catalogue_distribution(
        scores, shown_ids, shown, title="Every item's score for this user (log axis), the top N marked"),
        key="norm_distribution")
    st.caption(f"H = {stats.entropy_nats:.3f} nats = {stats.entropy_bits:.3f} bits, out of at most "
               f"ln N = {stats.max_entropy:.3f}: the user's probability is as spread as a uniform choice "
               f"among {stats.effective_items:,.0f} items, and half of it sits on {stats.items_50:,} items "
               f"({stats.items_50 / stats.n_items:.1%} of the catalogue).")


def _bounded(study: Study) -> None:
    scores = [s for _, s in study.recommended]
    try:
        bounds = normalisation.top_n_bounds(scores, study.inputs.catalogue_size)
    except ValueError as exc:
        st.error(str(exc), icon=":material/error:")
        return
    n_known = bounds.catalogue_size
    _metric_row([
        ("Catalogue size N", f"{n_known:,}" if n_known else f"≥ {bounds.min_catalogue:,}",
         "Given by you." if n_known else "The unseen mass needs at least this many items, each scoring "
         "at most the last returned score."),
        ("Average score 1/N", f"{1 / n_known:.2e}" if n_known else f"≤ {1 / bounds.min_catalogue:.2e}",
         "Scores sum to 1 over the catalogue."),
        ("Top score", f"{bounds.top:.4f}", "The best item's catalogue score for this user."),
        (f"Mass in the top {bounds.n}", f"{bounds.mass:.1%}", "Σ of the returned scores: their share of "
         "the whole catalogue's probability."),
    ])
    if bounds.entropy_max is not None:
        entropy = f"{bounds.entropy_min:.2f} – {bounds.entropy_max:.2f} nats"
        effective = f"{math.exp(bounds.entropy_min):,.0f} – {math.exp(bounds.entropy_max):,.0f}"
    else:
        entropy, effective = f"≥ {bounds.entropy_min:.2f} nats", f"≥ {math.exp(bounds.entropy_min):,.0f}"
    _metric_row([
        ("Entropy H", entropy, "Lower bound: the unseen mass packed into as few items as allowed (each "
         "≤ the last returned score). Upper bound, when N is known: the unseen mass spread evenly."),
        ("Effective items e^H", effective, "exp of the entropy bounds."),
        ("Items holding 50%", f"{bounds.items_50:,}" if bounds.items_50 else f"≥ {bounds.items_50_at_least:,}",
         "Exact when the returned items reach 50%; otherwise a lower bound."),
        ("Items holding 90%", f"{bounds.items_90:,}" if bounds.items_90 else f"≥ {bounds.items_90_at_least:,}",
         "Exact when the returned items reach 90%; otherwise a lower bound."),
    ])
    sizes, averages = normalisation.average_score_curve()
    mass = np.cumsum(np.asarray(sorted(scores, reverse=True), dtype=np.float64))
    left, right = st.columns(2, gap="large")
    left.plotly_chart(figures.average_score_vs_catalogue(sizes, averages, n_known or bounds.min_catalogue,
                                                         at_least=n_known is None), key="norm_average")
    right.plotly_chart(figures.cumulative_mass(mass, {0.5: bounds.items_50, 0.9: bounds.items_90},
                                               partial=True), key="norm_mass")
    st.markdown("**What a live campaign's top-N list cannot tell**")
    st.markdown("\n".join(f"- {line}" for line in normalisation.top_n_missing(bounds)))

