"""Coordinate columns as a person reads them (issue 24, user trial): ``X``/``Y`` in
Lambert-93 beside empty ``Latitude``/``Longitude``, in a lieux JSON export, or named by
``--map``; the system told from the values with pyproj, the conversion reported with
its columns and system, ambiguous values refused with a reason.

Each test writes a real-looking file and imports it as the user would; it asserts the
points stored, the report lines and the balance of counts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa

from maillage.io.tabular import read_actors
from maillage.services import importing
from maillage.services.importing import ImportReport

LILLE, LYON, PARIS = (50.631, 3.057), (45.764, 4.836), (48.857, 2.352)


def _points(db: sa.Engine) -> dict[str, tuple[float, float] | None]:
    with db.connect() as conn:
        rows = conn.execute(sa.text("SELECT name, latitude, longitude FROM actor"))
        return {
            name: None if lat is None else (round(lat, 3), round(lon, 3)) for name, lat, lon in rows
        }


def _warnings(report: ImportReport) -> list[tuple[int | None, str | None, str]]:
    return [(i.row, i.field, i.message) for i in report.warnings]


def test_x_y_beside_empty_latitude_longitude_are_read_and_converted(
    db: sa.Engine, tmp_path: Path
) -> None:
    # A département's export: degrees for some places, Lambert-93 X/Y for the others.
    path = tmp_path / "equipements.csv"
    path.write_text(
        "nom;code_postal;commune;Latitude;Longitude;X;Y\n"
        "Mairie de Lille;59000;Lille;50,6310;3,0571;;\n"
        "Médiathèque de Lyon;69001;Lyon;;;842666,7;6519924,4\n"
        "Hôtel de ville de Paris;75004;Paris;;;652469,0;6862035,3\n",
        encoding="utf-8",
    )
    report = importing.import_file(db=db, fmt="actors", path=path)
    assert (report.status, report.rows, report.created, report.rejected) == ("done", 3, 3, 0)
    assert report.imbalance() == []
    assert _points(db) == {
        "Mairie de Lille": LILLE, "Médiathèque de Lyon": LYON, "Hôtel de ville de Paris": PARIS,
    }  # fmt: skip
    assert _warnings(report) == [
        (None, "longitude", "colonnes X, Y lues comme longitude, latitude : 2 ligne(s) sans "
         "autres coordonnées, à partir de la ligne 3"),
        (None, "latitude", "coordonnées projetées en Lambert-93 (EPSG:2154) converties en "
         "degrés WGS84 (colonnes X, Y) : 2 point(s), à partir de la ligne 3 (système "
         "reconnu aux valeurs)"),
    ]  # fmt: skip
    with db.connect() as conn:  # the X/Y read are not kept again in extra
        extras = conn.execute(sa.text("SELECT extra FROM actor WHERE name LIKE 'Médiathèque%'"))
        assert "7059337" not in str(extras.scalar())


@pytest.mark.parametrize(
    ("x", "y"), [("X", "Y"), ("x", "y"), ("coord_x", "coord_y"), ("XL93", "YL93")]
)
def test_lieux_json_with_lambert93_x_y_gets_its_points(
    db: sa.Engine, tmp_path: Path, x: str, y: str
) -> None:
    places = [
        {"id": "lieu-1", "nom": "Espace numérique de Lille", "adresse": "2 place Rihour",
         "code_postal": "59000", "commune": "Lille", x: 704046.8, y: 7059337.2,
         "date_maj": "2024-03-12"},
        {"id": "lieu-2", "nom": "Médiathèque de Lyon", "adresse": "30 bd Vivier-Merle",
         "code_postal": "69003", "commune": "Lyon", x: "842666,7", y: "6519924,4",
         "date_maj": "2024-03-12"},
    ]  # fmt: skip
    path = tmp_path / "lieux.json"
    path.write_text(json.dumps(places), encoding="utf-8")
    report = importing.import_file(db=db, fmt="lieux", path=path)
    assert (report.status, report.rows, report.created, report.rejected) == ("done", 2, 2, 0)
    assert report.imbalance() == []
    assert _points(db) == {"Espace numérique de Lille": LILLE, "Médiathèque de Lyon": LYON}
    said = [m for _, _, m in _warnings(report)]
    assert f"colonnes {x}, {y} lues comme longitude, latitude : 2 ligne(s) sans autres " \
        "coordonnées, à partir de la ligne 1" in said  # fmt: skip
    system = "(système reconnu aux valeurs)" if x in ("X", "x", "coord_x") else "ligne 1"
    assert any(
        m.startswith("coordonnées projetées en Lambert-93 (EPSG:2154) converties en degrés "
                     f"WGS84 (colonnes {x}, {y}) : 2 point(s)") and m.endswith(system)
        for m in said
    )  # fmt: skip


def test_mapped_x_y_combine_with_the_files_latitude_longitude(
    db: sa.Engine, tmp_path: Path
) -> None:
    # ``--map X=longitude --map Y=latitude``: X/Y win where they are given; the rows
    # with only Latitude/Longitude keep theirs (the old code dropped them).
    path = tmp_path / "structures.csv"
    path.write_text(
        "nom,code_postal,Latitude,Longitude,X,Y\n"
        "Mairie de Lille,59000,50.6310,3.0571,,\n"
        "Médiathèque de Lyon,69001,,,842666.7,6519924.4\n"
        "Hôtel de ville de Paris,75004,1.0,1.0,652469.0,6862035.3\n",
        encoding="utf-8",
    )
    mapping = {"X": "longitude", "Y": "latitude"}
    report = importing.import_file(db=db, fmt="actors", path=path, mapping=mapping)
    assert (report.status, report.created, report.rejected) == ("done", 3, 0)
    assert report.imbalance() == []
    assert _points(db) == {
        "Mairie de Lille": LILLE, "Médiathèque de Lyon": LYON, "Hôtel de ville de Paris": PARIS,
    }  # fmt: skip
    assert [m for _, _, m in _warnings(report)] == [
        "colonnes Longitude, Latitude lues comme longitude, latitude : 1 ligne(s) sans "
        "autres coordonnées, à partir de la ligne 2",
        "coordonnées projetées en Lambert-93 (EPSG:2154) converties en degrés WGS84 "
        "(colonnes X, Y) : 2 point(s), à partir de la ligne 3 (système reconnu aux valeurs)",
    ]


def test_mapped_x_y_in_a_lieux_file_do_not_erase_its_own_coordinates(
    db: sa.Engine, tmp_path: Path
) -> None:
    places = [
        {"id": "lieu-1", "nom": "Espace numérique de Lille", "adresse": "2 place Rihour",
         "code_postal": "59000", "commune": "Lille", "X": 704046.8, "Y": 7059337.2,
         "latitude": None, "longitude": None, "date_maj": "2024-03-12"},
        {"id": "lieu-2", "nom": "Médiathèque de Lyon", "adresse": "30 bd Vivier-Merle",
         "code_postal": "69003", "commune": "Lyon", "X": None, "Y": None,
         "latitude": 45.764, "longitude": 4.8357, "date_maj": "2024-03-12"},
    ]  # fmt: skip
    path = tmp_path / "lieux.json"
    path.write_text(json.dumps(places), encoding="utf-8")
    mapping = {"X": "longitude", "Y": "latitude"}
    report = importing.import_file(db=db, fmt="lieux", path=path, mapping=mapping)
    assert (report.status, report.created, report.rejected) == ("done", 2, 0)
    assert report.imbalance() == []
    assert _points(db) == {"Espace numérique de Lille": LILLE, "Médiathèque de Lyon": LYON}


def test_values_two_systems_fit_alike_are_refused_with_a_reason(
    db: sa.Engine, tmp_path: Path
) -> None:
    # (340314.8, 6556279.6) is Lille in Web Mercator and a point of Charente in
    # Lambert-93: without a postcode or commune nothing tells them apart.
    path = tmp_path / "points.csv"
    path.write_text(
        "nom;x;y\nPoint A;340314,8;6556279,6\nPoint B;264584,2;6627380,9\nSans point;;\n",
        encoding="utf-8",
    )
    report = importing.import_file(db=db, fmt="actors", path=path, partial=True)
    assert (report.rows, report.created, report.rejected) == (3, 1, 2)
    assert report.imbalance() == []
    assert [(i.row, i.field, i.message) for i in report.issues] == [
        (row, "longitude", "coordonnées projetées ambiguës (colonnes x, y) : Lambert-93 "
         "(EPSG:2154) ou Web Mercator (EPSG:3857) y placent aussi bien les points ; nommez "
         "le système dans l'en-tête (X_L93, X_3857...) ou donnez le code postal ou la "
         "commune des lignes")
        for row in (2, 3)
    ]  # fmt: skip
    assert _points(db) == {"Sans point": None}


def test_a_conical_zone_is_told_from_the_values(tmp_path: Path) -> None:
    path = tmp_path / "cc50.csv"
    path.write_text(
        "nom;X;Y\nMairie de Lille;1704039,9;9270186,3\nMairie de Paris;1652458,6;9073041,7\n",
        encoding="utf-8",
    )
    result = read_actors(path)
    assert result.accepted == 2
    assert [(round(a.latitude or 0, 3), round(a.longitude or 0, 3)) for a in result.actors] == [
        LILLE, PARIS
    ]  # fmt: skip
    assert [i.message for i in result.issues] == [
        "coordonnées projetées en Lambert CC50 (EPSG:3950) converties en degrés WGS84 "
        "(colonnes X, Y) : 2 point(s), à partir de la ligne 2 (système reconnu aux valeurs)"
    ]
