"""The quick check in front of botocore's parameter validator (issue 14, endpoint CPU).

`validation.plainly_valid` may only say yes where botocore's validator (plus the bool-as-number
rule) also says yes; anything else goes to botocore, so `check_boto3_params` refuses and accepts
exactly what it did before, with the same messages.
"""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ParamValidationError
from botocore.validate import validate_parameters
from hypothesis import given
from hypothesis import strategies as st

from scoring import arns, validation
from scoring.service_models import service_model

OPERATIONS = [(service, op) for service in ("personalize-runtime", "personalize-events", "personalize")
              for op in service_model(service).operation_names]
REC = arns.local_arn("campaign", "demo-user-personalization")

_scalars = st.one_of(st.none(), st.booleans(), st.integers(-3, 600), st.floats(allow_nan=False),
                     st.text(max_size=4))
_values = st.one_of(
    _scalars,
    st.lists(st.one_of(st.text(max_size=3), st.integers(), st.booleans()), max_size=3),
    st.tuples(st.text(max_size=3)),
    st.dictionaries(st.text(max_size=3), st.one_of(st.text(max_size=3), st.integers(), st.booleans()), max_size=3),
    st.lists(st.dictionaries(st.sampled_from(["name", "percentPromotedItems", "filterArn"]), _scalars,
                             max_size=3), max_size=2),
)


@st.composite
def requests(draw: st.DrawFn) -> tuple[str, str, dict[str, Any]]:
    service, op = draw(st.sampled_from(OPERATIONS))
    members = list(service_model(service).operation_model(op).input_shape.members)
    names = draw(st.lists(st.sampled_from(members + ["bogus", "self"]), max_size=6, unique=True))
    return service, op, {name: draw(_values) for name in names}


def _botocore_refusal(service: str, op: str, params: dict[str, Any]) -> str | None:
    """What the full check (botocore's validator, then the bool rule) says: its message, or None."""
    shape = service_model(service).operation_model(op).input_shape
    try:
        validate_parameters(dict(params), shape)
    except ParamValidationError as exc:
        return str(exc)
    problems = validation._bools_as_numbers(params, shape, "")
    return str(ParamValidationError(report="\n".join(problems))) if problems else None


def _refusal(service: str, op: str, params: dict[str, Any]) -> str | None:
    try:
        validation.check_boto3_params(service, op, params)
    except ParamValidationError as exc:
        return str(exc)
    return None


@given(requests())
def test_the_quick_check_only_accepts_what_botocore_accepts(request: tuple[str, str, dict[str, Any]]) -> None:
    service, op, params = request
    if validation.plainly_valid(validation._plan(service, op), params):
        assert _botocore_refusal(service, op, params) is None


@given(requests())
def test_check_boto3_params_answers_as_the_full_check(request: tuple[str, str, dict[str, Any]]) -> None:
    service, op, params = request
    assert _refusal(service, op, params) == _botocore_refusal(service, op, params)


@pytest.mark.parametrize("op, params", [
    ("GetRecommendations", {"campaignArn": REC, "userId": "1", "numResults": 25}),
    ("GetRecommendations", {"campaignArn": REC, "userId": "1", "context": {"DEVICE": "mobile phone"},
                            "filterArn": REC, "filterValues": {"GENRE": "\"Action\""}}),
    ("GetPersonalizedRanking", {"campaignArn": REC, "userId": "1", "inputList": ["1", "2", "3"]}),
])
def test_the_usual_requests_take_the_quick_path(op: str, params: dict[str, Any]) -> None:
    assert validation.plainly_valid(validation._plan("personalize-runtime", op), params)


def test_a_boolean_number_of_results_goes_to_the_full_check() -> None:
    params = {"campaignArn": REC, "userId": "1", "numResults": True}
    assert not validation.plainly_valid(validation._plan("personalize-runtime", "GetRecommendations"), params)
    with pytest.raises(ParamValidationError, match="numResults"):
        validation.check_boto3_params("personalize-runtime", "GetRecommendations", params)
