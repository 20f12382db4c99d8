"""The relationship survey journey in a real browser (one server, one browser): a
facilitator opens a survey for three actors; two respondents answer through their
personal links, without an account (one by the survey's list, one by the keyboard-driven
search field); a link declared by both sides and one declared by one side only; the
survey page shows the response rate (2 of 3) and the one-sided link; the declared links
wait in the moderation queue. Screenshots go to ``test-artifacts/``; axe-core checks the
respondent's page on desktop and at 390x844.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import browser
import pytest
import sqlalchemy as sa
from browser import Watch, check_axe, live_server, screenshot

from maillage.services import accounts, actors
from maillage.services import proposals as proposal_service
from maillage.storage.engine import make_engine

PASSWORD = "correct horse battery"
NAMES = ("Atelier Boréal", "Collectif Boréal", "Ressourcerie Boréale")


@pytest.fixture(scope="module")
def survey_portal(
    sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, sa.Engine, list[int]]]:
    path = tmp_path_factory.mktemp("survey") / "portal.sqlite"
    shutil.copy(sqlite_template, path)
    engine: sa.Engine = make_engine(f"sqlite:///{path}")
    ids = [
        actors.create_actor(db=engine, values={"name": name, "world": world,
                                               "commune_code": "59512"})["id"]
        for name, world in zip(NAMES, ("economic", "associative", "associative"), strict=True)
    ]  # fmt: skip
    accounts.create_account(db=engine, email="editor@example.org", password=PASSWORD,
                            role="editor", verified=True, name="Dominique Animatrice")  # fmt: skip
    with live_server(engine, secret_key="s" * 48) as url:
        yield url, engine, ids
    engine.dispose()


def sign_in(page: Any, origin: str) -> None:
    browser.sign_in(page, origin, "editor@example.org", PASSWORD)


def answer(page: Any, origin: str, link: str, *, axe: bool) -> None:
    page.goto(origin + link)
    page.wait_for_selector("form.survey-declare")
    if axe:
        check_axe(page, origin)


@pytest.mark.quality
def test_a_survey_answered_by_two_gives_a_link_on_both_sides_and_one_on_one(
    chromium: Any, survey_portal: tuple[str, sa.Engine, list[int]]
) -> None:
    origin, engine, ids = survey_portal
    watch = Watch(origin)
    desk = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="fr-FR")
    watch.attach(desk)
    page = desk.new_page()

    # The facilitator opens the survey for three actors, listed by number.
    sign_in(page, origin)
    page.click(".site-moderation >> text=Enquêtes")
    page.fill("#s-title", "Partenariats du Boréal 2025")
    page.fill("#s-actors", ", ".join(map(str, ids)))
    page.click("text=Ouvrir l'enquête")
    page.wait_for_selector("input.survey-link")
    screenshot(page, "survey-opened")
    links = {
        int(el.get_attribute("data-actor")): urlsplit(el.input_value())
        for el in page.query_selector_all("input.survey-link")
    }
    links_of = {k: f"{u.path}?{u.query}" for k, u in links.items()}
    assert set(links_of) == set(ids)
    page.click("text=Suivre les réponses")
    survey_page = page.url
    assert re.search(r"/surveys/\d+$", survey_page), survey_page

    # First respondent (no account, desktop): the other side from the survey's list,
    # a second partner through the search field, by keyboard.
    first = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="fr-FR")
    watch.attach(first)
    respondent = first.new_page()
    answer(respondent, origin, links_of[ids[0]], axe=True)
    respondent.check(f"#r-p{ids[1]}")
    respondent.select_option("#r-kind", "partnership")
    respondent.check("#r-i3")
    respondent.fill("#r-since", "2019")
    respondent.fill("#r-who", "Camille")
    respondent.click("text=Enregistrer ce partenaire")
    respondent.wait_for_selector("text=Partenaire enregistré")
    respondent.focus("#r-q")
    respondent.keyboard.type("Ressourcerie")
    respondent.keyboard.press("Enter")
    respondent.wait_for_selector("text=/\\d+ acteurs? trouvés?/")  # 1 acteur trouvé
    respondent.focus(f"#r-p{ids[2]}")
    respondent.keyboard.press("Space")
    assert respondent.is_checked(f"#r-p{ids[2]}")
    respondent.select_option("#r-kind", "funding")
    respondent.click("text=Enregistrer ce partenaire")
    respondent.wait_for_selector("text=Partenaire enregistré")
    assert "Ressourcerie Boréale" in (respondent.text_content("table.survey-answers") or "")
    screenshot(respondent, "survey-respondent-desktop")
    first.close()

    # Second respondent (no account, phone size): declares the first back.
    second = chromium.new_context(viewport={"width": 390, "height": 844}, locale="fr-FR")
    watch.attach(second)
    phone = second.new_page()
    answer(phone, origin, links_of[ids[1]], axe=False)
    phone.check(f"#r-p{ids[0]}")
    phone.check("#r-i4")
    phone.click("text=Enregistrer ce partenaire")
    phone.wait_for_selector("text=Partenaire enregistré")
    assert "déclaré par les deux parties" in (phone.text_content("table.survey-answers") or "")
    check_axe(phone, origin)
    screenshot(phone, "survey-respondent-390")
    second.close()

    # The survey page: 2 of 3 answered, the one-sided link named for follow-up.
    page.goto(survey_page)
    assert "2 acteurs sur 3" in (page.text_content(".survey-rate") or "")
    assert "Atelier Boréal — Collectif Boréal" in (page.text_content(".survey-both") or "")
    one_side = page.text_content("table.survey-one-side") or ""
    assert "Ressourcerie Boréale" in one_side and "Collectif" not in one_side
    screenshot(page, "survey-page")

    # The declared links wait in the moderation queue, like any proposal.
    page.goto(origin + "/moderation")
    main = page.text_content("main") or ""
    assert "Atelier Boréal — Collectif Boréal" in main
    assert "Atelier Boréal — Ressourcerie Boréale" in main
    assert "Déclaré par les deux parties" in main
    screenshot(page, "survey-moderation-queue")
    assert len(proposal_service.list_proposals(db=engine)) == 2
    assert watch.errors == [] and watch.outside == []
    desk.close()
