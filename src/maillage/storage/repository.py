"""Repositories: the same verbs for every editable entity.

``get``, ``get_or_none``, ``list``, ``create``, ``create_many``, ``update``,
``delete`` and ``search`` (where an index exists). Every write goes through
here, so every write is audited and versioned: a row's state is a
*snapshot* (its columns plus its collections such as themes), written to the
``change`` log before and after.
"""

from __future__ import annotations

import builtins
import datetime as dt
import functools
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from maillage.model.errors import Conflict, DuplicateIdentity, NotFound
from maillage.storage import audit
from maillage.storage.audit import Context, utcnow
from maillage.storage.bulk import indexes_rebuilt, insert_records, insert_rows, insert_tuples
from maillage.storage.engine import json_dumps

Snapshot = dict[str, Any]
# Columns that validation may fill from others (siren from siret): always planned.
DERIVED = frozenset(["siren"])


@dataclass(frozen=True, slots=True)
class BulkPlan:
    """What a bulk insert decided before deriving its rows: ids, stamps, defaults."""

    ids: list[int]
    stamps: dict[str, Any]
    columns: tuple[str, ...]
    defaults: dict[str, Any]
    given: frozenset[str]  # columns some row may set (the others take their default)
    index_state: Any
    encoded: bool  # audit states as JSON text (SQLite) or dicts (PostgreSQL)


@dataclass(slots=True)
class BulkPart:
    """Derived rows of (a slice of) a bulk insert."""

    records: list[tuple[Any, ...]]  # in the order of Repository.record_columns
    changes: list[tuple[int, Any]]  # (entity id, audited state)
    docs: list[str]
    members: dict[str, list[tuple[int, Any]]]  # collection -> (entity id, item) rows


@dataclass(frozen=True, slots=True)
class BulkIndex:
    """How a bulk insert keeps a search index in sync, in three steps.

    ``prepare`` reads what the documents need (in the writing transaction),
    ``compute`` builds one document per record (pure), ``write`` stores them
    once the ids are known.
    """

    prepare: Callable[[sa.Connection, Sequence[Mapping[str, Any]]], Any]
    compute: Callable[[Any, Sequence[Mapping[str, Any]]], list[str]]
    write: Callable[[sa.Connection, Sequence[int], Sequence[str]], None]


BOOKKEEPING = ("version", "created_at", "updated_at", "deleted_at")
# Rows derived and written at a time by create_many: what is derived for a chunk is
# written and freed before the next, so a large import reuses the same memory.
BULK_CHUNK = 5000


@dataclass(frozen=True, slots=True)
class Collection:
    """A many-valued field stored in an association table (e.g. actor themes)."""

    table: sa.Table
    owner_column: str
    value_column: str


def _to_json(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC).isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _from_json(column: sa.Column[Any], value: Any) -> Any:
    if value is None:
        return None
    if isinstance(column.type, sa.DateTime):
        return dt.datetime.fromisoformat(value)
    if isinstance(column.type, sa.Date):
        return dt.date.fromisoformat(value)
    return value


