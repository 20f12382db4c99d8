"""Fixtures for the format tests: where the shipped open data lives.

The real files are in ``shared/data`` beside the repository (``MAILLAGE_SHARED_DATA``
overrides). Without them the tests that read them skip, except under ``CI=true``, where
a missing folder fails the run.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from io_support import IN_CI, SHARED_DATA


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The shared open-data folder (skip outside CI when it is absent)."""
    if not SHARED_DATA.is_dir():
        if IN_CI:
            pytest.fail(f"shared data folder missing: {SHARED_DATA}")
        pytest.skip(f"shared data folder missing: {SHARED_DATA}")
    return SHARED_DATA
