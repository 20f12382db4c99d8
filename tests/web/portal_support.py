"""Helpers shared by the portal tests."""

from __future__ import annotations

import sqlalchemy as sa
from fastapi.testclient import TestClient

from maillage.settings import Settings
from maillage.web.app import create_app
from maillage.web.providers import Providers


def make_client(db: sa.Engine, providers: Providers | None = None) -> TestClient:
    """A TestClient over the portal for ``db``."""
    url = db.url.render_as_string(hide_password=False)
    return TestClient(create_app(Settings(database_url=url), engine=db, providers=providers))
