"""Relationship surveys on the portal, on SQLite and PostgreSQL: a facilitator opens a
survey (links e-mailed through a real local SMTP server), respondents answer through
their personal links without an account, the survey page shows the response rate and
the one-sided links, the CSV export neutralises formulas, script payloads stay inert
on every page and e-mail showing them; the API twins; a closed survey refuses."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from fastapi.testclient import TestClient
from markupsafe import escape
from test_accounts import Inbox, csrf, free_port, portal, signed_in

from maillage.services import accounts, actors, tokens
from maillage.services import proposals as proposal_service

PAYLOAD = "<script>alert('x')</script>"


@pytest.fixture
def smtp_server() -> Iterator[tuple[Inbox, int]]:
    inbox, port = Inbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, port
    controller.stop()


@pytest.fixture
def trio(db: sa.Engine) -> list[int]:
    return [
        actors.create_actor(db=db, values={"name": name, "world": "associative", "email": email})[
            "id"
        ]
        for name, email in (
            ("Atelier A", "atelier@example.org"),
            ("Asso B", None),
            ("Café C", None),
        )  # fmt: skip
    ]


def page_csrf(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found is not None
    return found.group(1)


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def open_survey(client: TestClient, ids: list[int], **more: str) -> tuple[int, dict[int, str]]:
    data = {"title": "Partenariats 2025", "actor_ids": ", ".join(map(str, ids)), **more}
    answer = client.post("/surveys", data={**data, "csrf_token": csrf(client)})
    assert answer.status_code == 200 and answer.history[0].status_code == 303, answer.text
    links = dict(re.findall(r'value="(http[^"]+)" data-actor="(\d+)"', answer.text))
    survey_id = int(re.search(r"/surveys/(\d+)", answer.text).group(1))  # type: ignore[union-attr]
    return survey_id, {
        int(actor): path_of(url.replace("&amp;", "&")) for url, actor in links.items()
    }


def declare(client: TestClient, link: str, **data: str) -> Any:
    page = client.get(link)
    assert page.status_code == 200, page.text
    token = re.search(r'name="token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    body = {
        "token": token,
        "kind": "partnership",
        "intensity": "3",
        "csrf_token": page_csrf(page.text),
        **data,
    }
    return client.post("/survey/partners", data=body)


def test_survey_answered_by_two_with_one_link_on_both_sides(
    db: sa.Engine, trio: list[int], smtp_server: tuple[Inbox, int]
) -> None:
    inbox, port = smtp_server
    mail = {"smtp_host": "127.0.0.1", "smtp_port": port, "smtp_security": "none"}
    facilitator = portal(db, **mail)
    signed_in(db, facilitator, "editor")
    survey_id, links = open_survey(facilitator, trio, send="1")
    a, b, c = trio
    assert set(links) == {a, b, c}
    # Nobody has answered yet: French agrees with the number (« 0 acteur … a répondu »).
    assert (
        "Taux de réponse : 0 acteur sur 3 a répondu"
        in facilitator.get(f"/surveys/{survey_id}").text
    )
    # The actor with an address got its personal link by e-mail.
    assert inbox.link("atelier@example.org") == links[a]
    # Two respondents, no account: A declares B and C, B declares A.
    first, second = portal(db), portal(db)
    answer = declare(
        first, links[a], partner_id=str(b), since_year="2019", respondent_name="Camille"
    )
    assert answer.status_code == 200 and "Asso B" in answer.text
    assert declare(first, links[a], partner_id=str(c), kind="funding").status_code == 200
    assert declare(second, links[b], partner_id=str(a), intensity="4").status_code == 200
    page = facilitator.get(f"/surveys/{survey_id}")
    rate = re.search(r'class="survey-rate"[^>]*>(.*?)</p>', page.text, re.S).group(1)  # type: ignore[union-attr]
    assert re.search(r"\b2\b.*\b3\b", rate), rate
    one_side = page.text.split('class="survey-table survey-one-side"')[1].split("</table>")[0]
    assert "Atelier A" in one_side and "Café C" in one_side and "Asso B" not in one_side
    both = page.text.split('class="survey-pairs survey-both"')[1].split("</ul>")[0]
    assert "Atelier A — Asso B" in both
    queue = proposal_service.list_proposals(db=db)
    assert sorted(p["label"] for p in queue) == ["Atelier A — Asso B", "Atelier A — Café C"]
    assert any("deux parties" in (p["message"] or "") for p in queue)
    moderator = portal(db)
    signed_in(db, moderator, "moderator")
    card = moderator.get("/moderation").text
    assert (
        "Par Camille pour Atelier A et Asso B (déclaré dans une enquête, transmis par Editor)"
        in card
    )
    # A wrong or missing link is "not found", never an error page of the server.
    wrong = first.get("/survey?token=enq_nothing")
    assert wrong.status_code == 404 and "Demandez un nouveau lien à la personne" in wrong.text
    assert first.get("/survey").status_code == 404
    # Revoking a link and closing the survey each ask a second click that says what
    # follows (user trial, issue 20); the page says when the survey is closed.
    revoke = page.text.split('<details class="confirm"><summary>Révoquer')[1].split("</details>")[0]
    assert "Le lien envoyé à" in revoke and "cessera aussitôt de fonctionner" in revoke
    assert '>Révoquer le lien<span class="visually-hidden"> — ' in revoke  # names whose link
    close = page.text.split("<summary>Clore l&#39;enquête</summary>")[1].split("</details>")[0]
    assert "aucun lien personnel ne prend plus de réponse" in close
    assert ">La clore maintenant</button>" in close
    # A new link cuts the one already sent: it asks too, and says so.
    reissue = page.text.split('<details class="confirm"><summary>Nouveau lien')[1].split(
        "</details>"
    )[0]
    assert "cesse de fonctionner ; un nouveau le remplace." in reissue
    assert '>Donner le nouveau lien<span class="visually-hidden"> — ' in reissue
    # Café C never answered: its link is revoked; the page says so on its row.
    row = re.search(r'<tr id="respondent-(\d+)"><td>Café C', page.text)
    assert row is not None
    revoking = facilitator.post(f"/surveys/{survey_id}/respondents/{row.group(1)}/revoke",
                                data={"csrf_token": csrf(facilitator)}, follow_redirects=False)  # fmt: skip
    assert revoking.headers["location"].endswith(f"?done=revoked#respondent-{row.group(1)}")
    said = facilitator.get(revoking.headers["location"]).text
    assert '<p class="form-done" role="status">Lien révoqué : il n&#39;ouvre plus' in said
    assert f'<tr id="respondent-{row.group(1)}"><td>Café C' in said and "révoqué" in said
    # Closed: the link shows the answers but refuses changes.
    closing = facilitator.post(f"/surveys/{survey_id}/close", data={"csrf_token": csrf(facilitator)},
                               follow_redirects=False)  # fmt: skip
    assert closing.headers["location"].endswith("?done=closed#survey-state")  # on « Close »
    said = facilitator.get(closing.headers["location"]).text
    assert '<p class="form-done" role="status">Enquête close : ses liens ne prennent plus' in said
    closed = second.get(links[b])
    assert closed.status_code == 200 and 'action="/survey/partners"' not in closed.text
    token = links[b].split("token=")[1]
    late = second.post("/survey/partners", data={
        "token": token, "partner_id": str(c), "kind": "partnership", "intensity": "2",
        "csrf_token": csrf(second)})  # fmt: skip
    assert late.status_code == 409


def test_csv_export_neutralises_formulas_and_payloads_are_inert(
    db: sa.Engine, trio: list[int], smtp_server: tuple[Inbox, int]
) -> None:
    inbox, port = smtp_server
    facilitator = portal(db, smtp_host="127.0.0.1", smtp_port=port, smtp_security="none")
    signed_in(db, facilitator, "editor")
    survey_id, links = open_survey(
        facilitator,
        trio,
        send="1",
    )
    a, b, _c = trio
    respondent = portal(db)
    declare(respondent, links[a], partner_id=str(b), respondent_name=PAYLOAD)
    answer = declare(respondent, links[a], partner_id="", partner_name="=HYPERLINK(\"http://x\")",
                     partner_commune="59350")  # fmt: skip
    assert answer.status_code == 200, answer.text
    export = facilitator.get(f"/surveys/{survey_id}/answers.csv")
    assert export.status_code == 200 and export.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(export.text)))
    assert {r["partner"] for r in rows} == {"Asso B", '\'=HYPERLINK("http://x")'}
    assert {r["respondent_name"] for r in rows} == {PAYLOAD}
    # The payload (the respondent's name, in the evidence) is shown escaped everywhere.
    moderator = portal(db)
    signed_in(db, moderator, "moderator")
    proposal_id = proposal_service.list_proposals(db=db)[0]["id"]
    for client, path in ((respondent, links[a]), (facilitator, f"/surveys/{survey_id}"),
                         (moderator, "/moderation"), (moderator, f"/moderation/{proposal_id}")):  # fmt: skip
        page = client.get(path)
        assert page.status_code == 200, path
        assert "<script>alert" not in page.text and str(escape(PAYLOAD)) in page.text, path
    # E-mails are plain text: a payload in the title is text, never markup.
    signed = portal(db, smtp_host="127.0.0.1", smtp_port=port, smtp_security="none")
    signed_in(db, signed, "admin")
    signed.post("/surveys", data={"title": PAYLOAD, "actor_ids": f"{a},{b}", "send": "1",
                                  "csrf_token": csrf(signed)})  # fmt: skip
    last = [m for m in inbox.messages if m["To"] == "atelier@example.org"][-1]
    assert last.get_content_type() == "text/plain" and PAYLOAD in last.get_content()


def test_api_twins(db: sa.Engine, trio: list[int]) -> None:
    editor = accounts.create_account(db=db, email="ed@example.org", password="correct horse battery",
                                     role="editor", verified=True)  # fmt: skip
    _, secret = tokens.create_token(db=db, user_id=editor.id, name="script", scope="edit")
    api = portal(db)
    bearer = {"Authorization": f"Bearer {secret}"}
    opened = api.post("/api/surveys", json={"title": "API", "actor_ids": trio}, headers=bearer)
    assert opened.status_code == 201, opened.text
    body = opened.json()
    links = {link["actor_id"]: link["token"] for link in body["links"]}
    a, b, _c = trio
    visitor = portal(db)
    assert (
        visitor.get("/api/survey", params={"token": links[a]}).json()["actor"]["name"]
        == "Atelier A"
    )
    declared = visitor.post(
        "/api/survey/partners", json={"token": links[a], "partner_id": b, "kind": "funding", "intensity": 2},
        headers={"X-CSRF-Token": csrf(visitor)},
    )  # fmt: skip
    assert declared.status_code == 200, declared.text
    report = api.get(f"/api/surveys/{body['survey']['id']}", headers=bearer).json()
    assert (report["answered"], report["invited"]) == (1, 3)
    assert [(x["declarer"], x["partner"]) for x in report["one_side"]] == [("Atelier A", "Asso B")]
    rows = api.get(f"/api/surveys/{body['survey']['id']}/answers", headers=bearer).json()
    assert [r["kind"] for r in rows] == ["funding"]
    withdrawn = visitor.post(
        "/api/survey/partners/withdraw", json={"token": links[a], "answer_id": declared.json()["id"]},
        headers={"X-CSRF-Token": csrf(visitor)},
    )  # fmt: skip
    assert withdrawn.status_code == 200 and proposal_service.list_proposals(db=db) == []
    # A contributor's token may not open surveys.
    contributor = accounts.create_account(db=db, email="c@example.org", password="correct horse battery",
                                          verified=True)  # fmt: skip
    _, weak = tokens.create_token(db=db, user_id=contributor.id, name="s", scope="edit")
    refused = api.post("/api/surveys", json={"title": "x", "actor_ids": trio},
                       headers={"Authorization": f"Bearer {weak}"})  # fmt: skip
    assert refused.status_code == 403


def test_forms_answer_by_a_redirect_and_the_links_never_travel_in_a_url(
    db: sa.Engine, trio: list[int]
) -> None:
    """User trial D2 (post/redirect/get): a reload of the page after opening a survey,
    re-issuing a link or declaring a partner sends nothing again, and the language switch
    on that page answers (no 405); the personal links never appear in a URL."""
    facilitator, other = portal(db), portal(db)
    signed_in(db, facilitator, "editor")
    signed_in(db, other, "admin")
    data = {"title": "Partenariats", "actor_ids": ", ".join(map(str, trio))}
    sent = facilitator.post("/surveys", data={**data, "csrf_token": csrf(facilitator)},
                            follow_redirects=False)  # fmt: skip
    assert sent.status_code == 303 and "enq_" not in sent.headers["location"]
    shown = facilitator.get(sent.headers["location"])
    links = re.findall(r'value="(http[^"]+)" data-actor="\d+"', shown.text)
    assert len(links) == 3 and "enq_" not in str(shown.url)
    again = facilitator.get(str(shown.url))  # a reload: the same links, no second survey
    assert re.findall(r'value="(http[^"]+)" data-actor="\d+"', again.text) == links
    assert len(facilitator.get("/api/surveys").json()) == 1
    english = facilitator.get("/surveys?lang=en")
    assert english.status_code == 200 and "Survey opened: Partenariats" in english.text
    assert "enq_" not in other.get("/surveys").text  # another session never sees them
    # Re-issuing a link: shown on the survey's page after the redirect, the old one dead.
    survey_id = facilitator.get("/api/surveys").json()[0]["id"]
    report = facilitator.get(f"/api/surveys/{survey_id}").json()
    respondent_id = report["respondents"][0]["id"]
    path = f"/surveys/{survey_id}/respondents/{respondent_id}/link"
    reissued = facilitator.post(path, data={"csrf_token": csrf(facilitator)},
                                follow_redirects=False)  # fmt: skip
    assert reissued.status_code == 303 and "enq_" not in reissued.headers["location"]
    (new,) = re.findall(r'value="(http[^"]+)" data-actor="\d+"',
                        facilitator.get(reissued.headers["location"]).text)  # fmt: skip
    assert (
        new not in links and portal(db).get(path_of(new.replace("&amp;", "&"))).status_code == 200
    )
    # The respondent: a declaration redirects to their page, which says it was saved.
    respondent = portal(db)
    link = path_of(new.replace("&amp;", "&"))
    page = respondent.get(link)
    token = re.search(r'name="token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    partner = next(a for a in trio if a != report["respondents"][0]["actor_id"])
    body = {"token": token, "partner_id": str(partner), "kind": "partnership", "intensity": "3",
            "csrf_token": page_csrf(page.text)}  # fmt: skip
    declared = respondent.post("/survey/partners", data=body, follow_redirects=False)
    assert declared.status_code == 303
    result = respondent.get(declared.headers["location"])
    assert "Partenaire enregistré" in result.text
    respondent.get(str(result.url))  # a reload
    assert len(facilitator.get(f"/api/surveys/{survey_id}/answers").json()) == 1
    english = respondent.get(f"{result.url}&lang=en")
    assert english.status_code == 200 and "Partner saved" in english.text
