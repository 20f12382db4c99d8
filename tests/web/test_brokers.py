"""The brokers table and the white-zone proposals of a territory, through the JSON API
and the page, on SQLite and PostgreSQL.

A small Nord: a public body (Lille) ties an association, a company and a lab that do
not know each other, so it is the one broker between worlds; a company of Roubaix
carries (``holding``) two digital-inclusion places of the Nord. One need on digital
inclusion is filed on Fourmies (far from them), where no actor acts: a white zone.
"""

from __future__ import annotations

import datetime as dt
from html import unescape
from typing import Any

import sqlalchemy as sa
from portal_support import make_client

from builders import make_actor, make_link
from maillage.analysis.brokers import ROLES
from maillage.services import actors, links
from maillage.services.portal.providers import Analysis
from maillage.storage.engine import transaction
from maillage.storage.tables import need
from maillage.web.providers import analysis_providers


def _map(db: sa.Engine) -> dict[str, int]:
    ids: dict[str, int] = {}
    for key, world, commune, themes in (
        ("bridge", "public", "59350", ["emploi-insertion"]),
        ("assoc", "associative", "59350", ["inclusion-numerique"]),
        ("company", "economic", "59512", ["emploi-insertion"]),
        ("lab", "academic", "59350", ["education-jeunesse"]),
        ("holder", "economic", "59512", ["emploi-insertion"]),
        ("place1", "associative", "59599", ["mediation-numerique"]),
        ("place2", "associative", "59178", ["mediation-numerique"]),
    ):
        values = make_actor(name=f"Acteur {key}", world=world, commune_code=commune, themes=themes)
        ids[key] = actors.create_actor(db=db, values=values)["id"]
    for a, b, kind in (
        ("bridge", "assoc", "partnership"),
        ("bridge", "company", "partnership"),
        ("bridge", "lab", "partnership"),
        ("holder", "place1", "holding"),
        ("holder", "place2", "holding"),
    ):
        links.create_link(db=db, values=make_link(ids[a], ids[b], kind=kind))
    now = dt.datetime.now(dt.UTC)
    with transaction(db) as conn:
        conn.execute(
            sa.insert(need),
            [{"territory_code": "COM:59249", "theme": "inclusion-numerique", "publics": [],
              "description": "Fourmies : aucun lieu", "severity": 3, "status": "identified",
              "version": 1, "created_at": now, "updated_at": now}],
        )  # fmt: skip
    return ids


def _get(client: Any, url: str) -> dict[str, Any]:
    answer = client.get(url)
    assert answer.status_code == 200, answer.text
    found: dict[str, Any] = answer.json()
    return found


def test_the_broker_between_worlds_leads_the_table_and_the_white_zone_has_proposals(
    db: sa.Engine,
) -> None:
    ids = _map(db)
    client = make_client(db, analysis_providers(Analysis(wait=60)))
    data = _get(client, "/api/territories/DEP:59/brokers")
    table = data["brokers"]
    assert table["status"] == "ready"
    first = table["rows"][0]
    assert (first["id"], first["world"]) == (ids["bridge"], "public")
    # three partners of three other worlds, none tied: 3 open pairs, each a liaison twice
    assert first["roles"] == {r: (6 if r == "liaison" else 0) for r in ROLES}
    assert first["betweenness"] == 3.0 and first["constraint"] < 0.5
    assert "Passeur" in table["explanations"]["liaison"]
    assert ids["lab"] in {r["id"] for r in table["rows"]}

    # the theme tree: digital inclusion finds the places carrying mediation under it
    themed = _get(client, "/api/territories/DEP:59/brokers?theme=inclusion-numerique")
    assert {r["id"] for r in themed["brokers"]["rows"]} == {
        ids["assoc"],
        ids["place1"],
        ids["place2"],
    }

    zones = data["proposals"]["white_zones"]
    assert [z["territory_code"] for z in zones] == ["COM:59249"]
    carrier = zones[0]["carriers"][0]
    assert (carrier["actor_id"], carrier["kind"], carrier["on_theme"]) == (
        ids["holder"],
        "holding",
        2,
    )
    assert carrier["reasons"] == [
        "Porte 2 structures du territoire sur le thème « Inclusion numérique »"
    ]
    assert data["proposals"]["status"] == "ready"
    # the one actor on the need's theme, proposed with a partner of another world
    first_alliance = zones[0]["alliances"][0]
    assert first_alliance["source"]["actor_id"] == ids["assoc"]
    assert first_alliance["target"]["world"] != "associative"
    assert "partenaires communs : Acteur bridge" in first_alliance["reasons"]

    english = client.get("/territories/DEP:59/brokers?lang=en")
    assert english.status_code == 200
    assert "Carriers and funders already active in the territory" in english.text
    assert 'aria-sort="descending"' in english.text and "Acteur bridge" in english.text
    assert client.get("/api/territories/nowhere-at-all/brokers").status_code == 404


def test_without_the_analysis_the_page_says_so_and_still_lists_the_carriers(
    db: sa.Engine,
) -> None:
    ids = _map(db)
    client = make_client(db)
    data = _get(client, "/api/territories/DEP:59/brokers")
    assert data["brokers"]["status"] == "unavailable" and data["brokers"]["rows"] == []
    assert data["proposals"]["white_zones"][0]["carriers"][0]["actor_id"] == ids["holder"]
    page = client.get("/territories/DEP:59/brokers")
    assert "L'analyse de réseau n'est pas branchée sur ce portail." in unescape(page.text)
