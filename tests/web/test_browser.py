"""The portal in a real browser: Debian's Chromium driven by Playwright, on a live server.

Every test fails on a console error or on a request to any host other than the server;
every page visited passes axe-core without serious or critical violation.
"""

from __future__ import annotations

import itertools
import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from browser import (
    Watch,
    axe_violations,
    check_axe,
    live_server,
    screenshot,
    wait_ready,
)
from demo import Demo, build

from maillage.services import actors, resources, solutions
from maillage.services.portal.providers import Analysis
from maillage.storage.engine import make_engine
from maillage.web.providers import analysis_providers

# The journeys, on a desktop and a phone viewport, run in `make test-quality` (which hands
# this module to one worker: one browser, one portal); `make test` keeps the axe check.


@pytest.fixture(scope="module")
def portal_db(
    sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[sa.Engine]:
    """The database of the portal below (a test that writes to it undoes its writes)."""
    path = tmp_path_factory.mktemp("browser") / "portal.sqlite"
    shutil.copy(sqlite_template, path)
    engine = make_engine(f"sqlite:///{path}")
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def portal(portal_db: sa.Engine) -> Iterator[tuple[str, Demo]]:
    """The demo map (40 actors in Nord and Pas-de-Calais) served on a free loopback port."""
    demo = build(portal_db)
    _resources_and_a_solution(portal_db, demo)
    with live_server(portal_db, analysis_providers(Analysis(wait=5))) as url:
        yield url, demo


def _resources_and_a_solution(db: sa.Engine, demo: Demo) -> None:
    """The shipped resource samples and one solution carried by Emmaüs, for the pages of
    the resource centre and of the solutions."""
    shipped = Path(__file__).parents[1] / "data" / "resources"
    resources.import_resources(db=db, paths=[shipped / "rhapsodie", shipped / "service-public"])
    demo.named["resource"] = resources.search_resources(db=db, query="association").hits[0].id
    demo.named["solution"] = solutions.create_solution(db=db, values={
        "name": "Pass numérique Nord", "kind": "service", "territories": ["DEP:59"],
        "themes": ["inclusion-numerique"], "carriers": [demo.named["emmaus"]],
        "website": "https://example.org/pass"})["id"]  # fmt: skip


@pytest.fixture
def watch(portal: tuple[str, Demo]) -> Watch:
    return Watch(portal[0])


@pytest.fixture
def page(chromium: Any, watch: Watch) -> Iterator[Any]:
    """A fresh page in French; after the test, no console error and no outside request."""
    context = chromium.new_context(
        viewport={"width": 1280, "height": 900}, locale="fr-FR", accept_downloads=True
    )
    watch.attach(context)
    yield context.new_page()
    context.close()
    assert watch.errors == []
    assert watch.outside == []


@pytest.mark.quality
def test_filter_select_on_the_map_highlights_in_the_network_and_opens_the_card(
    page: Any, portal: tuple[str, Demo]
) -> None:
    origin, _ = portal
    page.goto(origin + "/")
    check_axe(page, origin)
    screenshot(page, "home")
    page.get_by_role("link", name="Explorer la carte et le réseau").click()
    wait_ready(page, "map")
    wait_ready(page, "network")
    assert "40 acteurs sur la carte" in page.text_content("#map-status")
    # the map's own controls speak the page's language
    assert page.get_attribute(".maplibregl-ctrl-zoom-in", "aria-label") == "Zoom avant"
    assert page.get_attribute("#map canvas", "aria-label") == "Carte des acteurs de la vue"
    page.fill("#f-territory", "62")
    page.press("#f-territory", "Enter")
    wait_ready(page, "map", loads=2)
    wait_ready(page, "network", loads=2)
    assert page.text_content("#map-status").startswith("20 acteurs sur la carte")
    assert page.text_content("#network-status").startswith("20 acteurs et")
    assert "territory=62" in page.url
    page.wait_for_selector("#table-actors caption:has-text('20 acteurs dans cette vue')")
    actor_id, (x, y) = click_point_of_an_actor(page)
    page.mouse.click(x, y)  # the demo's actors sit at their commune's centre: its group
    page.click(f".map-group button[data-actor-id='{actor_id}']")
    page.wait_for_selector(f"#card:not([hidden]) #card-title[data-actor-id='{actor_id}']")
    page.wait_for_selector(f"#network[data-selected='a{actor_id}']")
    assert page.get_attribute("#map", "data-selected") == str(actor_id)
    node, corner = highlight_pixels(page, f"a{actor_id}")
    colour = page.evaluate(
        "(key) => window.maillage.network.graph.getNodeAttribute(key, 'color')", f"a{actor_id}"
    )
    assert node == [int(colour[i : i + 2], 16) for i in (1, 3, 5)] + [255]  # drawn on top
    assert 150 < corner[3] < 255  # the rest of the network under a veil
    click_node_in_the_network(page, exclude=f"a{actor_id}")
    page.wait_for_selector(f"#network:not([data-selected='a{actor_id}'])[data-selected^='a']")
    page.wait_for_selector("#network[style*='cursor: pointer']")  # the node under the pointer
    other = page.get_attribute("#network", "data-selected")[1:]
    page.wait_for_selector(f"#map[data-selected='{other}']", state="attached")
    page.wait_for_selector(f"#card #card-title[data-actor-id='{other}']")
    check_axe(page, origin)
    screenshot(page, "explore")


@pytest.mark.quality
def test_actors_placed_at_their_commune_s_centre_are_one_group_that_says_so(
    page: Any, portal: tuple[str, Demo]
) -> None:
    origin, demo = portal
    page.goto(origin + "/explore?territory=59")
    wait_ready(page, "map")
    assert page.text_content("#map-status") == (
        "20 acteurs sur la carte · 20 au centre de leur commune (position approximative)"
    )
    # Roubaix's 6 actors: one point at the commune's centre, not 6 points made up around it
    x, y = point_of_a_commune(page, "COM:59512")
    page.mouse.click(x, y)
    group = page.locator(".maplibregl-popup .map-group")
    assert group.locator("strong").text_content() == "Roubaix : 6 acteurs"
    assert group.locator(".map-group-note").text_content() == (
        "position approximative : centre de la commune"
    )
    assert group.locator("button").count() == 6
    page.click(f".map-group button[data-actor-id='{demo.named['emmaus']}']")
    page.wait_for_selector(
        f"#card:not([hidden]) #card-title[data-actor-id='{demo.named['emmaus']}']"
    )
    assert page.text_content("#card-title") == "Emmaüs Connect Lille"
    check_axe(page, origin)
    page.goto(origin + "/explore?territory=59&lang=en")
    wait_ready(page, "map")
    page.mouse.click(*point_of_a_commune(page, "COM:59599"))
    assert page.locator(".map-group-note").text_content() == "approximate position: commune centre"
    assert page.locator(".map-group strong").text_content() == "Tourcoing: 2 actors"


def point_of_a_commune(page: Any, code: str) -> tuple[float, float]:
    """Zoom the map onto the group of a commune (so it is not clustered) and return
    where it is drawn."""
    page.evaluate(
        """(code) => new Promise((done, fail) => {
             const w = window.maillage.mapWidget; const m = window.maillage.map;
             const where = w.places.get(w.groups.get(code).members[0][0]);
             m.once("idle", done);
             m.jumpTo({center: where, zoom: 15});
             setTimeout(() => fail(new Error("the map never became idle")), 20000); })""",
        code,
    )
    x, y = page.evaluate(
        """(code) => { const w = window.maillage.mapWidget; const m = window.maillage.map;
             const p = m.project(w.places.get(w.groups.get(code).members[0][0]));
             const r = m.getCanvas().getBoundingClientRect(); return [r.left + p.x, r.top + p.y]; }""",
        code,
    )
    return x, y


def highlight_pixels(page: Any, key: str) -> tuple[list[int], list[int]]:
    """RGBA of the selection layer over the network, where node ``key`` is drawn and at
    a corner, once the camera has stopped."""
    pixels = page.evaluate(
        """async (key) => { const net = window.maillage.network; const camera = net.renderer.getCamera();
             const frame = () => new Promise((done) => requestAnimationFrame(done));
             while (camera.isAnimating()) await frame();
             await frame(); await frame();
             const p = net.renderer.graphToViewport(net.graph.getNodeAttributes(key));
             const ratio = window.devicePixelRatio || 1;
             const ctx = net.overlay.getContext("2d");
             const at = (x, y) => [...ctx.getImageData(Math.round(x * ratio), Math.round(y * ratio), 1, 1).data];
             return [at(p.x, p.y), at(3, 3)]; }""",
        key,
    )
    return pixels[0], pixels[1]


def click_point_of_an_actor(page: Any) -> tuple[int, tuple[float, float]]:
    """Zoom the map onto one actor (so it is not clustered) and return where it is drawn."""
    actor_id = page.evaluate(
        """() => { const w = window.maillage.mapWidget; const [id, where] = [...w.places.entries()].sort((a, b) => a[0] - b[0])[0];
                   w.map.jumpTo({center: where, zoom: 15}); return id; }"""
    )
    page.wait_for_timeout(300)
    page.evaluate(  # a repaint makes 'idle' fire even when the map is idle already
        """() => new Promise((done, fail) => {
             const m = window.maillage.map;
             m.once("idle", done);
             m.triggerRepaint();
             setTimeout(() => fail(new Error("the map never became idle")), 20000); })"""
    )
    x, y = page.evaluate(
        """(id) => { const m = window.maillage.map; const p = m.project(window.maillage.mapWidget.places.get(id));
                     const r = m.getCanvas().getBoundingClientRect(); return [r.left + p.x, r.top + p.y]; }""",
        actor_id,
    )
    return actor_id, (x, y)


def click_node_in_the_network(page: Any, exclude: str) -> None:
    """Click, with the mouse, where the network draws the node of another actor."""
    page.locator("#network").scroll_into_view_if_needed()
    page.evaluate(
        """async () => { const camera = window.maillage.network.renderer.getCamera();
             const frame = () => new Promise((done) => requestAnimationFrame(done));
             camera.cancelAnimation();
             camera.setState({x: 0.5, y: 0.5, ratio: 1}); await frame(); await frame(); }"""
    )
    x, y = page.evaluate(
        """(exclude) => { const net = window.maillage.network; const r = net.renderer;
             const box = net.el.getBoundingClientRect();
             const inside = (p) => p.x > 20 && p.y > 20 && p.x < box.width - 20 && p.y < box.height - 20
                                   && box.top + p.y < window.innerHeight - 10;
             const key = net.graph.nodes().find((k) => k !== exclude && net.graph.degree(k) > 0
                                   && inside(r.graphToViewport(net.graph.getNodeAttributes(k))));
             const p = r.graphToViewport(net.graph.getNodeAttributes(key));
             return [box.left + p.x, box.top + p.y]; }""",
        exclude,
    )
    page.mouse.click(x, y)


@pytest.mark.quality
def test_keyboard_selection_timeline_and_english(page: Any, portal: tuple[str, Demo]) -> None:
    origin, demo = portal
    page.goto(origin + "/explore?territory=59")
    wait_ready(page, "map")
    wait_ready(page, "network")
    button = page.locator("#table-actors button[data-select]").first
    chosen = button.get_attribute("data-select")
    button.focus()
    page.keyboard.press("Enter")
    page.wait_for_selector(f"#network[data-selected='a{chosen}']")
    page.wait_for_selector("#card:not([hidden])")
    page.wait_for_function("document.getElementById('card').contains(document.activeElement)")
    page.keyboard.press("Escape")  # closes the card and gives focus back to its button
    page.wait_for_selector("#card[hidden]", state="attached")
    page.wait_for_function(
        f"document.activeElement && document.activeElement.dataset.select === '{chosen}'"
    )
    page.focus("#timeline")
    page.keyboard.press("Home")
    page.wait_for_selector("#network[data-year='2016']")
    assert page.text_content("#timeline-value") == "2016"
    page.get_by_role("link", name="English").click()
    page.wait_for_selector("html[lang=en]")
    assert "territory=59" in page.url
    assert page.text_content("h1") == "Explore the map and the network"
    wait_ready(page, "map")
    assert page.text_content("#map-status").startswith("20 actors on the map")
    check_axe(page, origin)


@pytest.mark.quality
def test_embeds_and_the_filtered_geojson_download(
    page: Any, portal: tuple[str, Demo], tmp_path: Path
) -> None:
    origin, _ = portal
    page.goto(origin + "/embed/map?territory=59&world=public")
    wait_ready(page, "map")
    assert page.text_content("#map-status").startswith("5 acteurs sur la carte")
    check_axe(page, origin)
    screenshot(page, "embed-map")
    page.goto(origin + "/embed/network?territory=59")
    wait_ready(page, "network")
    assert page.evaluate("() => window.maillage.network.graph.order") == 20
    check_axe(page, origin)
    screenshot(page, "embed-network")
    page.goto(origin + "/explore?territory=62")
    wait_ready(page, "map")
    with page.expect_download() as info:
        page.click("#link-geojson")
    download = info.value
    assert download.suggested_filename == "maillage-DEP-62.geojson"
    target = tmp_path / download.suggested_filename
    download.save_as(target)
    features = json.loads(target.read_text("utf-8"))["features"]
    assert len([f for f in features if f["properties"]["type"] == "actor"]) == 20


# Every HTML page of the portal (name, path), checked by axe-core on both viewports.
PAGES = [
    ("home", "/"),
    ("explore", "/explore?territory=59"),
    ("search", "/search?q=médiation"),
    ("territory", "/territories/DEP:59"),
    ("territory-brokers", "/territories/DEP:59/brokers"),
    ("actor", "/actors/{emmaus}"),
    ("link", "/links/{link}"),
    ("places", "/places?q=59000"),
    ("table", "/explore/table?territory=62"),
    ("measures", "/measures"),
    ("measure", "/measures/ei_index"),
    ("developers", "/developers"),
    ("embed-map", "/embed/map?territory=59"),
    ("embed-network", "/embed/network?territory=59"),
    ("resources", "/resources?q=association"),
    ("resource", "/resources/{resource}"),
    ("hypotheses", "/hypotheses"),
    ("first-kilometre", "/first-kilometre"),
    (
        "first-kilometre-answers",
        "/first-kilometre?world=associative&role=volunteer"
        "&where=59350&theme=inclusion-numerique&maturity=1",
    ),
    ("solutions", "/solutions"),
    ("solution", "/solutions/{solution}"),
    ("not-found", "/nowhere"),
    ("home-en", "/?lang=en"),
]
VIEWPORTS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}


