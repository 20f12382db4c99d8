"""The pair-of-worlds filter and the timeline year: one rule for the map, the network,
the tables and the exports (the funder's association - company links around Lyon)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from lyon import METROPOLE, PAIR_ACTORS, PAIR_LINKS, Lyon, active_in, build
from portal_support import make_client

from maillage.model.errors import InvalidInput
from maillage.services import portal
from maillage.services.filters import Filters, clean_filters
from maillage.services.portal.table import actor_table, link_table

PAIR = {"territory": "Métropole de Lyon", "pair": "associatif, Économique"}


@pytest.fixture
def lyon(db: sa.Engine) -> Lyon:
    return build(db)


def test_a_pair_of_worlds_keeps_the_links_between_them_and_their_ends(
    db: sa.Engine, lyon: Lyon
) -> None:
    with db.connect() as conn:
        filters = clean_filters(conn, PAIR)
    assert filters == Filters(territory=METROPOLE, pair="economic,associative")
    links = link_table(db=db, filters=filters, per_page=100)
    assert links["total"] == PAIR_LINKS
    assert all(
        {r["source_world"], r["target_world"]} == {"associative", "economic"} for r in links["rows"]
    )
    view = actor_table(db=db, filters=filters, per_page=100)
    assert view["total"] == PAIR_ACTORS  # neither the public body nor the lab, nor Villefranche
    assert lyon.ids["beaujolais"] not in {r["id"] for r in view["rows"]}
    assert portal.map_geojson(db=db, filters=filters)["meta"]["total"] == PAIR_ACTORS
    network = portal.network_json(db=db, filters=filters)
    assert (len(network["nodes"]), len(network["links"])) == (PAIR_ACTORS, PAIR_LINKS)
    # the world filter alone keeps the links inside one world: none between the two
    associations = Filters(territory=METROPOLE, world="associative")
    assert link_table(db=db, filters=associations)["total"] == 1
    # a pair inside one world is that world's links
    inside = Filters(territory=METROPOLE, pair="associative,associative")
    assert link_table(db=db, filters=inside)["total"] == 1
    assert actor_table(db=db, filters=inside)["total"] == 2


def test_the_timeline_year_moves_the_map_the_network_and_the_counts_together(
    db: sa.Engine, lyon: Lyon
) -> None:
    for year in (2017, 2020, 2023):
        filters = Filters(territory=METROPOLE, pair="economic,associative", year=year)
        expected = active_in(year)
        ends = {lyon.ids[k] for row in expected for k in row[:2]}
        assert link_table(db=db, filters=filters)["total"] == len(expected)
        assert {r["id"] for r in actor_table(db=db, filters=filters, per_page=100)["rows"]} == ends
        on_map = portal.map_geojson(db=db, filters=filters)
        assert {f["properties"]["id"] for f in on_map["features"]} == ends
        network = portal.network_json(db=db, filters=filters)
        assert {n["actor_id"] for n in network["nodes"]} == ends
        assert len(network["links"]) == len(expected)
    # nodes keep the places of the view over every year
    every = portal.network_json(db=db, filters={"territory": METROPOLE})
    in_2020 = portal.network_json(db=db, filters={"territory": METROPOLE, "year": 2020})
    places = {n["id"]: (n["x"], n["y"]) for n in every["nodes"]}
    assert 0 < len(in_2020["nodes"]) < len(every["nodes"])
    assert all(places[n["id"]] == (n["x"], n["y"]) for n in in_2020["nodes"])


def test_pairs_are_checked_and_the_api_and_exports_follow_them(db: sa.Engine, lyon: Lyon) -> None:
    with db.connect() as conn:
        for raw in (
            {"pair": "associative"},
            {"pair": "associative,martian"},
            {"pair": "associative,economic,public"},
            {"pair": "associative,economic", "world": "public"},
        ):
            with pytest.raises(InvalidInput) as error:
                clean_filters(conn, raw)
            assert error.value.field == "pair"
    with make_client(db) as client:
        query = "territory=EPCI:200046977&pair=associative,economic"
        geojson = client.get(f"/api/map.geojson?{query}").json()
        assert geojson["meta"]["total"] == PAIR_ACTORS
        assert geojson["meta"]["filters"]["pair"] == "economic,associative"
        rows = client.get(f"/api/export/links.csv?{query}").text.strip().splitlines()
        assert len(rows) == 1 + PAIR_LINKS
        refused = client.get("/api/map.geojson?pair=associative,martian")
        assert refused.status_code == 422 and "pair" in refused.text
        page = client.get(f"/explore?{query}").text
        assert 'option value="economic,associative" selected' in page
