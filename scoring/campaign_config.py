"""A campaign's configuration as the Campaign page explains it: each setting, its value and what it does.

DescribeCampaign gives `minProvisionedTPS` and `campaignConfig{itemExplorationConfig,
enableMetadataWithRecommendations, syncWithLatestSolutionVersion, rankingInfluence}`; a member the
response leaves out takes the service's default, which the rows say. Local campaigns emulate
exploration only when itemExplorationConfig is set (see scoring.exploration).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from scoring import exploration


@dataclass(frozen=True)
class Row:
    setting: str
    value: str
    meaning: str


def _flag(value: Any, default: bool) -> str:
    if value is None:
        return f"{'true' if default else 'false'} (not set: the default)"
    return "true" if value else "false"


def rows(config: Mapping[str, Any], min_tps: int | None, recipe: str, *, local: bool) -> list[Row]:
    """The configuration rows of one campaign, in DescribeCampaign's order."""
    out = [Row("minProvisionedTPS", "—" if min_tps is None else str(min_tps),
               "Baseline transactions per second; Personalize scales above it and bills max(this, actual)."
               + (" A local campaign has no throughput limit." if local else ""))]
    out += _exploration_rows(config, recipe, local=local)
    out.append(Row("enableMetadataWithRecommendations", _flag(config.get("enableMetadataWithRecommendations"), False),
                   "Whether requests may ask for item metadata columns (metadataColumns) with the results."))
    out.append(Row("syncWithLatestSolutionVersion", _flag(config.get("syncWithLatestSolutionVersion"), False),
                   "Whether the campaign moves to each new solution version of <solutionArn>/$LATEST by itself."
                   + (" A local campaign has one solution version, retrained in place." if local else "")))
    if config.get("rankingInfluence"):
        influence = ", ".join(f"{k} {v}" for k, v in dict(config["rankingInfluence"]).items())
        out.append(Row("rankingInfluence", influence, "How much popularity or freshness lifts items in the "
                       "ranking (aws-user-personalization-v2)."))
    return out


def _exploration_rows(config: Mapping[str, Any], recipe: str, *, local: bool) -> list[Row]:
    if not exploration.explores(recipe):
        return [Row("itemExplorationConfig", "— (not for this recipe)",
                    "Exploration applies to User-Personalization campaigns only.")]
    try:
        setting = exploration.parse_config(config)
    except exploration.ExplorationError as exc:
        return [Row("itemExplorationConfig", str(dict(config.get(exploration.CONFIG_KEY) or {})), f"Not valid: {exc}")]
    weight_meaning = ("How often items with less interaction data or relevance are recommended, 0.0-1.0 "
                      "(0 = no exploration).")
    age_meaning = ("Only items at most this many days old, counted back from the latest interaction, are "
                   "explored (age from CREATION_TIMESTAMP, else the first interaction).")
    if setting is None:
        note = (" Local campaigns explore only once a value is set (UpdateCampaign)." if local else "")
        return [Row("explorationWeight", f"{exploration.DEFAULT_WEIGHT} (not set: the default)", weight_meaning + note),
                Row("explorationItemAgeCutOff", f"{exploration.DEFAULT_AGE_CUTOFF} (not set: the default)",
                    age_meaning)]
    return [Row("explorationWeight", f"{setting.weight:g}", weight_meaning),
            Row("explorationItemAgeCutOff", f"{setting.age_cutoff_days:g} days", age_meaning)]


def local_exploration_note(config: Mapping[str, Any], recipe: str,
                           activity: exploration.ItemActivity | None) -> str | None:
    """What the local emulation does with this setting: None for recipes that do not explore."""
    if not exploration.explores(recipe):
        return None
    try:
        setting = exploration.parse_config(config)
    except exploration.ExplorationError:
        return None
    if setting is None or not setting.active:
        return "This local campaign does not explore: its lists are the model's best items."
    text = (f"{exploration.APPROXIMATION_NOTE} With weight {setting.weight:g}, "
            f"{exploration.slots(25, setting.weight)} of 25 places are explored.")
    if activity is not None:
        count = int(activity.candidates(setting.age_cutoff_days).sum())
        text += f" {count:,} of {len(activity.counts):,} items are young and cold enough to be picked."
        if count == 0:
            text += (f" No item is younger than {setting.age_cutoff_days:g} days here; a cut-off of "
                     f"{exploration.youngest_share_cutoff(activity):g} days takes in the youngest 10%.")
    return text
