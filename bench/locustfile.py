"""The users of the load bench (``bench/load.py`` starts the server and runs this file).

Three kinds of users share the portal on loopback:

- **Contributors** (``LOAD_CONTRIBUTORS``, 50 by default) propose new links with an
  evidence address and edits of actors, comment actors, links and territories with a
  stance, and answer comments. Half of them write through the JSON API with an API
  token (scope ``contribute``), half through the HTML forms of a signed-in session with
  the CSRF token of the session.
- **Readers** (``LOAD_READERS``, 200) browse the home page, explore, territory and actor
  pages, search, the JSON API and debate threads, and fetch a static file (the
  reference every route is compared to).
- **A moderator** accepts or refuses the pending proposals through the API.

Every write the server accepts (2xx, or the 303 of a form) is recorded with the id it
returned; a write whose answer never came (no answer, or a user stopped by the end of
the run while waiting) is counted as in doubt; every answer is tallied by status. Each
request comes on a connection of its own (``Connection: close``): a client reusing an
idle connection races the server's keep-alive timeout (uvicorn's 5 s) and gets a reset
that browsers retry and Locust does not, which would be counted here as a server failure. Both go to the JSON file named by
``LOAD_RECORD`` when the run ends, for ``bench/load.py`` to count the writes back from
the database. The plan (accounts, tokens, actor ids, territory codes) comes from the
file named by ``LOAD_PLAN``, written by ``bench/load.py``.
"""

from __future__ import annotations

import json
import os
import random
import re
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from locust import HttpUser, between, events, task

PLAN: dict[str, Any] = json.loads(Path(os.environ["LOAD_PLAN"]).read_text())
RECORD = Path(os.environ["LOAD_RECORD"])

# What the run saw, written at the end: accepted writes by kind (the ids returned),
# answers by route and status.
ACCEPTED: dict[str, list[int]] = defaultdict(list)
IN_DOUBT: Counter[str] = Counter()  # writes sent whose answer was not read
STATUSES: dict[str, Counter[int]] = defaultdict(Counter)
COMMENTS: list[tuple[str, str, int]] = []  # (entity, ref, id) of comments written, to answer
ACCOUNTS = iter(PLAN["contributors"])

KINDS = ["partnership", "funding", "joint_project", "exchange_of_practice", "membership"]
STANCES = ["for", "against", "question", None]
WORDS = ["médiation", "emploi", "santé", "tiers-lieu", "inclusion", "jeunesse", "formation"]
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
PROPOSAL_ID = re.compile(r"(?:n°|no\.)\s*(\d+)")
COMMENT_ID = re.compile(r"#comment-(\d+)$")


@events.request.add_listener
def tally(name: str, response: Any, exception: Exception | None, **_: Any) -> None:
    """Count every answer by route and status (0: no answer, a connection error)."""
    STATUSES[name][int(getattr(response, "status_code", None) or 0)] += 1


@events.quitting.add_listener
def write_record(**_: Any) -> None:
    RECORD.write_text(
        json.dumps(
            {
                "accepted": ACCEPTED,
                "in_doubt": IN_DOUBT,
                "statuses": {name: dict(counts) for name, counts in STATUSES.items()},
            }
        )
    )


def sentence(rng: random.Random, words: int = 12) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words)).capitalize() + "."


class PortalUser(HttpUser):
    abstract = True

    def on_start(self) -> None:
        self.client.headers["Connection"] = "close"

    def write(self, kind: str, method: str, path: str, **kwargs: Any) -> Any:
        """Send a write; in doubt until its answer is read."""
        IN_DOUBT[kind] += 1
        response = self.client.request(method, path, **kwargs)
        if getattr(response, "status_code", 0):
            IN_DOUBT[kind] -= 1
        return response


