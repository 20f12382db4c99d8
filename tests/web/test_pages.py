"""HTML pages of the portal, on SQLite and PostgreSQL, over the demo map."""

from __future__ import annotations

import json
import re

import sqlalchemy as sa
from demo import Demo
from fastapi.testclient import TestClient
from htmlcheck import Page
from portal_support import make_client

from maillage.web.providers import Providers


def page(client: TestClient, url: str, status: int = 200) -> Page:
    response = client.get(url)
    assert response.status_code == status, response.text[:500]
    assert response.headers["content-type"].startswith("text/html")
    return Page(response.text)


def test_home_says_what_the_map_holds_in_french_then_english(client: TestClient) -> None:
    home = page(client, "/")
    assert home.find("html", lang="fr")
    assert home.find("a", class_="skip-link", href="#contenu") and home.find("main", id="contenu")
    assert "Ce que contient la carte" in home.text and "Mode d'emploi" in home.text
    figures = dict(re.findall(r"<dt>([^<]+)</dt><dd>([^<]+)</dd>", client.get("/").text))
    assert figures["Acteurs"] == "40" and figures["Liens"] == "60"
    assert figures["Départements couverts"] == "2"
    english = client.get("/?lang=en")
    assert "lang=en" in english.headers["set-cookie"]
    assert Page(english.text).find("html", lang="en")
    again = page(client, "/explore")  # the cookie keeps English
    assert again.find("html", lang="en") and "Explore the map and the network" in again.text
    assert again.find("a", hreflang="fr", lang="fr")


def test_explore_has_one_labelled_filter_bar_widgets_tables_and_exports(client: TestClient) -> None:
    html = client.get("/explore?territory=62&world=").text
    explore = Page(html)
    assert explore.unlabelled_controls() == []
    assert explore.find("input", name="territory", value="DEP:62")
    assert "Pas-de-Calais" in explore.text
    widget = explore.find("div", id="map")[0]
    assert json.loads(widget["data-query"]) == {"territory": "DEP:62"}
    assert widget["data-departements-url"].endswith("/api/boundaries/departement.geojson")
    assert json.loads(explore.find("div", id="network")[0]["data-query"]) == {"territory": "DEP:62"}
    assert "20 acteurs dans cette vue" in explore.text
    exports = {a["id"]: a["href"] for a in explore.find("a") if a.get("id", "").startswith("link-")}
    assert exports["link-geojson"].endswith("/api/export/view.geojson?territory=DEP%3A62")
    assert "/embed/map?territory=DEP%3A62" in exports["link-embed-map"]
    strings = json.loads(re.search(r'id="maillage-i18n">(.*?)</script>', html, re.S).group(1))
    assert strings["loading"] == "Chargement…"


def test_the_pager_links_open_the_whole_page_at_the_next_page(client: TestClient) -> None:
    first = Page(client.get("/explore").text)
    assert "Page 1 sur 2" in first.text  # 40 actors, 25 a page
    (link,) = [a for a in first.find("a") if "actors_page=2" in a.get("href", "")]
    assert "/explore?" in link["href"] and "/explore/results?" in link["hx-get"]
    second = client.get(link["href"])
    assert second.status_code == 200 and "<html" in second.text and "Page 2 sur" in second.text


def test_results_fragment_and_text_tables_follow_the_filters(client: TestClient) -> None:
    fragment = client.get("/explore/results?world=public&category=")
    assert fragment.status_code == 200 and "<html" not in fragment.text
    rows = Page(fragment.text).find("button", type="button")
    assert len(rows) == 10 and all(r["data-select"].isdigit() for r in rows)
    assert "10 acteurs dans cette vue" in fragment.text
    table = page(client, "/explore/table?kind=funding")
    assert "12 liens dans cette vue" in table.text and "kind = funding" in table.text
    paged = client.get("/explore/results?actors_page=2").text
    assert "Page 2 sur 2" in paged


def test_actor_page_shows_identity_links_evidence_and_measures(
    client: TestClient, demo_map: Demo
) -> None:
    actor_id = demo_map.named["emmaus"]
    actor = page(client, f"/actors/{actor_id}")
    assert "Emmaüs Connect Lille" in actor.text and "Associatif / social" in actor.text
    assert "Nombre de liens" in actor.text and "Part de liens entre mondes" in actor.text
    assert actor.find("a", href=f"/api/actors/{actor_id}")
    card = client.get(f"/actors/{actor_id}/card")
    assert (
        card.status_code == 200 and "<html" not in card.text and "Emmaüs Connect Lille" in card.text
    )
    assert "Partenaires recommandés" not in actor.text  # no provider, no block


