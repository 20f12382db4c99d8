"""Read-side services of the portal: filters, scopes, aggregation, geometry."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from demo import Demo

from builders import file_needs, make_actor, make_link
from maillage.model.errors import InvalidInput
from maillage.services import actors, portal
from maillage.services.filters import Filters, clean_filters, commune_codes
from maillage.services.portal.geo import simplify_ring
from maillage.services.portal.table import actor_table, link_table


def test_filters_accept_codes_labels_postcodes_and_names(db: sa.Engine) -> None:
    with db.connect() as conn:
        found = clean_filters(
            conn,
            {
                "territory": "Pas-de-Calais",
                "world": "Public / institutionnel",
                "theme": "Inclusion numérique",
                "kind": "funding",
                "year_from": "2018",
                "year_to": 2020,
                "q": "  tiers-lieu ",
                "category": "",
            },
        )
        assert found == Filters(
            territory="DEP:62",
            world="public",
            theme="inclusion-numerique",
            kind="funding",
            year_from=2018,
            year_to=2020,
            q="tiers-lieu",
        )
        assert clean_filters(conn, {"territory": "62000"}).territory == "COM:62041"  # Arras
        assert clean_filters(conn, {"theme": "my-own-theme"}).theme == "my-own-theme"
        for raw, field in [
            ({"world": "martian"}, "world"),
            ({"year": "1492"}, "year"),
            ({"year_from": 2021, "year_to": 2020}, "year_to"),
            ({"q": "x" * 201}, "q"),
            ({"territory": "Atlantide"}, "territory"),
            ({"kind": "friendship"}, "kind"),
        ]:
            with pytest.raises(InvalidInput) as error:
                clean_filters(conn, raw)
            assert error.value.field == field


def test_territory_scopes_reach_communes_arrondissements_and_members(db: sa.Engine) -> None:
    with db.connect() as conn:
        region = set(commune_codes(conn, "REG:32"))
        assert {"59350", "62041", "80021"} <= region and "75056" not in region
        assert "75101" in commune_codes(conn, "COM:75056")  # Paris 1er arrondissement
        assert "75108" in commune_codes(conn, "DEP:75")
        assert "59350" in commune_codes(conn, "EPCI:200093201")  # Métropole Européenne de Lille


def test_actors_declared_in_a_territory_join_its_view_and_deleted_ones_leave(
    db: sa.Engine, demo_map: Demo
) -> None:
    mobile = actors.create_actor(
        db=db, values=make_actor(name="Bus numérique", territories=["DEP:62"])
    )
    assert mobile["commune_code"] == "59350"
    view = actor_table(db=db, filters=Filters(territory="DEP:62"), per_page=100)
    assert view["total"] == 21 and "Bus numérique" in {r["name"] for r in view["rows"]}
    gone = demo_map.by_departement["62"][0]
    links_before = link_table(db=db, filters=Filters(territory="DEP:62"))["total"]
    actors.delete_actor(db=db, actor_id=gone)
    assert actor_table(db=db, filters=Filters(territory="DEP:62"))["total"] == 20
    assert link_table(db=db, filters=Filters(territory="DEP:62"))["total"] < links_before


def test_large_views_are_aggregated_under_the_limit(db: sa.Engine, demo_map: Demo) -> None:
    by_commune = portal.map_geojson(db=db, filters={}, limit=30)
    assert by_commune["meta"]["mode"] == "aggregated" and by_commune["meta"]["level"] == "commune"
    assert sum(f["properties"]["count"] for f in by_commune["features"]) == 40
    assert len(by_commune["features"]) <= 30
    by_departement = portal.map_geojson(db=db, filters={}, limit=5)
    assert {f["properties"]["code"] for f in by_departement["features"]} == {"DEP:59", "DEP:62"}
    network = portal.network_json(db=db, filters={}, limit=10)
    assert network["meta"] == {
        "mode": "aggregated",
        "level": "departement",
        "bundles": len(network["links"]),
        "total": 40,
        "limit": 10,
        "filters": {},
    }
    assert len(network["nodes"]) == 8  # 2 départements x 4 worlds
    assert sum(n["count"] for n in network["nodes"]) == 40
    ids = {n["id"] for n in network["nodes"]}
    assert all(link["source"] in ids and link["target"] in ids for link in network["links"])
    assert (
        sum(link["count"] for link in network["links"]) < 60
    )  # links inside a group are not drawn
    small = portal.network_json(db=db, filters={"territory": "62"}, limit=15)
    assert small["meta"]["mode"] == "aggregated" and small["meta"]["level"] == "commune"


def test_key_figures_count_the_whole_map(db: sa.Engine, demo_map: Demo) -> None:
    figures = portal.key_figures(db=db, lang="en")
    assert figures["actors"] == 40 and figures["links"] == 60 and figures["departements"] == 2
    assert [w["label"] for w in figures["by_world"]][:2] == ["Economic", "Associative / social"]
    assert 0 < figures["cross_world_share"] <= 1
    assert (figures["first_year"], figures["last_year"]) == (2016, 2024)


def test_simplified_rings_stay_closed_and_tiny_ones_go() -> None:
    ring = [[0.0, 0.0], [0.001, 0.0], [0.5, 0.0], [0.5, 0.5], [0.0, 0.5], [0.0, 0.0]]
    simple = simplify_ring(ring, 0.01)
    assert simple == [[0.0, 0.0], [0.5, 0.0], [0.5, 0.5], [0.0, 0.5], [0.0, 0.0]]
    assert simplify_ring([[0, 0], [0.001, 0], [0.001, 0.001], [0, 0]], 0.01) is None


def test_aggregated_networks_keep_the_heaviest_bundles(
    db: sa.Engine, demo_map: Demo, monkeypatch: pytest.MonkeyPatch
) -> None:
    every = sorted(
        (link["count"] for link in portal.network_json(db=db, filters={}, limit=10)["links"]),
        reverse=True,
    )
    monkeypatch.setattr("maillage.services.portal.network.LINK_LIMIT", 5)
    network = portal.network_json(db=db, filters={}, limit=10)
    kept = sorted((link["count"] for link in network["links"]), reverse=True)
    assert kept == every[:5] and network["meta"]["bundles"] == len(every) > 5


def test_territory_counts_from_arrays_match_the_sql(db: sa.Engine, demo_map: Demo) -> None:
    from maillage.services.portal.territory import TerritoryIndex, territory_page

    index = TerritoryIndex()
    assert index.get(db, wait=True) is not None
    for key in ("DEP:59", "DEP:62", "REG:32", "COM:59350", "Lille", "62041"):
        fast = territory_page(db=db, key=key, index=index)
        assert fast == territory_page(db=db, key=key), key
    actors.update_actor(
        db=db, actor_id=demo_map.actor_ids[0], changes={"world": "public"}, user="t"
    )
    assert index.get(db) is None  # a write: built again in the background
    assert index.get(db, wait=True) is not None
    assert territory_page(db=db, key="DEP:59", index=index) == territory_page(db=db, key="DEP:59")


def test_territory_pages_roll_up_the_needs_of_their_communes(db: sa.Engine, demo_map: Demo) -> None:
    from maillage.services.portal.territory import territory_page

    # Roubaix has an actor on "culture", Tourcoing has none: both needs are filed on the
    # commune, and each is judged there, whatever the rest of the département holds.
    actors.create_actor(db=db, values=make_actor(commune_code="59512", themes=["culture"]))
    file_needs(db, ("COM:59512", "culture", 3), ("COM:59599", "culture", 2))
    nord = territory_page(db=db, key="DEP:59")
    filed = {n["territory_code"]: n for n in nord["needs"] if n["theme"] == "culture"}
    assert filed["COM:59512"]["place"] == "Roubaix" and filed["COM:59512"]["actors_on_theme"] == 1
    assert filed["COM:59599"]["place"] == "Tourcoing" and filed["COM:59599"]["actors_on_theme"] == 0
    # ... but the Roubaix actor, at its commune's centre, is the nearest place of the
    # theme, within reach of Tourcoing: not a white zone
    near = filed["COM:59599"]["nearest"]
    assert [(p["name"], p["approximate"]) for p in near] == [
        (filed["COM:59512"]["actor_names"][0], True)
    ]
    assert near[0]["distance_km"] < 10 and filed["COM:59599"]["places_within_reach"] == 1
    assert [n for n in nord["white_zones"] if n["theme"] == "culture"] == []
    own = [n for n in nord["needs"] if n["territory_code"] == "DEP:59"]
    assert len(own) == 2 and all(n["place"] is None for n in own)  # the demo's two needs
    tourcoing = territory_page(db=db, key="COM:59599")["needs"]
    assert [(n["theme"], n["actors_on_theme"], n["place"]) for n in tourcoing] == [
        ("culture", 0, None)
    ]
    region = territory_page(db=db, key="REG:32")  # Hauts-de-France: the needs of both levels
    assert {n["territory_code"] for n in region["needs"]} == {"DEP:59", "COM:59512", "COM:59599"}
    assert territory_page(db=db, key="DEP:62")["needs"] == []
    # a need of the Pas-de-Calais is judged there on the région's page, not by the Nord's actor
    file_needs(db, ("DEP:62", "culture", 1))
    region = territory_page(db=db, key="REG:32")
    pas_de_calais = [n for n in region["needs"] if n["territory_code"] == "DEP:62"]
    assert [n["actors_on_theme"] for n in pas_de_calais] == [0]
    actors.create_actor(db=db, values=make_actor(commune_code="62041", themes=["culture"]))
    actors.create_actor(  # declares Tourcoing as its territory of action, placed elsewhere
        db=db,
        values=make_actor(commune_code="59350", territories=["COM:59599"], themes=["culture"]),
    )
    judged = {
        n["territory_code"]: n["actors_on_theme"]
        for n in territory_page(db=db, key="REG:32")["needs"]
        if n["theme"] == "culture"
    }
    assert judged == {"DEP:62": 1, "COM:59512": 1, "COM:59599": 1}
    assert territory_page(db=db, key="COM:59599")["needs"][0]["actors_on_theme"] == 1


def test_territory_pages_count_arrondissements_in_their_commune_and_unknown_worlds(
    db: sa.Engine,
) -> None:
    from maillage.services.portal.territory import territory_page

    for commune in ("75101", "75120", "75056"):
        actors.create_actor(db=db, values=make_actor(commune_code=commune))
    actors.create_actor(db=db, values=make_actor(commune_code="75111", world=None))
    paris = territory_page(db=db, key="DEP:75", lang="en")
    assert paris["sub_territories"] == [{"code": "COM:75056", "name": "Paris", "actors": 4}]
    assert paris["actors"] == sum(w["count"] for w in paris["by_world"]) == 4
    assert paris["by_world"][-1] == {"code": "unknown", "label": "Not given", "count": 1}
    assert territory_page(db=db, key="COM:75056")["actors"] == 4
    assert territory_page(db=db, key="COM:75111")["sub_territories"] == []  # not Paris again
    # Île-de-France holds Paris with its arrondissements and an actor declaring the 75 only
    actors.create_actor(db=db, values=make_actor(commune_code=None, territories=["DEP:75"]))
    region = territory_page(db=db, key="REG:11")
    assert region["actors"] == territory_page(db=db, key="DEP:75")["actors"] == 5


def test_search_finds_a_territory_by_postcode_or_code(db: sa.Engine, demo_map: Demo) -> None:
    def places(query: str) -> list[str]:
        return [t["code"] for t in portal.search(db=db, query=query)["territories"]]

    assert places("59000") == places("COM:59350") == ["COM:59350"]
    # 59350: the postcode of Saint-André-lez-Lille and the INSEE code of Lille
    assert places("59350") == ["COM:59527", "COM:59350"]
    assert places("DEP:62") == ["DEP:62"] and places("99999") == []
    assert places("Lille")[0] == "COM:59350"


def test_search_counts_every_match_beyond_the_ones_shown(db: sa.Engine, demo_map: Demo) -> None:
    every = portal.search(db=db, query="médiation", limit=50)
    assert every["total"] == len(every["actors"]) > 3 and not every["capped"]
    first = portal.search(db=db, query="médiation", limit=3)
    assert len(first["actors"]) == 3 and first["total"] == every["total"]
    assert [a["id"] for a in first["actors"]] == [a["id"] for a in every["actors"][:3]]


@pytest.mark.parametrize("n", [0, 1, 999, 1000, 1001, 2000])
def test_the_view_geojson_is_one_valid_document_at_any_size(n: int) -> None:
    import json

    from maillage.services.portal.export import generate_geojson

    actors = [
        {"id": i, "latitude": 50.0, "longitude": 3.0 + i * 1e-4, "name": f"Acteur {i}"}
        for i in range(n)
    ]
    links = [{"source_id": i, "target_id": i + 1, "kind": "partnership"} for i in range(n - 1)]
    chunks = list(generate_geojson(Filters(), actors, links))
    features = json.loads("".join(chunks))["features"]
    assert [f["geometry"]["type"] for f in features] == ["Point"] * n + ["LineString"] * max(
        n - 1, 0
    )
    assert len(chunks) <= 3 + (2 * n) // 1000  # sent a thousand features at a time


def test_the_view_csv_writes_formulas_as_text() -> None:
    """The CSV download of a view opens in a spreadsheet: a name must not run as a formula."""
    from maillage.services.portal.export import generate_csv

    text = "".join(
        generate_csv([{"name": "=1+2", "amount": -3, "city": None}], ["name", "amount", "city"])
    )
    assert text.splitlines() == ["name,amount,city", "'=1+2,-3,"]


def test_territory_mixing_leaves_affiliations_out_and_counts_them_as_a_layer(
    db: sa.Engine,
) -> None:
    """The rule of the analysis graph (link kinds ``in_measures: false``): a place's
    affiliation to a national programme is not a link between worlds; the page counts
    it apart, the same from the arrays as from SQL."""
    from maillage.services import links
    from maillage.services.portal.territory import TerritoryIndex, territory_page

    place = actors.create_actor(db=db, values=make_actor(
        name="Centre social Guy Môquet", commune_code="59350", world="associative"))["id"]  # fmt: skip
    commune = actors.create_actor(db=db, values=make_actor(
        name="Commune de Lille", commune_code="59350", world="public"))["id"]  # fmt: skip
    programme = actors.create_actor(db=db, values=make_actor(
        name="Programme Conseillers numériques", commune_code=None, world="public"))["id"]  # fmt: skip
    links.create_link(db=db, values=make_link(place, programme, kind="affiliation"))
    links.create_link(db=db, values=make_link(commune, place, kind="holding"))
    index = TerritoryIndex()
    index.get(db, wait=True)
    for page in (territory_page(db=db, key="DEP:59"),
                 territory_page(db=db, key="DEP:59", index=index)):  # fmt: skip
        assert page["mixing"]["pairs"] == [{"worlds": ["associative", "public"], "count": 1}]
        assert page["mixing"]["left_out"] == {"affiliation": 1}
        assert page["layers"] == [
            {"code": "affiliation", "label": "Affiliation à un programme national", "count": 1}
        ]
