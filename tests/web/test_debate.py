"""The debate on the portal, on SQLite and PostgreSQL: a thread on an actor's page with
replies and stances, follows and notifications read from a real local SMTP server,
reports, hiding with a trace, blocking, the JSON twins, and script payloads that stay
inert on every page and e-mail that shows them."""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa
from fastapi.testclient import TestClient
from test_accounts import PASSWORD, Inbox, csrf, portal, post, smtp  # noqa: F401

from maillage.services import accounts, actors, comments, moderation
from maillage.storage.tables import change

SCRIPT = '<script>alert("x")</script>'
IMG = "<img src=x onerror=alert(2)>"


def member(db: sa.Engine, client: TestClient, name: str, role: str = "contributor") -> int:
    """An account named ``name`` (address ``name@example.org``), signed in on ``client``."""
    address = f"{name.lower()}@example.org"
    user_id = accounts.create_account(
        db=db, email=address, password=PASSWORD, role=role, verified=True, name=name
    ).id
    assert post(client, "/account/signin", email=address, password=PASSWORD).status_code == 303
    return user_id


def actor_named(db: sa.Engine, name: str) -> int:
    values = {"name": name, "world": "associative", "commune_code": "59350"}
    return int(actors.create_actor(db=db, values=values)["id"])


def thread(client: TestClient, actor_id: int, lang: str = "fr") -> str:
    answer = client.get(f"/debate/actor/{actor_id}/thread?lang={lang}")
    assert answer.status_code == 200, answer.text
    return answer.text


def comment_on(client: TestClient, actor_id: int, body: str, **more: str) -> int:
    answer = post(client, f"/debate/actor/{actor_id}/comments", body=body, **more)
    assert answer.status_code == 303, answer.text
    found = re.search(r"#comment-(\d+)$", answer.headers["location"])
    assert found is not None and answer.headers["location"].startswith(f"/actors/{actor_id}")
    return int(found.group(1))


def mails_to(inbox: Inbox, address: str) -> list[Any]:
    return [m for m in inbox.messages if m["To"] == address]


def test_a_thread_with_replies_stances_follows_and_e_mails(
    db: sa.Engine, smtp: tuple[Inbox, int],  # noqa: F811
) -> None:  # fmt: skip
    inbox, port = smtp
    settings = {"smtp_host": "127.0.0.1", "smtp_port": port, "smtp_security": "none"}
    actor_id = actor_named(db, "Centre social Bois-Blancs")
    camille, dom, eve, visitor = (portal(db, **settings) for _ in range(4))
    camille_id = member(db, camille, "Camille")
    member(db, dom, "Dom")
    member(db, eve, "Eve")
    # The actor's page fetches its thread; without JavaScript, a link leads to it.
    page = visitor.get(f"/actors/{actor_id}").text
    assert f'hx-get="/debate/actor/{actor_id}/thread"' in page
    assert f'href="/debate/actor/{actor_id}"' in page
    # Eve follows the actor.
    followed = post(eve, f"/debate/actor/{actor_id}/follow", action="follow")
    assert followed.headers["location"] == f"/actors/{actor_id}#debate"
    assert "Suivi : arrêter" in thread(eve, actor_id)
    exported = eve.get("/account/export").json()["follows"]  # her data: what she follows
    assert [(f["entity"], f["entity_ref"]) for f in exported] == [("actor", str(actor_id))]
    first = comment_on(camille, actor_id, "Ouvert le samedi, voir https://example.org/horaires.",
                       stance="for")  # fmt: skip
    reply = comment_on(dom, actor_id, "Plus depuis 2024.", stance="against",
                       parent_id=str(first))  # fmt: skip
    comment_on(dom, actor_id, "Qui l'anime ?", stance="question")
    shown = thread(visitor, actor_id)
    assert "3 commentaires" in shown
    counts = dict(re.findall(r'data-stance-count="(\w+)">(\d+)<', shown))
    assert counts == {"for": "1", "against": "1", "question": "1"}
    # The reply sits under the comment it answers; the address became a safe link.
    assert (
        shown.index(f'id="comment-{first}"')
        < shown.index('class="comments replies"')
        < (shown.index(f'id="comment-{reply}"'))
    )
    assert ('<a href="https://example.org/horaires" rel="nofollow ugc noopener noreferrer">'
            "https://example.org/horaires</a>.") in shown  # fmt: skip
    assert "Connectez-vous pour commenter" in shown and "<textarea" not in shown
    assert "Sign in to comment" in thread(visitor, actor_id, "en")
    # The JSON twin: the same thread, nested.
    data = visitor.get(f"/api/debate/actor/{actor_id}").json()
    assert data["counts"] == {"total": 3, "for": 1, "against": 1, "question": 1}
    assert data["comments"][0]["replies"][0]["body"] == "Plus depuis 2024."
    # E-mails: Camille is told of Dom's reply; Eve, who follows, of each comment.
    assert len(mails_to(inbox, "camille@example.org")) == 1
    told = mails_to(inbox, "camille@example.org")[0]
    assert told["Subject"] == (
        "[maillage] Réponse à votre commentaire sur Centre social Bois-Blancs"
    )
    text = told.get_content()
    assert "Dom a répondu à votre commentaire" in text and "> Plus depuis 2024." in text
    assert f"http://127.0.0.1:8000/actors/{actor_id}#comment-{reply}" in text
    assert "Dom replied to your comment" in text  # English after French
    assert len(mails_to(inbox, "eve@example.org")) == 3
    assert mails_to(inbox, "dom@example.org") == []
    # Eve's unsubscribe link: a page with a button, then no more e-mails.
    link = re.search(r"http://127\.0\.0\.1:8000(/notifications/unsubscribe\?key=\S+)",
                     mails_to(inbox, "eve@example.org")[0].get_content())  # fmt: skip
    assert link is not None
    key = link.group(1).split("key=")[1]
    mail_reader = portal(db)  # a browser opening the link, signed in or not
    assert "Ne plus recevoir de notifications" in mail_reader.get(link.group(1)).text
    done = post(mail_reader, "/notifications/unsubscribe", key=key)
    assert done.status_code == 200 and "vous ne recevrez plus de notifications" in done.text
    assert 'name="enabled" value="1" checked' not in eve.get("/account").text
    comment_on(camille, actor_id, "Encore une remarque.")
    assert len(mails_to(inbox, "eve@example.org")) == 3
    # Camille corrects her comment within the window; Dom cannot.
    assert post(camille, f"/comments/{first}/edit", body="Ouvert le samedi matin.",
                stance="for").status_code == 303  # fmt: skip
    assert "modifié" in thread(visitor, actor_id)
    refused = post(dom, f"/comments/{first}/edit", body="Fermé.")
    assert refused.status_code == 403 and "Seul son auteur" in refused.text
    # Camille turns notifications off on "my account".
    assert 'name="enabled" value="1" checked' in camille.get("/account").text
    post(camille, "/account/notifications")
    assert 'name="enabled" value="1" checked' not in camille.get("/account").text
    comment_on(dom, actor_id, "Une autre réponse.", parent_id=str(first))
    assert len(mails_to(inbox, "camille@example.org")) == 1
    with db.connect() as conn:
        authors = conn.execute(
            sa.select(change.c.user).where(
                change.c.entity == "comment", change.c.action == "update"
            )
        ).scalars()
        assert list(authors) == [f"user:{camille_id}"]