def test_providers_plug_recommendations_and_a_failing_one_is_hidden(
    db: sa.Engine, demo_map: Demo
) -> None:
    actor_id = demo_map.named["emmaus"]

    def recommend(db: sa.Engine, key: int, lang: str) -> list[dict[str, object]]:
        return [
            {
                "actor_id": demo_map.actor_ids[-1],
                "name": "Partenaire idéal",
                "score": 0.9,
                "reasons": ["mêmes thèmes, autre monde"],
            }
        ]

    def broken(db: sa.Engine, key: object, lang: str) -> list[dict[str, object]]:
        raise RuntimeError("analysis not ready")

    providers = Providers(
        actor_recommendations=recommend, actor_measures=broken, territory_recommendations=broken
    )
    with make_client(db, providers) as client:
        actor = page(client, f"/actors/{actor_id}")
        block = actor.find("div", id="analysis")[0]  # fetched after the page
        assert block["hx-get"] == f"/actors/{actor_id}/analysis"
        assert "Partenaires recommandés" not in actor.text
        fragment = page(client, block["hx-get"])
        assert "Partenaires recommandés" in fragment.text
        assert "mêmes thèmes, autre monde" in fragment.text
        nord = page(client, "/territories/DEP:59")
        assert nord.find("div", id="analysis")
        assert "Recommandations" not in page(client, "/territories/DEP:59/analysis").text
        data = client.get(f"/api/actors/{actor_id}").json()
        assert data["analysis_url"] == f"/api/actors/{actor_id}/analysis"
        analysis = client.get(data["analysis_url"]).json()
        assert analysis["status"] == "ready" and analysis["measures"] == []
        assert analysis["recommendations"][0]["name"] == "Partenaire idéal"


def test_territory_page_shows_needs_white_zones_mixing_and_indicators(client: TestClient) -> None:
    nord = page(client, "/territories/DEP:59")
    assert "Nord" in nord.text and "Hauts-de-France" in nord.text
    assert "Accompagner les seniors" in nord.text and "Zones blanches" in nord.text
    assert "Mobilité des jeunes" in nord.text  # no actor on "mobilite": a white zone
    assert "Liens entre les mondes" in nord.text and "Indice E-I" in nord.text
    assert "ifn (2024)" in nord.text
    assert page(client, "/territories/Nord").find("h1")
    assert "Lille" in page(client, "/territories/59000").text
    missing = page(client, "/territories/DEP:00", status=404)
    assert "Introuvable" in missing.text and missing.find("html", lang="fr")


def test_link_page_and_search(client: TestClient, demo_map: Demo) -> None:
    link = page(client, f"/links/{demo_map.link_ids[0]}")
    assert "Convention de partenariat signée" in link.text
    assert link.find("a", href="https://example.org/convention")
    found = page(client, "/search?q=emmaus+lille")
    assert found.find("a", href=f"/actors/{demo_map.named['emmaus']}")
    assert "Lille" in found.text  # the commune as a territory too
    live = client.get("/search?q=emmaus", headers={"HX-Request": "true"})
    assert "<html" not in live.text and "Emmaüs Connect Lille" in live.text


def test_measure_pages_explain_in_plain_words(client: TestClient) -> None:
    listing = page(client, "/measures")
    assert "Indice E-I" in listing.text and "Zones blanches" in listing.text
    ei = page(client, "/measures/ei_index")
    assert "Krackhardt" in ei.text and "Comment la lire" in ei.text
    assert "E-I index" in page(client, "/measures/ei_index?lang=en").text
    page(client, "/measures/nothing", status=404)


def test_embeds_carry_filters_and_may_be_framed(client: TestClient) -> None:
    response = client.get("/embed/map?territory=59&world=public")
    embed = Page(response.text)
    assert json.loads(embed.find("div", id="map")[0]["data-query"]) == {
        "territory": "DEP:59",
        "world": "public",
    }
    assert not embed.find("nav") and "x-frame-options" not in response.headers
    assert "default-src 'self'" in response.headers["content-security-policy"]
    network = Page(client.get("/embed/network?kind=funding").text)
    assert json.loads(network.find("div", id="network")[0]["data-query"]) == {"kind": "funding"}
    assert client.get("/explore").headers["x-frame-options"] == "SAMEORIGIN"
    # an embed has no tables of its own: its text alternative is the table page
    assert embed.find("a", href="/explore/table?territory=DEP%3A59&world=public")
    # views shared from an English page open in English
    english = Page(client.get("/explore?territory=59&lang=en").text)
    shared = {a["id"]: a["href"] for a in english.find("a") if a.get("id", "").startswith("link-")}
    assert "lang=en" in shared["link-embed-map"] and "lang=en" in shared["link-embed-network"]
    iframe = Page(client.get("/embed/map?territory=59&lang=en").text)
    assert any("lang=en" in a["href"] for a in iframe.find("a") if "/explore?" in a.get("href", ""))
    client.get("/?lang=fr")


