"""Portal speed on a generated map of 100k actors and 400k links.

1. Actor and territory pages and their JSON twins under 8 concurrent clients on loopback:
   median and p95 per kind of page, and the ratio to a static file served by the same
   server to the same clients in the same run (the framework's floor).
2. The analysis a territory page fetches (its measures and recommendations, HTML fragment
   and JSON; its brokers table and white-zone proposals, HTML fragment and JSON) for every
   région and département, under the same clients, for the first requests after the
   server starts once its background computation is done (a restart: the answers are
   read back from disk), against the same static file; the communes' analysis, computed
   on demand, apart. Before that, the time from a cold start (no fitted model, no
   persisted answers: ``var/bench-cache`` emptied, ``--keep-cache`` keeps it) to the
   first complete recommendations of a département, and to the whole background
   computation (every région and département, in French and English), then from a
   restart to the same.
3. The network view of the largest département (5,000 actors: the generated map puts
   exactly the most a view draws without aggregation in one) in headless Chromium: time
   from navigation to a drawn graph that answers a click, cold (layout computed) and
   warm (layout cached).

The map is built once through the import services (audited, indexed) and kept in
``var/bench-portal.sqlite``; ``--rebuild`` builds it again.

    .venv/bin/python bench/portal.py [--actors 100000] [--links 400000] [--requests 1600]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa

from maillage.model.records import ActorRecord, LinkRecord
from maillage.services import database, importing
from maillage.services.portal.view import VIEW_LIMIT
from maillage.storage.engine import make_engine
from maillage.storage.tables import actor, territory

WORLDS = ["economic", "associative", "public", "academic"]
KINDS = ["partnership", "funding", "joint_project", "exchange_of_practice", "membership"]
DEFAULT_DB = Path("var/bench-portal.sqlite")
CACHE = Path("var/bench-cache")  # fitted models and persisted analysis of the bench
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


def communes_by_departement(db: sa.Engine) -> dict[str, list[str]]:
    query = sa.select(territory.c.code, territory.c.parent_code).where(
        territory.c.level == "commune", territory.c.parent_code.like("DEP:%")
    )
    out: dict[str, list[str]] = {}
    with db.connect() as conn:
        for code, parent in conn.execute(query):
            out.setdefault(parent, []).append(code[4:])
    return out


def generate(
    n: int, m: int, communes: dict[str, list[str]], largest: int = VIEW_LIMIT
) -> tuple[list[ActorRecord], list[LinkRecord]]:
    """Actors spread over départements with Zipf weights, the largest holding exactly
    ``largest`` of them (the network view of the bench: the most a view draws without
    aggregation); links mostly inside a département, dated 2010-2024."""
    rng = random.Random(1)
    deps = sorted(communes)
    rng.shuffle(deps)
    weights = [1 / (rank + 1) ** 0.5 for rank in range(1, len(deps))]
    largest = min(largest, n)
    placed = [deps[0]] * largest + rng.choices(deps[1:], weights=weights, k=n - largest)
    rng.shuffle(placed)
    actors = [
        ActorRecord(
            name=f"Acteur {i} {rng.choice(['médiation', 'emploi', 'santé', 'tiers-lieu'])}",
            key=f"a{i}",
            world=WORLDS[i % 4],
            commune_code=rng.choice(communes[dep]),
            themes=[rng.choice(["inclusion-numerique", "emploi-insertion", "sante"])],
        )
        for i, dep in enumerate(placed)
    ]
    members: dict[str, list[int]] = {}
    for i, dep in enumerate(placed):
        members.setdefault(dep, []).append(i)
    links, seen = [], set()
    while len(links) < m:
        a = rng.randrange(n)
        b = rng.choice(members[placed[a]]) if rng.random() < 0.7 else rng.randrange(n)
        year = rng.randint(2010, 2024)
        if a == b or (a, b, year) in seen:
            continue
        seen.add((a, b, year))
        links.append(
            LinkRecord(
                source_key=f"a{a}",
                target_key=f"a{b}",
                kind=rng.choice(KINDS),
                start_date=dt.date(year, 1, 1),
            )
        )
    return actors, links


def build(path: Path, n: int, m: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    db = make_engine(f"sqlite:///{path}")
    database.upgrade(db=db)
    actors, links = generate(n, m, communes_by_departement(db))
    started = time.perf_counter()
    importing.import_actors(db=db, records=actors, source="bench")
    importing.import_links(db=db, records=links, source="bench")
    print(f"built {n} actors and {m} links in {time.perf_counter() - started:.0f} s -> {path}")
    db.dispose()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(path: Path, port: int, workers: int) -> subprocess.Popen[bytes]:
    """``maillage serve`` on ``path`` in its own process(es), its models and analysis
    kept in :data:`CACHE`."""
    code = "import sys; from maillage.cli.web import serve_command; serve_command(sys.argv[1:])"
    argv = ["--db", str(path), "--port", str(port), "--workers", str(workers)]
    env = {**os.environ, "MAILLAGE_CACHE_DIR": str(CACHE.resolve())}
    process = subprocess.Popen(
        [sys.executable, "-c", code, *argv],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    for _ in range(200):
        try:
            httpx.get(f"http://127.0.0.1:{port}/static/favicon.svg", timeout=1)
            return process
        except httpx.HTTPError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("server did not start")


def targets(path: Path, count: int) -> dict[str, list[str]]:
    """URLs per kind: actor pages, territory pages and their JSON twins. Territories are
    every département and distinct communes with actors, each asked once per pass (a
    first pass finds the page cache empty; the second, warm, pass asks them again)."""
    rng = random.Random(2)
    db = make_engine(f"sqlite:///{path}")
    with db.connect() as conn:
        top = conn.execute(sa.select(sa.func.max(actor.c.id))).scalar_one()
        communes = list(conn.execute(sa.select(actor.c.commune_code).distinct()).scalars())
        deps = list(
            conn.execute(
                sa.select(territory.c.code).where(territory.c.level == "departement")
            ).scalars()
        )
    db.dispose()
    ids = [rng.randint(1, top) for _ in range(count)]
    places = deps + ["COM:" + c for c in rng.sample(communes, max(0, count - len(deps)))]
    rng.shuffle(places)
    return {
        "static file (reference)": ["/static/favicon.svg"] * count,
        "actor page": [f"/actors/{i}" for i in ids],
        "actor JSON": [f"/api/actors/{i}" for i in ids],
        "territory page, cold": [f"/territories/{p}" for p in places],
        "territory page, warm": [f"/territories/{p}" for p in places],
        "territory JSON, cold": [f"/api/territories/{p}?lang=en" for p in places],
        "territory JSON, warm": [f"/api/territories/{p}?lang=en" for p in places],
    }


async def hammer(base: str, urls: list[str], clients: int) -> list[float]:
    """Fetch ``urls`` with ``clients`` concurrent loops; return each latency in ms."""
    queue: asyncio.Queue[str] = asyncio.Queue()
    for url in urls:
        queue.put_nowait(url)
    times: list[float] = []

    async def worker(client: httpx.AsyncClient) -> None:
        while not queue.empty():
            url = queue.get_nowait()
            started = time.perf_counter()
            response = await client.get(base + url)
            times.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, (url, response.status_code)

    async with httpx.AsyncClient(timeout=60) as client:
        await asyncio.gather(*(worker(client) for _ in range(clients)))
    return times


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[18]


def bench_pages(base: str, path: Path, requests: int, clients: int) -> None:
    print(
        f"\n{clients} concurrent clients, {requests} requests per kind, {os.cpu_count()} cores, "
        f"load {', '.join(f'{x:.1f}' for x in os.getloadavg())}"
    )
    reference: float | None = None
    for kind, urls in targets(path, requests).items():
        if "territory" not in kind:
            asyncio.run(hammer(base, urls[: clients * 2], clients))  # warm-up
        times = asyncio.run(hammer(base, urls, clients))
        median = statistics.median(times)
        reference = reference or median
        print(
            f"  {kind:24} median {median:7.1f} ms  p95 {p95(times):7.1f} ms  ({median / reference:5.1f}x reference)"
        )


def precomputed(path: Path) -> list[str]:
    """The régions and départements with actors (the analysis computes them in the
    background), and communes with actors (computed on demand)."""
    db = make_engine(f"sqlite:///{path}")
    commune = territory.alias("commune")
    dep = territory.alias("dep")
    query = (
        sa.select(commune.c.parent_code, dep.c.parent_code)
        .select_from(
            actor.join(commune, commune.c.code == sa.literal("COM:") + actor.c.commune_code).join(
                dep, dep.c.code == commune.c.parent_code
            )
        )
        .distinct()
    )
    with db.connect() as conn:
        pairs = conn.execute(query).all()
    db.dispose()
    return sorted({d for d, _ in pairs} | {r for _, r in pairs if r})


def communes_with_actors(path: Path, count: int) -> list[str]:
    db = make_engine(f"sqlite:///{path}")
    with db.connect() as conn:
        codes = list(conn.execute(sa.select(actor.c.commune_code).distinct()).scalars())
    db.dispose()
    return ["COM:" + c for c in random.Random(3).sample(sorted(codes), min(count, len(codes)))]


def analysis_state(base: str) -> dict[str, Any]:
    found: dict[str, Any] = httpx.get(f"{base}/healthz", timeout=30).json().get("analysis") or {}
    return found


def until_done(base: str, started: float, code: str, workers: int) -> dict[str, float]:
    """Seconds from ``started`` to the first complete recommendations of ``code`` and to
    the whole background computation (every worker process saying so)."""
    out: dict[str, float] = {}
    seen = 0
    while True:
        if "first" not in out:
            answer = httpx.get(f"{base}/api/territories/{code}/analysis", timeout=60).json()
            if answer["status"] == "ready" and not answer["fresher"]:
                out["first"] = time.perf_counter() - started
        state = analysis_state(base)
        seen = seen + 1 if state.get("done") else 0
        if state.get("failed"):
            raise RuntimeError(f"the analysis failed: {state['failed']}")
        if seen >= 4 * workers and "first" in out:  # every worker, most likely
            out["done"] = time.perf_counter() - started
            return out
        time.sleep(0.5)


def bench_analysis(base: str, path: Path, requests: int, clients: int) -> None:
    """The analysis fragments and JSON of every région and département (each asked in
    turn until ``requests``), then communes' (on demand)."""
    codes = precomputed(path)
    print(
        f"\nterritory analysis, {len(codes)} régions and départements, first requests after a "
        f"restart (answers read back from disk), {clients} clients"
    )
    static = ["/static/favicon.svg"] * requests
    asyncio.run(hammer(base, static[: clients * 2], clients))
    ref = statistics.median(asyncio.run(hammer(base, static, clients)))
    print(f"  {'static file (reference)':32} median {ref:7.1f} ms")
    turns = [codes[i % len(codes)] for i in range(requests)]
    kinds = {
        "analysis fragment (fr)": [f"/territories/{c}/analysis" for c in turns],
        "analysis JSON (en)": [f"/api/territories/{c}/analysis?lang=en" for c in turns],
        "brokers fragment (fr)": [f"/territories/{c}/brokers/part" for c in turns],
        "brokers JSON (en)": [f"/api/territories/{c}/brokers?lang=en" for c in turns],
    }
    worst = 0.0
    for kind, urls in kinds.items():
        times, pending = asyncio.run(hammer_pending(base, urls, clients))
        worst = max(worst, p95(times))
        print(
            f"  {kind:32} median {statistics.median(times):7.1f} ms  p95 {p95(times):7.1f} ms  "
            f"({statistics.median(times) / ref:5.1f}x reference)  pending {pending}"
        )
    print(
        f"  target p95 < 300 ms: {'met' if worst < 300 else 'NOT met'} (worst p95 {worst:.0f} ms)"
    )
    communes = communes_with_actors(path, min(200, requests))
    urls = [f"/api/territories/{c}/analysis" for c in communes]
    times, pending = asyncio.run(hammer_pending(base, urls, clients))
    print(
        f"  {'communes (on demand), JSON':32} median {statistics.median(times):7.1f} ms  "
        f"p95 {p95(times):7.1f} ms  ({statistics.median(times) / ref:5.1f}x reference)  "
        f"pending {pending} of {len(urls)}"
    )


