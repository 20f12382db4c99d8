"""Imports on both engines: all or nothing, re-import without duplicates, undo a batch."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

import pytest
import sqlalchemy as sa

from maillage.io.tabular import parse_actor_table
from maillage.model.errors import InvalidInput
from maillage.model.records import ActorRecord, CheckedActor, LinkRecord
from maillage.services import history, importing
from maillage.services.importing import cleaning, reference
from maillage.storage.tables import batch
from storage.dump import dump


def _actors() -> list[ActorRecord]:
    return [
        ActorRecord(
            name="Université de Lille",
            key="A1",
            world="academic",
            territories=["DEP:59"],
            commune_name="Villeneuve-d'Ascq",
        ),
        ActorRecord(name="Emmaüs Connect", key="A2", world="associative", commune_code="59350"),
        ActorRecord(name="Orange", key="A3", world="economic", territories=["DEP:988"]),
    ]


def _links() -> list[LinkRecord]:
    return [
        LinkRecord(source_key="A1", target_key="A2", kind="anr_copartnership", weight=2.0),
        LinkRecord(source_key="A2", target_key="A3", kind="funding", amount=1500.0),
    ]


def test_import_twice_creates_no_duplicate_and_undo_removes_only_it(db: sa.Engine) -> None:
    start = dump(db)
    first = importing.import_actors(db=db, records=_actors(), source="test")
    assert (first.created, first.rejected) == (3, 0)
    after_actors = dump(db)
    report = importing.import_links(db=db, records=_links(), source="test")
    assert report.created == 2
    again = importing.import_actors(db=db, records=_actors(), source="test")
    assert (again.created, again.unchanged) == (0, 3)
    assert importing.import_links(db=db, records=_links(), source="test").created == 0
    with db.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM actor").scalar_one() == 3
        commune = conn.exec_driver_sql(
            "SELECT commune_code FROM actor WHERE name = 'Université de Lille'"
        ).scalar_one()
        kinds = sorted(conn.exec_driver_sql("SELECT kind FROM link").scalars())
    assert commune == "59009"
    assert kinds == ["funding", "research_collaboration"]
    assert report.batch_id is not None
    history.undo_batch(db=db, batch_id=report.batch_id)
    assert dump(db) == after_actors
    assert first.batch_id is not None
    history.undo_batch(db=db, batch_id=first.batch_id)
    assert dump(db) == start


@pytest.mark.parametrize("partial", [False, True])
def test_bad_rows_are_listed_and_all_or_nothing(db: sa.Engine, partial: bool) -> None:
    records = [
        *_actors(),
        ActorRecord(name="Mauvais SIRET", key="A4", siret="12345678901234"),
        ActorRecord(name="Commune inconnue", key="A5", commune_code="99999"),
    ]
    start = dump(db)
    report = importing.import_actors(db=db, records=records, source="test", partial=partial)
    assert report.rejected - report.not_written == 2  # the rows in error
    assert [(i.row, i.field) for i in report.issues] == [(5, "siret"), (6, "commune_code")]
    if partial:
        assert report.created == 3
    else:  # refused: the three valid rows are rejected with it, not written
        assert (report.rejected, report.not_written) == (5, 3)
        assert report.status == "failed" and dump(db) == start


def test_links_with_unknown_ends_are_rejected(db: sa.Engine) -> None:
    importing.import_actors(db=db, records=_actors(), source="test")
    before = dump(db)
    report = importing.import_links(
        db=db, records=[*_links(), LinkRecord(source_key="A1", target_key="ZZ")], source="test"
    )
    assert report.status == "failed" and report.issues[0].field == "target_key"
    assert dump(db) == before


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_import_file_reads_the_format_and_names_the_source(db: sa.Engine, tmp_path: Path) -> None:
    path = _write(tmp_path / "atelier" / "acteurs.csv",
                  "nom;ville;siret\nEmmaüs Connect;Lille;\nMauvais;Lille;12345678901234\n")  # fmt: skip
    failed = importing.import_file(
        db=db, fmt="actors", path=path, mapping={"ville": "commune_name"}
    )
    assert (failed.status, failed.source, failed.file) == ("failed", "atelier", str(path))
    assert [(i.row, i.field) for i in failed.issues] == [(3, "siret")]
    done = importing.import_file(db=db, fmt="actors", path=path, source="mon-atelier",
                                 mapping={"ville": "commune_name"}, partial=True, user="anne")  # fmt: skip
    assert (done.status, done.created, done.rejected, done.source) == ("done", 1, 1, "mon-atelier")
    with db.connect() as conn:
        row = conn.exec_driver_sql("SELECT source, commune_code FROM actor").one()
        user = conn.execute(sa.select(batch.c.user).where(batch.c.id == done.batch_id)).scalar()
    assert tuple(row) == ("mon-atelier", "59350") and user == "anne"


def test_a_shipped_network_is_one_batch(db: sa.Engine, tmp_path: Path) -> None:
    folder = tmp_path / "reseau-test"
    _write(folder / "actors.csv", "id,nom,monde\nA1,Université de Lille,academic\n"
                                  "A2,Emmaüs Connect,associative\n")  # fmt: skip
    _write(folder / "links.csv", "source,target,type\nA1,A2,anr_copartnership\n")
    start = dump(db)
    report = importing.import_file(db=db, fmt="network", path=folder, file="actors + links")
    assert (report.kind, report.source, report.file) == ("network", "reseau-test", "actors + links")
    assert (report.rows, report.created) == (3, 3)
    assert report.details["links"]["created"] == 1 and report.batch_id is not None
    history.undo_batch(db=db, batch_id=report.batch_id)  # the actors and their link together
    assert dump(db) == start


def test_import_file_dispatches_needs_and_refuses_what_it_cannot_read(
    db: sa.Engine, tmp_path: Path
) -> None:
    path = _write(tmp_path / "besoins.csv", "territoire;thème\n59;Inclusion numérique\n")
    report = importing.import_file(db=db, fmt="needs", path=path, dry_run=True)
    assert (report.kind, report.status, report.created, report.file) == (
        "needs", "dry_run", 1, "besoins.csv")  # fmt: skip
    with pytest.raises(InvalidInput, match="needs"):
        importing.import_file(db=db, fmt="besoins", path=path)
    with pytest.raises(InvalidInput, match="--map ne s'applique pas"):
        importing.import_file(db=db, fmt="gexf", path=path, mapping={"a": "b"})
    assert importing.default_source("decp", path) == "decp"
    assert importing.default_source("gexf", tmp_path / "carte.gexf") == "carte"


def test_what_a_table_leaves_to_the_service_is_still_checked(db: sa.Engine, tmp_path: Path) -> None:
    """A table's records skip only the rules their parser applied (identifiers, codes):
    a name too long and a lone latitude are rejected on their file row and field."""
    path = _write(tmp_path / "acteurs.csv",
                  "nom;code_insee;latitude\nBon;59350;\n" + "x" * 501 + ";59350;\n"
                  "Sans longitude;59350;50.6\n")  # fmt: skip
    report = importing.import_file(db=db, fmt="actors", path=path, partial=True)
    assert (report.created, report.rejected) == (1, 2)
    assert [(i.file, i.row, i.field, i.message) for i in report.issues] == [
        ("acteurs.csv", 3, "name", "au plus 500 caractères"),
        ("acteurs.csv", 4, "longitude", "latitude et longitude vont ensemble"),
    ]


def test_a_table_s_records_clean_to_what_every_rule_gives(sqlite_db: sa.Engine) -> None:
    """The fields a table parser checked (CheckedActor) are not checked again: the
    values the import stores are those of the same record with every rule applied."""
    rows = [
        {"id": "A1", "nom": " Emmaüs Connect ", "siret": "794 408 633 00038", "siren": "",
         "code_postal": "59000", "code_insee": "59350", "monde": "associatif",
         "site": "www.Exemple.fr", "courriel": "a@B.FR", "themes": "emploi|culture|emploi",
         "forme_juridique": "9220", "rna": "w595000001"},
        {"id": "A2", "nom": "Mairie", "siren": "217 503 507", "code_postal": "59000",
         "code_insee": "59350.0", "monde": "public"},
    ]  # fmt: skip
    parsed = parse_actor_table(rows, source="test")
    assert len(parsed.actors) == 2 and not parsed.errors
    with sqlite_db.connect() as conn:
        ref = reference._Reference(conn)
        for record in parsed.actors:
            assert isinstance(record, CheckedActor)
            plain = ActorRecord(**{f.name: getattr(record, f.name) for f in fields(ActorRecord)})
            assert plain == record and record == plain
            key = importing.import_key(record)
            checked = cleaning._clean_actor(record, key, "test", ref, print)
            assert checked == cleaning._clean_actor(plain, key, "test", ref, print)
            assert checked["name"] and checked.get("siren")
