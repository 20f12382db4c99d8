"""Brokers: who sits between others, and between which worlds.

* Betweenness (Freeman 1977; Brandes 2001 algorithm through igraph): exact up to
  ``exact_max`` actors; above, the source-sampling estimator of Brandes & Pich (2007):
  shortest paths from ``k`` sources drawn uniformly with a seed, scaled by ``n / k``.
  The sample size is reported.
* Constraint (Burt 1992, *Structural Holes*): igraph's ``constraint``, unweighted;
  undefined (``None``) for isolated actors.
* Effective size (Burt 1992) with Borgatti's (1997) shortcut for undirected unweighted
  ties: ``n - 2t/n`` for ``n`` partners and ``t`` ties among them.
* Brokerage roles (Gould & Fernandez 1989) with worlds as groups. A broker ``v`` sits on
  an open 2-path ``a - v - b`` (``a`` and ``b`` not tied). Ties are undirected, so each
  open pair is read in both directions (``a->v->b`` and ``b->v->a``), as R's
  ``sna::brokerage`` does on a symmetrised graph. Hence coordinator, itinerant and
  liaison count 2 per open pair, and an open pair with one end in the broker's world
  and the other outside counts once as representative and once as gatekeeper.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from typing import TypedDict

import numpy as np

from maillage.analysis.graph import WORLDS, ActorGraph, BoolArray, FloatArray, IntArray

ROLES: tuple[str, ...] = ("coordinator", "itinerant", "representative", "gatekeeper", "liaison")


class Broker(TypedDict):
    """An actor of a top list of :func:`brokers`, with its score in that list."""

    id: Hashable
    name: str
    world: str
    score: float
    constraint: float | None
    effective_size: float | None


class Brokers(TypedDict):
    """Brokers of a graph, summarised (see :func:`brokers`)."""

    betweenness_sample: int | None
    betweenness_exact: bool
    top_betweenness: list[Broker]
    top_cross_world_brokers: list[Broker]
    roles_by_world: dict[str, dict[str, int]]
    constraint_by_world: dict[str, float | None]
    effective_size_by_world: dict[str, float | None]


class BrokerRow(TypedDict):
    """One actor of a brokers table (see :func:`broker_rows`): its betweenness, Burt's
    constraint and effective size (``None`` for an isolated actor), its Gould-Fernandez
    role counts by :data:`ROLES` code and ``cross_world``, the sum of the four roles
    that join two worlds (all but coordinator)."""

    id: Hashable
    name: str
    world: str
    partners: int
    betweenness: float
    constraint: float | None
    effective_size: float | None
    roles: dict[str, int]
    cross_world: int


@dataclass(frozen=True, slots=True)
class BrokerMeasures:
    """Per-actor measures of one graph, in vertex order (see :func:`broker_measures`)."""

    betweenness: FloatArray
    betweenness_sample: int | None
    constraint: FloatArray
    effective_size: FloatArray
    roles: FloatArray
    degree: IntArray


def betweenness(
    graph: ActorGraph, *, exact_max: int = 20_000, samples: int = 256, seed: int = 0
) -> tuple[FloatArray, int | None]:
    """Betweenness of every actor and the number of sampled sources (``None`` if exact)."""
    g = graph.graph
    if graph.n <= exact_max or samples >= graph.n:
        return np.asarray(g.betweenness(directed=False), dtype=np.float64), None
    rng = np.random.default_rng(seed)
    sources = np.sort(rng.choice(graph.n, size=samples, replace=False))
    partial = np.asarray(g.betweenness(directed=False, sources=sources.tolist()))
    return partial * (graph.n / samples), samples


def constraint(graph: ActorGraph) -> FloatArray:
    """Burt's constraint per actor (NaN for isolated actors)."""
    values = np.asarray(graph.graph.constraint(), dtype=np.float64)
    values[graph.degree() == 0] = np.nan
    return values


