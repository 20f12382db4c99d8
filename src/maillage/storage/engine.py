"""Engines built from a URL: SQLite (WAL, foreign keys) or PostgreSQL."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

import orjson
import sqlalchemy as sa
from sqlalchemy import event

from maillage.model.errors import Conflict, PermissionDenied
from maillage.settings import normalise_url, read_only_requested


class ReadOnlyDatabase(PermissionDenied):
    """A write on a database opened read-only (a SQLite file this process may not write,
    or ``MAILLAGE_READ_ONLY``): refused before anything is written."""

    def __init__(self) -> None:
        self.action = "écriture"
        self.role = None
        super(PermissionDenied, self).__init__(
            "la base est ouverte en lecture seule (fichier ou dossier non inscriptible, "
            "ou MAILLAGE_READ_ONLY) : aucune modification n'est possible",
            "the database is open read-only (file or folder not writable, or "
            "MAILLAGE_READ_ONLY): nothing can be changed",
        )

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        return (type(self), ())


def make_engine(url: str, *, read_only: bool | None = None, **kwargs: Any) -> sa.Engine:
    """Build an engine for ``url``.

    SQLite files get WAL journaling, foreign keys and proper transactional
    behaviour (SQLAlchemy's pysqlite recipe: BEGIN emitted by us, so DDL and
    savepoints are transactional). PostgreSQL URLs use psycopg 3.

    A SQLite file is opened read-only (see :func:`sqlite_read_only_url`) when
    ``read_only`` (default: ``MAILLAGE_READ_ONLY``) or when this process may not write
    it or its folder; a write then raises :class:`ReadOnlyDatabase`.
    """
    url = normalise_url(url)
    kwargs.setdefault("json_serializer", json_dumps)
    if url.startswith("sqlite"):
        memory = url in ("sqlite://", "sqlite:///:memory:")
        if not memory:
            wanted = read_only_requested() if read_only is None else read_only
            url = sqlite_read_only_url(url, requested=wanted) or url
        engine = sa.create_engine(url, **kwargs)
        _configure_sqlite(engine, memory=memory, read_only=is_read_only(engine))
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


def sqlite_read_only_url(url: str, *, requested: bool) -> str | None:
    """The read-only URL of the SQLite file of ``url``, or None to open it read-write.

    Read-only when ``requested`` or when the file is not writable (``mode=ro``); when
    its folder is not writable either (a read-only file system, a mounted volume) the
    WAL's shared-memory file cannot be made, so the file is also declared ``immutable``
    (SQLite then takes no lock: nothing may write it meanwhile), unless a write-ahead
    log is left beside it, which only ``mode=ro`` reads. A file that does not exist yet
    is opened read-write (``db upgrade`` creates it).
    """
    parsed = sa.engine.make_url(url)
    path = parsed.database
    if not path or path.startswith("file:") or not Path(path).exists():
        return None
    folder_writable = os.access(Path(path).parent, os.W_OK)
    if not requested and folder_writable and os.access(path, os.W_OK):
        return None
    query = {"mode": "ro", "uri": "true"}
    wal = Path(f"{path}-wal")
    if not folder_writable and not (wal.exists() and wal.stat().st_size):
        query["immutable"] = "1"
    database = "file:" + quote(str(Path(path).resolve()))
    return parsed.set(database=database, query=query).render_as_string(hide_password=False)


def is_read_only(engine: sa.Engine) -> bool:
    """Whether ``engine`` opens its SQLite file read-only (``mode=ro``)."""
    return engine.dialect.name == "sqlite" and engine.url.query.get("mode") == "ro"


def _configure_sqlite(engine: sa.Engine, *, memory: bool, read_only: bool = False) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        if not memory and not read_only:
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
        if immediate and read_only:
            raise ReadOnlyDatabase()
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    if read_only:

        @event.listens_for(engine, "handle_error")
        def _on_error(context: sa.engine.ExceptionContext) -> None:
            # a write outside transaction(): SQLite's "attempt to write a readonly database"
            if "readonly database" in str(context.original_exception):
                raise ReadOnlyDatabase() from context.original_exception


@contextmanager
def transaction(engine: sa.Engine) -> Iterator[sa.Connection]:
    """One write transaction: committed on success, rolled back on any error. A
    transaction the database aborts for a concurrent one (a deadlock) raises
    :class:`~maillage.model.errors.Conflict`: nothing was written, it may be done again."""
    try:
        with engine.connect() as conn:
            conn.execution_options(maillage_write=True)
            with conn.begin():
                yield conn
    except sa.exc.DBAPIError as error:
        if not lost_race(error):
            raise
        raise Conflict(
            "la base a interrompu cette écriture au profit d'une autre en même temps ; "
            "rien n'a été écrit : recommencez",
            "the database stopped this write for another one at the same time; nothing "
            "was written: try again",
        ) from error


# PostgreSQL's codes for a transaction aborted to let a concurrent one through.
_LOST_RACE = frozenset({"40P01", "40001"})  # deadlock detected, serialization failure


def lost_race(error: BaseException) -> bool:
    """True when ``error`` is the database aborting this transaction for a concurrent
    one (a deadlock, a serialization failure): the work may simply be done again."""
    if not isinstance(error, sa.exc.DBAPIError):
        return False
    return getattr(error.orig, "sqlstate", None) in _LOST_RACE


def dialect(conn: sa.Connection | sa.Engine) -> str:
    """``sqlite`` or ``postgresql``."""
    return conn.dialect.name
