"""Street addresses in the citizen's search, through an address geocoder when one is
configured: a stand-in BAN server started by each test (a real HTTP server on the
loopback, answering the BAN's GeoJSON for two addresses around Lille) plays the national
API. An address finds the places nearest to it; a geocoder that stalls or answers garbage
gives a clear message while postcodes, communes and INSEE codes keep working; without a
geocoder, an address says that addresses need one and offers the commune its text names.
No request leaves the machine (every connection of each test is recorded and checked)."""

from __future__ import annotations

import ipaddress
import json
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import sqlalchemy as sa
from citizen import add_places
from demo import Demo
from fastapi.testclient import TestClient
from htmlcheck import Page
from portal_support import make_client

from maillage.model.errors import InvalidInput
from maillage.model.text import fold
from maillage.settings import Settings
from maillage.web import deployment

# -- No request leaves the machine: every socket connection and name lookup is recorded.

_SEEN: list[Any] | None = None


def _record(event: str, args: tuple[Any, ...]) -> None:
    if _SEEN is not None and event in ("socket.connect", "socket.getaddrinfo"):
        _SEEN.append(args[1] if event == "socket.connect" else args[0])


sys.addaudithook(_record)  # audit hooks stay for the process: this one only records


def _local(where: Any) -> bool:
    """True for a loopback address, ``localhost`` or a Unix socket path."""
    host = where[0] if isinstance(where, tuple) else where
    if isinstance(host, bytes):
        host = host.decode()
    if not isinstance(host, str) or host.startswith("/") or host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a name to look up: it would leave the machine


@pytest.fixture(autouse=True)
def stays_on_the_machine() -> Iterator[None]:
    global _SEEN
    _SEEN = []
    yield
    seen, _SEEN = _SEEN, None
    assert [where for where in seen if not _local(where)] == []


# -- The stand-in BAN server.

ADDRESSES = {
    # folded words of the query -> (label, longitude, latitude, type, postcode, citycode, city)
    ("10", "rue de paris", "lille"): (
        "10 Rue de Paris 59000 Lille", 3.0652, 50.6339, "housenumber", "59000", "59350", "Lille"
    ),
    ("2", "rue du grand chemin", "roubaix"): (
        "2 Rue du Grand Chemin 59100 Roubaix", 3.1789, 50.6905, "housenumber", "59100",
        "59512", "Roubaix",
    ),
}  # fmt: skip


def ban_answer(query: str) -> dict[str, Any]:
    """What the BAN answers to ``query`` (https://api-adresse.data.gouv.fr/search/): a
    GeoJSON FeatureCollection, best first, empty for an unknown address."""
    features = []
    for words, (label, lon, lat, kind, postcode, citycode, city) in ADDRESSES.items():
        if all(w in fold(query) for w in words):
            properties = {
                "label": label,
                "score": 0.96,
                "housenumber": label.split()[0],
                "id": f"{citycode}_0001_{label.split()[0].zfill(5)}",
                "name": label.rsplit(" ", 2)[0],
                "postcode": postcode,
                "citycode": citycode,
                "x": 704000.0,
                "y": 7059000.0,
                "city": city,
                "context": "59, Nord, Hauts-de-France",
                "type": kind,
                "importance": 0.7,
                "street": label.split(" ", 1)[1].rsplit(" ", 2)[0],
            }
            geometry = {"type": "Point", "coordinates": [lon, lat]}
            features.append({"type": "Feature", "geometry": geometry, "properties": properties})
    return {
        "type": "FeatureCollection",
        "version": "draft",
        "features": features,
        "attribution": "BAN",
        "licence": "ETALAB-2.0",
        "query": query,
        "limit": 5,
    }


