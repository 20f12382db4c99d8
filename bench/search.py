"""Resource search speed: the service layer (words + facets + counts + passages) against
bare full-text queries of the same words, in the same run.

Loads the 101,793 documents of ``shared/data/resources/fr-legal-admin-search-benchmark``
(``documents.jsonl.gz``) as resources (type guide; theme = the collection; year from the
date; licence by source package), then runs the same one- to three-word French queries,
drawn (seeded) from the documents' titles, each with one facet filter (type, year,
licence or theme of the document it was drawn from), through
:func:`maillage.services.resources.search_resources` (page of 20, counts over every
match, highlighted passages) and as bare queries of the same words: ranked (FTS5
``MATCH … ORDER BY bm25 LIMIT 20``, PostgreSQL ``tsv @@ q ORDER BY ts_rank LIMIT 20``)
and unranked (the same without ORDER BY), and every match unranked (what counting the
matches by facet reads at least). Prints p50 and p99 of each and the ratios.
Targets (SQLite): p99 < 20 ms, at most 1.5x bare FTS5.

    PYTHONPATH=src python bench/search.py [--queries 1000] [--postgresql] [--limit N]
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

from maillage.io.resources import ResourceRecord
from maillage.model.text import search_tokens
from maillage.services import database
from maillage.services import resources as service
from maillage.storage.engine import make_engine

HERE = Path(__file__).resolve().parent
CORPUS = HERE.parent.parent / "shared/data/resources/fr-legal-admin-search-benchmark"
LICENCES = {"kali": "Apache-2.0", "legi": "Apache-2.0", "travail-emploi": "Apache-2.0"}


def records(path: Path, limit: int | None) -> list[ResourceRecord]:
    found = []
    with gzip.open(path, "rt", encoding="utf-8") as lines:
        for line in lines:
            doc = json.loads(line)
            date = None
            if doc.get("date"):
                try:
                    date = dt.date.fromisoformat(str(doc["date"])[:10])
                except ValueError:
                    date = None
            found.append(ResourceRecord(
                type="guide", title=(doc.get("title") or doc["id"])[:500], body=doc["text"],
                date=date, licence=LICENCES.get(doc["source"], "MIT"), url=doc.get("url"),
                themes=[doc["collection"][:100]] if doc.get("collection") else [],
                source=doc["source"], source_ref=doc["id"],
            ))  # fmt: skip
            if limit and len(found) == limit:
                break
    return found


def queries(
    docs: list[ResourceRecord], count: int, seed: int = 7
) -> list[tuple[str, dict[str, list[str]]]]:
    """``count`` (words, one facet filter) drawn from the documents' titles."""
    rng = random.Random(seed)
    drawn = []
    while len(drawn) < count:
        doc = rng.choice(docs)
        words = [w for w in doc.title.split() if len(w) > 3 and search_tokens(w)]
        if not words:
            continue
        n = min(len(words), rng.choice((1, 2, 3)))
        start = rng.randrange(len(words) - n + 1)
        facet = rng.choice(("type", "year", "licence", "theme"))
        value = {
            "type": doc.type,
            "year": str(doc.date.year) if doc.date else None,
            "licence": doc.licence,
            "theme": doc.themes[0] if doc.themes else None,
        }[facet]
        drawn.append((" ".join(words[start : start + n]), {facet: [value]} if value else {}))
    return drawn


