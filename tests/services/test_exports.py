"""Exports of a filtered view: the view's records, then files real readers accept."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import networkx as nx
import pytest
import sqlalchemy as sa

from builders import valid_siret
from maillage.io.csvfile import read_actors_csv, read_links_csv
from maillage.io.geojson import read_geojson
from maillage.io.jsonfile import read_json
from maillage.io.xlsx import read_xlsx
from maillage.model.errors import InvalidInput
from maillage.model.records import ActorRecord, LinkRecord
from maillage.services import importing as importing
from maillage.services.exports import export_file, export_view, links_path


def _map(db: sa.Engine) -> dict[str, int]:
    """Five actors in Nord, Pas-de-Calais and nowhere, four dated links; ids by key."""
    actors = [
        ActorRecord(name="Ville de Lille", key="lille", world="public", commune_code="59350",
                    siret=valid_siret(1), latitude=50.63, longitude=3.06,
                    themes=["inclusion-numerique"], extra={"note": "é"}),
        ActorRecord(name="Emmaüs Connect Roubaix", key="emmaus", world="associative",
                    commune_code="59512", themes=["inclusion-numerique", "emploi-insertion"]),
        ActorRecord(name="Université d'Artois", key="artois", world="academic",
                    commune_code="62041", latitude=50.29, longitude=2.78),
        ActorRecord(name="Réseau régional", key="reseau", world="associative",
                    territories=["DEP:59"], themes=["mediation-numerique"]),
        ActorRecord(name="Orange", key="orange", world="economic"),
    ]  # fmt: skip
    links = [
        LinkRecord(source_key="lille", target_key="emmaus", kind="funding", directed=True,
                   amount=1500.5, start_date=dt.date(2016, 3, 1), end_date=dt.date(2017, 3, 1)),
        LinkRecord(source_key="emmaus", target_key="artois", kind="partnership",
                   start_date=dt.date(2021, 1, 1), themes=["inclusion-numerique"]),
        LinkRecord(source_key="reseau", target_key="lille", kind="membership",
                   start_date=dt.date(2012, 1, 1)),
        LinkRecord(source_key="orange", target_key="artois", kind="research_collaboration",
                   start_date=dt.date(2019, 6, 1), weight=2.0),
    ]  # fmt: skip
    report = importing.import_records(db=db, kind="test", source="test", actor_records=actors,
                                    link_records=links)  # fmt: skip
    assert (report.status, report.created) == ("done", 9)
    with db.connect() as conn:
        rows = conn.exec_driver_sql("SELECT source_ref, id FROM actor ORDER BY id").all()
        keys = conn.exec_driver_sql("SELECT identifier, actor_id FROM actor_identifier").all()
    assert len(rows) == 5
    return {ident.rsplit(":", 1)[1]: actor_id for ident, actor_id in keys}


def _names(actors: list[ActorRecord]) -> list[str]:
    return sorted(a.name for a in actors)


def test_view_filters_like_the_portal(db: sa.Engine) -> None:
    ids = _map(db)
    actors, links = export_view(db=db)
    assert len(actors) == 5 and len(links) == 4
    assert all(a.key == str(a.id) for a in actors)
    lille = next(a for a in actors if a.id == ids["lille"])
    assert (lille.commune_name, lille.themes, lille.extra) == ("Lille", ["inclusion-numerique"],
                                                               {"note": "é"})  # fmt: skip
    nord, nord_links = export_view(db=db, filters={"territory": "DEP:59"})
    assert _names(nord) == ["Emmaüs Connect Roubaix", "Réseau régional", "Ville de Lille"]
    assert sorted(x.kind for x in nord_links) == ["funding", "membership"]
    assert {(x.source_key, x.target_key) for x in nord_links} == {
        (str(ids["lille"]), str(ids["emmaus"])),
        (str(ids["reseau"]), str(ids["lille"])),
    }
    assert _names(export_view(db=db, filters={"world": "associative"})[0]) == [
        "Emmaüs Connect Roubaix",
        "Réseau régional",
    ]
    assert _names(export_view(db=db, filters={"theme": "inclusion-numerique"})[0]) == [
        "Emmaüs Connect Roubaix",
        "Réseau régional",  # mediation-numerique is under inclusion-numerique
        "Ville de Lille",
    ]
    _, funding = export_view(db=db, filters={"kind": "funding"})
    assert [(x.amount, x.start_date, x.directed) for x in funding] == [
        (1500.5, dt.date(2016, 3, 1), True)
    ]
    _, period = export_view(db=db, filters={"year_from": 2015, "year_to": 2020})
    assert sorted(x.kind for x in period) == ["funding", "membership", "research_collaboration"]
    linked, _ = export_view(db=db, filters={"kind": "funding"}, linked_only=True)
    assert _names(linked) == ["Emmaüs Connect Roubaix", "Ville de Lille"]


def test_bad_filters_are_refused(db: sa.Engine) -> None:
    with pytest.raises(InvalidInput):
        export_view(db=db, filters={"territory": "DEP:999"})
    with pytest.raises(InvalidInput):
        export_view(db=db, filters={"world": "martian"})


def test_networkx_reads_the_gexf_and_graphml_with_attributes(
    sqlite_db: sa.Engine, tmp_path: Path
) -> None:
    ids = _map(sqlite_db)
    lille, emmaus = str(ids["lille"]), str(ids["emmaus"])
    export_file(db=sqlite_db, fmt="gexf", path=tmp_path / "carte.gexf")
    graph = nx.read_gexf(tmp_path / "carte.gexf")
    assert graph.number_of_nodes() == 5 and graph.number_of_edges() == 4
    node = graph.nodes[lille]
    assert (node["label"], node["world"], node["latitude"]) == ("Ville de Lille", "public", 50.63)
    assert node["viz"]["color"] == {"r": 0, "g": 75, "b": 210, "a": 1.0}  # as the portal: #004bd2
    edge = graph.edges[lille, emmaus]
    assert (edge["kind"], edge["amount"], edge["directed"]) == ("funding", 1500.5, True)
    assert edge["spells"] == [("2016-03-01", "2017-03-01")]
    export_file(db=sqlite_db, fmt="graphml", path=tmp_path / "carte.graphml",
                filters={"territory": "DEP:59"})  # fmt: skip
    graph = nx.read_graphml(tmp_path / "carte.graphml")
    assert sorted(graph.nodes) == sorted(str(ids[k]) for k in ("lille", "emmaus", "reseau"))
    assert graph.nodes[emmaus]["themes"] == "emploi-insertion|inclusion-numerique"
    assert graph.edges[lille, emmaus]["start_date"] == "2016-03-01"


def test_tables_and_json_read_back(sqlite_db: sa.Engine, tmp_path: Path) -> None:
    _map(sqlite_db)
    expected_actors, expected_links = export_view(db=sqlite_db)
    for record in (*expected_actors, *expected_links):
        record.id = None
    for record in expected_links:
        record.source_id = record.target_id = None
    report = export_file(db=sqlite_db, fmt="csv", path=tmp_path / "acteurs.csv", excel_fr=True)
    assert report.files == [str(tmp_path / "acteurs.csv"), str(tmp_path / "acteurs-liens.csv")]
    raw = (tmp_path / "acteurs.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbfname;") and b"50,63" in raw  # BOM, ;, decimal comma
    assert read_actors_csv(tmp_path / "acteurs.csv").actors == expected_actors
    assert read_links_csv(links_path(tmp_path / "acteurs.csv")).links == expected_links
    export_file(db=sqlite_db, fmt="xlsx", path=tmp_path / "carte.xlsx")
    workbook = read_xlsx(tmp_path / "carte.xlsx")
    assert (workbook.actors, workbook.links) == (expected_actors, expected_links)
    export_file(db=sqlite_db, fmt="json", path=tmp_path / "carte.json")
    document = read_json(tmp_path / "carte.json")
    assert (document.actors, document.links) == (expected_actors, expected_links)


def test_geojson_points_and_polygons_with_indicators(sqlite_db: sa.Engine, tmp_path: Path) -> None:
    _map(sqlite_db)
    report = export_file(db=sqlite_db, fmt="geojson", path=tmp_path / "nord.geojson",
                         filters={"territory": "DEP:59"}, territories="departements")  # fmt: skip
    assert (report.actors, report.territories) == (1, 1)  # only Lille has coordinates
    parsed = read_geojson(tmp_path / "nord.geojson")
    assert [a.name for a in parsed.actors] == ["Ville de Lille"]
    (nord,) = parsed.territories
    assert (nord["code"], nord["name"]) == ("DEP:59", "Nord")
    assert nord["indicators"]["acteurs"] == 3 and nord["indicators"]["population"] > 2_500_000
    assert nord["geometry"]["type"] in ("Polygon", "MultiPolygon")
    regions = export_file(db=sqlite_db, fmt="geojson", path=tmp_path / "fr.geojson",
                          territories="regions")  # fmt: skip
    document = json.loads((tmp_path / "fr.geojson").read_text("utf-8"))
    hdf = next(f for f in document["features"] if f["properties"].get("code") == "REG:32")
    assert regions.territories == 18 and hdf["properties"]["acteurs"] == 4


def test_lieux_csv_leaves_out_what_the_schema_cannot_carry(
    sqlite_db: sa.Engine, tmp_path: Path
) -> None:
    _map(sqlite_db)
    report = export_file(db=sqlite_db, fmt="lieux-csv", path=tmp_path / "lieux.csv")
    assert (report.actors, report.left_out) == (0, 5)  # no address in this map
    assert (tmp_path / "lieux.csv").read_text("utf-8").splitlines()[0].startswith("id,pivot,nom")


def test_geojson_counts_the_actors_it_leaves_out_for_lack_of_a_place(
    sqlite_db: sa.Engine, tmp_path: Path
) -> None:
    _map(sqlite_db)
    report = export_file(db=sqlite_db, fmt="geojson", path=tmp_path / "tout.geojson")
    assert (report.actors, report.left_out) == (2, 3)  # Emmaüs, the network, Orange
    document = json.loads((tmp_path / "tout.geojson").read_text("utf-8"))
    assert len(document["features"]) == 2 and document["metadata"] == {"unplaced_actors": 3}
    # a selection with no place at all: an empty collection that says why
    alone = export_file(db=sqlite_db, fmt="geojson", path=tmp_path / "orange.geojson",
                        filters={"world": "economic"})  # fmt: skip
    assert (alone.actors, alone.left_out) == (0, 1)
    document = json.loads((tmp_path / "orange.geojson").read_text("utf-8"))
    assert document == {
        "type": "FeatureCollection", "features": [], "metadata": {"unplaced_actors": 1}
    }  # fmt: skip
    assert read_geojson(tmp_path / "tout.geojson").rows == 2  # readers ignore the member


def test_the_view_geojson_says_what_has_no_place() -> None:
    from maillage.services.filters import Filters
    from maillage.services.portal.export import generate_geojson

    actors = [
        {"id": 1, "latitude": 50.6, "longitude": 3.1, "name": "Placé"},
        {"id": 2, "latitude": 50.3, "longitude": 2.8, "name": "Placé aussi"},
        {"id": 3, "latitude": None, "longitude": None, "name": "Sans lieu"},
    ]
    links = [{"source_id": 1, "target_id": 2}, {"source_id": 1, "target_id": 3}]
    document = json.loads("".join(generate_geojson(Filters(), actors, links)))
    assert [f["geometry"]["type"] for f in document["features"]] == ["Point", "Point", "LineString"]
    assert (document["metadata"]["unplaced_actors"], document["metadata"]["unplaced_links"]) == (
        1,
        1,
    )
    nowhere = json.loads("".join(generate_geojson(Filters(), actors[2:], links[1:])))
    assert nowhere["features"] == []
    assert (nowhere["metadata"]["unplaced_actors"], nowhere["metadata"]["unplaced_links"]) == (1, 1)
