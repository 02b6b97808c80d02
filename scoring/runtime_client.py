"""A local `personalize-runtime` client: boto3's methods, arguments, responses and errors.

Answers GetRecommendations and GetPersonalizedRanking from the dataset group's SoftmaxModel.
Scores are Personalize's: softmax over the catalogue for recommendations, softmax over the
input list for ranking, so rank_score(i) = rec_score(i) / sum of rec_score over the list.

Filters (`filterArn` + `filterValues`) only choose which items may be returned: scores are
computed before filtering and never renormalised, so a filter never changes a relative score.
Promotions follow scoring.promotions; a user-personalization campaign whose campaignConfig sets an
itemExplorationConfig explores as scoring.exploration approximates it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from scoring import errors, exploration, filters, promotions, recipes, validation
from scoring.local_group import Campaign, LocalGroup, Recommender
from scoring.request_ids import uuid4_text
from scoring.softmax import scan_top_k, softmax, top_k

SERVICE = "personalize-runtime"
DEFAULT_RESULTS = 25
POPULAR_REASON = "Popular item"


@dataclass(frozen=True)
class _Order:
    """A recipe's preference over every item (higher first), and whether the chosen ones get scores.

    A scored item's score is exp(preference - log_norm), the catalogue softmax, whatever a filter
    removed; `scan_top_k` finds the log-normaliser in the same pass as the top rows.
    """

    preference: np.ndarray
    scored: bool
    reason: list[str] | None

    def best(self, k: int, allowed: np.ndarray | None) -> tuple[np.ndarray, float | None]:
        """The k allowed rows of highest preference, best first, and the log-normaliser (if scored).

        `allowed` None (no filter) means every item; fewer rows come back when fewer are allowed.
        """
        return scan_top_k(self.preference, max(0, k), allowed, normalise=self.scored)

    @staticmethod
    def scores(preference: np.ndarray, rows: np.ndarray, log_norm: float | None) -> np.ndarray | None:
        if log_norm is None:
            return None
        return np.exp(preference[rows].astype(np.float64) - log_norm)


@dataclass(frozen=True)
class _Promotion:
    name: str
    percent: int
    mask: filters.FilterMask


#: Keeps exploration's seeded draws apart from the promotion's positions of the same request.
_EXPLORATION_SALT = 0x5EED_E4F1


def _without(allowed: np.ndarray | None, rows: np.ndarray, n: int) -> np.ndarray:
    """The allowed mask (None: every item) without these rows."""
    out = np.ones(n, dtype=bool) if allowed is None else allowed.copy()
    out[rows] = False
    return out


def current_item(served: Campaign | Recommender, params: Mapping[str, Any]) -> str | None:
    """The request's item that CurrentItem.<FIELD> reads: the itemId of a related-items campaign or
    of an item-based recommender (Because you watched X, More like X), else None (Personalize
    applies CurrentItem filters only to recommendations for an item)."""
    if served.info.item != recipes.REQUIRED:
        return None
    item_id = params.get("itemId")
    return str(item_id) if item_id else None


def _response_metadata() -> dict[str, Any]:
    request_id = uuid4_text()
    return {"RequestId": request_id, "HTTPStatusCode": 200,
            "HTTPHeaders": {"x-amzn-requestid": request_id}, "RetryAttempts": 0}


def _recommendation_id() -> str:
    return f"RID-{uuid4_text()}"


class LocalRuntimeClient:
    """Drop-in for `boto3.client("personalize-runtime")` on a local dataset group."""

    def __init__(self, group: LocalGroup, campaign_configs: Mapping[str, Mapping[str, Any]] | None = None) -> None:
        """`campaign_configs`: campaignConfig entries that replace a campaign's own, by campaign ARN
        (`with_campaign_config`)."""
        self.group = group
        self.exceptions = errors.service_exceptions(SERVICE)
        self._configs = {arn: dict(config) for arn, config in (campaign_configs or {}).items()}

    def with_campaign_config(self, campaign_arn: str, config: Mapping[str, Any]) -> LocalRuntimeClient:
        """A client of the same group that answers as if the campaign's campaignConfig had these entries
        (a local extension, not boto3: Compare shows one campaign at two exploration weights, which
        on AWS takes two campaigns or an UpdateCampaign between the calls)."""
        return LocalRuntimeClient(self.group, {**self._configs, campaign_arn: dict(config)})

    # -- boto3 API -----------------------------------------------------------------------
    def get_recommendations(self, **params: Any) -> dict[str, Any]:
        op = "GetRecommendations"
        validation.check_boto3_params(SERVICE, op, params)
        self._invalid_if(validation.recommendations_problem(params), op)
        campaign = self._served(params, op)
        if campaign.info.ranks_input_list:
            raise self._error(errors.INVALID_INPUT, "GetRecommendations is not supported by a campaign "
                              "of a personalized-ranking recipe: call GetPersonalizedRanking.", op)
        self._check_metadata(campaign, params, op)
        num = int(params.get("numResults", DEFAULT_RESULTS))
        metadata = params.get("metadataColumns")
        order = self._order(campaign, params, op)
        user_id = params.get("userId")
        item_id = current_item(campaign, params)
        allowed = self._mask(params.get("filterArn"), params.get("filterValues"), user_id, op, item_id=item_id)
        promotion = self._promotion(params, user_id, op, item_id=item_id)
        if promotion is None:
            regular_rows, log_norm = order.best(num, allowed)
            promoted_rows = regular_rows[:0]
        else:
            count = promotions.promoted_count(num, promotion.percent)
            promoted_rows, log_norm = order.best(count, promotion.mask.mask)
            # The best `num` allowed rows hold the best num - len(promoted) that are not promoted
            # (a promoted item is not repeated below).
            candidates, _ = scan_top_k(order.preference, num, allowed, normalise=False)
            regular_rows = candidates[~np.isin(candidates, promoted_rows)][:num - len(promoted_rows)]
        pref = order.preference
        explored = np.zeros(len(regular_rows), dtype=bool)
        setting = self._exploration(campaign, op)
        if setting is not None and setting.active:
            exploitable = allowed if not len(promoted_rows) else _without(allowed, promoted_rows, len(pref))
            regular_rows, explored = exploration.explore(
                pref, regular_rows, len(regular_rows), setting, self.group.item_activity, exploitable,
                promotions.request_seed(params) ^ _EXPLORATION_SALT)
        items = self._predicted(regular_rows, order.scores(pref, regular_rows, log_norm), metadata,
                                order.reason)
        for entry, was_explored in zip(items, explored.tolist(), strict=True):
            if was_explored:
                entry["reason"] = [exploration.EXPLORATION_REASON]
        if promotion is not None and len(promoted_rows):
            promoted = self._predicted(promoted_rows, order.scores(pref, promoted_rows, log_norm), metadata,
                                       [promotions.PROMOTED_REASON])
            for entry in promoted:
                entry["promotionName"] = promotion.name
            items = promotions.interleave(items, promoted, promotions.request_seed(params))
        return {"itemList": items, "recommendationId": _recommendation_id(),
                "ResponseMetadata": _response_metadata()}

    def get_personalized_ranking(self, **params: Any) -> dict[str, Any]:
        op = "GetPersonalizedRanking"
        validation.check_boto3_params(SERVICE, op, params)
        self._invalid_if(validation.ranking_problem(params), op)
        campaign = self._campaign(params["campaignArn"], op)
        if not campaign.info.ranks_input_list:
            raise self._error(errors.INVALID_INPUT, "GetPersonalizedRanking needs a campaign of a "
                              "personalized-ranking recipe: call GetRecommendations.", op)
        self._check_metadata(campaign, params, op)

        model = self.group.model
        input_list = list(dict.fromkeys(params["inputList"]))  # duplicates are ranked once
        rows = model.item_rows(input_list)
        known = np.flatnonzero(rows >= 0)
        scores = np.empty(0)
        if known.size:
            scores = softmax(self.group.user_logits(params["userId"], params.get("context"),
                                                    rows[known]))
        # A filter removes items from the answer; the others keep their scores over the whole list.
        passes = np.ones(len(rows), dtype=bool)
        if params.get("filterArn"):
            passes = self._filter_mask(params["filterArn"], params.get("filterValues"), params["userId"],
                                       op).passes(rows)
        keep = passes[known]
        known, scores = known[keep], scores[keep]
        order = np.lexsort((known, -scores))  # descending score, input order for ties
        ranked = self._predicted(rows[known][order], scores[order], params.get("metadataColumns"), None)
        # Items the model was not trained on go to the end with score 0, as Personalize does.
        unknown = [i for i, r, ok in zip(input_list, rows, passes, strict=True) if r < 0 and ok]
        ranked += [self._unscored_item(i, 0.0, params.get("metadataColumns")) for i in unknown]
        return {"personalizedRanking": ranked, "recommendationId": _recommendation_id(),
                "ResponseMetadata": _response_metadata()}

    def _order(self, served: Campaign | Recommender, params: Mapping[str, Any], op: str) -> _Order:
        """How the campaign's recipe (or the recommender's use case) ranks the whole catalogue."""
        model = self.group.model
        info = served.info
        self._require_ids(served, params, op)
        if info.ordering == recipes.BY_ITEM:
            return self._related_order(params.get("itemId"), op)
        if info.ordering == recipes.BY_POPULARITY:
            return _Order(self.group.popularity(info.event_type), False, None)
        if info.ordering == recipes.BY_TRENDING:
            # Growth first; among equal growth, the more popular item (a stable, total order).
            spread = float(model.item_popularity.max(initial=0.0)) + 1.0
            return _Order(self.group.trending + model.item_popularity / spread, False, None)
        # BY_USER: softmax over the catalogue for w̄_u (history + context). BY_USER_AND_ITEM
        # ("Because you watched X"): the same, as if the user had just interacted with the item.
        user_id = params.get("userId")
        seed = params.get("itemId") if info.ordering == recipes.BY_USER_AND_ITEM else None
        vector, history, known = self.group.request(user_id, params.get("context"), seed=seed)
        logits = model.logits(vector, history=history)  # float32
        reason = None if known else [POPULAR_REASON]
        return _Order(logits, info.scored, reason)

    def _require_ids(self, served: Campaign | Recommender, params: Mapping[str, Any], op: str) -> None:
        """userId / itemId as the recipe or use case requires them (PERSONALIZE.md)."""
        info = served.info
        form = info.form
        for needed, member in ((form.needs_user, "userId"), (form.needs_item, "itemId")):
            if needed and not params.get(member):
                what = (f"a recommender of the {info.label} use case" if info.is_use_case
                        else f"a campaign of a {info.kind.lower().replace('_', '-')} recipe")
                raise self._error(errors.INVALID_INPUT, f"{member} is required for {what}.", op)

    def _related_order(self, item_id: str | None, op: str) -> _Order:
        """RELATED_ITEMS (SIMS-like): cosine neighbours in the item embedding, no score.

        The bias column is left out: it measures popularity, not likeness. An item the model
        was not trained on gets popular items, as SIMS does.
        """
        if not item_id:
            raise self._error(errors.INVALID_INPUT, "itemId is required for a campaign of a "
                              "related-items recipe.", op)
        model = self.group.model
        row = int(model.item_rows([item_id])[0])
        if row < 0:
            return _Order(model.item_popularity, False, [POPULAR_REASON])
        vectors = model.item_factors[:, :-1]
        norms = np.linalg.norm(vectors, axis=1) + 1e-12
        similarity = ((vectors @ vectors[row]) / (norms * norms[row])).astype(np.float64)
        similarity[row] = -np.inf  # an item is not related to itself
        return _Order(similarity, False, None)

    # -- local extensions (not in boto3) ---------------------------------------------------
    def catalogue_scores(self, *, campaignArn: str, userId: str | None,
                         context: Mapping[str, str] | None = None) -> tuple[np.ndarray, np.ndarray] | None:
        """Every item ID and its catalogue score for one user: what a live campaign never shows.

        None for recipes that return no scores (related items, popularity count). The normaliser is
        the one GetRecommendations uses, so a served score equals its catalogue score exactly.
        """
        campaign = self._campaign(campaignArn, "GetRecommendations")
        if not campaign.info.scored:
            return None
        model = self.group.model
        logits = self.group.user_logits(userId, context)
        _, log_norm = scan_top_k(logits, 0)
        return model.item_ids, np.exp(logits.astype(np.float64) - log_norm)

    # -- helpers -------------------------------------------------------------------------
    def _error(self, code: str, message: str, op: str) -> Exception:
        return errors.client_error(SERVICE, code, message, op)

    def _invalid_if(self, message: str | None, op: str) -> None:
        if message:
            raise self._error(errors.INVALID_INPUT, message, op)

    def _served(self, params: Mapping[str, Any], op: str) -> Campaign | Recommender:
        """The campaign or recommender a GetRecommendations request names (validation made it one)."""
        arn = params.get("recommenderArn")
        if not arn:
            return self._campaign(params["campaignArn"], op)
        recommender = self.group.recommender(arn)
        if recommender is None:
            raise self._error(errors.NOT_FOUND, f"Recommender {arn} does not exist.", op)
        if not recommender.info.promotions and params.get("promotions"):
            raise self._error(errors.INVALID_INPUT, f"The {recommender.info.label} use case does not take "
                              "promotions.", op)
        return recommender

    def _campaign(self, arn: str, op: str) -> Campaign:
        campaign = self.group.campaign(arn)
        if campaign is None:
            raise self._error(errors.NOT_FOUND, f"Campaign {arn} does not exist.", op)
        if arn in self._configs:
            campaign = dataclasses.replace(campaign, config={**campaign.config, **self._configs[arn]})
        return campaign

    def _exploration(self, campaign: Campaign, op: str) -> exploration.Exploration | None:
        """The campaign's exploration setting, for recipes that explore; None when it sets none."""
        if not exploration.explores(campaign.recipe):
            return None
        try:
            return exploration.parse_config(campaign.config)
        except exploration.ExplorationError as exc:
            raise self._error(errors.INVALID_INPUT, f"Campaign {campaign.name}: {exc}", op) from None

    def explores(self, campaign_arn: str) -> bool:
        """True when the campaign explores (a local extension: the block path then takes one call per user)."""
        setting = self._exploration(self._campaign(campaign_arn, "GetRecommendations"), "GetRecommendations")
        return setting is not None and setting.active

    def _filter_mask(self, arn: str, values: Mapping[str, str] | None, user_id: str | None,
                     op: str, *, item_id: str | None = None) -> filters.FilterMask:
        """The filter's mask for this request; unknown filter -> NotFound, bad values -> InvalidInput.

        `item_id`: the request's item for CurrentItem.<FIELD>, given only by recipes and use cases that
        recommend for an item (`current_item`); a CurrentItem filter without one is refused.
        """
        found = self.group.filter(arn)
        if found is None:
            raise self._error(errors.NOT_FOUND, f"Filter {arn} does not exist.", op)
        try:
            return self.group.evaluator.mask(found.expression, values, user_id, f"Filter {found.name}",
                                             item_id=item_id)
        except filters.FilterError as exc:
            raise self._error(errors.INVALID_INPUT, str(exc), op) from None

    def _mask(self, arn: str | None, values: Mapping[str, str] | None, user_id: str | None,
              op: str, *, item_id: str | None = None) -> np.ndarray | None:
        """Items the request's filter lets through; None without a filter (every item)."""
        if not arn:
            if values:
                raise self._error(errors.INVALID_INPUT, "filterValues needs a filterArn.", op)
            return None
        return self._filter_mask(arn, values, user_id, op, item_id=item_id).mask

    def _promotion(self, params: Mapping[str, Any], user_id: str | None, op: str, *,
                   item_id: str | None = None) -> _Promotion | None:
        given = params.get("promotions") or []
        if not given:
            return None
        p = given[0]
        for member in ("name", "percentPromotedItems", "filterArn"):
            if p.get(member) is None:
                raise self._error(errors.INVALID_INPUT, f"A promotion needs {member}: give name, "
                                  "percentPromotedItems (1-100) and filterArn.", op)
        mask = self._filter_mask(p["filterArn"], p.get("filterValues"), user_id, op, item_id=item_id)
        return _Promotion(str(p["name"]), int(p["percentPromotedItems"]), mask)

    def _check_metadata(self, campaign: Campaign | Recommender, params: Mapping[str, Any], op: str) -> None:
        columns = (params.get("metadataColumns") or {}).get("ITEMS")
        if not columns:
            return
        if not campaign.config.get("enableMetadataWithRecommendations"):
            config = "recommenderConfig" if isinstance(campaign, Recommender) else "campaignConfig"
            raise self._error(errors.INVALID_INPUT, f"metadataColumns needs a {config} with "
                              "enableMetadataWithRecommendations set to true.", op)
        items = self.group.items
        missing = [c for c in columns if items is None or c not in items.columns]
        if missing:
            raise self._error(errors.INVALID_INPUT, f"Unknown ITEMS metadata columns: {', '.join(missing)}.", op)

    def _unscored_item(self, item_id: str, score: float | None,
                       metadata: Mapping[str, list[str]] | None) -> dict[str, Any]:
        entry: dict[str, Any] = {"itemId": item_id}
        if score is not None:
            entry["score"] = float(score)
        columns = (metadata or {}).get("ITEMS")
        if columns and self.group.items is not None:
            row = self.group.items.loc[item_id] if item_id in self.group.items.index else None
            entry["metadata"] = {c: ("" if row is None else str(row[c])) for c in columns}
        return entry

    def _predicted(self, rows: np.ndarray, scores: np.ndarray | None,
                   metadata: Mapping[str, list[str]] | None, reason: list[str] | None) -> list[dict[str, Any]]:
        """PredictedItem dicts; `scores=None` for recipes that return none."""
        ids = self.group.model.item_ids
        if not ((metadata or {}).get("ITEMS") and self.group.items is not None):
            # No metadata to join (the usual request): the same dicts, built in one pass.
            names = [str(i) for i in ids[rows].tolist()]
            if scores is None:
                out = [{"itemId": name} for name in names]
            else:
                out = [{"itemId": name, "score": float(score)}
                       for name, score in zip(names, scores.tolist(), strict=True)]
            if reason:
                for entry in out:
                    entry["reason"] = list(reason)
            return out
        out = []
        values = [None] * len(rows) if scores is None else scores.tolist()
        for row, score in zip(rows.tolist(), values, strict=True):
            entry = self._unscored_item(str(ids[row]), score, metadata)
            if reason:
                entry["reason"] = list(reason)
            out.append(entry)
        return out

    def _batch_record(self, campaign_arn: str, user_id: str, num: int,
                      context: Mapping[str, str] | None) -> dict[str, Any]:
        request: dict[str, Any] = {"campaignArn": campaign_arn, "userId": user_id, "numResults": num}
        if context:
            request["context"] = dict(context)
        try:
            items = self.get_recommendations(**request)["itemList"]
        except Exception as exc:  # a bad line is kept with its error, as batch inference does
            message = getattr(exc, "response", {}).get("Error", {}).get("Message") or str(exc)
            return {"input": {"userId": user_id}, "output": None, "error": message}
        return {"input": {"userId": user_id}, "output": {"recommendedItems": [i["itemId"] for i in items],
                                                         "scores": [i.get("score") for i in items]},
                "error": None}

    # -- local extension for the health check (not in boto3) -------------------------------
    def batch_recommendations(self, *, campaignArn: str, userIds: list[str], numResults: int = DEFAULT_RESULTS,
                              context: Mapping[str, str] | None = None) -> dict[str, Any]:
        """GetRecommendations for many users with ONE matrix product, answered as batch-inference records.

        Same user vectors (`LocalGroup.user_vector`), same softmax over the catalogue and the same top-k
        tie rule as `get_recommendations`, so each record equals that user's single call (scores to
        float32 rounding: a matrix product sums in another order than a matrix-vector one). Records
        are Personalize's batch output lines; a bad user ID gets an `error` instead of raising.
        """
        op = "GetRecommendations"
        probe = {"campaignArn": campaignArn, "userId": "u", "numResults": numResults}
        if context:
            probe["context"] = dict(context)
        self._invalid_if(validation.recommendations_problem(probe), op)
        campaign = self._campaign(campaignArn, op)
        if campaign.info.ordering not in (recipes.BY_USER, recipes.BY_POPULARITY):
            raise self._error(errors.INVALID_INPUT, "batch_recommendations serves user-personalization and "
                              "popularity campaigns: call GetRecommendations or GetPersonalizedRanking.", op)
        model = self.group.model
        num = int(numResults)
        if self.explores(campaignArn):  # exploration is drawn per request: one call per user, same lists
            return {"results": [self._batch_record(campaignArn, u, num, context) for u in userIds]}
        ok = [i for i, u in enumerate(userIds) if u and len(u) <= validation.MAX_ID]
        records: list[dict[str, Any]] = [{} for _ in userIds]
        for i, u in enumerate(userIds):
            if not u or len(u) > validation.MAX_ID:
                records[i] = {"input": {"userId": u}, "output": None, "error": "userId is required." if not u
                              else f"userId is longer than {validation.MAX_ID} characters."}
        if campaign.info.ordering == recipes.BY_POPULARITY:
            popular = model.item_ids[top_k(model.item_popularity, num)].tolist()
            for i in ok:
                records[i] = {"input": {"userId": userIds[i]}, "output": {"recommendedItems": list(popular)},
                              "error": None}
            return {"results": records}
        from scoring.health_run import BLOCK, block_scores, item_id_array  # the block math lives there

        ids = item_id_array(model)
        for begin in range(0, len(ok), BLOCK):
            part = ok[begin:begin + BLOCK]
            rows, scores = block_scores(self.group, [userIds[i] for i in part], num, context)  # one product
            for i, items, values in zip(part, ids[rows].tolist(), scores.tolist(), strict=True):
                records[i] = {"input": {"userId": userIds[i]},
                              "output": {"recommendedItems": items, "scores": values}, "error": None}
        return {"results": records}