async def hammer_pending(base: str, urls: list[str], clients: int) -> tuple[list[float], int]:
    """As :func:`hammer`, counting the answers still pending (JSON or HTML)."""
    queue: asyncio.Queue[str] = asyncio.Queue()
    for url in urls:
        queue.put_nowait(url)
    times: list[float] = []
    pending = 0
    failed: list[str] = []

    async def worker(client: httpx.AsyncClient) -> None:
        nonlocal pending
        while not queue.empty():
            url = queue.get_nowait()
            started = time.perf_counter()
            try:
                response = await client.get(base + url)
            except httpx.HTTPError as exc:  # a worker process lost: said, not hidden
                failed.append(f"{url}: {type(exc).__name__}")
                continue
            times.append((time.perf_counter() - started) * 1000)
            if response.status_code != 200:
                failed.append(f"{url}: {response.status_code}")
                continue
            text = response.text
            if '"status":"pending"' in text or 'data-state="pending"' in text:
                pending += 1

    async with httpx.AsyncClient(timeout=60) as client:
        await asyncio.gather(*(worker(client) for _ in range(clients)))
    if failed:
        print(f"  {len(failed)} requests failed, first: {failed[0]}")
    return times, pending


def bench_start(path: Path, workers: int, keep_cache: bool) -> None:
    """Cold start to complete recommendations, then a restart to the same."""
    code, count = largest_departement(path, below=VIEW_LIMIT)
    if not keep_cache:
        shutil.rmtree(CACHE, ignore_errors=True)
    print(
        f"\nbackground analysis ({workers} worker processes; recommendations of {code}, {count} actors)"
    )
    first = "start (cache kept)" if keep_cache else "cold start (no model, no answers)"
    for label in (first, "restart (answers on disk)"):
        port = free_port()
        started = time.perf_counter()
        server = start_server(path, port, workers)
        try:
            t = until_done(f"http://127.0.0.1:{port}", started, code, workers)
        finally:
            server.terminate()
            server.wait(timeout=30)
        print(
            f"  {label:34} first complete recommendations {t['first']:6.1f} s, "
            f"every région and département (fr, en) {t['done']:6.1f} s"
        )


