"""Schema upgrade and reference data loading."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from maillage.services import reference
from maillage.storage import migrate
from maillage.storage.engine import transaction


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