@pytest.mark.quality
def test_actor_and_territory_pages_load_their_analysis_after_the_page(
    page: Any, portal: tuple[str, Demo]
) -> None:
    origin, demo = portal
    page.goto(f"{origin}/actors/{demo.named['emmaus']}")
    page.wait_for_selector("#analysis[data-state=ready]", timeout=60_000)
    block = page.locator("#analysis")
    assert "Partenaires recommandés" in block.inner_text()
    assert block.locator("ul.recommendations > li > a").count() > 0
    assert block.locator("ul.recommendations > li ul li").count() > 0  # reasons in words
    check_axe(page, origin)
    page.goto(f"{origin}/territories/DEP:59")
    page.wait_for_selector("#analysis[data-state=ready]", timeout=60_000)
    assert "Recommandations" in page.locator("#analysis").inner_text()
    check_axe(page, origin)
    screenshot(page, "territory-analysis")


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_every_page_passes_axe_on_a_desktop_and_a_phone(
    chromium: Any, portal: tuple[str, Demo], viewport: str
) -> None:
    """No serious or critical axe-core violation on any page of :data:`PAGES`, on a
    desktop and on a 390x844 phone (one context per viewport, one test each so that
    both run at once); on the phone, no page is wider than the screen."""
    origin, demo = portal
    found, wide = {}, {}
    watch = Watch(origin, expected_404={origin + "/nowhere"})
    context = chromium.new_context(viewport=VIEWPORTS[viewport], locale="fr-FR")
    watch.attach(context)
    page = context.new_page()
    for name, path in PAGES:
        page.goto(origin + path.format(link=demo.link_ids[0], **demo.named))
        for widget in ("map", "network"):
            if page.locator(f"#{widget}").count():
                page.wait_for_selector(f"#{widget}[data-state=ready]", timeout=20_000)
        if page.locator("#analysis[hx-get]").count():
            page.wait_for_selector("#analysis[data-state]", timeout=20_000)
        found[name] = axe_violations(page, origin)
        if viewport == "phone":
            wide[name] = page.evaluate("() => document.documentElement.scrollWidth")
        screenshot(page, f"{name}-{viewport}")
    context.close()
    assert watch.errors == [] and watch.outside == []
    assert {k: v for k, v in found.items() if v} == {}
    assert {k: v for k, v in wide.items() if v > 390} == {}


