"""Benchmark of maillage.analysis and maillage.recommend on a generated map.

Generates a map with 4 worlds, heavy-tailed degrees (Chung-Lu ties between actors
with Pareto weights), département/commune codes, themes and years; times every
measure of ``analyse`` (betweenness sampled) against the bare igraph/leidenalg/numpy
calls on the same arrays, in the same process, and prints the ratio. Then times the
recommendation model (fit once) and one ``recommend_for_actor`` call.

    .venv/bin/python bench/analysis.py            # 100k actors, 400k links
    .venv/bin/python bench/analysis.py --big      # 1M actors, 4M links, peak memory
"""

from __future__ import annotations

import argparse
import datetime as dt
import resource
import time
from collections.abc import Callable
from typing import Any

import leidenalg
import numpy as np

from maillage.analysis import analyse, build_graph
from maillage.analysis.graph import WORLDS, ActorGraph
from maillage.model.records import ActorRecord, LinkRecord
from maillage.recommend import prepare, recommend_for_actor

THEMES = ["inclusion", "emploi", "sante", "mobilite", "education", "environnement"]


def generate(n: int, m: int, seed: int = 0) -> tuple[list[ActorRecord], list[LinkRecord]]:
    """A map of ``n`` actors and about ``m`` links with heavy-tailed degrees."""
    rng = np.random.default_rng(seed)
    weight = rng.pareto(1.8, n) + 1.0
    p = weight / weight.sum()
    src = rng.choice(n, size=m, p=p)
    dst = rng.choice(n, size=m, p=p)
    dep = rng.integers(1, 96, n)
    world = rng.choice(4, size=n, p=[0.35, 0.35, 0.15, 0.15])
    theme = rng.integers(0, len(THEMES), n)
    actors = [
        ActorRecord(
            name=f"Acteur {i}",
            id=i,
            world=WORLDS[world[i]],
            commune_code=f"{dep[i]:02d}{i % 900 + 100:03d}",
            digital_profile="native" if i % 10 == 0 else "traditional",
            themes=[THEMES[theme[i]]],
        )
        for i in range(n)
    ]
    years = rng.integers(2010, 2023, m)
    dates = {y: dt.date(int(y), 1, 1) for y in range(2010, 2023)}
    links = [
        LinkRecord(source_id=int(a), target_id=int(b), start_date=dates[int(y)])
        for a, b, y in zip(src, dst, years, strict=True)
        if a != b
    ]
    return actors, links


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    value = fn()
    return time.perf_counter() - start, value


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
    part = leidenalg.find_partition(
        ig, leidenalg.ModularityVertexPartition, seed=seed, n_iterations=2
    )
    ig.modularity(part.membership)
    return time.perf_counter() - start


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run(n: int, m: int, seed: int = 0) -> None:
    t_gen, (actors, links) = timed(lambda: generate(n, m, seed))
    print(f"generated {n:,} actors, {len(links):,} links in {t_gen:.1f} s")
    t_build, g = timed(lambda: build_graph(actors, links))
    print(f"build_graph: {t_build:.1f} s ({g.m:,} distinct ties)")
    t_bare = bare(g, 256, seed)
    t_ours, _ = timed(lambda: analyse(g, seed=seed, samples=256))
    print(f"analyse (all measures, betweenness sampled 256): {t_ours:.1f} s")
    print(f"bare igraph/leidenalg/numpy calls:               {t_bare:.1f} s")
    print(f"ratio: {t_ours / t_bare:.2f}x  (target <= 1.3x, < 30 s at 100k)")
    t_prep, _ = timed(lambda: prepare(g, seed=seed))
    print(f"recommend: pair context + model fit, once: {t_prep:.1f} s")
    hub = int(np.argmax(g.degree()))
    for label, who in (("median actor", n // 2), ("largest hub", hub)):
        t_rec, recs = timed(lambda w=who: recommend_for_actor(g, g.ids[w], top=10))
        print(
            f"recommend_for_actor ({label}, degree {g.degree()[who]}): {t_rec * 1000:.0f} ms,"
            f" {len(recs)} proposals"
        )
    print(f"peak memory (ru_maxrss): {peak_mib():,.0f} MiB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
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