def largest_departement(path: Path, below: int) -> tuple[str, int]:
    """The département with the most actors, up to ``below`` (drawn without aggregation)."""
    db = make_engine(f"sqlite:///{path}")
    commune = territory.alias("commune")
    query = (
        sa.select(commune.c.parent_code, sa.func.count())
        .select_from(
            actor.join(commune, commune.c.code == sa.literal("COM:") + actor.c.commune_code)
        )
        .group_by(commune.c.parent_code)
        .having(sa.func.count() <= below)
        .order_by(sa.func.count().desc())
        .limit(1)
    )
    with db.connect() as conn:
        code, count = conn.execute(query).one()
    db.dispose()
    return str(code), int(count)


def network_timings(page: Any, url: str) -> dict[str, Any]:
    """Seconds from navigation to: nodes drawn and clickable, links drawn, a click answered."""
    started = time.perf_counter()
    page.goto(url)
    page.wait_for_selector("#network[data-state=ready]", timeout=120_000)
    page.evaluate(
        "() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))"
    )
    drawn = time.perf_counter() - started
    node = page.evaluate("() => window.maillage.network.graph.nodes()[0]")
    page.evaluate("(key) => window.maillage.network.renderer.emit('clickNode', {node: key})", node)
    page.wait_for_selector(f"#network[data-selected='{node}']", timeout=60_000)
    answered = time.perf_counter() - started
    page.wait_for_selector("#network[data-edges=drawn]", timeout=120_000)
    links = time.perf_counter() - started
    size = page.evaluate(
        "() => [window.maillage.network.graph.order, window.maillage.network.graph.size]"
    )
    return {"drawn": drawn, "answered": answered, "links": links, "size": size}


