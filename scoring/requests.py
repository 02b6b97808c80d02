"""Turn the test form's inputs into a boto3 call, and that call into ready-to-run boto3 code.

The form is forgiving (item IDs separated by commas, spaces or new lines; blank context rows);
the request it produces is exactly what boto3 sends. Mistakes the service would reject anyway
(no user ID, a context key with a space, two rows with the same key) are caught here with a
message that names the field, before any call is made.
"""

from __future__ import annotations

import pprint
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from scoring import filters, recipes, validation

DEFAULT_NUM_RESULTS = 25

_ITEM_SEPARATORS = re.compile(r"[\s,;]+")
_CONTEXT_KEY = re.compile(r"[A-Za-z\d_]+")

#: boto3 method of each operation (the form speaks method names, the snippet too).
RECOMMENDATIONS = recipes.RECOMMENDATIONS
RANKING = recipes.RANKING


class RequestError(ValueError):
    """A form input the request cannot be built from; the message is shown to the user as is."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class FilterInputs:
    """A chosen filter and the text typed for each of its parameters (comma-separated, as the console)."""

    arn: str
    name: str = ""
    parameters: Sequence[filters.Parameter] = ()
    texts: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class PromotionInputs:
    name: str
    percent: int
    filter: FilterInputs


@dataclass(frozen=True)
class FormInputs:
    """What the test form holds, as typed (strings are stripped when the request is built)."""

    campaign_arn: str  # a campaign's ARN, or a recommender's for a domain use case
    recipe: recipes.Recipe = recipes.REGISTRY["aws-user-personalization-v2"]
    user_id: str = ""
    item_id: str = ""
    items_text: str = ""
    context_rows: Sequence[tuple[str, str]] = field(default_factory=tuple)
    num_results: int | None = DEFAULT_NUM_RESULTS
    filter: FilterInputs | None = None
    promotion: PromotionInputs | None = None
    metadata_columns: Sequence[str] = ()


def parse_item_list(text: str) -> list[str]:
    """Item IDs from free text: commas, semicolons, spaces or new lines separate them.

    Duplicates are dropped (first one kept): Personalize ranks each item once.
    """
    return list(dict.fromkeys(t for t in _ITEM_SEPARATORS.split(text or "") if t))


def context_dict(rows: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Context rows to the request's `context` map.

    A row without a value is ignored (the form suggests keys, so a key alone means "unused").
    A value without a key, a key the service's pattern refuses, or a key used twice is an error.
    """
    out: dict[str, str] = {}
    for number, (raw_key, raw_value) in enumerate(rows, start=1):
        key, value = (raw_key or "").strip(), (raw_value or "").strip()
        if not value:
            continue
        if not key:
            raise RequestError(f"Context row {number} has the value {value!r} but no key: "
                               "enter a key such as DEVICE, or clear the value.")
        if not _CONTEXT_KEY.fullmatch(key):
            raise RequestError(f"Context key {key!r} (row {number}) may only contain letters, digits "
                               "and underscores, e.g. DEVICE.")
        if len(key) > validation.MAX_CONTEXT_KEY:
            raise RequestError(f"Context key in row {number} is longer than "
                               f"{validation.MAX_CONTEXT_KEY} characters.")
        if len(value) > validation.MAX_VALUE:
            raise RequestError(f"The value of context key {key} is longer than "
                               f"{validation.MAX_VALUE} characters.")
        if key in out:
            raise RequestError(f"Context key {key} appears twice: keep one row per key.")
        out[key] = value
    if len(out) > validation.MAX_CONTEXT:
        raise RequestError(f"A request takes at most {validation.MAX_CONTEXT} context keys; "
                           f"this one has {len(out)}.")
    return out


def _id(value: str, label: str) -> str:
    value = (value or "").strip()
    if len(value) > validation.MAX_ID:
        raise RequestError(f"{label} is longer than {validation.MAX_ID} characters.")
    return value


