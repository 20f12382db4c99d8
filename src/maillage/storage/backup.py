"""Backups of a whole database, taken while the server runs and writes, and their restore.

SQLite: the online backup API (``sqlite3.Connection.backup``) copies a consistent
snapshot page by page into a single self-contained file (rollback journal, not WAL).
PostgreSQL: ``pg_dump -Fc`` (one repeatable-read snapshot) and, to restore, the script
of ``pg_restore`` run by ``psql`` in one transaction after dropping the old tables, so
that a failed restore leaves the database as it was. The PostgreSQL password goes to
the tools through ``PGPASSWORD``, never on a command line or in a message.

A backup is written beside its destination and renamed into place when complete:
nothing half-written is ever left under the chosen name.
"""

from __future__ import annotations

import glob
import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, unquote

import sqlalchemy as sa

from maillage.model.errors import MaillageError
from maillage.storage import migrate
from maillage.storage import tables as t
from maillage.storage.engine import ReadOnlyDatabase, is_read_only

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_MAGIC = b"PGDMP"

REFERENCE_TABLES = frozenset(
    {"taxonomy_term", "hypothesis", "territory", "territory_postcode", "territory_member"}
)
"""Tables that ``db upgrade`` fills (with ``maillage_setting``, which records what it loaded):
a database holding only these is empty."""


class BackupError(MaillageError):
    """A backup or a restore that cannot be done; nothing was written."""


@dataclass(frozen=True, slots=True)
class BackupInfo:
    """What a backup file holds: its ``engine`` (``sqlite`` or ``postgresql``), the
    schema ``revision`` it was taken at, and its size in bytes."""

    path: Path
    engine: str
    revision: str | None
    size: int


# --- taking a backup ---------------------------------------------------------------


def backup(engine: sa.Engine, target: Path) -> BackupInfo:
    """Write a consistent copy of the database of ``engine`` to ``target``.

    Safe while other connections write: SQLite copies one snapshot (readers never block
    writers in WAL mode), ``pg_dump`` reads one transaction snapshot. Returns what the
    file holds. Raises :class:`BackupError` (a missing tool, a failed dump) or OSError.
    """
    target = Path(target)
    with _partial(target) as partial:
        if engine.dialect.name == "sqlite":
            immutable = engine.url.query.get("immutable") == "1"
            _sqlite_backup(
                sqlite_path(engine), partial, read_only=is_read_only(engine), immutable=immutable
            )
        else:
            tables = [f"--table=public.{name}" for name in _own_tables()]
            _run_pg("pg_dump", engine.url, ["--format=custom", f"--file={partial}", *tables])
    return inspect(target)


@contextmanager
def _partial(target: Path) -> Iterator[Path]:
    """A temporary path beside ``target``, renamed to it on success, removed on failure."""
    partial = target.with_name(f".{target.name}.partial")
    partial.unlink(missing_ok=True)
    # a folder that is missing or not writable: OSError now; readable by its owner only
    os.close(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600))
    try:
        yield partial
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)


def sqlite_path(engine: sa.Engine) -> str:
    """The file of a SQLite engine (also when it is opened read-only, by a URI)."""
    path = engine.url.database
    if not path or path == ":memory:":
        raise BackupError(
            "une base SQLite en mémoire n'a pas de fichier à sauvegarder",
            "an in-memory SQLite database has no file to back up",
        )
    return unquote(path.removeprefix("file:")) if path.startswith("file:") else path


def _connect(path: str, *, read_only: bool = False, immutable: bool = False) -> sqlite3.Connection:
    """A connection to the SQLite file ``path``, read-only as the server opens it (a file
    on a read-only file system is ``immutable``: no lock, no side file)."""
    if read_only:
        uri = "file:" + quote(Path(path).resolve().as_posix()) + "?mode=ro"
        uri += "&immutable=1" if immutable else ""
        return sqlite3.connect(uri, uri=True, isolation_level=None)
    return sqlite3.connect(path, isolation_level=None)


def _sqlite_backup(source: str, target: Path, *, read_only: bool, immutable: bool) -> None:
    with (
        closing(_connect(source, read_only=read_only, immutable=immutable)) as src,
        closing(sqlite3.connect(target)) as dst,
    ):
        src.execute("PRAGMA busy_timeout=30000")
        src.backup(dst)  # all pages in one step: one snapshot
        dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file


