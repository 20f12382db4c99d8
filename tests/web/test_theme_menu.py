"""The explore page's theme menu shows the tree, and a parent theme's view holds the
actors of its children, in French and in English."""

from __future__ import annotations

import re

import sqlalchemy as sa
from fastapi.testclient import TestClient

NBSP = "\u00a0"


def _options(html: str) -> dict[str, str]:
    menu = re.search(r'<select id="f-theme".*?</select>', html, re.S)
    assert menu is not None
    return dict(re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', menu[0]))


def test_the_theme_menu_is_indented_as_a_tree(client: TestClient) -> None:
    french = _options(client.get("/explore").text)
    assert french["numerique"] == "Numérique"
    assert french["inclusion-numerique"] == NBSP * 3 + "Inclusion numérique"
    assert french["mediation-numerique"] == NBSP * 6 + "Médiation numérique"
    assert french["demarches-en-ligne"] == NBSP * 6 + "Démarches en ligne"
    english = _options(client.get("/explore?lang=en").text)
    assert english["mediation-numerique"] == NBSP * 6 + "Digital mediation"
    assert english["acces-aux-services-publics"] == NBSP * 3 + "Access to public services"
    assert "includes the themes indented under it" in client.get("/explore?lang=en").text


def test_a_parent_theme_view_holds_the_actors_of_its_children(
    client: TestClient, db: sa.Engine
) -> None:
    def tagged(*themes: str) -> int:
        query = sa.text(
            "SELECT COUNT(DISTINCT actor_id) FROM actor_theme WHERE theme IN :themes"
        ).bindparams(sa.bindparam("themes", expanding=True))
        with db.connect() as conn:
            return int(conn.execute(query, {"themes": list(themes)}).scalar_one())

    both = tagged("inclusion-numerique", "mediation-numerique")
    assert both > tagged("inclusion-numerique")  # some actors carry only the child
    shown = client.get("/explore/results?theme=inclusion-numerique").text
    assert f"{both} acteurs dans cette vue" in shown
    api = client.get("/api/explore?theme=inclusion-numerique").json()
    assert api["actors"]["total"] == both
