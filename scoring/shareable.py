"""The URL query string <-> console state: a link that reproduces a view.

    ?source=local&group=demo&campaign=arn:...&user=1&ctx=DEVICE=mobile+phone&n=25
    ?source=aws&region=eu-west-1&profile=prod&campaign=arn:...&user=42&items=a,b,c
    ...&filter=arn:...filter/genre&fv=GENRES="Comedy","Drama"&promo=spotlight&pp=20&pf=arn:...&pfv=...&meta=TITLE

Pure functions over plain mappings (`{name: [values]}` in, `{name: value | [values]}` out), so
they are tested without Streamlit. Credentials never go in the URL: only a profile *name*.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

LOCAL = "local"
AWS = "aws"

#: Every parameter this module reads or writes (others in the URL are left alone).
KEYS = ("source", "group", "region", "profile", "endpoint", "campaign", "user", "item", "items", "ctx", "n",
        "filter", "fv", "promo", "pp", "pf", "pfv", "meta")
SOURCE_KEYS = ("source", "group", "region", "profile", "endpoint", "campaign")


@dataclass(frozen=True)
class SharedState:
    """What a link carries: where the campaign is, which campaign, and the request's inputs."""

    source: str = LOCAL
    group: str | None = None
    region: str | None = None
    profile: str | None = None
    endpoint: str | None = None
    campaign: str | None = None
    user_id: str = ""
    item_id: str = ""
    items: tuple[str, ...] = ()
    context: tuple[tuple[str, str], ...] = field(default_factory=tuple)
    num_results: int | None = None
    filter_arn: str = ""
    filter_values: tuple[tuple[str, str], ...] = ()
    promotion_name: str = ""
    promotion_percent: int | None = None
    promotion_filter_arn: str = ""
    promotion_values: tuple[tuple[str, str], ...] = ()
    metadata_columns: tuple[str, ...] = ()

    @property
    def has_request(self) -> bool:
        """True when the link carries request inputs, not only a campaign."""
        return bool(self.user_id or self.item_id or self.items)


def _first(params: Mapping[str, Sequence[str] | str], key: str) -> str | None:
    value = params.get(key)
    if value is None:
        return None
    if isinstance(value, str):
        return value.strip() or None
    values = [v for v in value if v.strip()]
    return values[-1].strip() if values else None


def _all(params: Mapping[str, Sequence[str] | str], key: str) -> list[str]:
    value = params.get(key)
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def from_query_params(params: Mapping[str, Sequence[str] | str]) -> SharedState:
    """Parse query parameters (each a list of values, or a single string); bad values are dropped."""
    source = _first(params, "source")
    items = tuple(dict.fromkeys(i.strip() for v in _all(params, "items") for i in v.split(",") if i.strip()))
    context: list[tuple[str, str]] = []
    for entry in _all(params, "ctx"):
        key, sep, value = entry.partition("=")
        if sep and key.strip():
            context.append((key.strip(), value))
    n_text = _first(params, "n")
    num = int(n_text) if n_text and n_text.isdigit() else None
    pp_text = _first(params, "pp")
    meta = tuple(dict.fromkeys(c.strip() for v in _all(params, "meta") for c in v.split(",") if c.strip()))
    return SharedState(
        source=AWS if source == AWS else LOCAL,
        group=_first(params, "group"), region=_first(params, "region"),
        profile=_first(params, "profile"), endpoint=_first(params, "endpoint"),
        campaign=_first(params, "campaign"), user_id=_first(params, "user") or "",
        item_id=_first(params, "item") or "", items=items, context=tuple(context), num_results=num,
        filter_arn=_first(params, "filter") or "", filter_values=_pairs(params, "fv"),
        promotion_name=_first(params, "promo") or "",
        promotion_percent=int(pp_text) if pp_text and pp_text.isdigit() else None,
        promotion_filter_arn=_first(params, "pf") or "", promotion_values=_pairs(params, "pfv"),
        metadata_columns=meta,
    )


def _pairs(params: Mapping[str, Sequence[str] | str], key: str) -> tuple[tuple[str, str], ...]:
    """Repeated KEY=value parameters (filter values keep their quotes and commas as sent)."""
    out = []
    for entry in _all(params, key):
        name, sep, value = entry.partition("=")
        if sep and name.strip():
            out.append((name.strip(), value))
    return tuple(out)


def to_query_params(state: SharedState, *, with_request: bool = True) -> dict[str, str | list[str]]:
    """The query parameters of a state; empty fields are left out so links stay short."""
    out: dict[str, str | list[str]] = {"source": state.source}
    if state.source == LOCAL:
        if state.group:
            out["group"] = state.group
    else:
        aws = (("region", state.region), ("profile", state.profile), ("endpoint", state.endpoint))
        for key, value in aws:
            if value:
                out[key] = value
    if state.campaign:
        out["campaign"] = state.campaign
    if not with_request:
        return out
    if state.user_id:
        out["user"] = state.user_id
    if state.item_id:
        out["item"] = state.item_id
    if state.items:
        out["items"] = ",".join(state.items)
    context = [f"{k}={v}" for k, v in state.context if k]
    if context:
        out["ctx"] = context
    if state.num_results is not None:
        out["n"] = str(state.num_results)
    if state.filter_arn:
        out["filter"] = state.filter_arn
        if state.filter_values:
            out["fv"] = [f"{k}={v}" for k, v in state.filter_values]
    if state.promotion_filter_arn:
        out["promo"] = state.promotion_name
        if state.promotion_percent is not None:
            out["pp"] = str(state.promotion_percent)
        out["pf"] = state.promotion_filter_arn
        if state.promotion_values:
            out["pfv"] = [f"{k}={v}" for k, v in state.promotion_values]
    if state.metadata_columns:
        out["meta"] = ",".join(state.metadata_columns)
    return out


def request_state(params: Mapping[str, object]) -> dict[str, object]:
    """The request fields of a SharedState from a boto3 request's params (for `dataclasses.replace`)."""
    context = params.get("context") or {}
    assert isinstance(context, Mapping)
    items = params.get("inputList") or ()
    num = params.get("numResults")
    values = params.get("filterValues") or {}
    promotions = params.get("promotions") or [{}]
    promotion = promotions[0]  # type: ignore[index]
    assert isinstance(values, Mapping) and isinstance(promotion, Mapping)
    metadata = params.get("metadataColumns") or {}
    assert isinstance(metadata, Mapping)
    percent = promotion.get("percentPromotedItems")
    out: dict[str, object] = {
        "campaign": params.get("campaignArn") or params.get("recommenderArn"),
        "user_id": str(params.get("userId") or ""),
        "item_id": str(params.get("itemId") or ""),
        "items": tuple(str(i) for i in items),  # type: ignore[union-attr]
        "context": tuple((str(k), str(v)) for k, v in context.items()),
        "num_results": int(num) if isinstance(num, int) else None,
    }
    # Filter, promotion and metadata fields only when the request has them (the defaults mean "none").
    if params.get("filterArn"):
        out["filter_arn"] = str(params["filterArn"])
        out["filter_values"] = tuple((str(k), str(v)) for k, v in values.items())
    if promotion.get("filterArn"):
        out["promotion_name"] = str(promotion.get("name") or "")
        out["promotion_percent"] = int(percent) if isinstance(percent, int) else None
        out["promotion_filter_arn"] = str(promotion["filterArn"])
        out["promotion_values"] = tuple((str(k), str(v)) for k, v in (promotion.get("filterValues") or {}).items())
    if metadata.get("ITEMS"):
        out["metadata_columns"] = tuple(str(c) for c in metadata["ITEMS"])
    return out
