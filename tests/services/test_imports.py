"""Imports on both engines: all or nothing, re-import without duplicates, undo a batch."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from maillage.model.records import ActorRecord, LinkRecord
from maillage.services import history, importing
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
    assert report.rejected == 2
    assert [(i.row, i.field) for i in report.issues] == [(5, "siret"), (6, "commune_code")]
    if partial:
        assert report.created == 3
    else:
        assert report.status == "failed" and dump(db) == start


def test_links_with_unknown_ends_are_rejected(db: sa.Engine) -> None:
    importing.import_actors(db=db, records=_actors(), source="test")
    before = dump(db)
    report = importing.import_links(
        db=db, records=[*_links(), LinkRecord(source_key="A1", target_key="ZZ")], source="test"
    )
    assert report.status == "failed" and report.issues[0].field == "target_key"
    assert dump(db) == before
