"""Helpers shared by the portal tests."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from fastapi.testclient import TestClient

from maillage.settings import Settings
from maillage.web.app import create_app
from maillage.web.providers import Providers


def make_client(db: sa.Engine, providers: Providers | None = None, **settings: Any) -> TestClient:
    """A TestClient over the portal for ``db`` (``settings``: more fields of Settings),
    asking for ``localhost``, a host the portal trusts by default."""
    url = db.url.render_as_string(hide_password=False)
    app = create_app(Settings(database_url=url, **settings), engine=db, providers=providers)
    return TestClient(app, base_url="http://localhost")
