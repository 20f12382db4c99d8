"""Actor use cases on SQLite and PostgreSQL: validation, versions, soft delete, undo."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from builders import make_actor, valid_siret
from maillage.model.errors import Conflict, InvalidInput, NotFound
from maillage.services import actors, history
from maillage.storage.tables import change
from storage.dump import dump


def _changes(db: sa.Engine) -> int:
    with db.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(change)).scalar_one()


def test_create_normalises_identifiers_and_reads_back(db: sa.Engine) -> None:
    siret = valid_siret(42)
    created = actors.create_actor(
        db=db,
        values=make_actor(
            name="  Emmaüs Connect ",
            siret=f"{siret[:3]} {siret[3:]}",
            rna="w595000123",
            latitude="50,69",
            longitude=3.18,
        ),
    )
    got = actors.get_actor(db=db, actor_id=created["id"])
    assert got["name"] == "Emmaüs Connect"
    assert got["siret"] == siret and got["siren"] == siret[:9]
    assert got["rna"] == "W595000123"
    assert (got["latitude"], got["longitude"]) == (50.69, 3.18)
    assert got["version"] == 1 and got["themes"] == ["inclusion-numerique"]


@pytest.mark.parametrize(
    ("field", "values"),
    [
        ("siret", {"siret": "12345678901234"}),
        ("siren", {"siren": "123456788"}),
        ("rna", {"rna": "W12345"}),
        ("commune_code", {"commune_code": "99999"}),
        ("commune_code", {"commune_code": "2C001"}),
        ("coordinates", {"latitude": 40.0, "longitude": -30.0}),
        ("world", {"world": "martian"}),
        ("name", {"name": "   "}),
    ],
)
def test_invalid_input_names_the_field_and_writes_nothing(
    db: sa.Engine, field: str, values: dict[str, object]
) -> None:
    actors.create_actor(db=db, values=make_actor())
    before, before_changes = dump(db), _changes(db)
    with pytest.raises(InvalidInput) as info:
        actors.create_actor(db=db, values=make_actor(**values))
    assert info.value.field == field
    assert field in str(info.value)
    assert dump(db) == before and _changes(db) == before_changes


def test_corsican_and_overseas_communes_are_accepted(db: sa.Engine) -> None:
    for code in ("2A004", "2B033", "97411"):
        assert (
            actors.create_actor(db=db, values=make_actor(commune_code=code))["commune_code"] == code
        )


def test_stale_update_is_a_conflict_and_changes_nothing(db: sa.Engine) -> None:
    created = actors.create_actor(db=db, values=make_actor())
    actors.update_actor(
        db=db, actor_id=created["id"], changes={"acronym": "AT"}, expected_version=1
    )
    before = dump(db)
    with pytest.raises(Conflict, match="version"):
        actors.update_actor(
            db=db, actor_id=created["id"], changes={"acronym": "XX"}, expected_version=1
        )
    assert dump(db) == before
    assert actors.get_actor(db=db, actor_id=created["id"])["version"] == 2


def test_delete_is_soft_and_undo_restores_exactly(db: sa.Engine) -> None:
    created = actors.create_actor(db=db, values=make_actor(name="Tiers-lieu du Nord"))
    before = dump(db)
    actors.delete_actor(db=db, actor_id=created["id"])
    with pytest.raises(NotFound):
        actors.get_actor(db=db, actor_id=created["id"])
    assert actors.search_actors(db=db, query="tiers-lieu") == []
    trail = history.entity_history(db=db, entity="actor", entity_id=created["id"])
    assert [c["action"] for c in trail] == ["create", "delete"]
    history.undo_change(db=db, change_id=trail[-1]["id"])
    assert dump(db) == before
    assert [a["id"] for a in actors.search_actors(db=db, query="tiers lieu nord")] == [
        created["id"]
    ]


def test_undo_refuses_when_later_changes_exist(db: sa.Engine) -> None:
    created = actors.create_actor(db=db, values=make_actor())
    actors.update_actor(db=db, actor_id=created["id"], changes={"acronym": "A1"})
    actors.update_actor(db=db, actor_id=created["id"], changes={"acronym": "A2"})
    first_update = history.entity_history(db=db, entity="actor", entity_id=created["id"])[1]
    with pytest.raises(Conflict, match="annulez d'abord"):
        history.undo_change(db=db, change_id=first_update["id"])
    assert actors.get_actor(db=db, actor_id=created["id"])["acronym"] == "A2"


def test_bulk_create_is_one_batch_undone_in_one_command(db: sa.Engine) -> None:
    start = dump(db)
    batch_id, ids = actors.create_actors(db=db, rows=[make_actor() for _ in range(30)])
    assert len(ids) == 30 and len(set(ids)) == 30
    history.undo_batch(db=db, batch_id=batch_id)
    assert dump(db) == start


def test_bulk_create_rejects_all_rows_on_one_bad_row(db: sa.Engine) -> None:
    start = dump(db)
    rows = [make_actor(), make_actor(siret="00000000000001"), make_actor()]
    with pytest.raises(InvalidInput, match="ligne 2"):
        actors.create_actors(db=db, rows=rows)
    assert dump(db) == start


def test_search_folds_accents_case_and_plurals(db: sa.Engine) -> None:
    a = actors.create_actor(db=db, values=make_actor(name="Médiation Numerique Lille"))
    b = actors.create_actor(db=db, values=make_actor(name="Réseau des médiations numériques"))
    actors.create_actor(db=db, values=make_actor(name="Banque alimentaire"))
    c = actors.create_actor(
        db=db, values=make_actor(name="Coop", description="La médiation numérique pour tous")
    )
    found = {a["id"] for a in actors.search_actors(db=db, query="médiation numérique")}
    assert found == {a["id"], b["id"], c["id"]}


def test_search_matches_commune_name(db: sa.Engine) -> None:
    created = actors.create_actor(
        db=db, values=make_actor(name="Centre social", commune_code="59512")
    )
    assert [a["id"] for a in actors.search_actors(db=db, query="roubaix")] == [created["id"]]


def test_nul_characters_are_rejected_on_both_engines(db: sa.Engine) -> None:
    before = dump(db)
    with pytest.raises(InvalidInput, match="NUL"):
        actors.create_actor(db=db, values=make_actor(description="a\x00b"))
    assert dump(db) == before


def test_restore_brings_a_deleted_actor_back_and_is_audited(db: sa.Engine) -> None:
    created = actors.create_actor(db=db, values=make_actor(name="Maison France Services"))
    actors.delete_actor(db=db, actor_id=created["id"])
    restored = actors.restore_actor(db=db, actor_id=created["id"])
    assert restored["deleted_at"] is None and restored["version"] == 3
    assert [a["id"] for a in actors.search_actors(db=db, query="france services")] == [
        created["id"]
    ]
    trail = history.entity_history(db=db, entity="actor", entity_id=created["id"])
    assert [c["action"] for c in trail] == ["create", "delete", "restore"]
    with pytest.raises(Conflict, match="n'est pas supprimé"):
        actors.restore_actor(db=db, actor_id=created["id"])
    history.undo_change(db=db, change_id=trail[-1]["id"])
    with pytest.raises(NotFound):
        actors.get_actor(db=db, actor_id=created["id"])


def test_bulk_create_keeps_quoted_user_source_and_undoes_as_one_batch(db: sa.Engine) -> None:
    """Batch constants (user, source, stamps) with quotes are stored exactly as given."""
    rows = [make_actor(name=f"Tiers-lieu {i}", siret=valid_siret(i)) for i in range(3)]
    user, source = 'o\'brien "admin"', "import d'Armor; DROP TABLE actor; --"
    before = dump(db)
    batch_id, ids = actors.create_actors(db=db, rows=rows, user=user, source=source)
    with db.connect() as conn:
        stored = conn.execute(
            sa.select(change.c.user, change.c.source, change.c.batch_id, change.c.action).where(
                change.c.entity == "actor", change.c.entity_id.in_(ids)
            )
        ).all()
    assert sorted(stored) == [(user, source, batch_id, "create")] * 3
    created = [actors.get_actor(db=db, actor_id=i) for i in ids]
    assert [a["name"] for a in created] == ["Tiers-lieu 0", "Tiers-lieu 1", "Tiers-lieu 2"]
    assert {(a["version"], a["digital_profile"], a["extra"].__class__) for a in created} == {
        (1, "unknown", dict)
    }
    history.undo_batch(db=db, batch_id=batch_id, user="cli")
    assert dump(db) == before


@pytest.mark.parametrize("goal", ["0", "18", "3.5", "3,5", "trois"])
def test_a_wrong_sdg_is_refused_naming_the_field(goal: str) -> None:
    from maillage.services.validation import clean_actor

    with pytest.raises(InvalidInput) as caught:
        clean_actor({"name": "A", "sdgs": [goal]})
    assert caught.value.field == "sdgs"


def test_sdgs_written_as_numbers_are_kept_once_in_order() -> None:
    from maillage.services.validation import clean_actor

    assert clean_actor({"name": "A", "sdgs": ["17", 4, "4,0", 1.0]})["sdgs"] == [1, 4, 17]
