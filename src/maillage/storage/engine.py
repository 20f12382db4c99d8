"""Engines built from a URL: SQLite (WAL, foreign keys) or PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy import event

from maillage.settings import normalise_url


def make_engine(url: str, **kwargs: Any) -> sa.Engine:
    """Build an engine for ``url``.

    SQLite files get WAL journaling, foreign keys and proper transactional
    behaviour (SQLAlchemy's pysqlite recipe: BEGIN emitted by us, so DDL and
    savepoints are transactional). PostgreSQL URLs use psycopg 3.
    """
    url = normalise_url(url)
    kwargs.setdefault("json_serializer", json_dumps)
    if url.startswith("sqlite"):
        engine = sa.create_engine(url, **kwargs)
        _configure_sqlite(engine, memory=url in ("sqlite://", "sqlite:///:memory:"))
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    # An unreachable server fails in seconds (a health check answers 503), not after the
    # operating system's TCP timeout.
    kwargs.setdefault("connect_args", {"connect_timeout": 10})
    return sa.create_engine(url, **kwargs)


def json_dumps(value: Any) -> str:
    """JSON text of a stored value (dates as ISO 8601; non-text keys allowed)."""
    try:  # text keys, the usual case: orjson's plain path is faster
        return orjson.dumps(value).decode()
    except TypeError:  # a non-text key in a nested value (extra)
        return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


def _configure_sqlite(engine: sa.Engine, *, memory: bool) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        if not memory:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        # A 64 MiB page cache (SQLite's default is 2 MiB): a large import keeps its
        # dirty pages in memory until the commit instead of spilling them to the
        # WAL and reading them back mid-transaction. The cache grows only as used.
        cursor.execute("PRAGMA cache_size=-65536")
        # Statement journals (the pages a multi-row statement changes, kept in case it
        # fails half-way) in memory, not in a temporary file: a 200k-row import wrote
        # 650 MB to such files in 317,000 system calls (about 0.3 s of system time).
        cursor.execute("PRAGMA temp_store=MEMORY")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: sa.Connection) -> None:
        # Writers take the write lock up front (no stale-snapshot upgrade failures);
        # readers use a deferred transaction and never block anyone in WAL mode.
        immediate = conn.get_execution_options().get("maillage_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


@contextmanager
def transaction(engine: sa.Engine) -> Iterator[sa.Connection]:
    """One write transaction: committed on success, rolled back on any error."""
    with engine.connect() as conn:
        conn.execution_options(maillage_write=True)
        with conn.begin():
            yield conn


def dialect(conn: sa.Connection | sa.Engine) -> str:
    """``sqlite`` or ``postgresql``."""
    return conn.dialect.name
