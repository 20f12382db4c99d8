"""The citizen's journey in a real browser, by keyboard alone: from the home page,
the places nearest to postcode 59000 with their hours and phone, then one place's page;
and "around me" with the browser's position. On a desktop and on a 390x844 phone
viewport, every key press counted, screenshots kept under ``test-artifacts/``, axe-core
on every page, no console error and no request to any other host."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from browser import Watch, check_axe, live_server, screenshot
from citizen import add_places
from demo import build

from maillage.storage.engine import make_engine

VIEWPORTS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}
MAX_KEY_PRESSES = 30  # issue 19: the citizen reaches the places with at most 30 key presses
ROUBAIX = {"latitude": 50.6904, "longitude": 3.1816}


@pytest.fixture(scope="module")
def citizen_portal(
    sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, dict[str, int]]]:
    """The demo map and the places around Lille, served on a free loopback port."""
    path = tmp_path_factory.mktemp("citizen") / "portal.sqlite"
    shutil.copy(sqlite_template, path)
    engine: sa.Engine = make_engine(f"sqlite:///{path}")
    build(engine)
    places = add_places(engine)
    with live_server(engine) as url:
        yield url, places
    engine.dispose()


class Keyboard:
    """The page's keyboard, counting every key pressed."""

    def __init__(self, page: Any) -> None:
        self.page, self.presses = page, 0

    def press(self, key: str, times: int = 1) -> None:
        for _ in range(times):
            self.page.keyboard.press(key)
            self.presses += 1

    def type(self, text: str) -> None:
        self.page.keyboard.type(text)
        self.presses += len(text)

    def focused(self) -> dict[str, str]:
        return dict(
            self.page.evaluate(
                """() => { const e = document.activeElement;
                   return {id: e.id || "", text: (e.textContent || "").trim(), tag: e.tagName}; }"""
            )
        )


@pytest.fixture(params=list(VIEWPORTS))
def visit(
    request: pytest.FixtureRequest, chromium: Any, citizen_portal: tuple[str, dict[str, int]]
) -> Iterator[tuple[str, Any, str]]:
    """A fresh French page on the viewport, allowed to read a position at Roubaix;
    after the test, no console error and no outside request."""
    origin, _ = citizen_portal
    watch = Watch(origin)
    context = chromium.new_context(
        viewport=VIEWPORTS[request.param],
        locale="fr-FR",
        permissions=["geolocation"],
        geolocation=ROUBAIX,
    )
    watch.attach(context)
    yield origin, context.new_page(), request.param
    context.close()
    assert watch.errors == []
    assert watch.outside == []


@pytest.mark.quality
def test_by_keyboard_alone_from_home_to_the_nearest_places_with_hours_and_phone(
    visit: tuple[str, Any, str],
) -> None:
    origin, page, viewport = visit
    page.goto(origin + "/")
    check_axe(page, origin)
    keys = Keyboard(page)
    keys.press("Tab")
    assert keys.focused()["text"] == "Aller au contenu"
    keys.press("Enter")  # the skip link: the next Tab is the first control of the page
    keys.press("Tab")
    assert keys.focused()["id"] == "near-q"
    keys.type("59000")
    keys.press("Enter")
    page.wait_for_url("**/places?near=59000")
    assert page.text_content("h1") == "Lieux près de Lille"
    first = page.locator("ol.places > li").first
    assert "Espace numérique Wazemmes" in first.inner_text()
    assert "lundi – vendredi\u00a0: 09:00–12:00, 14:00–17:30" in first.inner_text()
    assert first.locator("a[href='tel:+33320112233']").inner_text() == "03 20 11 22 33"
    assert "0,4 km" in first.inner_text()
    check_axe(page, origin)
    screenshot(page, f"citizen-places-{viewport}")
    keys.press("Tab")
    keys.press("Enter")
    keys.press("Tab")  # the search field, its button, "around me", then the first place
    assert keys.focused()["id"] == "near-q"
    keys.press("Tab", 3)
    assert keys.focused()["text"] == "Espace numérique Wazemmes"
    keys.press("Enter")
    page.wait_for_selector("#visit-title")
    visit_block = page.locator("section[aria-labelledby=visit-title]").inner_text()
    assert "03 20 11 22 33" in visit_block and "bonjour@wazemmes-numerique.example" in visit_block
    assert "samedi\u00a0: 10:00–12:00" in visit_block
    check_axe(page, origin)
    screenshot(page, f"citizen-place-{viewport}")
    assert keys.presses <= MAX_KEY_PRESSES, keys.presses
    assert keys.presses == 16  # Tab, Enter, Tab, 59000, Enter; Tab, Enter, Tab x4, Enter


@pytest.mark.quality
def test_around_me_uses_the_browser_s_position_after_consent(visit: tuple[str, Any, str]) -> None:
    origin, page, viewport = visit
    page.goto(origin + "/places")
    around = page.get_by_role("button", name="Autour de moi")
    around.focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**/places?lat=50.690&lon=3.182")  # rounded to about 100 m
    assert page.text_content("h1") == "Lieux près de votre position"
    assert "France Services Roubaix" in page.locator("ol.places > li").first.inner_text()
    check_axe(page, origin)
    page.goto(origin + "/search?q=69001")
    text = page.locator("#search-results").inner_text()
    assert "Lyon 1er Arrondissement (code postal 69001)" in text
    assert "Affoux (code INSEE 69001)" in text
    check_axe(page, origin)
    screenshot(page, f"citizen-readings-{viewport}")
