"""Undo: write back the exact state an entity had before a change.

An undo is itself a change (action ``undo``, ``undoes_id`` set), so it shows in
the history and can be undone in turn. A change can be undone only while the
entity is still in the state that change left it in; otherwise the later
changes must be undone first.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from maillage.model.errors import Conflict, NotFound
from maillage.storage import audit
from maillage.storage.audit import Context
from maillage.storage.registry import repository
from maillage.storage.repository import sparse
from maillage.storage.tables import change, link, solution_carrier


def undo_change(conn: sa.Connection, change_id: int, *, ctx: Context) -> int:
    """Undo one change; return the id of the undo change. Raises NotFound, Conflict."""
    row = conn.execute(sa.select(change).where(change.c.id == change_id)).first()
    if row is None:
        raise NotFound("change", change_id)
    ch = row._mapping
    undone = conn.execute(
        sa.select(change.c.id).where(change.c.undoes_id == change_id).limit(1)
    ).first()
    if undone is not None:
        raise Conflict(
            f"le changement {change_id} a déjà été annulé (changement {undone[0]})",
            f"change {change_id} was already undone (change {undone[0]})",
        )
    repo = repository(ch["entity"])
    current = sparse(repo.snapshot(conn, ch["entity_id"]))
    if current != sparse(ch["after"]):
        later = _later_changes(conn, ch["entity"], ch["entity_id"], change_id)
        raise Conflict(
            f"{ch['entity']} {ch['entity_id']} a changé depuis le changement {change_id} ; "
            f"annulez d'abord les changements {later}",
            f"{ch['entity']} {ch['entity_id']} changed after change {change_id}; "
            f"undo changes {later} first",
        )
    if ch["before"] is None:
        _check_unreferenced(conn, ch["entity"], ch["entity_id"])
    repo.restore(conn, ch["entity_id"], ch["before"])
    return audit.record(
        conn,
        entity=ch["entity"],
        entity_id=ch["entity_id"],
        action="undo",
        before=current,
        after=ch["before"],
        ctx=ctx,
        undoes_id=change_id,
    )


def undo_batch(conn: sa.Connection, batch_id: int, *, ctx: Context) -> list[int]:
    """Undo every change of a batch, newest first; return the undo change ids."""
    ids = (
        conn.execute(
            sa.select(change.c.id).where(change.c.batch_id == batch_id).order_by(change.c.id.desc())
        )
        .scalars()
        .all()
    )
    if not ids:
        raise NotFound("batch", batch_id)
    return [undo_change(conn, i, ctx=ctx) for i in ids]


def _later_changes(conn: sa.Connection, entity: str, entity_id: int, after_id: int) -> list[int]:
    query = (
        sa.select(change.c.id)
        .where(change.c.entity == entity, change.c.entity_id == entity_id, change.c.id > after_id)
        .order_by(change.c.id.desc())
    )
    return list(conn.execute(query).scalars())


def _check_unreferenced(conn: sa.Connection, entity: str, entity_id: int) -> None:
    if entity != "actor":
        return
    refs: list[Any] = list(
        conn.execute(
            sa.select(link.c.id)
            .where(sa.or_(link.c.source_id == entity_id, link.c.target_id == entity_id))
            .limit(5)
        ).scalars()
    )
    refs += list(
        conn.execute(
            sa.select(solution_carrier.c.solution_id)
            .where(solution_carrier.c.actor_id == entity_id)
            .limit(5)
        ).scalars()
    )
    if refs:
        raise Conflict(
            f"l'acteur {entity_id} est encore référencé (liens ou solutions {refs}) ; "
            "annulez d'abord leur création",
            f"actor {entity_id} is still referenced (links or solutions {refs}); "
            "undo their creation first",
        )
