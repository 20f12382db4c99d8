"""The moderation queue and "my proposals" a page at a time, on SQLite and PostgreSQL:
pages of 50 with next and previous links (HTML) and ``limit``/``offset`` with the total
(JSON), every proposal reachable past the first page, filters by status and kind, and a
page read in as many queries whatever its size (no query per proposal)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from test_accounts import portal, signed_in

from maillage.services import actors
from maillage.services import proposals as service

EVIDENCE = "https://example.org/preuve"
REPORTS, NEW_LINKS = 52, 3


@pytest.fixture
def queue(db: sa.Engine) -> tuple[TestClient, TestClient, list[int]]:
    """A moderator, a contributor, and the contributor's 55 pending proposals (52 error
    reports, then 3 new links), by id."""
    moderator, contributor = portal(db), portal(db)
    signed_in(db, moderator, "moderator")
    user_id = signed_in(db, contributor, "contributor")
    a = actors.create_actor(db=db, values={"name": "Atelier A", "world": "economic"})["id"]
    b = actors.create_actor(db=db, values={"name": "Asso B", "world": "associative"})["id"]
    ids = [
        service.propose(db=db, action="report", entity="actor", entity_id=a, user_id=user_id,
                        message=f"Erreur {i}", evidence_url=EVIDENCE)["id"]
        for i in range(REPORTS)
    ]  # fmt: skip
    ids += [
        service.propose(db=db, action="create", entity="link", user_id=user_id,
                        values={"source_id": a, "target_id": b, "kind": "partnership",
                                "purpose": f"Projet {i}"}, evidence_url=EVIDENCE)["id"]
        for i in range(NEW_LINKS)
    ]  # fmt: skip
    return moderator, contributor, ids


def shown(page: str) -> list[int]:
    """The proposals on a page, by number, in order."""
    return [
        int(n)
        for n in re.findall(r'<article class="proposal[^"]*" aria-labelledby="p-(\d+)-h"', page)
    ]


def link(page: str, rel: str) -> str | None:
    found = re.search(rf'<a href="([^"]+)" rel="{rel}">', page)
    return found.group(1).replace("&amp;", "&") if found else None


def test_the_queue_page_shows_fifty_and_the_rest_by_its_next_link(
    queue: tuple[TestClient, TestClient, list[int]],
) -> None:
    moderator, _, ids = queue
    first = moderator.get("/moderation")
    assert first.status_code == 200
    assert shown(first.text) == ids[:50]  # the oldest first, 50 on a page
    assert "Propositions 1 à 50 sur 55" in first.text and link(first.text, "prev") is None
    following = link(first.text, "next")
    assert following is not None
    second = moderator.get(following)
    assert shown(second.text) == ids[50:] and "Propositions 51 à 55 sur 55" in second.text
    assert link(second.text, "next") is None
    back = link(second.text, "prev")
    assert back is not None and shown(moderator.get(back).text) == ids[:50]
    # Filtered by kind: the new links alone, their diffs shown.
    links_only = moderator.get("/moderation?kind=new_link")
    assert shown(links_only.text) == ids[REPORTS:] and "Atelier A — Asso B" in links_only.text
    assert link(links_only.text, "next") is None
    english = moderator.get("/moderation?kind=report&lang=en")
    assert "Proposals 1 to 50 of 52" in english.text
    assert "kind=report" in (link(english.text, "next") or "")  # the filter kept
    # Another status: nothing decided yet.
    assert shown(moderator.get("/moderation?status=accepted").text) == []


def test_the_queue_json_pages_with_limit_offset_and_total(
    queue: tuple[TestClient, TestClient, list[int]],
) -> None:
    moderator, contributor, ids = queue
    first = moderator.get("/api/proposals").json()
    assert len(first["items"]) == 50 and first["total"] == 55 and first["previous"] is None
    seen, address = [], "/api/proposals?limit=20"
    while address:
        page = moderator.get(address).json()
        assert len(page["items"]) <= 20 and page["total"] == 55
        seen += [p["id"] for p in page["items"]]
        address = page["next"]
    assert seen == ids
    reports = moderator.get("/api/proposals?kind=report&limit=10&offset=50").json()
    assert [p["id"] for p in reports["items"]] == ids[50:REPORTS] and reports["total"] == REPORTS
    assert reports["previous"] is not None and "offset=40" in reports["previous"]
    assert moderator.get("/api/proposals?limit=500").status_code == 422
    assert moderator.get("/api/proposals?kind=nothing").status_code == 422
    # "My proposals": the newest first, a page at a time.
    mine = contributor.get("/api/proposals/mine").json()
    assert [p["id"] for p in mine["items"]] == ids[::-1][:50] and mine["total"] == 55
    rest = contributor.get(mine["next"]).json()
    assert [p["id"] for p in rest["items"]] == ids[::-1][50:] and rest["next"] is None


def test_my_proposals_page_reaches_the_oldest(
    queue: tuple[TestClient, TestClient, list[int]],
) -> None:
    _, contributor, ids = queue
    first = contributor.get("/account/proposals")
    assert shown(first.text) == ids[::-1][:50]
    following = link(first.text, "next")
    assert following is not None and shown(contributor.get(following).text) == ids[::-1][50:]


@contextmanager
def counted(db: sa.Engine) -> Iterator[list[str]]:
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(args[2])

    sa.event.listen(db, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        sa.event.remove(db, "before_cursor_execute", count)


def test_a_page_is_read_in_as_many_queries_whatever_its_size(
    db: sa.Engine,
    queue: tuple[TestClient, TestClient, list[int]],
) -> None:
    with counted(db) as small:
        assert len(service.proposal_page(db=db, limit=2, offset=REPORTS - 1).items) == 2
    with counted(db) as large:
        assert len(service.proposal_page(db=db, limit=50, offset=5).items) == 50
    assert len(large) == len(small)