class Contributor(PortalUser):
    fixed_count = int(os.environ.get("LOAD_CONTRIBUTORS", "50"))
    wait_time = between(1, 5)

    def on_start(self) -> None:
        super().on_start()
        self.rng = random.Random()
        self.account = next(ACCOUNTS)
        self.api = self.account["index"] % 2 == 0  # half by the API, half by forms
        self.client.headers["Accept-Language"] = "fr"
        if self.api:
            self.client.headers["Authorization"] = f"Bearer {self.account['token']}"
        else:
            self.sign_in()

    def csrf(self, path: str, name: str) -> str:
        page = self.client.get(path, name=name)
        found = CSRF.search(page.text)
        return found.group(1) if found else ""

    def sign_in(self) -> None:
        token = self.csrf("/account/signin", "/account/signin")
        form = {"email": self.account["email"], "password": self.account["password"]}
        self.client.post(
            "/account/signin",
            data={**form, "csrf_token": token},
            allow_redirects=False,
            name="POST /account/signin",
        )
        self.token = self.csrf("/contribute/link", "/contribute/link")

    def pick_actor(self) -> int:
        return int(self.rng.choice(PLAN["actors"]))

    def accepted(self, kind: str, response: Any, found: int | None) -> None:
        if response.status_code in (200, 201, 303) and found is not None:
            ACCEPTED[kind].append(found)
        elif 400 <= response.status_code < 500:  # a refusal the bench did not mean to cause
            ACCEPTED[f"4xx {kind} {response.status_code}"].append(0)

    @task(3)
    def propose_link(self) -> None:
        source, target = self.pick_actor(), self.pick_actor()
        while target == source:
            target = self.pick_actor()
        kind = self.rng.choice(KINDS)
        year = str(self.rng.randint(2015, 2024))
        evidence = f"https://example.org/conventions/{self.rng.getrandbits(40):x}.pdf"
        message = "Convention signée : " + sentence(self.rng, 6)
        if self.api:
            body = {
                "action": "create", "entity": "link", "message": message,
                "values": {"source_id": source, "target_id": target, "kind": kind,
                           "start_date": f"{year}-01-01"},
                "evidence_url": evidence,
            }  # fmt: skip
            response = self.write(
                "proposal", "POST", "/api/proposals", json=body, name="POST /api/proposals"
            )
            self.accepted("proposal", response, response.json().get("id") if response.ok else None)
            return
        form = {
            "v_source_id": str(source), "v_target_id": str(target), "v_kind": kind,
            "v_start_date": f"{year}-01-01", "proof_url": evidence, "message": message,
            "csrf_token": self.token,
        }  # fmt: skip
        response = self.write(
            "proposal", "POST", "/contribute/link", data=form, name="POST /contribute/link"
        )
        found = PROPOSAL_ID.search(response.text) if response.status_code == 201 else None
        self.accepted("proposal", response, int(found.group(1)) if found else None)

    @task(2)
    def propose_actor_edit(self) -> None:
        actor_id = self.pick_actor()
        description = sentence(self.rng, 20)
        phone = f"03 20 {self.rng.randint(10, 99)} {self.rng.randint(10, 99)} {self.rng.randint(10, 99)}"
        evidence = f"https://example.org/statuts/{self.rng.getrandbits(40):x}"
        if self.api:
            self.client.get(f"/api/actors/{actor_id}", name="/api/actors/[id]")
            body = {
                "action": "update", "entity": "actor", "entity_id": actor_id,
                "values": {"description": description, "phone": phone},
                "evidence_url": evidence,
            }  # fmt: skip
            response = self.write(
                "proposal", "POST", "/api/proposals", json=body, name="POST /api/proposals"
            )
            self.accepted("proposal", response, response.json().get("id") if response.ok else None)
            return
        self.client.get(f"/actors/{actor_id}/propose", name="/actors/[id]/propose")
        form = {
            "v_description": description, "v_phone": phone, "proof_url": evidence,
            "csrf_token": self.token,
        }  # fmt: skip
        response = self.write(
            "proposal", "POST", f"/actors/{actor_id}/propose", data=form,
            name="POST /actors/[id]/propose",
        )  # fmt: skip
        found = PROPOSAL_ID.search(response.text) if response.status_code == 201 else None
        self.accepted("proposal", response, int(found.group(1)) if found else None)

    def subject(self) -> tuple[str, str]:
        roll = self.rng.random()
        if roll < 0.6:
            return "actor", str(self.pick_actor())
        if roll < 0.8:
            return "link", str(self.rng.choice(PLAN["links"]))
        return "territory", self.rng.choice(PLAN["territories"])

    def comment(self, entity: str, ref: str, parent: int | None) -> None:
        body = sentence(self.rng, self.rng.randint(5, 40))
        stance = self.rng.choice(STANCES)
        kind = "reply" if parent else "comment"
        if self.api:
            data: dict[str, Any] = {"body": body, "stance": stance, "parent_id": parent}
            response = self.write(
                "comment", "POST", f"/api/debate/{entity}/{ref}/comments", json=data,
                name=f"POST /api/debate/{entity}/[ref]/comments",
            )  # fmt: skip
            found = response.json().get("id") if response.status_code == 201 else None
        else:
            form = {"body": body, "stance": stance or "", "csrf_token": self.token}
            if parent:
                form["parent_id"] = str(parent)
            response = self.write(
                "comment", "POST", f"/debate/{entity}/{ref}/comments", data=form,
                allow_redirects=False,
                name=f"POST /debate/{entity}/[ref]/comments",
            )  # fmt: skip
            matched = COMMENT_ID.search(response.headers.get("location", ""))
            found = int(matched.group(1)) if response.status_code == 303 and matched else None
        self.accepted(kind, response, found)
        if found is not None:
            COMMENTS.append((entity, ref, int(found)))

    @task(4)
    def write_comment(self) -> None:
        entity, ref = self.subject()
        self.client.get(f"/api/debate/{entity}/{ref}", name=f"/api/debate/{entity}/[ref]")
        self.comment(entity, ref, None)

    @task(3)
    def reply(self) -> None:
        if not COMMENTS:
            return self.write_comment()
        entity, ref, parent = self.rng.choice(COMMENTS[-500:])
        self.client.get(f"/api/debate/{entity}/{ref}", name=f"/api/debate/{entity}/[ref]")
        self.comment(entity, ref, parent)
        return None

    @task(1)
    def my_proposals(self) -> None:
        if self.api:
            self.client.get("/api/proposals/mine", name="/api/proposals/mine")
        else:
            self.client.get("/account/proposals", name="/account/proposals")