def bench_network(base: str, path: Path) -> None:
    from playwright.sync_api import sync_playwright

    code, count = largest_departement(path, below=VIEW_LIMIT)
    print(f"\nnetwork view of {code} ({count} actors) in headless Chromium (software WebGL)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
        )
        for label in ("cold (layout computed)", "warm (layout cached)"):
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            t = network_timings(page, f"{base}/embed/network?territory={code}")
            print(
                f"  {label:24} nodes drawn and clickable {t['drawn']:5.2f} s, click answered "
                f"{t['answered']:5.2f} s, links drawn {t['links']:5.2f} s "
                f"({t['size'][0]} nodes, {t['size'][1]} links)"
            )
            page.close()
        browser.close()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--actors", type=int, default=100_000)
    parser.add_argument("--links", type=int, default=400_000)
    parser.add_argument("--requests", type=int, default=1600)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2, help="uvicorn worker processes")
    parser.add_argument("--db", type=Path, default=DEFAULT_DB)
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--no-browser", action="store_true")
    parser.add_argument("--keep-cache", action="store_true", help="start with the cache kept")
    parser.add_argument("--only-analysis", action="store_true", help="skip the other pages")
    args = parser.parse_args()
    if args.rebuild or not args.db.exists():
        build(args.db, args.actors, args.links)
    else:  # a map built by an older version: bring its schema up to date
        engine = make_engine(f"sqlite:///{args.db}")
        database.upgrade(db=engine)
        engine.dispose()
    bench_start(args.db, args.workers, args.keep_cache)
    port = free_port()
    started = time.perf_counter()
    server = start_server(args.db, port, args.workers)
    base = f"http://127.0.0.1:{port}"
    try:
        until_done(base, started, largest_departement(args.db, VIEW_LIMIT)[0], args.workers)
        bench_analysis(base, args.db, args.requests, args.clients)
        if not args.only_analysis:
            bench_pages(base, args.db, args.requests, args.clients)
        if not args.no_browser and not args.only_analysis:
            bench_network(base, args.db)
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    main()
