"""Identities the database enforces: a source key once, a SIRET or RNA once among live actors

- ``actor_identifier.identifier`` becomes unique: a source key (``source:<source>:<key>``),
  like any identifier, names one actor. Two imports of the same file at the same time
  on PostgreSQL used to create every actor twice, with the same key on both.
- ``actor.holder_siret`` and ``actor.holder_rna``: the SIRET or RNA of the structure that
  holds a place, when a record carries its holder's number rather than its own (the
  mediation places of one commune all give the commune's SIRET). Such a number no
  longer sits in ``siret``/``rna``, so that
- a SIRET, and an RNA number, is held once among live, unmerged actors (partial unique
  indexes). A SIREN stays shared: it names the legal unit of every establishment.

Existing data: a SIRET (or RNA) held by several live actors moves to their
``holder_siret`` (``holder_rna``), each move audited in a batch of its own (user
``migration 0005``) so that it shows in the history and can be undone. An identifier
held by several actors stops the upgrade with the list: merge those actors first
(``maillage review``).

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

LIVE = "deleted_at IS NULL AND merged_into_id IS NULL"
COLLECTIONS = {  # snapshot name -> (table, value column), as the actor repository has them
    "themes": ("actor_theme", "theme"),
    "sdgs": ("actor_sdg", "sdg"),
    "territories": ("actor_territory", "territory_code"),
    "identifiers": ("actor_identifier", "identifier"),
}


def upgrade() -> None:
    conn = op.get_bind()
    shared = conn.execute(
        sa.text(
            "SELECT identifier, COUNT(*) FROM actor_identifier GROUP BY identifier "
            "HAVING COUNT(*) > 1 ORDER BY identifier LIMIT 20"
        )
    ).all()
    if shared:
        listed = ", ".join(f"{ident} ({count} acteurs)" for ident, count in shared)
        raise RuntimeError(
            "Mise à jour 0005 impossible : des identifiants sont portés par plusieurs "
            f"acteurs : {listed}. Fusionnez ces acteurs (maillage review) puis relancez "
            "« maillage db upgrade ». / Upgrade 0005 stopped: identifiers held by several "
            "actors; merge them (maillage review), then run « maillage db upgrade » again."
        )
    with op.batch_alter_table("actor") as batch:
        batch.add_column(sa.Column("holder_siret", sa.String(14)))
        batch.add_column(sa.Column("holder_rna", sa.String(10)))
    op.drop_index("ix_actor_identifier_identifier", table_name="actor_identifier")
    op.create_index(
        "ix_actor_identifier_identifier", "actor_identifier", ["identifier"], unique=True
    )
    for scheme in ("siret", "rna"):
        _move_shared(conn, scheme)
        op.create_index(
            f"uq_actor_{scheme}_live",
            "actor",
            [scheme],
            unique=True,
            sqlite_where=sa.text(f"{scheme} IS NOT NULL AND {LIVE}"),
            postgresql_where=sa.text(f"{scheme} IS NOT NULL AND {LIVE}"),
        )


def _move_shared(conn: sa.Connection, scheme: str) -> None:
    """Move a number held by several live actors to their ``holder_<scheme>``, audited."""
    ids = list(
        conn.execute(
            sa.text(
                f"SELECT id FROM actor WHERE {scheme} IN (SELECT {scheme} FROM actor "
                f"WHERE {scheme} IS NOT NULL AND {LIVE} GROUP BY {scheme} "
                f"HAVING COUNT(*) > 1) AND {LIVE} ORDER BY id"
            )
        ).scalars()
    )
    if not ids:
        return
    actor = sa.Table("actor", sa.MetaData(), autoload_with=conn)
    change = sa.Table("change", sa.MetaData(), autoload_with=conn)
    batch = sa.Table("batch", sa.MetaData(), autoload_with=conn)
    now = dt.datetime.now(dt.UTC)
    batch_id = conn.execute(
        sa.insert(batch).values(
            kind="migration",
            label=f"0005: {scheme.upper()} partagés déplacés vers holder_{scheme}",
            user="migration 0005",
            created_at=now,
        )
    ).inserted_primary_key[0]  # type: ignore[index]
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        befores = _snapshots(conn, actor, chunk)
        conn.execute(
            sa.update(actor)
            .where(actor.c.id.in_(chunk))
            .values(
                {
                    f"holder_{scheme}": actor.c[scheme],
                    scheme: None,
                    "version": actor.c.version + 1,
                    "updated_at": now,
                }
            )
        )
        afters = _snapshots(conn, actor, chunk)
        conn.execute(
            sa.insert(change),
            [
                {
                    "entity": "actor",
                    "entity_id": i,
                    "action": "update",
                    "before": befores[i],
                    "after": afters[i],
                    "user": "migration 0005",
                    "source": None,
                    "batch_id": batch_id,
                    "undoes_id": None,
                    "at": now,
                }
                for i in chunk
            ],
        )


def _snapshots(conn: sa.Connection, actor: sa.Table, ids: list[int]) -> dict[int, dict[str, Any]]:
    """Audited states of actors (columns without nulls, then their collections)."""
    out: dict[int, dict[str, Any]] = {}
    for row in conn.execute(sa.select(actor).where(actor.c.id.in_(ids))):
        out[row.id] = {k: _json(v) for k, v in row._mapping.items() if v is not None}
    for name, (table, column) in COLLECTIONS.items():
        for snap in out.values():
            snap[name] = []
        query = sa.text(
            f"SELECT actor_id, {column} FROM {table} WHERE actor_id IN :ids "
            f"ORDER BY actor_id, {column}"
        ).bindparams(sa.bindparam("ids", expanding=True))
        for actor_id, value in conn.execute(query, {"ids": ids}):
            out[actor_id][name].append(value)
    return out


def _json(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC).isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def downgrade() -> None:
    for scheme in ("siret", "rna"):
        op.drop_index(f"uq_actor_{scheme}_live", table_name="actor")
    op.drop_index("ix_actor_identifier_identifier", table_name="actor_identifier")
    op.create_index("ix_actor_identifier_identifier", "actor_identifier", ["identifier"])
    with op.batch_alter_table("actor") as batch:
        batch.drop_column("holder_rna")
        batch.drop_column("holder_siret")
