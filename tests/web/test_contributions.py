"""Contributions on the portal, on SQLite and PostgreSQL: proposing with evidence,
reporting without an account, the moderation queue and its diff, conflicts, decisions
e-mailed through a real local SMTP server, votes, the API twins with token scopes, and
a script payload inert on every page that shows it."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from fastapi.testclient import TestClient
from markupsafe import escape
from test_accounts import Inbox, csrf, free_port, portal, signed_in

from maillage.services import accounts, actors, history, links, tokens
from maillage.services import proposals as service

PAYLOAD = "<script>alert('x')</script>"
PDF = b"%PDF-1.4\n% convention de partenariat\n"


@pytest.fixture
def smtp_server() -> Iterator[tuple[Inbox, int]]:
    """A real SMTP server on loopback, in a thread (as in test_accounts)."""
    inbox, port = Inbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, port
    controller.stop()


@pytest.fixture
def pair(db: sa.Engine) -> tuple[int, int]:
    a = actors.create_actor(db=db, values={"name": "Atelier A", "world": "economic"})
    b = actors.create_actor(db=db, values={"name": "Asso B", "world": "associative"})
    return a["id"], b["id"]


def send(client: TestClient, path: str, data: dict[str, str], **files: Any) -> Any:
    """Post a form of ``path`` (multipart when files are given) with its CSRF token."""
    body = {**data, "csrf_token": csrf(client)}
    return client.post(path, data=body, files=files or None, follow_redirects=False)


def followed(client: TestClient, answer: Any) -> Any:
    """The page a form's answer redirects to (303, post/redirect/get: a reload of that page
    sends nothing again)."""
    assert answer.status_code == 303, answer.text
    return client.get(answer.headers["location"])


def inert(page: str) -> bool:
    """The payload is shown escaped, never as a tag."""
    return "<script>alert" not in page and str(escape(PAYLOAD)) in page


def test_link_proposed_with_evidence_accepted_and_the_proposer_told(
    db: sa.Engine, pair: tuple[int, int], smtp_server: tuple[Inbox, int]
) -> None:
    inbox, port = smtp_server
    mail = {"smtp_host": "127.0.0.1", "smtp_port": port, "smtp_security": "none"}
    contributor, moderator = portal(db, **mail), portal(db, **mail)
    signed_in(db, contributor, "contributor")
    signed_in(db, moderator, "moderator")
    actor_page = contributor.get(f"/actors/{pair[0]}")
    assert "Proposer un lien" in actor_page.text and "Signaler une erreur" in actor_page.text
    form = contributor.get(f"/contribute/link?source_id={pair[0]}")
    assert f'name="v_source_id" type="number" step="any" value="{pair[0]}"' in form.text
    values = {"v_source_id": str(pair[0]), "v_target_id": str(pair[1]), "v_kind": "partnership",
              "v_purpose": PAYLOAD, "message": PAYLOAD}  # fmt: skip
    missing = send(contributor, "/contribute/link", values)
    assert missing.status_code == 422  # the field is named by its label, not its code
    alert = re.search(r'<p class="form-error" role="alert">(.*?)</p>', missing.text, re.S)
    assert alert is not None and html.unescape(alert.group(1)) == (
        "Preuve (adresse) : donnez une preuve : une adresse web ou un document"
    )
    sent = followed(contributor, send(contributor, "/contribute/link", values,
                                      proof_file=("convention.pdf", PDF)))  # fmt: skip
    assert sent.status_code == 200 and "proposition n° 1 attend" in sent.text
    assert contributor.get(str(sent.url)).text.count("proposition n° 1 attend") == 1  # a reload
    assert len(service.list_proposals(db=db, status=None)) == 1  # sent nothing twice
    assert links.list_links(db=db, actor_id=pair[0]) == []
    # The moderator: a link in the header, the queue with the diff, the document.
    queue = moderator.get("/moderation")
    assert 'href="/moderation">Modération</a>' in queue.text
    assert "Nouveau lien" in queue.text and "Atelier A — Asso B" in queue.text
    assert "Par Contributor" in queue.text and inert(queue.text)
    document = moderator.get("/moderation/1/document")
    assert document.content == PDF and document.headers["content-type"] == "application/pdf"
    assert document.headers["content-disposition"] == 'attachment; filename="convention.pdf"'
    assert "sandbox" in document.headers["content-security-policy"]
    assert contributor.get("/moderation/1/document").status_code == 403
    accepted = followed(moderator, send(moderator, "/moderation/1/accept",
                                        {"reason": f"Merci {PAYLOAD}"}))  # fmt: skip
    assert accepted.status_code == 200 and "prévenu par courriel" in accepted.text
    english = moderator.get(f"{accepted.url}&lang=en")  # the language switch: no 405
    assert english.status_code == 200 and "The proposer was told by e-mail" in english.text
    batch_id = re.search(r"undo --batch (\d+)", accepted.text)
    assert batch_id is not None and inert(accepted.text)
    (link,) = links.list_links(db=db, actor_id=pair[0])
    assert link["purpose"] == PAYLOAD
    # The e-mail: plain text, the moderator's note as text.
    message = inbox.messages[-1]
    assert message["To"] == "contributor@example.org"
    assert message["Subject"] == "Votre proposition n° 1 sur maillage a été acceptée"
    assert message.get_content_type() == "text/plain" and not message.is_multipart()
    body = message.get_content()
    assert "acceptée par Moderator" in body and f"Raison : Merci {PAYLOAD}" in body
    assert inbox.link("contributor@example.org") == "/account/proposals?"
    mine = contributor.get("/account/proposals")
    assert "acceptée" in mine.text and inert(mine.text)
    assert "Mes propositions" in contributor.get("/account").text
    # The link with its author in the history.
    link_page = contributor.get(f"/links/{link['id']}")
    assert inert(link_page.text)
    trail = contributor.get(f"/links/{link['id']}/history")
    assert '<td class="history-author">Contributor</td>' in trail.text
    (created,) = _history_rows(contributor, f"/links/{link['id']}/history")
    assert "Création" in created and "proposition n° 1" in created  # no internal code
    assert "proposition n° 1, acceptée par Moderator" in created  # the moderator signs too
    assert "create" not in created and "proposal:1" not in created


def test_a_visitor_reports_an_error_and_a_document_is_never_served_as_a_page(
    db: sa.Engine, pair: tuple[int, int]
) -> None:
    visitor, moderator = portal(db), portal(db)
    signed_in(db, moderator, "moderator")
    assert visitor.get(f"/actors/{pair[0]}/report").status_code == 200
    nothing = send(visitor, f"/actors/{pair[0]}/report", {"message": "Fermé"})
    assert nothing.status_code == 422 and "une preuve" in html.unescape(nothing.text)
    page = b"<html><body><script>alert(1)</script></body></html>"
    sent = followed(visitor, send(visitor, f"/actors/{pair[0]}/report",
                                  {"message": "L'atelier a fermé"},
                                  proof_file=("preuve.html", page, "text/html")))  # fmt: skip
    assert sent.status_code == 200 and "Mes propositions" not in sent.text
    thanks = html.unescape(sent.text)  # no e-mail promised to a visitor without an address
    assert "signalement n° 1" in thanks and "vous sera envoyée par courriel" not in thanks
    served = moderator.get("/moderation/1/document")
    assert served.headers["content-type"].startswith("text/plain")
    assert served.headers["content-disposition"] == 'attachment; filename="preuve.txt"'
    queue = moderator.get("/moderation")
    assert "Signalement d&#39;erreur" in queue.text and "Par un visiteur" in queue.text
    # A visitor proposes nothing: sent to sign in.
    assert visitor.get(f"/actors/{pair[0]}/propose", follow_redirects=False).status_code == 303
    assert send(visitor, f"/actors/{pair[0]}/propose", {"v_name": "X"}).status_code == 401


def test_a_conflict_is_shown_and_amending_resolves_it(db: sa.Engine, pair: tuple[int, int]) -> None:
    contributor, moderator = portal(db), portal(db)
    signed_in(db, contributor, "contributor")
    signed_in(db, moderator, "moderator")
    form = contributor.get(f"/actors/{pair[0]}/propose")
    assert 'value="Atelier A"' in form.text
    sent = send(contributor, f"/actors/{pair[0]}/propose",
                {"v_name": "Atelier A", "v_phone": "03 20 00 00 00", "proof_url": "atelier-a.fr"})  # fmt: skip
    assert followed(contributor, sent).status_code == 200
    actors.update_actor(db=db, actor_id=pair[0], changes={"phone": "03 20 99 99 99"})
    shown = moderator.get("/moderation/1")
    assert "Conflit : cette fiche a changé depuis la proposition" in html.unescape(shown.text)
    assert "03 20 99 99 99" in shown.text and "03 20 00 00 00" in shown.text
    refused = send(moderator, "/moderation/1/accept", {"seen_version": ""})
    assert refused.status_code == 409
    assert actors.get_actor(db=db, actor_id=pair[0])["phone"] == "03 20 99 99 99"
    amended = send(moderator, "/moderation/1/accept",
                   {"amend": "1", "seen_version": "2", "v_name": "Atelier A",
                    "v_phone": "03 20 00 00 01"})  # fmt: skip
    decided = followed(moderator, amended)
    assert decided.status_code == 200
    assert actors.get_actor(db=db, actor_id=pair[0])["phone"] == "03 20 00 00 01"
    # The page still shows what was proposed beside what was accepted.
    row = re.search(r'<th scope="row">Téléphone</th>(.*?)</tr>', decided.text, re.S)
    assert row is not None and "Valeur acceptée (amendée par le modérateur)" in decided.text
    assert re.search(r"<del>03 20 00 00 00</del>.*<ins>03 20 00 00 01</ins>", row.group(1), re.S)
    assert "03 20 00 00 00" in contributor.get("/account/proposals").text  # the proposer too
    trail = _history_rows(moderator, f"/actors/{pair[0]}/history")
    assert "Téléphone" in trail[-1] and "proposition n° 1" in trail[-1]
    refuse = send(moderator, "/moderation/1/refuse", {"reason": "déjà décidée"})
    assert refuse.status_code == 409


def test_votes_decide_when_the_portal_sets_a_threshold(
    db: sa.Engine, pair: tuple[int, int], smtp_server: tuple[Inbox, int]
) -> None:
    inbox, port = smtp_server
    settings = {"smtp_host": "127.0.0.1", "smtp_port": port, "smtp_security": "none",
                "vote_threshold": 1}  # fmt: skip
    author, voter = portal(db, **settings), portal(db, **settings)
    signed_in(db, author, "contributor")
    signed_in(db, voter, "contributor", "voter@example.org")
    send(author, "/contribute/link", {"v_source_id": str(pair[0]), "v_target_id": str(pair[1]),
         "v_kind": "funding", "proof_url": "https://example.org/arrete"})  # fmt: skip
    listed = voter.get("/proposals")
    assert "Voter pour" in listed.text and "seuil 1" in listed.text
    own = send(author, "/proposals/1/vote", {"vote": "for"})
    assert own.status_code == 409 and "sa propre proposition" in own.text
    voted = send(voter, "/proposals/1/vote", {"vote": "for"})
    assert voted.status_code == 303
    (funding,) = links.list_links(db=db, actor_id=pair[0])
    assert funding["kind"] == "funding"
    (made,) = _history_rows(author, f"/links/{funding['id']}/history")
    assert "acceptée par les votes de la communauté" in made
    assert "les votes de la communauté" in inbox.messages[-1].get_content()


def test_api_twins_follow_the_token_scopes(db: sa.Engine, pair: tuple[int, int]) -> None:
    client = portal(db)
    ids = {
        role: accounts.create_account(db=db, email=f"{role}@example.org", password=None,
                                      role=role, verified=True).id
        for role in ("contributor", "moderator")
    }  # fmt: skip
    bearer = {
        name: {"Authorization": f"Bearer {tokens.create_token(db=db, user_id=ids[role], name=name, scope=scope)[1]}"}  # noqa: E501
        for name, role, scope in [("read", "contributor", "read"), ("write", "contributor", "contribute"),
                                  ("mod_read", "moderator", "contribute"), ("mod", "moderator", "moderate")]  # noqa: E501
    }  # fmt: skip
    body = {"action": "update", "entity": "actor", "entity_id": pair[1],
            "values": {"name": PAYLOAD}, "evidence_url": "https://example.org/statuts"}  # fmt: skip
    assert client.post("/api/proposals", json=body, headers=bearer["read"]).status_code == 403
    made = client.post("/api/proposals", json=body, headers=bearer["write"])
    assert made.status_code == 201, made.text
    assert made.json()["diff"][0] == {
        "field": "name", "base": "Asso B", "current": "Asso B", "proposed": PAYLOAD, "moved": False,
    }  # fmt: skip
    bad = client.post("/api/proposals", json={**body, "values": {"siret": "123"}},
                      headers=bearer["write"])  # fmt: skip
    assert bad.status_code == 422 and bad.json()["field"] == "siret"
    assert client.get("/api/proposals", headers=bearer["mod_read"]).status_code == 403
    queue = client.get("/api/proposals", headers=bearer["mod"]).json()
    assert [p["id"] for p in queue["items"]] == [made.json()["id"]] and queue["total"] == 1
    mine = client.get("/api/proposals/mine", headers=bearer["write"]).json()
    assert [p["status"] for p in mine["items"]] == ["pending"]
    decided = client.post(f"/api/proposals/{made.json()['id']}/accept", json={},
                          headers=bearer["mod"])  # fmt: skip
    assert decided.status_code == 200 and decided.json()["status"] == "accepted"
    assert decided.json()["notified"] is False  # no mail server here
    trail = client.get(f"/api/actors/{pair[1]}/history").json()
    assert trail[-1]["user"] == f"user:{ids['contributor']}"
    assert trail[-1]["source"] == f"proposal:{made.json()['id']}"
    report = {"entity": "link", "entity_id": 999, "message": "?", "evidence_url": "example.org"}
    assert client.post("/api/reports", json=report, headers=bearer["read"]).status_code == 404


def test_a_script_payload_is_inert_on_every_page_that_shows_it(
    db: sa.Engine, pair: tuple[int, int]
) -> None:
    contributor, moderator = portal(db, vote_threshold=3), portal(db, vote_threshold=3)
    user_id = signed_in(db, contributor, "contributor")
    signed_in(db, moderator, "moderator")
    accounts.update_profile(db=db, user_id=user_id, name=PAYLOAD, email="contributor@example.org",
                            password="")  # fmt: skip
    sent = send(contributor, "/contribute/actor",
                {"v_name": PAYLOAD, "v_world": "associative", "v_description": PAYLOAD,
                 "message": PAYLOAD, "proof_url": "https://example.org/?q=<script>"})  # fmt: skip
    assert followed(contributor, sent).status_code == 200
    refused = send(contributor, "/contribute/actor", {"v_name": PAYLOAD, "v_email": PAYLOAD,
                   "proof_url": "https://example.org"})  # fmt: skip
    assert refused.status_code == 422 and inert(refused.text)
    pages = [moderator.get("/moderation"), moderator.get("/moderation/1"),
             contributor.get("/proposals"), contributor.get("/account/proposals")]  # fmt: skip
    accepted = followed(moderator, send(moderator, "/moderation/1/accept", {"reason": PAYLOAD}))
    actor_id = service.get_proposal(db=db, proposal_id=1)["result_id"]
    pages += [accepted, moderator.get(f"/actors/{actor_id}"),
              moderator.get(f"/actors/{actor_id}/history"), contributor.get("/account/proposals"),
              moderator.get("/moderation?status=accepted"), moderator.get("/search?q=alert")]  # fmt: skip
    for page in pages:
        assert page.status_code in (200, 422), page.url
        assert "<script>alert" not in page.text, page.url
    assert all(inert(p.text) for p in pages[:6]), [p.url for p in pages if not inert(p.text)]


def _history_rows(client: TestClient, path: str) -> list[str]:
    """The rows of a history page, as text (one per change)."""
    page = client.get(path)
    assert page.status_code == 200, page.text
    body = page.text.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", row))).strip()
            for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)]  # fmt: skip


def test_an_undone_link_keeps_its_id_and_its_own_history(
    db: sa.Engine, pair: tuple[int, int]
) -> None:
    """User trial D1: the link created after an undone one gets a new number, and each
    history page shows that link's changes only (SQLite reused the id before 0010)."""
    first = links.create_link(db=db, values={"source_id": pair[0], "target_id": pair[1],
                                             "kind": "partnership"})  # fmt: skip
    (created,) = history.entity_history(db=db, entity="link", entity_id=first["id"])
    history.undo_change(db=db, change_id=created["id"])
    second = links.create_link(db=db, values={"source_id": pair[1], "target_id": pair[0],
                                              "kind": "funding"})  # fmt: skip
    assert second["id"] != first["id"]
    visitor = portal(db)
    undone = _history_rows(visitor, f"/links/{first['id']}/history")
    assert len(undone) == 2 and "Création" in undone[0] and "Annulation" in undone[1]
    assert "Type" in undone[1] and "De l'acteur" in undone[1]  # labels, never internal codes
    assert not re.search(r"created at|\bid\b|_", undone[1]), undone[1]
    assert "ligne de commande" in undone[0]
    assert visitor.get(f"/links/{first['id']}").status_code == 404  # gone, not replaced
    (only,) = _history_rows(visitor, f"/links/{second['id']}/history")
    assert "Création" in only


