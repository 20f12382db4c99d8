"""Every parser that reads coordinates applies the same rule
(:func:`maillage.io.places.settle_result`): projected points converted, swapped
latitude/longitude told from the row's commune or département, a point out of bounds
refused with its row. Each test writes a real-looking file of one national format,
imports it as the user would, and asserts the points stored, the report's lines and
the balance of counts."""

from __future__ import annotations

import json
from pathlib import Path

import sqlalchemy as sa

from maillage.services import importing
from maillage.services.importing import ImportReport

FS_HEADER = (
    '"id_fs","insee_dep","lib_fs","adresse","complement_adresse","insee_com","code_postal",'
    '"lib_com","latitude","longitude","mail","telephone","h_lundi","h_mardi","h_mercredi",'
    '"h_jeudi","h_vendredi","h_samedi","prise_rdv","commentaire","type_fs","format_fs",'
    '"groupe_fs","labellisation_fs"'
)
FS_ROWS = (
    # row 2: latitude and longitude swapped (Ain); row 3: as published; row 4: swapped,
    # no commune code (Aisne, told by the postcode)
    '"1","01","France services de Valserhône","5-9 Rue des Papetiers",,"01033","01200",'
    '"Valserhône",5.8260084241619,46.1060711578546,"franceservices@ccpb01.fr",'
    '"04 50 56 87 49","13:30 - 17:00",,,,,,"Non",,"Principal","Fixe",,'
    '"Espace labellisé 01/01/2020"',
    '"2","01","France services La Poste de Saint-Trivier-de-Courtes","22 Esplanade de La '
    'Poste",,"01388","01560","Saint-Trivier-de-Courtes",46.45916,5.083785,'
    '"saint-trivier-de-courtes@france-services.gouv.fr","04 74 30 19 63",,,,,,,"Non",,'
    '"Principal","Fixe",,"Espace labellisé 01/02/2020"',
    '"3","02","Bus France services Thiérache Sambre et Oise","6 Rue André Godin",,,"02120",'
    '"Guise",3.626688,49.90147,"busfranceservices@cctso.fr","07 85 78 24 48",,,,,,,"Non",,'
    '"Principal","Bus_équivalent",,"Espace labellisé 01/01/2020"',
)


def _points(db: sa.Engine) -> dict[str, tuple[float, float] | None]:
    with db.connect() as conn:
        rows = conn.execute(sa.text("SELECT name, latitude, longitude FROM actor"))
        return {
            name: None if lat is None else (round(lat, 4), round(lon, 4)) for name, lat, lon in rows
        }


def _coordinate_notes(report: ImportReport) -> list[tuple[int | None, str | None, str]]:
    return [(i.row, i.field, i.message) for i in report.warnings
            if i.field in ("latitude", "longitude")]  # fmt: skip


def test_france_services_rows_with_latitude_and_longitude_swapped(
    db: sa.Engine, tmp_path: Path
) -> None:
    path = tmp_path / "liste-fs-20240801.csv"
    path.write_text("\n".join((FS_HEADER, *FS_ROWS)) + "\n", encoding="utf-8")
    report = importing.import_file(db=db, fmt="france-services", path=path, relations=False)
    assert (report.status, report.rows, report.created, report.rejected) == ("done", 3, 3, 0)
    assert report.imbalance() == []
    assert _points(db) == {
        "France services de Valserhône": (46.1061, 5.826),
        "France services La Poste de Saint-Trivier-de-Courtes": (46.4592, 5.0838),
        "Bus France services Thiérache Sambre et Oise": (49.9015, 3.6267),
    }
    assert _coordinate_notes(report) == [
        (2, "latitude", "latitude et longitude inversées : lues comme 46.1060711578546, "
         "5.8260084241619"),
        (4, "latitude", "latitude et longitude inversées : lues comme 49.90147, 3.626688"),
    ]  # fmt: skip


def _structure(
    ident: str, name: str, commune: str, code: str, **fields: object
) -> dict[str, object]:
    return {"source": "dora", "id": ident, "nom": name, "commune": commune, "code_insee": code,
            "date_maj": "2024-05-02", "lien_source": f"https://dora.inclusion.beta.gouv.fr/"
            f"structures/{ident}", **fields}  # fmt: skip