class Reader(PortalUser):
    fixed_count = int(os.environ.get("LOAD_READERS", "200"))
    wait_time = between(1, 5)

    def on_start(self) -> None:
        super().on_start()
        self.rng = random.Random()

    @task(3)
    def home(self) -> None:
        self.client.get("/", name="/")

    @task(2)
    def explore(self) -> None:
        self.client.get("/explore", name="/explore")

    @task(4)
    def territory(self) -> None:
        code = self.rng.choice(PLAN["territories"])
        self.client.get(f"/territories/{code}", name="/territories/[code]")

    @task(6)
    def actor(self) -> None:
        actor_id = self.rng.choice(PLAN["actors"])
        self.client.get(f"/actors/{actor_id}", name="/actors/[id]")
        self.client.get(f"/debate/actor/{actor_id}/thread", name="/debate/actor/[id]/thread")

    @task(2)
    def link(self) -> None:
        self.client.get(f"/links/{self.rng.choice(PLAN['links'])}", name="/links/[id]")

    @task(3)
    def search(self) -> None:
        self.client.get("/search", params={"q": self.rng.choice(WORDS)}, name="/search?q=")

    @task(3)
    def api(self) -> None:
        roll = self.rng.random()
        if roll < 0.4:
            actor_id = self.rng.choice(PLAN["actors"])
            self.client.get(f"/api/actors/{actor_id}", name="/api/actors/[id]")
        elif roll < 0.7:
            code = self.rng.choice(PLAN["territories"])
            self.client.get(f"/api/territories/{code}", name="/api/territories/[code]")
        else:
            query = {"q": self.rng.choice(WORDS)}
            self.client.get("/api/search", params=query, name="/api/search?q=")

    @task(2)
    def debate(self) -> None:
        actor_id = self.rng.choice(PLAN["actors"])
        self.client.get(f"/api/debate/actor/{actor_id}", name="/api/debate/actor/[ref]")

    @task(3)
    def static(self) -> None:
        self.client.get("/static/favicon.svg", name="static file (reference)")


class Moderator(PortalUser):
    fixed_count = 1
    wait_time = between(2, 4)

    def on_start(self) -> None:
        super().on_start()
        self.rng = random.Random()
        self.client.headers["Authorization"] = f"Bearer {PLAN['moderator']['token']}"

    @task
    def decide(self) -> None:
        queue = self.client.get("/api/proposals", name="/api/proposals (queue)")
        if not queue.ok or not queue.json()["items"]:
            return
        item = self.rng.choice(queue.json()["items"][:20])
        if self.rng.random() < 0.7:
            path, body, kind = "accept", {}, "accepted"
        else:
            path, body, kind = "refuse", {"reason": "Preuve insuffisante."}, "refused"
        response = self.write(
            kind, "POST", f"/api/proposals/{item['id']}/{path}", json=body,
            name=f"POST /api/proposals/[id]/{path}",
        )  # fmt: skip
        if response.status_code == 200:
            ACCEPTED[kind].append(int(item["id"]))
        elif (
            response.status_code and response.status_code != 409
        ):  # 409: decided meanwhile, or its record changed
            ACCEPTED[f"4xx {kind} {response.status_code}"].append(0)
