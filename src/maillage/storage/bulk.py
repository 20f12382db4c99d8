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
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from itertools import chain
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
    processors = [None if n in raw else bind_processor(conn, table.c[n]) for n in names]
    all_names = [*names, *constants]
    quoted = ", ".join(conn.dialect.identifier_preparer.quote(n) for n in all_names)
    table_name = conn.dialect.identifier_preparer.format_table(table)
    if all(p is None for p in processors):
        data = [(*(r[n] for n in names), *fixed) for r in rows]
    else:
        pairs = list(zip(names, processors, strict=True))
        data = [
            (*(v if (v := r[n]) is None or p is None else p(v) for n, p in pairs), *fixed)
            for r in rows
        ]
    insert_values(conn, f"INSERT INTO {table_name} ({quoted})", _row_template(len(all_names)), data)


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
    processors = [bind_processor(conn, table.c[n]) for n in columns]
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
    values = _row_template(len(columns), literals.values())
    insert_values(conn, f"INSERT INTO {prep.format_table(table)} ({names})", values, rows)


def insert_values(
    conn: sa.Connection, head: str, values: str, rows: Sequence[tuple[Any, ...]]
) -> None:
    """Run ``head VALUES values, values, ...`` over ``rows`` (SQLite): ``values`` is
    the parenthesised row template, whose ``?`` take each row's values in turn.

    Many rows go in one statement: each execution of a statement has a fixed cost
    (the driver releases and takes back the GIL, SQLite starts and halts its
    program) that one-row statements pay per row; SQLAlchemy's "insertmanyvalues"
    does the same. A statement stays under SQLite's 32,766 parameters, and its text
    under about 200,000 characters.
    """
    if not rows:
        return
    per = max(
        1,
        min(
            _ROWS_PER_STATEMENT,
            _MAX_PARAMETERS // max(1, len(rows[0])),
            _MAX_STATEMENT_CHARS // len(values),  # long literals: fewer rows
        ),
    )
    whole = len(rows) - len(rows) % per
    if whole:
        statement = f"{head} VALUES {', '.join([values] * per)}"
        chunks = (rows[i : i + per] for i in range(0, whole, per))
        conn.exec_driver_sql(statement, [tuple(chain.from_iterable(c)) for c in chunks])
    if whole < len(rows):
        rest = rows[whole:]
        statement = f"{head} VALUES {', '.join([values] * len(rest))}"
        conn.exec_driver_sql(statement, tuple(chain.from_iterable(rest)))


def _row_template(width: int, literals: Iterable[str] = ()) -> str:
    """``(?, ?, ..., literal, ...)``: ``width`` parameters, then the literals."""
    return "(" + ", ".join(["?"] * width + list(literals)) + ")"


_ROWS_PER_STATEMENT = 500
_MAX_PARAMETERS = 32_766
_MAX_STATEMENT_CHARS = 200_000


def bind_processor(conn: sa.Connection, column: sa.Column[Any]) -> Callable[[Any], Any] | None:
    """What turns a Python value of ``column`` into what the driver stores (JSON text,
    ISO dates on SQLite); None where values go as they are. SQLAlchemy's public API:
    the type's implementation for the dialect, then its bind processor."""
    return column.type.dialect_impl(conn.dialect).bind_processor(conn.dialect)


def _process(conn: sa.Connection, column: sa.Column[Any], value: Any) -> Any:
    processor = bind_processor(conn, column)
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


REINDEX_MIN_ROWS = 20_000
"""The smallest bulk insert for which :func:`indexes_rebuilt` sets indexes aside."""


@contextmanager
def indexes_rebuilt(
    conn: sa.Connection, tables: Iterable[sa.Table], *, rows: int, stored: int
) -> Iterator[None]:
    """Build the plain indexes of ``tables`` after a large bulk insert, not during it.

    On SQLite, when ``rows`` new rows outnumber the ``stored`` ones (and are at
    least :data:`REINDEX_MIN_ROWS`), the non-unique indexes are dropped before the
    inserts and created again from their stored SQL after them: one sort per
    index instead of a b-tree insertion per row at a random place (the usual
    advice for loading a database). Unique indexes stay: they enforce constraints.
    It all happens inside the caller's transaction, so an insert that fails rolls
    the indexes back with the rest. Elsewhere, or for smaller inserts, a no-op.
    """
    if conn.dialect.name != "sqlite" or rows < max(REINDEX_MIN_ROWS, stored):
        yield
        return
    names = [t.name for t in tables]
    query = (
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
        f"AND tbl_name IN ({', '.join('?' * len(names))}) ORDER BY name"
    )
    plain = [
        (name, sql)
        for name, sql in conn.exec_driver_sql(query, tuple(names))
        if not sql.lstrip().upper().startswith("CREATE UNIQUE")
    ]
    quote = conn.dialect.identifier_preparer.quote
    for name, _ in plain:
        conn.exec_driver_sql(f"DROP INDEX {quote(name)}")
    yield  # an exception here leaves the rollback to restore the indexes
    for _, sql in plain:
        conn.exec_driver_sql(sql)
