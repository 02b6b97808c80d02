"""Campaign details' sentences on what a local model learned beyond its vectors."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from scoring.learned_terms import event_sentence, learned_lines, recency_sentence, repeat_sentence
from tests.test_history_model import WINDOW, _model


def _with(repeat: list[float] | None = None, recency: dict | None = None):
    model = _model()
    if repeat is not None:
        weights = np.full(WINDOW + 1, repeat[1], dtype=np.float32)
        weights[0] = repeat[0]
        model = replace(model, repeat_weights=weights)
    if recency is not None:
        model = replace(model, meta={"recency": recency})
    return model


def test_a_negative_repeat_weight_reads_as_pushed_down_with_its_factor() -> None:
    line = repeat_sentence(_with(repeat=[-3.94, -2.71]))
    assert line is not None
    assert "pushed down" in line and "51x less likely (weight -3.94)" in line
    assert f"older than the {WINDOW}" in line and "15x less likely (-2.71)" in line


def test_a_positive_repeat_weight_reads_as_lifted() -> None:
    line = repeat_sentence(_with(repeat=[1.2, 0.5]))
    assert line is not None and "are lifted" in line and "3x more likely" in line


def test_tiny_repeat_weights_read_as_barely_moved() -> None:
    assert "barely moved" in (repeat_sentence(_with(repeat=[0.05, -0.02])) or "")


def test_a_model_without_the_terms_says_nothing() -> None:
    assert repeat_sentence(_model()) is None
    assert recency_sentence(_model()) is None
    assert learned_lines(_model()) == []


def test_recent_popularity_names_its_date_and_windows() -> None:
    line = recency_sentence(_with(recency={"window_days": [30.0, 90.0], "weights": [0.5, -0.25],
                                           "as_of": 1767225599.0}))
    assert line is not None and "as of 2025-12-31" in line
    assert "+0.50 on the last 30 days' interactions, -0.25 on the last 90 days'" in line


def test_event_types_that_matter_are_named_with_their_weights() -> None:
    model = replace(_model(), repeat_event_weights=np.asarray([0.2, -0.75, 0.0], np.float32))
    line = event_sentence(model)
    assert line is not None and "after a click +0.20, after a watch -0.75" in line
    assert event_sentence(replace(model, repeat_event_weights=np.zeros(3, np.float32))) is None
