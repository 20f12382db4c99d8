"""Identities the database enforces: concurrent imports and writes never duplicate an
actor; a SIRET another actor or record carries is kept as the holder's, and said."""

from __future__ import annotations

import csv
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from builders import valid_siret
from conftest import _pg_engine, _sqlite_engine
from maillage.model.errors import Conflict, DuplicateIdentity
from maillage.services import actors, history, importing
from maillage.storage import migrate
from maillage.storage.engine import make_engine, transaction
from maillage.storage.tables import metadata

ROWS = 120
ROUNDS = 20


def _write_file(path: Path, rows: int = ROWS) -> list[str]:
    """An actor file of ``rows`` establishments in Lille, each with its own SIRET."""
    sirets = [valid_siret(7000 + i) for i in range(rows)]
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "nom", "siret", "code_insee", "monde"])
        for i, siret in enumerate(sirets):
            writer.writerow([f"K{i}", f"Association numérique {i}", siret, "59350", "associative"])
    return sirets


def _fresh(request: pytest.FixtureRequest, engine: str, tmp_path: Path, n: int) -> sa.Engine:
    if engine == "sqlite":
        template = request.getfixturevalue("sqlite_template")
        return _sqlite_engine(template, tmp_path, f"round{n}.sqlite")
    return _pg_engine(request.getfixturevalue("pg_server"), request.getfixturevalue("pg_template"))


def _together(*jobs: Callable[[], Any]) -> list[Any]:
    """Run ``jobs`` in threads released at the same instant; their results or errors."""
    start = threading.Barrier(len(jobs))
    results: list[Any] = [None] * len(jobs)

    def run(i: int, job: Callable[[], Any]) -> None:
        start.wait()
        try:
            results[i] = job()
        except Exception as exc:  # noqa: BLE001 - a result to assert on, whatever it is
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i, j)) for i, j in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def _live(engine: sa.Engine) -> list[tuple[str | None, str]]:
    with engine.connect() as conn:
        query = (
            "SELECT siret, name FROM actor WHERE deleted_at IS NULL AND merged_into_id IS NULL "
            "ORDER BY siret"
        )
        return [(r[0], r[1]) for r in conn.exec_driver_sql(query)]


@pytest.mark.parametrize(
    "engine", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def test_concurrent_imports_and_a_write_find_each_actor_once(
    engine: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    path = tmp_path / "acteurs.csv"
    sirets = _write_file(path)
    shared = ROWS // 2  # the actor that the service layer creates at the same time
    outcomes: set[str] = set()
    for n in range(ROUNDS):
        db = _fresh(request, engine, tmp_path, n)

        def load(db: sa.Engine = db) -> importing.ImportReport:
            return importing.import_file(db=db, fmt="actors", path=path, source="annuaire")

        def write(db: sa.Engine = db) -> dict[str, Any]:
            values = {"name": f"Association numérique {shared}", "siret": sirets[shared],
                      "commune_code": "59350", "world": "associative"}  # fmt: skip
            return actors.create_actor(db=db, values=values, user="alice")

        first, second, service = _together(load, load, write)
        live = _live(db)
        # each actor once: one live actor per SIRET, none without
        assert sorted(s for s, _ in live) == sorted(sirets), f"round {n}"
        for report in (first, second):
            assert isinstance(report, importing.ImportReport), f"round {n}: {report}"
            assert report.status in ("done", "unchanged"), report.to_dict()
        # the loser of the race for the shared actor reported it, or the imports merged it
        if isinstance(service, Conflict):  # a second holder, or a deadlock it lost
            outcomes.add("write refused")
        else:
            assert isinstance(service, dict), f"round {n}: {service}"
            with db.connect() as conn:  # the actor written first holds the file's key too
                keys = conn.exec_driver_sql(
                    "SELECT identifier FROM actor_identifier WHERE actor_id = ?"
                    if db.dialect.name == "sqlite"
                    else "SELECT identifier FROM actor_identifier WHERE actor_id = %s",
                    (service["id"],),
                ).scalars()
                assert list(keys) == [f"source:annuaire:K{shared}"], f"round {n}"
            outcomes.add("write first, merged by an import")
        with db.connect() as conn:
            keys = conn.exec_driver_sql(
                "SELECT COUNT(*), COUNT(DISTINCT identifier) FROM actor_identifier"
            ).one()
        assert tuple(keys) == (ROWS, ROWS)  # each source key once
        db.dispose()
    assert outcomes  # what the rounds saw (both outcomes are correct)


def test_places_sharing_their_holders_siret_keep_it_as_the_holders(
    db: sa.Engine, tmp_path: Path
) -> None:
    holder = valid_siret(42)
    places = tmp_path / "lieux.csv"
    with places.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "nom", "siret", "code_insee"])
        writer.writerow(["L1", "Médiathèque centre", holder, "59350"])
        writer.writerow(["L2", "Espace numérique Wazemmes", holder, "59350"])
        writer.writerow(["L3", "Maison France Services", valid_siret(43), "59350"])
    report = importing.import_file(db=db, fmt="actors", path=places, source="lieux")
    assert report.created == 3
    moved = [
        (w.row, w.field, w.value) for w in report.warnings if "structure porteuse" in w.message
    ]
    assert moved == [(2, "siret", holder), (3, "siret", holder)]
    with db.connect() as conn:
        rows = conn.exec_driver_sql(
            "SELECT name, siret, siren, holder_siret FROM actor ORDER BY name"
        ).all()
    assert [tuple(r) for r in rows] == [
        ("Espace numérique Wazemmes", None, None, holder),
        ("Maison France Services", valid_siret(43), valid_siret(43)[:9], None),
        ("Médiathèque centre", None, None, holder),
    ]
    # the holder itself, from another source, holds its SIRET; the places stay as they are
    created = actors.create_actor(
        db=db, values={"name": "Ville de Lille", "siret": holder, "world": "public"}
    )
    assert created["siret"] == holder
    again = importing.import_file(db=db, fmt="actors", path=places, source="lieux")
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    # the service refuses a second holder, naming the first
    with pytest.raises(DuplicateIdentity, match=f"{created['id']} « Ville de Lille »"):
        actors.create_actor(db=db, values={"name": "Mairie de Lille", "siret": holder})
    other = actors.create_actor(db=db, values={"name": "CCAS de Lille"})
    with pytest.raises(DuplicateIdentity, match="SIRET"):
        actors.update_actor(db=db, actor_id=other["id"], changes={"siret": holder})


