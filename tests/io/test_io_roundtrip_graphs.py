"""GEXF, GraphML, GeoJSON and lieux CSV: round trips and real readers of our exports."""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path

import networkx as nx
import openpyxl
from hypothesis import given
from io_strategies import ROUND_TRIP, graphs, lieux_lists
from io_support import optional_import

from maillage.io.geojson import generate_geojson, parse_geojson
from maillage.io.gexf import generate_gexf, parse_gexf
from maillage.io.graphml import generate_graphml, parse_graphml
from maillage.io.kumu import parse_kumu
from maillage.io.mediation import LIEUX_COLUMNS, generate_lieux_csv, parse_lieux_csv
from maillage.io.reading import parse_csv_text
from maillage.io.tableschema import SCHEMA_DIR
from maillage.model.records import ActorRecord, LinkRecord

Graph = tuple[list[ActorRecord], list[LinkRecord]]
SETTINGS = ROUND_TRIP

ACTORS = [
    ActorRecord(
        name="Ville de Lille", key="a", world="public", latitude=50.63, longitude=3.06,
        themes=["numérique", "emploi"], sdgs=[17], extra={"k": 1}, siret="21590350100017",
    ),
    ActorRecord(name="Insersol", key="b", world="associative", latitude=50.62, longitude=3.1),
    ActorRecord(name="Sans coordonnées", key="c"),
]  # fmt: skip
LINKS = [
    LinkRecord(
        source_key="a", target_key="b", kind="funding", directed=True, amount=1500.5,
        weight=1500.5, start_date=dt.date(2019, 3, 12), end_date=dt.date(2020, 1, 1),
    ),
    LinkRecord(source_key="b", target_key="c", kind="partnership", start_date=dt.date(2021, 1, 1)),
]  # fmt: skip


@SETTINGS
@given(graphs())
def test_gexf_round_trip(graph: Graph) -> None:
    actors, links = graph
    parsed = parse_gexf("".join(generate_gexf(actors, links)))
    assert parsed.errors == []
    assert parsed.actors == actors and parsed.links == links


@SETTINGS
@given(graphs())
def test_graphml_round_trip(graph: Graph) -> None:
    actors, links = graph
    parsed = parse_graphml("".join(generate_graphml(actors, links)))
    assert parsed.errors == []
    assert parsed.actors == actors and parsed.links == links


@SETTINGS
@given(graphs())
def test_geojson_round_trip(graph: Graph) -> None:
    actors, _ = graph
    territory = {
        "code": "DEP:59", "name": "Nord", "indicators": {"population": 2600000, "ifn": 6.2},
        "geometry": {"type": "Polygon", "coordinates": [[[3, 50], [4, 50], [4, 51], [3, 50]]]},
    }  # fmt: skip
    parsed = parse_geojson("".join(generate_geojson(actors, [territory])))
    located = [a for a in actors if a.latitude is not None and a.longitude is not None]
    assert parsed.errors == []
    assert parsed.actors == located
    assert parsed.territories == [territory]


@SETTINGS
@given(lieux_lists())
def test_lieux_csv_round_trip(places: list[ActorRecord]) -> None:
    text = "".join(generate_lieux_csv(places))
    parsed = parse_lieux_csv(parse_csv_text(text))
    assert parsed.errors == []
    assert parsed.actors == places


def test_networkx_reads_our_gexf_with_all_attributes() -> None:
    graph = nx.read_gexf(io.BytesIO("".join(generate_gexf(ACTORS, LINKS)).encode()))
    assert graph.is_directed() and set(graph.nodes) == {"a", "b", "c"}
    lille = graph.nodes["a"]
    assert lille["label"] == "Ville de Lille" and lille["world"] == "public"
    assert lille["latitude"] == 50.63 and lille["siret"] == "21590350100017"
    assert lille["themes"] == "numérique|emploi" and json.loads(lille["extra"]) == {"k": 1}
    assert lille["viz"]["color"] == {"r": 0, "g": 75, "b": 210, "a": 1.0}  # #004bd2
    funding = graph.edges["a", "b"]
    assert (funding["kind"], funding["amount"], funding["weight"]) == ("funding", 1500.5, 1500.5)
    assert funding["directed"] is True
    assert funding["spells"] == [("2019-03-12", "2020-01-01")]
    assert graph.edges["b", "c"]["directed"] is False


def test_networkx_reads_our_graphml_with_all_attributes() -> None:
    graph = nx.read_graphml(io.BytesIO("".join(generate_graphml(ACTORS, LINKS)).encode()))
    assert graph.is_directed()
    lille = graph.nodes["a"]
    assert (lille["name"], lille["world"], lille["latitude"]) == ("Ville de Lille", "public", 50.63)
    assert lille["sdgs"] == "17"
    funding = graph.edges["a", "b"]
    assert (funding["kind"], funding["amount"], funding["directed"]) == ("funding", 1500.5, True)
    assert (funding["start_date"], funding["end_date"]) == ("2019-03-12", "2020-01-01")


