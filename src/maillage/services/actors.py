"""Use cases on actors: each function is one transaction."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa

from maillage.model.errors import DuplicateIdentity, InvalidInput
from maillage.services.filters import in_territory
from maillage.services.geography import resolve_territory
from maillage.services.validation import check_communes, check_territories, clean_actor
from maillage.storage import search
from maillage.storage.audit import Context, open_batch
from maillage.storage.bulk import paused_gc
from maillage.storage.engine import transaction
from maillage.storage.registry import actors
from maillage.storage.repository import BulkPart, BulkPlan, Snapshot
from maillage.storage.tables import LIVE_ACTOR, actor, territory


def known_codes(conn: sa.Connection, codes: Iterable[str]) -> set[str]:
    """The subset of territory ``codes`` present in the geography."""
    wanted = set(codes)
    if len(wanted) > 5000:  # a bulk load: reading every code beats long IN lists
        return wanted.intersection(conn.exec_driver_sql("SELECT code FROM territory").scalars())
    ordered = sorted(wanted)
    found: set[str] = set()
    for start in range(0, len(ordered), 5000):
        chunk = ordered[start : start + 5000]
        found.update(
            conn.execute(sa.select(territory.c.code).where(territory.c.code.in_(chunk))).scalars()
        )
    return found


def _check_geography(conn: sa.Connection, rows: Sequence[Mapping[str, Any]]) -> None:
    communes = {"COM:" + c for r in rows if (c := r.get("commune_code"))}
    others = {c for r in rows if (t := r.get("territories")) for c in t}
    wanted = communes | others
    known = known_codes(conn, wanted)
    if len(known) == len(wanted):
        return
    known_communes = {c[4:] for c in known if c.startswith("COM:")}
    for r in rows:  # find the first offending value, for its message
        check_communes(r, known_communes)
        check_territories(r, known)


def _check_identities(
    conn: sa.Connection, rows: Sequence[Mapping[str, Any]], own: int | None = None
) -> None:
    """Refuse a SIRET or RNA number that another live actor holds, or that two of
    ``rows`` give (DuplicateIdentity naming the holder); ``own`` is the actor updated."""
    for scheme in ("siret", "rna"):
        wanted = [number for r in rows if (number := r.get(scheme))]
        if not wanted:
            continue
        twice = next((n for n, count in Counter(wanted).items() if count > 1), None)
        if twice is not None:
            raise DuplicateIdentity(scheme, twice)
        column = actor.c[scheme]
        for start in range(0, len(wanted), 5000):
            query = sa.select(column, actor.c.id, actor.c.name).where(
                column.in_(wanted[start : start + 5000]),
                sa.text(LIVE_ACTOR),
                actor.c.id != (own or 0),
            )
            held = conn.execute(query.limit(1)).first()
            if held is not None:
                raise DuplicateIdentity(scheme, held[0], f"{held[1]} « {held[2]} »")


def checked_new_actor(conn: sa.Connection, values: Mapping[str, Any]) -> dict[str, Any]:
    """The cleaned values of a new actor, every rule of a write checked (fields,
    geography, identities held by another actor). Raises InvalidInput, DuplicateIdentity."""
    cleaned = clean_actor(values)
    _check_geography(conn, [cleaned])
    _check_identities(conn, [cleaned])
    return cleaned


def create_actor_in(conn: sa.Connection, *, values: Mapping[str, Any], ctx: Context) -> Snapshot:
    """:func:`create_actor` inside the caller's transaction ``conn``."""
    return actors.create(conn, checked_new_actor(conn, values), ctx=ctx)


def create_actor(
    *, db: sa.Engine, values: Mapping[str, Any], user: str = "cli", source: str | None = None
) -> Snapshot:
    """Validate and create one actor; returns it. Raises InvalidInput."""
    with transaction(db) as conn:
        return create_actor_in(conn, values=values, ctx=Context(user=user, source=source))


def create_actors(
    *,
    db: sa.Engine,
    rows: Sequence[Mapping[str, Any]],
    user: str = "import",
    source: str | None = None,
    label: str | None = None,
) -> tuple[int, list[int]]:
    """Validate and create many actors in one batch; returns (batch id, ids).

    All or nothing: the first invalid row raises InvalidInput (with its row
    number in the message) and nothing is written.
    """
    with paused_gc(), transaction(db) as conn:
        plan = actors.plan_bulk(conn, rows)
        cleaned, part = _prepare(plan, rows, 0)
        _check_geography(conn, cleaned)
        _check_identities(conn, cleaned)
        batch_id = open_batch(conn, kind="service", label=label or "create actors", user=user)
        ctx = Context(user=user, source=source, batch_id=batch_id)
        ids = actors.write_bulk(conn, plan, part, ctx=ctx)
    return batch_id, ids