def test_report_hide_with_a_trace_and_block(db: sa.Engine) -> None:
    actor_id = actor_named(db, "Régie de quartier")
    camille, dom, mod, visitor = (portal(db) for _ in range(4))
    camille_id = member(db, camille, "Camille")
    member(db, dom, "Dom")
    member(db, mod, "Mod", "moderator")
    spam = comment_on(camille, actor_id, "Achetez nos formations miracle !")
    # each comment carries its own link (its date), to copy or to send
    assert f'<a href="#comment-{spam}" class="comment-link"' in thread(dom, actor_id)
    assert post(dom, f"/comments/{spam}/report", reason="spam").status_code == 303
    assert "Vous avez signalé ce commentaire." in thread(dom, actor_id)
    assert [r["reason"] for r in dom.get("/account/export").json()["comment_reports"]] == ["spam"]
    again = post(dom, f"/comments/{spam}/report", reason="offensive")
    assert again.status_code == 409 and "déjà signalé" in again.text
    # Only moderators see the queue.
    assert dom.get("/moderation/comments").status_code == 403
    queue = mod.get("/moderation/comments").text
    assert "1 commentaire signalé" in queue and "Indésirable (spam)" in queue
    assert "Achetez nos formations miracle" in queue
    assert 'href="/moderation/comments"' in mod.get("/").text  # the menu shows the queue
    assert post(dom, f"/comments/{spam}/hide", reason="x").status_code == 403
    hidden = post(mod, f"/comments/{spam}/hide", reason="Publicité déguisée", back="queue")
    assert hidden.headers["location"] == "/moderation/comments"
    assert "Aucun commentaire n&#39;attend la modération." in mod.get("/moderation/comments").text
    # Everyone sees the trace in its place; only moderators the text.
    for reader in (visitor, dom):
        seen = thread(reader, actor_id)
        assert "Masqué par la modération : Publicité déguisée" in seen
        assert "formations miracle" not in seen
    assert "Hidden by the moderators: Publicité déguisée" in thread(visitor, actor_id, "en")
    # Who hid it: moderators only, in the API as on the page (user trial, issue 20).
    for reader in (visitor, dom):
        (shown,) = reader.get(f"/api/debate/actor/{actor_id}").json()["comments"]
        assert (shown["body"], shown["hidden_by"], shown["hidden_by_name"]) == ("", None, None)
        assert shown["hidden_reason"] == "Publicité déguisée"
        assert "Masqué par Mod" not in thread(reader, actor_id)
    as_mod = thread(mod, actor_id)
    assert "formations miracle" in as_mod and "Masqué par Mod le" in as_mod
    (seen_by_mod,) = mod.get(f"/api/debate/actor/{actor_id}").json()["comments"]
    assert seen_by_mod["body"].startswith("Achetez") and seen_by_mod["hidden_by_name"] == "Mod"
    # Blocking: Camille can no longer comment, through a form or the API, nor is she
    # offered to correct her comment of a minute ago (user trial, issue 20).
    comment_on(camille, actor_id, "Une remarque utile.")
    assert "<summary>Corriger</summary>" in thread(camille, actor_id)
    blocked = post(mod, f"/moderation/accounts/{camille_id}/block", reason="Spam répété")
    assert blocked.status_code == 303
    assert "bloqué le" in mod.get("/moderation/comments").text
    refused = post(camille, f"/debate/actor/{actor_id}/comments", body="Encore moi")
    assert refused.status_code == 403 and "bloqué par la modération" in refused.text
    api = camille.post(f"/api/debate/actor/{actor_id}/comments", json={"body": "x"},
                       headers={"X-CSRF-Token": csrf(camille)})  # fmt: skip
    assert api.status_code == 403 and api.json()["error"] == "AccountBlocked"
    assert "Votre compte est bloqué" in thread(camille, actor_id)
    assert "Corriger" not in thread(camille, actor_id)
    assert camille.get("/account").status_code == 200  # the account itself stays hers
    assert post(mod, f"/moderation/accounts/{camille_id}/unblock").status_code == 303
    comment_on(camille, actor_id, "Je ne recommencerai pas.")
    # Shown again by a moderator: the trace of the hiding stays in the history.
    post(mod, f"/comments/{spam}/unhide")
    assert "formations miracle" in thread(visitor, actor_id)
    assert moderation.report_queue(db=db) == []