def test_gdal_reads_our_geojson(tmp_path: Path) -> None:
    pyogrio = optional_import("pyogrio")
    territory = {
        "code": "DEP:59", "name": "Nord", "indicators": {"population": 2600000},
        "geometry": {"type": "Polygon", "coordinates": [[[3, 50], [4, 50], [4, 51], [3, 50]]]},
    }  # fmt: skip
    path = tmp_path / "carte.geojson"
    path.write_text("".join(generate_geojson(ACTORS, [territory])), encoding="utf-8")
    meta, _fids, geometries, fields = pyogrio.raw.read(path)
    assert len(geometries) == 3  # two located actors and one territory
    columns = dict(zip(meta["fields"], fields, strict=True))
    assert list(columns["feature_type"]) == ["actor", "actor", "territory"]
    assert list(columns["name"]) == ["Ville de Lille", "Insersol", "Nord"]
    assert columns["world"][0] == "public" and columns["siret"][0] == "21590350100017"
    assert columns["population"][2] == 2600000
    assert meta["crs"] == "EPSG:4326"


def test_frictionless_validates_our_lieux_csv(tmp_path: Path) -> None:
    frictionless = optional_import("frictionless")
    places = [
        ActorRecord(
            name="EPN de Lille", key="epn-1", siret="21590350100017", address="1 place Augustin Laurent",
            postcode="59000", commune_name="Lille", commune_code="59350", latitude=50.63,
            longitude=3.06, phone="03 20 00 00 00", email="epn@lille.fr", website="https://lille.fr",
            themes=["Aide aux démarches administratives", "Accès internet et matériel informatique"],
            extra={"typologie": "MUNI", "date_maj": "2024-05-01", "frais_a_charge": "Gratuit",
                   "horaires": "Mo-Fr 09:00-12:00", "itinerance": "Fixe"},
        ),
        ActorRecord(name="Asso sans pivot", key="x", address="2 rue", postcode="75001", commune_name="Paris"),
        ActorRecord(name="Sans adresse", key="y", postcode="75001", commune_name="Paris"),
    ]  # fmt: skip
    (tmp_path / "lieux.csv").write_text(
        "".join(generate_lieux_csv(places, date_maj=dt.date(2024, 6, 1))), encoding="utf-8"
    )
    descriptor = (SCHEMA_DIR / "lieux-mediation-numerique-1.0.2.schema.json").read_text("utf-8")
    schema = frictionless.Schema.from_descriptor(json.loads(descriptor))
    resource = frictionless.Resource(path="lieux.csv", basepath=str(tmp_path), schema=schema)
    report = resource.validate()
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])
    lines = (tmp_path / "lieux.csv").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 3  # header + 2: the place without an address cannot be written
    assert ",+33320000000," in lines[1] and lines[2].startswith("x,00000000000000,")
    header = (tmp_path / "lieux.csv").read_text(encoding="utf-8").splitlines()[0]
    assert header.split(",") == list(LIEUX_COLUMNS)


def _kumu_workbook() -> bytes:
    workbook = openpyxl.Workbook()
    elements = workbook.active
    assert elements is not None
    elements.title = "Elements"
    elements.append(["Label", "Type", "Description", "Tags", "SIRET", "Ville"])
    elements.append(
        ["Ville de Lille", "Public", "Mairie", "numérique|emploi", "21590350100017", "Lille"]
    )
    elements.append(["Insersol", "Association", None, None, None, "Lille"])
    elements.append(["Fablab", "tiers-lieu", None, None, None, None])
    connections = workbook.create_sheet("Connections")
    connections.append(["From", "To", "Type", "Direction", "Strength", "Label"])
    connections.append(["Ville de Lille", "Insersol", "funding", "directed", 3, "subvention 2019"])
    connections.append(["Insersol", "Fablab", "partnership", "undirected", None, None])
    connections.append(["Insersol", None, "partnership", None, None, None])
    workbook.create_sheet("Notes (ignore)").append(["Label", "x"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_kumu_workbook() -> None:
    result = parse_kumu(_kumu_workbook(), file="carte.xlsx")
    lille, insersol, fablab = result.actors
    assert (lille.key, lille.world, lille.themes, lille.siret) == (
        "Ville de Lille", "public", ["numérique", "emploi"], "21590350100017",
    )  # fmt: skip
    assert (insersol.world, insersol.commune_name) == ("associative", "Lille")
    assert (fablab.world, fablab.category) == ("associative", "tiers-lieu")  # its default world
    funding, partnership = result.links
    assert (funding.kind, funding.directed, funding.weight, funding.purpose) == (
        "funding", True, 3.0, "subvention 2019",
    )  # fmt: skip
    assert partnership.directed is False
    assert [(i.file, i.row, i.field) for i in result.errors] == [
        ("carte.xlsx#Connections", 4, "target_key")
    ]
