"""Schema upgrade, reference data loading, and whether the database answers (health)."""

from __future__ import annotations

import logging
from typing import Any

import sqlalchemy as sa

from maillage import __version__
from maillage.services import reference
from maillage.storage import migrate
from maillage.storage.engine import transaction

log = logging.getLogger(__name__)


def current_revision(*, db: sa.Engine) -> str | None:
    """The schema revision of the database; None when it was never upgraded."""
    return migrate.current_revision(db)


def upgrade(*, db: sa.Engine) -> dict[str, Any]:
    """Migrate to the latest schema, then load taxonomies and geography if missing.

    Safe to run any number of times. Returns the revision and reference counts.
    """
    migrate.upgrade(db)
    with transaction(db) as conn:
        counts = reference.load_reference_data(conn)
    return {"revision": migrate.current_revision(db), "reference": counts}


def check(*, db: sa.Engine) -> dict[str, Any]:
    """``status`` (``ok`` or ``unavailable``), ``database`` (``ok``, ``unavailable``:
    not reached, or ``uninitialised``: reached but never upgraded), the schema
    ``revision`` and the application ``version``. Reading the schema revision is the
    trivial query: one small table, one row."""
    try:
        revision = current_revision(db=db)
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