def bare(conn: sa.Connection, words: list[str], *, ranked: bool, every: bool = False) -> None:
    """The bare query of the same words: the first 20 matches, by the engine's rank
    (``ranked``: FTS5 bm25, ts_rank) or as the index gives them; ``every``: every match,
    unranked (the least a search that counts its matches by facet reads)."""
    limit = "" if every else "LIMIT 20"
    if conn.dialect.name == "sqlite":
        match = " ".join('"' + w + '"' for w in words)
        order = "ORDER BY bm25(resource_fts) " if ranked else ""
        conn.exec_driver_sql(f"SELECT rowid FROM resource_fts WHERE resource_fts MATCH ? "
                             f"{order}{limit}", (match,)).all()  # fmt: skip
    else:
        order = "ORDER BY ts_rank(tsv, q) DESC " if ranked else ""
        conn.execute(sa.text(f"SELECT resource_id FROM resource_search, "
                             f"to_tsquery('simple', :q) q WHERE tsv @@ q {order}{limit}"),
                     {"q": " & ".join(words)}).all()  # fmt: skip


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def run(
    url: str, docs: list[ResourceRecord], drawn: list[tuple[str, dict[str, list[str]]]]
) -> dict[str, float]:
    db = make_engine(url)
    database.upgrade(db=db)
    started = time.perf_counter()
    service.store_records(db=db, records=docs, label="bench")
    loaded = time.perf_counter() - started
    if db.dialect.name == "postgresql":  # what autovacuum does after a bulk load: the GIN
        # pending list merged, the planner's statistics read (else a bare query seq-scans)
        with db.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE resource_search")
            conn.exec_driver_sql("VACUUM ANALYZE resource")
    service.search_resources(db=db, query="travail")  # facet table read once, caches warm
    served: list[float] = []
    raw: list[float] = []
    unranked: list[float] = []
    every: list[float] = []
    hits = 0
    with db.connect() as conn:
        for text, filters in drawn:  # the same query each way, in turn
            words = search_tokens(text).split()
            t0 = time.perf_counter()
            page = service.search_resources(db=db, query=text, filters=filters)
            t1 = time.perf_counter()
            bare(conn, words, ranked=True)
            t2 = time.perf_counter()
            bare(conn, words, ranked=False)
            t3 = time.perf_counter()
            bare(conn, words, ranked=False, every=True)
            t4 = time.perf_counter()
            served.append((t1 - t0) * 1000)
            raw.append((t2 - t1) * 1000)
            unranked.append((t3 - t2) * 1000)
            every.append((t4 - t3) * 1000)
            hits += page.total
    db.dispose()
    return {"load_s": loaded, "service_p50": statistics.median(served),
            "service_p99": pct(served, 99), "bare_p50": statistics.median(raw),
            "bare_p99": pct(raw, 99), "unranked_p50": statistics.median(unranked),
            "unranked_p99": pct(unranked, 99), "every_p50": statistics.median(every),
            "every_p99": pct(every, 99), "mean_hits": hits / len(drawn)}  # fmt: skip


def show(engine: str, r: dict[str, float], docs: int) -> None:
    print(
        f"{engine}: {docs} documents loaded in {r['load_s']:.0f} s; mean matches {r['mean_hits']:.0f}"
    )
    print(
        f"  service (words + facet filter + counts + passages): p50 {r['service_p50']:.2f} ms, "
        f"p99 {r['service_p99']:.2f} ms"
    )
    print(
        f"  bare full-text query of the same words, ranked:     p50 {r['bare_p50']:.2f} ms, "
        f"p99 {r['bare_p99']:.2f} ms"
    )
    print(
        f"  bare full-text query of the same words, unranked:   p50 {r['unranked_p50']:.2f} ms, "
        f"p99 {r['unranked_p99']:.2f} ms"
    )
    print(
        f"  bare full-text query of the same words, every match: p50 {r['every_p50']:.2f} ms, "
        f"p99 {r['every_p99']:.2f} ms"
    )
    print(f"  ratio service / bare, every match: p50 {r['service_p50'] / r['every_p50']:.2f}x, "
          f"p99 {r['service_p99'] / r['every_p99']:.2f}x")  # fmt: skip
    print(f"  ratio service / bare ranked: p50 {r['service_p50'] / r['bare_p50']:.2f}x, "
          f"p99 {r['service_p99'] / r['bare_p99']:.2f}x; service / bare unranked: "
          f"p50 {r['service_p50'] / r['unranked_p50']:.2f}x, "
          f"p99 {r['service_p99'] / r['unranked_p99']:.2f}x")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=CORPUS / "documents.jsonl.gz")
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--limit", type=int, default=None, help="first N documents only")
    parser.add_argument("--postgresql", action="store_true", help="PostgreSQL figures beside")
    parser.add_argument("--no-sqlite", action="store_true", help="PostgreSQL only")
    args = parser.parse_args()
    docs = records(args.corpus, args.limit)
    drawn = queries(docs, args.queries)
    if not args.no_sqlite:
        with tempfile.TemporaryDirectory() as folder:
            show("SQLite FTS5", run(f"sqlite:///{folder}/bench.sqlite", docs, drawn), len(docs))
    if args.postgresql:
        sys.path.insert(0, str(HERE.parent / "tests"))
        from pgserver import start_server

        server = start_server()
        try:
            admin = sa.create_engine(server.url, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.exec_driver_sql("CREATE DATABASE bench")
            admin.dispose()
            show("PostgreSQL tsvector", run(server.database_url("bench"), docs, drawn), len(docs))
        finally:
            server.stop()


if __name__ == "__main__":
    main()
