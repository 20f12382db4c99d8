"""Whether the service can answer: the database reached with one trivial query."""

from __future__ import annotations

import logging
from typing import Any

import sqlalchemy as sa

from maillage import __version__
from maillage.storage import migrate

log = logging.getLogger(__name__)


def check(*, db: sa.Engine) -> dict[str, Any]:
    """``status`` (``ok`` or ``unavailable``), ``database`` (``ok``, ``unavailable``:
    not reached, or ``uninitialised``: reached but never upgraded), the schema
    ``revision`` and the application ``version``. Reading the schema revision is the
    trivial query: one small table, one row."""
    try:
        revision = migrate.current_revision(db)
    except sa.exc.SQLAlchemyError as exc:
        # the reason goes to the log (never the URL: it may hold a password)
        log.warning("health check: database unavailable: %s", type(exc).__name__)
        return _answer("unavailable", None)
    return _answer("ok" if revision else "uninitialised", revision)


def _answer(database: str, revision: str | None) -> dict[str, Any]:
    return {
        "status": "ok" if database == "ok" else "unavailable",
        "database": database,
        "revision": revision,
        "version": __version__,
    }
