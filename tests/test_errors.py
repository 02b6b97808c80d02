"""Every failure a call can raise becomes one message naming the problem and what to do."""

from __future__ import annotations

import socket

import botocore.exceptions as bex
import pytest
from botocore.stub import Stubber

from scoring import aws, errors
from tests.support.stubbed import fake_credentials


def _client_error(code: str, message: str = "boom") -> bex.ClientError:
    return bex.ClientError({"Error": {"Code": code, "Message": message}}, "GetRecommendations")


@pytest.mark.parametrize("code, hint", [
    ("AccessDeniedException", "IAM action"),
    ("ResourceNotFoundException", "ARN"),
    ("InvalidInputException", "request fields"),
    ("ThrottlingException", "Too many requests"),
    ("UnrecognizedClientException", "access key"),
    ("ExpiredTokenException", "expired"),
])
def test_aws_error_codes_are_named_with_an_action(code: str, hint: str) -> None:
    problem = errors.explain(_client_error(code, "the service said no"))
    assert problem.code == code
    assert problem.message == "the service said no"
    assert hint in problem.action
    assert code in problem.text()


@pytest.mark.parametrize("exc, code", [
    (bex.NoCredentialsError(), "NoCredentials"),
    (bex.ProfileNotFound(profile="ghost"), "ProfileNotFound"),
    (bex.EndpointConnectionError(endpoint_url="http://127.0.0.1:9"), "EndpointUnreachable"),
    (bex.ConnectTimeoutError(endpoint_url="http://10.255.255.1"), "Timeout"),
    (bex.ReadTimeoutError(endpoint_url="http://127.0.0.1:9"), "Timeout"),
    (bex.NoRegionError(), "NoRegion"),
    (RuntimeError("surprise"), "RuntimeError"),
])
def test_client_side_failures_are_explained(exc: Exception, code: str) -> None:
    problem = errors.explain(exc)
    assert problem.code == code
    assert problem.action


def test_local_errors_are_the_classes_boto3_raises() -> None:
    exc = errors.client_error("personalize-runtime", errors.NOT_FOUND, "gone", "GetRecommendations")
    assert isinstance(exc, bex.ClientError)
    assert type(exc).__name__ == "ResourceNotFoundException"
    assert exc.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    assert str(exc) == ("An error occurred (ResourceNotFoundException) when calling the "
                        "GetRecommendations operation: gone")


def test_live_client_uses_short_timeouts_and_adaptive_retries() -> None:
    client = aws.live_client("personalize-runtime", "eu-west-1")
    config = client.meta.config
    assert config.connect_timeout <= 5 and config.read_timeout <= 15
    assert config.retries["mode"] == "adaptive"
    assert client.meta.region_name == "eu-west-1"


def test_regions_are_botocores_personalize_regions_in_order() -> None:
    import botocore.session

    botocores = botocore.session.get_session().get_available_regions("personalize")
    assert aws.regions() == sorted(botocores)
    assert "us-east-1" in aws.regions()


def test_the_regions_list_a_caller_changes_is_its_own() -> None:
    mine = aws.regions()
    mine.clear()
    assert aws.regions()


def test_unreachable_endpoint_fails_fast_with_a_clear_message(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    client = aws.live_client("personalize", "us-east-1", endpoint_url=f"http://127.0.0.1:{port}")
    with pytest.raises(bex.EndpointConnectionError) as caught:
        client.list_campaigns()
    assert errors.explain(caught.value).code == "EndpointUnreachable"


def test_a_stubbed_access_denied_is_explained() -> None:
    import boto3

    client = boto3.client("personalize", **fake_credentials())
    with Stubber(client) as stub:
        stub.add_client_error("list_campaigns", "AccessDeniedException",
                              "User is not authorized to perform: personalize:ListCampaigns", 400)
        with pytest.raises(bex.ClientError) as caught:
            client.list_campaigns()
    problem = errors.explain(caught.value)
    assert problem.code == "AccessDeniedException"
    assert "personalize:ListCampaigns" in problem.message


@pytest.mark.parametrize("service, code, status", [
    ("personalize", "ResourceNotFoundException", 400),  # JSON 1.1: no modelled status
    ("personalize", "LimitExceededException", 400),
    ("personalize-runtime", "ResourceNotFoundException", 404),
    ("personalize-runtime", "InvalidInputException", 400),
    ("personalize-events", "ResourceInUseException", 409),
    ("personalize-runtime", "NoSuchCodeException", 400),
])
def test_error_statuses_follow_the_service_model(service: str, code: str, status: int) -> None:
    assert errors.http_status(service, code) == status
