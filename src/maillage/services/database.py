"""Schema upgrade, reference data loading, whether the database answers (health),
backups and their restore, and the copy of a SQLite map to PostgreSQL."""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from maillage import __version__
from maillage.model.errors import MaillageError
from maillage.services import reference
from maillage.storage import backup as backups
from maillage.storage import migrate, transfer
from maillage.storage.engine import is_read_only, transaction

log = logging.getLogger(__name__)


def current_revision(*, db: sa.Engine) -> str | None:
    """The schema revision of the database; None when it was never upgraded."""
    return migrate.current_revision(db)


def upgrade(*, db: sa.Engine) -> dict[str, Any]:
    """Migrate to the latest schema, then load taxonomies and geography if missing.

    Safe to run any number of times. Returns the revision and reference counts. On a
    database opened read-only (:func:`maillage.storage.engine.is_read_only`) nothing is
    written: one at the latest revision is left as it is, an older one raises
    MaillageError (it must be upgraded where it can be written).
    """
    if is_read_only(db):
        return _read_only_upgrade(db)
    migrate.upgrade(db)
    with transaction(db) as conn:
        counts = reference.load_reference_data(conn)
    return {"revision": migrate.current_revision(db), "reference": counts}


def check(*, db: sa.Engine) -> dict[str, Any]:
    """``status`` (``ok`` or ``unavailable``), ``database`` (``ok``, ``unavailable``:
    not reached, or ``uninitialised``: reached but never upgraded), the schema
    ``revision`` and the application ``version``. Reading the schema revision is the
    trivial query: one small table, one row."""
    try:
        revision = current_revision(db=db)
    except sa.exc.SQLAlchemyError as exc:
        # the reason goes to the log (never the URL: it may hold a password)
        log.warning("health check: database unavailable: %s", type(exc).__name__)
        return _answer("unavailable", None)
    return _answer("ok" if revision else "uninitialised", revision)


def _answer(database: str, revision: str | None) -> dict[str, Any]:
    return {
        "status": "ok" if database == "ok" else "unavailable",
        "database": database,
        "revision": revision,
        "version": __version__,
    }


def _read_only_upgrade(db: sa.Engine) -> dict[str, Any]:
    revision, head = migrate.current_revision(db), migrate.head_revision()
    if revision != head:
        raise MaillageError(
            f"la base, ouverte en lecture seule, est à la révision {revision or 'aucune'} ; "
            f"cette version de maillage attend {head} : mettez à jour une copie inscriptible "
            "(maillage db upgrade --db COPIE) et servez cette copie",
            f"the database, open read-only, is at revision {revision or 'none'}; this "
            f"version of maillage expects {head}: upgrade a writable copy "
            "(maillage db upgrade --db COPY) and serve that copy",
        )
    with db.connect() as conn:
        counts = reference.reference_counts(conn)
    return {"revision": revision, "reference": counts, "read_only": True}


def backup(*, db: sa.Engine, path: Path) -> backups.BackupInfo:
    """Write a consistent backup of ``db`` to ``path`` (SQLite: the online backup API;
    PostgreSQL: ``pg_dump -Fc``), also while other processes write. Returns what the
    file holds. Raises BackupError or OSError; ``path`` is only written when complete."""
    info = backups.backup(db, path)
    log.info("backup written: %s bytes, revision %s", info.size, info.revision)
    return info


def restore(*, db: sa.Engine, path: Path, force: bool = False) -> dict[str, Any]:
    """Replace the content of ``db`` by the backup ``path``.

    The backup is checked first (its format, and a schema revision this version knows);
    a database holding data (anything beyond what ``db upgrade`` loads) is refused
    unless ``force``. Returns the backup's engine and revision, whether that revision is
    older than this version's (run ``db upgrade`` then), and the tables that were
    overwritten. Raises BackupError, ReadOnlyDatabase; on error nothing was changed.
    """
    info = backups.inspect(path)
    if info.engine != db.dialect.name:
        backups.restore(db, info)  # raises: the engines differ
    held = backups.data_tables(db) if _has_schema(db) else []
    if held and not force:
        raise backups.BackupError(
            f"la base contient déjà des données ({', '.join(held[:5])}…) : "
            "restaurer les remplacerait ; ajoutez --force pour le faire",
            f"the database already holds data ({', '.join(held[:5])}…): restoring "
            "would replace it; add --force to do so",
        )
    backups.restore(db, info)
    log.info("backup restored: revision %s (overwrote: %s)", info.revision, held)
    return {
        "engine": info.engine,
        "revision": info.revision,
        "needs_upgrade": info.revision != migrate.head_revision(),
        "overwritten": held,
    }


def _has_schema(db: sa.Engine) -> bool:
    with db.connect() as conn:
        return bool(sa.inspect(conn).get_table_names())


def copy(
    *,
    source: sa.Engine,
    target: sa.Engine,
    progress: Callable[[str, int], None] | None = None,
) -> list[transfer.TableComparison]:
    """Copy the whole map of ``source`` (SQLite) into ``target`` (PostgreSQL), then
    compare them table by table (row counts and content digests).

    ``target`` must hold no data; a database never upgraded gets the schema first.
    Both must be at the same schema revision (upgrade ``source`` first otherwise). One
    transaction on ``target``: on error nothing is written. Returns the comparison,
    whose every entry is identical when the copy is faithful. Raises MaillageError.
    """
    if migrate.current_revision(target) is None:
        migrate.upgrade(target)
    held = backups.data_tables(target)
    if held:
        raise MaillageError(
            f"la base cible contient déjà des données ({', '.join(held[:5])}…) : "
            "la copie se fait dans une base vide",
            f"the target database already holds data ({', '.join(held[:5])}…): "
            "copy into an empty database",
        )
    from_rev, to_rev = transfer.revisions(source, target)
    if from_rev != to_rev:
        raise MaillageError(
            f"révisions de schéma différentes : source {from_rev}, cible {to_rev} ; "
            "mettez les deux à jour (maillage db upgrade --db …)",
            f"different schema revisions: source {from_rev}, target {to_rev}; "
            "upgrade both (maillage db upgrade --db …)",
        )
    with source.connect() as reader, reader.begin(), transaction(target) as writer:
        transfer.copy_content(reader, writer, progress=progress)
    return compare(source=source, target=target)


def compare(
    *, source: sa.Engine, target: sa.Engine, tables: Collection[str] | None = None
) -> list[transfer.TableComparison]:
    """Row count and content digest of each table of ``source`` and ``target`` (equal
    digests: the same rows, whatever their order and engine); all tables, the schema
    revision and the search index, or those named in ``tables``."""
    return transfer.compare(source, target, tables=tables)