@dataclass
class Repository:
    """Audited, versioned access to one entity table."""

    entity: str
    table: sa.Table
    collections: dict[str, Collection] = field(default_factory=dict)
    on_write: Callable[[sa.Connection, Sequence[int]], None] | None = None
    on_remove: Callable[[sa.Connection, Sequence[int]], None] | None = None
    bulk_index: BulkIndex | None = None

    @property
    def columns(self) -> builtins.list[str]:
        return [str(c.name) for c in self.table.columns]

    # -- reads ---------------------------------------------------------------

    def get_or_none(
        self, conn: sa.Connection, entity_id: int, *, include_deleted: bool = False
    ) -> Snapshot | None:
        """The entity as a snapshot dict, or None if absent (or deleted)."""
        snap = self.snapshot(conn, entity_id)
        if snap is None or (snap["deleted_at"] is not None and not include_deleted):
            return None
        return snap

    def is_live(self, conn: sa.Connection, entity_id: int) -> bool:
        """Whether entity ``entity_id`` exists and is not deleted (one read of its row,
        none of its collections)."""
        query = sa.select(self.table.c.id).where(
            self.table.c.id == entity_id, self.table.c.deleted_at.is_(None)
        )
        return conn.execute(query).first() is not None

    def get(
        self, conn: sa.Connection, entity_id: int, *, include_deleted: bool = False
    ) -> Snapshot:
        """The entity as a snapshot dict; raises NotFound."""
        snap = self.get_or_none(conn, entity_id, include_deleted=include_deleted)
        if snap is None:
            raise NotFound(self.entity, entity_id)
        return snap

    def list(
        self,
        conn: sa.Connection,
        *,
        where: Sequence[sa.ColumnElement[bool]] = (),
        limit: int | None = 100,
        offset: int = 0,
        include_deleted: bool = False,
    ) -> builtins.list[Snapshot]:
        """Entities matching ``where`` (SQL expressions on the table), by id."""
        query = sa.select(self.table).where(*where).order_by(self.table.c.id)
        if not include_deleted:
            query = query.where(self.table.c.deleted_at.is_(None))
        if limit is not None:
            query = query.limit(limit).offset(offset)
        rows = [self._row_json(r._mapping) for r in conn.execute(query)]
        self._attach_collections(conn, rows)
        return rows

    def snapshot(self, conn: sa.Connection, entity_id: int) -> Snapshot | None:
        """The full JSON-able state of one row (deleted or not), or None."""
        row = conn.execute(sa.select(self.table).where(self.table.c.id == entity_id)).first()
        if row is None:
            return None
        snap = self._row_json(row._mapping)
        self._attach_collections(conn, [snap])
        return snap

    def _row_json(self, mapping: Mapping[Any, Any]) -> Snapshot:
        snap = dict(mapping)
        for name in self._dated:
            if (value := snap.get(name)) is not None:
                snap[name] = _to_json(value)
        return snap

    @functools.cached_property
    def _dated(self) -> tuple[str, ...]:
        """Columns whose values are dates or times (written as ISO 8601 in snapshots)."""
        return tuple(
            c.name for c in self.table.columns if isinstance(c.type, sa.Date | sa.DateTime)
        )

    def _attach_collections(self, conn: sa.Connection, rows: builtins.list[Snapshot]) -> None:
        if not rows:
            return
        by_id = {r["id"]: r for r in rows}
        for name, coll in self.collections.items():
            for r in rows:
                r[name] = []
            owner = coll.table.c[coll.owner_column]
            value = coll.table.c[coll.value_column]
            for chunk in _chunks(list(by_id), 500):
                query = sa.select(owner, value).where(owner.in_(chunk)).order_by(owner, value)
                for owner_id, item in conn.execute(query):
                    by_id[owner_id][name].append(item)

    # -- writes --------------------------------------------------------------

    def create(self, conn: sa.Connection, values: Mapping[str, Any], *, ctx: Context) -> Snapshot:
        """Insert one entity, audit it, return its snapshot."""
        (new_id,) = self.create_many(conn, [values], ctx=ctx)
        snap = self.snapshot(conn, new_id)
        assert snap is not None
        return snap

    def create_many(
        self, conn: sa.Connection, rows: Sequence[Mapping[str, Any]], *, ctx: Context
    ) -> builtins.list[int]:
        """Insert many entities in one go (the bulk path of imports); return ids.

        Each row is audited with its full after-state and indexed. The work is
        split in three: :meth:`plan_bulk` reserves ids, :meth:`derive_bulk`
        builds rows, audit states and search documents (pure), and
        :meth:`write_bulk` stores them. (Deriving in a worker thread, or in a
        forked process on half the rows, was tried and measured slower: GIL
        hand-offs, and pickling the derived rows back.)
        """
        if not rows:
            return []
        plan = self.plan_bulk(conn, rows)
        ids: builtins.list[int] = []
        tables = [self.table, *(c.table for c in self.collections.values())]
        # the ids are reserved past the largest stored one: about as many rows
        with indexes_rebuilt(conn, tables, rows=len(rows), stored=plan.ids[0] - 1):
            for offset in range(0, len(rows), BULK_CHUNK):
                part = self.derive_bulk(plan, rows[offset : offset + BULK_CHUNK], offset)
                ids += self.write_bulk(conn, plan, part, ctx=ctx, offset=offset)
        return ids

    def plan_bulk(self, conn: sa.Connection, rows: Sequence[Mapping[str, Any]]) -> BulkPlan:
        """Reserve ids and read what the derivation needs, inside the transaction."""
        base = [c for c in self.columns if c not in ("id", *BOOKKEEPING)]
        defaults = {c: d for c in base if (d := self._default(c)) is not None}
        given = {k for values in rows for k in values}
        now = utcnow()
        return BulkPlan(
            ids=self._reserve_ids(conn, len(rows)),
            stamps={"version": 1, "created_at": now, "updated_at": now},
            columns=tuple(c for c in base if c in given or c in defaults or c in DERIVED),
            given=frozenset(given) | DERIVED,
            defaults=defaults,
            index_state=self.bulk_index.prepare(conn, rows) if self.bulk_index else None,
            encoded=conn.dialect.name == "sqlite",
        )

    def _reserve_ids(self, conn: sa.Connection, count: int) -> builtins.list[int]:
        if conn.dialect.name == "sqlite":
            # One writer at a time on SQLite (BEGIN IMMEDIATE): the next ids are ours.
            start = conn.execute(sa.select(sa.func.coalesce(sa.func.max(self.table.c.id), 0)))
            first = max(int(start.scalar_one()), self._last_given_id(conn)) + 1
            return list(range(first, first + count))
        sequence = sa.func.pg_get_serial_sequence(self.table.name, "id")
        query = sa.select(sa.func.nextval(sequence)).select_from(sa.func.generate_series(1, count))
        return [int(i) for i in conn.execute(query).scalars()]

    def _last_given_id(self, conn: sa.Connection) -> int:
        """The largest id SQLite ever gave in this table (AUTOINCREMENT, migration 0010):
        the id of a row deleted by an undone creation is never given again."""
        if not self.table.dialect_options["sqlite"].get("autoincrement"):
            return 0
        exists = "SELECT 1 FROM sqlite_master WHERE name = 'sqlite_sequence'"
        if conn.exec_driver_sql(exists).first() is None:  # a database before 0010
            return 0
        seq = conn.execute(
            sa.text("SELECT seq FROM sqlite_sequence WHERE name = :t"), {"t": self.table.name}
        ).scalar()
        return int(seq or 0)

    def derive_bulk(
        self, plan: BulkPlan, rows: Sequence[Mapping[str, Any]], offset: int
    ) -> BulkPart:
        """Rows to insert, audit rows and search documents for ``rows`` (pure).

        ``offset`` is the position of ``rows[0]`` in the planned batch. Records
        are tuples in the order of :meth:`record_columns`.
        """
        stamps_json = {k: _to_json(v) for k, v in plan.stamps.items()}
        names = list(self.collections)
        given_names = [n for n in names if n in plan.given]
        absent_names = [n for n in names if n not in plan.given]
        template = {c: plan.defaults.get(c) for c in plan.columns}
        # A record: the id, then each column the rows set (its default when a row lacks it).
        picked = self.record_columns(plan)[1:]
        defaults = [template[c] for c in picked]
        # Keys that are neither columns nor collections must not reach the audited
        # state; rows normally have none, and then one dict merge per row does.
        stray = plan.given - set(plan.columns) - set(names) - DERIVED
        columns = frozenset(plan.columns)
        # The audited state drops null columns, as states are compared (see sparse);
        # orjson writes dates and datetimes as ISO 8601.
        known = {k: v for k, v in template.items() if v is not None} | stamps_json
        known.update((name, []) for name in absent_names)  # dumped at once, never changed
        encoded = plan.encoded
        records: list[tuple[Any, ...]] = []
        changes: list[tuple[int, Any]] = []
        members: dict[str, list[tuple[int, Any]]] = {name: [] for name in given_names}
        given = [(name, members[name]) for name in given_names]
        for new_id, row in zip(plan.ids[offset : offset + len(rows)], rows, strict=True):
            values = {k: row[k] for k in row.keys() & columns} if stray else row
            records.append((new_id, *map(row.get, picked, defaults)))
            if None in values.values():
                rec = {**template, **values}
                rec["id"] = new_id
                snap = {k: v for k, v in rec.items() if v is not None} | stamps_json
                snap.update((name, []) for name in absent_names)
            else:
                snap = {**known, **values}
                snap["id"] = new_id
            for name, pairs in given:
                items = row.get(name)
                if not items:
                    snap[name] = []
                elif items.__class__ is list and len(items) == 1:  # the usual case
                    pairs.append((new_id, items[0]))
                    snap[name] = [items[0]]
                else:
                    items = sorted(set(items))
                    pairs.extend([(new_id, item) for item in items])
                    snap[name] = items
            changes.append((new_id, json_dumps(snap) if encoded else snap))
        docs = self.bulk_index.compute(plan.index_state, rows) if self.bulk_index else []
        return BulkPart(records, changes, docs, members)

    @staticmethod
    def record_columns(plan: BulkPlan) -> tuple[str, ...]:
        """Columns of a derived record: the id, then the columns some row sets."""
        return ("id", *(c for c in plan.columns if c in plan.given))

    def write_bulk(
        self,
        conn: sa.Connection,
        plan: BulkPlan,
        part: BulkPart,
        *,
        ctx: Context,
        offset: int = 0,
    ) -> builtins.list[int]:
        """Store what :meth:`derive_bulk` built for the rows from ``offset``; return
        their ids."""
        ids = plan.ids[offset : offset + len(part.records)]
        shared = {c: plan.defaults.get(c) for c in plan.columns if c not in plan.given}
        with identities_guarded():
            insert_records(
                conn, self.table, self.record_columns(plan), part.records, {**shared, **plan.stamps}
            )
            for name, coll in self.collections.items():
                insert_tuples(
                    conn,
                    coll.table,
                    (coll.owner_column, coll.value_column),
                    part.members.get(name, []),
                )
        audit.record_changes(conn, entity=self.entity, action="create", rows=part.changes, ctx=ctx)
        if self.bulk_index:
            self.bulk_index.write(conn, ids, part.docs)
        elif self.on_write:
            self.on_write(conn, ids)
        return ids

    def _default(self, column: str) -> Any:
        col = self.table.c[column]
        if col.default is not None and getattr(col.default, "is_callable", False):
            return col.default.arg(None)  # type: ignore[attr-defined]
        if col.server_default is not None:
            text = str(getattr(col.server_default, "arg", ""))
            if isinstance(col.type, sa.Boolean):
                return text not in ("0", "false")
            return text
        return None

    def update(
        self,
        conn: sa.Connection,
        entity_id: int,
        changes: Mapping[str, Any],
        *,
        ctx: Context,
        expected_version: int | None = None,
        action: str = "update",
    ) -> Snapshot:
        """Apply ``changes`` (columns and collections) to a live entity.

        Raises NotFound, or Conflict when ``expected_version`` is stale.
        """
        before = self.get(conn, entity_id)
        self._check_version(before, expected_version)
        after = self._write(conn, before, changes)
        audit.record(
            conn,
            entity=self.entity,
            entity_id=entity_id,
            action=action,
            before=sparse(before),
            after=sparse(after),
            ctx=ctx,
        )
        return after

    def update_many(
        self,
        conn: sa.Connection,
        items: Sequence[tuple[int, Mapping[str, Any]]],
        *,
        ctx: Context,
        action: str = "update",
    ) -> None:
        """Apply changes to many live entities, as :meth:`update` does to one, with a
        fixed number of statements per chunk of rows (the merge path of imports).

        Each entity is read, written (rows changing the same columns share one
        statement), read again and audited with its states before and after, a
        chunk at a time. Raises NotFound for an entity that is not live, and
        Conflict when one changed in the meantime (its version moved).
        """
        merged: dict[int, dict[str, Any]] = {}
        for entity_id, changes in items:  # one entity changed twice: once, later values win
            merged.setdefault(entity_id, {}).update(changes)
        pairs = list(merged.items())
        for start in range(0, len(pairs), BULK_CHUNK):
            chunk = pairs[start : start + BULK_CHUNK]
            self._update_chunk(conn, chunk, ctx=ctx, action=action)

    def _update_chunk(
        self,
        conn: sa.Connection,
        items: Sequence[tuple[int, Mapping[str, Any]]],
        *,
        ctx: Context,
        action: str,
    ) -> None:
        ids = [entity_id for entity_id, _ in items]
        where = [self.table.c.id.in_(ids)]
        befores = {s["id"]: s for s in self.list(conn, where=where, limit=None)}
        for entity_id in ids:
            if entity_id not in befores:
                raise NotFound(self.entity, entity_id)
        now = utcnow()
        groups: dict[tuple[str, ...], builtins.list[dict[str, Any]]] = {}
        collections: builtins.list[tuple[int, dict[str, Any]]] = []
        for entity_id, changes in items:
            values, colls = self._split(changes)
            params = {f"_{k}": v for k, v in values.items()}
            params |= {"_id": entity_id, "_version": befores[entity_id]["version"]}
            groups.setdefault(tuple(sorted(values)), []).append(params)
            if colls:
                collections.append((entity_id, colls))
        table = self.table
        for names, rows in groups.items():
            statement = (
                sa.update(table)
                .where(
                    table.c.id == sa.bindparam("_id"), table.c.version == sa.bindparam("_version")
                )
                .values(
                    {n: sa.bindparam(f"_{n}") for n in names}
                    | {"version": table.c.version + 1, "updated_at": now}
                )
            )
            with identities_guarded():
                result = conn.execute(statement, rows)
            if conn.dialect.supports_sane_multi_rowcount and result.rowcount != len(rows):
                raise Conflict(
                    f"{self.entity} : des entités ont été modifiées en même temps",
                    f"{self.entity}: some entities were modified concurrently",
                )
        with identities_guarded():
            self._write_collections(conn, collections, replace=True)
        afters = {s["id"]: s for s in self.list(conn, where=where, limit=None)}
        audit.record_updates(
            conn,
            entity=self.entity,
            action=action,
            rows=[(i, sparse(befores[i]), sparse(afters[i])) for i in ids],
            ctx=ctx,
        )
        if self.on_write:
            self.on_write(conn, ids)

    def delete(
        self,
        conn: sa.Connection,
        entity_id: int,
        *,
        ctx: Context,
        expected_version: int | None = None,
    ) -> Snapshot:
        """Soft-delete: the row stays, marked deleted; returns the new state."""
        before = self.get(conn, entity_id)
        self._check_version(before, expected_version)
        after = self._write(conn, before, {"deleted_at": utcnow()})
        audit.record(
            conn,
            entity=self.entity,
            entity_id=entity_id,
            action="delete",
            before=sparse(before),
            after=sparse(after),
            ctx=ctx,
        )
        if self.on_remove:
            self.on_remove(conn, [entity_id])
        return after

    def undelete(
        self,
        conn: sa.Connection,
        entity_id: int,
        *,
        ctx: Context,
        expected_version: int | None = None,
    ) -> Snapshot:
        """Bring a soft-deleted entity back (action ``restore``); returns its state."""
        before = self.get(conn, entity_id, include_deleted=True)
        if before["deleted_at"] is None:
            raise Conflict(
                f"{self.entity} {entity_id} n'est pas supprimé",
                f"{self.entity} {entity_id} is not deleted",
            )
        self._check_version(before, expected_version)
        after = self._write(conn, before, {"deleted_at": None})
        audit.record(
            conn,
            entity=self.entity,
            entity_id=entity_id,
            action="restore",
            before=sparse(before),
            after=sparse(after),
            ctx=ctx,
        )
        return after

    def _check_version(self, current: Snapshot, expected: int | None) -> None:
        if expected is not None and current["version"] != expected:
            raise Conflict(
                f"{self.entity} {current['id']} a changé depuis la version {expected} "
                f"(version actuelle {current['version']}) ; relisez-le puis recommencez",
                f"{self.entity} {current['id']} changed since version {expected} "
                f"(current version {current['version']}); reload it and try again",
            )

    def _split(
        self, changes: Mapping[str, Any]
    ) -> tuple[dict[str, Any], dict[str, builtins.list[Any]]]:
        """``changes`` as the columns to set and the collections to replace (sorted)."""
        values = {k: v for k, v in changes.items() if k in self.table.c and k != "id"}
        colls = {k: sorted(set(v or ())) for k, v in changes.items() if k in self.collections}
        return values, colls

    def _write(self, conn: sa.Connection, before: Snapshot, changes: Mapping[str, Any]) -> Snapshot:
        entity_id = before["id"]
        values, colls = self._split(changes)
        values["version"] = before["version"] + 1
        values["updated_at"] = utcnow()
        with identities_guarded():
            result = conn.execute(
                sa.update(self.table)
                .where(self.table.c.id == entity_id, self.table.c.version == before["version"])
                .values(**values)
            )
        if result.rowcount != 1:
            raise Conflict(
                f"{self.entity} {entity_id} a été modifié en même temps",
                f"{self.entity} {entity_id} was modified concurrently",
            )
        if colls:
            with identities_guarded():
                self._write_collections(conn, [(entity_id, colls)], replace=True)
        after = self.snapshot(conn, entity_id)
        assert after is not None
        if self.on_write:
            self.on_write(conn, [entity_id])
        return after

    def _write_collections(
        self, conn: sa.Connection, items: Iterable[tuple[int, Mapping[str, Any]]], *, replace: bool
    ) -> None:
        items = list(items)
        for name, coll in self.collections.items():
            owner = coll.table.c[coll.owner_column]
            touched = [eid for eid, vals in items if name in vals]
            if replace and touched:
                conn.execute(sa.delete(coll.table).where(owner.in_(touched)))
            rows = [
                {coll.owner_column: eid, coll.value_column: v}
                for eid, vals in items
                for v in vals.get(name) or ()
            ]
            insert_rows(conn, coll.table, rows)

    # -- exact restore, used by undo ------------------------------------------

    def restore(self, conn: sa.Connection, entity_id: int, snap: Snapshot | None) -> None:
        """Make the stored state of ``entity_id`` exactly ``snap`` (None: absent)."""
        for coll in self.collections.values():
            conn.execute(sa.delete(coll.table).where(coll.table.c[coll.owner_column] == entity_id))
        if snap is None:
            if self.on_remove:
                self.on_remove(conn, [entity_id])
            conn.execute(sa.delete(self.table).where(self.table.c.id == entity_id))
            return
        values = {c.name: _from_json(c, snap.get(c.name)) for c in self.table.columns}
        exists = conn.execute(
            sa.select(self.table.c.id).where(self.table.c.id == entity_id)
        ).first()
        with identities_guarded():
            if exists:
                query = sa.update(self.table).where(self.table.c.id == entity_id)
                conn.execute(query.values(**values))
            else:
                conn.execute(sa.insert(self.table).values(**values))
            self._write_collections(conn, [(entity_id, snap)], replace=False)
        if snap.get("deleted_at") is None:
            if self.on_write:
                self.on_write(conn, [entity_id])
        elif self.on_remove:
            self.on_remove(conn, [entity_id])


