"""Backups taken while actors are being written, restored into a fresh database; and the
copy of a SQLite map to PostgreSQL, compared row for row. On both engines."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from builders import make_actor
from conftest import _pg_engine, _sqlite_engine
from maillage.model.errors import MaillageError
from maillage.services import actors, database, links
from maillage.storage import tables as t
from maillage.storage.backup import REFERENCE_TABLES, BackupError
from maillage.storage.transfer import SEARCH_INDEX, _canonical, summarise

# What the tests write: the reference data (110,000 territory rows) is the same in
# every database made from the template; one test per engine compares it too.
WRITTEN = [x.name for x in t.metadata.sorted_tables if x.name not in REFERENCE_TABLES]
WRITTEN_AND_INDEX = [*WRITTEN, SEARCH_INDEX]


@pytest.fixture
def fresh(request: pytest.FixtureRequest, db: sa.Engine, tmp_path: Path) -> Iterator[sa.Engine]:
    """Another migrated, empty database on the engine of ``db``."""
    if db.dialect.name == "sqlite":
        engine = _sqlite_engine(request.getfixturevalue("sqlite_template"), tmp_path, "new.sqlite")
    else:
        engine = _pg_engine(
            request.getfixturevalue("pg_server"), request.getfixturevalue("pg_template")
        )
    yield engine
    engine.dispose()


class Writer(threading.Thread):
    """Creates actors through the service layer, one transaction each, until stopped."""

    def __init__(self, db: sa.Engine) -> None:
        super().__init__(daemon=True)
        self.db, self.stop, self.created = db, threading.Event(), 0
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            while not self.stop.is_set():
                actors.create_actor(db=self.db, values=make_actor())
                self.created += 1
        except BaseException as exc:  # reported by the test
            self.error = exc

    def wait_for(self, count: int) -> None:
        while self.created < count and self.error is None:
            self.stop.wait(0.01)


def rows(engine: sa.Engine, table: sa.Table) -> Counter[str]:
    with engine.connect() as conn:
        return Counter(repr([_canonical(v) for v in r]) for r in conn.execute(sa.select(table)))


def test_backup_during_writes_restores_a_consistent_snapshot(
    db: sa.Engine, fresh: sa.Engine, tmp_path: Path
) -> None:
    writer = Writer(db)
    writer.start()
    try:
        writer.wait_for(5)
        info = database.backup(db=db, path=tmp_path / "backup")
        after_backup = writer.created
        writer.wait_for(after_backup + 5)  # writes go on after the snapshot
    finally:
        writer.stop.set()
        writer.join()
    assert writer.error is None
    assert info.engine == db.dialect.name and info.revision

    report = database.restore(db=fresh, path=info.path)
    assert report["overwritten"] == []
    restored, source = summarise(fresh, tables=WRITTEN_AND_INDEX), summarise(db, tables=["actor"])
    kept = restored["actor"].rows
    assert 5 <= kept < source["actor"].rows
    # A snapshot: every restored row is, unchanged, in the source as it is now, and each
    # actor came with its search entry and its audit record (nothing half-written).
    for table in t.metadata.sorted_tables:
        if table.name in WRITTEN:
            assert not rows(fresh, table) - rows(db, table), table.name
    assert restored[SEARCH_INDEX].rows == kept
    with fresh.connect() as conn:
        audited = conn.execute(
            sa.select(sa.func.count()).where(t.change.c.entity == "actor")
        ).scalar_one()
    assert audited == kept


@pytest.mark.quality  # reads the 110,000 reference rows four times: about 10 s
def test_backup_then_restore_is_identical_table_by_table(
    db: sa.Engine, fresh: sa.Engine, tmp_path: Path
) -> None:
    first = actors.create_actor(db=db, values=make_actor(siret="73282932000074"))
    second = actors.create_actor(db=db, values=make_actor(name="Épicerie « solidaire »"))
    links.create_link(
        db=db, values={"source_id": first["id"], "target_id": second["id"], "kind": "partnership"}
    )
    actors.create_actor(db=fresh, values=make_actor(name="Overwritten"))
    for engine in (db, fresh):  # another application's table in the same database
        with engine.begin() as conn:
            conn.exec_driver_sql("CREATE TABLE other_app (id INTEGER PRIMARY KEY, note TEXT)")
            conn.exec_driver_sql("INSERT INTO other_app VALUES (1, 'facture')")

    info = database.backup(db=db, path=tmp_path / "backup")
    assert info.path.stat().st_mode & 0o777 == 0o600  # readable by its owner only
    with pytest.raises(BackupError, match="--force"):
        database.restore(db=fresh, path=info.path)
    assert summarise(fresh, tables=["actor"]) != summarise(db, tables=["actor"])
    report = database.restore(db=fresh, path=info.path, force=True)

    assert "actor" in report["overwritten"] and "other_app" not in report["overwritten"]
    assert summarise(fresh) == summarise(db)
    if fresh.dialect.name == "postgresql":  # the other application's rows are left alone
        with fresh.connect() as conn:
            assert conn.exec_driver_sql("SELECT note FROM other_app").scalar_one() == "facture"
    # the restored database goes on: new ids after the restored ones
    made = actors.create_actor(db=fresh, values=make_actor())
    assert made["id"] > second["id"]


def test_a_file_that_is_no_backup_is_refused_before_anything(db: sa.Engine, tmp_path: Path) -> None:
    actors.create_actor(db=db, values=make_actor())
    before = summarise(db, tables=WRITTEN_AND_INDEX)
    junk = tmp_path / "notes.txt"
    junk.write_text("SQLite? non.\n")
    with pytest.raises(BackupError, match="n'est pas une sauvegarde maillage"):
        database.restore(db=db, path=junk, force=True)
    assert summarise(db, tables=WRITTEN_AND_INDEX) == before


def _map_with_a_merge(db: sa.Engine) -> dict[str, Any]:
    """Actors, a link, and an actor merged into a later one (its row refers forward)."""
    merged = actors.create_actor(db=db, values=make_actor(name="Ancien nom"))
    kept = actors.create_actor(db=db, values=make_actor(siret="73282932000074"))
    other = actors.create_actor(db=db, values=make_actor(description="Médiation numérique"))
    links.create_link(
        db=db, values={"source_id": kept["id"], "target_id": other["id"], "kind": "partnership"}
    )
    with db.begin() as conn:
        conn.execute(
            sa.update(t.actor).where(t.actor.c.id == merged["id"]).values(merged_into_id=kept["id"])
        )
    return {"merged": merged["id"], "kept": kept["id"], "last": other["id"]}


@pytest.mark.postgres
@pytest.mark.quality  # copies and compares the 110,000 reference rows: about 15 s
def test_copy_sqlite_to_postgresql_is_identical_row_for_row(
    both_engines: dict[str, sa.Engine],
) -> None:
    source, target = both_engines["sqlite"], both_engines["postgresql"]
    ids = _map_with_a_merge(source)

    compared = database.copy(source=source, target=target)

    assert all(c.identical for c in compared), [c for c in compared if not c.identical]
    names = {c.table for c in compared}
    assert {"actor", "link", "change", "territory", SEARCH_INDEX} <= names
    by_name = {c.table: c for c in compared}
    assert by_name["actor"].target.rows == 3
    # one changed value shows in the comparison
    with target.begin() as conn:
        conn.execute(sa.update(t.link).values(weight=0.5))
    again = database.compare(source=source, target=target, tables=["link", "actor"])
    assert {c.table: c.identical for c in again} == {"link": False, "actor": True}
    # PostgreSQL's sequences follow: the next actor gets the next id
    assert actors.create_actor(db=target, values=make_actor())["id"] == ids["last"] + 1
    assert [a["id"] for a in actors.search_actors(db=target, query="médiation")] == [ids["last"]]


@pytest.mark.postgres
def test_copy_refuses_a_target_holding_data(both_engines: dict[str, sa.Engine]) -> None:
    source, target = both_engines["sqlite"], both_engines["postgresql"]
    actors.create_actor(db=source, values=make_actor())
    actors.create_actor(db=target, values=make_actor(name="Déjà là"))
    before = summarise(target, tables=WRITTEN_AND_INDEX)
    with pytest.raises(MaillageError, match="contient déjà des données"):
        database.copy(source=source, target=target)
    assert summarise(target, tables=WRITTEN_AND_INDEX) == before
