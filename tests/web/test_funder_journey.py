"""The funder's journey in a real browser: a foundation's programme officer around Lyon
finds the associations that work with companies in the Métropole de Lyon, replays their
links year by year (map, network and counts together), then embeds the map with its
legend in a 500 px frame on her own site (a static page served by the test) and opens
a card by a click inside the frame. Clicks are counted (target: at most 8); screenshots
go to ``test-artifacts/`` on a desktop and a 390x844 viewport; axe-core checks the pages.
"""

from __future__ import annotations

import functools
import html
import http.server
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from browser import (
    Watch,
    check_axe,
    live_server,
    screenshot,
    wait_ready,
)
from lyon import PAIR_ACTORS, PAIR_LINKS, Lyon, active_in, build

from maillage.storage.engine import make_engine

CLICKS = 8
VIEWPORTS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}


@pytest.fixture(scope="module")
def funder_portal(
    sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, Lyon]]:
    path = tmp_path_factory.mktemp("funder") / "portal.sqlite"
    shutil.copy(sqlite_template, path)
    engine: sa.Engine = make_engine(f"sqlite:///{path}")
    lyon = build(engine)
    with live_server(engine) as url:
        yield url, lyon
    engine.dispose()


class HostSite:
    """The funder's own site: static files served on another loopback port."""

    def __init__(self, root: Path) -> None:
        handler = functools.partial(
            http.server.SimpleHTTPRequestHandler, directory=str(root)
        )  # fmt: skip
        handler.log_message = lambda *args: None  # type: ignore[method-assign]
        self.root = root
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def publish(self, name: str, embed_code: str) -> str:
        (self.root / name).write_text(
            "<!doctype html><html lang='fr'><head><meta charset='utf-8'>"
            "<meta name='viewport' content='width=device-width, initial-scale=1'><link rel='icon' href='data:,'>"
            "<title>Fondation — nos partenariats</title></head><body style='margin:8px'>"
            "<main><h1>Associations et entreprises de la Métropole de Lyon</h1>"
            f"{embed_code}</main></body></html>",
            "utf-8",
        )
        return f"{self.url}/{name}"


@pytest.fixture(scope="module")
def host_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HostSite]:
    site = HostSite(tmp_path_factory.mktemp("host"))
    yield site
    site.server.shutdown()


