"""Candidate partners: the pairs worth scoring.

For an actor ``u`` (DESIGN.md section 6): the actors two steps away (a partner in
common), the actors of the same territory in a complementary world sharing a theme
with ``u``, and the most active actors of the map (whom anyone may join). Never ``u``
itself, an existing partner nor an actor of its own structure (:func:`apart`: one SIREN
or RNA, a place and its holder); deleted and merged actors are not in the graph at all.

The two-step actors come with their common-neighbour structure from one gather
(:func:`~maillage.recommend.structure.two_step`); the others get theirs pair by pair
(:func:`~maillage.recommend.structure.pair_structure`). A hub two steps from most of the map keeps its
``NEAR`` best two-step candidates by resource allocation; an actor with fewer keeps
them all, so its recommendations do not depend on the cap.
"""

from __future__ import annotations

import numpy as np

from maillage.analysis.graph import UNKNOWN_WORLD, BoolArray, FloatArray, IntArray
from maillage.recommend.features import PairContext
from maillage.recommend.structure import STRUCTURE, pair_structure, two_step

ACTIVE = 200  # most active actors always considered
COMPLEMENTARY = 5_000  # cap on same-territory complementary candidates
NEAR = 20_000  # cap on two-step candidates (a hub reaches most of the map)
RA = STRUCTURE.index("resource_allocation")


def apart(ctx: PairContext, u: IntArray, v: IntArray) -> BoolArray:
    """Whether each pair ``(u[i], v[i])`` may be proposed: not tied already and not of
    one structure (:attr:`~maillage.analysis.graph.ActorGraph.unit`). The one rule of
    which pairs are never recommended, for actors and territories alike."""
    unit = ctx.graph.unit
    assert unit is not None
    return np.asarray(~ctx.adj.tied(u, v) & (unit[u] != unit[v]), dtype=bool)


def active_actors(ctx: PairContext, k: int = ACTIVE) -> IntArray:
    """The ``k`` actors with most recent ties (then most ties), a stable order."""
    cached = ctx.__dict__.get("_active")
    if cached is None or len(cached) != min(k, ctx.n):
        order = np.lexsort((np.arange(ctx.n), -ctx.degree, -ctx.recent3))
        cached = order[: min(k, ctx.n)].astype(np.int64)
        ctx.__dict__["_active"] = cached
    return np.asarray(cached, dtype=np.int64)


def near(ctx: PairContext, u: int, cap: int = NEAR) -> tuple[IntArray, FloatArray]:
    """Actors sharing at least one partner with ``u`` and not tied to it, with their
    structure; the ``cap`` best by resource allocation when there are more."""
    _, row, structure = two_step(ctx.adj, np.array([u], dtype=np.int64))
    untied = apart(ctx, np.full(len(row), u), row)
    row, structure = row[untied], structure[untied]
    if len(row) > cap:
        best = np.sort(np.argsort(-structure[:, RA], kind="stable")[:cap])
        row, structure = row[best], structure[best]
    return row, structure


def complementary(ctx: PairContext, u: int, cap: int = COMPLEMENTARY) -> IntArray:
    """Actors of ``u``'s main territory, of another known world, sharing a theme."""
    if ctx.territory[u] < 0:
        return np.zeros(0, dtype=np.int64)
    themes = ctx.themes[u]
    if themes.nnz == 0:
        return np.zeros(0, dtype=np.int64)
    local = np.flatnonzero(ctx.territory == ctx.territory[u])
    world = ctx.graph.world
    local = local[(world[local] != world[u]) & (world[local] != UNKNOWN_WORLD)]
    shared = np.asarray((ctx.themes[local] @ themes.T).todense()).ravel() > 0
    found = local[shared]
    if len(found) > cap:
        found = found[np.argsort(-ctx.degree[found], kind="stable")[:cap]]
    return np.sort(found).astype(np.int64)


def candidates(ctx: PairContext, u: int) -> tuple[IntArray, FloatArray]:
    """Sorted candidate partners of ``u`` and their structure (module docstring)."""
    row, structure = near(ctx, u)
    others = np.unique(np.r_[complementary(ctx, u), active_actors(ctx)])
    others = others[(others != u) & ~np.isin(others, row)]
    others = others[apart(ctx, np.full(len(others), u), others)]
    pool = np.r_[row, others]
    rows = np.r_[structure, pair_structure(ctx.adj, np.full(len(others), u), others)]
    order = np.argsort(pool, kind="stable")
    return pool[order].astype(np.int64), rows[order]