# --- reading a backup --------------------------------------------------------------


def inspect(path: Path) -> BackupInfo:
    """The engine and schema revision of the backup ``path``, checked readable.

    Raises :class:`BackupError` when it is no maillage backup (wrong format, damaged,
    no schema revision) or was made by a newer maillage (a revision this one does not
    know); OSError when it cannot be read.
    """
    path = Path(path)
    with path.open("rb") as file:
        head = file.read(len(SQLITE_MAGIC))
    if head.startswith(SQLITE_MAGIC):
        engine, revision = "sqlite", _sqlite_revision(path)
    elif head.startswith(PG_MAGIC):
        engine, revision = "postgresql", _pg_revision(path)
    else:
        raise _not_a_backup(path, "ni SQLite ni pg_dump -Fc", "neither SQLite nor pg_dump -Fc")
    if revision is None:
        raise _not_a_backup(path, "aucune révision de schéma", "no schema revision")
    if not migrate.is_known_revision(revision):
        raise BackupError(
            f"« {path} » : révision de schéma {revision} inconnue de cette version de "
            "maillage (sauvegarde faite par une version plus récente ?) ; rien n'a été écrit",
            f"'{path}': schema revision {revision} unknown to this version of maillage "
            "(a backup made by a newer version?); nothing was written",
        )
    return BackupInfo(path=path, engine=engine, revision=revision, size=path.stat().st_size)


def _not_a_backup(path: Path, why: str, why_en: str) -> BackupError:
    return BackupError(
        f"« {path} » n'est pas une sauvegarde maillage ({why}) ; rien n'a été écrit",
        f"'{path}' is not a maillage backup ({why_en}); nothing was written",
    )


def _sqlite_revision(path: Path) -> str | None:
    try:
        with closing(_connect(str(path), read_only=True)) as conn:
            check = conn.execute("PRAGMA quick_check").fetchone()
            if not check or check[0] != "ok":
                raise _not_a_backup(path, f"fichier abîmé : {check}", f"damaged file: {check}")
            row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.DatabaseError as exc:
        raise _not_a_backup(path, str(exc), str(exc)) from exc
    return str(row[0]) if row else None


def _pg_revision(path: Path) -> str | None:
    script = _run_tool(
        "pg_restore", ["--data-only", "--table=alembic_version", "--file=-", str(path)]
    )
    lines = iter(script.splitlines())
    for line in lines:
        if line.startswith("COPY ") and "alembic_version" in line:
            value = next(lines, "\\.")
            return None if value == "\\." else value.strip()
    return None


# --- what a database holds ---------------------------------------------------------


def data_tables(engine: sa.Engine) -> list[str]:
    """The tables of maillage's schema that hold rows other than the reference data
    (another application's tables in the same database are not maillage's).
    Empty for a new database or one that only went through ``db upgrade``."""
    bookkeeping = {"alembic_version", t.setting.name}
    known = {table.name for table in t.metadata.sorted_tables} | bookkeeping
    with engine.connect() as conn:
        names = sa.inspect(conn).get_table_names()
        held = []
        for name in names:
            if name in REFERENCE_TABLES or name in bookkeeping:
                continue
            if name.startswith(("actor_fts", "actor_search", "sqlite_")):
                continue  # the search index follows the actors
            if name not in known:
                continue  # another application's table: a restore leaves it alone
            quoted = conn.dialect.identifier_preparer.quote(name)
            if conn.exec_driver_sql(f"SELECT 1 FROM {quoted} LIMIT 1").first():
                held.append(name)
    return held


# --- restoring ---------------------------------------------------------------------


def restore(engine: sa.Engine, info: BackupInfo) -> None:
    """Replace the whole content of the database of ``engine`` by the backup ``info``
    (from :func:`inspect`), in one step: on failure the database is left as it was.

    The engines must match (a SQLite backup into SQLite, a ``pg_dump`` into
    PostgreSQL; ``db copy`` moves a SQLite map to PostgreSQL). Raises
    :class:`BackupError`.
    """
    kind = engine.dialect.name
    if info.engine != kind:
        raise BackupError(
            f"« {info.path} » est une sauvegarde {info.engine}, la base est {kind} ; "
            "pour passer de SQLite à PostgreSQL : maillage db copy",
            f"'{info.path}' is a {info.engine} backup, the database is {kind}; "
            "to move from SQLite to PostgreSQL: maillage db copy",
        )
    if is_read_only(engine):
        raise ReadOnlyDatabase()
    engine.dispose()  # our own pooled connections must not hold the old content
    if kind == "sqlite":
        source = closing(_connect(str(info.path), read_only=True))
        with source as src, closing(_connect(sqlite_path(engine))) as dst:
            dst.execute("PRAGMA busy_timeout=30000")
            src.backup(dst)
        return
    _pg_restore(engine.url, info.path)