def triangles(graph: ActorGraph) -> IntArray:
    """All triangles as an ``(t, 3)`` array of vertex indices."""
    found = graph.graph.list_triangles()
    return np.asarray(found, dtype=np.int64).reshape(-1, 3)


def effective_size(graph: ActorGraph, tri: IntArray | None = None) -> FloatArray:
    """Burt's effective size with Borgatti's shortcut (NaN for isolated actors)."""
    tri = triangles(graph) if tri is None else tri
    t = np.bincount(tri.ravel(), minlength=graph.n).astype(np.float64)
    deg = graph.degree().astype(np.float64)
    out = np.full(graph.n, np.nan)
    ok = deg > 0
    out[ok] = deg[ok] - 2.0 * t[ok] / deg[ok]
    return out


def open_pairs(graph: ActorGraph, tri: IntArray | None = None) -> FloatArray:
    """Per broker, the number of open pairs of partners by pair of worlds.

    Returns an ``(n, k, k)`` array (``k`` = number of worlds) symmetric in its last two
    axes; entry ``[v, g, h]`` counts unordered pairs {a, b} of ``v``'s partners with
    ``a`` in ``g`` and ``b`` in ``h`` that are not tied to each other.
    """
    k = len(WORLDS)
    world = graph.world
    ends = np.r_[graph.pair_src, graph.pair_dst]
    other = np.r_[graph.pair_dst, graph.pair_src]
    c = np.bincount(ends * k + world[other], minlength=graph.n * k).reshape(graph.n, k)
    pairs = np.einsum("vg,vh->vgh", c, c).astype(np.float64)
    diag = np.arange(k)
    pairs[:, diag, diag] = c * (c - 1) / 2.0
    tri = triangles(graph) if tri is None else tri
    closed = np.zeros(graph.n * k * k)
    for broker, a, b in ((0, 1, 2), (1, 0, 2), (2, 0, 1)):
        wa, wb = world[tri[:, a]], world[tri[:, b]]
        lo, hi = np.minimum(wa, wb), np.maximum(wa, wb)
        closed += np.bincount(tri[:, broker] * k * k + lo * k + hi, minlength=graph.n * k * k)
    closed_m = closed.reshape(graph.n, k, k)
    upper = closed_m + np.transpose(closed_m, (0, 2, 1))
    upper[:, diag, diag] = closed_m[:, diag, diag]
    return np.asarray(pairs - upper, dtype=np.float64)


def brokerage_roles(graph: ActorGraph, tri: IntArray | None = None) -> FloatArray:
    """Gould-Fernandez role counts per actor, an ``(n, 5)`` array in :data:`ROLES` order."""
    opened = open_pairs(graph, tri)
    k = len(WORLDS)
    own = graph.world
    rows = np.arange(graph.n)
    same = opened[rows, own, own]
    diag_total = np.einsum("vgg->v", opened)
    row_own = opened[rows, own, :].sum(axis=1) - same
    all_total = np.triu(np.ones((k, k))) * 1.0
    total = np.einsum("vgh,gh->v", opened, all_total)
    liaison = total - diag_total - row_own
    roles = np.column_stack([2 * same, 2 * (diag_total - same), row_own, row_own, 2 * liaison])
    return np.asarray(roles, dtype=np.float64)


def brokers(
    graph: ActorGraph, *, exact_max: int = 20_000, samples: int = 256, seed: int = 0, top: int = 10
) -> Brokers:
    """Betweenness, constraint, effective size and brokerage roles, summarised.

    Returns ``betweenness_sample`` (``None`` when exact), the ``top`` actors by
    betweenness and by cross-world brokerage (gatekeeper + representative + liaison +
    itinerant), the roles summed by the broker's world, and mean constraint and
    effective size per world.
    """
    btw, sample = betweenness(graph, exact_max=exact_max, samples=samples, seed=seed)
    cons = constraint(graph)
    tri = triangles(graph)
    eff = effective_size(graph, tri)
    roles = brokerage_roles(graph, tri)
    cross = roles[:, 1:].sum(axis=1)
    return {
        "betweenness_sample": sample,
        "betweenness_exact": sample is None,
        "top_betweenness": _top(graph, btw, top, cons, eff),
        "top_cross_world_brokers": _top(graph, cross, top, cons, eff),
        "roles_by_world": _roles_by_world(graph, roles),
        "constraint_by_world": _mean_by_world(graph, cons),
        "effective_size_by_world": _mean_by_world(graph, eff),
    }