def test_the_other_actor_of_a_link_is_found_by_its_name_without_script(
    db: sa.Engine, pair: tuple[int, int]
) -> None:
    """Proposing a link no longer asks for a number one cannot know: a plain search form
    (GET, no JavaScript) finds the other actor by name; choosing it fills the form."""
    contributor = portal(db)
    signed_in(db, contributor, "contributor")
    form = contributor.get(f"/contribute/link?source_id={pair[0]}")
    assert 'role="search"' in form.text and "Trouver l'autre acteur par son nom" in html.unescape(
        form.text
    )
    found = contributor.get(f"/contribute/link?source_id={pair[0]}&q=asso")
    choices = re.findall(r'<a href="([^"]+)">Choisir ([^<]+)</a>', found.text)
    assert [name for _url, name in choices] == ["Asso B"]  # never the actor itself
    assert "1 acteur trouvé" in found.text and "1 acteurs" not in found.text  # user trial
    actors.create_actor(db=db, values={"name": "Atelier C", "world": "economic"})
    several = contributor.get(f"/contribute/link?source_id={pair[1]}&q=atelier")
    assert "2 acteurs trouvés" in several.text
    chosen = contributor.get(html.unescape(choices[0][0]))
    assert f'name="v_target_id" type="number" step="any" value="{pair[1]}"' in chosen.text
    assert "Asso B" in chosen.text and "Atelier A" in chosen.text  # both ends named


