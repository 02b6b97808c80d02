"""Typed interfaces of the three Personalize clients the console uses, whatever the source.

A boto3 client and a local client (scoring.client) both satisfy these Protocols, so code is
typed against what it calls instead of `Any`. The local model's extensions, which no boto3
client has, are Protocols of their own and runtime-checkable: `isinstance(runtime,
CatalogueScorer)` replaces looking for a method by name.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol, runtime_checkable

import numpy as np

Response = dict[str, Any]


@runtime_checkable
class RuntimeClient(Protocol):
    """`personalize-runtime`: GetRecommendations and GetPersonalizedRanking."""

    exceptions: Any

    def get_recommendations(self, **params: Any) -> Response: ...

    def get_personalized_ranking(self, **params: Any) -> Response: ...


@runtime_checkable
class ControlClient(Protocol):
    """`personalize`: the read calls of the console (and filters), campaigns and recommenders."""

    exceptions: Any

    def list_campaigns(self, **params: Any) -> Response: ...

    def describe_campaign(self, **params: Any) -> Response: ...

    def describe_solution_version(self, **params: Any) -> Response: ...

    def get_solution_metrics(self, **params: Any) -> Response: ...

    def list_recommenders(self, **params: Any) -> Response: ...

    def describe_recommender(self, **params: Any) -> Response: ...

    def describe_dataset_group(self, **params: Any) -> Response: ...

    def list_datasets(self, **params: Any) -> Response: ...

    def describe_dataset(self, **params: Any) -> Response: ...

    def describe_schema(self, **params: Any) -> Response: ...

    def list_filters(self, **params: Any) -> Response: ...

    def describe_filter(self, **params: Any) -> Response: ...


@runtime_checkable
class EventsClient(Protocol):
    """`personalize-events`: recording events, items and users."""

    exceptions: Any

    def put_events(self, **params: Any) -> Response: ...

    def put_items(self, **params: Any) -> Response: ...

    def put_users(self, **params: Any) -> Response: ...


@runtime_checkable
class CatalogueScorer(Protocol):
    """Local extension: every item's catalogue score for one user (a live campaign never shows it)."""

    def catalogue_scores(self, *, campaignArn: str, userId: str | None,
                         context: Mapping[str, str] | None = None) -> tuple[np.ndarray, np.ndarray] | None: ...


@runtime_checkable
class BatchRecommender(Protocol):
    """Local extension: GetRecommendations for many users with one matrix product (health check)."""

    def batch_recommendations(self, *, campaignArn: str, userIds: list[str], numResults: int = 25,
                              context: Mapping[str, str] | None = None) -> Response: ...
