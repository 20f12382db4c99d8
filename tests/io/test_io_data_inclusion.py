"""data·inclusion structures and services from JSON and CSV: the accepted path."""

from __future__ import annotations

from maillage.io.data_inclusion import attach_services, parse_data_inclusion
from maillage.io.reading import parse_csv_text

STRUCTURES_CSV = (
    "source,id,nom,date_maj,siret,code_postal,code_insee,commune,adresse,courriel,"
    "site_web,reseaux_porteurs,latitude\n"
    "dora,dora--1,Centre social Le Tournesol,2025-02-14,21590350100017,59000,59350,Lille,"
    '1 rue X,contact@tournesol.fr,https://tournesol.fr,"ccas-cias, communes","50,63"\n'
    "dora,dora--2,X.,14/02/2025,,7500,,,,pas une adresse,,inconnu,\n"
)


def test_structures_csv_accepted_and_rejected_rows() -> None:
    result = parse_data_inclusion(parse_csv_text(STRUCTURES_CSV, file="s.csv"), "structure")
    assert (result.rows, result.accepted, result.rejected_rows) == (2, 1, [3])
    (actor,) = result.actors
    assert (actor.key, actor.siret, actor.postcode, actor.latitude) == (
        "dora--1", "21590350100017", "59000", 50.63,
    )  # fmt: skip
    assert (actor.world, actor.classification_rule) == ("public", "typologie:CCAS")
    assert actor.extra["reseaux_porteurs"] == ["ccas-cias", "communes"]
    fields = sorted(i.field for i in result.errors)
    assert fields == ["code_postal", "courriel", "date_maj", "nom", "reseaux_porteurs"]


def test_services_json_and_attachment() -> None:
    structures = parse_data_inclusion(
        [{"source": "dora", "id": "s1", "nom": "Maison France", "date_maj": "2025-01-01"}]
    )
    services = parse_data_inclusion(
        [
            {
                "source": "dora", "structure_id": "s1", "id": "v1", "nom": "Aide numérique",
                "description": "Accompagnement aux démarches en ligne.", "date_maj": "2025-01-01",
                "thematiques": ["numerique--acceder-a-des-services-en-ligne"], "publics": ["seniors"],
            },
            {"source": "dora", "structure_id": "s1", "id": "v2", "nom": "Sans description",
             "date_maj": "2025-01-01"},
        ],
        "service",
    )  # fmt: skip
    assert (services.rows, services.accepted, len(services.services)) == (2, 1, 1)
    assert services.errors[0].field == "description"
    attach_services(structures.actors, services.services)
    assert structures.actors[0].themes == ["numerique--acceder-a-des-services-en-ligne"]


def test_rejected_row_says_in_french_what_is_wrong_with_each_field() -> None:
    result = parse_data_inclusion(parse_csv_text(STRUCTURES_CSV, file="s.csv"), "structure")
    found = {i.field: (i.file, i.row, i.value, i.message) for i in result.errors}
    assert found == {
        "nom": ("s.csv", 3, "X.", "au moins 3 caractères"),
        "date_maj": ("s.csv", 3, "14/02/2025", "date attendue au format AAAA-MM-JJ (format date)"),
        "code_postal": (
            "s.csv", 3, "7500", "au moins 5 caractères; ne respecte pas le motif ^\\d{5}$",
        ),
        "courriel": ("s.csv", 3, "pas une adresse", "adresse électronique invalide (format email)"),
        "reseaux_porteurs": (
            "s.csv", 3, "inconnu", "'inconnu' : valeur hors de la liste autorisée (108 valeurs)",
        ),
    }  # fmt: skip


def test_service_problems_name_the_item_and_stand_alone_on_a_wrong_type() -> None:
    service = {
        "source": "dora", "structure_id": "s1", "id": "v1", "nom": "Aide",
        "description": "Accompagnement.", "date_maj": "2025-01-01",
        "publics": ["seniors", "seniors", "martiens"], "frais": 12, "nombre_semaines": 0,
        "site_web": "exemple.fr", "lien_source": "exemple.fr",
    }  # fmt: skip
    result = parse_data_inclusion([service], "service")
    assert [(i.field, i.message) for i in result.errors] == [
        ("frais", "type string attendu"),
        ("lien_source", "adresse web invalide (format uri)"),
        ("nombre_semaines", "valeur inférieure au minimum 1"),
        (
            "publics",
            "éléments en double; 'martiens' : valeur hors de la liste autorisée (14 valeurs)",
        ),
    ]
