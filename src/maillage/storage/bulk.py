"""Fast multi-row inserts.

SQLAlchemy's executemany builds and processes a parameter dict per row; on the
bulk paths (imports, 100k rows) that bookkeeping costs more than SQLite itself.
Here the statement is compiled once, each column's bind processor is looked up
once, and rows go to the driver as tuples. PostgreSQL keeps SQLAlchemy's
path, which psycopg pipelines.
"""

from __future__ import annotations

import gc
import math
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa


def insert_rows(
    conn: sa.Connection,
    table: sa.Table,
    rows: Sequence[Mapping[str, Any]],
    constants: Mapping[str, Any] | None = None,
    *,
    raw: set[str] | frozenset[str] = frozenset(),
) -> None:
    """Insert ``rows`` (dicts with the same keys) into ``table``.

    ``constants`` are column values shared by every row (a timestamp, a batch
    id): converted once instead of once per row. ``raw`` columns hold values
    already in their stored form (JSON text) and skip conversion (SQLite only).
    """
    if not rows:
        return
    constants = dict(constants or {})
    if conn.dialect.name != "sqlite":
        conn.execute(sa.insert(table), [{**r, **constants} for r in rows])
        return
    names = [n for n in rows[0] if n not in constants]
    fixed = tuple(_process(conn, table.c[n], v) for n, v in constants.items())
    processors = [
        None if n in raw else table.c[n].type._cached_bind_processor(conn.dialect) for n in names
    ]
    all_names = [*names, *constants]
    placeholders = ", ".join("?" for _ in all_names)
    quoted = ", ".join(conn.dialect.identifier_preparer.quote(n) for n in all_names)
    table_name = conn.dialect.identifier_preparer.format_table(table)
    statement = f"INSERT INTO {table_name} ({quoted}) VALUES ({placeholders})"
    if all(p is None for p in processors):
        data = [(*(r[n] for n in names), *fixed) for r in rows]
    else:
        pairs = list(zip(names, processors, strict=True))
        data = [
            (*(v if (v := r[n]) is None or p is None else p(v) for n, p in pairs), *fixed)
            for r in rows
        ]
    conn.exec_driver_sql(statement, data)


def insert_records(
    conn: sa.Connection,
    table: sa.Table,
    columns: Sequence[str],
    rows: Sequence[tuple[Any, ...]],
    constants: Mapping[str, Any] | None = None,
    *,
    raw: bool = False,
) -> None:
    """Insert tuples of Python values for ``columns``, plus ``constants`` on every row.

    Values are converted to their stored form (JSON text, datetimes) column by
    column, only where the column has a converter; ``raw`` rows are stored as
    they are. Constants are converted once.
    """
    if not rows:
        return
    constants = dict(constants or {})
    if conn.dialect.name != "sqlite":
        conn.execute(
            sa.insert(table), [{**dict(zip(columns, r, strict=True)), **constants} for r in rows]
        )
        return
    # Constants go into the statement as SQL literals where that is exact (no NUL,
    # finite numbers): SQLite then binds two or three values per row, not ten.
    literals: dict[str, str] = {}
    bound: dict[str, Any] = {}
    for name, value in constants.items():
        stored = _process(conn, table.c[name], value)
        text = _sql_literal(stored)
        if text is None:
            bound[name] = stored
        else:
            literals[name] = text
    processors = [table.c[n].type._cached_bind_processor(conn.dialect) for n in columns]
    converters = [(i, p) for i, p in enumerate(processors) if p is not None and not raw]
    if converters:
        rows = [_converted(r, converters) for r in rows]
    fixed = tuple(bound.values())
    data = [r + fixed for r in rows] if fixed else rows
    insert_tuples(conn, table, [*columns, *bound], data, literals)


def _sql_literal(value: Any) -> str | None:
    """``value`` written as an SQLite literal, or None where a literal would not be exact."""
    if value is None:
        return "NULL"
    if type(value) is int:
        return str(value)
    if type(value) is float and math.isfinite(value):
        return repr(value)
    if type(value) is str and "\x00" not in value:
        return "'" + value.replace("'", "''") + "'"  # SQL quoting: the only escape
    return None


def _converted(row: tuple[Any, ...], converters: list[tuple[int, Any]]) -> tuple[Any, ...]:
    values = list(row)
    for i, convert in converters:
        if (v := values[i]) is not None:
            values[i] = convert(v)
    return tuple(values)


def insert_tuples(
    conn: sa.Connection,
    table: sa.Table,
    columns: Sequence[str],
    rows: Sequence[tuple[Any, ...]],
    literals: Mapping[str, str] | None = None,
) -> None:
    """Insert plain tuples (values already in stored form) into ``columns`` of ``table``;
    ``literals`` (SQLite only) are more columns, each set to the same SQL literal."""
    if not rows:
        return
    if conn.dialect.name != "sqlite":
        conn.execute(sa.insert(table), [dict(zip(columns, r, strict=True)) for r in rows])
        return
    literals = literals or {}
    prep = conn.dialect.identifier_preparer
    names = ", ".join(prep.quote(c) for c in [*columns, *literals])
    values = ", ".join(["?"] * len(columns) + list(literals.values()))
    statement = f"INSERT INTO {prep.format_table(table)} ({names}) VALUES ({values})"
    conn.exec_driver_sql(statement, list(rows))


def _process(conn: sa.Connection, column: sa.Column[Any], value: Any) -> Any:
    processor = column.type._cached_bind_processor(conn.dialect)
    return value if value is None or processor is None else processor(value)


@contextmanager
def paused_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector during a bulk load.

    A 100k-row import allocates millions of short-lived dicts and tuples that
    hold no reference cycles; the collector's full passes over them cost more
    than the load itself. Reference counting still frees everything.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
