"""The debate in a real browser: on an association's page, Camille comments in favour,
Dom answers against; Camille reports Dom's answer as offensive; a moderator finds it in
the queue and hides it with a reason; everyone then reads the trace (« masqué par la
modération : … ») in its place, and the counts by stance. One server, one browser, a
context per person; screenshots go to ``test-artifacts/``; axe-core checks the thread
and the moderation queue.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from browser import Watch, check_axe, live_server, screenshot, signed_in_page

from maillage.services import accounts, actors
from maillage.storage.engine import make_engine

PASSWORD = "correct horse battery"
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture(scope="module")
def debate_portal(
    sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, int]]:
    path = tmp_path_factory.mktemp("debate") / "portal.sqlite"
    shutil.copy(sqlite_template, path)
    engine: sa.Engine = make_engine(f"sqlite:///{path}")
    values = {"name": "Centre social Bois-Blancs", "world": "associative", "commune_code": "59350"}
    actor_id = int(actors.create_actor(db=engine, values=values)["id"])
    for name, role in (("Camille", "contributor"), ("Dom", "contributor"), ("Mod", "moderator")):
        accounts.create_account(db=engine, email=f"{name.lower()}@example.org", password=PASSWORD,
                                name=name, role=role, verified=True)  # fmt: skip
    with live_server(engine, secret_key="s" * 48) as url:
        yield url, actor_id
    engine.dispose()


def person(browser: Any, watch: Watch, origin: str, name: str) -> Any:
    """A browser context of its own for ``name``, signed in; its page."""
    return signed_in_page(browser, watch, origin, f"{name.lower()}@example.org", PASSWORD, DESKTOP)


def open_thread(page: Any, origin: str, actor_id: int) -> None:
    page.goto(f"{origin}/actors/{actor_id}")
    page.wait_for_selector("#debate .stance-counts")  # the thread came in (htmx)


@pytest.mark.quality
def test_comment_reply_report_and_hide_with_a_trace(
    chromium: Any, debate_portal: tuple[str, int]
) -> None:
    origin, actor_id = debate_portal
    watch = Watch(origin)

    camille = person(chromium, watch, origin, "Camille")
    open_thread(camille, origin, actor_id)
    camille.fill("#comment-body", "Ce centre anime un atelier numérique chaque samedi.")
    camille.check("input[name=stance][value=for]")
    camille.click("form.comment-form button[type=submit]")
    camille.wait_for_selector("#debate article.comment")
    assert "#comment-" in camille.url
    link = camille.url  # the address a notification e-mail gives for this comment

    dom = person(chromium, watch, origin, "Dom")
    open_thread(dom, origin, actor_id)
    first = dom.locator("#debate article.comment").first
    first.locator("summary", has_text="Répondre").click()
    first.locator("textarea").fill("Faux : l'atelier a fermé, et vous le savez, bande d'idiots.")
    first.locator("select[name=stance]").select_option("against")
    first.locator("button", has_text="Envoyer la réponse").click()
    dom.wait_for_selector("#debate ol.replies article.comment")
    # The reply sits under the comment; the stances are counted.
    dom.evaluate("() => document.querySelector('#debate').scrollIntoView()")
    screenshot(dom, "debate-thread")
    counts = {s: dom.text_content(f"[data-stance-count={s}]") for s in ("for", "against")}
    assert counts == {"for": "1", "against": "1"}
    assert dom.locator("#debate ol.replies .stance-against").text_content() == "Contre"

    # Camille reports Dom's answer as offensive.
    open_thread(camille, origin, actor_id)
    answer = camille.locator("#debate ol.replies article.comment").first
    assert "Dom" in answer.locator(".comment-meta").text_content()
    answer.locator("summary", has_text="Signaler").click()
    answer.locator("select[name=reason]").select_option("offensive")
    answer.locator("input[name=details]").fill("Insulte envers les bénévoles")
    screenshot(camille, "debate-report")
    answer.locator("button", has_text="Envoyer le signalement").click()
    camille.wait_for_selector(
        "#debate .comment-actions:has-text('Vous avez signalé ce commentaire.')"
    )
    check_axe(camille, origin)

    # The moderator finds it in the queue and hides it with a reason.
    mod = person(chromium, watch, origin, "Mod")
    mod.click("text=Commentaires signalés")
    mod.wait_for_selector("article.report-item")
    item = mod.locator("article.report-item").first
    assert "Injurieux ou offensant" in item.text_content()
    assert "Insulte envers les bénévoles" in item.text_content()
    check_axe(mod, origin)
    screenshot(mod, "debate-moderation-queue")
    item.locator("input[name=reason]").first.fill("Propos injurieux envers des bénévoles")
    item.locator("button", has_text="Masquer ce commentaire").click()
    mod.wait_for_selector("text=Aucun commentaire n'attend la modération.")

    # Everyone reads the trace in its place; the text is gone for them.
    visitor = chromium.new_context(viewport=DESKTOP, locale="fr-FR")
    watch.attach(visitor)
    page = visitor.new_page()
    open_thread(page, origin, actor_id)
    trace = page.locator("#debate ol.replies .hidden-trace")
    assert trace.text_content() == (
        "Masqué par la modération : Propos injurieux envers des bénévoles"
    )
    assert "bande d'idiots" not in page.text_content("#debate")
    # A hidden comment no longer counts: one for, none against.
    assert page.text_content("[data-stance-count=for]") == "1"
    assert page.text_content("[data-stance-count=against]") == "0"
    page.locator("#debate ol.replies").scroll_into_view_if_needed()
    screenshot(page, "debate-hidden-trace")
    # A link to a comment (a notification e-mail) reaches it on a phone, although the
    # thread comes after the page: in view, with the focus on it.
    phone = chromium.new_context(viewport={"width": 390, "height": 844}, locale="fr-FR")
    watch.attach(phone)
    reader = phone.new_page()
    reader.goto(link)
    anchor = link.split("#")[1]
    reader.wait_for_selector(f"#{anchor}:focus")
    top = reader.evaluate(f"() => document.getElementById('{anchor}').getBoundingClientRect().top")
    assert 0 <= top < 844 / 2 and reader.evaluate("() => window.scrollY") > 0
    for context in (camille.context, dom.context, mod.context, visitor, phone):
        context.close()
    assert watch.errors == []
    assert watch.outside == []