def test_script_payloads_are_inert_on_every_page_and_e_mail(
    db: sa.Engine, smtp: tuple[Inbox, int],  # noqa: F811
) -> None:  # fmt: skip
    inbox, port = smtp
    settings = {"smtp_host": "127.0.0.1", "smtp_port": port, "smtp_security": "none"}
    actor_id = actor_named(db, f"Asso {SCRIPT}")
    writer, follower, mod = (portal(db, **settings) for _ in range(3))
    member(db, writer, "W")
    post(writer, "/account/profile", email="w@example.org", name=f"Zoé {IMG}")  # a new name
    member(db, follower, "F")
    member(db, mod, "M", "moderator")
    post(follower, f"/debate/actor/{actor_id}/follow", action="follow")
    body = f'{SCRIPT} {IMG} javascript:alert(3) https://example.org/"><script>alert(4)</script>'
    first = comment_on(writer, actor_id, body, stance="question")
    comment_on(follower, actor_id, f"Re {SCRIPT}", parent_id=str(first))
    post(follower, f"/comments/{first}/report", reason="other", details=f"détails {IMG}")
    shown = {
        "thread": thread(mod, actor_id),
        "debate page": mod.get(f"/debate/actor/{actor_id}").text,
        "queue": mod.get("/moderation/comments").text,
        "actor page": mod.get(f"/actors/{actor_id}").text,
    }
    post(mod, f"/comments/{first}/hide", reason=f"Motif {SCRIPT}")
    shown["hidden, visitor"] = thread(portal(db), actor_id)
    shown["hidden, moderator"] = thread(mod, actor_id)
    for where, html_text in shown.items():
        assert "<script>alert" not in html_text, where
        assert "<img src=x" not in html_text, where
        assert 'href="javascript:' not in html_text, where
    assert "&lt;script&gt;alert" in shown["thread"] and "Zoé &lt;img" in shown["thread"]
    assert 'href="https://example.org/"' in shown["thread"]  # the quote ends the address
    assert "détails &lt;img" in shown["queue"]
    assert "Motif &lt;script&gt;" in shown["hidden, visitor"]
    # The JSON carries the text as data (a client escapes it: JSON is not HTML).
    api = mod.get(f"/api/debate/actor/{actor_id}")
    assert api.headers["content-type"].startswith("application/json")
    # E-mails are plain text only: no HTML part for a payload to run in, one-line subjects.
    assert inbox.messages
    for message in inbox.messages:
        assert not message.is_multipart() and message.get_content_type() == "text/plain"
        assert "\n" not in message["Subject"]
    reply_mail = mails_to(inbox, "w@example.org")[0]
    assert "Re <script>" in reply_mail.get_content()  # quoted as text, inert
    assert comments.thread(db=db, entity="actor", ref=str(actor_id)).counts["question"] == 0