@pytest.mark.quality
def test_on_a_phone_the_map_comes_first_and_printing_keeps_it_whole_without_controls(
    chromium: Any, portal: tuple[str, Demo]
) -> None:
    origin, _ = portal
    context = chromium.new_context(viewport=VIEWPORTS["phone"], locale="fr-FR")
    page = context.new_page()
    page.goto(origin + "/explore?territory=59")
    wait_ready(page, "map")
    wait_ready(page, "network")
    box = page.locator("#map").bounding_box()
    assert box["y"] + box["height"] / 2 < 844  # seen without scrolling
    assert page.locator("#f-territory").bounding_box()["y"] > box["y"]  # filters after it
    page.emulate_media(media="print")
    page.set_viewport_size({"width": 760, "height": 1000})  # about an A4 page
    shown = page.evaluate(
        """() => [...document.querySelectorAll('button, select, input, .maplibregl-ctrl')]
             .filter(e => e.getClientRects().length > 0).map(e => e.id || e.className)"""
    )
    assert shown == []
    for widget in ("#map", "#network"):
        frame = page.locator(widget).bounding_box()
        assert frame["x"] >= 0 and frame["x"] + frame["width"] <= 760
        for canvas in page.locator(f"{widget} canvas").all():
            drawn = canvas.bounding_box()
            assert drawn["x"] >= frame["x"] - 1 and drawn["y"] >= frame["y"] - 1
            assert drawn["x"] + drawn["width"] <= frame["x"] + frame["width"] + 1
            assert drawn["y"] + drawn["height"] <= frame["y"] + frame["height"] + 1
    context.close()