def broker_measures(
    graph: ActorGraph, *, exact_max: int = 20_000, samples: int = 256, seed: int = 0
) -> BrokerMeasures:
    """Betweenness (exact up to ``exact_max`` actors, else sampled), constraint,
    effective size and brokerage roles of every actor of ``graph``, computed once for
    a brokers table (:func:`broker_rows`)."""
    btw, sample = betweenness(graph, exact_max=exact_max, samples=samples, seed=seed)
    tri = triangles(graph)
    return BrokerMeasures(
        betweenness=btw,
        betweenness_sample=sample,
        constraint=constraint(graph),
        effective_size=effective_size(graph, tri),
        roles=brokerage_roles(graph, tri),
        degree=graph.degree(),
    )


def broker_rows(
    graph: ActorGraph,
    measures: BrokerMeasures,
    *,
    keep: BoolArray | None = None,
    top: int | None = None,
) -> list[BrokerRow]:
    """The actors of ``graph`` with at least one partner (and ``keep``, when given),
    by decreasing betweenness, then cross-world brokerage, then name; the first ``top``.

    Returns :class:`BrokerRow` dicts. An actor with no partner brokers nothing and is
    left out.
    """
    m = measures
    cross = m.roles[:, 1:].sum(axis=1)
    chosen = m.degree > 0
    if keep is not None:
        chosen &= keep
    found = np.flatnonzero(chosen)
    names = [graph.names[i] for i in found]
    order = sorted(
        range(len(found)),
        key=lambda j: (
            -m.betweenness[found[j]],
            -cross[found[j]],
            names[j],
            str(graph.ids[found[j]]),
        ),
    )
    rows: list[BrokerRow] = []
    for j in order[:top] if top is not None else order:
        i = found[j]
        cons, eff = m.constraint[i], m.effective_size[i]
        rows.append(
            {
                "id": graph.ids[i],
                "name": graph.names[i],
                "world": WORLDS[graph.world[i]],
                "partners": int(m.degree[i]),
                "betweenness": float(m.betweenness[i]),
                "constraint": None if np.isnan(cons) else float(cons),
                "effective_size": None if np.isnan(eff) else float(eff),
                "roles": {r: int(round(float(v))) for r, v in zip(ROLES, m.roles[i], strict=True)},
                "cross_world": int(round(float(cross[i]))),
            }
        )
    return rows


def _top(
    graph: ActorGraph, score: FloatArray, top: int, cons: FloatArray, eff: FloatArray
) -> list[Broker]:
    order = np.argsort(-score, kind="stable")[:top]
    return [
        {
            "id": graph.ids[i],
            "name": graph.names[i],
            "world": WORLDS[graph.world[i]],
            "score": float(score[i]),
            "constraint": None if np.isnan(cons[i]) else float(cons[i]),
            "effective_size": None if np.isnan(eff[i]) else float(eff[i]),
        }
        for i in order
        if score[i] > 0
    ]


def _roles_by_world(graph: ActorGraph, roles: FloatArray) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {}
    for w, name in enumerate(WORLDS):
        mask = graph.world == w
        if mask.any():
            sums = roles[mask].sum(axis=0)
            out[name] = {role: int(round(v)) for role, v in zip(ROLES, sums, strict=True)}
    return out


def _mean_by_world(graph: ActorGraph, values: FloatArray) -> dict[str, float | None]:
    out: dict[str, float | None] = {}
    for w, name in enumerate(WORLDS):
        vals = values[(graph.world == w) & ~np.isnan(values)]
        if (graph.world == w).any():
            out[name] = float(vals.mean()) if len(vals) else None
    return out
