"""Benchmark of maillage.analysis and maillage.recommend on a generated map.

Generates a map with 4 worlds, heavy-tailed degrees (Chung-Lu ties between actors
with Pareto weights), commune and département codes, themes and years, writes it to
a fresh SQLite database (plain ``sqlite3``, not timed against anything) and then, in
the same process:

* loads the graph from the database (``services.analysis.load_graph``), next to a
  bare ``SELECT`` of the two link ends with ``sqlite3``;
* runs every measure of ``analyse`` (betweenness sampled) next to the bare
  igraph/numpy calls on the same graph, and prints the ratio;
* fits the recommendation model once (``prepare``), reads it back from a model store
  as a new process would, and times ``recommend_for_actor`` for a median actor and for
  the largest hub.

Peak memory is the process's ``ru_maxrss`` after each stage.

    .venv/bin/python bench/analysis.py            # 100k actors, 400k links
    .venv/bin/python bench/analysis.py --big      # 1M actors, 4M links
"""

from __future__ import annotations

import argparse
import random
import resource
import sqlite3
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import igraph
import numpy as np

from maillage.analysis import analyse
from maillage.analysis.graph import WORLDS, ActorGraph
from maillage.recommend import prepare, recommend_for_actor
from maillage.recommend.store import ModelStore
from maillage.services import database
from maillage.services.analysis import load_graph
from maillage.storage.engine import make_engine

THEMES = ["inclusion", "emploi", "sante", "mobilite", "education", "environnement"]
NOW = "2024-01-01 00:00:00.000000"


def generate(n: int, m: int, seed: int = 0) -> dict[str, np.ndarray[Any, Any]]:
    """Arrays of a map of ``n`` actors and about ``m`` links with heavy-tailed degrees."""
    rng = np.random.default_rng(seed)
    weight = rng.pareto(1.8, n) + 1.0
    p = weight / weight.sum()
    src, dst = rng.choice(n, size=m, p=p), rng.choice(n, size=m, p=p)
    keep = src != dst
    return {
        "world": rng.choice(4, size=n, p=[0.35, 0.35, 0.15, 0.15]),
        "dep": rng.integers(1, 96, n),
        "theme": rng.integers(0, len(THEMES), n),
        "src": src[keep],
        "dst": dst[keep],
        "year": rng.integers(2010, 2023, m)[keep],
    }


def write_db(path: Path, data: dict[str, np.ndarray[Any, Any]]) -> None:
    """A migrated SQLite database holding the generated map (ids start at 1)."""
    engine = make_engine(f"sqlite:///{path}")
    database.upgrade(db=engine)
    engine.dispose()
    con = sqlite3.connect(path)
    n = len(data["world"])
    con.executemany(
        "INSERT INTO actor (id, name, world, digital_profile, commune_code, extra, version,"
        " created_at, updated_at) VALUES (?, ?, ?, ?, ?, '{}', 1, ?, ?)",
        (
            (
                i + 1,
                f"Acteur {i}",
                WORLDS[w],
                "native" if i % 10 == 0 else "traditional",
                f"{d:02d}{i % 900 + 100:03d}",
                NOW,
                NOW,
            )
            for i, w, d in zip(range(n), data["world"].tolist(), data["dep"].tolist(), strict=True)
        ),
    )
    con.executemany(
        "INSERT INTO actor_theme (actor_id, theme) VALUES (?, ?)",
        ((i + 1, THEMES[t]) for i, t in enumerate(data["theme"].tolist())),
    )
    con.executemany(
        "INSERT INTO link (source_id, target_id, directed, kind, status, start_date, extra,"
        " version, created_at, updated_at) VALUES (?, ?, 0, 'partnership', 'active', ?, '{}',"
        " 1, ?, ?)",
        (
            (s + 1, t + 1, f"{y}-01-01", NOW, NOW)
            for s, t, y in zip(
                data["src"].tolist(), data["dst"].tolist(), data["year"].tolist(), strict=True
            )
        ),
    )
    con.commit()
    con.close()


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    value = fn()
    return time.perf_counter() - start, value