def test_the_database_refuses_a_second_holder_whatever_the_path(db: sa.Engine) -> None:
    # Below the service's check (as a racing writer would): the unique index decides.
    from maillage.storage.audit import Context
    from maillage.storage.registry import actors as repository

    siret = valid_siret(77)
    with transaction(db) as conn:
        repository.create(conn, {"name": "Un", "siret": siret, "extra": {}}, ctx=Context())
    with pytest.raises(DuplicateIdentity), transaction(db) as conn:
        repository.create(conn, {"name": "Deux", "siret": siret, "extra": {}}, ctx=Context())
    with pytest.raises(DuplicateIdentity), transaction(db) as conn:
        ident = {"name": "Trois", "extra": {}, "identifiers": ["source:x:1"]}
        repository.create_many(conn, [ident, {**ident, "name": "Quatre"}], ctx=Context())
    assert [name for _, name in _live(db)] == ["Un"]


@pytest.mark.parametrize(
    "engine", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def test_the_tables_are_what_the_migrations_build(
    engine: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    db = _fresh(request, engine, tmp_path, 0)
    with db.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        differences = [
            d for d in compare_metadata(context, metadata)
            if not _search_index(d)
        ]  # fmt: skip
    assert differences == []
    db.dispose()


def _search_index(difference: Any) -> bool:
    """The full-text indexes' own tables (FTS5 on SQLite, a tsvector table on
    PostgreSQL), of actors and of resources, are created by the migrations outside the
    metadata, on purpose."""
    kind, item = difference[0], difference[1]
    own = ("actor_fts", "actor_search", "resource_fts", "resource_title_fts",
           "resource_search", "resource_index_state")  # fmt: skip
    if kind == "remove_table":
        return bool(item.name.startswith(own))
    if kind == "remove_index":
        return bool(item.table.name in ("actor_search", "resource_search"))
    return False


def _raw_actor(conn: sa.Connection, actor_id: int, name: str, siret: str) -> None:
    conn.exec_driver_sql(
        "INSERT INTO actor (id, name, siret, siren, digital_profile, extra, version, "
        "created_at, updated_at) VALUES (?, ?, ?, ?, 'unknown', '{}', 1, "
        "'2026-01-01 00:00:00+00:00', '2026-01-01 00:00:00+00:00')",
        (actor_id, name, siret, siret[:9]),
    )


def test_migration_0005_moves_shared_sirets_audited_and_stops_on_shared_keys(
    tmp_path: Path,
) -> None:
    siret = valid_siret(5)
    engine = make_engine(f"sqlite:///{tmp_path / 'old.sqlite'}")
    migrate.upgrade(engine, "0004")
    with transaction(engine) as conn:  # two places of one commune, as 0004 stored them
        _raw_actor(conn, 1, "Médiathèque", siret)
        _raw_actor(conn, 2, "Espace numérique", siret)
        _raw_actor(conn, 3, "Seul", valid_siret(6))
    migrate.upgrade(engine)
    with engine.connect() as conn:
        rows = conn.exec_driver_sql("SELECT id, siret, holder_siret FROM actor ORDER BY id")
        assert [tuple(r) for r in rows] == [(1, None, siret), (2, None, siret),
                                            (3, valid_siret(6), None)]  # fmt: skip
        changes = conn.exec_driver_sql(
            'SELECT c.id, c.entity_id, c."user" FROM change c ORDER BY c.id'
        ).all()
    assert [(r[1], r[2]) for r in changes] == [(1, "migration 0005"), (2, "migration 0005")]
    # undoable: the first place gets its SIRET back; the second would be its second holder
    history.undo_change(db=engine, change_id=changes[0][0])
    with pytest.raises(Conflict, match="SIRET"):
        history.undo_change(db=engine, change_id=changes[1][0])
    with engine.connect() as conn:
        rows = conn.exec_driver_sql("SELECT id, siret, holder_siret FROM actor ORDER BY id")
        assert [tuple(r) for r in rows] == [(1, siret, None), (2, None, siret),
                                            (3, valid_siret(6), None)]  # fmt: skip
    engine.dispose()

    stuck = make_engine(f"sqlite:///{tmp_path / 'stuck.sqlite'}")
    migrate.upgrade(stuck, "0004")
    with transaction(stuck) as conn:  # what the race of two imports left on PostgreSQL
        _raw_actor(conn, 1, "A", valid_siret(8))
        _raw_actor(conn, 2, "A", valid_siret(9))
        conn.exec_driver_sql(
            "INSERT INTO actor_identifier VALUES (1, 'source:f:1'), (2, 'source:f:1')"
        )
    with pytest.raises(Exception, match=r"source:f:1 \(2 acteurs\).*maillage review"):
        migrate.upgrade(stuck)
    stuck.dispose()


def test_an_actor_twice_in_a_file_with_a_stored_siret_updates_the_stored_actor(
    db: sa.Engine, tmp_path: Path
) -> None:
    # A user trial: the same association twice in a new file (another e-mail), its SIRET
    # already on the map: the stored actor is completed, never doubled nor made a "place".
    siret = valid_siret(91)
    first = tmp_path / "a" / "assos.csv"
    first.parent.mkdir()
    first.write_text(f"nom,adresse,code_postal,commune,siret\nTi Numérik,2 rue Kéréon,29000,"
                     f"Quimper,{siret}\n", encoding="utf-8")  # fmt: skip
    assert importing.import_file(db=db, fmt="actors", path=first, source="w").created == 1
    again = tmp_path / "b" / "assos.csv"
    again.parent.mkdir()
    again.write_text(
        "nom,code_postal,commune,courriel,siret\n"
        f"Ti Numérik,29000,Quimper,contact@tinumerik.bzh,{siret}\n"
        f"Ti Numérik,29000,Quimper,nouveau@tinumerik.bzh,{siret}\n",
        encoding="utf-8",
    )
    report = importing.import_file(db=db, fmt="actors", path=again, source="w")
    assert (report.created, report.merged) == (0, 2), report.to_dict()
    assert [s for s, _ in _live(db)] == [siret]
    assert not [w for w in report.warnings if "structure porteuse" in w.message]


@pytest.mark.postgres
def test_a_deadlock_the_database_breaks_is_a_conflict_to_do_again(
    request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    db = _fresh(request, "postgresql", tmp_path, 0)
    first = actors.create_actor(db=db, values={"name": "Un"})["id"]
    second = actors.create_actor(db=db, values={"name": "Deux"})["id"]
    locked = threading.Barrier(2)

    def crossing(a: int, b: int) -> str:
        with transaction(db) as conn:  # each holds one row, then asks for the other's
            conn.exec_driver_sql("UPDATE actor SET version = version WHERE id = %s", (a,))
            locked.wait()
            conn.exec_driver_sql("UPDATE actor SET version = version WHERE id = %s", (b,))
        return "done"

    results = _together(lambda: crossing(first, second), lambda: crossing(second, first))
    assert sorted(map(type, results), key=str) == sorted([str, Conflict], key=str)
    refused = next(r for r in results if isinstance(r, Conflict))
    assert "recommencez" in str(refused) and "rien n'a été écrit" in str(refused)
    db.dispose()
