"""Evaluating a solution in a real browser: Camille fills the CSR grid for a solution
with her evidence, Dominique answers the same grid but disagrees on two criteria (value
sharing and RGESN 1.1); the solution's page then shows the radar (and its table) and
the two disagreements with each side's evidence; the PDF report is produced, its first
page rendered to PNG and kept in ``test-artifacts/`` with the PDF, and its text checked
for the solution's name and its mean score per dimension. axe-core checks the pages.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from browser import ARTIFACTS, Watch, check_axe, live_server, screenshot, signed_in_page

from maillage.services import accounts, actors, solutions
from maillage.storage.engine import make_engine
from maillage.web.i18n import Gettext

PASSWORD = "correct horse battery"
DESKTOP = {"width": 1280, "height": 900}
NAME = "Carto des aidants numériques"


@pytest.fixture(scope="module")
def evaluation_portal(
    sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, int]]:
    path = tmp_path_factory.mktemp("evaluation") / "portal.sqlite"
    shutil.copy(sqlite_template, path)
    engine: sa.Engine = make_engine(f"sqlite:///{path}")
    carrier = actors.create_actor(db=engine, values={
        "name": "Emmaüs Connect Lille", "world": "associative", "commune_code": "59350"})  # fmt: skip
    made = solutions.create_solution(db=engine, values={
        "name": NAME, "kind": "platform", "licence": "AGPL-3.0", "open_source": True,
        "open_data": True, "carriers": [carrier["id"]], "territories": ["DEP:59"],
        "themes": ["inclusion-numerique"]})  # fmt: skip
    for name in ("Camille", "Dominique"):
        accounts.create_account(db=engine, email=f"{name.lower()}@example.org", password=PASSWORD,
                                name=name, role="editor", verified=True)  # fmt: skip
    with live_server(engine, secret_key="s" * 48) as url:
        yield url, int(made["id"])
    engine.dispose()


# Tables whose right edge is past the screen and that no scrolling region holds.
CUT_TABLES = """() => [...document.querySelectorAll("table")].filter(t =>
    t.getBoundingClientRect().right > window.innerWidth + 1 && !t.closest(".table-scroll"))
  .map(t => (t.caption ? t.caption.textContent : t.className).trim())"""


def person(browser: Any, watch: Watch, origin: str, name: str) -> Any:
    """A browser context of its own for ``name``, signed in; its page."""
    return signed_in_page(browser, watch, origin, f"{name.lower()}@example.org", PASSWORD, DESKTOP)


def answer(page: Any, code: str, value: str, evidence: str) -> None:
    field = f'[name="{code}.value"]'
    if page.locator(f"select{field}").count():
        page.select_option(f"select{field}", value)
    else:
        page.fill(f"input{field}", value)
    page.fill(f'[name="{code}.evidence"]', evidence)
    page.select_option(f'[name="{code}.confidence"]', "high")


def evaluate(
    page: Any, origin: str, solution_id: int, answers: dict[str, tuple[str, str]],
    axe: bool = False,
) -> None:  # fmt: skip
    page.goto(f"{origin}/solutions/{solution_id}")
    page.click("text=Évaluer cette solution")
    page.wait_for_selector('[name="rgesn.1.1.value"]', state="attached")
    page.click("summary:has-text('1 Stratégie')")  # the RGESN criteria by theme, folded
    for code, (value, evidence) in answers.items():
        answer(page, code, value, evidence)
    if axe:
        check_axe(page, origin)
        screenshot(page, "evaluation-grid")
    page.click("text=Enregistrer l'évaluation")
    page.wait_for_url(f"{origin}/solutions/{solution_id}")


@pytest.mark.quality
def test_two_evaluators_radar_disagreement_and_pdf_report(
    chromium: Any, evaluation_portal: tuple[str, int]
) -> None:
    import pypdfium2

    origin, solution_id = evaluation_portal
    watch = Watch(origin)
    common = {"social.jobs": ("2", "Bilan social 2025 : 4 salariés en CDI"),
              "ecoindex": ("71", "EcoIndex mesuré sur 3 pages")}  # fmt: skip

    camille = person(chromium, watch, origin, "Camille")
    evaluate(camille, origin, solution_id, {
        **common, "economic.value_sharing": ("3", "Statuts coopératifs 2024"),
        "rgesn.1.1": ("yes", "Étude d'utilité publiée en 2024")}, axe=True)  # fmt: skip
    check_axe(camille, origin)

    dominique = person(chromium, watch, origin, "Dominique")
    evaluate(dominique, origin, solution_id, {
        **common, "economic.value_sharing": ("1", "CGU : les données des usagers sont captées"),
        "rgesn.1.1": ("no", "Aucune étude d'utilité trouvée")})  # fmt: skip

    # The radar, one line per evaluator and the mean, with its table; the disagreements.
    radar = dominique.locator("svg.radar")
    assert radar.get_attribute("role") == "img"
    assert "Profil RSO" in radar.get_attribute("aria-label")
    legend = radar.locator("text").all_text_contents()
    assert {"Camille", "Dominique", "Moyenne"} <= set(legend)
    assert dominique.locator("table.radar-table tbody tr").count() == 12
    rows = dominique.locator("section.disagreements tr.disagreement")
    assert rows.count() == 2
    shown = dominique.text_content("section.disagreements")
    assert "Partage de la valeur" in shown and "1.1 Le service numérique" in shown
    assert "Statuts coopératifs 2024" in shown and "données des usagers sont captées" in shown
    check_axe(dominique, origin)
    dominique.locator("section.disagreements").scroll_into_view_if_needed()
    screenshot(dominique, "evaluation-disagreement")
    dominique.locator("svg.radar").scroll_into_view_if_needed()
    screenshot(dominique, "evaluation-radar")

    # The PDF report: first page to PNG, kept; its text names the solution and its scores.
    report = dominique.request.get(f"{origin}/solutions/{solution_id}/report.pdf")
    assert report.ok and report.headers["content-type"] == "application/pdf"
    ARTIFACTS.mkdir(exist_ok=True)
    pdf_path = ARTIFACTS / "evaluation-report.pdf"
    pdf_path.write_bytes(report.body())
    pdf = pypdfium2.PdfDocument(str(pdf_path))
    first = pdf[0]
    first.render(scale=1.5).to_pil().save(ARTIFACTS / "evaluation-report-page-1.png")
    text = " ".join(first.get_textpage().get_text_range().split())
    api = dominique.request.get(f"{origin}/api/solutions/{solution_id}").json()
    fr = Gettext("fr")
    expected = {d: fr.number(v * 100, 0) for d, v in api["csr"]["dimensions"].items()}
    assert NAME in text
    assert "Performance économique Performance sociale Performance environnementale " \
           "Pertinence collective " + " ".join(expected[d] for d in (
               "economic", "social", "environmental", "collective")) in text  # fmt: skip
    assert expected["economic"] == "67"  # (3/3 + 1/3) / 2: the two evaluators' mean
    assert (ARTIFACTS / "evaluation-report-page-1.png").stat().st_size > 10_000

    # On a phone, the pages stay within the screen, and a table wider than it scrolls
    # in its own region instead of being cut (its last columns were out of reach).
    dominique.set_viewport_size({"width": 390, "height": 844})
    for path in (f"/solutions/{solution_id}", f"/solutions/{solution_id}/evaluate", "/solutions",
                 f"/solutions/compare?ids={solution_id}", f"/solutions/{solution_id}/report",
                 f"/partnerships/alliance/{solution_id}"):  # fmt: skip
        dominique.goto(origin + path)
        assert dominique.evaluate("() => document.documentElement.scrollWidth") <= 390, path
        assert dominique.evaluate(CUT_TABLES) == [], path
    screenshot(dominique, "evaluation-grid-phone")
    for page in (camille, dominique):
        page.context.close()
    assert watch.errors == []
    assert watch.outside == []
