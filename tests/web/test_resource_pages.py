"""The resource centre on the portal: the list with its search, facets and marked
passages, a resource with its transcript turns, an actor named in it linked in one
click by an editor (not by a visitor), the JSON API and the CSV export, in French and
English; personal e-mail addresses never shown."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import sqlalchemy as sa
from test_accounts import portal, post, signed_in

from builders import make_actor
from maillage.services import actors
from maillage.services import resources as service
from maillage.storage.tables import resource_mention
from resource_files import make_webinar


def _imported(db: sa.Engine, data_dir: Path, tmp_path: Path) -> int:
    folder = data_dir / "resources"
    service.import_resources(db=db, paths=[folder / "rhapsodie", folder / "service-public",
                                           make_webinar(tmp_path)])  # fmt: skip
    return service.search_resources(db=db, query="Palais Royal").hits[0].id


def test_list_search_facets_and_a_transcript_page(
    db: sa.Engine, data_dir: Path, tmp_path: Path
) -> None:
    interview = _imported(db, data_dir, tmp_path)
    client = portal(db)
    page = client.get("/resources", params={"q": "Palais Royal"})
    assert page.status_code == 200
    assert "1 ressource" in page.text and "Rhapsodie D0001 — interview" in page.text
    assert "<mark>Palais</mark>" in page.text and "Centre de ressources" in page.text
    guides = client.get("/resources", params={"q": "association", "type": "guide"})
    assert 'aria-current="true" class="facet-chosen">Guide</a>' in guides.text
    assert "Outil" not in re.sub(r"<aside.*?</aside>", "", guides.text, flags=re.S)
    detail = client.get(f"/resources/{interview}")
    assert detail.status_code == 200
    assert '<span class="speaker">L1</span> est-ce que vous pourriez décrire' in detail.text
    assert '<h2 id="transcript-heading">Transcription</h2>' in detail.text
    english = client.get(f"/resources/{interview}", params={"lang": "en"})
    assert '<h2 id="transcript-heading">Transcript</h2>' in english.text
    assert "Back to the resource centre" in english.text
    assert "1 resource" in client.get("/resources", params={"q": "Palais Royal"}).text
    webinar = service.search_resources(db=db, query="", filters={"type": ["webinar"]}).hits[0]
    shown = client.get(f"/resources/{webinar.id}").text
    assert "https://example.org/replay/odd17-5" in shown and "Claire Martin" in shown
    assert "claire.martin@" not in shown and "contact@example.org" in shown
    assert client.get("/resources/999999").status_code == 404


def test_api_and_csv_export(db: sa.Engine, data_dir: Path, tmp_path: Path) -> None:
    interview = _imported(db, data_dir, tmp_path)
    client = portal(db)
    found = client.get("/api/resources", params={"q": "métro", "type": "interview"}).json()
    assert found["total"] == 1 and found["hits"][0]["id"] == interview
    assert "<mark>métro</mark>" in found["hits"][0]["passages"][0]
    assert {"value": "interview", "count": 1} in found["facets"]["type"]
    one = client.get(f"/api/resources/{interview}").json()
    assert one["transcript"][0]["speaker"] == "L1" and one["speakers"] == ["L1", "L2", "L3"]
    assert client.get("/api/resources", params={"theme": "x" * 300}).status_code == 422
    rows = list(csv.DictReader(io.StringIO(client.get("/resources.csv").text)))
    assert len(rows) == 3 + 12 + 1 and "claire.martin@" not in str(rows)
    assert len(client.get("/api/resources/export").json()) == 16


def test_an_editor_links_a_named_actor_in_one_click_a_visitor_cannot(
    db: sa.Engine, data_dir: Path, tmp_path: Path
) -> None:
    rid = _imported(db, data_dir, tmp_path)
    actor = actors.create_actor(db=db, values=make_actor(name="Légion d'Honneur"))
    with db.begin() as conn:
        conn.execute(sa.insert(resource_mention).values(
            resource_id=rid, actor_id=actor["id"], surface="Légion d'Honneur", start=0,
            score=1.0, status="proposed"))  # fmt: skip
    client = portal(db)
    visitor_page = client.get(f"/resources/{rid}").text
    assert "Lier à cette ressource" not in visitor_page
    assert "Coder cette ressource" not in visitor_page  # coding is for editors (researchers)
    refused = post(client, f"/resources/{rid}/mentions/{actor['id']}/accept")
    assert refused.status_code in (302, 303, 401, 403)
    assert service.get_resource(db=db, resource_id=rid)["actors"] == []
    signed_in(db, client, "editor")
    page = client.get(f"/resources/{rid}").text
    assert "Lier à cette ressource" in page and "« Légion d&#39;Honneur »" in page
    assert f'href="/resources/{rid}/coding">Coder cette ressource</a>' in page
    listing = client.get("/resources").text
    assert 'href="/hypotheses">Les sept hypothèses</a>' in listing and 'href="/codebook"' in listing
    done = post(client, f"/resources/{rid}/mentions/{actor['id']}/accept")
    assert done.status_code == 303
    after = client.get(f"/resources/{rid}").text
    assert f'href="/actors/{actor["id"]}">Légion d&#39;Honneur</a>' in after
    assert service.get_resource(db=db, resource_id=rid)["actors"] == [actor["id"]]


def test_the_territory_facet_and_a_resource_name_their_territories(
    db: sa.Engine, data_dir: Path, tmp_path: Path
) -> None:
    """« Nord (59) » where the code was shown (« DEP:59 »); the code stays the filter."""
    _imported(db, data_dir, tmp_path)
    client = portal(db)
    page = client.get("/resources").text
    facet = re.search(r"<h2>Territoire</h2>(.*?)</section>", page, re.S)
    assert facet is not None
    assert re.search(r'<a href="[^"]*territory=DEP%3A59[^"]*">Nord \(59\)</a>', facet.group(1))
    assert "DEP:59" not in re.sub(r'href="[^"]*"', "", facet.group(1))
    chosen = client.get("/resources", params={"territory": "DEP:59"}).text
    assert 'class="facet-chosen">Nord (59)</a>' in chosen
    assert '<input type="hidden" name="territory" value="DEP:59">' in chosen
    webinar = service.search_resources(db=db, filters={"territory": ["DEP:59"]}).hits[0]
    detail = client.get(f"/resources/{webinar.id}").text
    assert "<dt>Territoires</dt><dd>Nord (59)</dd>" in detail


def test_a_fiche_s_sections_are_headings_without_their_markdown_marks(
    db: sa.Engine, data_dir: Path
) -> None:
    """A Ministère du Travail fiche's sections (« ## … » in its text) read as headings."""
    service.import_resources(db=db, paths=[data_dir / "resources" / "travail"])
    title = "Guide technique relatif aux opérations de modification des machines"
    fiche = service.search_resources(db=db, query="modification des machines").hits[0]
    page = portal(db).get(f"/resources/{fiche.id}").text
    body = re.search(r'<section class="resource-body"[^>]*>(.*?)</section>', page, re.S)
    assert body is not None
    assert re.search(rf"<h2>{title}[^<]*</h2>", body.group(1))
    assert "##" not in body.group(1)
    assert "<p>Cette version enrichie permet de clarifier" in body.group(1)
