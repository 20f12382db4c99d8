"""Moderation queue: N pending proposals in SQLite, the queue page and its JSON twin
timed against a one-record read through the same portal in the same run.

The map holds 300 actors and 300 links; N proposals wait (new links, actor and link
edits, error reports, a third of them with a document as evidence), made by 20
contributors, one of whom made a third of them ("my proposals"). Each route is asked
``--repeat`` times through the application (FastAPI's test client: no network); the
median of each is printed with its ratio to the median of the reference,
``GET /api/actors/{id}`` (one actor read through the same stack).

    .venv/bin/python bench/moderation.py [--proposals 900] [--repeat 15]
"""

from __future__ import annotations

import argparse
import re
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from fastapi.testclient import TestClient

from maillage.services import accounts, actors, database, links
from maillage.services import proposals as service
from maillage.settings import Settings
from maillage.storage.engine import make_engine
from maillage.web.app import create_app

PASSWORD = "correct horse battery staple"
EVIDENCE = "https://example.org/convention"
WORLDS = ("economic", "associative", "public", "academic")


def build(db: sa.Engine, n: int) -> tuple[int, int]:
    """The map, the accounts and ``n`` pending proposals; (moderator, busy contributor)."""
    ids = [
        actors.create_actor(db=db, values={"name": f"Acteur {i}", "world": WORLDS[i % 4]})["id"]
        for i in range(300)
    ]
    link_ids = [
        links.create_link(db=db, values={"source_id": ids[i], "target_id": ids[(i * 7 + 1) % 300],
                                         "kind": "partnership"})["id"]
        for i in range(300)
    ]  # fmt: skip
    people = [
        accounts.create_account(db=db, email=f"c{i}@example.org", password=PASSWORD,
                                role="contributor", verified=True, name=f"Contributeur {i}").id
        for i in range(50)
    ]  # fmt: skip
    moderator = accounts.create_account(db=db, email="mod@example.org", password=PASSWORD,
                                        role="moderator", verified=True, name="Modé").id  # fmt: skip
    for i in range(n):
        user = people[0] if i % 3 == 0 else people[i % 20]
        document = service.Document("preuve.pdf", b"%PDF-1.4\n" + bytes(i % 200)) if i % 3 else None
        url = None if document else EVIDENCE
        kind = i % 4
        if kind == 0:
            service.propose(db=db, action="create", entity="link", user_id=user,
                            values={"source_id": ids[i % 300], "target_id": ids[(i * 13 + 5) % 300],
                                    "kind": "partnership", "purpose": f"Projet {i}"},
                            evidence_url=url, document=document)  # fmt: skip
        elif kind == 1:
            service.propose(db=db, action="update", entity="actor", entity_id=ids[i % 300],
                            values={"description": f"Nouvelle description {i}"}, user_id=user,
                            evidence_url=url, document=document)  # fmt: skip
        elif kind == 2:
            service.propose(db=db, action="update", entity="link", entity_id=link_ids[i % 300],
                            values={"purpose": f"Objet {i}"}, user_id=user,
                            evidence_url=url, document=document)  # fmt: skip
        else:
            service.propose(db=db, action="report", entity="actor", entity_id=ids[i % 300],
                            message=f"Adresse fausse {i}", user_id=user,
                            evidence_url=url, document=document)  # fmt: skip
    return moderator, people[0]


def client(db: sa.Engine, email: str) -> TestClient:
    url = db.url.render_as_string(hide_password=False)
    settings = Settings(database_url=url, secret_key="bench-" + "x" * 40, mail_rate_limit="",
                        login_rate_limit="", export_rate_limit="")  # fmt: skip
    web = TestClient(create_app(settings, engine=db), base_url="http://localhost")
    form = web.get("/account/forgot").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', form)
    assert token is not None
    answer = web.post("/account/signin", data={"email": email, "password": PASSWORD,
                                              "csrf_token": token.group(1)}, follow_redirects=False)  # fmt: skip
    assert answer.status_code == 303, answer.text
    return web


def median_seconds(ask: Callable[[], Any], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        response = ask()
        times.append(time.perf_counter() - start)
        assert response.status_code == 200, (response.status_code, response.text[:300])
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--proposals", type=int, default=900)
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        db = make_engine(f"sqlite:///{Path(folder) / 'bench.db'}")
        database.upgrade(db=db)
        start = time.perf_counter()
        build(db, args.proposals)
        print(f"{args.proposals} pending proposals made in {time.perf_counter() - start:.1f} s")
        moderator = client(db, "mod@example.org")
        contributor = client(db, "c0@example.org")
        routes: list[tuple[str, TestClient, str]] = [
            ("reference GET /api/actors/1", moderator, "/api/actors/1"),
            ("GET /moderation (queue page)", moderator, "/moderation"),
            ("GET /api/proposals (queue JSON)", moderator, "/api/proposals"),
            ("GET /account/proposals", contributor, "/account/proposals"),
            ("GET /api/proposals/mine", contributor, "/api/proposals/mine"),
        ]
        for _, web, path in routes:  # warm up (templates, caches)
            web.get(path)
        medians = {name: median_seconds(lambda w=web, p=path: w.get(p), args.repeat)
                   for name, web, path in routes}  # fmt: skip
        reference = medians[routes[0][0]]
        width = max(len(name) for name in medians)
        print(f"{'route':<{width}}  median ms  ratio to reference")
        for name, seconds in medians.items():
            print(f"{name:<{width}}  {seconds * 1000:9.1f}  {seconds / reference:6.1f}")


if __name__ == "__main__":
    main()
