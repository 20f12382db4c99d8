"""Relations drawn from the stored places, on both engines.

Real rows: the 188 places of the Charente national-map export (imported under the
national map's source) and the 35 France Services sites of Charente in the August 2024
list (under the France Services source).
"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from maillage.io.france_services import read_france_services
from maillage.io.mediation import read_lieux_json
from maillage.services import importing
from maillage.services.analysis import load_graph
from maillage.services.relations import derive_relations, relation_coverage
from maillage.storage.tables import actor, link

CHARENTE = "mediation-numerique/cartographie-nationale/20230711-charente-lieux-de-mediation-numeriques-nouvelle-aquitaine.json"  # noqa: E501


def _load(db: sa.Engine, data_dir: Path) -> None:
    places = read_lieux_json(data_dir / CHARENTE)
    sites = read_france_services(data_dir / "france-services/liste-fs-20240801.csv")
    charente = [a for a in sites.actors if a.territories == ["DEP:16"]]
    for source, records, file in (
        ("cartographie-nationale", places.actors, CHARENTE),
        ("france-services", charente, "liste-fs-20240801.csv"),
    ):
        report = importing.import_records(
            db=db, kind="test", source=source, actor_records=records, file=file
        )
        assert report.status == "done"


def test_places_get_their_programmes_holders_and_carriers(db: sa.Engine, data_dir: Path) -> None:
    _load(db, data_dir)
    drawn = derive_relations(db=db)
    report = drawn["report"]
    assert (drawn["places"], drawn["france_services"]) == (188 + 35, 35)
    assert report["affiliations"] == {
        "france-services": 83 + 35, "conseillers-numeriques": 109, "aidants-connect": 68,
    }  # fmt: skip
    assert report["affiliations_missing"] == {"aucun label de programme national": 6}
    # 120 places give a SIRET: 53 of a commune or EPCI (the reference geography's SIREN),
    # 5 of La Poste, 62 of a structure no other source knows; 68 places and every site none
    assert report["holders"] == {
        "pivot : SIREN d'une collectivité du référentiel géographique": 53,
        "pivot : SIREN d'un acteur national (taxonomie national_actors)": 5,
    }
    assert report["holders_unknown"] == {
        "pas de pivot (absent ou fictif)": 68 + 35,
        "structure non trouvée dans les autres sources": 62,
    }
    # The 130 lieux without a holder (68 + 62) are read by their name: 26 name one
    # (« COMMUNE DE CHARME » or « Mairie de Mornac » in its département, « Mairie
    # Champmillon » the commune it is in, « CA DU GRAND COGNAC », « La Poste Communale »)
    assert report["carriers"] == {
        "national: la-poste": 10, "here: nom (lieu)": 16, "commune: nom (lieu)": 8,
        "epci: nom (lieu)": 1, "national: la-poste (lieu)": 1,
    }  # fmt: skip
    assert report["carriers_unknown"] == {
        "porteur non dit par la liste": 25, "nom sans porteur (lieu sans pivot)": 90,
        "association (nom)": 4, "centre social (nom)": 4, "CCAS / CIAS (nom)": 3,
        "epci non trouvé(e) (nom)": 3,
    }  # fmt: skip
    assert drawn["created"] == {"affiliation": 83 + 35 + 109 + 68, "holding": 53 + 5 + 10 + 26}
    with db.connect() as conn:
        row = conn.execute(
            sa.select(link.c.evidence, link.c.start_date, link.c.source, link.c.extra)
            .join(actor, actor.c.id == link.c.source_id)
            .where(
                link.c.kind == "affiliation",
                link.c.source == "france-services",
                actor.c.name == "France services La Poste de Chabanais",
            )
        ).first()
        programmes = conn.execute(
            sa.select(actor.c.name, actor.c.world, actor.c.description)
            .where(actor.c.source == "maillage-relations", actor.c.category == "service_de_l_etat")
            .order_by(actor.c.name)
        ).all()
    assert row is not None
    assert str(row.start_date) == "2020-09-01"  # « Espace labellisé 01/09/2020 »
    assert "liste-fs-20240801.csv" in row.evidence and "labellisation_fs" in row.evidence
    assert [(p.name, p.world) for p in programmes] == [
        ("Aidants Connect", "public"),
        ("Programme Conseillers numériques France Services", "public"),
        ("Programme France Services", "public"),
    ]
    assert all("ANCT" in (p.description or "") for p in programmes)
    coverage = relation_coverage(db=db)
    assert coverage["with_relation"] == 188 + 35 - 6  # the 6 without label have no pivot
    assert coverage["tied"] == 53 + 5 + 10 + 26
    again = derive_relations(db=db)
    assert again["created"] == {} and again["actors_created"] == 0


def test_affiliations_stay_out_of_the_measures_unless_asked(db: sa.Engine, data_dir: Path) -> None:
    _load(db, data_dir)
    drawn = derive_relations(db=db)
    default = load_graph(db=db)
    both = load_graph(db=db, include_kinds=["affiliation"])
    assert default.m == drawn["created"]["holding"]  # 94 holder-place pairs, no affiliation
    assert both.m == default.m + drawn["created"]["affiliation"]
