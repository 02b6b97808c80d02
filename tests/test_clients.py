"""The typed client interfaces: local clients and boto3 clients satisfy the same Protocols; only
the local runtime has the local extensions."""

from __future__ import annotations

from pathlib import Path

import boto3
import pytest

import scoring
from scoring.clients import BatchRecommender, CatalogueScorer, ControlClient, EventsClient, RuntimeClient
from tests.support.stubbed import fake_credentials

PROTOCOLS = {"personalize-runtime": RuntimeClient, "personalize": ControlClient,
             "personalize-events": EventsClient}


@pytest.mark.parametrize("service", sorted(PROTOCOLS))
def test_local_clients_satisfy_their_protocol(service: str, demo_dir: Path) -> None:
    assert isinstance(scoring.client(service, demo_dir), PROTOCOLS[service])  # type: ignore[call-overload]


@pytest.mark.parametrize("service", sorted(PROTOCOLS))
def test_boto3_clients_satisfy_the_same_protocol(service: str) -> None:
    assert isinstance(boto3.client(service, **fake_credentials()), PROTOCOLS[service])


def test_only_the_local_runtime_has_the_local_extensions(demo_dir: Path) -> None:
    local = scoring.client("personalize-runtime", demo_dir)
    live = boto3.client("personalize-runtime", **fake_credentials())
    assert isinstance(local, CatalogueScorer) and isinstance(local, BatchRecommender)
    assert not isinstance(live, CatalogueScorer) and not isinstance(live, BatchRecommender)


def test_a_runtime_client_is_not_a_control_client(demo_dir: Path) -> None:
    assert not isinstance(scoring.client("personalize-runtime", demo_dir), ControlClient)
