"""A world has one colour wherever a user sees it: the portal's pages and widgets, and
the GEXF file opened in Gephi (the colours of the worlds taxonomy)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import networkx as nx
import sqlalchemy as sa
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
    assert portal["economic"] == "#b45309"  # amber, in Gephi too
