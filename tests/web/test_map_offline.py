"""The map with streets, or without any outside server: Chromium on a live portal.

Without a tile setting nothing leaves the server (every request is caught and checked),
and the map names the communes at street zoom from the shipped geography, names never
covering one another. With ``tile_url="ign"`` the map asks IGN Géoplateforme's Plan IGN
(the test answers those requests itself: nothing goes out) and credits it. At national
zoom, clusters never overlap, and clicking on Paris, again and again, ends on Paris.
/places shows its places on a map, numbered like the list, reachable with the keyboard.
"""

from __future__ import annotations

import base64
import itertools
import math
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import orjson
import pytest
import sqlalchemy as sa
from browser import check_axe, live_server, screenshot, wait_ready
from citizen import add_places
from demo import Demo, build

from maillage.geo import load_geography
from maillage.services import actors
from maillage.services.portal.map import map_geojson
from maillage.storage.engine import make_engine
from maillage.web.deployment import IGN_PLAN_TILE_URL

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
PARIS, VILLIERS_LE_BEL = "75056", "95680"
# A 1x1 transparent PNG: the tile the test answers in IGN's place.
TILE = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
)


def france_rows() -> list[dict[str, Any]]:
    """Actors placed at the centre of the 150 most populated communes of mainland France
    (Paris 25, Villiers-le-Bel 4 beside it, the others 1 to 4): a national view like the
    demo's, dense around Paris."""
    communes = [
        c
        for c in load_geography().communes.values()
        if c.kind == "current" and c.latitude is not None and c.departement < "96"
    ]
    communes.sort(key=lambda c: -(c.population or 0))
    chosen = {c.code: 1 + i % 4 for i, c in enumerate(communes[:150])}
    chosen[PARIS], chosen[VILLIERS_LE_BEL] = 25, 4
    worlds = ["associative", "economic", "public", "academic"]
    return [
        {"name": f"Lieu {code}-{k}", "world": worlds[k % 4], "commune_code": code}
        for code, n in sorted(chosen.items())
        for k in range(n)
    ]


