"""Migrations keep what is stored: the search index survives 0003 both ways."""

from __future__ import annotations

from pathlib import Path

from alembic import command

from maillage.services import actors, history, links
from maillage.storage import migrate, search
from maillage.storage.engine import make_engine, transaction
from maillage.storage.tables import metadata


def _shadow_tables(engine) -> set[str]:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        rows = conn.exec_driver_sql(
            "SELECT name FROM sqlite_master WHERE name LIKE 'actor_fts%'"
        ).scalars()
        return set(rows)


def _hits(engine, text: str) -> list[int]:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return [h.actor_id for h in search.search(conn, text)]


def test_fts_rebuild_keeps_the_indexed_actors(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'old.sqlite'}")
    migrate.upgrade(engine, "0002")
    with transaction(engine) as conn:  # an actor as the code of revision 0002 stored it
        conn.exec_driver_sql(
            "INSERT INTO actor (id, name, world, digital_profile, extra, version, created_at, "
            "updated_at) VALUES (1, 'Médiation Numérique de Roubaix', 'associative', "
            "'unknown', '{}', 1, '2026-01-01 00:00:00', '2026-01-01 00:00:00')"
        )
        search.index_actors(conn, [1])
    created = {"id": 1}
    assert "actor_fts_docsize" in _shadow_tables(engine)

    migrate.upgrade(engine)
    assert "actor_fts_docsize" not in _shadow_tables(engine)
    assert _hits(engine, "médiations numériques") == [created["id"]]
    later = actors.create_actor(db=engine, values={"name": "Médiation sociale", "world": "public"})
    assert sorted(_hits(engine, "médiation")) == sorted([created["id"], later["id"]])

    with transaction(engine) as conn:
        command.downgrade(migrate.alembic_config(conn), "0002")
    assert "actor_fts_docsize" in _shadow_tables(engine)
    assert sorted(_hits(engine, "médiation")) == sorted([created["id"], later["id"]])
    engine.dispose()


def test_0010_keeps_rows_references_and_indexes_and_never_gives_an_undone_id(
    tmp_path: Path,
) -> None:
    """SQLite gave the id of an undone creation to the next record (user trial D1): 0010
    rebuilds the audited tables with AUTOINCREMENT, rows, links and indexes kept."""
    engine = make_engine(f"sqlite:///{tmp_path / 'old.sqlite'}")
    migrate.upgrade(engine, "0009")
    made = [actors.create_actor(db=engine, values={"name": n, "world": "public"})["id"]
            for n in ("Atelier", "Asso", "Fablab")]  # fmt: skip
    link = links.create_link(db=engine, values={"source_id": made[0], "target_id": made[1],
                                                "kind": "partnership"})  # fmt: skip
    (created,) = history.entity_history(db=engine, entity="actor", entity_id=made[2])
    history.undo_change(db=engine, change_id=created["id"])  # before the upgrade

    migrate.upgrade(engine)
    assert links.get_link(db=engine, link_id=link["id"])["source_id"] == made[0]
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA foreign_key_check").all() == []
        partial = conn.exec_driver_sql(
            "SELECT sql FROM sqlite_master WHERE name = 'uq_actor_siret_live'"
        ).scalar_one()
    assert "WHERE siret IS NOT NULL" in partial
    with engine.connect() as conn:  # the upgrade's own look-up indexes are gone
        helpers = "SELECT name FROM sqlite_master WHERE name LIKE '\\_0010%' ESCAPE '\\'"
        assert conn.exec_driver_sql(helpers).all() == []
    assert _hits(engine, "fablab") == []  # the undone actor stays out of the index
    later = actors.create_actor(db=engine, values={"name": "Fablab bis", "world": "public"})
    assert later["id"] == made[2] + 1 and _hits(engine, "atelier") == [made[0]]

    with transaction(engine) as conn:
        command.downgrade(migrate.alembic_config(conn), "0009")
    assert [a["id"] for a in actors.list_actors(db=engine)] == [*made[:2], later["id"]]
    engine.dispose()


def test_the_migrated_tables_never_give_an_id_twice(sqlite_db) -> None:  # type: ignore[no-untyped-def]
    """Each table the metadata declares AUTOINCREMENT is so in a migrated database: a
    later migration rebuilding one (Alembic's batch mode reflects the table, and SQLite
    reflection does not carry AUTOINCREMENT) must say ``sqlite_autoincrement`` again."""
    declared = sorted(t.name for t in metadata.tables.values()
                      if t.dialect_options["sqlite"].get("autoincrement"))  # fmt: skip
    with sqlite_db.connect() as conn:
        stored = dict(
            conn.exec_driver_sql("SELECT name, sql FROM sqlite_master WHERE type = 'table'").all()
        )
    assert len(declared) >= 12
    assert [t for t in declared if "AUTOINCREMENT" not in stored[t]] == []