def test_amending_a_new_link_keeps_its_evidence_and_the_form_can_change_it(
    db: sa.Engine, pair: tuple[int, int]
) -> None:
    """User trial (issue 20): "Amender, puis accepter" wrote the link without its evidence
    (the amend form had no evidence field); the proposed one is kept, and editable."""
    contributor, moderator = portal(db), portal(db)
    signed_in(db, contributor, "contributor")
    signed_in(db, moderator, "moderator")
    evidence = "https://example.org/convention-2025"
    for source, target in (pair, pair[::-1]):
        ends = {"v_source_id": str(source), "v_target_id": str(target), "v_kind": "partnership",
                "proof_url": evidence}  # fmt: skip
        assert followed(contributor, send(contributor, "/contribute/link", ends)).status_code == 200
    form = moderator.get("/moderation/1")
    assert 'name="v_evidence_url" type="url" value="https://example.org/convention-2025"' in (
        form.text
    )
    kept = {"amend": "1", "v_source_id": str(pair[0]), "v_target_id": str(pair[1]),
            "v_kind": "partnership", "v_purpose": "Ateliers partagés"}  # fmt: skip
    decided = followed(moderator, send(moderator, "/moderation/1/accept", kept))
    (link,) = links.list_links(db=db, actor_id=pair[1])
    assert (link["purpose"], link["evidence_url"]) == ("Ateliers partagés", evidence)
    row = re.search(r'<th scope="row">Adresse de la preuve</th>(.*?)</tr>', decided.text, re.S)
    assert row is not None and row.group(1).count(evidence) == 2  # proposed and accepted
    assert evidence in moderator.get(f"/links/{link['id']}").text
    changed = {"amend": "1", "v_source_id": str(pair[1]), "v_target_id": str(pair[0]),
               "v_kind": "funding", "v_evidence_url": "https://example.org/arrete"}  # fmt: skip
    followed(moderator, send(moderator, "/moderation/2/accept", changed))
    funding = [x for x in links.list_links(db=db, actor_id=pair[1]) if x["kind"] == "funding"]
    assert [x["evidence_url"] for x in funding] == ["https://example.org/arrete"]


