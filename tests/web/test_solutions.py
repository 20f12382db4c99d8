"""Solutions and their evaluation on the portal, on SQLite and PostgreSQL: an editor
adds a solution by the form, two evaluators answer the CSR grid with evidence, the
solution page shows the radar (with its table) and their disagreement, the list shows
the CSR summary and the means per theme, the comparison and the CSV export, the report
in French and in English as HTML and PDF, a partnership scored on the seven approaches,
the API twins; a visitor cannot evaluate; a territory page lists the solutions that
answer its uncovered needs."""

from __future__ import annotations

import csv
import io
from html import unescape

import pytest
import sqlalchemy as sa
from test_accounts import csrf, portal, signed_in

from builders import file_needs, make_actor, make_link
from maillage.services import actors, links, solutions

PAYLOAD = "<script>alert('x')</script>"


def _grid(client, path: str, answers: dict[str, tuple[str, str]]) -> object:  # type: ignore[no-untyped-def]
    data = {"csrf_token": csrf(client)}
    for code, (value, evidence) in answers.items():
        data |= {f"{code}.value": value, f"{code}.evidence_kind": "document",
                 f"{code}.evidence": evidence, f"{code}.confidence": "high"}  # fmt: skip
    if "ecoindex" in answers:
        data["ecoindex.evidence_kind"] = "measurement"
    return client.post(path, data=data, follow_redirects=False)


@pytest.fixture
def carrier(db: sa.Engine) -> int:
    return int(actors.create_actor(db=db, values=make_actor(name="Emmaüs Connect"))["id"])


def test_an_editor_adds_and_two_evaluators_disagree(db: sa.Engine, carrier: int) -> None:
    editor = portal(db)
    signed_in(db, editor, "editor")
    added = editor.post("/solutions", data={
        "csrf_token": csrf(editor), "name": f"Carto {PAYLOAD}", "kind": "platform",
        "licence": "AGPL-3.0", "open_source": "1", "carriers": str(carrier),
        "territories": "DEP:59", "themes": "inclusion-numerique",
        "resource_title": "Guide", "resource_url": "https://carto.example.org/guide",
    }, follow_redirects=False)  # fmt: skip
    assert added.status_code == 303, added.text
    wrong = editor.post("/solutions", data={"csrf_token": csrf(editor), "name": "X",
                                            "carriers": "abc"})  # fmt: skip
    assert wrong.status_code == 422 and "carriers" in wrong.text
    api_wrong = editor.post("/api/solutions", json={"name": "Y", "kind": "rocket"},
                            headers={"X-CSRF-Token": csrf(editor)})  # fmt: skip
    assert api_wrong.status_code == 422 and api_wrong.json()["field"] == "kind"
    page_url = added.headers["location"]
    solution_id = int(page_url.rsplit("/", 1)[1])
    form = editor.get(f"/solutions/{solution_id}/evaluate")
    assert form.status_code == 200 and 'name="rgesn.9.7.value"' in form.text
    assert "La carte suggère" in form.text  # the collective criteria, from the map
    common = {"social.jobs": ("2", "Bilan social 2025"), "ecoindex": ("71", "3 pages mesurées")}
    first = _grid(editor, f"/solutions/{solution_id}/evaluate", {
        **common, "economic.value_sharing": ("3", "Statuts coopératifs"),
        "rgesn.1.1": ("yes", "Étude d'utilité 2024")})  # fmt: skip
    assert first.status_code == 303, first.text
    second = portal(db)
    signed_in(db, second, "admin", "second@example.org")
    _grid(second, f"/solutions/{solution_id}/evaluate", {
        **common, "economic.value_sharing": ("1", "CGU : données captées"),
        "rgesn.1.1": ("no", "Aucune étude publiée")})  # fmt: skip
    page = editor.get(page_url)
    assert PAYLOAD not in page.text and "&lt;script&gt;" in page.text
    assert '<svg xmlns="http://www.w3.org/2000/svg"' in page.text and 'role="img"' in page.text
    disagreement = page.text.split('id="disagree-title"', 1)[1].split("</section>", 1)[0]
    assert disagreement.count('class="disagreement"') == 2
    assert "CGU : données captées" in disagreement and "Statuts coopératifs" in disagreement
    refused = _grid(editor, f"/solutions/{solution_id}/evaluate",
                    {"social.jobs": ("2", "")})  # no evidence  # fmt: skip
    assert refused.status_code == 422 and "preuve" in refused.text

    listing = editor.get("/solutions?territory=DEP:59")
    assert "Carto" in listing.text and "Par thème" in listing.text
    compare = editor.get(f"/solutions/compare?ids={solution_id}")
    assert "Comparaison des solutions" in compare.text and "<svg" in compare.text
    exported = list(csv.DictReader(io.StringIO(editor.get("/solutions.csv").text)))
    assert exported[0]["licence"] == "AGPL-3.0" and exported[0]["open_source"] == "oui"

    api = editor.get(f"/api/solutions/{solution_id}").json()
    assert api["csr"]["evaluators"] == 2
    assert {d["criterion"] for d in api["disagreements"]} == {"economic.value_sharing", "rgesn.1.1"}
    for lang, title in (("fr", "Rapport d'évaluation"), ("en", "Evaluation report")):
        html = editor.get(f"/solutions/{solution_id}/report?lang={lang}")
        assert title in unescape(html.text)
        pdf = editor.get(f"/solutions/{solution_id}/report.pdf?lang={lang}")
        assert pdf.headers["content-type"] == "application/pdf" and pdf.content[:5] == b"%PDF-"

    visitor = portal(db)
    assert visitor.get(f"/solutions/{solution_id}/evaluate",
                       follow_redirects=False).status_code == 303  # to sign in  # fmt: skip