@pytest.mark.quality
def test_network_names_neither_overlap_nor_leave_the_canvas(
    page: Any, portal: tuple[str, Demo]
) -> None:
    origin, demo = portal
    page.goto(origin + "/explore")
    wait_ready(page, "network")
    select = "(id) => document.dispatchEvent(new CustomEvent('maillage:select', {detail: {actorId: id, from: 'test'}}))"
    for path, actor in (("all", None), ("selected", demo.named["emmaus"])):
        page.evaluate(select, actor)
        page.evaluate("() => window.maillage.network.drawOverlay()")
        boxes = page.evaluate("() => window.maillage.network.labels")
        width, height = page.evaluate(
            "() => [document.getElementById('network').clientWidth,"
            " document.getElementById('network').clientHeight]"
        )
        assert len(boxes) >= 3, path
        for box in boxes:
            assert box["x"] >= 0 and box["x"] + box["w"] <= width, box
            assert box["y"] >= 0 and box["y"] + box["h"] <= height, box
        for a, b in itertools.combinations(boxes, 2):
            apart = (a["x"] + a["w"] <= b["x"] or b["x"] + b["w"] <= a["x"]
                     or a["y"] + a["h"] <= b["y"] or b["y"] + b["h"] <= a["y"])  # fmt: skip
            assert apart, (a, b)