def _num_results(value: int | None, limit: int = validation.MAX_RESULTS) -> int:
    if value is None:
        return min(DEFAULT_NUM_RESULTS, limit)
    if not 1 <= int(value) <= limit:
        why = " when item metadata columns are asked for" if limit < validation.MAX_RESULTS else ""
        raise RequestError(f"Number of results must be between 1 and {limit}{why}.")
    return int(value)


def filter_values(chosen: FilterInputs, label: str = "Filter") -> dict[str, str]:
    """The request's filterValues from the console's comma-separated texts, checked per parameter.

    An empty optional (EXCLUDE-only) parameter is left out, so Personalize skips that part;
    an empty required (INCLUDE) one is a form mistake.
    """
    out: dict[str, str] = {}
    name = chosen.name or chosen.arn.rsplit("/", 1)[-1]
    for p in chosen.parameters:
        text = (chosen.texts.get(p.name) or "").strip()
        try:
            value = filters.filter_values_from_text(text, p.kind)
        except filters.FilterError as exc:
            raise RequestError(f"{label} parameter ${p.name}: {exc}") from None
        if value:
            out[p.name] = value
        elif p.required:
            what = "a number" if p.kind == filters.NUMBER else "one or more values separated by commas"
            raise RequestError(f"{label} {name} needs ${p.name}: enter {what}.")
    if len(out) > validation.MAX_FILTER_VALUES:
        raise RequestError(f"A request takes at most {validation.MAX_FILTER_VALUES} filter values.")
    return out


def _promotion(p: PromotionInputs) -> dict[str, Any]:
    name = (p.name or "").strip()
    if not name:
        raise RequestError("Name the promotion (letters, digits, - and _), or clear its filter.")
    problem = validation.name_problem(name, "promotion name")
    if problem:
        raise RequestError(f"Promotion name {name!r} may only hold letters, digits, - and _, and must start "
                           "with a letter or digit (at most 63 characters).")
    if not 1 <= int(p.percent) <= 100:
        raise RequestError("The promoted share must be between 1 and 100 percent.")
    out: dict[str, Any] = {"name": name, "percentPromotedItems": int(p.percent), "filterArn": p.filter.arn}
    values = filter_values(p.filter, "Promotion filter")
    if values:
        out["filterValues"] = values
    return out


def build_request(inputs: FormInputs) -> tuple[str, dict[str, Any]]:
    """(boto3 method name, keyword arguments) for the campaign's recipe or the recommender's use case.

    Raises RequestError with a message naming the missing or wrong field.
    """
    recipe = inputs.recipe
    if not inputs.campaign_arn:
        raise RequestError("Pick a campaign or recommender in the sidebar first.")
    spec = recipe.form
    params: dict[str, Any] = {recipe.arn_param: inputs.campaign_arn}
    user_id = _id(inputs.user_id, "User ID")
    served_by = "recommender" if recipe.is_use_case else "campaign"

    if spec.needs_item or (recipe.takes_item and inputs.item_id.strip()):
        item_id = _id(inputs.item_id, "Item ID")
        if not item_id:
            raise RequestError(f"Enter an item ID: this {served_by} recommends items related to one item.")
        params["itemId"] = item_id
    if spec.shows_user and user_id:
        params["userId"] = user_id
    elif spec.needs_user:
        raise RequestError(f"Enter a user ID: this {served_by} personalizes for one user.")

    if spec.needs_item_list:
        items = parse_item_list(inputs.items_text)
        if not items:
            raise RequestError("Enter at least one item ID to rank (separate them with commas or new lines).")
        if len(items) > validation.MAX_INPUT_LIST:
            raise RequestError(f"At most {validation.MAX_INPUT_LIST} items can be ranked at once; "
                               f"the list has {len(items)}.")
        too_long = next((i for i in items if len(i) > validation.MAX_ID), None)
        if too_long is not None:
            raise RequestError(f"Item ID {too_long[:40]}... is longer than {validation.MAX_ID} characters.")
        params["inputList"] = items
    else:
        limit = validation.MAX_RESULTS_WITH_METADATA if inputs.metadata_columns else validation.MAX_RESULTS
        params["numResults"] = _num_results(inputs.num_results, limit)

    context = context_dict(inputs.context_rows)
    if context:
        params["context"] = context
    if inputs.filter is not None and inputs.filter.arn:
        params["filterArn"] = inputs.filter.arn
        values = filter_values(inputs.filter)
        if values:
            params["filterValues"] = values
    if inputs.promotion is not None and inputs.promotion.filter.arn and recipe.promotions \
            and not spec.needs_item_list:
        params["promotions"] = [_promotion(inputs.promotion)]
    if inputs.metadata_columns:
        if len(inputs.metadata_columns) > validation.MAX_METADATA_COLUMNS:
            raise RequestError(f"Pick at most {validation.MAX_METADATA_COLUMNS} item metadata columns.")
        params["metadataColumns"] = {"ITEMS": list(inputs.metadata_columns)}
    return spec.operation, params


