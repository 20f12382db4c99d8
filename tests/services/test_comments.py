"""The debate services on SQLite and PostgreSQL: threads with stances, the edit window,
reports, hiding with a trace, blocking accounts, follows and who is told of what."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from builders import file_needs, make_actor, make_link
from maillage.model.errors import Conflict, InvalidInput, NotFound
from maillage.services import accounts, actors, comments, links, moderation, notifications, portal
from maillage.services.comments import CommentRefused
from maillage.storage.tables import change

PASSWORD = "correct horse battery"


def person(db: sa.Engine, name: str, role: str = "contributor") -> int:
    return accounts.create_account(
        db=db, email=f"{name.lower()}@example.org", password=PASSWORD, name=name, role=role,
        verified=True,
    ).id  # fmt: skip


def two_actors(db: sa.Engine) -> tuple[int, int, int]:
    a = actors.create_actor(db=db, values=make_actor(name="Centre social Bois-Blancs"))["id"]
    b = actors.create_actor(db=db, values=make_actor(name="Régie de quartier"))["id"]
    link = links.create_link(db=db, values=make_link(a, b))["id"]
    return a, b, link


def history(db: sa.Engine, entity: str) -> list[tuple[str, str]]:
    with db.connect() as conn:
        rows = conn.execute(
            sa.select(change.c.action, change.c.user)
            .where(change.c.entity == entity)
            .order_by(change.c.id)
        )
        return [(r.action, r.user) for r in rows]


def test_a_thread_with_replies_and_stances(db: sa.Engine) -> None:
    actor_id, _, link_id = two_actors(db)
    camille, dom = person(db, "Camille"), person(db, "Dom")
    ref = str(link_id)
    first = comments.add_comment(db=db, user_id=camille, entity="link", ref=ref,
                                 body="  Ce partenariat existe depuis 2019.\r\n", stance="for")  # fmt: skip
    reply = comments.add_comment(db=db, user_id=dom, entity="link", ref=ref,
                                 body="Il a pris fin en 2023.", stance="against", parent_id=first.id)  # fmt: skip
    comments.add_comment(db=db, user_id=dom, entity="link", ref=ref, body="Qui le finance ?",
                         stance="question")  # fmt: skip
    found = comments.thread(db=db, entity="link", ref=ref)
    assert found.subject.title == "Centre social Bois-Blancs — Régie de quartier"
    assert first.body == "Ce partenariat existe depuis 2019." and first.author == "Camille"
    assert [c.id for c in found.children[None]] == [first.id, found.comments[2].id]
    assert [c.id for c in found.children[first.id]] == [reply.id]
    assert found.counts == {"total": 3, "for": 1, "against": 1, "question": 1}
    assert found.tree()[0]["replies"][0]["body"] == "Il a pris fin en 2023."
    # Another subject has its own thread; an answer must stay in its parent's thread.
    assert comments.thread(db=db, entity="actor", ref=str(actor_id)).comments == []
    with pytest.raises(InvalidInput, match="parent_id"):
        comments.add_comment(db=db, user_id=dom, entity="actor", ref=str(actor_id), body="x",
                             parent_id=first.id)  # fmt: skip
    assert history(db, "comment") == [("create", f"user:{camille}"), ("create", f"user:{dom}"),
                                       ("create", f"user:{dom}")]  # fmt: skip


def test_subjects_lengths_and_stances_are_checked(db: sa.Engine) -> None:
    actor_id, _, _ = two_actors(db)
    file_needs(db, ("COM:59350", "emploi-insertion", 2))
    camille = person(db, "Camille")
    for entity, ref in (("territory", "DEP:59"), ("need", "1"), ("actor", str(actor_id))):
        comments.add_comment(db=db, user_id=camille, entity=entity, ref=ref, body="Bien vu")
    assert comments.get_subject(db=db, entity="territory", ref="DEP:59").title == "Nord"
    with pytest.raises(NotFound):
        comments.add_comment(db=db, user_id=camille, entity="actor", ref="999", body="x")
    with pytest.raises(NotFound):
        comments.add_comment(db=db, user_id=camille, entity="territory", ref="DEP:00", body="x")
    with pytest.raises(InvalidInput, match="entity"):
        comments.add_comment(db=db, user_id=camille, entity="user", ref="1", body="x")
    with pytest.raises(InvalidInput, match="body"):
        comments.add_comment(db=db, user_id=camille, entity="actor", ref=str(actor_id), body=" \n ")
    with pytest.raises(InvalidInput, match="body"):
        comments.add_comment(db=db, user_id=camille, entity="actor", ref=str(actor_id),
                             body="x" * (comments.MAX_BODY + 1))  # fmt: skip
    with pytest.raises(InvalidInput, match="stance"):
        comments.add_comment(db=db, user_id=camille, entity="actor", ref=str(actor_id),
                             body="x", stance="maybe")  # fmt: skip


def test_only_the_author_corrects_within_the_window(db: sa.Engine) -> None:
    actor_id, _, _ = two_actors(db)
    camille, dom = person(db, "Camille"), person(db, "Dom")
    written = comments.add_comment(db=db, user_id=camille, entity="actor", ref=str(actor_id),
                                   body="Ouvert le lundi")  # fmt: skip
    soon = written.created_at + dt.timedelta(minutes=5)
    edited = comments.edit_comment(db=db, comment_id=written.id, user_id=camille,
                                   body="Ouvert le mardi", now=soon)  # fmt: skip
    assert edited.body == "Ouvert le mardi" and edited.edited_at == soon
    with pytest.raises(CommentRefused, match="auteur"):
        comments.edit_comment(db=db, comment_id=written.id, user_id=dom, body="x", now=soon)
    late = written.created_at + comments.EDIT_WINDOW + dt.timedelta(seconds=1)
    with pytest.raises(CommentRefused, match="15 minutes"):
        comments.edit_comment(db=db, comment_id=written.id, user_id=camille, body="x", now=late)
    assert not edited.editable_by(camille, late) and edited.editable_by(camille, soon)
    assert comments.get_comment(db=db, comment_id=written.id).body == "Ouvert le mardi"


def test_reports_hiding_with_a_trace_and_the_queue(db: sa.Engine) -> None:
    actor_id, _, _ = two_actors(db)
    camille, dom, eve = person(db, "Camille"), person(db, "Dom"), person(db, "Eve")
    mod = person(db, "Mod", "moderator")
    ref = str(actor_id)
    spam = comments.add_comment(db=db, user_id=camille, entity="actor", ref=ref,
                                body="Achetez https://spam.example")  # fmt: skip
    other = comments.add_comment(db=db, user_id=dom, entity="actor", ref=ref, body="Bof")
    moderation.report_comment(db=db, comment_id=spam.id, user_id=dom, reason="spam")
    moderation.report_comment(db=db, comment_id=spam.id, user_id=eve, reason="offensive")
    moderation.report_comment(db=db, comment_id=other.id, user_id=eve, reason="off_topic")
    with pytest.raises(Conflict, match="déjà signalé"):
        moderation.report_comment(db=db, comment_id=spam.id, user_id=dom, reason="other",
                                  details="encore")  # fmt: skip
    with pytest.raises(InvalidInput, match="details"):
        moderation.report_comment(db=db, comment_id=other.id, user_id=camille, reason="other")
    with pytest.raises(InvalidInput, match="reason"):
        moderation.report_comment(db=db, comment_id=other.id, user_id=camille, reason="ugly")
    queue = moderation.report_queue(db=db)
    assert [(i.comment.id, len(i.reports)) for i in queue] == [(spam.id, 2), (other.id, 1)]
    assert moderation.reported_by(db=db, user_id=eve, comment_ids=[spam.id, other.id]) == {
        spam.id, other.id,
    }  # fmt: skip
    with pytest.raises(InvalidInput, match="reason"):
        moderation.hide_comment(db=db, comment_id=spam.id, by=mod, reason="  ")
    moderation.hide_comment(db=db, comment_id=spam.id, by=mod, reason="Publicité")
    seen = comments.thread(db=db, entity="actor", ref=ref).comments[0]
    assert seen.hidden and seen.body == "" and seen.hidden_reason == "Publicité"
    assert seen.hidden_by is None and seen.hidden_by_name is None  # who: moderators only
    by_mod = comments.thread(db=db, entity="actor", ref=ref, moderator=True).comments[0]
    assert by_mod.hidden_by_name == "Mod" and by_mod.hidden_at is not None
    assert comments.get_comment(db=db, comment_id=spam.id, moderator=True).body.startswith(
        "Achetez"
    )
    assert [i.comment.id for i in moderation.report_queue(db=db)] == [other.id]
    assert moderation.dismiss_reports(db=db, comment_id=other.id, by=mod) == 1
    assert moderation.report_queue(db=db) == []
    shown = moderation.unhide_comment(db=db, comment_id=spam.id, by=mod)
    assert not shown.hidden
    assert [a for a, _ in history(db, "comment")] == ["create", "create", "hide", "unhide"]
    assert history(db, "comment_report").count(("update", f"user:{mod}")) == 3


def test_a_blocked_account_can_no_longer_comment(db: sa.Engine) -> None:
    actor_id, _, _ = two_actors(db)
    camille, mod = person(db, "Camille"), person(db, "Mod", "moderator")
    admin = person(db, "Ada", "admin")
    written = comments.add_comment(db=db, user_id=camille, entity="actor", ref=str(actor_id),
                                   body="Premier")  # fmt: skip
    moderation.block_account(db=db, user_id=camille, by=mod, reason="Insultes répétées")
    assert accounts.get_account(db=db, user_id=camille).blocked_at is not None
    with pytest.raises(CommentRefused, match="bloqué"):
        comments.add_comment(db=db, user_id=camille, entity="actor", ref=str(actor_id), body="x")
    with pytest.raises(CommentRefused, match="bloqué"):
        comments.edit_comment(db=db, comment_id=written.id, user_id=camille, body="x")
    [blocked] = moderation.blocked_accounts(db=db)
    assert (blocked.user_id, blocked.blocked_by, blocked.reason) == (camille, mod,
                                                                    "Insultes répétées")  # fmt: skip
    # A moderator blocks no one of their rank or above, nor themselves.
    for target in (admin, mod):
        with pytest.raises(CommentRefused, match="rôle supérieur"):
            moderation.block_account(db=db, user_id=target, by=mod, reason="x")
    moderation.unblock_account(db=db, user_id=camille, by=admin)
    comments.add_comment(db=db, user_id=camille, entity="actor", ref=str(actor_id), body="Retour")
    blocks = [(a, u) for a, u in history(db, "user_account") if a in ("block", "unblock")]
    assert blocks == [("block", f"user:{mod}"), ("unblock", f"user:{admin}")]


def test_who_is_told_of_a_comment(db: sa.Engine) -> None:
    actor_id, _, _ = two_actors(db)
    camille, dom, eve = person(db, "Camille"), person(db, "Dom"), person(db, "Eve")
    fay = person(db, "Fay")
    ref = str(actor_id)
    for follower in (eve, camille, fay):
        assert notifications.set_following(db=db, user_id=follower, entity="actor", ref=ref,
                                           on=True)  # fmt: skip
    assert not notifications.set_following(db=db, user_id=eve, entity="actor", ref=ref, on=True)
    notifications.set_enabled(db=db, user_id=fay, on=False)
    first = comments.add_comment(db=db, user_id=camille, entity="actor", ref=ref, body="Q ?")
    # Camille wrote it: told nothing; Eve follows; Fay turned notifications off.
    assert [(r.user_id, r.why) for r in notifications.recipients(db=db, item=first)] == [
        (eve, "follow")
    ]
    reply = comments.add_comment(db=db, user_id=dom, entity="actor", ref=ref, body="R",
                                 parent_id=first.id)  # fmt: skip
    told = notifications.recipients(db=db, item=reply)
    assert [(r.user_id, r.why) for r in told] == [(camille, "reply"), (eve, "follow")]
    # The unsubscribe key of a message turns that person's notifications off.
    assert notifications.unsubscribe(db=db, key=told[1].key)
    assert not notifications.enabled(db=db, user_id=eve)
    assert not notifications.unsubscribe(db=db, key="not-a-key")
    assert [r.user_id for r in notifications.recipients(db=db, item=reply)] == [camille]
    notifications.set_following(db=db, user_id=eve, entity="actor", ref=ref, on=False)
    assert not notifications.is_following(db=db, user_id=eve, entity="actor", ref=ref)
    assert [a for a, _ in history(db, "follow")] == ["create", "create", "create", "delete"]


def test_the_debate_leaves_the_map_s_cached_answers_in_place(db: sa.Engine) -> None:
    """Comments, follows and accounts are audited but change nothing the map shows: the
    data version the portal caches its pages and analysis under stays; a write to the
    map moves it."""
    actor_id, other, _ = two_actors(db)
    camille = person(db, "Camille")
    before = portal.data_version(db=db)
    comments.add_comment(db=db, user_id=camille, entity="actor", ref=str(actor_id),
                         body="Ils accueillent aussi le samedi.", stance="question")  # fmt: skip
    notifications.set_following(db=db, user_id=camille, entity="actor", ref=str(actor_id), on=True)
    assert history(db, "comment") and portal.data_version(db=db) == before
    actors.update_actor(db=db, actor_id=other, changes={"name": "Régie de quartier Lille"})
    assert portal.data_version(db=db) > before
