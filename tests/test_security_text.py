"""User-supplied text is never interpreted as markdown or HTML (issue 13, finding 6).

`components.safe_text` does the escaping; these tests put the issue's payload into every place a
person or a link can type text (user IDs, filter and group names, item IDs, URL values) and
check every markdown-rendering body, label and help text of the page: wherever the payload
shows, its markup characters are escaped. Figures get HTML-escaped labels (plotly reads them as
HTML). The browser check is tests/e2e/test_security_markdown.py.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from components import figures, health_figures
from components.safe_text import code, md, plot
from scoring import health_metrics as hm
from tests.app_support import new_app, rendered

PAYLOAD = "**B0LD** [x](https://evil.example) ![i](http://host/track.png) <b>h</b> $x^2$ :red[r] www.evil.example"
UNSAFE = [re.compile(p) for p in (r"(?<!\\)\*\*B0LD", r"(?<!\\)\[x(?<!\\)\]", r"(?<!\\)!(?<!\\)\[i",
                                  r"https?://", r"(?<!\\)<b>", r"(?<!\\)\$x", r"(?<!\\):red(?<!\\)\[",
                                  r"www\.", r"\w@\w")]


def markdown_texts(at: AppTest) -> list[str]:
    """Every string of the page that Streamlit renders as markdown: bodies, labels, help."""
    out: list[str] = []

    def walk(node: Any) -> None:
        proto = getattr(node, "proto", None)
        literal = getattr(node, "type", "") in ("json", "code", "text")  # shown verbatim anyway
        if proto is not None and not literal:
            for name in ("body", "label", "help"):
                value = getattr(proto, name, None)
                if isinstance(value, str) and value:
                    out.append(value)
            for option in getattr(proto, "options", []) or []:
                if isinstance(option, str):
                    out.append(option)
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(at._tree)
    return out


def assert_literal(at: AppTest, marker: str = "B0LD") -> int:
    """The payload, wherever it shows, is escaped; returns how many places show it."""
    shown = [t for t in markdown_texts(at) if marker in t]
    for text in shown:
        for pattern in UNSAFE:
            assert not pattern.search(text), f"{pattern.pattern!r} is live in: {text[:300]}"
    return len(shown)


# -- the helpers --------------------------------------------------------------------------------
def test_md_escapes_every_inline_construct() -> None:
    escaped = md(PAYLOAD)
    for pattern in UNSAFE:
        assert not pattern.search(escaped), pattern.pattern
    assert rendered(escaped) == PAYLOAD  # and it shows exactly the characters typed


@pytest.mark.parametrize("text", ["# h", "- item", "+ item", "1. first", "2) second", "> quote",
                                  "a\nb", "a\r\n# b", "`code`", "a\\*b", "&amp;", "x@y.example",
                                  ":material/home:", "HTTP://X.EXAMPLE", "=SUM(1)"])
def test_md_keeps_block_markers_and_breaks_inert(text: str) -> None:
    escaped = md(text)
    assert "\n" not in escaped and "\r" not in escaped
    assert rendered(escaped) == " ".join(text.replace("\r\n", "\n").split("\n"))
    assert not re.match(r"\s*([#>+-]|\d+[.)])", escaped)


def test_bare_autolinks_are_broken_invisibly() -> None:
    for text in ("https://evil.example", "see www.evil.example", "mail me@evil.example", "HTTP://X.EXAMPLE"):
        escaped = md(text)
        assert not re.search(r"(?i)https?://|www\.|\w@\w", escaped)
        assert rendered(escaped) == text


def test_ids_and_arns_read_as_themselves() -> None:
    for text in ("demo-user-personalization", "arn:aws:personalize:local:000000000000:campaign/demo",
                 "user 42", "items.csv line 3"):
        assert md(text) == text


def test_code_spans_cannot_be_closed_from_inside() -> None:
    assert code("a`b") == "``a`b``" and code("`x`") == "`` `x` ``"


def test_plot_labels_are_html_escaped() -> None:
    assert plot('<a href="https://evil.example">x</a>') == "&lt;a href=&quot;https://evil.example&quot;&gt;x&lt;/a&gt;"


def test_figures_escape_item_ids_titles_and_campaign_names() -> None:
    table = pd.DataFrame({"Rank": [1, 2], "Item ID": ["<b>i1</b>", "i2"], "Score": [0.5, 0.25],
                          "TITLE": ['<a href="https://evil.example">t</a>', "ok"]})
    fig = figures.top_scores(table).to_plotly_json()
    text = json.dumps(fig["data"])
    assert "<a href" not in text and "<b>i1" not in text and "&lt;a href" in text
    report = hm.compute(hm.RecLists(["u"], [["i1"]], [[0.5]]), None, 1)
    curve = json.dumps(health_figures.metric_bars({"<img src=x>": report}).to_plotly_json()["data"])
    assert "<img" not in curve


# -- every page where text can be typed or linked -------------------------------------------------
def test_test_campaign_shows_a_linked_user_id_literally() -> None:
    at = new_app()
    at.query_params.update({"user": PAYLOAD})
    at.run()
    assert not at.exception
    assert assert_literal(at) >= 1  # the recent-interactions caption names the user


def test_filters_page_shows_a_typed_filter_name_literally() -> None:
    at = new_app().run().switch_page("pages/filters.py").run()
    at.text_input(key="new_filter_name").input(PAYLOAD)
    at.text_area(key="new_filter_expression").input('EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("watch")')
    at.button(key="create_filter_submit").click().run()
    assert not at.exception
    assert assert_literal(at) >= 1  # the refusal names it


def test_local_models_shows_a_typed_group_name_literally() -> None:
    at = new_app().run().switch_page("pages/local_models.py").run()
    at.text_input(key="lm_name").input(PAYLOAD)
    at.button(key="lm_train").click().run()
    assert not at.exception
    assert assert_literal(at) >= 0


def test_compare_shows_typed_user_ids_literally() -> None:
    at = new_app().run().switch_page("pages/compare.py").run()
    at.text_input(key="cmp_a_user").input(PAYLOAD).run()
    assert not at.exception
    assert_literal(at)


def test_score_normalisation_shows_a_typed_user_literally() -> None:
    at = new_app().run().switch_page("pages/score_normalisation.py").run()
    at.text_input(key="norm_user").input(PAYLOAD)
    at.button(key="norm_submit").click().run()
    assert not at.exception
    assert_literal(at)


def test_health_check_shows_pasted_ids_literally() -> None:
    at = new_app().run().switch_page("pages/health_check.py").run()
    how = at.radio(key="health_users_how")
    pasted = next(o for o in how.options if "aste" in o)
    how.set_value(pasted).run()
    at.text_area(key="health_pasted").input(PAYLOAD + "\nu2").run()
    at.button(key="health_run").click().run()
    assert not at.exception
    assert_literal(at)


def test_campaign_details_show_a_linked_campaign_literally() -> None:
    at = new_app()
    at.query_params.update({"campaign": "arn:aws:personalize:local:000000000000:campaign/" + PAYLOAD})
    at.run()
    at.switch_page("pages/campaign.py").run()
    assert not at.exception
    assert_literal(at)