ERRORS = [
    ("/explore?world=martian", 422, "world"),
    ("/explore?year_from=2020&year_to=2010", 422, "year_to"),
    ("/explore?territory=Atlantide", 422, "territory"),
    ("/actors/0", 422, "actor_id"),
    ("/actors/99999", 404, "acteur"),
    ("/nowhere", 404, "Cette page n'existe pas."),
]


def test_errors_are_pages_for_people(client: TestClient) -> None:
    for url, status, needle in ERRORS:
        error = page(client, url, status=status)
        assert needle in error.text, url
        assert error.find("a", href="/")


def test_errors_say_what_is_wrong_in_the_reader_s_language(client: TestClient) -> None:
    early = page(client, "/explore?year_from=1500", status=422)
    assert "year_from" in early.text and "doit valoir au moins 1800" in early.text
    assert "Input should" not in early.text
    unsafe = page(client, "/search?q=%01", status=422)
    assert "contient des caractères non permis" in unsafe.text and "pattern" not in unsafe.text
    german = page(client, "/explore?lang=de", status=422)
    assert "doit être l'une de ces valeurs : 'fr' ou 'en'" in german.text
    english = page(client, "/explore?year_from=1500&lang=en", status=422)
    assert "must be at least 1800" in english.text
    assert "Not found: actor 99999" in page(client, "/actors/99999", status=404).text
    assert "Ce que contient la carte" in page(client, "/?lang=fr").text
    assert "Introuvable : acteur 99999" in page(client, "/actors/99999", status=404).text


def test_a_failing_part_of_a_page_gets_a_notice_not_a_page(client: TestClient) -> None:
    for headers in ({"HX-Request": "true"}, {"HX-Request": "true", "HX-Request-Type": "partial"}):
        part = client.get("/explore/results?territory=Atlantide", headers=headers)
        assert part.status_code == 422 and "<html" not in part.text and "<nav" not in part.text
        notice = Page(part.text).find("div", role="alert")
        assert notice and "territory" in part.text and "Requête invalide" in part.text
    whole = client.get(
        "/explore/results?territory=Atlantide",
        headers={"HX-Request": "true", "HX-Request-Type": "full"},
    )
    assert "<html" in whole.text  # htmx replacing the whole page gets the whole page


def test_errors_are_json_for_the_api_and_json_clients(client: TestClient) -> None:
    invalid = client.get("/api/map.geojson?world=martian")
    assert invalid.status_code == 422 and invalid.json()["field"] == "world"
    assert client.get("/api/nowhere").json()["error"] == "HTTPError"
    asked = client.get("/actors/99999", headers={"Accept": "application/json"})
    assert asked.status_code == 404 and asked.json()["message_en"].startswith("Not found")
    assert client.get("/api/actors/0").status_code == 422


def test_developer_page_lists_the_api(client: TestClient) -> None:
    dev = page(client, "/developers")
    assert "GET /api/map.geojson" in dev.text and "GET /api/actors/{actor_id}" in dev.text


def test_urls_of_the_route_table_are_starlette_s(client: TestClient) -> None:
    from starlette.requests import Request

    from maillage.web import templating

    app = client.app
    scope = {
        "type": "http",
        "app": app,
        "router": app.router,
        "path": "/maillage/",
        "root_path": "/maillage",
        "headers": [(b"host", b"example.org")],
        "query_string": b"",
        "scheme": "https",
        "server": ("example.org", 443),
    }
    request = Request(scope)
    table = templating._route_table(request)
    assert {"actor", "api_actor", "territory_analysis", "map_geojson", "static"} <= set(table)
    for name, (fmt, _, _) in table.items():
        params = {p: "DEP:59" if "code" in p else "42" for p in templating._PARAM.findall(fmt)}
        ours = templating.url_for(request, name, **params)
        # The same path as Starlette's, under the root path, without the request's host.
        assert ours == request.url_for(name, **params).path, name
        assert ours.startswith("/maillage/"), name
