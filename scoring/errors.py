"""Errors the way boto3 raises them, and plain-language explanations of any AWS failure.

The local clients raise the very exception classes a boto3 client raises (built from
botocore's service model), so code written against `client.exceptions.InvalidInputException`
works unchanged on both sources. `explain` turns any exception a call can raise into one
message that names the problem and what to do; pages show that, never a traceback.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import botocore.exceptions as bex
from botocore.errorfactory import BaseClientExceptions, ClientExceptionsFactory

from scoring.service_models import service_model

INVALID_INPUT = "InvalidInputException"
NOT_FOUND = "ResourceNotFoundException"

#: The status of an error whose shape models none: JSON 1.1 (the control plane) sends 400.
DEFAULT_STATUS = 400


def http_status(service: str, code: str) -> int:
    """The HTTP status AWS sends for an error: the one botocore's model gives its shape, else 400.

    The runtime and events models give InvalidInput 400 and ResourceNotFound 404; the control
    plane's JSON 1.1 model gives no status at all, so every control-plane error is a 400.
    """
    model = service_model(service)
    shape = next((s for s in model.error_shapes if s.name == code), None)
    if shape is None:
        return DEFAULT_STATUS
    return int(shape.metadata.get("error", {}).get("httpStatusCode", DEFAULT_STATUS))


@cache
def service_exceptions(service: str) -> BaseClientExceptions:
    """The `client.exceptions` object of a boto3 client for `service`, without a client."""
    return ClientExceptionsFactory().create_client_exceptions(service_model(service))


def client_error(service: str, code: str, message: str, operation: str) -> bex.ClientError:
    """A ClientError shaped exactly as botocore parses an AWS error response."""
    response = {
        "Error": {"Code": code, "Message": message},
        "message": message,
        "ResponseMetadata": {"HTTPStatusCode": http_status(service, code), "HTTPHeaders": {}},
    }
    cls = service_exceptions(service).from_code(code)
    return cls(response, operation)


@dataclass(frozen=True)
class Problem:
    """What went wrong (code + message from the service) and what the user can do about it."""

    code: str
    message: str
    action: str

    def text(self) -> str:
        return f"**{self.code}**: {self.message}\n\n{self.action}"


_ACTIONS: dict[str, str] = {
    INVALID_INPUT: "Check the request fields: the service rejected one of them as shown.",
    NOT_FOUND: "Check the ARN and the region: the resource does not exist there, or is not ACTIVE yet.",
    "AccessDeniedException": "Grant this identity the IAM action named in the message "
    "(see README, 'Using it with AWS'), or pick another profile.",
    "UnrecognizedClientException": "The access key is not valid: refresh or re-enter the credentials of this profile.",
    "InvalidSignatureException": "The secret key does not match: fix the credentials of this profile.",
    "ExpiredTokenException": "The session token has expired: log in again (e.g. `aws sso login`).",
    "ExpiredToken": "The session token has expired: log in again (e.g. `aws sso login`).",
    "ThrottlingException": "Too many requests: wait a few seconds and try again, or raise the campaign's TPS limit.",
    "TooManyRequestsException": "Too many requests: wait a few seconds and try again.",
    "LimitExceededException": "A service quota was reached: wait and retry, or ask for a quota increase.",
    "InvalidNextTokenException": "The list changed while it was paged: reload the campaign list.",
}


def explain(exc: BaseException) -> Problem:
    """One clear message for anything a Personalize call can raise."""
    from scoring import answers, aws  # here: aws builds on this module's neighbours

    if isinstance(exc, answers.MalformedAnswer):
        return Problem("MalformedAnswer", str(exc),
                       "Check the endpoint URL in the sidebar (a shared link may have set it): that "
                       "server does not answer as Amazon Personalize does. Clear it to use AWS itself.")
    if isinstance(exc, aws.CallBudgetExceeded):
        return Problem("Timeout", str(exc), "Check the endpoint URL, the region and your network, "
                       "then press Try again in the sidebar.")
    if isinstance(exc, aws.InvalidEndpoint):
        return Problem("InvalidEndpointURL", str(exc),
                       "Fix the endpoint URL in the sidebar, or clear it to use AWS's own endpoint.")
    if isinstance(exc, bex.ClientError):
        err = exc.response.get("Error", {})
        code = str(err.get("Code") or "ClientError")
        message = str(err.get("Message") or exc.response.get("message") or exc)
        default = "The service refused the request: check the message above."
        return Problem(code, message, _ACTIONS.get(code, default))
    if isinstance(exc, bex.NoCredentialsError):
        return Problem("NoCredentials", "No AWS credentials were found for this profile.",
                       "Configure credentials (`aws configure`, `aws sso login`, or environment "
                       "variables), or switch the source to Local.")
    if isinstance(exc, bex.ProfileNotFound):
        return Problem("ProfileNotFound", str(exc), "Pick a profile that exists in ~/.aws/config.")
    if isinstance(exc, (bex.SSOTokenLoadError, bex.UnauthorizedSSOTokenError, bex.TokenRetrievalError)):
        return Problem("SSOTokenExpired", "The SSO session has expired or is missing.",
                       "Run `aws sso login --profile <profile>` and try again.")
    if isinstance(exc, (bex.ConnectTimeoutError, bex.ReadTimeoutError)):
        return Problem("Timeout", f"The endpoint did not answer in time ({exc}).",
                       "Check the endpoint URL, the region and your network, then try again.")
    if isinstance(exc, (bex.EndpointConnectionError, bex.ConnectionClosedError)):
        return Problem("EndpointUnreachable", f"The endpoint is unreachable ({exc}).",
                       "Check the endpoint URL and region, and that the endpoint is running.")
    if isinstance(exc, bex.ParamValidationError):
        return Problem("ParamValidation", str(exc).replace("\n", " "),
                       "Fix the request fields named above.")
    if isinstance(exc, bex.NoRegionError):
        return Problem("NoRegion", "No AWS region is set.", "Choose a region in the sidebar.")
    if isinstance(exc, bex.BotoCoreError):
        return Problem(type(exc).__name__, str(exc), "Check the AWS settings in the sidebar and try again.")
    if isinstance(exc, (FileNotFoundError, ValueError)):
        return Problem(type(exc).__name__, str(exc), "Check the input and the local data, then try again.")
    return Problem(type(exc).__name__, str(exc) or repr(exc),
                   "This is unexpected: please report it with the request shown below.")
