"""Fixtures shared by every test module."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def demo_dir() -> Path:
    """The demo dataset group, generated and trained once (a file lock guards parallel workers)."""
    from scoring.demo import ensure_demo

    return ensure_demo()