def test_a_partnership_is_scored_on_seven_approaches(db: sa.Engine) -> None:
    a = actors.create_actor(db=db, values=make_actor(name="Fondation"))["id"]
    b = actors.create_actor(db=db, values=make_actor(name="Association"))["id"]
    link_id = links.create_link(db=db, values=make_link(a, b))["id"]
    client = portal(db)
    signed_in(db, client, "editor")
    form = client.get(f"/partnerships/link/{link_id}/evaluate")
    assert form.text.count('.value"') == 21
    done = _grid(client, f"/partnerships/link/{link_id}/evaluate", {
        "product.performance": ("3", "Bilan"), "balance.clarity": ("1", "Convention floue"),
        "valorisation.meaning": ("2", "Entretiens")})  # fmt: skip
    assert done.status_code == 303
    page = client.get(done.headers["location"])
    assert "Fondation ↔ Association" in page.text and "Clarté" in page.text
    assert f"/partnerships/link/{link_id}" in client.get(f"/links/{link_id}").text
    api = client.get(f"/api/evaluations/link/{link_id}").json()
    assert api["cells"]["product"]["performance"] == 1.0
    assert api["cells"]["balance"]["clarity"] == pytest.approx(1 / 3, abs=1e-3)


def test_a_territory_lists_the_solutions_answering_its_uncovered_needs(db: sa.Engine) -> None:
    file_needs(db, ("DEP:59", "acces-aux-droits", 3))
    made = solutions.create_solution(db=db, values={
        "name": "Pass droits", "kind": "service", "territories": ["DEP:59"],
        "themes": ["acces-aux-droits"]})  # fmt: skip
    page = portal(db).get("/territories/DEP:59")
    section = page.text.split('id="territory-solutions-title"', 1)[1].split("</section>", 1)[0]
    assert "Pass droits" in section
    assert f'/solutions/{made["id"]}"' in section


def test_the_list_filters_by_a_theme_chosen_by_its_name_and_pages_every_solution(
    db: sa.Engine,
) -> None:
    """A funder picks « Inclusion numérique » in a list of theme names (she does not
    know the codes); the list shows every solution, a hundred a page with the count and
    the next page (it stopped at 500 without a word); the API gives every one; an
    unknown territory is said beside the filter, on the list page, not an error page."""
    rows = [{"name": f"Service {n:03d}", "themes": ["inclusion-numerique"] if n % 2 else []}
            for n in range(130)]  # fmt: skip
    solutions.create_solutions(db=db, rows=rows)
    client = portal(db)
    page = client.get("/solutions")
    assert '<option value="inclusion-numerique">Inclusion numérique</option>' in page.text
    assert "Solutions 1 à 100 sur 130" in page.text and "Service 099" in page.text
    assert "Service 100" not in page.text and "page=2" in page.text
    second = client.get("/solutions?page=2")
    assert "Solutions 101 à 130 sur 130" in second.text and "Service 129" in second.text
    assert "Service 099" not in second.text
    on_theme = client.get("/solutions?theme=inclusion-numerique")
    assert "sur 65" in on_theme.text and "Service 001" in on_theme.text
    assert "Service 000" not in on_theme.text.split("solutions-caption", 1)[1].split("</table>")[0]
    assert len(client.get("/api/solutions").json()) == 130
    unknown = client.get("/solutions?territory=Atlantide")
    assert unknown.status_code == 404 and 'id="f-territory-error"' in unknown.text
    assert "Atlantide" in unknown.text and 'id="f-theme"' in unknown.text