def _own_tables() -> list[str]:
    """maillage's tables in PostgreSQL: the schema's, its search index and the migrations'
    bookkeeping. A backup holds these only, and a restore replaces these only: other
    applications' tables in the same database are never read nor dropped."""
    return [*(table.name for table in t.metadata.sorted_tables), "actor_search", "alembic_version"]


def _drop_own() -> str:
    """SQL dropping maillage's tables (their sequences go with them)."""
    return " ".join(f"DROP TABLE IF EXISTS public.{name} CASCADE;" for name in _own_tables())


def _pg_restore(url: sa.URL, path: Path) -> None:
    """The backup's SQL script, written out whole first (a script cut short must not be
    run), then run by ``psql`` in one transaction that first drops the old tables."""
    with tempfile.TemporaryDirectory(prefix="maillage-restore-") as folder:
        script = Path(folder, "restore.sql")
        _run_tool("pg_restore", ["--no-owner", "--no-privileges", f"--file={script}", str(path)])
        _run_pg(
            "psql",
            url,
            ["-X", "-q", "-v", "ON_ERROR_STOP=1", "--single-transaction"]
            + ["-c", _drop_own(), "-f", str(script)],
        )


# --- PostgreSQL tools --------------------------------------------------------------


def find_tool(name: str) -> str:
    """The path of PostgreSQL's client program ``name``: on PATH, else the newest of
    ``/usr/lib/postgresql/*/bin``. Raises :class:`BackupError` when there is none."""
    found = shutil.which(name)
    if found:
        return found
    for folder in sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=_version, reverse=True):
        candidate = Path(folder, name)
        if os.access(candidate, os.X_OK):
            return str(candidate)
    raise BackupError(
        f"programme « {name} » introuvable (PATH ou /usr/lib/postgresql/*/bin) : "
        "installez les outils clients PostgreSQL (paquet postgresql-client)",
        f"program '{name}' not found (PATH or /usr/lib/postgresql/*/bin): "
        "install the PostgreSQL client tools (package postgresql-client)",
    )


def _version(folder: str) -> tuple[int, ...]:
    return tuple(int(n) for n in re.findall(r"\d+", folder)[-1:]) or (0,)


def libpq_connection(url: sa.URL) -> tuple[str, dict[str, str]]:
    """A libpq connection string for ``url`` without its password, and the environment
    for the tools: the password in ``PGPASSWORD``, so that no command line shows it."""
    params: Mapping[str, object] = {
        "host": url.host,
        "port": url.port,
        "user": url.username,
        "dbname": url.database,
        **{k: v for k, v in url.query.items() if isinstance(v, str)},
    }
    conninfo = " ".join(f"{key}={_quoted(str(v))}" for key, v in params.items() if v)
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    return conninfo, env


def _quoted(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _run_pg(name: str, url: sa.URL, args: list[str]) -> str:
    conninfo, env = libpq_connection(url)
    return _run_tool(name, [*args, f"--dbname={conninfo}"], env=env, password=url.password)


def _run_tool(
    name: str, args: list[str], *, env: dict[str, str] | None = None, password: str | None = None
) -> str:
    done = subprocess.run([find_tool(name), *args], capture_output=True, env=env, check=False)
    if done.returncode:
        raise _tool_failed(name, done.stderr, password)
    return done.stdout.decode("utf-8", "replace")


def _tool_failed(name: str, stderr: bytes, password: str | None) -> BackupError:
    lines = [line for line in stderr.decode("utf-8", "replace").splitlines() if line.strip()]
    detail = next((line for line in lines if "error" in line.lower()), lines[0] if lines else "")
    if password:
        detail = detail.replace(password, "***")
    detail = detail[:300]
    return BackupError(
        f"{name} a échoué : {detail} ; rien n'a été écrit",
        f"{name} failed: {detail}; nothing was written",
    )
