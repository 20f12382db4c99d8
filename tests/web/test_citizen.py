"""The citizen's search: postcodes, INSEE codes and commune names, the nearest places
with their hours and contacts, "around me" by position, and the actor page's contacts;
on SQLite and PostgreSQL, over the demo map and three places around Lille."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from citizen import add_places
from demo import Demo
from fastapi.testclient import TestClient
from htmlcheck import Page
from portal_support import make_client

from maillage.services import portal
from maillage.services.portal.hours import opening_hours
from maillage.services.portal.nearby import distance_km, phone_text


@pytest.fixture
def places(db: sa.Engine, demo_map: Demo) -> dict[str, int]:
    return add_places(db)


@pytest.fixture
def visitor(db: sa.Engine, places: dict[str, int]) -> Iterator[TestClient]:
    with make_client(db) as test_client:
        yield test_client


def readings(db: sa.Engine, query: str) -> list[tuple[str, str, str]]:
    found = portal.search(db=db, query=query)["territories"]
    return [(t["reading"], t["code"], t["name"]) for t in found]


def test_postcodes_and_insee_codes_each_find_their_commune_and_a_shared_code_both(
    db: sa.Engine,
) -> None:
    assert readings(db, "59000") == [("postcode", "COM:59350", "Lille")]
    assert readings(db, "69001") == [
        ("postcode", "COM:69381", "Lyon 1er Arrondissement"),
        ("code", "COM:69001", "Affoux"),
    ]
    assert readings(db, "75056") == [("code", "COM:75056", "Paris")]
    assert readings(db, "2A004") == [("code", "COM:2A004", "Ajaccio")]
    assert readings(db, "2a004") == readings(db, "COM:2A004") == [("code", "COM:2A004", "Ajaccio")]
    assert readings(db, "Lille")[0] == ("name", "COM:59350", "Lille")
    assert readings(db, "99999") == []


def api(client: TestClient, url: str, status: int = 200) -> Any:
    response = client.get(url)
    assert response.status_code == status, response.text[:300]
    return response.json()


def test_a_postcode_lists_the_nearest_places_with_hours_phone_and_directions(
    visitor: TestClient, places: dict[str, int]
) -> None:
    found = api(visitor, "/api/search?q=59000")
    assert found["near"]["territory"]["name"] == "Lille"
    near = found["near"]["places"]
    assert [p["name"] for p in near] == [
        "Espace numérique Wazemmes",
        "Médiathèque Jean Lévy",
        "France Services Roubaix",
    ]  # the demo's actors, known by their commune only, are no address to go to
    assert [p["distance_km"] for p in near] == sorted(p["distance_km"] for p in near)
    first = near[0]
    assert first["distance_km"] < 1 and first["phone"] == "03 20 11 22 33"
    assert first["phone_uri"] == "tel:+33320112233"
    assert first["email"] == "bonjour@wazemmes-numerique.example"
    assert first["hours"]["groups"][0] == {
        "first": "lundi",
        "last": "vendredi",
        "periods": ["09:00–12:00", "14:00–17:30"],
    }
    assert first["services"] == ["Démarches en ligne", "Inclusion numérique"]
    assert first["accessibility"] == ["Surdité", "Handicaps moteurs"]
    assert first["acceslibre_url"].startswith("https://acceslibre.beta.gouv.fr/")
    assert first["directions"] == {
        "osm": "https://www.openstreetmap.org/directions?to=50.628500%2C3.049500",
        "geo": "geo:50.628500,3.049500",
    }
    roubaix = near[2]
    assert roubaix["approximate"] and 8 < roubaix["distance_km"] < 14
    assert roubaix["directions"]["osm"].endswith(
        "to=2%20rue%20du%20Grand%20Chemin%2059100%20Roubaix"
    )
    assert [d["periods"] for d in roubaix["hours"]["days"][:3]] == [
        ["9h-12h / 13h30-17h"],
        [],
        ["9h-12h"],
    ]


def test_places_near_a_code_a_name_or_a_position(visitor: TestClient) -> None:
    by_code = api(visitor, "/api/places?near=59000&limit=2")
    assert by_code["centre"]["name"] == "Lille" and len(by_code["places"]) == 2
    assert api(visitor, "/api/places?near=Lille&limit=2")["places"] == by_code["places"]
    around = api(visitor, "/api/places?lat=50.690&lon=3.182")  # at Roubaix
    assert around["centre"]["reading"] == "position"
    assert around["places"][0]["name"] == "France Services Roubaix"
    shared = api(visitor, "/api/places?near=69001")
    assert [r["name"] for r in shared["readings"]] == ["Lyon 1er Arrondissement", "Affoux"]
    assert shared["places"][0]["distance_km"] > 400  # the nearest known is in the Nord
    api(visitor, "/api/places?lat=91&lon=3", 422)
    api(visitor, "/api/places", 422)
    api(visitor, "/api/places?near=99999", 404)


def test_the_search_page_offers_both_readings_and_the_nearest_places(
    visitor: TestClient,
) -> None:
    shared = Page(visitor.get("/search?q=69001").text)
    assert "Ce code a plusieurs lectures" in shared.text
    assert "Lyon 1er Arrondissement (code postal 69001)" in shared.text
    assert "Affoux (code INSEE 69001)" in shared.text
    assert shared.find("a", href="/places?near=COM%3A69001")
    lille = Page(visitor.get("/search?q=59000").text)
    assert "Lieux les plus proches de Lille" in lille.text
    assert "lundi – vendredi : 09:00–12:00, 14:00–17:30" in lille.text
    assert lille.find("a", href="tel:+33320112233")
    english = Page(visitor.get("/places?near=59000&lang=en").text)
    assert "Monday – Friday: 09:00–12:00, 14:00–17:30" in english.text
    assert "Places near Lille" in english.text
    assert english.unlabelled_controls() == []


def test_the_actor_page_shows_its_phone_e_mail_and_opening_hours(
    visitor: TestClient, places: dict[str, int]
) -> None:
    html = visitor.get(f"/actors/{places['Médiathèque Jean Lévy']}").text
    page = Page(html)
    assert "Venir ou contacter" in page.text
    assert page.find("a", href="tel:+33320384700")
    assert page.find("a", href="mailto:mediatheque@lille.example")
    assert "mardi – samedi : 10:00–19:00" in page.text
    assert "lundi : fermé" in page.text
    data = api(visitor, f"/api/actors/{places['Médiathèque Jean Lévy']}")
    assert data["visit"]["phone"] == "03 20 38 47 00"


def test_opening_hours_read_from_the_osm_syntax_or_shown_as_written() -> None:
    wednesday = dt.date(2026, 3, 4)  # ISO week 10
    hours = opening_hours("Mo-Fr 09:00-12:00; Fr 22:00-02:00", "en", today=wednesday)
    assert hours is not None and hours["days"] is not None
    assert [d["periods"] for d in hours["days"][4:6]] == [["22:00–24:00"], ["00:00–02:00"]]
    every_other = opening_hours("week 1-53/2 Tu 09:00-12:30; PH off", today=wednesday)
    assert every_other is not None and every_other["varies"]
    assert every_other["readable"] == "week 1-53/2 mardi 09:00-12:30; jours fériés off"
    odd = opening_hours("Mo-Fr sur rendez-vous", "fr", today=wednesday)
    assert odd == {
        "raw": "Mo-Fr sur rendez-vous",
        "days": None,
        "groups": None,
        "readable": "lundi-vendredi sur rendez-vous",
        "varies": False,
    }
    assert opening_hours("", "fr") is None and opening_hours(None, "fr") is None


def test_distances_and_phone_numbers_as_people_read_them() -> None:
    assert round(distance_km(48.8566, 2.3522, 45.7640, 4.8357)) == 391  # Paris - Lyon
    assert phone_text("+33320112233") == "03 20 11 22 33"
    assert phone_text("03.20.11.22.33") == "03 20 11 22 33"
    assert phone_text("+32 2 123 45 67") == "+32 2 123 45 67"


def test_a_data_inclusion_place_known_by_its_commune_and_hours_is_listed(
    db: sa.Engine, visitor: TestClient
) -> None:
    from maillage.services import actors

    row = {"name": "Point d'accueil Tourcoing", "commune_code": "59599"}
    row["extra"] = {"horaires_accueil": "Mo 09:00-12:00"}  # as data·inclusion has it
    actors.create_actor(db=db, values=row)
    first = api(visitor, "/api/places?near=59599&limit=1")["places"][0]
    assert first["name"] == "Point d'accueil Tourcoing" and first["approximate"]
    assert first["hours"]["groups"][0] == {
        "first": "lundi",
        "last": None,
        "periods": ["09:00–12:00"],
    }
