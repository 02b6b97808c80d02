"""Fixtures shared by every test module."""

from __future__ import annotations

from pathlib import Path

import pytest

# The AppTest fixtures, for every test module: caches cleared around each test, app.py run on
# every rerun as the server does (both autouse), and the stubbed live-AWS source on request.
from tests.app_support import clear_streamlit_caches, live_aws, run_app_py_on_every_rerun  # noqa: F401


@pytest.fixture(scope="session")
def demo_dir() -> Path:
    """The demo dataset group, generated and trained once (a file lock guards parallel workers)."""
    from scoring.demo import ensure_demo

    return ensure_demo()
