"""The contribution journey in a real browser (one server, one browser): a contributor
proposes a link between two actors with a document as evidence, a moderator accepts it
from the moderation queue, the link appears on the actor's page and in the network of
the explore view with its author in the history, ``maillage undo --batch`` removes it;
a visitor reports an error without an account. Screenshots go to ``test-artifacts/``;
axe-core checks the new pages.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import browser
import pytest
import sqlalchemy as sa
from browser import Watch, check_axe, live_server, screenshot, wait_ready
from click.testing import CliRunner

from maillage.cli.main import cli
from maillage.services import accounts, actors, links
from maillage.storage.engine import make_engine

PASSWORD = "correct horse battery"
PDF = b"%PDF-1.4\n% convention de partenariat 2025\n"


@pytest.fixture(scope="module")
def contribution_portal(
    sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, sa.Engine, dict[str, int]]]:
    path = tmp_path_factory.mktemp("contribution") / "portal.sqlite"
    shutil.copy(sqlite_template, path)
    engine: sa.Engine = make_engine(f"sqlite:///{path}")
    ids = {
        "atelier": actors.create_actor(db=engine, values={
            "name": "Atelier Zéphyr", "world": "economic", "commune_code": "59512"})["id"],
        "collectif": actors.create_actor(db=engine, values={
            "name": "Collectif Zéphyr", "world": "associative", "commune_code": "59512"})["id"],
    }  # fmt: skip
    for role in ("contributor", "moderator"):
        accounts.create_account(db=engine, email=f"{role}@example.org", password=PASSWORD,
                                role=role, verified=True, name=f"Camille {role}")  # fmt: skip
    with live_server(engine, secret_key="s" * 48) as url:
        yield url, engine, ids
    engine.dispose()


def sign_in(page: Any, origin: str, role: str) -> None:
    browser.sign_in(page, origin, f"{role}@example.org", PASSWORD)


def network_status(page: Any, origin: str, loads: int = 1) -> str:
    page.goto(origin + "/explore?q=Z%C3%A9phyr")
    wait_ready(page, "network", loads=loads)
    return str(page.text_content("#network-status"))


@pytest.mark.quality
def test_a_proposed_link_is_moderated_shown_with_its_author_and_undone(
    chromium: Any, contribution_portal: tuple[str, sa.Engine, dict[str, int]]
) -> None:
    origin, engine, ids = contribution_portal
    watch = Watch(origin)
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="fr-FR")
    watch.attach(context)
    page = context.new_page()
    assert network_status(page, origin) == "2 acteurs et 0 lien"

    # The contributor, from the actor's page.
    sign_in(page, origin, "contributor")
    page.goto(f"{origin}/actors/{ids['atelier']}")
    page.click("text=Proposer un lien")
    page.fill("#v-target_id", str(ids["collectif"]))
    page.select_option("#v-kind", "partnership")
    page.fill("#v-purpose", "Ateliers de réparation partagés")
    page.fill("#f-message", "Convention signée en 2025")
    page.set_input_files(
        "#f-proof-file", files=[{"name": "convention.pdf", "mimeType": "application/pdf",
                                 "buffer": PDF}]
    )  # fmt: skip
    check_axe(page, origin)
    screenshot(page, "contribution-propose-link")
    page.click("text=Envoyer la proposition")
    page.wait_for_selector("text=attend un modérateur")
    assert links.list_links(db=engine, actor_id=ids["atelier"]) == []
    context.clear_cookies()  # signed out: the moderator comes next on this browser

    # The moderator: the queue, the diff, accept.
    sign_in(page, origin, "moderator")
    page.click(".site-moderation a")
    page.wait_for_selector("table.diff")
    assert "Atelier Zéphyr — Collectif Zéphyr" in page.text_content("main")
    assert "Ateliers de réparation partagés" in page.text_content("table.diff")
    assert page.text_content("a[download]") == "convention.pdf"
    check_axe(page, origin)
    screenshot(page, "contribution-moderation-queue")
    page.click("article.proposal h2 a")
    page.click("text=Accepter telle quelle")
    page.wait_for_selector("text=Décision enregistrée")
    batch = re.search(r"undo --batch (\d+)", page.text_content("main") or "")
    assert batch is not None
    screenshot(page, "contribution-accepted")

    # The link on the actor's page, in the network, and its author in the history.
    page.goto(f"{origin}/actors/{ids['atelier']}")
    page.click("table >> text=Collectif Zéphyr")
    page.go_back()
    page.click("table a:has-text('Partenariat')")
    page.click("text=Historique")
    assert page.text_content("td.history-author") == "Camille contributor"
    screenshot(page, "contribution-history")
    assert network_status(page, origin) == "2 acteurs et 1 lien"

    # Undo the batch from the command line: the link is gone from the page and the network.
    undone = CliRunner().invoke(cli, ["undo", "--batch", batch.group(1), "--db", str(engine.url)])
    assert undone.exit_code == 0, undone.output
    page.goto(f"{origin}/actors/{ids['atelier']}")
    assert "Aucun lien n'est encore connu" in (page.text_content("main") or "")
    assert network_status(page, origin) == "2 acteurs et 0 lien"
    assert watch.errors == [] and watch.outside == []
    context.close()


@pytest.mark.quality
def test_a_visitor_reports_an_error(
    chromium: Any, contribution_portal: tuple[str, sa.Engine, dict[str, int]]
) -> None:
    origin, engine, ids = contribution_portal
    watch = Watch(origin)
    context = chromium.new_context(viewport={"width": 390, "height": 844}, locale="fr-FR")
    watch.attach(context)
    page = context.new_page()
    page.goto(f"{origin}/actors/{ids['collectif']}")
    page.click("text=Signaler une erreur")
    page.fill("#f-message", "Le collectif a déménagé à Tourcoing.")
    page.fill("#f-proof-url", "https://example.org/annonce-demenagement")
    check_axe(page, origin)
    page.click("text=Envoyer le signalement")
    page.wait_for_selector("text=Signalement envoyé")
    screenshot(page, "contribution-visitor-report")
    assert page.query_selector(".account-name") is None  # still a visitor
    assert watch.errors == [] and watch.outside == []
    context.close()
