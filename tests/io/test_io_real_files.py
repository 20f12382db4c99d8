"""Every shipped file meant to be imported: exact accepted/rejected counts and reasons.

Counts were checked by reading the files; a change in any of them means a parser now
accepts or rejects different rows, which a user would notice in the import report.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from maillage.io.data_inclusion import read_data_inclusion, read_data_inclusion_xlsx
from maillage.io.decp import read_decp
from maillage.io.france_services import read_france_services
from maillage.io.mediation import read_lieux_csv, read_lieux_json
from maillage.io.scdl import read_scdl
from maillage.io.tabular import read_actors, read_links

SCDL_DIR = "scdl-subventions"
API = "scdl-subventions/api-subventions-asso-fixtures"
LUHN = "SIRET invalide : clé de contrôle (Luhn) fausse"
PERIOD = (
    "datesPeriodeVersement: ne respecte pas le motif "
    "^[0-9]{4}\\-[0-9]{2}\\-[0-9]{2}(\\/[0-9]{4}\\-[0-9]{2}\\-[0-9]{2})?$"
)
NATURE = (
    "nature: valeur hors de la liste : aide en numéraire | aide en nature | "
    "aide en numéraire;aide en nature | aide en nature;aide en numéraire"
)

# path, repair, rows, accepted, actors, links
SCDL_CASES = [
    (f"{SCDL_DIR}/exemple_valide.csv", False, 29, 29, 30, 29),
    (f"{SCDL_DIR}/exemple-duplicate-column.csv", False, 29, 29, 30, 29),
    (f"{SCDL_DIR}/exemple_invalide_erreurs_cellules.csv", False, 29, 0, 0, 0),
    (f"{SCDL_DIR}/exemple_invalide_erreurs_colonnes.csv", False, 29, 0, 0, 0),
    (f"{SCDL_DIR}/etalab-format-subventions-exemple.csv", False, 2, 0, 0, 0),
    (f"{SCDL_DIR}/etalab-format-subventions-exemple.csv", True, 2, 1, 2, 1),
    (f"{SCDL_DIR}/etalab-format-subventions-format.csv", False, 0, 0, 0, 0),
    (f"{API}/SCDL.csv", False, 4, 0, 0, 0),
    (f"{API}/SCDL_DILCRAH_2019.csv", True, 4, 0, 0, 0),
    (f"{API}/antibes-fixture.csv", False, 3, 0, 0, 0),
    (f"{API}/donneesessentielles2019_publiINTERNET.xls-errors.csv", True, 8, 0, 0, 0),
    (f"{API}/test-csv-valid.csv", False, 38, 0, 0, 0),
]


@pytest.mark.parametrize(("path", "repair", "rows", "accepted", "actors", "links"), SCDL_CASES)
def test_scdl_counts(
    data_dir: Path, path: str, repair: bool, rows: int, accepted: int, actors: int, links: int
) -> None:
    result = read_scdl(data_dir / path, repair=repair)
    assert (result.rows, result.accepted, result.rejected) == (rows, accepted, rows - accepted)
    assert (len(result.actors), len(result.links)) == (actors, links)
    for row in result.rejected_rows:  # every rejected row is explained
        assert any(i.row in (row, 1) and i.severity == "error" for i in result.issues)


def test_scdl_valid_example_gives_dated_funding_links(data_dir: Path) -> None:
    result = read_scdl(data_dir / SCDL_DIR / "exemple_valide.csv")
    link = result.links[0]
    assert (link.source_key, link.target_key) == ("21060004500392", "52499120500013")
    assert link.kind == "funding" and link.directed
    assert link.amount == 99786.57
    assert link.start_date == dt.date(2015, 7, 7)
    assert link.purpose == "Fonctionnement"
    assert link.extra["datesPeriodeVersement"] == "2017-03-30/2017-05-24"
    funder = result.actors[0]
    assert (funder.name, funder.world, funder.classification_rule) == (
        "ANTIBES", "public", "siren:2",
    )  # fmt: skip
    beneficiary = next(a for a in result.actors if a.key == "52499120500013")
    assert beneficiary.rna == "W333216789"
    assert (beneficiary.world, beneficiary.classification_rule) == ("associative", "rna")


def test_scdl_invalid_cells_rejected_for_the_schema_reasons(data_dir: Path) -> None:
    result = read_scdl(data_dir / SCDL_DIR / "exemple_invalide_erreurs_cellules.csv")
    assert result.reasons() == {
        f"idAttribuant: {LUHN}": 28,
        "idAttribuant: ne respecte pas le motif ^\\d{14}$": 1,
        f"idBeneficiaire: {LUHN}": 20,
        "idBeneficiaire: idBeneficiaire ou rnaBeneficiaire requis": 1,
        "rnaBeneficiaire: ne respecte pas le motif ^W\\d{9}$": 3,
        "dateConvention: type date attendu au format AAAA-MM-JJ": 1,
        "montant: type number attendu (point décimal, ex. 1234.56)": 1,
        NATURE: 1,
        "conditionsVersement: valeur hors de la liste : unique | échelonné | autre": 1,
        PERIOD: 1,
        "notificationUE: valeur hors de la liste : oui | non": 2,
        "pourcentageSubvention: type number attendu (point décimal, ex. 1234.56)": 1,
        "pourcentageSubvention: valeur supérieure au maximum 1": 3,
    }
    by_row = {i.row: i for i in result.errors if i.field == "dateConvention"}
    assert by_row[5].value == "05/12/2016"


def test_scdl_invalid_columns_reads_a_misspelt_column_then_checks_every_cell(
    data_dir: Path,
) -> None:
    # The schema's "invalid columns" example spells nomBeneficiaire NOM_Beneficiaire: it is
    # read under its schema name with a warning (issue 24: headers in any case or
    # spacing), and every row is then refused for the reasons of its own cells.
    result = read_scdl(data_dir / SCDL_DIR / "exemple_invalide_erreurs_colonnes.csv")
    assert not [i for i in result.errors if i.row == 1]
    assert [(i.field, i.value, i.message) for i in result.warnings if i.row == 1][0] == (
        "nomBeneficiaire", "NOM_Beneficiaire",
        "colonne « NOM_Beneficiaire » lue comme nomBeneficiaire",
    )  # fmt: skip
    assert result.rejected == 29
    assert result.reasons()[f"idAttribuant: {LUHN}"] == 28


def test_scdl_real_aude_rows_repaired_then_rejected_for_unknown_period(data_dir: Path) -> None:
    result = read_scdl(
        data_dir / API / "donneesessentielles2019_publiINTERNET.xls-errors.csv", repair=True
    )
    assert result.reasons() == {PERIOD: 8}
    messages = {i.message for i in result.warnings}
    assert 'texte mal encodé réparé en "Département de l\'Aude"' in messages
    assert "valeur réparée en '2019-07-09'" in messages  # Excel serial 43655


def test_scdl_french_labels_and_cp1252_are_read(data_dir: Path) -> None:
    dilcrah = read_scdl(data_dir / API / "SCDL_DILCRAH_2019.csv", repair=True)
    assert dilcrah.reasons() == {f"idAttribuant: {LUHN}": 4, f"idBeneficiaire: {LUHN}": 4}
    cp1252 = read_scdl(data_dir / SCDL_DIR / "exemple-duplicate-column.csv")
    assert cp1252.actors[1].name == "CEA DU PERSONNEL DE LA VILLE D'ANTIBES JUAN-LES-PINS"
    assert cp1252.links[0].purpose == "Fonctionnement"


DECP_CASES = [
    ("data.gouv.fr_aife.json", 4530, 4353, 3598, 4828),
    ("data.gouv.fr_pes.json", 552, 552, 584, 589),
    ("e-marchespublics.json", 470, 470, 483, 569),
    ("marches-publics.info.json", 4509, 4430, 3846, 4943),
]


@pytest.mark.parametrize(("name", "rows", "accepted", "actors", "links"), DECP_CASES)
def test_decp_counts(
    data_dir: Path, name: str, rows: int, accepted: int, actors: int, links: int
) -> None:
    result = read_decp(data_dir / "decp" / name)
    assert (result.rows, result.accepted) == (rows, accepted)
    assert (len(result.actors), len(result.links)) == (actors, links)
    assert sum(result.reasons().values()) >= result.rejected


def test_decp_reasons_and_links(data_dir: Path) -> None:
    result = read_decp(data_dir / "decp" / "data.gouv.fr_aife.json")
    assert result.reasons() == {
        "acheteur: acheteur absent": 1,
        "acheteur.id: clé de contrôle SIRET invalide (algorithme de Luhn)": 40,
        "autoriteConcedante.id: clé de contrôle SIRET invalide (algorithme de Luhn)": 15,
        "titulaires.id: clé de contrôle SIRET invalide (algorithme de Luhn)": 116,
        "titulaires: aucun titulaire": 6,
    }
    pes = read_decp(data_dir / "decp" / "data.gouv.fr_pes.json")
    link = pes.links[0]
    assert (link.kind, link.source_key, link.target_key) == (
        "public_contract", "20002715900017", "41473937500023",
    )  # fmt: skip
    assert link.amount == 47600.87 and link.start_date == dt.date(2018, 12, 31)
    buyer = next(a for a in pes.actors if a.key == "20002715900017")
    assert buyer.world == "public"


def test_france_services(data_dir: Path) -> None:
    result = read_france_services(data_dir / "france-services" / "liste-fs-20240801.csv")
    assert (result.rows, result.accepted, result.rejected) == (2845, 2845, 0)
    assert len(result.warnings) == 2  # two malformed e-mails dropped
    first = result.actors[0]
    assert (first.name, first.commune_code, first.postcode) == (
        "France services de Valserhône", "01033", "01200",
    )  # fmt: skip
    assert (first.world, first.classification_rule) == ("public", "typologie:RFS")
    assert first.extra["date_labellisation"] == "2020-01-01"
    assert first.territories == ["DEP:01"]


LIEUX_JSON = [
    ("20230517-hub-du-sud-lieux-de-mediation-numeriques-provence-alpes-cote-d-azur", 646, 646),
    ("20230711-charente-lieux-de-mediation-numeriques-nouvelle-aquitaine", 188, 188),
    ("20231003-bus-france-services-en-charente-lieux-de-mediation-numeriques-nouvelle-aquitaine",
     12, 12),
    ("20240320-nouvelle-caledonie-lieux-de-mediation-numeriques-nouvelle-caledonie", 90, 90),
    ("lieux-cnfs-idf", 241, 241),
    ("lieux-de-mediation-numerique.cnfs", 2733, 2731),
]  # fmt: skip


@pytest.mark.parametrize(("name", "rows", "accepted"), LIEUX_JSON)
def test_lieux_json_counts(data_dir: Path, name: str, rows: int, accepted: int) -> None:
    path = data_dir / "mediation-numerique" / "cartographie-nationale" / f"{name}.json"
    result = read_lieux_json(path)
    assert (result.rows, result.accepted, len(result.actors)) == (rows, accepted, accepted)


def test_lieux_json_quirks(data_dir: Path) -> None:
    folder = data_dir / "mediation-numerique" / "cartographie-nationale"
    paca = read_lieux_json(folder / f"{LIEUX_JSON[0][0]}.json")
    warned = [i.message for i in paca.warnings]
    assert warned.count("pivot fictif (que des zéros) ignoré") == 646
    assert warned.count("date par défaut (1970) ignorée") == 99
    cnfs = read_lieux_json(folder / "lieux-de-mediation-numerique.cnfs.json")
    assert cnfs.reasons() == {"code_postal: code postal attendu : 5 chiffres (^\\d{5}$)": 2}
    place = cnfs.actors[0]
    assert place.siret == "77556026100015" and place.themes[:2] == [
        "Prendre en main un smartphone ou une tablette",
        "Prendre en main un ordinateur",
    ]
    charente = read_lieux_json(folder / f"{LIEUX_JSON[1][0]}.json")
    assert charente.actors[0].classification_rule == "typologie:RFS"


def test_lieux_schema_example(data_dir: Path) -> None:
    result = read_lieux_csv(data_dir / "mediation-numerique" / "schema" / "exemple-valide.csv")
    assert (result.rows, result.accepted, result.issues) == (1, 1, [])
    place = result.actors[0]
    assert (place.key, place.siret, place.classification_rule) == (
        "structure-1", "43493312300029", "typologie:TIERS_LIEUX",
    )  # fmt: skip
    assert place.extra["date_maj"] == "2024-04-02"


def test_data_inclusion_messy_workbook(data_dir: Path) -> None:
    result = read_data_inclusion_xlsx(data_dir / "data-inclusion" / "fixtures" / "dataset.xlsx")
    # 1 structure row and 2 service rows once template rows (__ignore__) are skipped.
    assert (result.rows, result.accepted, result.rejected) == (3, 0, 3)
    assert result.reasons() == {
        "date_maj: valeur obligatoire manquante": 3,
        "code_postal: au plus 5 caractères; ne respecte pas le motif ^\\d{5}$": 1,
        "courriel: adresse électronique invalide (format email)": 1,
        "site_web: adresse web invalide (format uri)": 1,
        "mobilisable_par: 'autres' : valeur hors de la liste autorisée (2 valeurs)": 2,
        "nombre_semaines: type integer attendu": 2,
        "thematiques: 'logement-hebergement--louer-un-appartement' : valeur hors de la "
        "liste autorisée (69 valeurs)": 1,
    }
    repaired = [i for i in result.warnings if i.field == "siret"]
    assert repaired[0].message == "identifiant lu comme un nombre, réparé en 82454114801871"


def test_data_inclusion_v0_examples_lack_v1_fields(data_dir: Path) -> None:
    result = read_data_inclusion(data_dir / "data-inclusion" / "examples-v0" / "001.json")
    assert result.reasons() == {"source: valeur obligatoire manquante": 1}


def test_anr_network_recognised_without_mapping(data_dir: Path) -> None:
    folder = data_dir / "networks" / "anr-partenariats"
    actors = read_actors(folder / "actors.csv")
    assert (actors.rows, actors.accepted) == (20427, 20427)
    counts: dict[str | None, int] = {}
    for actor in actors.actors:
        counts[actor.world] = counts.get(actor.world, 0) + 1
    assert counts == {"academic": 14954, "economic": 3669, "public": 1408, "associative": 396}
    first = actors.actors[0]
    assert (first.key, first.commune_name, first.territories) == (
        "name:0 AIDE",
        "Créteil",
        ["DEP:94"],
    )
    links = read_links(folder / "links.csv")
    assert (links.rows, links.accepted) == (121675, 121675)
    link = links.links[0]
    assert (link.kind, link.start_date, link.weight) == (
        "anr_copartnership", dt.date(2011, 1, 1), 1.0,
    )  # fmt: skip
    assert link.extra == {"sets": "anr_dos", "start_date_precision": "year"}  # "2011" alone


BATCH8 = "messy/batch8-mednum"


def test_batch8_social_centres_through_generic_importer(data_dir: Path) -> None:
    result = read_actors(data_dir / BATCH8 / "data_centre_sociaux.csv")
    assert (result.rows, result.accepted, result.rejected) == (2261, 2234, 27)
    assert result.reasons() == {
        "key: identifiant déjà utilisé plus haut dans le fichier": 25,
        "postcode: code postal attendu : 5 chiffres (^\\d{5}$)": 2,
    }
    repaired = {i.value: i.message for i in result.warnings if i.field == "postcode"}
    assert repaired["59 300 "] == "code postal réparé en 59300 (espaces retirés)"
    assert repaired["69493 Pierre Bénite cedex "] == "code postal extrait du texte : 69493"
    assert result.actors[0].commune_name == "Goussainville"  # leading space removed


def test_batch8_libraries_with_packed_coordinates(data_dir: Path) -> None:
    # 1,180 of the 15,779 rows ship (tests/data/messy/batch8-mednum/SOURCE.md), CITOU's among them
    result = read_actors(data_dir / BATCH8 / "adresses-des-bibliotheques-publiques.csv")
    # "00000" is no postcode: rejected on reading, as the import rejected it
    assert (result.rows, result.accepted) == (1180, 1095)  # 84 rows "00000"
    assert {(i.field, i.value) for i in result.errors} == {
        ("postcode", "CITOU"),
        ("postcode", "00000"),
    }
    first = result.actors[0]
    assert (first.latitude, first.longitude, first.commune_code) == (49.609493, 2.705751, "60093")
    assert (first.world, first.classification_rule) == ("public", "name:bibliothèque")
    idf = read_actors(data_dir / BATCH8 / "liste-donnees-mediatheques.csv")
    assert (idf.rows, idf.accepted) == (844, 844)
    assert idf.actors[0].latitude == 48.9104747


def test_batch8_indicator_tables_are_read(data_dir: Path) -> None:
    from maillage.io.reading import read_table
    from maillage.io.result import RowLog
    from maillage.io.values import parse_float

    debit = read_table(data_dir / BATCH8 / "commune-debit-beta.csv")
    assert debit.header[:3] == ["code_insee", "nom_com", "code_dep"]
    assert len(debit.rows) == 200 and debit.rows[0].number == 3  # first 200 of 35,359 rows
    demo = read_table(data_dir / BATCH8 / "data_DEMO_2020_V1_QP.csv")
    values = [r.values["TX_F"] for r in demo.rows if r.values["TX_F"]]
    assert parse_float(values[0], RowLog([], 2, None), "TX_F") == float(values[0].replace(",", "."))


def test_scdl_from_a_workbook_reads_cells_as_shown(data_dir: Path, tmp_path: Path) -> None:
    import openpyxl

    from maillage.io.reading import read_csv_table

    table = read_csv_table(data_dir / SCDL_DIR / "exemple_valide.csv")
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(table.header)
    for row in table.rows[:3]:
        cells = [row.values.get(c) or None for c in table.header]
        cells[2] = dt.datetime.fromisoformat(cells[2])  # dateConvention as a date cell
        cells[8] = float(cells[8])  # montant as a number
        sheet.append(cells)
    workbook.save(tmp_path / "subventions.xlsx")
    result = read_scdl(tmp_path / "subventions.xlsx")
    assert (result.rows, result.accepted, result.errors) == (3, 3, [])
    assert result.links[0].start_date == dt.date(2015, 7, 7)