@pytest.fixture(scope="module")
def map_db(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[sa.Engine]:
    path = tmp_path_factory.mktemp("map") / "portal.sqlite"
    shutil.copy(sqlite_template, path)
    engine = make_engine(f"sqlite:///{path}")
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def portal(map_db: sa.Engine) -> Iterator[tuple[str, Demo]]:
    """The demo map (Nord, Pas-de-Calais) with places around Lille, and actors in 150
    communes of France, served with no tile setting."""
    demo = build(map_db)
    add_places(map_db)
    actors.create_actors(db=map_db, rows=france_rows(), user="test")
    with live_server(map_db) as url:
        yield url, demo


class Outside:
    """Every request of a browser context: those for another origin are refused (never
    sent) and kept, except those a test answers itself (``answer``: host -> body)."""

    def __init__(self, origin: str, answer: dict[str, bytes] | None = None) -> None:
        self.origin = origin
        self.answer = answer or {}
        self.refused: list[str] = []
        self.answered: list[str] = []
        self.errors: list[str] = []

    def route(self, route: Any) -> None:
        url = route.request.url
        parts = urlsplit(url)
        if f"{parts.scheme}://{parts.netloc}" == self.origin or parts.scheme in ("data", "blob"):
            route.continue_()
        elif parts.hostname in self.answer:
            self.answered.append(url)
            route.fulfill(status=200, content_type="image/png", body=self.answer[parts.hostname])
        else:
            self.refused.append(url)
            route.abort()

    def attach(self, context: Any) -> None:
        context.route("**/*", self.route)
        context.on("page", lambda page: page.on("pageerror", lambda e: self.errors.append(str(e))))
        context.on(
            "console",
            lambda m: self.errors.append(m.text) if m.type == "error" else None,
        )


@pytest.fixture
def browse(chromium: Any, portal: tuple[str, Demo]) -> Iterator[Any]:
    """``browse(viewport=..., origin=..., answer=...)``: a fresh French page whose every
    request is checked; after the test, none went to another origin, no console error."""
    opened: list[tuple[Any, Outside]] = []

    def open_page(
        viewport: dict[str, int] = DESKTOP,
        origin: str | None = None,
        answer: dict[str, bytes] | None = None,
    ) -> tuple[Any, Outside]:
        outside = Outside(origin or portal[0], answer)
        context = chromium.new_context(viewport=viewport, locale="fr-FR")
        outside.attach(context)
        opened.append((context, outside))
        return context.new_page(), outside

    yield open_page
    for context, outside in opened:
        context.close()
        assert outside.refused == []
        assert outside.errors == []


def idle(page: Any, jump: dict[str, Any] | None = None, handle: str = "map") -> None:
    """Move the map (``jump``: jumpTo options) and wait until it has drawn everything."""
    page.evaluate(
        """([jump, handle]) => new Promise((done, fail) => {
             const m = window.maillage[handle];
             m.once("idle", done);
             if (jump) m.jumpTo(jump); else m.triggerRepaint();
             setTimeout(() => fail(new Error("the map never became idle")), 20000); })""",
        [jump, handle],
    )


def commune_names(page: Any, handle: str = "map") -> list[dict[str, Any]]:
    """The commune names drawn (those MapLibre placed), each with its box on screen."""
    result: list[dict[str, Any]] = page.evaluate(
        """(handle) => { const m = window.maillage[handle];
             return m.queryRenderedFeatures({layers: ["commune-names"]}).map((f) => {
               const p = m.project(f.geometry.coordinates);
               const image = m.style.getImage("commune:" + f.properties.name);
               const w = image.data.width / image.pixelRatio, h = image.data.height / image.pixelRatio;
               return {name: f.properties.name, box: [p.x - w / 2, p.y - 4, p.x + w / 2, p.y - 4 + h]};
             }); }""",
        handle,
    )
    return result


def overlapping(a: list[float], b: list[float]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def test_no_request_leaves_the_server_and_communes_are_named_at_street_zoom(
    browse: Any, portal: tuple[str, Demo]
) -> None:
    origin, _ = portal
    page, outside = browse()
    page.goto(origin + "/explore?territory=59")
    wait_ready(page, "map")
    assert page.evaluate("() => window.maillage.map.getStyle().sources.tiles") is None
    idle(page, {"center": [3.0573, 50.6292], "zoom": 9})  # below street zoom: no name
    assert commune_names(page) == []
    idle(page, {"center": [3.0573, 50.6292], "zoom": 12})  # Lille
    page.wait_for_selector("#map[data-communes]")
    idle(page)
    names = commune_names(page)
    drawn = {n["name"] for n in names}
    assert {"Lille", "Lambersart", "La Madeleine"} <= drawn
    for a, b in itertools.combinations(names, 2):
        assert not overlapping(a["box"], b["box"]), (a, b)
    answered = int(page.get_attribute("#map", "data-communes"))
    assert len(names) < answered  # names that would cover others are left out
    screenshot(page, "map-offline-lille")
    check_axe(page, origin)
    assert outside.answered == []


def test_places_are_numbered_on_a_map_linked_to_their_rows(
    browse: Any, portal: tuple[str, Demo]
) -> None:
    origin, _ = portal
    for viewport in (DESKTOP, PHONE):
        page, _outside = browse(viewport)
        page.goto(origin + "/places?near=59000")
        page.wait_for_selector("#places-map[data-state=ready]")
        page.locator("#places-map").scroll_into_view_if_needed()
        screenshot(page, f"places-map-{viewport['width']}")
        rows = page.locator("ol.places > li")
        markers = page.locator("#places-map a.place-marker")
        assert markers.count() == rows.count() > 1
        first_row_id = rows.nth(0).get_attribute("id")
        assert markers.nth(0).text_content() == "1"
        assert markers.nth(0).get_attribute("href") == f"#{first_row_id}"
        name = rows.nth(0).locator("h3 a").text_content()
        assert markers.nth(0).get_attribute("aria-label") == f"1. {name}"
        # the keyboard reaches the markers in the list's order and opens the row
        markers.nth(1).focus()
        page.keyboard.press("Shift+Tab")
        assert page.evaluate("() => document.activeElement.textContent") == "1"
        page.keyboard.press("Enter")
        assert page.evaluate("() => document.activeElement.closest('li')?.id") == first_row_id
        assert page.url.endswith(f"#{first_row_id}")
        check_axe(page, origin)


@pytest.mark.extended  # a tile setting and its credit: `make test-extended` (CI's margin)
def test_with_ign_tiles_the_map_asks_plan_ign_and_credits_it(
    browse: Any, portal: tuple[str, Demo], map_db: sa.Engine
) -> None:
    with live_server(map_db, tile_url="ign") as origin:
        page, outside = browse(origin=origin, answer={"data.geopf.fr": TILE})
        page.goto(origin + "/explore?territory=59")
        wait_ready(page, "map")
        idle(page)
        tiles = page.evaluate("() => window.maillage.map.getStyle().sources.tiles")
        assert tiles["tiles"] == [IGN_PLAN_TILE_URL]
        assert "© IGN / Géoplateforme" in page.text_content("#map .maplibregl-ctrl-attrib")
        assert outside.answered  # Plan IGN's tiles were asked for (answered by the test)
        assert all(u.startswith("https://data.geopf.fr/wmts?") for u in outside.answered)
        assert "TILEMATRIXSET=PM" in outside.answered[0] and "{z}" not in outside.answered[0]
        # the tiles name the streets and communes: no names of our own over them
        assert page.evaluate("() => window.maillage.map.getSource('communes')") is None
        check_axe(page, origin)
        page.goto(origin + "/places?near=59000")
        page.wait_for_selector("#places-map[data-state=ready]")
        assert "© IGN / Géoplateforme" in page.text_content("#places-map .maplibregl-ctrl-attrib")


# ---------------------------------------------------------------- clusters at national zoom


def evaluate(expression: Any, properties: dict[str, Any]) -> Any:
    """The value of a MapLibre style expression of the kinds the map's circles use."""
    if not isinstance(expression, list):
        return expression
    op, *args = expression
    if op == "get":
        return properties.get(args[0])
    if op == "has":
        return args[0] in properties
    if op == "coalesce":
        return next((v for a in args if (v := evaluate(a, properties)) is not None), None)
    if op == "case":
        for condition, value in zip(args[:-1:2], args[1:-1:2], strict=True):
            if evaluate(condition, properties):
                return evaluate(value, properties)
        return evaluate(args[-1], properties)
    if op == "interpolate":
        x = evaluate(args[1], properties)
        stops = list(zip(args[2::2], args[3::2], strict=True))
        if x <= stops[0][0]:
            return stops[0][1]
        for (x0, y0), (x1, y1) in itertools.pairwise(stops):
            if x <= x1:
                return y0 + (y1 - y0) * (x - x0) / (x1 - x0)
        return stops[-1][1]
    raise AssertionError(f"expression not understood: {op}")


def circles(page: Any) -> list[dict[str, Any]]:
    """The clusters and points drawn: centre on screen, radius with stroke, properties."""
    drawn = page.evaluate(
        """() => { const m = window.maillage.map;
             const paint = (layer) => ({radius: m.getPaintProperty(layer, "circle-radius"),
                                        stroke: m.getPaintProperty(layer, "circle-stroke-width")});
             const styles = {clusters: paint("clusters"), actors: paint("actors")};
             const features = m.queryRenderedFeatures({layers: ["clusters", "actors"]}).map((f) => {
               const p = m.project(f.geometry.coordinates);
               const props = Object.assign({}, f.properties); delete props.members; delete props.worlds;
               return {layer: f.layer.id, x: p.x, y: p.y, props}; });
             return {styles, features}; }"""
    )
    out = []
    seen = set()
    for f in drawn["features"]:
        key = (
            f["layer"],
            f["props"].get("cluster_id"),
            f["props"].get("code"),
            f["props"].get("id"),
        )
        if key in seen:
            continue
        seen.add(key)
        style = drawn["styles"][f["layer"]]
        radius = evaluate(style["radius"], f["props"]) + evaluate(style["stroke"], f["props"]) / 2
        out.append({**f, "radius": radius})
    return out


def assert_apart(found: list[dict[str, Any]]) -> None:
    for a, b in itertools.combinations(found, 2):
        distance = math.hypot(a["x"] - b["x"], a["y"] - b["y"])
        assert distance >= a["radius"] + b["radius"], (a, b)


def national(page: Any, origin: str, aggregated: dict[str, Any] | None) -> None:
    """The national explore map; with ``aggregated``, the map answer of the service
    in aggregated mode (the view counted by commune) in place of the actors."""
    if aggregated is not None:
        body = orjson.dumps(aggregated)
        page.route(
            "**/api/map.geojson*",
            lambda route: route.fulfill(status=200, content_type="application/geo+json", body=body),
        )
    page.goto(origin + "/explore")
    wait_ready(page, "map")
    idle(page)


@pytest.mark.extended  # about two minutes: `make test-extended` (README, "Test budget")
@pytest.mark.parametrize("mode", ["actors", "aggregated"])
def test_clusters_never_overlap_at_national_zoom_and_a_click_on_paris_ends_on_paris(
    browse: Any, portal: tuple[str, Demo], map_db: sa.Engine, mode: str
) -> None:
    origin, _ = portal
    aggregated = map_geojson(db=map_db, filters={}, limit=200) if mode == "aggregated" else None
    assert aggregated is None or aggregated["meta"]["level"] == "commune"  # counted by commune
    for viewport in (DESKTOP, PHONE):
        page, _outside = browse(viewport)
        national(page, origin, aggregated)
        found = circles(page)
        assert len(found) >= (8 if viewport == DESKTOP else 3)  # France, not one blob
        assert any(c["layer"] == "clusters" for c in found)
        assert_apart(found)
        screenshot(page, f"map-national-{mode}-{viewport['width']}")
    page.evaluate(
        """() => { window.chosen = [];
             document.addEventListener("maillage:drill", (e) => window.chosen.push(e.detail.territory)); }"""
    )
    page.locator("#map").scroll_into_view_if_needed()
    for _ in range(10):  # each click on Paris zooms in, until Paris itself is chosen
        where = page.evaluate(
            """async (code) => { const m = window.maillage.map;
                 const data = await m.getSource("actors").getData();
                 const f = data.features.find((g) => g.properties.code === code);
                 const p = m.project(f.geometry.coordinates);
                 const r = m.getCanvas().getBoundingClientRect(); return [r.left + p.x, r.top + p.y]; }""",
            f"COM:{PARIS}",
        )
        zoom = page.evaluate("() => window.maillage.map.getZoom()")
        page.mouse.click(*where)
        page.wait_for_timeout(600)
        idle(page)
        if page.evaluate("() => window.chosen.length") or page.locator(".map-group").count():
            break
        assert page.evaluate("() => window.maillage.map.getZoom()") > zoom  # a cluster opened
    if mode == "aggregated":
        assert page.evaluate("() => window.chosen") == [f"COM:{PARIS}"]
    else:
        assert page.locator(".map-group strong").text_content() == "Paris : 25 acteurs"
