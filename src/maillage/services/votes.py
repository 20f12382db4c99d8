"""Community validation of proposals by votes (as GoGoCarto does), when the portal
sets a threshold (``vote_threshold``; 0: moderators only).

Accounts that may contribute vote for or against a pending proposal of another
account, once each (a second vote replaces the first). When the votes for reach the
threshold the proposal is accepted, when the votes against do it is refused: by the
same :func:`maillage.services.proposals.accept` and ``refuse`` as a moderator's
decision, signed ``votes`` in the audit log. A proposal the votes would accept but
that no longer applies (its record changed, a rule now fails) stays pending for the
moderators, with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from maillage.model import permissions
from maillage.model.errors import Conflict, InvalidInput, MaillageError
from maillage.services import proposals as proposal_service
from maillage.storage import audit
from maillage.storage.audit import Context, utcnow
from maillage.storage.engine import transaction
from maillage.storage.registry import proposals
from maillage.storage.tables import proposal_vote

CHOICES = {"for": 1, "against": -1}


@dataclass(frozen=True, slots=True)
class Tally:
    """The votes on a proposal after one vote, and what they decided."""

    proposal_id: int
    votes_for: int
    votes_against: int
    status: str  # pending | accepted | refused
    blocked: MaillageError | None = None  # why the votes could not accept it

    def to_dict(self) -> dict[str, Any]:
        return {
            "proposal_id": self.proposal_id, "for": self.votes_for,
            "against": self.votes_against, "status": self.status,
            "blocked": self.blocked.to_dict() if self.blocked else None,
        }  # fmt: skip


def _count(conn: sa.Connection, proposal_id: int) -> tuple[int, int]:
    query = sa.select(proposal_vote.c.value, sa.func.count()).where(
        proposal_vote.c.proposal_id == proposal_id
    ).group_by(proposal_vote.c.value)  # fmt: skip
    found = {value: count for value, count in conn.execute(query)}
    return found.get(1, 0), found.get(-1, 0)


def _record_vote(conn: sa.Connection, proposal_id: int, user_id: int, value: int) -> None:
    """Insert or replace the account's vote, audited (entity ``proposal_vote``)."""
    where = (proposal_vote.c.proposal_id == proposal_id, proposal_vote.c.user_id == user_id)
    old = conn.execute(sa.select(proposal_vote).where(*where)).first()
    state = {"proposal_id": proposal_id, "user_id": user_id, "value": value}
    ctx = Context(user=permissions.author(user_id), source=f"proposal:{proposal_id}")
    if old is None:
        inserted = conn.execute(sa.insert(proposal_vote).values(**state, created_at=utcnow()))
        key = inserted.inserted_primary_key
        assert key is not None
        audit.record(conn, entity="proposal_vote", entity_id=int(key[0]), action="create",
                     before=None, after=state, ctx=ctx)  # fmt: skip
    elif old.value != value:
        conn.execute(sa.update(proposal_vote).where(*where).values(value=value))
        before = {**state, "value": old.value}
        audit.record(conn, entity="proposal_vote", entity_id=old.id, action="update",
                     before=before, after=state, ctx=ctx)  # fmt: skip


def vote(*, db: sa.Engine, proposal_id: int, user_id: int, choice: str, threshold: int) -> Tally:
    """Vote ``choice`` (``for`` or ``against``) on a pending proposal; returns the
    tally, after the decision the votes reached. Raises InvalidInput, NotFound,
    Conflict (votes closed, a decided proposal, a report, one's own proposal)."""
    if choice not in CHOICES:
        raise InvalidInput("vote", choice, "pour (for) ou contre (against)", "for or against")
    if threshold <= 0:
        raise Conflict(
            "ce portail ne fait pas voter les propositions",
            "this portal does not put proposals to the vote",
        )
    with transaction(db) as conn:
        row = proposals.get(conn, proposal_id)
        if row["status"] != "pending" or row["action"] == "report":
            raise Conflict(
                f"la proposition {proposal_id} n'est pas ouverte au vote",
                f"proposal {proposal_id} is not open to votes",
            )
        if row["user_id"] == user_id:
            raise Conflict(
                "on ne vote pas pour sa propre proposition",
                "one does not vote on one's own proposal",
            )
        _record_vote(conn, proposal_id, user_id, CHOICES[choice])
        votes_for, votes_against = _count(conn, proposal_id)
    status, blocked = "pending", None
    try:
        if votes_for >= threshold:
            proposal_service.accept(db=db, proposal_id=proposal_id, moderator_id=None)
            status = "accepted"
        elif votes_against >= threshold:
            reason = f"refusée par les votes ({votes_against} contre, {votes_for} pour)"
            proposal_service.refuse(db=db, proposal_id=proposal_id, moderator_id=None,
                                    reason=reason)  # fmt: skip
            status = "refused"
    except (Conflict, InvalidInput) as error:  # left to the moderators
        blocked = error
    return Tally(proposal_id, votes_for, votes_against, status, blocked)
