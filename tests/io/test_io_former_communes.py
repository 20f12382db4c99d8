"""Places named by a former commune (issue 24, user trial): eight places of Charente got
no commune because their file names the commune they were before it merged into a
commune nouvelle (« Ambleville » 16300 is now part of Lignières-Ambleville). The name is
looked up among the communes déléguées and associées and La Poste's line 5 of the
postcode's département, the current commune is used, and the report says so."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from maillage.services import importing
from maillage.services.importing import reference

CHARENTE = (
    "nom;adresse;code_postal;commune\n"
    "Médiathèque de Mansle;1 place du Gardoire;16230;Mansle\n"
    "Espace France Services;Rue Paul Lavergne;16230;MANSLE\n"
    "Mairie;Le Bourg;16370;CHERVES-RICHEMONT\n"
    "Salle des fêtes;Le Bourg;16300;AMBLEVILLE\n"
    "Bibliothèque;2 rue de l'Église;16370;SAINT-SULPICE-DE-COGNAC\n"
    "Foyer rural;Place de la Mairie;16330;Vars\n"
    "Agence postale;Le Bourg;16120;MOSNAC\n"
    "Point numérique;Le Bourg;16120;MALAVILLE\n"
    "Tiers-lieu;Route de Barbezieux;16250;BLANZAC PORCHERESSE\n"
    "Centre social;8 rue Marcel Pagnol;16300;BARBEZIEUX ST HILAIRE\n"
    "Maison des associations;1 rue de Cognac;16130;Segonzac\n"
)


def test_former_communes_of_charente_resolve_to_the_current_commune(
    db: sa.Engine, tmp_path: Path
) -> None:
    path = tmp_path / "lieux-charente.csv"
    path.write_text(CHARENTE, encoding="utf-8")
    report = importing.import_file(db=db, fmt="actors", path=path)
    assert (report.status, report.rows, report.created, report.rejected) == ("done", 11, 11, 0)
    assert report.rows == (
        report.created + report.updated + report.merged + report.unchanged + report.rejected
    )
    with db.connect() as conn:
        stored = dict(conn.execute(sa.text("SELECT name, commune_code FROM actor")).all())
    assert stored == {
        "Médiathèque de Mansle": "16206", "Espace France Services": "16206",  # Mansle-les-F.
        "Mairie": "16097", "Bibliothèque": "16097",  # Val-de-Cognac
        "Salle des fêtes": "16186",  # Lignières-Ambleville
        "Foyer rural": "16393",  # La Boixe
        "Agence postale": "16233",  # Mosnac-Saint-Simeux
        "Point numérique": "16204",  # Bellevigne
        "Tiers-lieu": "16046",  # Coteaux-du-Blanzacais
        "Centre social": "16028",  # Barbezieux-Saint-Hilaire
        "Maison des associations": "16366",  # Segonzac, a current commune: no warning
    }  # fmt: skip
    said = [(i.row, i.field, i.value, i.message) for i in report.warnings]
    assert said == [
        (2, "commune_name", "Mansle", "« Médiathèque de Mansle » : « Mansle » : commune "
         "déléguée de Mansle-les-Fontaines (16206) ; commune actuelle retenue"),
        (3, "commune_name", "MANSLE", "« Espace France Services » : « MANSLE » : commune "
         "déléguée de Mansle-les-Fontaines (16206) ; commune actuelle retenue"),
        (4, "commune_name", "CHERVES-RICHEMONT", "« Mairie » : « CHERVES-RICHEMONT » : "
         "commune déléguée de Val-de-Cognac (16097) ; commune actuelle retenue"),
        (5, "commune_name", "AMBLEVILLE", "« Salle des fêtes » : « AMBLEVILLE » : commune "
         "déléguée de Lignières-Ambleville (16186) ; commune actuelle retenue"),
        (6, "commune_name", "SAINT-SULPICE-DE-COGNAC", "« Bibliothèque » : "
         "« SAINT-SULPICE-DE-COGNAC » : commune déléguée de Val-de-Cognac (16097) ; "
         "commune actuelle retenue"),
        (7, "commune_name", "Vars", "« Foyer rural » : « Vars » : commune déléguée de "
         "La Boixe (16393) ; commune actuelle retenue"),
        (8, "commune_name", "MOSNAC", "« Agence postale » : « MOSNAC » : commune déléguée "
         "de Mosnac-Saint-Simeux (16233) ; commune actuelle retenue"),
        (9, "commune_name", "MALAVILLE", "« Point numérique » : « MALAVILLE » : lieu-dit ou "
         "ancienne commune de Bellevigne (16204) (La Poste) ; commune actuelle retenue"),
        (10, "commune_name", "BLANZAC PORCHERESSE", "« Tiers-lieu » : « BLANZAC "
         "PORCHERESSE » : lieu-dit ou ancienne commune de Coteaux-du-Blanzacais (16046) "
         "(La Poste) ; commune actuelle retenue"),
        (11, "commune_name", "BARBEZIEUX ST HILAIRE", "« Centre social » : « BARBEZIEUX ST "
         "HILAIRE » : lu comme Barbezieux-Saint-Hilaire (16028) ; commune actuelle retenue"),
    ]  # fmt: skip


def test_a_former_name_in_another_departement_is_not_taken(db: sa.Engine, tmp_path: Path) -> None:
    # « Mansle » is a commune déléguée of Charente only: with a Gironde postcode the
    # place keeps no commune (as before), and nothing claims one.
    path = tmp_path / "lieux.csv"
    path.write_text("nom;code_postal;commune\nMédiathèque;33290;Mansle\n", encoding="utf-8")
    report = importing.import_file(db=db, fmt="actors", path=path)
    assert (report.created, report.rejected) == (1, 0)
    with db.connect() as conn:
        assert conn.execute(sa.text("SELECT commune_code FROM actor")).scalar() is None
    assert not [i for i in report.warnings if i.field == "commune_name"]


def test_a_name_of_two_communes_is_said_and_not_chosen(db: sa.Engine) -> None:
    with db.connect() as conn:
        ref = reference._Reference(conn)
        assert ref.named_otherwise("Pont-Réan", "DEP:35", "35580") == (
            "35126", "« Pont-Réan » : lieu-dit ou ancienne commune de Guichen (35126) (La "
            "Poste) ; commune actuelle retenue",
        )  # fmt: skip
        assert ref.named_otherwise("Pont-Réan", "DEP:35", None) == (
            None, "« Pont-Réan » peut être : lieu-dit ou ancienne commune de Bruz (35047) "
            "(La Poste) ; lieu-dit ou ancienne commune de Guichen (35126) (La Poste) ; "
            "aucune commune retenue",
        )  # fmt: skip