# Unique indexes on identities (storage/tables.py), and the field each one guards.
_UNIQUE_IDENTITIES = {
    "uq_actor_siret_live": "siret",
    "actor.siret": "siret",  # SQLite names the column, PostgreSQL the index
    "uq_actor_rna_live": "rna",
    "actor.rna": "rna",
    "ix_actor_identifier_identifier": "identifier",
    "actor_identifier.identifier": "identifier",
}


@contextmanager
def identities_guarded() -> Iterator[None]:
    """Turn the database's refusal of a second holder of a SIRET, RNA or identifier
    into :class:`DuplicateIdentity` (the last guard when two writers race: each
    checked before writing, the index decides)."""
    try:
        yield
    except sa.exc.IntegrityError as exc:
        text = str(exc.orig)
        for name, field_name in _UNIQUE_IDENTITIES.items():
            if name in text and ("UNIQUE" in text or "unique" in text):
                detail = text.split("=(", 1)[1].split(")", 1)[0] if "=(" in text else None
                raise DuplicateIdentity(field_name, detail) from exc
        raise


def sparse(snap: Snapshot | None) -> Snapshot | None:
    """The audited form of a state: the same, without its null columns."""
    if snap is None:
        return None
    return {k: v for k, v in snap.items() if v is not None}


def _chunks(items: list[int], size: int) -> Iterable[list[int]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]
