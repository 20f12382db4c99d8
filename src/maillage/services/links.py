"""Use cases on links between actors: each function is one transaction."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

from maillage.model import taxonomy
from maillage.model.errors import InvalidInput
from maillage.services.validation import clean_link
from maillage.storage.audit import Context
from maillage.storage.engine import transaction
from maillage.storage.registry import actors, links
from maillage.storage.repository import Snapshot
from maillage.storage.tables import actor, link, territory


def _check_territory(conn: sa.Connection, values: Mapping[str, Any]) -> None:
    """A territory given to a link is a known one (checked when it is written, not when
    a link is restored as it was)."""
    code = values.get("territory_code")
    query = sa.select(territory.c.code).where(territory.c.code == code)
    if code and conn.execute(query).first() is None:
        raise InvalidInput(
            "territory_code",
            code,
            "code de territoire inconnu (ex. DEP:59, COM:59350)",
            "unknown territory code (e.g. DEP:59, COM:59350)",
        )


def _check_ends(conn: sa.Connection, values: Mapping[str, Any]) -> None:
    """Both ends are live actors."""
    for field in ("source_id", "target_id"):
        if values.get(field) is not None and not actors.is_live(conn, values[field]):
            raise InvalidInput(
                field,
                values[field],
                "aucun acteur actif ne porte cet identifiant",
                "no live actor has this id",
            )


def _default_direction(values: dict[str, Any]) -> None:
    if values.get("directed") is None and values.get("kind"):
        values["directed"] = bool(
            taxonomy.term("link_kinds", values["kind"]).data.get("directed", False)
        )


def checked_new_link(conn: sa.Connection, values: Mapping[str, Any]) -> dict[str, Any]:
    """The cleaned values of a new link, every rule of a write checked (fields, live
    ends, known territory). Raises InvalidInput."""
    cleaned = clean_link(values)
    cleaned.setdefault("status", "active")
    _default_direction(cleaned)
    _check_ends(conn, cleaned)
    _check_territory(conn, cleaned)
    return cleaned


def create_link_in(conn: sa.Connection, *, values: Mapping[str, Any], ctx: Context) -> Snapshot:
    """:func:`create_link` inside the caller's transaction ``conn``."""
    return links.create(conn, checked_new_link(conn, values), ctx=ctx)


def create_link(
    *, db: sa.Engine, values: Mapping[str, Any], user: str = "cli", source: str | None = None
) -> Snapshot:
    """Validate and create a link between two live actors."""
    with transaction(db) as conn:
        return create_link_in(conn, values=values, ctx=Context(user=user, source=source))


def get_link(*, db: sa.Engine, link_id: int) -> Snapshot:
    with db.connect() as conn:
        return links.get(conn, link_id)


def checked_link_changes(
    conn: sa.Connection, link_id: int, changes: Mapping[str, Any]
) -> dict[str, Any]:
    """The cleaned ``changes`` of live link ``link_id``, every rule of a write checked.
    Raises NotFound, InvalidInput."""
    cleaned = clean_link(changes, partial=True)
    current = links.get(conn, link_id)
    ends = {k: cleaned.get(k, current[k]) for k in ("source_id", "target_id")}
    if ends["source_id"] == ends["target_id"]:
        raise InvalidInput(
            "target_id",
            ends["target_id"],
            "un lien relie deux acteurs distincts",
            "a link joins two different actors",
        )
    _check_ends(conn, cleaned)
    _check_territory(conn, cleaned)
    return cleaned


def update_link_in(
    conn: sa.Connection,
    *,
    link_id: int,
    changes: Mapping[str, Any],
    ctx: Context,
    expected_version: int | None = None,
) -> Snapshot:
    """:func:`update_link` inside the caller's transaction ``conn``."""
    cleaned = checked_link_changes(conn, link_id, changes)
    return links.update(conn, link_id, cleaned, ctx=ctx, expected_version=expected_version)


def update_link(
    *,
    db: sa.Engine,
    link_id: int,
    changes: Mapping[str, Any],
    expected_version: int | None = None,
    user: str = "cli",
) -> Snapshot:
    with transaction(db) as conn:
        return update_link_in(
            conn, link_id=link_id, changes=changes, ctx=Context(user=user),
            expected_version=expected_version,
        )  # fmt: skip


def delete_link(
    *, db: sa.Engine, link_id: int, expected_version: int | None = None, user: str = "cli"
) -> Snapshot:
    with transaction(db) as conn:
        return links.delete(
            conn, link_id, ctx=Context(user=user), expected_version=expected_version
        )


def restore_link(
    *, db: sa.Engine, link_id: int, expected_version: int | None = None, user: str = "cli"
) -> Snapshot:
    """Bring back a soft-deleted link; both its actors must be live."""
    with transaction(db) as conn:
        current = links.get(conn, link_id, include_deleted=True)
        _check_ends(conn, current)
        return links.undelete(
            conn, link_id, ctx=Context(user=user), expected_version=expected_version
        )


def list_links(
    *,
    db: sa.Engine,
    actor_id: int | None = None,
    kind: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[Snapshot]:
    """Live links between live actors, optionally those of one actor or one kind (a
    deleted actor's links stay stored, for undo, but are no longer listed)."""
    live = sa.select(actor.c.id).where(actor.c.deleted_at.is_(None))
    where: list[sa.ColumnElement[bool]] = [link.c.source_id.in_(live), link.c.target_id.in_(live)]
    if actor_id is not None:
        where.append(sa.or_(link.c.source_id == actor_id, link.c.target_id == actor_id))
    if kind:
        where.append(link.c.kind == kind)
    with db.connect() as conn:
        return links.list(conn, where=where, limit=limit, offset=offset)
