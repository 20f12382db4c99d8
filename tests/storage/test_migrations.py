"""Migrations keep what is stored: the search index survives 0003 both ways."""

from __future__ import annotations

from pathlib import Path

from alembic import command

from maillage.services import actors
from maillage.storage import migrate, search
from maillage.storage.engine import make_engine, transaction


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