REFUSED = "La vue n'a pas pu être chargée pour ces filtres"


@pytest.mark.quality
def test_refused_filters_keep_the_previous_views_and_say_why(
    page: Any, portal: tuple[str, Demo], watch: Watch
) -> None:
    origin, _ = portal
    for path in ("/api/map.geojson", "/api/network.json", "/explore/results"):
        watch.expected_refusals[origin + path] = 422
    page.goto(origin + "/explore?territory=59")
    wait_ready(page, "map")
    wait_ready(page, "network")
    page.fill("#f-territory", "Lile")  # no such territory: the server answers 422
    page.press("#f-territory", "Enter")
    page.wait_for_selector("#map[data-state=error]")
    page.wait_for_selector("#network[data-state=error]")
    assert page.text_content("#map-status").startswith(REFUSED)
    assert page.text_content("#network-status").startswith(REFUSED)
    assert page.evaluate("() => window.maillage.mapWidget.places.size") == 20  # still drawn
    assert page.evaluate("() => window.maillage.network.graph.order") == 20
    notice = page.locator("#results [role=alert]")
    notice.wait_for()
    assert "territoire inconnu" in notice.inner_text()
    assert page.locator(".site-header").count() == 1  # a notice, not a page in the page
    page.fill("#f-territory", "62")
    page.press("#f-territory", "Enter")
    wait_ready(page, "map", loads=2)
    wait_ready(page, "network", loads=2)
    assert page.text_content("#map-status").startswith("20 acteurs sur la carte")


