"""The facilitator's journey in a real browser, on the Nord built from shipped real rows.

From the home page she reaches the brokers of the Nord (DEP:59) in a sortable table and,
for a white zone of the Nord (a commune more than 10 km from every place, no actor of
the theme acting there), who could cover it: the nearest places, the carriers already
active in the Nord and alliances between worlds, each with its reasons; in six clicks at
most, on a desktop and on a 390x844 phone, each page passing axe-core. Screenshots are
kept in test-artifacts/.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from browser import Watch, axe_violations, live_server, screenshot
from nord import build_nord

from maillage.services.portal.providers import Analysis
from maillage.storage.engine import make_engine
from maillage.web.providers import analysis_providers

VIEWPORTS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}
TOP_BROKER = "Institut délectronique, de microélectronique et de nanotechnologie"  # as published


@pytest.fixture(scope="module")
def nord(
    sqlite_template: Path, data_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """The Nord map served on a free loopback port, with the analysis plugged in."""
    folder = tmp_path_factory.mktemp("nord")
    shutil.copy(sqlite_template, folder / "nord.sqlite")
    engine: sa.Engine = make_engine(f"sqlite:///{folder / 'nord.sqlite'}")
    loaded = build_nord(engine, data_dir, folder)
    assert (loaded["places"], loaded["sites"]) == (94, 52)
    with live_server(engine, analysis_providers(Analysis(wait=1))) as url:
        yield url
    engine.dispose()


class Clicks:
    """Every click of the journey goes through here, to be counted."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, locator: Any) -> None:
        locator.click()
        self.count += 1


@pytest.mark.quality
@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_the_facilitator_reaches_the_brokers_and_a_proposal_for_a_white_zone(
    chromium: Any, nord: str, viewport: str
) -> None:
    watch = Watch(nord)
    context = chromium.new_context(viewport=VIEWPORTS[viewport], locale="fr-FR")
    watch.attach(context)
    page = context.new_page()
    click = Clicks()
    bad: list[str] = []

    page.goto(nord + "/")
    bad += axe_violations(page, nord)
    page.fill("#home-q", "Nord")
    click(page.locator("form[role=search] button[type=submit]").last)
    click(page.get_by_role("link", name="Nord", exact=True).first)
    page.wait_for_url("**/territories/DEP:59")
    bad += axe_violations(page, nord)
    click(page.get_by_role("link", name="Courtiers et zones blanches : qui pourrait agir"))
    page.wait_for_selector("#brokers-part[data-state=ready]", timeout=60_000)

    table = page.locator("#brokers-table")
    assert table.locator("tbody tr").first.locator("td").first.inner_text() == TOP_BROKER
    header = table.locator("th", has=page.get_by_role("button", name="Contrainte"))
    assert header.get_attribute("aria-sort") == "none"
    click(header.get_by_role("button"))
    assert header.get_attribute("aria-sort") == "descending"
    values = table.locator("tbody tr td:nth-child(4)").evaluate_all(
        "cells => cells.map(c => c.dataset.value === '' ? -1 : Number(c.dataset.value))"
    )
    assert values == sorted(values, reverse=True) and values[0] > 0

    zone = page.locator("article.proposal").first
    assert "habitants à" in zone.locator("h3").inner_text()  # a computed need of a commune
    assert zone.locator("h4 + ul li").count() > 0  # the nearest places
    carriers = zone.locator("h4:has-text('Porteurs') + ul li")
    assert "structure" in carriers.first.inner_text()  # with its reason
    alliance = zone.locator("ul.recommendations > li").first
    assert "mondes complémentaires" in alliance.inner_text()
    bad += axe_violations(page, nord)
    assert page.evaluate("document.documentElement.scrollWidth") <= VIEWPORTS[viewport]["width"]
    screenshot(page, f"facilitator-{viewport}")
    alliance.scroll_into_view_if_needed()
    screenshot(page, f"facilitator-{viewport}-proposal")

    assert click.count <= 6
    context.close()
    assert bad == []
    assert watch.errors == []
    assert watch.outside == []
