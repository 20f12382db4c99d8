"""Writes of many people at once, on SQLite and PostgreSQL: every write a service
accepted is stored exactly once with its audit row, and a proposal two moderators
accept at the same time is written once (the load bench, bench/load.py, checks the
same through the portal for minutes)."""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import sqlalchemy as sa

from builders import make_actor
from maillage.model.errors import Conflict
from maillage.services import accounts, actors, comments, links
from maillage.services import proposals as service
from maillage.storage.tables import change, comment, link, proposal

THREADS, EACH = 8, 6


def test_a_burst_of_writes_is_stored_once_each_and_audited(db: sa.Engine) -> None:
    ids = [
        actors.create_actor(db=db, values=make_actor(name=f"Acteur {i}"))["id"] for i in range(4)
    ]
    people = [
        accounts.create_account(db=db, email=f"p{i}@example.org", password=None,
                                verified=True).id
        for i in range(THREADS)
    ]  # fmt: skip
    first = comments.add_comment(db=db, user_id=people[0], entity="actor", ref=str(ids[0]),
                                 body="Qui porte ce projet ?", stance="question")  # fmt: skip

    def write(n: int) -> dict[str, list[int]]:
        me, made = people[n], {"proposal": [], "comment": []}
        for k in range(EACH):
            made["proposal"].append(
                service.propose(
                    db=db, action="update", entity="actor", entity_id=ids[k % 4], user_id=me,
                    values={"description": f"Description {n}-{k}"},
                    evidence_url=f"https://example.org/{n}/{k}",
                )["id"]
            )  # fmt: skip
            added = comments.add_comment(
                db=db, user_id=me, entity="actor", ref=str(ids[0]), body=f"Réponse {n}-{k}",
                stance="for", parent_id=first.id if k % 2 else None,
            )  # fmt: skip
            made["comment"].append(added.id)
        return made

    with ThreadPoolExecutor(THREADS) as pool:
        results = list(pool.map(write, range(THREADS)))
    sent = {kind: [i for r in results for i in r[kind]] for kind in ("proposal", "comment")}
    sent["comment"].append(first.id)
    with db.connect() as conn:
        stored = {
            "proposal": list(conn.execute(sa.select(proposal.c.id)).scalars()),
            "comment": list(conn.execute(sa.select(comment.c.id)).scalars()),
        }
        audited = {
            kind: Counter(
                conn.execute(
                    sa.select(change.c.entity_id).where(
                        change.c.entity == kind, change.c.action == "create"
                    )
                ).scalars()
            )
            for kind in ("proposal", "comment")
        }
    for kind in ("proposal", "comment"):
        assert len(sent[kind]) == len(set(sent[kind])) == len(stored[kind])
        assert sorted(sent[kind]) == sorted(stored[kind])
        assert all(audited[kind][i] == 1 for i in stored[kind]), kind
    thread = comments.thread(db=db, entity="actor", ref=str(ids[0]))
    assert thread.counts["total"] == THREADS * EACH + 1
    assert len(thread.children[first.id]) == THREADS * EACH // 2


def test_a_proposal_accepted_twice_at_once_is_written_once(db: sa.Engine) -> None:
    a = actors.create_actor(db=db, values=make_actor(name="Centre social"))["id"]
    b = actors.create_actor(db=db, values=make_actor(name="Régie de quartier"))["id"]
    author = accounts.create_account(db=db, email="a@example.org", password=None, verified=True)
    mods = [
        accounts.create_account(db=db, email=f"m{i}@example.org", password=None,
                                role="moderator", verified=True).id
        for i in range(4)
    ]  # fmt: skip
    made = service.propose(
        db=db, action="create", entity="link", user_id=author.id,
        values={"source_id": a, "target_id": b, "kind": "funding"},
        evidence_url="https://example.org/convention",
    )  # fmt: skip

    def decide(moderator: int) -> Any:
        try:
            return service.accept(db=db, proposal_id=made["id"], moderator_id=moderator)
        except Conflict:
            return None

    with ThreadPoolExecutor(len(mods)) as pool:
        outcomes = list(pool.map(decide, mods))
    assert sum(o is not None for o in outcomes) == 1
    assert [x["kind"] for x in links.list_links(db=db, actor_id=a)] == ["funding"]
    with db.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(link)).scalar_one() == 1
        created = conn.execute(
            sa.select(sa.func.count()).where(change.c.entity == "link", change.c.action == "create")
        ).scalar_one()
    assert created == 1
