"""The first kilometre's pages over HTTP (issue 22 item 6): the questions linked from the
home page, the answers in the address (GET, linkable), the results with their reasons,
the consent form (POST, CSRF, 303 back to the results) and the territory's observed
needs from five answers."""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import urlencode

import sqlalchemy as sa
from fastapi.testclient import TestClient
from htmlcheck import Page
from portal_support import make_client

import first_km as corner
from maillage.storage.tables import first_km_answer

ANSWERS = [("world", "associative"), ("role", "volunteer"), ("where", "59740"),
           ("theme", corner.THEME), ("maturity", "1")]  # fmt: skip


def _token(client: TestClient, url: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', client.get(url).text)
    assert found is not None
    return found.group(1)


def _stored(db: sa.Engine) -> int:
    with db.connect() as conn:
        return int(
            conn.execute(sa.select(sa.func.count()).select_from(first_km_answer)).scalar_one()
        )


def test_the_questions_the_results_and_the_consent(db: sa.Engine) -> None:
    corner.build(db, today=dt.date.today())
    with make_client(db) as client:
        home = Page(client.get("/").text)
        assert home.find("a", href="/first-kilometre")
        empty = client.get("/first-kilometre")
        assert empty.status_code == 200
        form = Page(empty.text)
        assert form.find("label", for_="fk-where") and form.find("input", id="fk-where")
        assert form.find("input", id="fk-level-4", type="radio")
        assert "Pour vous" not in empty.text
        url = "/first-kilometre?" + urlencode(ANSWERS)
        answer = client.get(url)
        assert answer.status_code == 200
        text = Page(answer.text).text
        assert "Pour vous, près de Solre-le-Château" in text
        assert "Guide de l'inclusion numérique en Avesnois" in text
        assert "Pourquoi : Acteur du monde économique, actif sur « Inclusion numérique »" in text
        assert "Foyer rural de Felleries" not in text  # the visitor's own world
        assert "Pourquoi : Prochain webinaire sur « Inclusion numérique »" in text
        assert "Webinaire passé" not in text
        # an unknown commune is said on the page, with the answers kept in the form
        unknown = client.get(
            "/first-kilometre?" + urlencode({**dict(ANSWERS), "where": "Nullepart"})
        )
        assert unknown.status_code == 400 and "Nullepart" in Page(unknown.text).text
        # the box unticked: nothing kept; ticked: kept, and back to the results (303)
        token = _token(client, url)
        data = {"csrf_token": token, "where": "COM:59572", "world": "associative",
                "maturity": "1", "theme": corner.THEME}  # fmt: skip
        refused = client.post("/first-kilometre/needs", data=data, follow_redirects=False)
        assert refused.status_code == 303 and "kept=no" in refused.headers["location"]
        assert _stored(db) == 0
        for _ in range(5):
            kept = client.post("/first-kilometre/needs", data={**data, "consent": "yes"},
                               follow_redirects=False)  # fmt: skip
            assert kept.status_code == 303 and "kept=yes" in kept.headers["location"]
        assert _stored(db) == 5
        thanks = client.get(kept.headers["location"])
        assert "Merci" in Page(thanks.text).text
        # without the form's token: refused
        forged = client.post("/first-kilometre/needs", data={**data, "csrf_token": "x"})
        assert forged.status_code == 403 and _stored(db) == 5
        territory = Page(client.get("/territories/DEP:59").text).text
        assert "5 visiteurs ont déclaré leurs besoins" in territory
        english = Page(client.get(url + "&lang=en").text).text
        assert "Possible allies" in english and "Why: An actor of the economic world" in english


def test_the_territory_page_shows_no_observed_needs_under_five_answers(db: sa.Engine) -> None:
    with db.begin() as conn:
        conn.execute(sa.insert(first_km_answer), [
            {"territory_code": "COM:59572", "world": "associative", "themes": [corner.THEME],
             "maturity": 2, "month": "2026-12"}] * 4)  # fmt: skip
    with make_client(db) as client:
        assert "Besoins déclarés" not in client.get("/territories/DEP:59").text


def test_a_territory_without_recorded_needs_points_to_its_visitors_needs(db: sa.Engine) -> None:
    """The Creuse has no need recorded by the observatory but five visitors' answers: the
    needs section says so and points to them, instead of « no need » above their needs."""
    with db.begin() as conn:
        conn.execute(sa.insert(first_km_answer), [
            {"territory_code": "COM:23079", "world": "associative", "themes": [corner.THEME],
             "maturity": 1, "month": "2026-12"}] * 5)  # fmt: skip
    with make_client(db) as client:
        page = Page(client.get("/territories/DEP:23").text)
    text = page.text
    assert "5 visiteurs ont déclaré leurs besoins" in text
    assert "Aucun besoin n'est encore enregistré" not in text
    assert "L'observatoire n'a encore enregistré aucun besoin" in text
    assert page.find("a", href="#observed-title")