def test_a_link_already_on_the_map_is_never_proposed_nor_accepted_twice(
    db: sa.Engine, pair: tuple[int, int]
) -> None:
    """User trial (issue 20): proposing a link that exists went to the queue, "Valeur
    actuelle —", and accepting it made a second copy. Now the proposer is pointed at the
    existing link, and a copy proposed before it was accepted is shown and refused."""
    contributor, moderator = portal(db), portal(db)
    signed_in(db, contributor, "contributor")
    signed_in(db, moderator, "moderator")
    proof = {"v_kind": "partnership", "v_purpose": "Ateliers", "proof_url": "example.org/c"}
    there = {"v_source_id": str(pair[0]), "v_target_id": str(pair[1]), **proof}
    back = {"v_source_id": str(pair[1]), "v_target_id": str(pair[0]), **proof}
    for values in (there, back):  # both wait before either is decided
        assert followed(contributor, send(contributor, "/contribute/link", values)).is_success
    followed(moderator, send(moderator, "/moderation/1/accept", {}))
    (link,) = links.list_links(db=db, actor_id=pair[0])
    # A partnership has no direction: the other way round is the same link.
    again = send(contributor, "/contribute/link", back)
    text = html.unescape(again.text)
    assert again.status_code == 409 and f"ce lien existe déjà (lien n° {link['id']})" in text
    assert f'href="/links/{link["id"]}"' in text and f"/links/{link['id']}/propose" in text
    assert len(service.list_proposals(db=db, status=None)) == 2  # nothing queued
    shown = moderator.get("/moderation/2")
    assert "Ce lien existe déjà" in html.unescape(shown.text)
    row = re.search(r'<th scope="row">Objet</th>\s*<td>(.*?)</td>', shown.text, re.S)
    assert row is not None and row.group(1) == "Ateliers"  # the current value: not "—"
    refused = send(moderator, "/moderation/2/accept", {})
    assert refused.status_code == 409 and "ce lien existe déjà" in html.unescape(refused.text)
    assert len(links.list_links(db=db, actor_id=pair[0])) == 1
    # A directed kind the other way round, or another year's funding, is another link.
    funding = {"v_kind": "funding", "v_start_date": "2024-01-01", "proof_url": "example.org/f"}
    for ends, start in ((there, "2024-01-01"), (back, "2024-01-01"), (there, "2025-01-01")):
        values = {**funding, "v_source_id": ends["v_source_id"],
                  "v_target_id": ends["v_target_id"], "v_start_date": start}  # fmt: skip
        made = followed(contributor, send(contributor, "/contribute/link", values))
        proposal_id = re.search(r"proposition n° (\d+)", made.text)
        assert proposal_id is not None, made.text
        followed(moderator, send(moderator, f"/moderation/{proposal_id[1]}/accept", {}))
    assert len(links.list_links(db=db, actor_id=pair[0])) == 4


