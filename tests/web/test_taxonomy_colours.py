"""The one place that checks colours. A world has one colour wherever a user sees it:
the portal's pages and widgets, and the GEXF file opened in Gephi (the colours of the
worlds taxonomy); worlds and link kinds never share a colour, colour-blind readers tell
each one apart, and every legend names every colour its widget draws, « Non renseigné »
included."""

from __future__ import annotations

import itertools
import json
import re
from pathlib import Path

import networkx as nx
import pytest
import sqlalchemy as sa
from coloraide import Color
from demo import Demo
from fastapi.testclient import TestClient
from htmlcheck import Page

from maillage.model import taxonomy
from maillage.services import actors
from maillage.services.exports import export_file

# A swatch of the home page's "actors by world" list, then the world's label.
_SWATCH = re.compile(
    r'<span class="swatch" style="background: (#[0-9a-f]{6})" aria-hidden="true"></span>'
    r"([^<]+?)\s*:\s*<strong>"
)


def _rgb(colour: str) -> tuple[int, int, int]:
    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return r, g, b


def _portal_colours(client: TestClient) -> dict[str, str]:
    """World code (``unknown`` for "Non renseigné") -> colour of its swatch on the home
    page, checked against what the map and network widgets of the explore page draw."""
    labels = {t.label_fr: t.code for t in taxonomy.load("worlds")}
    labels[taxonomy.unknown("worlds").label_fr] = "unknown"
    home = {labels[label]: colour for colour, label in _SWATCH.findall(client.get("/").text)}
    explore = Page(client.get("/explore").text)
    for widget in (explore.find("div", id="map")[0], explore.find("div", id="network")[0]):
        drawn = json.loads(widget["data-colours"])
        assert {**drawn, "unknown": widget["data-unknown-colour"]} == home
    return home


def _gexf_colours(db: sa.Engine, path: Path) -> dict[str, tuple[int, int, int]]:
    """World code (``unknown`` for none) -> the ``viz:color`` of its actors in the GEXF
    export; every actor of a world has the same one."""
    export_file(db=db, fmt="gexf", path=path)
    found: dict[str, set[tuple[int, int, int]]] = {}
    for _, node in nx.read_gexf(path).nodes(data=True):
        viz = node["viz"]["color"]
        found.setdefault(node.get("world", "unknown"), set()).add((viz["r"], viz["g"], viz["b"]))
    assert all(len(colours) == 1 for colours in found.values()), found
    return {world: colours.pop() for world, colours in found.items()}


def test_the_gexf_export_draws_each_world_in_the_portals_colour(
    db: sa.Engine, demo_map: Demo, client: TestClient, tmp_path: Path
) -> None:
    actors.create_actors(db=db, rows=[{"name": "Collectif sans monde", "commune_code": "59350"}],
                         user="test")  # fmt: skip
    portal = _portal_colours(client)
    gexf = _gexf_colours(db, tmp_path / "carte.gexf")
    assert set(portal) == set(gexf) == {*taxonomy.codes("worlds"), "unknown"}
    for world, colour in portal.items():
        assert gexf[world] == _rgb(colour), world
    assert portal["economic"] == "#c37800"  # orange, in Gephi too


# CIEDE2000 distances (about 2.3: a just noticeable difference), in normal vision and
# as seen with deuteranopia and protanopia (Machado 2009, full severity): the four worlds
# and « Non renseigné » are drawn as nodes and need the widest gaps; the link kinds, twelve
# thin lines, a smaller one; a world and a link kind are never the same colour.
WORLDS_APART = 18.0
KINDS_APART = 8.5
WORLD_AND_KIND_APART = 8.5
VISIONS = (None, "deutan", "protan")


def _palette(name: str) -> dict[str, str]:
    return {**taxonomy.colours(name), "unknown": taxonomy.colour(name, None)}


def _apart(a: str, b: str) -> float:
    """The smallest CIEDE2000 distance between ``a`` and ``b`` over :data:`VISIONS`."""
    seen = []
    for vision in VISIONS:
        x, y = Color(a), Color(b)
        if vision:
            x, y = x.filter(vision, method="machado"), y.filter(vision, method="machado")
        seen.append(x.delta_e(y, method="2000"))
    return min(seen)


@pytest.mark.parametrize(
    ("first", "second", "least"),
    [("worlds", "worlds", WORLDS_APART), ("link_kinds", "link_kinds", KINDS_APART),
     ("worlds", "link_kinds", WORLD_AND_KIND_APART)],
)  # fmt: skip
def test_colours_are_told_apart_by_colour_blind_readers(
    first: str, second: str, least: float
) -> None:
    one, other = _palette(first), _palette(second)
    pairs = (
        itertools.combinations(one.items(), 2)
        if first == second
        else itertools.product(one.items(), other.items())
    )
    close = [
        f"{first}/{a} {ca} ~ {second}/{b} {cb}: {_apart(ca, cb):.1f}"
        for (a, ca), (b, cb) in pairs
        if _apart(ca, cb) < least
    ]
    assert close == []
    # each one seen against the white page and the light map (non-text contrast, 3:1)
    for background in ("#ffffff", "#eef2f6"):
        assert [c for c in one.values() if Color(c).contrast(background) < 3] == [], background


_LEGEND = re.compile(r'<ul class="legend"[^>]*data-legend="(\w+)">(.*?)</ul>', re.S)


def _legends(html: str) -> list[tuple[str, set[str]]]:
    """(taxonomy, colours of its swatches) of each colour legend of a page."""
    return [(name, set(re.findall(r"background: (#[0-9a-f]{6})", body)))
            for name, body in _LEGEND.findall(html)]  # fmt: skip


def test_every_legend_names_every_colour_its_widget_draws(client: TestClient) -> None:
    every = {name: set(_palette(name).values()) for name in ("worlds", "link_kinds")}
    pages = {
        "/explore": [("worlds", every["worlds"])] * 2 + [("link_kinds", every["link_kinds"])],
        "/embed/map": [("worlds", every["worlds"])],
        "/embed/network": [("worlds", every["worlds"]), ("link_kinds", every["link_kinds"])],
    }
    for path, legends in pages.items():
        html = client.get(path).text
        assert sorted(_legends(html)) == sorted(legends), path
        for widget in Page(html).find("div", id="network"):  # what the network draws
            assert {*json.loads(widget["data-colours"]).values(),
                    widget["data-unknown-colour"]} == every["worlds"]  # fmt: skip
            assert {*json.loads(widget["data-kind-colours"]).values(),
                    widget["data-unknown-kind-colour"]} == every["link_kinds"]  # fmt: skip
    english = client.get("/embed/network?lang=en").text
    assert "Not given</li>" in english and english.count("Not given</li>") == 2