def test_what_the_user_trial_found_on_the_solution_and_partnership_pages(
    db: sa.Engine, carrier: int
) -> None:
    """The trial's evaluators and funder: one evaluator is « 1 évaluateur », not « 1
    évaluateurs »; the note an evaluator writes is shown with the evaluation (it was
    kept and never shown), on the page and in the report, itself dated; a disagreement
    shows each side's address beside its evidence text; the map's suggestion of commons
    is in words; an alliance's evaluation is named as the alliance of the solution's
    carriers, over time by object; a link's evaluation leads back to the link; on a
    territory page a solution stating no territory (a national service) is « non
    précisé », not « non »."""
    made = solutions.create_solution(db=db, values={
        "name": "Pass numérique", "open_source": True, "carriers": [carrier]})  # fmt: skip
    sid = made["id"]
    client = portal(db)
    signed_in(db, client, "editor")
    form = client.get(f"/solutions/{sid}/evaluate")
    assert "La carte suggère 1\u00a0: Code ouvert" in unescape(form.text)
    data = {"csrf_token": csrf(client), "note": "Revue du comité de juillet",
            "economic.value_sharing.value": "3", "economic.value_sharing.evidence_kind": "url",
            "economic.value_sharing.evidence": "Statuts",
            "economic.value_sharing.evidence_url": "https://pass.example.org/statuts",
            "economic.value_sharing.confidence": "high"}  # fmt: skip
    assert client.post(f"/solutions/{sid}/evaluate", data=data).status_code == 200
    page = unescape(client.get(f"/solutions/{sid}").text)
    assert "sur 100, pour 1 évaluateur" in page and "1 évaluateurs" not in page
    assert "Revue du comité de juillet" in page
    other = portal(db)
    signed_in(db, other, "admin", "second@example.org")
    _grid(other, f"/solutions/{sid}/evaluate", {"economic.value_sharing": ("0", "CGU")})
    page = unescape(client.get(f"/solutions/{sid}").text)
    disagreement = page.split('id="disagree-title"', 1)[1].split("</section>", 1)[0]
    assert "Statuts" in disagreement and "https://pass.example.org/statuts" in disagreement
    report = unescape(client.get(f"/solutions/{sid}/report").text)
    assert "Revue du comité de juillet" in report and "Produit le " in report

    alliance = unescape(client.get(f"/partnerships/alliance/{sid}").text)
    assert "Évaluation partenariale : l’alliance des porteurs de « Pass numérique »" in alliance
    done = _grid(client, f"/partnerships/alliance/{sid}/evaluate",
                 {"product.performance": ("3", "Bilan"), "balance.clarity": ("1", "Convention")})  # fmt: skip
    assert done.status_code == 303
    alliance = unescape(client.get(f"/partnerships/alliance/{sid}").text)
    assert "Les trois objets dans le temps, sur 100" in alliance
    b = actors.create_actor(db=db, values=make_actor(name="Fondation"))["id"]
    link_id = links.create_link(db=db, values=make_link(carrier, b))["id"]
    assert f'href="/links/{link_id}"' in client.get(f"/partnerships/link/{link_id}").text

    file_needs(db, ("DEP:59", "acces-aux-droits", 3))
    solutions.create_solution(db=db, values={"name": "Service national",
                                             "themes": ["acces-aux-droits"]})  # fmt: skip
    section = client.get("/territories/DEP:59").text.split(
        'id="territory-solutions-title"', 1)[1].split("</section>", 1)[0]  # fmt: skip
    assert "Service national" in section and "non précisé" in section
