"""Fixtures of the command-line tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ecoindex_pages import Site, serve


@pytest.fixture
def site(monkeypatch: pytest.MonkeyPatch) -> Iterator[Site]:
    """Local pages to measure, on loopback; the command reads no allowed network from
    this machine's environment (each test says its own)."""
    monkeypatch.delenv("MAILLAGE_ECOINDEX_ALLOWED_NETWORKS", raising=False)
    with serve(Site()) as served:
        yield served
