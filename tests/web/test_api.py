"""JSON twins, widget data and exports, on SQLite and PostgreSQL, over the demo map."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import sqlalchemy as sa
from demo import Demo
from fastapi.testclient import TestClient
from portal_support import make_client

from maillage import __version__
from maillage.services import database

NORD_BOX = (2.0, 50.0, 4.3, 51.1)  # lon/lat box holding the demo communes of the Nord


def test_home_and_explore_twins(client: TestClient) -> None:
    home = client.get("/api/home").json()
    assert home["figures"]["actors"] == 40 and home["figures"]["links"] == 60
    assert {w["code"]: w["count"] for w in home["figures"]["by_world"]}["associative"] == 11
    assert home["how_to"][0].startswith("Filtrez la vue")
    assert client.get("/api/home?lang=en").json()["how_to"][0].startswith("Filter the view")
    view = client.get("/api/explore?territory=Nord&world=public").json()
    assert view["filters"] == {"territory": "DEP:59", "world": "public"}
    assert view["actors"]["total"] == 5 and {r["world"] for r in view["actors"]["rows"]} == {
        "public"
    }
    assert view["urls"]["map_geojson"].endswith("/api/map.geojson?territory=DEP%3A59&world=public")
    page = client.get("/api/actors?per_page=15&page=3").json()
    assert (page["total"], page["pages"], page["page"], len(page["rows"])) == (40, 3, 3, 10)
    assert client.get("/api/links?kind=funding").json()["total"] == 12


def test_map_geojson_draws_the_filtered_actors(client: TestClient) -> None:
    response = client.get("/api/map.geojson?territory=59")
    assert response.headers["content-type"].startswith("application/geo+json")
    data = response.json()
    assert data["meta"]["mode"] == "actors" and data["meta"]["total"] == 20
    # the demo's actors have a commune and no coordinates: one point per commune, at its
    # centre, that says so and names them (never a point per actor made up around it)
    assert data["meta"]["approximate"] == 20 and data["meta"]["unplaced"] == 0
    assert sorted(
        (f["properties"]["code"], f["properties"]["count"]) for f in data["features"]
    ) == [("COM:59178", 4), ("COM:59350", 8), ("COM:59512", 6), ("COM:59599", 2)]
    assert all(f["properties"]["approximate"] for f in data["features"])
    assert sum(len(f["properties"]["members"]) for f in data["features"]) == 20
    west, south, east, north = NORD_BOX
    for feature in data["features"]:
        lon, lat = feature["geometry"]["coordinates"]
        assert west < lon < east and south < lat < north
        assert feature["properties"]["world"] in ("economic", "associative", "public", "academic")
    assert client.get("/api/map.geojson?q=emmaus").json()["meta"]["total"] == 1


def test_network_json_is_node_link_with_a_stable_layout(client: TestClient) -> None:
    data = client.get("/api/network.json").json()
    ids = {n["id"] for n in data["nodes"]}
    assert len(ids) == 40 and len(data["links"]) == 60
    assert all(link["source"] in ids and link["target"] in ids for link in data["links"])
    assert all(isinstance(n["x"], float) and isinstance(n["y"], float) for n in data["nodes"])
    assert sum(n["degree"] for n in data["nodes"]) == 120
    in_2018 = client.get("/api/network.json?year=2018").json()
    assert 0 < len(in_2018["links"]) < 60
    assert all(link["start_year"] <= 2018 for link in in_2018["links"])
    positions = {n["id"]: (n["x"], n["y"]) for n in data["nodes"]}
    linked = {e[end] for e in in_2018["links"] for end in ("source", "target")}
    # the timeline replays: the actors linked that year, where they stand over every year
    assert {n["id"]: (n["x"], n["y"]) for n in in_2018["nodes"]} == {
        k: positions[k] for k in linked
    }


def test_widget_data_compressed_or_not_as_the_client_asks(client: TestClient) -> None:
    for url, items, count in (
        ("/api/network.json?territory=59", "nodes", 20),
        ("/api/map.geojson?territory=59", "features", 4),  # one per commune: see above
    ):
        zipped = client.get(url, headers={"Accept-Encoding": "gzip"})
        plain = client.get(url, headers={"Accept-Encoding": "identity"})
        assert zipped.headers["content-encoding"] == "gzip"
        assert "content-encoding" not in plain.headers
        assert "Accept-Encoding" in plain.headers["vary"]
        assert zipped.json() == plain.json() and len(plain.json()[items]) == count


def test_boundaries_and_shading(client: TestClient) -> None:
    departements = client.get("/api/boundaries/departement.geojson")
    assert departements.headers["cache-control"] == "public, max-age=3600"
    features = departements.json()["features"]
    assert len(features) == 101 and {"DEP:59", "DEP:2A", "DEP:974"} <= {f["id"] for f in features}
    assert all(f["geometry"]["type"] == "MultiPolygon" for f in features)
    assert len(client.get("/api/boundaries/region.geojson").json()["features"]) == 18
    assert client.get("/api/boundaries/commune.geojson").status_code == 422
    actors = client.get("/api/shading.json?measure=actors").json()
    assert actors["values"] == {"DEP:59": 20.0, "DEP:62": 20.0}
    crossing = client.get("/api/shading.json?measure=cross_world&territory=62").json()
    assert 0 < crossing["values"]["DEP:62"] <= 1
    assert client.get("/api/shading.json?measure=indicator:ifn").json()["values"]["DEP:62"] == 6.8
    assert client.get("/api/shading.json?measure=nonsense").status_code == 422


def test_exports_hold_every_actor_and_link_of_the_view(client: TestClient) -> None:
    geo = client.get("/api/export/view.geojson?territory=62")
    assert 'filename="maillage-DEP-62.geojson"' in geo.headers["content-disposition"]
    features = geo.json()["features"]
    actors = [f for f in features if f["properties"]["type"] == "actor"]
    lines = [f for f in features if f["properties"]["type"] == "link"]
    assert len(actors) == 20 and all(f["geometry"]["type"] == "Point" for f in actors)
    assert lines and all(f["geometry"]["type"] == "LineString" for f in lines)
    rows = list(
        csv.DictReader(io.StringIO(client.get("/api/export/actors.csv?world=academic").text))
    )
    assert len(rows) == 10 and {r["world"] for r in rows} == {"academic"}
    links = list(csv.DictReader(io.StringIO(client.get("/api/export/links.csv").text)))
    assert len(links) == 60 and links[0].keys() >= {"source_id", "target_id", "kind", "start_year"}


def test_entity_twins(client: TestClient, demo_map: Demo) -> None:
    actor = client.get(f"/api/actors/{demo_map.named['emmaus']}").json()
    assert actor["world_label"] == "Associatif / social"
    assert {m["code"] for m in actor["measures"]} >= {"degree", "partners", "worlds_reached"}
    assert all(m["name"] for m in actor["measures"])
    territory = client.get("/api/territories/DEP:59").json()
    assert territory["actors"] == 20 and territory["mixing"]["links"] > 0
    assert [n["theme"] for n in territory["white_zones"]] == ["mobilite"]
    link = client.get(f"/api/links/{demo_map.link_ids[0]}").json()
    assert link["source_actor"]["live"] and link["evidence_url"] == "https://example.org/convention"
    found = client.get("/api/search?q=médiation numérique").json()
    assert len(found["actors"]) == 40
    assert client.get("/api/search").json()["actors"] == []
    assert len(client.get("/api/measures").json()) >= 10
    assert (
        client.get("/api/measures/mixing").json()["name"] == "Matrice des interactions entre mondes"
    )
    assert client.get("/api/actors/987654").status_code == 404
    assert client.get("/api/territories/XYZ:1").status_code == 404
    english = client.get(f"/api/actors/{demo_map.named['emmaus']}?lang=en").json()
    assert english["world_label"] == "Associative / social"


def test_every_api_route_is_in_the_openapi_schema(client: TestClient) -> None:
    schema = client.get("/api/openapi.json").json()
    documented = set(schema["paths"])
    routes = {r.path for r in client.app.routes if getattr(r, "path", "").startswith("/api/")}
    assert routes - {"/api/openapi.json"} <= documented
    params = {p["name"] for p in schema["paths"]["/api/map.geojson"]["get"]["parameters"]}
    assert params >= {
        "territory",
        "world",
        "category",
        "theme",
        "kind",
        "year_from",
        "year_to",
        "year",
        "q",
    }
    actor = schema["paths"]["/api/actors/{actor_id}"]["get"]
    assert {p["name"] for p in actor["parameters"]} == {"actor_id", "lang"}


def test_health_route_and_head_of_the_home_page(client: TestClient, db: sa.Engine) -> None:
    """What a load balancer or an uptime probe asks: /healthz says the database answers
    and at which schema revision; HEAD / answers like GET / (it was 405)."""
    answer = client.get("/healthz")
    assert answer.status_code == 200 and answer.headers["cache-control"] == "no-store"
    revision = database.current_revision(db=db)
    assert revision and answer.json() == {
        "status": "ok",
        "database": "ok",
        "revision": revision,
        "version": __version__,
    }
    assert client.head("/healthz").status_code == 200
    head = client.head("/")
    assert head.status_code == 200 and head.headers["content-type"].startswith("text/html")
    documented = client.get("/api/openapi.json").json()["paths"]["/healthz"]
    assert set(documented["get"]["responses"]) >= {"200", "503"}


def test_health_route_says_503_when_the_database_cannot_answer(tmp_path: Path) -> None:
    gone = sa.create_engine(f"sqlite:///{tmp_path}/no/such/folder/carte.sqlite")
    answer = make_client(gone).get("/healthz")
    assert answer.status_code == 503
    assert answer.json()["status"] == "unavailable" and answer.json()["database"] == "unavailable"
    never_upgraded = sa.create_engine(f"sqlite:///{tmp_path}/vide.sqlite")
    answer = make_client(never_upgraded).get("/healthz")
    assert answer.status_code == 503 and answer.json()["database"] == "uninitialised"