@dataclass
class StandIn:
    """A BAN stand-in on the loopback: ``url`` to configure, ``queries`` it was asked;
    ``mode``: ``ban`` answers as the BAN does, ``stall`` never answers, ``garbage``
    answers an HTML page, ``huge`` a megabyte of JSON."""

    mode: str = "ban"
    url: str = ""
    queries: list[str] = field(default_factory=list)
    released: threading.Event = field(default_factory=threading.Event)


@pytest.fixture
def stand_in() -> Iterator[StandIn]:
    server_state = StandIn()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the name http.server calls
            query = parse_qs(urlsplit(self.path).query).get("q", [""])[0]
            server_state.queries.append(query)
            if server_state.mode == "stall":
                server_state.released.wait(10)
                return
            if server_state.mode == "garbage":
                body, kind = b"<html><body>Bad gateway</body></html>", "text/html"
            elif server_state.mode == "huge":
                body, kind = (
                    json.dumps({"features": ["x" * 1000] * 1000}).encode(),
                    "application/json",
                )
            else:
                body, kind = json.dumps(ban_answer(query)).encode(), "application/json"
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    server_state.url = f"http://127.0.0.1:{server.server_address[1]}/search/"
    yield server_state
    server_state.released.set()
    server.shutdown()
    server.server_close()
    thread.join(5)


@pytest.fixture
def places(db: sa.Engine, demo_map: Demo) -> dict[str, int]:
    return add_places(db)


@pytest.fixture
def with_geocoder(db: sa.Engine, places: dict[str, int], stand_in: StandIn) -> Iterator[TestClient]:
    with make_client(db, geocoder_url=stand_in.url) as test_client:
        yield test_client


@pytest.fixture
def without_geocoder(db: sa.Engine, places: dict[str, int]) -> Iterator[TestClient]:
    with make_client(db) as test_client:
        yield test_client


def page(client: TestClient, url: str) -> Page:
    response = client.get(url)
    assert response.status_code == 200, response.text[:300]
    return Page(response.text)


def place_names(found: Page) -> list[str]:
    """The places of :data:`NAMES` the page lists, in their order."""
    return sorted((n for n in NAMES if n in found.text), key=found.text.index)


NAMES = ("Espace numérique Wazemmes", "Médiathèque Jean Lévy", "France Services Roubaix")
ADDRESS = "10 rue de Paris, 59000 Lille"


def test_an_address_finds_the_places_nearest_to_it_named_by_the_address(
    with_geocoder: TestClient, stand_in: StandIn
) -> None:
    near = page(with_geocoder, f"/places?near={ADDRESS}")
    assert "Lieux près du 10 Rue de Paris 59000 Lille" in near.text  # the h1, as BAN writes it
    # Nearest to the address: the médiathèque, 0.1 km away (Lille's centre has Wazemmes first).
    assert place_names(near)[:2] == ["Médiathèque Jean Lévy", "Espace numérique Wazemmes"]
    assert "0,1 km" in near.text
    search = page(with_geocoder, f"/search?q={ADDRESS}")
    assert "Lieux les plus proches du 10 Rue de Paris 59000 Lille" in search.text
    assert place_names(search)[0] == "Médiathèque Jean Lévy"
    assert "acteur trouvé" not in search.text and "Rien n'a été trouvé" not in search.text
    label = "Adresse, code postal, commune ou code INSEE"  # the forms say addresses work
    assert label in near.text and near.find("input", id="near-q", maxlength="200")
    assert label in page(with_geocoder, "/").text
    assert "Acteur, thème, commune, code postal ou adresse" in search.text
    roubaix = with_geocoder.get("/api/places?near=2 rue du Grand Chemin 59100 Roubaix").json()
    assert roubaix["centre"]["reading"] == "address"
    assert roubaix["address"]["citycode"] == "59512" and roubaix["address"]["status"] == "found"
    assert roubaix["places"][0]["name"] == "France Services Roubaix"
    english = page(with_geocoder, f"/places?near={ADDRESS}&lang=en")
    assert "Places near 10 Rue de Paris 59000 Lille" in english.text
    # Each address was asked once: the second search of the first came from the cache.
    assert stand_in.queries == [ADDRESS, "2 rue du Grand Chemin 59100 Roubaix"]