class Counted:
    """The page's clicks, counted as the funder would make them."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.clicks = 0

    def click(self, selector: str) -> None:
        self.clicks += 1
        self.page.click(selector)

    def choose(self, selector: str, value: str) -> None:
        self.clicks += 1  # one click on the menu, the option picked from it
        self.page.select_option(selector, value)

    def mouse(self, x: float, y: float) -> None:
        self.clicks += 1
        self.page.mouse.click(x, y)


RECORD = """() => {
  window.seen = {map: [], network: [], tables: []};
  const record = (id, list) => () => {
    const el = document.getElementById(id);
    list.push([el.dataset.year || "", document.getElementById(id + "-status").textContent]);
  };
  // the map: each view loaded; the network: each year it shows
  new MutationObserver(record("map", window.seen.map)).observe(
    document.getElementById("map"), {attributes: true, attributeFilter: ["data-loads"]});
  new MutationObserver(record("network", window.seen.network)).observe(
    document.getElementById("network-status"), {childList: true, characterData: true, subtree: true});
  document.body.addEventListener("htmx:after:swap", (e) => {  // htmx 4's name
    const year = new URL(e.detail.ctx.request.action, location.href).searchParams.get("year") || "";
    const caption = document.querySelector("#table-actors caption");
    window.seen.tables.push([year, caption ? caption.textContent : ""]);
  });
}"""


def _years(first: int, last: int) -> dict[str, tuple[int, int]]:
    """Actors and links of the association - company view in each year."""
    out = {}
    for year in range(first, last + 1):
        rows = active_in(year)
        out[str(year)] = (len({k for r in rows for k in r[:2]}), len(rows))
    return out


@pytest.mark.quality
@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_funder_follows_association_company_links_over_time_and_embeds_the_map(
    chromium: Any, funder_portal: tuple[str, Lyon], host_site: HostSite, viewport: str
) -> None:
    origin, lyon = funder_portal
    watch = Watch(origin)
    context = chromium.new_context(viewport=VIEWPORTS[viewport], locale="fr-FR")
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=origin)
    watch.attach(context)
    page = context.new_page()
    funder = Counted(page)

    page.goto(origin + "/")
    funder.click("text=Explorer la carte et le réseau")
    wait_ready(page, "map")
    wait_ready(page, "network")
    funder.click("#f-territory")
    page.keyboard.type("Métropole de Lyon")
    page.keyboard.press("Enter")
    wait_ready(page, "map", loads=2)
    funder.choose("#f-pair", "economic,associative")
    wait_ready(page, "map", loads=3)
    wait_ready(page, "network", loads=3)
    page.wait_for_selector(f"#table-actors caption:has-text('{PAIR_ACTORS} acteurs dans')")
    assert "territory=M%C3%A9tropole+de+Lyon&pair=economic%2Cassociative" in page.url
    assert page.text_content("#map-status").startswith(f"{PAIR_ACTORS} acteurs sur la carte")
    assert page.text_content("#network-status") == f"{PAIR_ACTORS} acteurs et {PAIR_LINKS} liens"
    check_axe(page, origin)
    screenshot(page, f"funder-explore-{viewport}")

    # The replay: each year, the map, the network and the tables show that year's links.
    page.evaluate(RECORD)
    funder.click("#timeline-play")
    page.wait_for_selector("#map[data-year='2020']", state="attached")
    screenshot(page, f"funder-replay-2020-{viewport}")
    page.wait_for_selector("#timeline-play[aria-pressed=false]", state="attached", timeout=20_000)
    page.wait_for_selector("#map[data-year=''][data-state=ready]", state="attached")
    seen = page.evaluate("() => window.seen")
    expected = _years(2017, 2023)
    shown_map = {year: text for year, text in seen["map"] if year}
    assert len(shown_map) >= 3, seen["map"]  # a year's view may be overtaken by the next
    for year, text in shown_map.items():
        assert text.startswith(f"{expected[year][0]} acteur"), (year, text)
    in_years = {year: text for year, text in seen["network"] if year}
    assert set(in_years) == set(expected)
    for year, text in in_years.items():
        nodes, links = expected[year]
        said = f"{nodes} acteur{'s' if nodes > 1 else ''} lié{'s' if nodes > 1 else ''}"
        said += f" et {links} lien{'s' if links > 1 else ''}"  # French: 0 and 1 are singular
        assert text == f"{year} : {said}", text
    tables = {year: text for year, text in seen["tables"] if year}
    assert tables, ("the tables did not follow the replay", seen["tables"])
    for year, text in tables.items():
        assert text.startswith(f"{expected[year][0]} acteur"), (year, text)
    # stopped: every year again, on the map, the network and the tables
    assert page.text_content("#timeline-value") == "Toutes les années"
    assert page.text_content("#map-status").startswith(f"{PAIR_ACTORS} acteurs sur la carte")
    assert page.get_attribute("#network", "data-year") == ""
    page.wait_for_selector(f"#table-actors caption:has-text('{PAIR_ACTORS} acteurs dans')")
    assert "year=" not in page.url

    # Copy the link, then the embed code, and paste the code into her own page.
    funder.click("#copy-link")
    page.wait_for_selector("#copy-status:has-text('Copié')")
    link = page.evaluate("() => navigator.clipboard.readText()")
    assert link == page.url
    funder.click("#copy-embed")
    code = page.evaluate("() => navigator.clipboard.readText()")
    assert code.startswith('<iframe src="http') and 'height="500"' in code
    assert "pair=economic%2Cassociative" in html.unescape(code)
    host = host_site.publish(f"partenariats-{viewport}.html", code)
    page.goto(host)
    frame = page.frame_locator("iframe")
    frame.locator("#map[data-state=ready][data-loads='1']").wait_for(timeout=20_000)
    embedded = page.frames[1]
    assert embedded.text_content("#map-status").startswith(f"{PAIR_ACTORS} acteurs sur la carte")
    legend = embedded.locator("ul.legend[aria-label='Couleurs des mondes'] li")
    assert legend.all_text_contents()[:2] == ["Économique", "Associatif / social"]
    box = page.locator("iframe").bounding_box()
    assert round(box["height"]) == 500
    for item in legend.all():
        assert _inside(item.bounding_box(), box), "the legend is cut by the frame"

    # A click on an association's point opens its card, inside the frame.
    x, y = _point_of(embedded, lyon.ids["ateliers"])
    funder.mouse(box["x"] + x, box["y"] + y)
    card = embedded.locator("#card:not([hidden])")
    card.wait_for()
    assert embedded.text_content("#card-title") == "Les Ateliers du Lien"
    assert _inside(card.bounding_box(), box), "the card falls outside the frame"
    screenshot(page, f"funder-host-{viewport}")
    assert funder.clicks <= CLICKS

    page.goto(embedded.url)  # the embed alone passes axe-core
    wait_ready(page, "map")
    check_axe(page, origin)
    context.close()
    assert watch.errors == []
    assert [u for u in watch.outside if not u.startswith(host_site.url)] == []


def _inside(inner: dict[str, float] | None, outer: dict[str, float]) -> bool:
    assert inner is not None
    return (
        inner["x"] >= outer["x"] - 0.5
        and inner["y"] >= outer["y"] - 0.5
        and inner["x"] + inner["width"] <= outer["x"] + outer["width"] + 0.5
        and inner["y"] + inner["height"] <= outer["y"] + outer["height"] + 0.5
    )


def _point_of(frame: Any, actor_id: int) -> tuple[float, float]:
    """Where the embedded map draws the point of ``actor_id`` (not in a cluster), in the
    frame's coordinates."""
    frame.evaluate(  # a repaint makes 'idle' fire even when the map is idle already
        """() => new Promise((done) => { const m = window.maillage.map; m.once("idle", done);
             m.triggerRepaint(); })"""
    )
    x, y, ids = frame.evaluate(
        """(id) => { const m = window.maillage.map; const p = m.project(window.maillage.mapWidget.places.get(id));
             const hits = m.queryRenderedFeatures([p.x, p.y], {layers: ["actors"]}).map((f) => f.properties.id);
             const r = m.getCanvas().getBoundingClientRect(); return [r.left + p.x, r.top + p.y, hits]; }""",
        actor_id,
    )
    assert actor_id in ids, "the point is drawn in a cluster"
    return x, y
