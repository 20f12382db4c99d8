"""Moving a whole map between engines (SQLite to PostgreSQL), and comparing two
databases table by table: row counts and an order-free digest of every row.

The digest of a table is the sum, modulo 2**256, of the SHA-256 of each row written in
one canonical form (timestamps in UTC, JSON with sorted keys, decimals as floats), so
that SQLite and PostgreSQL give the same digest for the same content whatever the
order their rows come in, and a single changed value changes it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import orjson
import sqlalchemy as sa

from maillage.storage import migrate
from maillage.storage import tables as t
from maillage.storage.search import postgres_tsvector, sqlite_fts5

CHUNK = 5000
SEARCH_INDEX = "search index"
"""The name under which the full-text index (``actor_fts`` or ``actor_search``:
actor id and tokens) is compared."""


@dataclass(frozen=True, slots=True)
class TableSummary:
    rows: int
    digest: str


@dataclass(frozen=True, slots=True)
class TableComparison:
    table: str
    source: TableSummary
    target: TableSummary

    @property
    def identical(self) -> bool:
        return self.source == self.target


def summarise(
    engine: sa.Engine, *, tables: Collection[str] | None = None
) -> dict[str, TableSummary]:
    """Row count and digest of every table of the schema, the schema revision
    (``alembic_version``) and the search index (or of those named in ``tables``), in
    one read transaction."""
    out: dict[str, TableSummary] = {}
    wanted = (lambda name: True) if tables is None else tables.__contains__
    with engine.connect() as conn, conn.begin():
        for table in t.metadata.sorted_tables:
            if wanted(table.name):
                out[table.name] = _summary(_rows(conn, sa.select(table)))
        if wanted("alembic_version"):
            out["alembic_version"] = _summary(
                _rows(conn, sa.text("SELECT version_num FROM alembic_version"))
            )
        if wanted(SEARCH_INDEX):
            out[SEARCH_INDEX] = _summary(_rows(conn, sa.text(_search_query(conn))))
    return out


def compare(
    source: sa.Engine, target: sa.Engine, *, tables: Collection[str] | None = None
) -> list[TableComparison]:
    """Each table's summary on ``source`` and on ``target``, in the schema's order."""
    left, right = summarise(source, tables=tables), summarise(target, tables=tables)
    empty = TableSummary(0, _summary(iter(())).digest)
    return [
        TableComparison(name, left.get(name, empty), right.get(name, empty))
        for name in dict.fromkeys([*left, *right])
    ]


def _search_query(conn: sa.Connection) -> str:
    if conn.dialect.name == "sqlite":
        return "SELECT rowid, tokens FROM actor_fts"
    return "SELECT actor_id, tokens FROM actor_search"


def _rows(conn: sa.Connection, query: sa.Executable) -> Iterator[tuple[Any, ...]]:
    result = conn.execution_options(yield_per=CHUNK).execute(query)
    for row in result:
        yield tuple(row)


def _summary(rows: Iterator[tuple[Any, ...]]) -> TableSummary:
    total, count = 0, 0
    dumps, sha256, option = orjson.dumps, hashlib.sha256, orjson.OPT_SORT_KEYS
    for row in rows:
        values = [_canonical(v) if isinstance(v, _SPECIAL) else v for v in row]
        total += int.from_bytes(sha256(dumps(values, option=option, default=_json)).digest())
        count += 1
    return TableSummary(count, f"{total % 2**256:064x}")


_SPECIAL = (dt.datetime, dt.date, dt.time, Decimal, bytes, memoryview)


def _canonical(value: Any) -> Any:
    """One form of a stored value on both engines: UTC naive ISO timestamps (SQLite
    gives naive UTC, PostgreSQL aware), floats for decimals, hexadecimal for bytes.
    JSON values are left to orjson, which sorts their keys."""
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC).replace(tzinfo=None)
        return value.isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, bytes | memoryview):
        return bytes(value).hex()
    return value


def _json(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    raise TypeError(type(value).__name__)


# --- copying -----------------------------------------------------------------------


def copy_content(
    source: sa.Connection,
    target: sa.Connection,
    *,
    progress: Callable[[str, int], None] | None = None,
) -> None:
    """Replace every row of the schema's tables on ``target`` by those of ``source``,
    table by table in dependency order, then the search index, then set the target's
    id sequences past the copied ids. One transaction on ``target`` (the caller's):
    on any error nothing is written. ``progress(table, rows)`` after each table."""
    for table in reversed(t.metadata.sorted_tables):
        target.execute(sa.delete(table))
    _search_backend(target).remove_all(target)
    for table in t.metadata.sorted_tables:
        copied = 0
        zoned = [c.name for c in table.columns if _zoned(c)]
        for chunk in _chunks(source, _ordered(table)):
            if zoned:  # SQLite gives naive UTC times: say they are UTC
                _as_utc(chunk, zoned)
            target.execute(sa.insert(table), chunk)
            copied += len(chunk)
        if progress:
            progress(table.name, copied)
    copied = 0
    for chunk in _chunks(source, sa.text(_search_query(source))):
        _search_backend(target).add(target, [(int(r["0"]), str(r["1"])) for r in chunk])
        copied += len(chunk)
    if progress:
        progress(SEARCH_INDEX, copied)
    if target.dialect.name == "postgresql":
        reset_sequences(target)


def _zoned(column: sa.Column[Any]) -> bool:
    return isinstance(column.type, sa.DateTime) and bool(column.type.timezone)


def _as_utc(rows: list[dict[str, Any]], names: list[str]) -> None:
    for row in rows:
        for name in names:
            value = row[name]
            if value is not None and value.tzinfo is None:
                row[name] = value.replace(tzinfo=dt.UTC)


def _ordered(table: sa.Table) -> sa.Select[Any]:
    """All rows of ``table``, a row always after the row of the same table it refers to
    (an actor after the one it was merged into): by depth in that tree."""
    own = [fk for fk in table.foreign_keys if fk.column.table is table]
    if not own:
        return sa.select(table)
    child, parent = own[0].parent, own[0].column
    top = sa.select(parent.label("key"), sa.literal(0).label("depth")).where(child.is_(None))
    tree = top.cte("tree", recursive=True)
    inner = table.alias("inner")
    tree = tree.union_all(
        sa.select(inner.c[parent.name], tree.c.depth + 1).join(
            tree, inner.c[child.name] == tree.c.key
        )
    )
    return (
        sa.select(table)
        .join(tree, table.c[parent.name] == tree.c.key)
        .order_by(tree.c.depth, *table.primary_key.columns)
    )


def _chunks(conn: sa.Connection, query: sa.Executable) -> Iterator[list[dict[str, Any]]]:
    result = conn.execution_options(yield_per=CHUNK).execute(query)
    for part in result.partitions(CHUNK):
        if isinstance(query, sa.TextClause):
            yield [{str(i): v for i, v in enumerate(row)} for row in part]
        else:
            yield [dict(row._mapping) for row in part]


class _Search:
    def __init__(self, module: Any, table: str) -> None:
        self.add = module.add
        self.table = table

    def remove_all(self, conn: sa.Connection) -> None:
        conn.exec_driver_sql(f"DELETE FROM {self.table}")


def _search_backend(conn: sa.Connection) -> _Search:
    if conn.dialect.name == "sqlite":
        return _Search(sqlite_fts5, "actor_fts")
    return _Search(postgres_tsvector, "actor_search")


def reset_sequences(conn: sa.Connection) -> None:
    """Set each serial id's sequence after the largest id of its table (PostgreSQL):
    rows copied with their ids leave the sequences where they were."""
    for table in t.metadata.sorted_tables:
        keys = list(table.primary_key.columns)
        if len(keys) != 1 or not isinstance(keys[0].type, sa.Integer):
            continue
        name = conn.dialect.identifier_preparer.format_table(table)
        column = conn.dialect.identifier_preparer.quote(keys[0].name)
        conn.execute(
            sa.text(
                f"SELECT setval(pg_get_serial_sequence(:table, :column), "
                f"COALESCE(MAX({column}), 1), MAX({column}) IS NOT NULL) FROM {name}"
            ),
            {"table": name, "column": keys[0].name},
        )


def revisions(source: sa.Engine, target: sa.Engine) -> tuple[str | None, str | None]:
    """The schema revisions of ``source`` and ``target``."""
    return migrate.current_revision(source), migrate.current_revision(target)
