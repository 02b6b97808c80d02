"""A real boto3 client whose answers come from a local client acting as the service.

botocore's Stubber checks every request against the service model and every response
against its output shape, and raises modelled errors as the real client does. Feeding it
the local client's answers shows that the local model speaks exactly boto3's dialect.
"""

from __future__ import annotations

from typing import Any

import boto3
from botocore.exceptions import ClientError, ParamValidationError
from botocore.stub import Stubber
from botocore.validate import validate_parameters


def fake_credentials() -> dict[str, str]:
    return {"region_name": "us-east-1", "aws_access_key_id": "testing", "aws_secret_access_key": "testing"}


def http_client(service: str, url: str) -> Any:
    """A real boto3 client of `service` pointed at a local endpoint, with fake credentials."""
    return boto3.client(service, endpoint_url=url, **fake_credentials())


class StubbedClient:
    """boto3 client + Stubber; each call is first answered by `server`, then replayed by boto3."""

    def __init__(self, service: str, server: Any) -> None:
        self.client = boto3.client(service, **fake_credentials())
        self.stubber = Stubber(self.client)
        self.stubber.activate()
        self.server = server
        self.exceptions = self.client.exceptions

    def __getattr__(self, name: str) -> Any:
        method = getattr(self.client, name)

        def call(**params: Any) -> Any:
            try:
                response = getattr(self.server, name)(**params)
            except ClientError as exc:
                error = exc.response["Error"]
                self.stubber.add_client_error(
                    name, service_error_code=error["Code"], service_message=error["Message"],
                    http_status_code=exc.response["ResponseMetadata"]["HTTPStatusCode"],
                    expected_params=params)
            except ParamValidationError:
                # Stubber checks its queue before boto3 validates, so check boto3's own rule here.
                model = self.client.meta.service_model
                operation = model.operation_model(self.client.meta.method_to_api_mapping[name])
                validate_parameters(params, operation.input_shape)
                raise AssertionError(f"the server refused {name} params that boto3 accepts") from None
            else:
                body = {k: v for k, v in response.items() if k != "ResponseMetadata"}
                self.stubber.add_response(name, body, expected_params=params)
            return method(**params)

        return call
