"""What a citizen's trial of the portal found, on the pages a user sees: postcodes, INSEE
codes and both readings of a shared code (59000, 69001, 75056, 2A004); places at the same
distance with their hours first; a directions link that names its place once; no "0
acteur trouvé" above the places; "près d'Affoux", not "près de Affoux"."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from citizen import add_places
from demo import Demo
from fastapi.testclient import TestClient
from htmlcheck import Page
from portal_support import make_client

from maillage.services import actors
from maillage.web.i18n import Gettext


@pytest.fixture
def visitor(db: sa.Engine, demo_map: Demo) -> Iterator[TestClient]:
    add_places(db)
    with make_client(db) as test_client:
        yield test_client


def page(client: TestClient, url: str) -> Page:
    response = client.get(url)
    assert response.status_code == 200, response.text[:300]
    return Page(response.text)


def test_each_postcode_and_insee_code_finds_its_commune_and_a_shared_code_both(
    visitor: TestClient,
) -> None:
    lille = page(visitor, "/search?q=59000")
    assert "Lille (code postal 59000)" in lille.text
    assert "Lieux les plus proches de Lille" in lille.text
    assert "Espace numérique Wazemmes" in lille.text
    assert "Lieux près de Lille" in page(visitor, "/places?near=59000").text
    shared = page(visitor, "/search?q=69001")
    assert "Lyon 1er Arrondissement (code postal 69001)" in shared.text
    assert "Affoux (code INSEE 69001)" in shared.text
    assert "Lieux près d'Affoux" in shared.text and "de Affoux" not in shared.text
    both = page(visitor, "/places?near=69001")
    assert "Lieux près de Lyon 1er Arrondissement" in both.text  # the postcode first
    assert both.find("a", href="/places?near=COM%3A69001")  # and Affoux offered
    affoux = page(visitor, "/places?near=COM:69001")
    assert "Lieux près d'Affoux" in affoux.text
    paris = page(visitor, "/search?q=75056")
    assert "Paris (code INSEE 75056)" in paris.text
    assert "Lieux près de Paris" in page(visitor, "/places?near=75056").text
    ajaccio = page(visitor, "/search?q=2A004")
    assert "Ajaccio (code INSEE 2A004)" in ajaccio.text
    assert "Lieux près d'Ajaccio" in page(visitor, "/places?near=2A004").text
    assert "Places near Affoux" in page(visitor, "/places?near=COM:69001&lang=en").text


def test_the_answer_of_a_postcode_says_nothing_of_zero_actors(visitor: TestClient) -> None:
    lille = page(visitor, "/search?q=59000")
    assert "acteur trouvé" not in lille.text and "Rien n'a été trouvé" not in lille.text
    named = page(visitor, "/search?q=médiathèque")  # actors found: counted once, above them
    assert named.text.count("1 acteur trouvé pour « médiathèque »") == 1
    assert named.text.index("Acteurs") < named.text.index("1 acteur trouvé")
    nothing = page(visitor, "/search?q=zyxwvu")
    assert "Rien n'a été trouvé pour « zyxwvu »." in nothing.text


def test_places_at_the_same_distance_list_those_with_opening_hours_first(
    db: sa.Engine, visitor: TestClient
) -> None:
    where = {"commune_code": "59350", "latitude": 50.6400, "longitude": 3.0700}
    actors.create_actor(db=db, values={"name": "Point sans horaires", **where})
    hours = {"extra": {"horaires": "Mo-Fr 09:00-17:00"}}
    actors.create_actor(db=db, values={"name": "Point avec horaires", **where, **hours})
    found = visitor.get("/api/places?lat=50.6401&lon=3.0701&limit=2").json()["places"]
    assert [p["name"] for p in found] == ["Point avec horaires", "Point sans horaires"]
    listed = page(visitor, "/places?lat=50.6401&lon=3.0701&limit=2").text
    assert listed.index("Point avec horaires") < listed.index("Point sans horaires")


def test_the_directions_link_says_itineraire_and_names_the_place_once(
    visitor: TestClient,
) -> None:
    lille = page(visitor, "/places?near=59000&limit=1")
    route = lille.find("a", href="https://www.openstreetmap.org/directions?to=50.628500%2C3.049500")
    assert route == [
        {
            "href": "https://www.openstreetmap.org/directions?to=50.628500%2C3.049500",
            "rel": "nofollow noopener",
            "aria-label": "Itinéraire vers Espace numérique Wazemmes (OpenStreetMap)",
        }
    ]
    assert "Itinéraire" in lille.texts  # the visible text of the link
    assert lille.text.count("Espace numérique Wazemmes") == 1  # its heading only
    geo = lille.find("a", href="geo:50.628500,3.049500")
    assert geo and "aria-label" not in geo[0]  # "Ouvrir dans une application de cartes"


def test_place_names_after_de_as_french_writes_them() -> None:
    fr, en = Gettext("fr"), Gettext("en")
    near = fr.gettext("Places near %(name)s")
    assert [fr.with_name(near, n) for n in ("Lille", "Affoux", "Le Havre", "Les Lilas")] == [
        "Lieux près de Lille",
        "Lieux près d'Affoux",
        "Lieux près du Havre",
        "Lieux près des Lilas",
    ]
    assert fr.with_name(near, "Évry") == "Lieux près d'Évry"
    assert fr.with_name(near, "La Rochelle") == "Lieux près de La Rochelle"
    assert fr.with_name(near, "10 Rue de Paris 59000 Lille") == (
        "Lieux près du 10 Rue de Paris 59000 Lille"
    )
    nearest = fr.gettext("Places nearest to %(name)s")
    assert fr.with_name(nearest, "Affoux") == "Lieux les plus proches d'Affoux"
    assert en.with_name(en.gettext("Places near %(name)s"), "Affoux") == "Places near Affoux"
