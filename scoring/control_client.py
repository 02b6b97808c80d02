"""A local `personalize` (control plane) client: the read calls a console makes, and filters.

Same method names, keyword arguments, response shapes (checked against botocore's model by the
contract tests) and errors as boto3's client, answered from the dataset group's campaigns.json,
model.npz and Avro schemas (scoring.schemas). CreateFilter / DeleteFilter and Create/DeleteEventTracker write
campaigns.json (atomically); a local filter or event tracker is ACTIVE at once, where
Personalize takes a few minutes.
"""

from __future__ import annotations

import base64
import json
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

from scoring import (
    access, arns, batch_jobs, errors, exploration, filters, group_files, recipes, validation,
)
from scoring.local_group import Campaign, EventTracker, Filter, LocalGroup, Recommender
from scoring.runtime_client import _response_metadata

SERVICE = "personalize"
ACTIVE = "ACTIVE"
_PAGE = 100

def _token(offset: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"offset": offset}).encode()).decode()


class LocalControlClient:
    """Drop-in for the read side of `boto3.client("personalize")` on a local dataset group."""

    def __init__(self, group: LocalGroup) -> None:
        self.group = group
        self.exceptions = errors.service_exceptions(SERVICE)
        #: The S3 client batch inference jobs use (boto3's standard environment by default).
        self.batch_s3: batch_jobs.S3Factory = batch_jobs.default_s3

    # -- listing with boto3-style pages ----------------------------------------------------
    def _page(self, op: str, key: str, rows: list[dict[str, Any]], params: dict[str, Any]) -> dict[str, Any]:
        size = int(params.get("maxResults") or _PAGE)
        offset = 0
        if params.get("nextToken"):
            try:
                offset = int(json.loads(base64.urlsafe_b64decode(params["nextToken"]))["offset"])
            except (ValueError, KeyError, TypeError):
                raise self._error("InvalidNextTokenException", "The nextToken is not valid.", op) from None
        if size > _PAGE:
            raise self._error(errors.INVALID_INPUT, f"Value '{size}' at 'maxResults' failed to satisfy "
                              f"constraint: Member must have value less than or equal to {_PAGE}", op)
        out: dict[str, Any] = {key: rows[offset:offset + size], "ResponseMetadata": _response_metadata()}
        if offset + size < len(rows):
            out["nextToken"] = _token(offset + size)
        return out

    def can_paginate(self, operation_name: str) -> bool:
        return operation_name in {"list_campaigns", "list_solutions", "list_dataset_groups",
                                  "list_filters", "list_datasets", "list_recipes", "list_event_trackers",
                                  "list_recommenders", "list_batch_inference_jobs"}

    def get_paginator(self, operation_name: str) -> _Paginator:
        if not self.can_paginate(operation_name):
            raise ValueError(f"Operation cannot be paginated: {operation_name}")
        return _Paginator(getattr(self, operation_name))

    # -- dataset groups, solutions, campaigns ---------------------------------------------
    def _group_summary(self) -> dict[str, Any]:
        g = self.group
        row = {"name": g.name, "datasetGroupArn": g.arn, "status": ACTIVE,
               "creationDateTime": g.created, "lastUpdatedDateTime": g.created}
        if g.domain:
            row["domain"] = g.domain  # absent for a Custom dataset group, as on AWS
        return row

    def list_dataset_groups(self, **params: Any) -> dict[str, Any]:
        self._check("ListDatasetGroups", params)
        return self._page("ListDatasetGroups", "datasetGroups", [self._group_summary()], params)

    def describe_dataset_group(self, **params: Any) -> dict[str, Any]:
        self._check("DescribeDatasetGroup", params)
        if params["datasetGroupArn"] != self.group.arn:
            raise self._missing("Dataset group", params["datasetGroupArn"], "DescribeDatasetGroup")
        return {"datasetGroup": self._group_summary(), "ResponseMetadata": _response_metadata()}

    # -- recommenders (domain use cases) ---------------------------------------------------
    def list_recommenders(self, **params: Any) -> dict[str, Any]:
        self._check("ListRecommenders", params)
        group_arn = params.get("datasetGroupArn")
        rows = [] if group_arn not in (None, self.group.arn) else [self._recommender_summary(r)
                                                                    for r in self.group.recommenders]
        return self._page("ListRecommenders", "recommenders", rows, params)

    def describe_recommender(self, **params: Any) -> dict[str, Any]:
        op = "DescribeRecommender"
        self._check(op, params)
        r = self.group.recommender(params["recommenderArn"])
        if r is None:
            raise self._missing("Recommender", params["recommenderArn"], op)
        metrics = group_files.recommender_metrics(r.recipe, self.group.model.meta)
        return {"recommender": self._recommender_summary(r) | {"modelMetrics": metrics},
                "ResponseMetadata": _response_metadata()}

    def _recommender_summary(self, r: Recommender) -> dict[str, Any]:
        return {"name": r.name, "recommenderArn": r.arn, "datasetGroupArn": self.group.arn,
                "recipeArn": r.recipe_arn, "recommenderConfig": r.config, "status": ACTIVE,
                "creationDateTime": r.created, "lastUpdatedDateTime": r.created}

    def list_solutions(self, **params: Any) -> dict[str, Any]:
        self._check("ListSolutions", params)
        group_arn = params.get("datasetGroupArn")
        rows = [] if group_arn not in (None, self.group.arn) else [
            {"name": s["name"], "solutionArn": arns.local_arn("solution", s["name"]), "status": ACTIVE,
             "recipeArn": recipes.recipe_arn(s["recipe"]), "creationDateTime": self.group.created,
             "lastUpdatedDateTime": self.group.created}
            for s in self.group.solutions()]
        return self._page("ListSolutions", "solutions", rows, params)

    def list_campaigns(self, **params: Any) -> dict[str, Any]:
        self._check("ListCampaigns", params)
        wanted = params.get("solutionArn")
        rows = [self._summary(c) for c in self.group.campaigns if wanted in (None, c.solution_arn)]
        return self._page("ListCampaigns", "campaigns", rows, params)

    def describe_campaign(self, **params: Any) -> dict[str, Any]:
        self._check("DescribeCampaign", params)
        c = self._campaign(params["campaignArn"], "DescribeCampaign")
        body = self._summary(c) | {
            "solutionVersionArn": c.solution_version_arn,
            "minProvisionedTPS": c.min_tps,
            "campaignConfig": c.config,
        }
        if c.updated is not None:  # a local update is ACTIVE at once
            body["latestCampaignUpdate"] = {"solutionVersionArn": c.solution_version_arn,
                                            "minProvisionedTPS": c.min_tps, "campaignConfig": c.config,
                                            "status": ACTIVE, "creationDateTime": c.updated,
                                            "lastUpdatedDateTime": c.updated}
        return {"campaign": body, "ResponseMetadata": _response_metadata()}

    def update_campaign(self, **params: Any) -> dict[str, Any]:
        """Change a campaign's minProvisionedTPS and campaignConfig in campaigns.json; ACTIVE at once.

        Members of campaignConfig that the call gives replace the campaign's; the others stay (AWS does
        not document whether an update merges or replaces the configuration).
        """
        op = "UpdateCampaign"
        self._refuse_if_read_only("Updating a campaign", op)
        self._check(op, params)
        c = self._campaign(params["campaignArn"], op)
        version = params.get("solutionVersionArn")
        if version is not None and version != c.solution_version_arn:
            raise self._error(errors.INVALID_INPUT, f"Solution version {version} cannot serve campaign {c.name}: a "
                              f"local campaign serves its solution's one version, {c.solution_version_arn}.", op)
        config = dict(params.get("campaignConfig") or {})
        self._check_campaign_config(c, config, op)
        now = int(time.time())

        def change(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
            row = next((r for r in rows if r.get("name") == c.name), None)
            if row is None:  # deleted meanwhile by another process
                raise self._missing("Campaign", c.arn, op)
            row["campaignConfig"] = {**dict(row.get("campaignConfig") or {}), **config}
            if params.get("minProvisionedTPS") is not None:
                row["minProvisionedTPS"] = int(params["minProvisionedTPS"])
            row["updatedAt"] = now
            return rows

        self.group.update_section("campaigns", change)
        return {"campaignArn": c.arn, "ResponseMetadata": _response_metadata()}

    def _check_campaign_config(self, c: Campaign, config: dict[str, Any], op: str) -> None:
        if "rankingInfluence" in config:
            raise self._error(errors.INVALID_INPUT, "rankingInfluence is not emulated by local campaigns: leave it "
                              "out (on AWS it applies to aws-user-personalization-v2 campaigns).", op)
        if exploration.CONFIG_KEY not in config:
            return
        if not exploration.explores(c.recipe):
            raise self._error(errors.INVALID_INPUT, f"itemExplorationConfig applies to User-Personalization "
                              f"campaigns only; campaign {c.name} uses {c.recipe}.", op)
        try:
            exploration.parse_config(config)
        except exploration.ExplorationError as exc:
            raise self._error(errors.INVALID_INPUT, str(exc), op) from None

    def describe_solution_version(self, **params: Any) -> dict[str, Any]:
        op = "DescribeSolutionVersion"
        self._check(op, params)
        arn = params["solutionVersionArn"]
        c = next((c for c in self.group.campaigns if c.solution_version_arn == arn), None)
        if c is None:
            raise self._missing("Solution version", arn, op)
        meta = self.group.model.meta
        version = {"name": c.solution, "solutionVersionArn": arn, "solutionArn": c.solution_arn,
                   "recipeArn": c.recipe_arn, "datasetGroupArn": self.group.arn,
                   "performHPO": False, "performAutoML": False, "trainingMode": "FULL",
                   "trainingType": "MANUAL", "status": ACTIVE,
                   "trainingHours": round(float(meta.get("training_seconds", 0.0)) / 3600, 6),
                   "creationDateTime": self.group.created, "lastUpdatedDateTime": self.group.created}
        return {"solutionVersion": version, "ResponseMetadata": _response_metadata()}

    def describe_recipe(self, **params: Any) -> dict[str, Any]:
        op = "DescribeRecipe"
        self._check(op, params)
        arn = params["recipeArn"]
        name = recipes.recipe_name(arn)
        if arn != recipes.recipe_arn(name) or not recipes.is_known(name):
            raise self._missing("Recipe", arn, op)
        recipe = {"name": name, "recipeArn": arn, "algorithmArn": f"arn:aws:personalize:::algorithm/{name}",
                  "status": ACTIVE, "recipeType": recipes.api_recipe_type(name),
                  "description": f"Local emulation of {name}: a numpy softmax model over the item catalogue.",
                  "creationDateTime": self.group.created, "lastUpdatedDateTime": self.group.created}
        return {"recipe": recipe, "ResponseMetadata": _response_metadata()}

    def get_solution_metrics(self, **params: Any) -> dict[str, Any]:
        op = "GetSolutionMetrics"
        self._check(op, params)
        arn = params["solutionVersionArn"]
        self.describe_solution_version(solutionVersionArn=arn)
        c = next(c for c in self.group.campaigns if c.solution_version_arn == arn)
        metrics = group_files.stored_metrics(self.group.solution(c.solution), c.recipe,
                                             self.group.model.meta).metrics
        return {"solutionVersionArn": params["solutionVersionArn"], "metrics": metrics,
                "ResponseMetadata": _response_metadata()}

    # -- filters ----------------------------------------------------------------------------
    def list_filters(self, **params: Any) -> dict[str, Any]:
        self._check("ListFilters", params)
        group_arn = params.get("datasetGroupArn")
        rows = [] if group_arn not in (None, self.group.arn) else [self._filter_summary(f)
                                                                    for f in self.group.filters]
        return self._page("ListFilters", "Filters", rows, params)

    def describe_filter(self, **params: Any) -> dict[str, Any]:
        op = "DescribeFilter"
        self._check(op, params)
        f = self._filter(params["filterArn"], op)
        return {"filter": self._filter_summary(f) | {"filterExpression": f.expression},
                "ResponseMetadata": _response_metadata()}

    def create_filter(self, **params: Any) -> dict[str, Any]:
        """Validate the expression against this group's data, then add the filter to campaigns.json."""
        op = "CreateFilter"
        self._refuse_if_read_only("Creating a filter", op)
        self._check(op, params)
        name, expression = params["name"], params["filterExpression"]
        if params["datasetGroupArn"] != self.group.arn:
            raise self._missing("Dataset group", params["datasetGroupArn"], op)
        problem = validation.name_problem(name, "name")
        if problem:
            raise self._error(errors.INVALID_INPUT, problem, op)
        try:
            self.group.evaluator.compile(expression)
        except filters.FilterError as exc:
            raise self._error(errors.INVALID_INPUT, str(exc), op) from None
        arn = arns.local_arn("filter", name)

        def add(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
            if any(r.get("name") == name for r in rows):
                raise self._error("ResourceAlreadyExistsException", f"Filter {arn} already exists.", op)
            if len(rows) >= filters.MAX_FILTERS:
                raise self._error("LimitExceededException", f"A dataset group has at most {filters.MAX_FILTERS} "
                                  "filters: delete one first.", op)
            return rows + [{"name": name, "filterExpression": expression, "createdAt": int(time.time())}]

        self.group.update_filters(add)
        return {"filterArn": arn, "ResponseMetadata": _response_metadata()}

    def delete_filter(self, **params: Any) -> dict[str, Any]:
        op = "DeleteFilter"
        self._refuse_if_read_only("Deleting a filter", op)
        self._check(op, params)
        arn = params["filterArn"]
        self._filter(arn, op)

        def remove(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
            kept = [r for r in rows if arns.local_arn("filter", str(r.get("name"))) != arn]
            if len(kept) == len(rows):  # deleted meanwhile by another process
                raise self._missing("Filter", arn, op)
            return kept

        self.group.update_filters(remove)
        return {"ResponseMetadata": _response_metadata()}

    def _refuse_if_read_only(self, what: str, op: str) -> None:
        if access.read_only():
            raise self._error("AccessDeniedException", access.refusal(what), op)

    def _filter(self, arn: str, op: str) -> Filter:
        f = self.group.filter(arn)
        if f is None:
            raise self._missing("Filter", arn, op)
        return f

    def _filter_summary(self, f: Filter) -> dict[str, Any]:
        return {"name": f.name, "filterArn": f.arn, "creationDateTime": f.created,
                "lastUpdatedDateTime": f.created, "datasetGroupArn": self.group.arn, "status": ACTIVE}

    # -- event trackers ------------------------------------------------------------------------
    def create_event_tracker(self, **params: Any) -> dict[str, Any]:
        """A new tracker (ACTIVE at once) and its trackingId; a group has at most one, as on AWS."""
        op = "CreateEventTracker"
        self._check(op, params)
        self._refuse_if_read_only("Creating an event tracker", op)
        name = params["name"]
        if params["datasetGroupArn"] != self.group.arn:
            raise self._missing("Dataset group", params["datasetGroupArn"], op)
        problem = validation.name_problem(name, "name")
        if problem:
            raise self._error(errors.INVALID_INPUT, problem, op)
        arn = arns.local_arn("event-tracker", name)
        tracking_id = str(uuid.uuid4())

        def add(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
            if rows:
                existing = arns.local_arn("event-tracker", str(rows[0].get("name")))
                raise self._error("ResourceAlreadyExistsException", f"Dataset group {self.group.arn} already has "
                                  f"an event tracker ({existing}): a dataset group has only one. Use its "
                                  "trackingId (DescribeEventTracker), or delete it first.", op)
            return [{"name": name, "trackingId": tracking_id, "createdAt": int(time.time())}]

        self.group.update_section("eventTrackers", add)
        return {"eventTrackerArn": arn, "trackingId": tracking_id, "ResponseMetadata": _response_metadata()}

    def describe_event_tracker(self, **params: Any) -> dict[str, Any]:
        op = "DescribeEventTracker"
        self._check(op, params)
        tracker = self._tracker(params["eventTrackerArn"], op)
        body = self._tracker_summary(tracker) | {"accountId": arns.LOCAL_ACCOUNT, "trackingId": tracker.tracking_id,
                                                 "datasetGroupArn": self.group.arn}
        return {"eventTracker": body, "ResponseMetadata": _response_metadata()}

    def list_event_trackers(self, **params: Any) -> dict[str, Any]:
        self._check("ListEventTrackers", params)
        group_arn = params.get("datasetGroupArn")
        rows = [] if group_arn not in (None, self.group.arn) else [self._tracker_summary(t)
                                                                    for t in self.group.event_trackers]
        return self._page("ListEventTrackers", "eventTrackers", rows, params)

    def delete_event_tracker(self, **params: Any) -> dict[str, Any]:
        """Forget the tracker; the events it recorded stay in the group, as on AWS."""
        op = "DeleteEventTracker"
        self._check(op, params)
        self._refuse_if_read_only("Deleting an event tracker", op)
        arn = params["eventTrackerArn"]
        self._tracker(arn, op)

        def remove(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
            kept = [r for r in rows if arns.local_arn("event-tracker", str(r.get("name"))) != arn]
            if len(kept) == len(rows):  # deleted meanwhile by another process
                raise self._missing("Event tracker", arn, op)
            return kept

        self.group.update_section("eventTrackers", remove)
        return {"ResponseMetadata": _response_metadata()}

    def _tracker(self, arn: str, op: str) -> EventTracker:
        tracker = self.group.event_tracker(arn=arn)
        if tracker is None:
            raise self._missing("Event tracker", arn, op)
        return tracker

    @staticmethod
    def _tracker_summary(t: EventTracker) -> dict[str, Any]:
        return {"name": t.name, "eventTrackerArn": t.arn, "status": ACTIVE,
                "creationDateTime": t.created, "lastUpdatedDateTime": t.created}

    # -- batch inference jobs (scoring.batch_jobs) -----------------------------------------------
    def create_batch_inference_job(self, **params: Any) -> dict[str, Any]:
        """Start a job in the background (PENDING at once); it reads and writes S3 as the service does."""
        op = "CreateBatchInferenceJob"
        self._refuse_if_read_only("Running a batch inference job", op)
        self._check(op, params)
        record = self._batch_call(op, lambda jobs: jobs.create(params))
        return {"batchInferenceJobArn": record["batchInferenceJobArn"], "ResponseMetadata": _response_metadata()}

    def describe_batch_inference_job(self, **params: Any) -> dict[str, Any]:
        op = "DescribeBatchInferenceJob"
        self._check(op, params)
        record = self._batch_call(op, lambda jobs: jobs.describe(params["batchInferenceJobArn"]))
        return {"batchInferenceJob": batch_jobs.as_response(record), "ResponseMetadata": _response_metadata()}

    def list_batch_inference_jobs(self, **params: Any) -> dict[str, Any]:
        """The group's jobs, newest first (as the service lists them), of one solution version if given."""
        op = "ListBatchInferenceJobs"
        self._check(op, params)
        wanted = params.get("solutionVersionArn")
        records = self._batch_call(op, lambda jobs: jobs.records())
        rows = [batch_jobs.summary(r) for r in reversed(records) if wanted in (None, r["solutionVersionArn"])]
        return self._page(op, "batchInferenceJobs", rows, params)

    def _batch_call(self, op: str, call: Callable[[batch_jobs.BatchJobs], Any]) -> Any:
        try:
            return call(batch_jobs.BatchJobs(self.group, self.batch_s3))
        except batch_jobs.JobError as exc:
            raise self._error(exc.code, exc.message, op) from None

    # -- datasets and schemas --------------------------------------------------------------
    def _dataset_arn(self, kind: str) -> str:
        return arns.local_arn("dataset", self.group.name, kind.upper())

    def _schema_arn(self, kind: str) -> str:
        return arns.local_arn("schema", f"{self.group.name}-{kind.lower()}")

    def _dataset_kinds(self) -> list[str]:
        files = {"Interactions": "interactions.csv", "Items": "items.csv", "Users": "users.csv"}
        return [k for k, f in files.items() if (self.group.path / f).exists()]

    def list_datasets(self, **params: Any) -> dict[str, Any]:
        self._check("ListDatasets", params)
        rows = [{"name": f"{self.group.name}-{k.lower()}", "datasetArn": self._dataset_arn(k),
                 "datasetType": k, "status": ACTIVE, "creationDateTime": self.group.created,
                 "lastUpdatedDateTime": self.group.created} for k in self._dataset_kinds()]
        return self._page("ListDatasets", "datasets", rows, params)

    def describe_dataset(self, **params: Any) -> dict[str, Any]:
        op = "DescribeDataset"
        self._check(op, params)
        kind = next((k for k in self._dataset_kinds() if self._dataset_arn(k) == params["datasetArn"]), None)
        if kind is None:
            raise self._missing("Dataset", params["datasetArn"], op)
        return {"dataset": {"name": f"{self.group.name}-{kind.lower()}", "datasetArn": params["datasetArn"],
                            "datasetGroupArn": self.group.arn, "datasetType": kind,
                            "schemaArn": self._schema_arn(kind), "status": ACTIVE,
                            "creationDateTime": self.group.created, "lastUpdatedDateTime": self.group.created},
                "ResponseMetadata": _response_metadata()}

    def describe_schema(self, **params: Any) -> dict[str, Any]:
        op = "DescribeSchema"
        self._check(op, params)
        kind = next((k for k in self._dataset_kinds() if self._schema_arn(k) == params["schemaArn"]), None)
        if kind is None:
            raise self._missing("Schema", params["schemaArn"], op)
        avro = self.group.schemas[kind].to_json()  # stored at import (given or inferred), else inferred now
        return {"schema": {"name": f"{self.group.name}-{kind.lower()}", "schemaArn": params["schemaArn"],
                           "schema": avro, "creationDateTime": self.group.created,
                           "lastUpdatedDateTime": self.group.created},
                "ResponseMetadata": _response_metadata()}

    # -- helpers ---------------------------------------------------------------------------
    def _check(self, op: str, params: dict[str, Any]) -> None:
        validation.check_boto3_params(SERVICE, op, params)
        for key, value in params.items():
            if key.endswith("Arn") and key != "roleArn" and isinstance(value, str) and not arns.is_valid(value):
                raise self._error(errors.INVALID_INPUT, f"Value '{value[:80]}' at '{key}' failed to satisfy "
                                  "constraint: Member must satisfy regular expression pattern: "
                                  "arn:([a-z\\d-]+):personalize:.*:.*:.+", op)

    def _error(self, code: str, message: str, op: str) -> Exception:
        return errors.client_error(SERVICE, code, message, op)

    def _missing(self, what: str, arn: str, op: str) -> Exception:
        return self._error(errors.NOT_FOUND, f"{what} {arn} does not exist.", op)

    def _campaign(self, arn: str, op: str) -> Campaign:
        c = self.group.campaign(arn)
        if c is None:
            raise self._missing("Campaign", arn, op)
        return c

    def _summary(self, c: Campaign) -> dict[str, Any]:
        return {"name": c.name, "campaignArn": c.arn, "status": ACTIVE,
                "creationDateTime": c.created, "lastUpdatedDateTime": c.updated or c.created}


class _Paginator:
    """Just enough of botocore's Paginator: iterate pages by following nextToken."""

    def __init__(self, method: Callable[..., dict[str, Any]]) -> None:
        self._method = method

    def paginate(self, **params: Any) -> Iterator[dict[str, Any]]:
        config = params.pop("PaginationConfig", {}) or {}
        if config.get("PageSize"):
            params["maxResults"] = config["PageSize"]
        while True:
            page = self._method(**params)
            yield page
            token = page.get("nextToken")
            if not token:
                return
            params["nextToken"] = token
