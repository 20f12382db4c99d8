"""Proposals, moderation and community votes on both engines: checked when proposed and
again when accepted, written through the services with the proposer as author, in a
batch that undo removes, conflicts never overwritten."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from builders import make_actor
from maillage.model.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from maillage.services import accounts, actors, history, links, votes
from maillage.services import proposals as service
from maillage.storage.tables import batch, change

EVIDENCE = "https://example.org/convention-2025.pdf"


@pytest.fixture
def people(db: sa.Engine) -> dict[str, int]:
    made = {}
    for role in ("contributor", "moderator"):
        made[role] = accounts.create_account(
            db=db, email=f"{role}@example.org", password="correct horse battery", role=role,
            verified=True, name=role.title(),
        ).id  # fmt: skip
    made["other"] = accounts.create_account(
        db=db, email="other@example.org", password="correct horse battery", verified=True
    ).id
    return made


@pytest.fixture
def pair(db: sa.Engine) -> tuple[int, int]:
    a = actors.create_actor(db=db, values=make_actor(world="economic", name="Atelier A"))
    b = actors.create_actor(db=db, values=make_actor(world="associative", name="Asso B"))
    return a["id"], b["id"]


def _link(db: sa.Engine, pair: tuple[int, int], user_id: int, **more: object) -> int:
    values = {"source_id": pair[0], "target_id": pair[1], "kind": "partnership", **more}
    created = service.propose(db=db, action="create", entity="link", values=values,
                              evidence_url=EVIDENCE, user_id=user_id)  # fmt: skip
    return int(created["id"])


def test_accepted_link_is_written_by_the_proposer_and_undone_by_its_batch(
    db: sa.Engine, pair: tuple[int, int], people: dict[str, int]
) -> None:
    proposal_id = _link(db, pair, people["contributor"], purpose="Ateliers partagés")
    assert links.list_links(db=db, actor_id=pair[0]) == []  # nothing written yet
    queue = service.list_proposals(db=db)
    assert [p["id"] for p in queue] == [proposal_id]
    assert {d["field"]: d["proposed"] for d in queue[0]["diff"]}["purpose"] == "Ateliers partagés"
    assert queue[0]["author"] == "Contributor" and queue[0]["label"] == "Atelier A — Asso B"
    decided = service.accept(db=db, proposal_id=proposal_id, moderator_id=people["moderator"])
    assert (
        decided["status"] == "accepted" and decided["decided_by"] == f"user:{people['moderator']}"
    )
    link_id = decided["result_id"]
    written = links.get_link(db=db, link_id=link_id)
    assert (written["purpose"], written["evidence_url"]) == ("Ateliers partagés", EVIDENCE)
    trail = history.entity_history(db=db, entity="link", entity_id=link_id)
    assert [(t["action"], t["author"], t["source"]) for t in trail] == [
        ("create", "Contributor", f"proposal:{proposal_id}")
    ]
    with db.connect() as conn:
        made = conn.execute(sa.select(batch).where(batch.c.id == decided["batch_id"])).one()
    assert made.user == f"user:{people['moderator']}" and str(proposal_id) in made.label
    # The proposer sees it on their list; the queue is empty.
    mine = service.list_proposals(db=db, status=None, user_id=people["contributor"])
    assert [p["status"] for p in mine] == ["accepted"] and service.list_proposals(db=db) == []
    history.undo_batch(db=db, batch_id=decided["batch_id"], user=f"user:{people['moderator']}")
    with pytest.raises(NotFound):
        links.get_link(db=db, link_id=link_id)
    # A decision is taken once.
    with pytest.raises(Conflict):
        service.refuse(db=db, proposal_id=proposal_id, moderator_id=people["moderator"],
                       reason="trop tard")  # fmt: skip


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"values": {"kind": "friendship"}}, "kind"),
        ({"values": {"target_id": "same"}}, "target_id"),
        ({"values": {"quality": 1}}, "quality"),  # not a field proposals may set
        ({"evidence_url": None}, "evidence_url"),
        ({"evidence_url": "javascript:alert(1)"}, "evidence_url"),
        ({"document": service.Document("x.exe", b"MZ\x90\x00\x03\x00\xff\xfe")}, "document"),
        ({"document": service.Document("big.pdf", b"%PDF-" + b"0" * 2048)}, "document"),
    ],
)
def test_a_bad_proposal_is_refused_naming_the_field(
    db: sa.Engine, pair: tuple[int, int], people: dict[str, int], kwargs: dict, field: str
) -> None:
    values = {"source_id": pair[0], "target_id": pair[1], "kind": "partnership"}
    kwargs = dict(kwargs)  # shared by the parameters of both engines
    extra = dict(kwargs.pop("values", {}))
    if extra.get("target_id") == "same":
        extra["target_id"] = pair[0]
    arguments = {"evidence_url": EVIDENCE, **kwargs}
    if "document" in arguments:
        arguments["evidence_url"] = None
    with pytest.raises(InvalidInput) as refused:
        service.propose(
            db=db, action="create", entity="link", values={**values, **extra},
            user_id=people["contributor"], max_document_bytes=1024, **arguments,
        )  # fmt: skip
    assert refused.value.field == field
    assert service.list_proposals(db=db, status=None) == []  # nothing half-written


def test_visitors_report_errors_with_a_document_but_propose_nothing(
    db: sa.Engine, pair: tuple[int, int]
) -> None:
    with pytest.raises(PermissionDenied):
        service.propose(db=db, action="update", entity="actor", entity_id=pair[0],
                        values={"name": "X"}, evidence_url=EVIDENCE)  # fmt: skip
    with pytest.raises(InvalidInput) as empty:
        service.propose(db=db, action="report", entity="actor", entity_id=pair[0],
                        evidence_url=EVIDENCE)  # fmt: skip
    assert empty.value.field == "message"
    with pytest.raises(NotFound):
        service.propose(db=db, action="report", entity="actor", entity_id=999_999,
                        message="?", evidence_url=EVIDENCE)  # fmt: skip
    photo = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
    made = service.propose(
        db=db, action="report", entity="actor", entity_id=pair[0],
        message="L'atelier a fermé en 2024", document=service.Document("../../vitrine.html", photo),
    )  # fmt: skip
    view = service.get_proposal(db=db, proposal_id=made["id"])
    # The type comes from the bytes, the name loses its path and its lying extension.
    assert view["document"]["media_type"] == "image/png"
    assert view["document"]["filename"] == "vitrine.png"
    assert view["author"] is None and view["diff"] == []
    assert service.get_document(db=db, proposal_id=made["id"])[2] == photo
    # Accepted without a correction, a report writes nothing.
    accepted = service.accept(db=db, proposal_id=made["id"], moderator_id=None, reason="vu")
    assert accepted["batch_id"] is None
    assert actors.get_actor(db=db, actor_id=pair[0])["version"] == 1


def test_a_record_changed_since_the_proposal_is_a_conflict_never_overwritten(
    db: sa.Engine, pair: tuple[int, int], people: dict[str, int]
) -> None:
    made = service.propose(
        db=db, action="update", entity="actor", entity_id=pair[0],
        values={"name": "Atelier A", "phone": "03 20 00 00 00", "website": "atelier-a.fr"},
        evidence_url=EVIDENCE, user_id=people["contributor"],
    )  # fmt: skip
    view = service.get_proposal(db=db, proposal_id=made["id"])
    # Only what differs is proposed (the name is the same); the website is normalised.
    assert [(d["field"], d["current"], d["proposed"]) for d in view["diff"]] == [
        ("website", None, "https://atelier-a.fr"), ("phone", None, "03 20 00 00 00"),
    ]  # fmt: skip
    assert view["conflict"] is False
    actors.update_actor(db=db, actor_id=pair[0], changes={"phone": "03 20 99 99 99"})
    view = service.get_proposal(db=db, proposal_id=made["id"])
    assert view["conflict"] is True
    assert [d["field"] for d in view["diff"] if d["moved"]] == ["phone"]
    with pytest.raises(Conflict):
        service.accept(db=db, proposal_id=made["id"], moderator_id=people["moderator"])
    assert actors.get_actor(db=db, actor_id=pair[0])["phone"] == "03 20 99 99 99"
    # Amended against the version the moderator read, it goes through.
    done = service.accept(
        db=db, proposal_id=made["id"], moderator_id=people["moderator"],
        values={"website": "https://atelier-a.fr"}, seen_version=view["current_version"],
    )  # fmt: skip
    assert done["payload"]["amended"] == {"website": "https://atelier-a.fr"}
    after = actors.get_actor(db=db, actor_id=pair[0])
    assert (after["phone"], after["website"]) == ("03 20 99 99 99", "https://atelier-a.fr")
    with pytest.raises(InvalidInput):  # nothing differs: no proposal
        service.propose(db=db, action="update", entity="actor", entity_id=pair[0],
                        values={"phone": "03 20 99 99 99"}, evidence_url=EVIDENCE,
                        user_id=people["contributor"])  # fmt: skip


def test_acceptance_checks_the_rules_again_and_a_refusal_needs_a_reason(
    db: sa.Engine, pair: tuple[int, int], people: dict[str, int]
) -> None:
    proposal_id = _link(db, pair, people["contributor"])
    actors.delete_actor(db=db, actor_id=pair[1])
    with pytest.raises(InvalidInput) as gone:
        service.accept(db=db, proposal_id=proposal_id, moderator_id=people["moderator"])
    assert gone.value.field == "target_id"
    assert service.get_proposal(db=db, proposal_id=proposal_id)["status"] == "pending"
    with pytest.raises(InvalidInput):
        service.refuse(db=db, proposal_id=proposal_id, moderator_id=people["moderator"],
                       reason="  ")  # fmt: skip
    refused = service.refuse(db=db, proposal_id=proposal_id, moderator_id=people["moderator"],
                             reason="L'association a fermé")  # fmt: skip
    assert (refused["status"], refused["reason"]) == ("refused", "L'association a fermé")
    with db.connect() as conn:
        audited = conn.execute(
            sa.select(change.c.action, change.c.user).where(
                change.c.entity == "proposal", change.c.entity_id == proposal_id
            ).order_by(change.c.id)
        ).all()  # fmt: skip
    assert [tuple(r) for r in audited] == [
        ("create", f"user:{people['contributor']}"), ("update", f"user:{people['moderator']}"),
    ]  # fmt: skip


def test_votes_reaching_the_threshold_decide_one_vote_per_account(
    db: sa.Engine, pair: tuple[int, int], people: dict[str, int]
) -> None:
    proposal_id = _link(db, pair, people["contributor"])
    with pytest.raises(Conflict):  # the portal does not vote
        votes.vote(db=db, proposal_id=proposal_id, user_id=people["other"], choice="for",
                   threshold=0)  # fmt: skip
    with pytest.raises(Conflict):  # not on one's own proposal
        votes.vote(db=db, proposal_id=proposal_id, user_id=people["contributor"], choice="for",
                   threshold=2)  # fmt: skip
    first = votes.vote(db=db, proposal_id=proposal_id, user_id=people["other"], choice="for",
                       threshold=2)  # fmt: skip
    again = votes.vote(db=db, proposal_id=proposal_id, user_id=people["other"], choice="for",
                       threshold=2)  # fmt: skip
    assert (first.votes_for, again.votes_for, again.status) == (1, 1, "pending")
    decided = votes.vote(db=db, proposal_id=proposal_id, user_id=people["moderator"],
                         choice="for", threshold=2)  # fmt: skip
    assert (decided.votes_for, decided.status) == (2, "accepted")
    view = service.get_proposal(db=db, proposal_id=proposal_id)
    assert view["decided_by"] == "votes" and view["votes"] == {"for": 2, "against": 0}
    trail = history.entity_history(db=db, entity="link", entity_id=view["result_id"])
    assert trail[0]["author"] == "Contributor"
    with db.connect() as conn:
        assert (
            conn.execute(sa.select(batch.c.user).where(batch.c.id == view["batch_id"])).scalar()
            == "votes"
        )
    # Votes against refuse, with the count as the reason.
    other = _link(db, pair, people["contributor"], kind="funding")
    votes.vote(db=db, proposal_id=other, user_id=people["other"], choice="against", threshold=1)
    refused = service.get_proposal(db=db, proposal_id=other)
    assert refused["status"] == "refused" and "1 contre" in refused["reason"]
