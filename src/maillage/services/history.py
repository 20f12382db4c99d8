"""History and undo use cases."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from maillage.services.accounts import author_names
from maillage.storage import audit, undo
from maillage.storage.audit import Context, open_batch
from maillage.storage.engine import transaction
from maillage.storage.registry import repository
from maillage.storage.tables import batch


def entity_history(*, db: sa.Engine, entity: str, entity_id: int) -> list[dict[str, Any]]:
    """The trail of one entity, oldest first, each change with its changed fields and
    its ``author``: the name of the account that made it (``user:12``), else the
    command or import that did (``cli``, ``import``); ``decided_by``: who opened its
    batch when another (the moderator who accepted the proposal), else None."""
    repository(entity)
    with db.connect() as conn:
        rows = audit.history(conn, entity=entity, entity_id=entity_id)
        ids = sorted({row["batch_id"] for row in rows if row["batch_id"]})
        query = sa.select(batch.c.id, batch.c.user).where(batch.c.id.in_(ids))
        openers = {i: u for i, u in conn.execute(query)} if ids else {}
    users = {row["user"] for row in rows} | set(openers.values())
    names = author_names(db=db, users=users)
    for row in rows:
        row["author"] = names.get(row["user"], row["user"])
        # Who opened the change's batch when another than its author: the moderator (or
        # ``votes``) who accepted a proposal the change is signed by the proposer for.
        opener = openers.get(row["batch_id"])
        row["decided_by"] = names.get(opener, opener) if opener not in (None, row["user"]) else None
        before, after = row["before"] or {}, row["after"] or {}
        row["fields"] = sorted(
            k
            for k in set(before) | set(after)
            if before.get(k) != after.get(k) and k not in ("version", "updated_at")
        )
    return rows


def undo_change(*, db: sa.Engine, change_id: int, user: str = "cli") -> int:
    """Undo one change (one transaction); returns the undo's change id."""
    with transaction(db) as conn:
        batch_id = open_batch(conn, kind="undo", label=f"undo change {change_id}", user=user)
        return undo.undo_change(conn, change_id, ctx=Context(user=user, batch_id=batch_id))


def undo_batch(*, db: sa.Engine, batch_id: int, user: str = "cli") -> list[int]:
    """Undo a whole batch (e.g. an import) in one transaction."""
    with transaction(db) as conn:
        undo_batch_id = open_batch(conn, kind="undo", label=f"undo batch {batch_id}", user=user)
        return undo.undo_batch(conn, batch_id, ctx=Context(user=user, batch_id=undo_batch_id))