def map_bounds(page: Any) -> list[float]:
    """West, south, east and north of what the map shows."""
    return list(page.evaluate("() => window.maillage.map.getBounds().toArray().flat()"))


@pytest.mark.quality
def test_the_national_map_is_framed_on_mainland_france(
    page: Any, portal: tuple[str, Demo], portal_db: sa.Engine
) -> None:
    origin, _ = portal
    overseas = actors.create_actor(
        db=portal_db,
        values={
            "name": "Médiathèque de Saint-Denis",
            "world": "public",
            "category": "collectivite",
            "commune_code": "97411",
            "latitude": -20.88,
            "longitude": 55.45,
        },
        user="test",
    )
    try:
        page.goto(origin + "/embed/map")
        wait_ready(page, "map")
        assert page.text_content("#map-status").startswith("41 acteurs sur la carte")
        west, south, east, north = map_bounds(page)
        assert west > -10 and east < 15 and south > 35  # not stretched to La Réunion
        page.goto(origin + "/embed/map?territory=DEP:974")  # only overseas: framed there
        wait_ready(page, "map")
        west, south, east, north = map_bounds(page)
        assert west < 55.45 < east and south < -20.88 < north
    finally:
        actors.delete_actor(db=portal_db, actor_id=overseas["id"], user="test")


@pytest.mark.quality
def test_the_map_caption_writes_numbers_in_the_page_s_language(
    page: Any, portal: tuple[str, Demo]
) -> None:
    origin, _ = portal

    def many(route: Any) -> None:  # the demo's view, told as a view of 2,540 actors
        body = route.fetch().json()
        body["meta"].update(total=2540, unplaced=1500, approximate=1200)
        route.fulfill(json=body, headers={"Content-Type": "application/geo+json"})

    page.route("**/api/map.geojson*", many)
    page.goto(origin + "/embed/map")
    wait_ready(page, "map")
    text = page.text_content("#map-status")
    assert text == (
        "1\u202f040 acteurs sur la carte · 1\u202f200 au centre de leur commune (position "
        "approximative) · 1\u202f500 sans lieu connu"
    )
    page.goto(origin + "/embed/map?lang=en")
    wait_ready(page, "map")
    assert (
        page.text_content("#map-status") == "1,040 actors on the map · 1,200 at their commune's "
        "centre (approximate position) · 1,500 without a known place"
    )


@pytest.mark.quality
def test_no_page_is_wider_than_a_phone(page: Any, portal: tuple[str, Demo]) -> None:
    origin, demo = portal
    page.set_viewport_size({"width": 375, "height": 800})
    widths = {}
    for path in (
        "/explore",
        "/explore/table",
        f"/actors/{demo.named['emmaus']}",
        "/developers",
    ):
        page.goto(origin + path)
        if path == "/explore":
            wait_ready(page, "map")
            wait_ready(page, "network")
        widths[path] = page.evaluate("() => document.documentElement.scrollWidth")
    assert widths == dict.fromkeys(widths, 375)
    screenshot(page, "developers-phone")
    described = page.locator("tr:has-text('GET /api/network.json') td[lang=en]").inner_text()
    assert "aggregated by territory and world above 5,000 actors." in described
    assert "``" not in page.text_content("table")
    assert page.locator("td code:text-is('x')").count() == 1  # ``x`` as code
    assert "descriptions des routes sont en anglais" in page.text_content("#routes-note")


@pytest.mark.quality
def test_under_a_root_path_the_widgets_load_and_ask_only_under_it(
    chromium: Any, portal: tuple[str, Demo], portal_db: sa.Engine
) -> None:
    """Served under /maillage (as behind a reverse proxy), the explore page draws its map
    and network, opens a card and offers an embed code, every request under the prefix."""
    with live_server(portal_db, root_path="/maillage") as origin:
        watch = Watch(origin)
        context = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="fr-FR")
        watch.attach(context)
        asked: list[str] = []
        context.on("request", lambda request: asked.append(request.url))
        page = context.new_page()
        page.goto(origin + "/maillage/explore?territory=59")
        wait_ready(page, "map")
        wait_ready(page, "network")
        assert page.evaluate("() => window.maillage.network.graph.order") == 20
        embed = page.input_value("#embed-code")
        assert f'src="{origin}/maillage/embed/map?' in embed
        context.close()
    assert watch.errors == [] and watch.outside == []
    assert asked and all(url.startswith(origin + "/maillage/") for url in asked), asked