def suggested_user(model: Any) -> str:
    """A user to pre-fill: the first user the model knows (user "1" in the demo)."""
    ids = getattr(model, "user_ids", [])
    return str(ids[0]) if len(ids) else ""


def suggested_items(model: Any, n: int = 10) -> list[str]:
    """Items to pre-fill for ranking: spread over the popularity order, so the ranking is not
    trivial. Sorted by numpy: the form asks on every rerun, and a Python sort of the catalogue
    took 1.5 ms at 2,400 items and grows with it."""
    ids = getattr(model, "item_ids", [])
    if not len(ids):
        return []
    popularity = np.asarray(getattr(model, "item_popularity", np.zeros(len(ids))), dtype=np.float64)
    order = np.argsort(-popularity, kind="stable")  # most popular first; ties in catalogue order
    step = max(1, len(order) // (4 * n))  # from the head of the catalogue, not only the top n
    return [str(ids[k]) for k in order[::step][:n]]


def _literal(value: Any, indent: int) -> str:
    """A Python literal for `value`, wrapped to stay readable when long."""
    text = pprint.pformat(value, width=96 - indent, sort_dicts=False)
    return text.replace("\n", "\n" + " " * indent)


def boto3_snippet(method: str, params: dict[str, Any], *, region: str | None = None,
                  profile: str | None = None, endpoint_url: str | None = None,
                  local: bool = False) -> str:
    """Ready-to-run Python that sends the same request with boto3.

    Credentials never appear: boto3 finds them itself (profile, environment, SSO, role).
    For a local campaign the code targets `python -m scoring.server`, which serves the same model.
    """
    lines = ["import boto3", ""]
    if local:
        endpoint_url = endpoint_url or "http://127.0.0.1:8080"
        lines += ["# Local campaign: serve it first with `python -m scoring.server --port 8080`.",
                  "# The local server checks no signatures, but boto3 still wants some keys:",
                  "#   export AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local", ""]
        region = region or "us-east-1"
    if profile:
        lines.append(f"session = boto3.Session(profile_name={profile!r})")
        factory = "session.client"
    else:
        factory = "boto3.client"
    args = ['"personalize-runtime"']
    if region:
        args.append(f"region_name={region!r}")
    if endpoint_url:
        args.append(f"endpoint_url={endpoint_url!r}")
    lines.append(f"runtime = {factory}({', '.join(args)})")
    lines.append("")
    lines.append(f"response = runtime.{method}(")
    for key, value in params.items():
        lines.append(f"    {key}={_literal(value, 4)},")
    lines.append(")")
    list_key = "personalizedRanking" if method == RANKING else "itemList"
    lines += [f'for rank, item in enumerate(response["{list_key}"], start=1):',
              '    print(rank, item["itemId"], item.get("score"))']
    return "\n".join(lines) + "\n"
