"""What a local model learned beyond the vectors, in words a product manager can check.

The repeat term and recent popularity change lists visibly: a title the user just watched drops
out, a title everyone watched last month rises. Campaign details says what the model learned, so a
list that moved after an event, or differs from all-time popularity, has its reason on screen.
"""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np

from scoring.model import SoftmaxModel

#: Below this a learned weight changes a score by less than 10%: "barely".
NOTICEABLE = 0.1


def _times(weight: float) -> str:
    """A logit shift as a score factor: -4.1 -> "60x less likely"."""
    factor = float(np.exp(abs(weight)))
    return f"{factor:,.0f}x {'less' if weight < 0 else 'more'} likely"


def repeat_sentence(model: SoftmaxModel) -> str | None:
    """The repeat term in one sentence, or None when the model has none."""
    weights = model.repeat_weights
    if weights is None or not weights.any():
        return None
    newest, older = float(weights[0]), float(weights[-1])
    if max(abs(newest), abs(older)) < NOTICEABLE:
        return ("Items the user already has: barely moved (the data neither avoids nor seeks "
                "repeats).")
    verb = "pushed down" if newest < 0 else "lifted"
    return (f"Items the user already has are {verb}: the newest {_times(newest)} "
            f"(weight {newest:+.2f}), items older than the {model.window} the user vector reads "
            f"{_times(older)} ({older:+.2f}), as learned from how often the data repeats them.")


def event_sentence(model: SoftmaxModel) -> str | None:
    """The repeat term's weight per event type, when there are several and one matters."""
    weights = model.repeat_event_weights
    if weights is None or model.event_types.size < 2 \
            or float(np.abs(weights[:-1]).max(initial=0.0)) < NOTICEABLE:
        return None
    parts = ", ".join(f"after a {name} {float(w):+.2f}"
                      for name, w in zip(model.event_types.tolist(), weights[:-1], strict=True))
    return f"On top of that, by the event type of one of the user's last {model.window}: {parts}."


def recency_sentence(model: SoftmaxModel) -> str | None:
    """Recent popularity in one sentence, or None when the model has none."""
    recency = model.meta.get("recency")
    if not recency:
        return None
    as_of = datetime.fromtimestamp(float(recency["as_of"]), tz=UTC).strftime("%Y-%m-%d")
    parts = ", ".join(f"{float(w):+.2f} on the last {float(d):g} days' interactions"
                      for d, w in zip(recency["window_days"], recency["weights"], strict=True))
    return (f"Recent popularity (as of {as_of}, the newest trained interaction): weight {parts} "
            f"(on a log scale; 0 would ignore it).")


def learned_lines(model: SoftmaxModel) -> list[str]:
    lines = (repeat_sentence(model), event_sentence(model), recency_sentence(model))
    return [line for line in lines if line]
