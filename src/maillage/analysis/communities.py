"""Communities of actors found with the Leiden algorithm.

Traag, Waltman & van Eck (2019), "From Louvain to Leiden: guaranteeing well-connected
communities", Scientific Reports 9:5233. Modularity is optimised with igraph's own
Leiden implementation (ten times faster than ``leidenalg`` on a heavy-tailed map of
100k actors, for the same modularity), its random numbers drawn from a generator
seeded for the call, so the same map and seed give the same communities.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Hashable
from typing import Any, NotRequired, TypedDict

import igraph as ig
import numpy as np

from maillage.analysis.graph import WORLDS, ActorGraph, IntArray


class CentralActor(TypedDict):
    """An actor with the most partners inside its community."""

    id: Hashable
    name: str
    partners: int


class Community(TypedDict):
    """One community and its composition (see :func:`communities`)."""

    id: int
    size: int
    worlds: dict[str, int]
    territories: dict[str, int]
    internal_ties: int
    cross_world_share: float
    central_actors: list[CentralActor]


class Communities(TypedDict):
    """The communities of a graph: how many, how modular, the largest described.

    An empty graph has no ``singletons`` key.
    """

    count: int
    singletons: NotRequired[int]
    modularity: float | None
    communities: list[Community]


def leiden(graph: ActorGraph, *, seed: int = 0, n_iterations: int = 2) -> IntArray:
    """Community index of every actor (modularity, Leiden, seeded)."""
    if graph.n == 0:
        return np.zeros(0, dtype=np.int64)
    ig.set_random_number_generator(random.Random(seed))
    try:
        partition = graph.graph.community_leiden(
            objective_function="modularity", n_iterations=n_iterations
        )
    finally:
        ig.set_random_number_generator(random)  # igraph's default generator
    return np.asarray(partition.membership, dtype=np.int64)


def communities(
    graph: ActorGraph, *, seed: int = 0, top: int = 20, central: int = 5
) -> Communities:
    """Leiden communities with their composition.

    Returns ``count``, ``modularity``, and the ``top`` largest communities (of two actors
    or more), each with its ``size``, ``worlds`` (actors per world), ``territories``
    (five most frequent main territories), ``cross_world_share`` of its internal ties
    and its ``central`` actors (most partners inside the community).
    """
    membership = leiden(graph, seed=seed)
    if graph.n == 0:
        return {"count": 0, "modularity": None, "communities": []}
    sizes = np.bincount(membership)
    inside = membership[graph.pair_src] == membership[graph.pair_dst]
    internal_deg = np.bincount(
        np.r_[graph.pair_src[inside], graph.pair_dst[inside]], minlength=graph.n
    )
    cross = graph.world[graph.pair_src] != graph.world[graph.pair_dst]
    ties = np.bincount(membership[graph.pair_src[inside]], minlength=len(sizes))
    cross_ties = np.bincount(membership[graph.pair_src[inside & cross]], minlength=len(sizes))
    order = [c for c in np.argsort(-sizes, kind="stable") if sizes[c] > 1][:top]
    members = _members(membership, order)
    described = [
        _describe(graph, int(c), members[int(c)], internal_deg, ties, cross_ties, central)
        for c in order
    ]
    return {
        "count": int((sizes > 1).sum()),
        "singletons": int((sizes == 1).sum()),
        "modularity": float(graph.graph.modularity(membership.tolist())) if graph.m else None,
        "communities": described,
    }


def _members(membership: IntArray, wanted: list[Any]) -> dict[int, IntArray]:
    order = np.argsort(membership, kind="stable")
    bounds = np.searchsorted(membership[order], [int(c) for c in wanted])
    ends = np.searchsorted(membership[order], [int(c) for c in wanted], side="right")
    return {int(c): order[b:e] for c, b, e in zip(wanted, bounds, ends, strict=True)}


def _describe(
    graph: ActorGraph,
    label: int,
    idx: IntArray,
    internal_deg: IntArray,
    ties: IntArray,
    cross_ties: IntArray,
    central: int,
) -> Community:
    worlds = np.bincount(graph.world[idx], minlength=len(WORLDS))
    territories = Counter(graph.territory[i] or "?" for i in idx).most_common(5)
    best = idx[np.argsort(-internal_deg[idx], kind="stable")[:central]]
    return {
        "id": label,
        "size": len(idx),
        "worlds": {WORLDS[w]: int(c) for w, c in enumerate(worlds) if c},
        "territories": dict(territories),
        "internal_ties": int(ties[label]),
        "cross_world_share": float(cross_ties[label] / ties[label]) if ties[label] else 0.0,
        "central_actors": [
            {"id": graph.ids[i], "name": graph.names[i], "partners": int(internal_deg[i])}
            for i in best
        ],
    }
