"""Load on PostgreSQL on loopback: contributors writing, readers browsing, for minutes.

1. Starts a throw-away PostgreSQL server on loopback (Debian's binaries, as the tests
   do: tests/pgserver.py), creates and migrates a database and builds a map of a few
   thousand actors and links through the import services (the generator of
   bench/portal.py: names, communes and links spread as on a real map).
2. Creates the contributor accounts (each with an API token of scope ``contribute`` and a
   password: half of them write through the API, half through the forms of a signed-in
   session with its CSRF token) and one moderator (a token of scope ``moderate``).
3. Serves the portal with uvicorn (``maillage serve --workers N``, one
   ``MAILLAGE_SECRET_KEY`` so a session holds in every worker). The sign-in and
   contribution rate limits are turned off for the run (``MAILLAGE_LOGIN_RATE_LIMIT`` and
   ``MAILLAGE_CONTRIBUTION_RATE_LIMIT`` empty): every user comes from 127.0.0.1 and
   writes far more often than a person, and the bench measures the server, not the
   limiter.
4. Runs Locust headless (bench/locustfile.py): contributors proposing links with
   evidence and actor edits, commenting with stances and answering; readers on the
   home, explore, territory, actor and link pages, search, the JSON API and threads; a
   moderator accepting and refusing proposals.
5. Checks: **no 5xx** and no request left unanswered; **no lost write**: the ids of the
   writes the server accepted (as each user recorded them) are all found in the
   database (proposals, comments, decisions), each with its audit row, and nothing else
   is, but for the writes whose answer was never read (users stopped by the end of the
   run while waiting for one: stored or not, nobody was told). Prints the
   median and p95 per route and their ratio to the static file served in the same run
   (the framework's floor). Exits 1 when a check fails.

    .venv/bin/python bench/load.py [--users 250] [--duration 5m] [--workers 2] [--quick]

Figures depend on the machine; the ratios to the static file are what compare.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from maillage.services import accounts, database, importing, tokens
from maillage.storage.engine import make_engine
from maillage.storage.tables import actor, change, comment, link, proposal

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))
sys.path.insert(0, str(HERE))
from portal import communes_by_departement, free_port, generate  # noqa: E402

from pgserver import PgServer, start_server  # noqa: E402  (the tests' throw-away server)

REFERENCE = "static file (reference)"


def duration_seconds(text: str) -> int:
    """``5m``, ``30s``, ``1h`` or a number of seconds."""
    units = {"s": 1, "m": 60, "h": 3600}
    if text[-1:] in units:
        return int(float(text[:-1]) * units[text[-1]])
    return int(text)


def create_database(server: PgServer, name: str) -> str:
    admin = make_engine(server.url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return server.database_url(name)


def build_map(url: str, n: int, m: int) -> None:
    db = make_engine(url)
    database.upgrade(db=db)
    actors, links = generate(n, m, communes_by_departement(db), largest=min(n // 4, 1000))
    started = time.perf_counter()
    importing.import_actors(db=db, records=actors, source="bench")
    importing.import_links(db=db, records=links, source="bench")
    print(f"map: {n} actors and {m} links imported in {time.perf_counter() - started:.0f} s")
    db.dispose()


def make_plan(url: str, contributors: int) -> dict[str, Any]:
    """Accounts with their secrets, and what the users pick from (never printed)."""
    db = make_engine(url)
    people = []
    for index in range(contributors):
        email, password = f"contributor{index}@example.org", secrets.token_urlsafe(16)
        account = accounts.create_account(
            db=db, email=email, password=password, name=f"Contributrice {index}",
            verified=True, by="bench",
        )  # fmt: skip
        _, token = tokens.create_token(
            db=db, user_id=account.id, name="bench", scope="contribute", by="bench"
        )
        people.append(
            {"index": index, "id": account.id, "email": email, "password": password,
             "token": token}
        )  # fmt: skip
    moderator = accounts.create_account(
        db=db, email="moderator@example.org", password=None, name="Modération",
        role="moderator", verified=True, by="bench",
    )  # fmt: skip
    _, mod_token = tokens.create_token(
        db=db, user_id=moderator.id, name="bench", scope="moderate", by="bench"
    )
    with db.connect() as conn:
        actor_ids = list(conn.execute(sa.select(actor.c.id)).scalars())
        link_ids = list(conn.execute(sa.select(link.c.id)).scalars())
        communes = list(conn.execute(sa.select(actor.c.commune_code).distinct()).scalars())
    db.dispose()
    deps = sorted({c[:3] if c.startswith("97") else c[:2] for c in communes})
    territories = [f"DEP:{d}" for d in deps] + [f"COM:{c}" for c in communes[:300]]
    return {
        "contributors": people, "moderator": {"id": moderator.id, "token": mod_token},
        "actors": actor_ids, "links": link_ids, "territories": territories,
    }  # fmt: skip


def start_portal(
    url: str, port: int, workers: int, log: Path
) -> subprocess.Popen[bytes]:  # fmt: skip
    import httpx

    env = {
        **os.environ,
        "MAILLAGE_SECRET_KEY": secrets.token_urlsafe(48),
        "MAILLAGE_LOGIN_RATE_LIMIT": "",
        "MAILLAGE_CONTRIBUTION_RATE_LIMIT": "",
    }
    code = "import sys; from maillage.cli.web import serve_command; serve_command(sys.argv[1:])"
    argv = ["--db", url, "--port", str(port), "--workers", str(workers)]
    process = subprocess.Popen(
        [sys.executable, "-c", code, *argv], env=env, stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )  # fmt: skip
    for _ in range(600):
        try:
            httpx.get(f"http://127.0.0.1:{port}/static/favicon.svg", timeout=2)
            return process
        except httpx.HTTPError:
            if process.poll() is not None:
                break
            time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"the portal did not start: see {log}")


def run_locust(
    base: str, folder: Path, users: int, contributors: int, seconds: int, workers: int
) -> Path:  # fmt: skip
    env = {
        **os.environ,
        "LOAD_PLAN": str(folder / "plan.json"),
        "LOAD_RECORD": str(folder / "record.json"),
        "LOAD_CONTRIBUTORS": str(contributors),
        "LOAD_READERS": str(users - contributors),
    }
    total = users + 1  # and the moderator
    rate = max(1, total // 10)
    argv = [
        sys.executable, "-m", "locust", "-f", str(HERE / "locustfile.py"), "--headless",
        "-u", str(total), "-r", str(rate), "-t", f"{seconds}s", "--host", base,
        "--csv", str(folder / "locust"), "--only-summary", "--stop-timeout", "30",
        "--loglevel", "WARNING",
    ]  # fmt: skip
    print(
        f"locust: {contributors} contributors, {users - contributors} readers, 1 moderator, "
        f"{seconds} s, {workers} uvicorn workers, {os.cpu_count()} cores, load "
        f"{', '.join(f'{x:.1f}' for x in os.getloadavg())}",
        flush=True,
    )
    with (folder / "locust.log").open("wb") as log:
        subprocess.run(argv, env=env, stdout=log, stderr=subprocess.STDOUT, check=False)
    return folder / "locust_stats.csv"


def table(stats: Path) -> None:
    rows = [r for r in csv.DictReader(stats.open()) if r["Name"] != "Aggregated"]
    reference = next((float(r["50%"]) for r in rows if r["Name"] == REFERENCE), 0.0) or 1.0
    print(
        f"\n  {'route':44} {'requests':>8} {'failed':>6} {'p50 ms':>7} {'p95 ms':>7} {'p50/ref':>8}"
    )
    for row in sorted(rows, key=lambda r: (r["Type"] != "GET", r["Name"] != REFERENCE, r["Name"])):
        name = row["Name"]
        p50, p95 = float(row["50%"]), float(row["95%"])
        print(
            f"  {name[:44]:44} {row['Request Count']:>8} {row['Failure Count']:>6} "
            f"{p50:7.0f} {p95:7.0f} {p50 / reference:7.1f}x"
        )


def check(url: str, record: dict[str, Any], plan: dict[str, Any]) -> list[str]:
    """What went wrong: 5xx, unanswered requests, writes accepted but not stored (or
    stored but not acknowledged), writes without their audit row."""
    problems = []
    statuses: dict[str, dict[str, int]] = record["statuses"]
    by_class: Counter[str] = Counter()
    for name, counts in statuses.items():
        for status, count in counts.items():
            code = int(status)
            by_class["no answer" if code == 0 else f"{code // 100}xx"] += count
            if code == 0 or code >= 500:
                problems.append(f"{name}: {count} answers {status or '(none)'}")
    print("\nanswers: " + ", ".join(f"{k} {v}" for k, v in sorted(by_class.items())))
    accepted: dict[str, list[int]] = record["accepted"]
    in_doubt: dict[str, int] = record["in_doubt"]
    refused = {k: len(v) for k, v in accepted.items() if k.startswith("4xx")}
    if refused:
        print("writes refused (4xx): " + ", ".join(f"{k} {v}" for k, v in refused.items()))
    db = make_engine(url)
    users = [p["id"] for p in plan["contributors"]]
    with db.connect() as conn:
        stored = {
            "proposal": set(
                conn.execute(
                    sa.select(proposal.c.id).where(proposal.c.user_id.in_(users))
                ).scalars()
            ),
            "comment": set(conn.execute(sa.select(comment.c.id)).scalars()),
            "accepted": set(
                conn.execute(
                    sa.select(proposal.c.id).where(proposal.c.status == "accepted")
                ).scalars()
            ),
            "refused": set(
                conn.execute(
                    sa.select(proposal.c.id).where(proposal.c.status == "refused")
                ).scalars()
            ),
        }
        audited = {
            entity: Counter(
                conn.execute(
                    sa.select(change.c.entity_id).where(
                        change.c.entity == entity, change.c.action == "create"
                    )
                ).scalars()
            )
            for entity in ("proposal", "comment")
        }
    db.dispose()
    sent = {
        "proposal": accepted.get("proposal", []),
        "comment": accepted.get("comment", []) + accepted.get("reply", []),
        "accepted": accepted.get("accepted", []),
        "refused": accepted.get("refused", []),
    }
    print("\nwrites accepted by the server (client side) / found in the database:")
    for kind, ids in sent.items():
        found = stored[kind]
        line = f"  {kind:9} {len(ids):6} / {len(found):6}"
        if kind in audited:
            rows = audited[kind]
            line += f"   audit rows {sum(rows[i] for i in found):6}"
            missing_audit = [i for i in found if rows[i] != 1]
            if missing_audit:
                problems.append(f"{kind}: {len(missing_audit)} without exactly one audit row")
        print(line)
        if len(ids) != len(set(ids)):
            problems.append(f"{kind}: one id acknowledged twice")
        lost, extra = set(ids) - found, found - set(ids)
        doubt = in_doubt.get("comment" if kind == "comment" else kind, 0)
        if lost or len(extra) > doubt:
            problems.append(
                f"{kind}: {len(lost)} accepted but not stored, {len(extra)} stored "
                f"unacknowledged (answers never read: {doubt})"
            )
    print(f"  replies among the comments: {len(accepted.get('reply', []))}")
    if any(in_doubt.values()):  # users stopped by the end of the run while waiting
        print(
            "  writes whose answer was never read (stored or not): "
            + ", ".join(f"{k} {v}" for k, v in in_doubt.items() if v)
        )
    return problems


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--users", type=int, default=250, help="contributors and readers")
    parser.add_argument("--contributors", type=int, default=None, help="default: a fifth")
    parser.add_argument("--duration", default="5m", help="5m, 30s, 300 (seconds)")
    parser.add_argument("--quick", action="store_true", help="30 s on a smaller map")
    parser.add_argument("--workers", type=int, default=2, help="uvicorn worker processes")
    parser.add_argument("--actors", type=int, default=3000)
    parser.add_argument("--links", type=int, default=9000)
    parser.add_argument("--keep", action="store_true", help="keep the run's folder")
    args = parser.parse_args()
    if args.quick:
        args.duration, args.actors, args.links = "30s", 1000, 3000
    contributors = args.contributors if args.contributors is not None else args.users // 5
    seconds = duration_seconds(args.duration)
    folder = Path(tempfile.mkdtemp(prefix="maillage-load-"))
    os.chmod(folder, 0o700)  # the plan holds passwords and tokens
    server = start_server()
    portal = None
    try:
        url = create_database(server, "bench")
        build_map(url, args.actors, args.links)
        plan = make_plan(url, contributors)
        (folder / "plan.json").write_text(json.dumps(plan))
        port = free_port()
        portal = start_portal(url, port, args.workers, folder / "server.log")
        stats = run_locust(
            f"http://127.0.0.1:{port}", folder, args.users, contributors, seconds, args.workers
        )
        portal.terminate()
        portal.wait(timeout=30)
        portal = None
        table(stats)
        problems = check(url, json.loads((folder / "record.json").read_text()), plan)
    finally:
        if portal is not None:
            portal.kill()
        server.stop()
    if problems:
        print("\nFAILED:\n  " + "\n  ".join(problems))
        print(f"server log: {folder / 'server.log'}")
        raise SystemExit(1)
    print("\nno 5xx, no request unanswered, every accepted write stored once and audited")
    if not args.keep:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
