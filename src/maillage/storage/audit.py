"""The audit log: every write to an editable entity leaves a ``change`` row.

A change holds the full state of the entity before and after (``None`` for a
create's before), who made it, from which source, in which batch. Undo writes
the ``before`` state back exactly (see :mod:`maillage.storage.undo`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from maillage.storage.bulk import insert_records
from maillage.storage.tables import batch, change


def utcnow() -> dt.datetime:
    """The current time, timezone-aware UTC, to the microsecond."""
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True, slots=True)
class Context:
    """Who is writing and why: stamped on every change row."""

    user: str = "cli"
    source: str | None = None
    batch_id: int | None = None


def open_batch(conn: sa.Connection, *, kind: str, label: str | None, user: str) -> int:
    """Create a batch grouping the changes of one operation; return its id."""
    result = conn.execute(
        sa.insert(batch).values(kind=kind, label=label, user=user, created_at=utcnow())
    )
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])


def record(
    conn: sa.Connection,
    *,
    entity: str,
    entity_id: int,
    action: str,
    before: Mapping[str, Any] | None,
    after: Mapping[str, Any] | None,
    ctx: Context,
    undoes_id: int | None = None,
) -> int:
    """Write one change row and return its id."""
    result = conn.execute(
        sa.insert(change).values(
            entity=entity,
            entity_id=entity_id,
            action=action,
            before=before,
            after=after,
            user=ctx.user,
            source=ctx.source,
            batch_id=ctx.batch_id,
            undoes_id=undoes_id,
            at=utcnow(),
        )
    )
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])


def record_changes(
    conn: sa.Connection,
    *,
    entity: str,
    action: str,
    rows: list[tuple[int, Any]],
    ctx: Context,
) -> None:
    """Write many change rows at once: ``rows`` are (entity id, after-state).

    On SQLite the states may already be JSON text (the bulk path encodes them);
    they are then stored as they are.
    """
    if not rows:
        return
    constants = {**_shared(entity, action, ctx), "before": None}
    encoded = isinstance(rows[0][1], str)
    insert_records(conn, change, ("entity_id", "after"), rows, constants, raw=encoded)


def record_updates(
    conn: sa.Connection,
    *,
    entity: str,
    action: str,
    rows: list[tuple[int, Mapping[str, Any] | None, Mapping[str, Any] | None]],
    ctx: Context,
) -> None:
    """Write many change rows at once: ``rows`` are (entity id, before, after)."""
    if not rows:
        return
    constants = _shared(entity, action, ctx)
    insert_records(conn, change, ("entity_id", "before", "after"), rows, constants)


def _shared(entity: str, action: str, ctx: Context) -> dict[str, Any]:
    """The columns every change row of one bulk write shares."""
    return {
        "entity": entity,
        "action": action,
        "user": ctx.user,
        "source": ctx.source,
        "batch_id": ctx.batch_id,
        "undoes_id": None,
        "at": utcnow(),
    }


def history(conn: sa.Connection, *, entity: str, entity_id: int) -> list[dict[str, Any]]:
    """All changes of one entity, oldest first."""
    rows = conn.execute(
        sa.select(change)
        .where(change.c.entity == entity, change.c.entity_id == entity_id)
        .order_by(change.c.id)
    )
    return [dict(r._mapping) for r in rows]
