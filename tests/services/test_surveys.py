"""Relationship surveys on both engines: personal links (hashed, revocable), declared
partners, one proposal per pair (declared by both sides: one proposal saying so), a
withdrawn declaration refusing its proposal, the response rate and the one-sided links,
a closed survey refusing answers, every write audited."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from builders import make_actor
from maillage.model.errors import Conflict, InvalidInput, NotFound
from maillage.services import accounts, actors, links
from maillage.services import proposals as proposal_service
from maillage.services import surveys as service
from maillage.storage.tables import change, survey_respondent


@pytest.fixture
def opened(db: sa.Engine) -> dict[str, object]:
    facilitator = accounts.create_account(
        db=db, email="editor@example.org", password="correct horse battery", role="editor",
        verified=True, name="Dominique",
    ).id  # fmt: skip
    moderator = accounts.create_account(
        db=db, email="mod@example.org", password="correct horse battery", role="moderator",
        verified=True,
    ).id  # fmt: skip
    ids = [
        actors.create_actor(db=db, values=make_actor(name=name, email=address))["id"]
        for name, address in (("Atelier A", "a@example.org"), ("Asso B", None), ("Café C", None))
    ]
    survey, invitations = service.open_survey(
        db=db, user_id=facilitator, title="Partenariats 2025", actor_ids=ids,
        closes_on=dt.date.today() + dt.timedelta(days=30),
    )  # fmt: skip
    tokens = {i.actor_id: i.token for i in invitations}
    return {"survey": survey, "ids": ids, "tokens": tokens, "facilitator": facilitator,
            "moderator": moderator}  # fmt: skip


def test_links_are_personal_hashed_and_revocable(db: sa.Engine, opened: dict) -> None:
    a, b, _c = opened["ids"]
    token = opened["tokens"][a]
    assert token.startswith("enq_") and len(token) > 40
    with db.connect() as conn:
        stored = list(conn.execute(sa.select(survey_respondent.c.token_hash)).scalars())
    assert token not in stored and len(set(stored)) == 3  # only digests are kept
    view = service.respondent_view(db=db, token=token)
    assert view["actor"]["name"] == "Atelier A"
    assert {o["name"] for o in view["invited"]} == {"Asso B", "Café C"}
    with pytest.raises(NotFound):
        service.respondent_view(db=db, token=token[:-2] + "xx")
    respondent_id = view["respondent"]["id"]
    survey_id = opened["survey"]["id"]
    service.revoke_link(db=db, survey_id=survey_id, respondent_id=respondent_id,
                        user_id=opened["facilitator"])  # fmt: skip
    with pytest.raises(NotFound):
        service.respondent_view(db=db, token=token)
    again = service.reissue_link(db=db, survey_id=survey_id, respondent_id=respondent_id,
                                 user_id=opened["facilitator"])  # fmt: skip
    assert again.token != token and again.email == "a@example.org"
    assert service.respondent_view(db=db, token=again.token)["actor"]["id"] == a


def test_declared_links_become_proposals_one_per_pair(db: sa.Engine, opened: dict) -> None:
    a, b, c = opened["ids"]
    ta, tb = opened["tokens"][a], opened["tokens"][b]
    service.declare(db=db, token=ta, partner_id=b, kind="partnership", intensity=3,
                    since_year=2019, respondent_name="Camille")  # fmt: skip
    service.declare(db=db, token=ta, partner_id=c, kind="funding", intensity=1)
    queue = proposal_service.list_proposals(db=db)
    assert len(queue) == 2
    by_label = {p["label"]: p for p in queue}
    ab = by_label["Atelier A — Asso B"]
    assert (
        "Déclaré par Camille pour Atelier A dans l'enquête « Partenariats 2025 »" in ab["message"]
    )
    assert ab["document"]["media_type"] == "text/plain"
    assert ab["declared_by"] == "Camille pour Atelier A"  # signed by the respondent
    # B declares A back: the same proposal, now declared by both sides.
    service.declare(db=db, token=tb, partner_id=a, kind="partnership", intensity=4,
                    since_year=2017)  # fmt: skip
    queue = proposal_service.list_proposals(db=db)
    assert len(queue) == 2
    ab = {p["label"]: p for p in queue}["Atelier A — Asso B"]
    assert "Déclaré par les deux parties, Camille pour Atelier A et Asso B" in ab["message"]
    assert ab["declared_by"] == "Camille pour Atelier A et Asso B"
    proposed = {d["field"]: d["proposed"] for d in ab["diff"]}
    assert proposed["start_date"] == "2017-01-01" and proposed["kind"] == "partnership"
    assert "deux parties" in proposed["evidence"]
    # Accepted like any proposal: the link is on the map with its evidence.
    decided = proposal_service.accept(db=db, proposal_id=ab["id"], moderator_id=opened["moderator"])
    link = links.get_link(db=db, link_id=decided["result_id"])
    assert link["evidence"].startswith("Déclaré par les deux parties")
    report = service.survey_report(db=db, survey_id=opened["survey"]["id"])
    assert (report["invited"], report["answered"]) == (3, 2)
    assert [(x["declarer"], x["partner"]) for x in report["both_sides"]] == [
        ("Atelier A", "Asso B")
    ]
    assert [(x["declarer"], x["partner"], x["partner_answered"]) for x in report["one_side"]] == [
        ("Atelier A", "Café C", False)
    ]
    rows = service.answer_rows(db=db, survey_id=opened["survey"]["id"])
    assert sorted((r["respondent_actor"], r["partner"], r["both_sides"]) for r in rows) == [
        ("Asso B", "Atelier A", True), ("Atelier A", "Asso B", True),
        ("Atelier A", "Café C", False),
    ]  # fmt: skip


def test_changes_follow_and_withdrawal_refuses(db: sa.Engine, opened: dict) -> None:
    a, b, c = opened["ids"]
    ta = opened["tokens"][a]
    answer = service.declare(db=db, token=ta, partner_id=c, kind="partnership", intensity=2)
    service.declare(db=db, token=ta, partner_id=c, kind="funding", intensity=4, since_year=2020)
    (pending,) = proposal_service.list_proposals(db=db)
    assert {d["field"]: d["proposed"] for d in pending["diff"]}["kind"] == "funding"
    assert "intensité 4/4" in pending["message"]
    view = service.respondent_view(db=db, token=ta)
    assert [x["intensity"] for x in view["answers"]] == [4]  # changed, not doubled
    service.withdraw(db=db, token=ta, answer_id=answer["id"])
    assert proposal_service.list_proposals(db=db) == []
    refused = proposal_service.get_proposal(db=db, proposal_id=pending["id"])
    assert refused["status"] == "refused" and refused["reason"] == service.WITHDRAWN
    # Declared again: a new proposal (the withdrawn one stays refused).
    service.declare(db=db, token=ta, partner_id=c, kind="funding", intensity=4)
    assert [p["id"] != pending["id"] for p in proposal_service.list_proposals(db=db)] == [True]
    with db.connect() as conn:
        audited = {r for r in conn.execute(sa.select(change.c.entity)).scalars()}
    assert {"survey", "survey_respondent", "survey_answer", "proposal"} <= audited


def test_new_partner_kept_and_bad_answers_refused(db: sa.Engine, opened: dict) -> None:
    a, _b, _c = opened["ids"]
    ta = opened["tokens"][a]
    service.declare(db=db, token=ta, partner_name="Ressourcerie D", partner_commune="59350",
                    kind="partnership", intensity=2)  # fmt: skip
    assert proposal_service.list_proposals(db=db) == []
    report = service.survey_report(db=db, survey_id=opened["survey"]["id"])
    assert report["new_partners"][0]["name"] == "Ressourcerie D"
    for bad in ({"partner_id": a}, {"partner_name": "X", "partner_commune": "123"},
                {"partner_id": opened["ids"][1], "intensity": 9},
                {"partner_id": opened["ids"][1], "kind": "friendship"},
                {"partner_id": opened["ids"][1], "since_year": 2999}):  # fmt: skip
        values = {"kind": "partnership", "intensity": 2, **bad}
        with pytest.raises(InvalidInput):
            service.declare(db=db, token=ta, **values)


def test_closed_survey_refuses_answers(db: sa.Engine, opened: dict) -> None:
    a, b, _c = opened["ids"]
    service.close_survey(db=db, survey_id=opened["survey"]["id"], user_id=opened["facilitator"])
    with pytest.raises(Conflict):
        service.declare(db=db, token=opened["tokens"][a], partner_id=b, kind="partnership",
                        intensity=2)  # fmt: skip
    assert service.respondent_view(db=db, token=opened["tokens"][a])["survey"]["open"] is False


def test_open_survey_by_filter_and_checks(db: sa.Engine, opened: dict) -> None:
    survey, invitations = service.open_survey(
        db=db, user_id=opened["facilitator"], title="Nord", territory="DEP:59"
    )
    assert {i.actor_name for i in invitations} >= {"Atelier A", "Asso B", "Café C"}
    with pytest.raises(InvalidInput):
        service.open_survey(db=db, user_id=opened["facilitator"], title="", actor_ids=opened["ids"])
    with pytest.raises(InvalidInput):
        service.open_survey(
            db=db, user_id=opened["facilitator"], title="T", actor_ids=[opened["ids"][0]]
        )
    with pytest.raises(InvalidInput):
        service.open_survey(db=db, user_id=opened["facilitator"], title="T",
                            actor_ids=opened["ids"], closes_on=dt.date(2000, 1, 1))  # fmt: skip
    listed = service.list_surveys(db=db)
    assert [s["title"] for s in listed] == ["Nord", "Partenariats 2025"]
    assert listed[1]["invited"] == 3 and listed[1]["answered"] == 0