def bare_load(path: Path) -> float:
    """The bare driver call under ``load_graph``: both ends of every link, as tuples."""
    con = sqlite3.connect(path)
    start = time.perf_counter()
    con.execute("SELECT source_id, target_id FROM link").fetchall()
    elapsed = time.perf_counter() - start
    con.close()
    return elapsed


def bare(g: ActorGraph, samples: int, seed: int) -> float:
    """The library calls that ``analyse`` builds on, on the same graph."""
    ig = g.graph
    rng = np.random.default_rng(seed)
    start = time.perf_counter()
    ig.connected_components()
    np.bincount(g.world[g.pair_src] * 5 + g.world[g.pair_dst], minlength=25)
    ig.assortativity_nominal(g.world.tolist(), directed=False)
    ig.assortativity_degree(directed=False)
    sources = rng.choice(g.n, size=samples, replace=False).tolist()
    ig.betweenness(directed=False, sources=sources) if g.n > 20_000 else ig.betweenness()
    ig.constraint()
    ig.list_triangles()
    igraph.set_random_number_generator(random.Random(seed))
    part = ig.community_leiden(objective_function="modularity", n_iterations=2)
    igraph.set_random_number_generator(random)
    ig.modularity(part.membership)
    return time.perf_counter() - start


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run(n: int, m: int, seed: int = 0) -> None:
    t_gen, data = timed(lambda: generate(n, m, seed))
    print(f"generated {n:,} actors, {len(data['src']):,} links in {t_gen:.1f} s")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.sqlite"
        start = time.perf_counter()
        write_db(path, data)
        t_write = time.perf_counter() - start
        print(f"written to SQLite in {t_write:.1f} s")
        del data
        t_bare_load = bare_load(path)
        t_load, g = timed(lambda: load_graph(db=make_engine(f"sqlite:///{path}")))
    print(
        f"load_graph from the database: {t_load:.2f} s ({g.n:,} actors, {g.m:,} ties)"
        f"  [bare SELECT of link ends: {t_bare_load:.2f} s]  peak {peak_mib():,.0f} MiB"
    )
    t_bare = bare(g, 256, seed)
    t_ours, _ = timed(lambda: analyse(g, seed=seed, samples=256))
    print(f"analyse (all measures, betweenness sampled 256): {t_ours:.1f} s")
    print(f"bare igraph/numpy calls:                         {t_bare:.1f} s")
    print(
        f"ratio: {t_ours / t_bare:.2f}x  (target <= 1.3x, < 30 s at 100k)  "
        f"peak {peak_mib():,.0f} MiB"
    )
    with tempfile.TemporaryDirectory() as tmp:
        store = ModelStore(Path(tmp))
        t_prep, _ = timed(lambda: prepare(g, seed=seed, store=store))
        print(
            f"recommend: pair context + model fit, once: {t_prep:.1f} s  peak {peak_mib():,.0f} MiB"
        )
        g.cache.pop("recommend")  # as a new process would: the model is read back
        t_again, _ = timed(lambda: prepare(g, seed=seed, store=store))
        print(
            f"recommend: pair context + model read back from the store: {t_again:.1f} s"
            f"  ({t_again / t_prep:.2f}x the fit)"
        )
    degree = g.degree()
    median = int(np.argsort(degree, kind="stable")[g.n // 2])
    for label, who in (("median actor", median), ("largest hub", int(np.argmax(degree)))):
        t_rec, recs = timed(lambda w=who: recommend_for_actor(g, g.ids[w], top=10))
        print(
            f"recommend_for_actor ({label}, degree {degree[who]}): {t_rec * 1000:.0f} ms,"
            f" {len(recs)} proposals"
        )
    print(f"peak memory (ru_maxrss): {peak_mib():,.0f} MiB")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--big", action="store_true", help="1M actors, 4M links")
    parser.add_argument("--actors", type=int, default=100_000)
    parser.add_argument("--links", type=int, default=400_000)
    args = parser.parse_args()
    if args.big:
        run(1_000_000, 4_000_000)
    else:
        run(args.actors, args.links)


if __name__ == "__main__":
    main()
