"""The first kilometre in a real browser (issue 22 item 6): a volunteer of an association
in Solre-le-Château, a rural commune of the Avesnois, starts from the home page, answers
with the keyboard (world, role, postcode, theme, level) and ends with resources, places
within reach and allies, each with why it was chosen; the address holds the answers (the
back button and a shared link give the same page); consenting keeps the needs and says
so. axe-core checks the questions and the results."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from browser import Watch, check_axe, live_server, screenshot

import first_km as corner
from maillage.storage.engine import make_engine
from maillage.storage.tables import first_km_answer

DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture(scope="module")
def avesnois_portal(
    sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, sa.Engine]]:
    path = tmp_path_factory.mktemp("first-km") / "portal.sqlite"
    shutil.copy(sqlite_template, path)
    engine: sa.Engine = make_engine(f"sqlite:///{path}")
    corner.build(engine, today=dt.date.today())
    with live_server(engine, secret_key="s" * 48) as url:
        yield url, engine
    engine.dispose()


@pytest.mark.quality
def test_an_association_in_a_rural_commune_finds_resources_places_and_allies(
    chromium: Any, avesnois_portal: tuple[str, sa.Engine]
) -> None:
    origin, engine = avesnois_portal
    watch = Watch(origin)
    context = chromium.new_context(viewport=DESKTOP, locale="fr-FR")
    watch.attach(context)
    page = context.new_page()
    page.goto(origin + "/")
    page.click("text=Commencer le premier kilomètre")
    page.wait_for_url(origin + "/first-kilometre")
    check_axe(page, origin)

    # The questions, answered with the keyboard only.
    page.focus("#fk-world")
    page.keyboard.press("ArrowDown")  # Économique
    page.keyboard.press("ArrowDown")  # Associatif / social
    assert page.input_value("#fk-world") == "associative"
    page.keyboard.press("Tab")
    for _ in range(3):  # Dirigeant·e…, Salarié·e…, Bénévole
        page.keyboard.press("ArrowDown")
    assert page.input_value("#fk-role") == "volunteer"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "fk-where"
    page.keyboard.type("59740")
    page.focus(f"#fk-theme-{corner.THEME}")
    page.keyboard.press("Space")
    page.focus("#fk-level-1")
    page.keyboard.press("Space")
    page.focus("form.first-km-form button[type=submit]")
    page.keyboard.press("Enter")
    page.wait_for_selector("#fk-results-title")
    results_url = page.url
    assert "where=59740" in results_url and f"theme={corner.THEME}" in results_url

    # Resources, places within reach and allies, each with its reason.
    assert page.text_content("#fk-results-title") == "Pour vous, près de Solre-le-Château"
    resources = page.locator("#fk-resources + ul li")
    assert "Guide de l'inclusion numérique en Avesnois" in resources.first.text_content()
    assert (
        "Pourquoi : Sur « Inclusion numérique » ; concerne Nord" in resources.first.text_content()
    )
    places = page.locator("#fk-places + ul li")
    assert "France Services Solre-le-Château" in places.first.text_content()
    assert "Pourquoi : À 0,6 km de Solre-le-Château" in places.first.text_content()
    # allies: not the France Services already offered as a place within reach
    allies = page.locator("#fk-allies + ul li").all_text_contents()
    assert [a.split("\n")[0].split(" (")[0] for a in allies] == [
        "Imprimerie Sambre Avenir", "Laboratoire des usages numériques",
    ]  # fmt: skip
    assert "actif sur « Inclusion numérique », à Maubeuge" in allies[0]
    webinars = page.locator("#fk-webinars + ul li").all_text_contents()
    assert "l'aidant numérique en milieu rural" in webinars[0]
    # the other communes of the postcode are offered
    assert page.locator("ul.readings li").count() == 13
    screenshot(page, "first-km-results")
    check_axe(page, origin)

    # Consent, then back to the same results (post/redirect/get).
    page.check("#fk-consent")
    page.click("text=Conserver mes besoins")
    page.wait_for_selector("#kept + p[role=status]")
    assert "Merci" in page.text_content("#kept + p[role=status]")
    with engine.connect() as conn:
        stored = [dict(r._mapping) for r in conn.execute(sa.select(first_km_answer))]
    assert [(r["territory_code"], r["world"], r["themes"], r["maturity"]) for r in stored] == [
        ("COM:59572", "associative", [corner.THEME], 1)
    ]
    page.go_back()
    page.wait_for_url(results_url)
    assert page.text_content("#fk-results-title") == "Pour vous, près de Solre-le-Château"
    assert watch.errors == [] and watch.outside == []
    context.close()
