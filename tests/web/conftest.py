"""Fixtures of the portal tests: the demo map in ``db`` and a TestClient over it."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

sys.path.insert(0, str(Path(__file__).parent))

import demo  # noqa: E402
from browser import CHROMIUM_ARGS, require_chromium  # noqa: E402
from portal_support import make_client  # noqa: E402


@pytest.fixture
def demo_map(db: sa.Engine) -> demo.Demo:
    """40 actors in Nord and Pas-de-Calais, 60 links, 2 needs, 2 indicators."""
    return demo.build(db)


@pytest.fixture
def client(db: sa.Engine, demo_map: demo.Demo) -> Iterator[TestClient]:
    """The portal over the demo map, French by default."""
    with make_client(db) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    """Debian's Chromium driven by Playwright, one per test module (the browser tests)."""
    executable = require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