def _prepare(
    plan: BulkPlan, rows: Sequence[Mapping[str, Any]], offset: int
) -> tuple[list[dict[str, Any]], BulkPart]:
    """Clean a slice of rows and derive what will be written for it (pure)."""
    cleaned = []
    for number, values in enumerate(rows, start=offset + 1):
        try:
            cleaned.append(clean_actor(values))
        except InvalidInput as exc:
            raise InvalidInput(
                exc.field, exc.value, f"ligne {number} : {exc.rule}", f"row {number}: {exc.rule_en}"
            ) from None
    return cleaned, actors.derive_bulk(plan, cleaned, offset)


def get_actor(*, db: sa.Engine, actor_id: int) -> Snapshot:
    """One live actor; raises NotFound."""
    with db.connect() as conn:
        return actors.get(conn, actor_id)


def checked_actor_changes(
    conn: sa.Connection, actor_id: int, changes: Mapping[str, Any]
) -> dict[str, Any]:
    """The cleaned ``changes`` of live actor ``actor_id``, every rule of a write
    checked. Raises NotFound, InvalidInput, DuplicateIdentity."""
    cleaned = clean_actor(changes, partial=True)
    current = actors.get(conn, actor_id)
    merged = {**current, **cleaned}
    for key in ("latitude", "longitude"):
        if key in cleaned and cleaned[key] is None:
            merged["latitude"] = merged["longitude"] = None
    if (merged.get("latitude") is None) != (merged.get("longitude") is None):
        raise InvalidInput(
            "latitude",
            merged.get("latitude"),
            "latitude et longitude vont ensemble",
            "latitude and longitude go together",
        )
    _check_geography(conn, [cleaned])
    _check_identities(conn, [cleaned], own=actor_id)
    return cleaned


def update_actor_in(
    conn: sa.Connection,
    *,
    actor_id: int,
    changes: Mapping[str, Any],
    ctx: Context,
    expected_version: int | None = None,
) -> Snapshot:
    """:func:`update_actor` inside the caller's transaction ``conn``."""
    cleaned = checked_actor_changes(conn, actor_id, changes)
    return actors.update(conn, actor_id, cleaned, ctx=ctx, expected_version=expected_version)


def update_actor(
    *,
    db: sa.Engine,
    actor_id: int,
    changes: Mapping[str, Any],
    expected_version: int | None = None,
    user: str = "cli",
) -> Snapshot:
    """Update fields of an actor; Conflict if ``expected_version`` is stale."""
    with transaction(db) as conn:
        return update_actor_in(
            conn, actor_id=actor_id, changes=changes, ctx=Context(user=user),
            expected_version=expected_version,
        )  # fmt: skip


def delete_actor(
    *, db: sa.Engine, actor_id: int, expected_version: int | None = None, user: str = "cli"
) -> Snapshot:
    """Soft-delete an actor (its history stays; undo restores it)."""
    with transaction(db) as conn:
        return actors.delete(
            conn, actor_id, ctx=Context(user=user), expected_version=expected_version
        )


def restore_actor(
    *, db: sa.Engine, actor_id: int, expected_version: int | None = None, user: str = "cli"
) -> Snapshot:
    """Bring back a soft-deleted actor (recorded as a ``restore`` change)."""
    with transaction(db) as conn:
        return actors.undelete(
            conn, actor_id, ctx=Context(user=user), expected_version=expected_version
        )


def list_actors(
    *,
    db: sa.Engine,
    world: str | None = None,
    commune: str | None = None,
    territory_code: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[Snapshot]:
    """Live actors, filtered by world, commune or territory.

    ``territory_code`` is a code, a name or a postcode (raises ``NotFound`` when unknown);
    it keeps the actors inside it, as the portal and the exports do: placed in one of its
    communes, or declaring it as a territory of action.
    """
    where: list[sa.ColumnElement[bool]] = []
    if world:
        where.append(actor.c.world == world)
    if commune:
        where.append(actor.c.commune_code == commune)
    with db.connect() as conn:
        if territory_code:
            code = resolve_territory(conn, territory_code)["code"]
            where.append(in_territory(conn, code))
        return actors.list(conn, where=where, limit=limit, offset=offset)


def search_actors(*, db: sa.Engine, query: str, limit: int = 20) -> list[Snapshot]:
    """Actors matching a French full-text query, best first, each with its ``rank``."""
    with db.connect() as conn:
        hits = search.search(conn, query, limit=limit)
        found = {
            a["id"]: a
            for a in actors.list(
                conn, where=[actor.c.id.in_([h.actor_id for h in hits])], limit=None
            )
        }
    return [{**found[h.actor_id], "rank": h.rank} for h in hits if h.actor_id in found]