def test_postcodes_communes_and_codes_are_read_offline_even_with_a_geocoder(
    with_geocoder: TestClient, stand_in: StandIn
) -> None:
    assert "Lieux près de Lille" in page(with_geocoder, "/places?near=59000").text
    assert "Lieux près de Lille" in page(with_geocoder, "/places?near=Lille").text
    assert "Lieux près d'Ajaccio" in page(with_geocoder, "/places?near=2A004").text
    assert stand_in.queries == []
    unknown = with_geocoder.get("/api/places?near=Nulle-Part-sur-Mer")  # asked, not found
    assert unknown.status_code == 404 and stand_in.queries == ["Nulle-Part-sur-Mer"]


@pytest.mark.parametrize("mode", ["stall", "garbage", "huge"])
def test_a_geocoder_that_stalls_or_answers_garbage_gives_a_clear_message(
    with_geocoder: TestClient, stand_in: StandIn, mode: str
) -> None:
    stand_in.mode = mode
    failed = page(with_geocoder, f"/places?near={ADDRESS}")
    assert "Le service d'adresses ne répond pas pour le moment" in failed.text
    assert place_names(failed) == []
    # What the text names is offered instead: Lille, by the postcode in the address.
    assert failed.find("a", href="/places?near=COM%3A59350")
    assert "Lieux près de Lille (code postal 59000)" in failed.text
    search = page(with_geocoder, f"/search?q={ADDRESS}")
    assert "Le service d'adresses ne répond pas pour le moment" in search.text
    data = with_geocoder.get(f"/api/places?near={ADDRESS}").json()
    assert data["centre"] is None and data["address"]["status"] == "unavailable"
    # The offline readings still work, and the failing geocoder is not asked again at once.
    lille = page(with_geocoder, "/places?near=59000")
    assert place_names(lille)[0] == "Espace numérique Wazemmes"
    assert stand_in.queries == [ADDRESS]


def test_without_a_geocoder_an_address_says_so_and_offers_its_commune(
    without_geocoder: TestClient,
) -> None:
    near = page(without_geocoder, f"/places?near={ADDRESS}")
    assert "Les adresses ne sont pas cherchées sur ce portail" in near.text
    assert near.find("a", href="/places?near=COM%3A59350")
    assert "Code postal, commune ou code INSEE" in near.text
    named = page(without_geocoder, "/places?near=12 place de la Gare Roubaix")
    assert "Lieux près de Roubaix" in named.text  # the commune the text ends with
    assert named.find("a", href="/places?near=COM%3A59512")
    nothing = page(without_geocoder, "/places?near=10 rue de Paris")  # "Paris" is the street
    assert "Les adresses ne sont pas cherchées" in nothing.text
    assert not nothing.find("a", href="/places?near=COM%3A75056")
    search = page(without_geocoder, f"/search?q={ADDRESS}")
    assert "Les adresses ne sont pas cherchées sur ce portail" in search.text
    data = without_geocoder.get(f"/api/search?q={ADDRESS}").json()
    assert data["address"]["status"] == "no_geocoder"
    assert [o["name"] for o in data["address"]["offers"]] == ["Lille"]
    assert without_geocoder.get("/api/places?near=99999").status_code == 404


def test_the_geocoder_setting_comes_from_the_environment_and_must_be_http() -> None:
    settings = deployment.from_environment({"MAILLAGE_GEOCODER_URL": "https://geo.example/search/"})
    assert settings.geocoder_url == "https://geo.example/search/"
    assert deployment.from_environment({}).geocoder_url is None
    with pytest.raises(InvalidInput, match="MAILLAGE_GEOCODER_URL"):
        deployment.checked(Settings(database_url="sqlite://", geocoder_url="ftp://geo.example/"))
