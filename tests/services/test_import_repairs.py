"""What an import repairs or refuses, as the user reads it in the report: invisible
characters removed from names, a contract tying an actor to itself named by its record."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa

from maillage.model.errors import InvalidInput
from maillage.model.records import ActorRecord, ImportIssue
from maillage.services import actors, importing
from maillage.services.importing import cleaning, reference
from storage.dump import dump

RLO, ZWSP, RLM = "\u202e", "\u200b", "\u200f"


def _csv(path: Path, *lines: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _names(db: sa.Engine) -> list[str]:
    with db.connect() as conn:
        return sorted(conn.execute(sa.text("SELECT name FROM actor")).scalars())


def test_invisible_characters_are_removed_and_reported(db: sa.Engine, tmp_path: Path) -> None:
    path = _csv(
        tmp_path / "acteurs" / "acteurs.csv",
        "nom,sigle,adresse,code_commune",
        f"Asso{RLO}ciation du {ZWSP}quartier,A{RLM}B,1 rue{ZWSP} Nationale,59350",
        "Médiathèque,,,59350",
    )
    report = importing.import_file(db=db, fmt="actors", path=path)
    assert (report.status, report.created, report.rejected) == ("done", 2, 0)
    assert _names(db) == ["Association du quartier", "Médiathèque"]
    with db.connect() as conn:
        stored = conn.execute(
            sa.text("SELECT acronym, address FROM actor WHERE acronym IS NOT NULL")
        )
        assert stored.one() == ("AB", "1 rue Nationale")
    repairs = [(i.field, i.value, i.message, i.file) for i in report.warnings]
    assert repairs == [
        ("name", "U+202E, U+200B", "caractères invisibles retirés (U+202E, U+200B) : "
         "« Association du quartier »", "acteurs.csv"),
        ("acronym", "U+200F", "« Association du quartier » : caractères invisibles retirés "
         "(U+200F) : « AB »", "acteurs.csv"),
        ("address", "U+200B", "« Association du quartier » : caractères invisibles retirés "
         "(U+200B) : « 1 rue Nationale »", "acteurs.csv"),
    ]  # fmt: skip


def test_name_of_invisible_characters_only_is_refused_with_its_row(
    db: sa.Engine, tmp_path: Path
) -> None:
    path = _csv(
        tmp_path / "acteurs" / "acteurs.csv",
        "nom,code_commune",
        "Médiathèque,59350",
        f"{ZWSP}{RLM} ,59350",
    )
    start = dump(db)
    report = importing.import_file(db=db, fmt="actors", path=path)
    assert (report.status, report.rejected, report.not_written) == ("failed", 2, 1)
    assert [(i.row, i.field, i.value, i.message) for i in report.issues] == [
        (3, "name", "U+200B, U+200F", "nom vide une fois retirés ses caractères invisibles")
    ]
    assert dump(db) == start


def test_invisible_characters_warning_names_the_row(db: sa.Engine, tmp_path: Path) -> None:
    path = _csv(tmp_path / "a" / "acteurs.csv", "nom,code_commune", f"Asso{RLO},59350")
    report = importing.import_file(db=db, fmt="actors", path=path)
    assert [(i.row, i.field) for i in report.warnings] == [(2, "name")]


def test_clean_actor_reports_invisible_characters_at_the_row_given(db: sa.Engine) -> None:
    warnings: list[ImportIssue] = []
    record = ActorRecord(name=f"Asso{RLO}", commune_code="59350")
    with db.connect() as conn:
        ref = reference._Reference(conn)
        values = cleaning._clean_actor(record, "k", "test", ref, warnings.append, row=12)
        assert values["name"] == "Asso"
        assert [(i.row, i.field, i.severity) for i in warnings] == [(12, "name", "warning")]
        with pytest.raises(InvalidInput) as caught:
            cleaning._clean_actor(ActorRecord(name=ZWSP), "k", "test", ref, warnings.append)
    assert caught.value.field == "name"


def test_actor_typed_in_a_form_is_stored_without_invisible_characters(db: sa.Engine) -> None:
    created = actors.create_actor(
        db=db, values={"name": f"Cent{RLO}re social", "world": "associative"}
    )
    assert created["name"] == "Centre social"
    with pytest.raises(InvalidInput) as caught:
        actors.create_actor(db=db, values={"name": f"{ZWSP}{RLM}", "world": "associative"})
    assert caught.value.field == "name"


def _contract(uid: str, buyer: str, *holders: str) -> dict[str, object]:
    return {
        "uid": uid,
        "objet": "Maintenance",
        "montant": 1000,
        "dateNotification": "2019-03-12",
        "acheteur": {"id": buyer, "nom": "Ville"},
        "titulaires": [
            {"id": h, "typeIdentifiant": "SIRET", "denominationSociale": f"Titulaire {h}"}
            for h in holders
        ],
    }


def test_contract_whose_buyer_is_its_holder_is_refused_naming_its_record(
    db: sa.Engine, tmp_path: Path
) -> None:
    city, firm = "21590350100017", "35600000000048"
    path = tmp_path / "decp.json"
    records = [
        _contract("C1", city, firm),
        _contract("C2", city, city),
        _contract("C3", firm, firm),
    ]
    path.write_text(json.dumps({"marches": records}), encoding="utf-8")
    report = importing.import_file(db=db, fmt="decp", path=path, partial=True)
    assert [(i.row, i.field, i.value, i.message, i.file) for i in report.issues] == [
        (2, "target_id", city, "un lien relie deux acteurs distincts (réf. C2)", "decp.json"),
        (3, "target_id", firm, "un lien relie deux acteurs distincts (réf. C3)", "decp.json"),
    ]
    assert (report.rejected, report.details["links"]["created"]) == (2, 1)


def test_postcode_padded_is_checked_against_the_commune(db: sa.Engine, tmp_path: Path) -> None:
    path = _csv(
        tmp_path / "acteurs" / "acteurs.csv",
        "nom,code_postal,code_commune",
        "Bourg,1000,01053",  # Bourg-en-Bresse: 01000 is its postcode
        "Lille,1000,59350",  # Excel lost no zero here: 1000 is no postcode of Lille
        "Roubaix,59100,59512",
        "Paris 10e,75010,75056",  # a postcode of an arrondissement of the commune
    )
    report = importing.import_file(db=db, fmt="actors", path=path)
    assert (report.status, report.created, report.rejected) == ("done", 4, 0)
    repairs = [(i.row, i.field, i.value, i.message) for i in report.warnings]
    padded = "code postal réparé en 01000 (zéro initial perdu restauré)"
    assert repairs[:2] == [(2, "postcode", "1000", padded), (3, "postcode", "1000", padded)]
    assert [(i.field, i.value, i.message) for i in report.warnings[2:]] == [
        ("postcode", "01000", "le code postal 01000 n'est pas celui de la commune 59350 "
         "(Lille) mais de Bourg-en-Bresse, Saint-Denis-lès-Bourg : gardé tel quel, à vérifier"),
    ]  # fmt: skip


def test_a_commune_name_is_looked_for_in_the_postcodes_departement(db: sa.Engine) -> None:
    # A user trial: « Ambleville » with postcode 16300 (Charente, a commune merged since)
    # went to Ambleville, Val-d'Oise (95011), the only commune of that name left.
    with db.connect() as conn:
        ref = reference._Reference(conn)
        charente = ActorRecord(name="Mairie", commune_name="Ambleville", postcode="16300")
        assert ref.commune_of(charente) != "95011"
        val_doise = ActorRecord(name="Mairie", commune_name="Ambleville", postcode="95710")
        assert ref.commune_of(val_doise) == "95011"
        no_postcode = ActorRecord(name="Mairie", commune_name="Ambleville")
        assert ref.commune_of(no_postcode) == "95011"  # the name alone: its only commune


@pytest.mark.parametrize(
    ("postcode", "departement"),
    [("16300", "DEP:16"), ("20167", "DEP:2A"), ("20200", "DEP:2B"), ("97110", "DEP:971"),
     ("01000", "DEP:01"), ("", None), ("1600", None)],
)  # fmt: skip
def test_the_departement_of_a_postcode(postcode: str, departement: str | None) -> None:
    from maillage.model.identifiers import departement_of_postcode

    assert departement_of_postcode(postcode) == departement