def test_data_inclusion_structures_with_swapped_and_lambert93_points(
    db: sa.Engine, tmp_path: Path
) -> None:
    """A data·inclusion export where one structure has latitude and longitude swapped,
    one Lambert-93 metres in its latitude/longitude, and one only ``x``/``y`` columns
    (Lambert-93) the schema does not name: all four placed in their commune."""
    structures = [
        _structure("cs-arc-en-ciel", "Centre social Arc-en-ciel", "Roubaix", "59512",
                   adresse="3 place de la République", code_postal="59100",
                   latitude=3.1746, longitude=50.6901),
        _structure("mediatheque-lille", "Médiathèque Jean Lévy", "Lille", "59350",
                   adresse="32 rue Édouard Delesalle", code_postal="59000",
                   latitude=50.6339, longitude=3.0633),
        _structure("emmaus-connect-lyon", "Emmaüs Connect Lyon", "Lyon", "69387",
                   code_postal="69007", latitude=6518960.0, longitude=843390.0),
        _structure("ccas-paris-4", "CCAS Paris Centre", "Paris", "75104",
                   code_postal="75004", x=652469.0, y=6862035.3),
    ]  # fmt: skip
    path = tmp_path / "structures.json"
    path.write_text(json.dumps(structures, ensure_ascii=False), encoding="utf-8")
    report = importing.import_file(db=db, fmt="data-inclusion", path=path, relations=False)
    assert (report.status, report.rows, report.created, report.rejected) == ("done", 4, 4, 0)
    assert report.imbalance() == []
    assert _points(db) == {
        "Centre social Arc-en-ciel": (50.6901, 3.1746),
        "Médiathèque Jean Lévy": (50.6339, 3.0633),
        "Emmaüs Connect Lyon": (45.7552, 4.8447),
        "CCAS Paris Centre": (48.8566, 2.3522),
    }
    assert _coordinate_notes(report) == [
        (None, "longitude", "colonnes x, y lues comme longitude, latitude : 1 ligne(s) sans "
         "autres coordonnées, à partir de la ligne 4"),
        (None, "latitude", "coordonnées projetées en Lambert-93 (EPSG:2154) converties en "
         "degrés WGS84 (colonnes longitude, latitude) : 1 point(s), à partir de la ligne 3 "
         "(système reconnu aux valeurs)"),
        (None, "latitude", "coordonnées projetées en Lambert-93 (EPSG:2154) converties en "
         "degrés WGS84 (colonnes x, y) : 1 point(s), à partir de la ligne 4 (système "
         "reconnu aux valeurs)"),
        (1, "latitude", "latitude et longitude inversées : lues comme 50.6901, 3.1746"),
    ]  # fmt: skip
    with db.connect() as conn:  # the x/y read are not kept again in extra
        extra = conn.execute(sa.text("SELECT extra FROM actor WHERE name = 'CCAS Paris Centre'"))
        assert "6862035" not in str(extra.scalar())


def test_a_data_inclusion_point_out_of_bounds_is_refused_with_its_row(
    db: sa.Engine, tmp_path: Path
) -> None:
    """In a CSV of structures, a latitude of 95 (neither degrees nor a projection) is
    refused on its row; with --partial the other structure is stored."""
    path = tmp_path / "structures.csv"
    path.write_text(
        "source;id;nom;commune;code_insee;code_postal;date_maj;latitude;longitude\n"
        "dora;pimms-lille;PIMMS Médiation Lille;Lille;59350;59000;2024-05-02;50,6366;3,0694\n"
        "dora;asso-roubaix;Association Trait d'union;Roubaix;59512;59100;2024-05-02;95;3,17\n",
        encoding="utf-8",
    )
    refused = importing.import_file(db=db, fmt="data-inclusion", path=path, relations=False)
    assert (refused.status, refused.rows, refused.rejected, refused.not_written) == (
        "failed", 2, 2, 1)  # fmt: skip
    assert refused.imbalance() == []
    assert [(i.row, i.field, i.message) for i in refused.issues] == [
        (3, "latitude", "coordonnée hors limites (-90 à 90 degrés)")]  # fmt: skip
    assert _points(db) == {}
    partial = importing.import_file(db=db, fmt="data-inclusion", path=path, partial=True,
                                    relations=False)  # fmt: skip
    assert (partial.status, partial.rows, partial.created, partial.rejected) == ("done", 2, 1, 1)
    assert partial.imbalance() == []
    assert _points(db) == {"PIMMS Médiation Lille": (50.6366, 3.0694)}
