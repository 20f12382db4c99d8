"""The map's background setting (``--tile-url``, ``MAILLAGE_TILE_URL``): ``ign`` for IGN
Géoplateforme's Plan IGN with its credit, any tile URL, or none; and the communes that the
map names at street zoom without tiles (``/api/communes.geojson``)."""

from __future__ import annotations

import html
import re

import pytest
import sqlalchemy as sa
from demo import Demo
from fastapi.testclient import TestClient
from portal_support import make_client

from maillage.model.errors import InvalidInput
from maillage.settings import Settings
from maillage.web import deployment

LILLE = (3.0573, 50.6292)


def map_data(page: str) -> dict[str, str]:
    """The data attributes of the explore page's map."""
    tag = re.search(r'<div id="map"[^>]*>', page, re.S)
    assert tag is not None
    return {k: html.unescape(v) for k, v in re.findall(r'data-([a-z-]+)="([^"]*)"', tag.group(0))}


def test_without_a_tile_setting_pages_reach_only_the_server(client: TestClient) -> None:
    page = client.get("/explore")
    assert map_data(page.text)["tile-url"] == ""
    policy = page.headers["content-security-policy"]
    assert "img-src 'self' data: blob:;" in policy and "connect-src 'self';" in policy


@pytest.mark.parametrize("value", ["ign", "IGN", " ign "])
def test_ign_stands_for_plan_ign_with_its_credit(db: sa.Engine, demo_map: Demo, value: str) -> None:
    with make_client(db, tile_url=value) as client:
        page = client.get("/explore")
    data = map_data(page.text)
    assert data["tile-url"] == deployment.IGN_PLAN_TILE_URL
    assert "LAYER=GEOGRAPHICALGRIDSYSTEMS.PLANIGNV2" in data["tile-url"]
    assert "TILEMATRIXSET=PM&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}" in data["tile-url"]
    assert data["tile-attribution"] == "© IGN / Géoplateforme"
    policy = page.headers["content-security-policy"]
    assert "img-src 'self' data: blob: https://data.geopf.fr;" in policy


def test_another_tile_server_is_credited_by_its_host(db: sa.Engine, demo_map: Demo) -> None:
    url = "https://tiles.example.org/{z}/{x}/{y}.png"
    with make_client(db, tile_url=url) as client:
        data = map_data(client.get("/explore").text)
    assert data["tile-url"] == url
    assert data["tile-attribution"] == "© tiles.example.org"


@pytest.mark.parametrize(
    "value", ["igm", "ftp://tiles.example.org/{z}/{x}/{y}.png", "https://tiles.example.org/{z}.png"]
)
def test_a_tile_setting_that_cannot_be_used_is_refused_in_one_message(value: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        deployment.checked(Settings(database_url="sqlite://", tile_url=value))
    assert refused.value.field == "tile_url"
    assert "ign" in str(refused.value) and "{z}" in str(refused.value)


def test_the_environment_names_ign_for_every_worker() -> None:
    settings = deployment.checked(deployment.from_environment({"MAILLAGE_TILE_URL": "ign"}))
    assert settings.tile_url == deployment.IGN_PLAN_TILE_URL
    assert deployment.to_environment(settings)["MAILLAGE_TILE_URL"] == deployment.IGN_PLAN_TILE_URL
    assert deployment.checked(deployment.from_environment({})).tile_url is None


def test_communes_in_a_box_most_populated_first(client: TestClient) -> None:
    west, south = LILLE[0] - 0.1, LILLE[1] - 0.05
    answer = client.get(f"/api/communes.geojson?bbox={west},{south},{west + 0.2},{south + 0.1}")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("application/geo+json")
    assert "max-age=86400" in answer.headers["cache-control"]
    body = answer.json()
    names = [f["properties"]["name"] for f in body["features"]]
    assert names[0] == "Lille" and {"Lambersart", "La Madeleine", "Loos"} <= set(names)
    lille = body["features"][0]
    assert lille["properties"]["code"] == "59350"
    lon, lat = lille["geometry"]["coordinates"]
    assert abs(lon - LILLE[0]) < 0.05 and abs(lat - LILLE[1]) < 0.05
    populations = [f["properties"]["population"] for f in body["features"]]
    assert populations == sorted(populations, reverse=True)
    assert body["meta"] == {
        "bbox": [2.95, 50.55, 3.2, 50.7],
        "total": len(names),
        "truncated": False,
    }


def test_a_box_of_all_france_answers_its_largest_communes_only(client: TestClient) -> None:
    body = client.get("/api/communes.geojson?bbox=-5.5,41.2,9.8,51.3").json()
    assert len(body["features"]) == 300 < body["meta"]["total"]
    assert body["meta"]["truncated"] is True
    assert body["features"][0]["properties"]["name"] == "Paris"


@pytest.mark.parametrize("bbox", ["3,50,2,51", "3,50,4", "a,b,c,d", "3,50,4,95"])
def test_a_box_that_is_not_one_is_refused(client: TestClient, bbox: str) -> None:
    answer = client.get(f"/api/communes.geojson?bbox={bbox}")
    assert answer.status_code == 422
    assert "bbox" in answer.text