def test_a_moderator_undoes_an_accepted_proposal_from_its_page(
    db: sa.Engine, pair: tuple[int, int]
) -> None:
    """User trial (issue 20): the page only said « maillage undo --batch N »; a button
    now undoes it, and the proposal then reads « annulée » with no dead link."""
    contributor, moderator = portal(db), portal(db)
    signed_in(db, contributor, "contributor")
    signed_in(db, moderator, "moderator")
    values = {"v_source_id": str(pair[0]), "v_target_id": str(pair[1]), "v_kind": "funding",
              "proof_url": "https://example.org/arrete"}  # fmt: skip
    followed(contributor, send(contributor, "/contribute/link", values))
    accepted = followed(moderator, send(moderator, "/moderation/1/accept", {}))
    (link,) = links.list_links(db=db, actor_id=pair[0])
    assert 'action="/moderation/1/undo"' in accepted.text
    assert send(contributor, "/moderation/1/undo", {}).status_code == 403
    undone = followed(moderator, send(moderator, "/moderation/1/undo", {}))
    text = html.unescape(undone.text)
    assert undone.status_code == 200 and "Annulée : la fiche est revenue" in text
    assert 'status-undone">annulée</span>' in text and "puis annulée" in text
    assert "/undo" not in text and f'href="/links/{link["id"]}"' not in text  # no 404 offered
    assert links.list_links(db=db, actor_id=pair[0]) == []
    assert "annulée" in contributor.get("/account/proposals").text  # the proposer sees it
    trail = _history_rows(moderator, f"/links/{link['id']}/history")
    assert "Annulation" in trail[-1] and "Moderator" in trail[-1]
    again = send(moderator, "/moderation/1/undo", {})
    assert again.status_code == 409 and "déjà annulée" in html.unescape(again.text)
