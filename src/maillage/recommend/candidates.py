"""Candidate partners: the pairs worth scoring.

For an actor ``u`` (DESIGN.md section 6): the actors two steps away (a partner in
common), the actors of the same territory in a complementary world sharing a theme
with ``u``, and the most active actors of the map (whom anyone may join). Never ``u``
itself nor an existing partner; deleted actors are not in the graph at all.
"""

from __future__ import annotations

import numpy as np

from maillage.analysis.graph import UNKNOWN_WORLD, IntArray
from maillage.recommend.features import PairContext

ACTIVE = 200  # most active actors always considered
COMPLEMENTARY = 5_000  # cap on same-territory complementary candidates
NEAR = 20_000  # cap on two-step candidates (a hub reaches most of the map)


def active_actors(ctx: PairContext, k: int = ACTIVE) -> IntArray:
    """The ``k`` actors with most recent ties (then most ties), a stable order."""
    cached = ctx.__dict__.get("_active")
    if cached is None or len(cached) != min(k, ctx.n):
        order = np.lexsort((np.arange(ctx.n), -ctx.degree, -ctx.recent3))
        cached = order[: min(k, ctx.n)].astype(np.int64)
        ctx.__dict__["_active"] = cached
    return np.asarray(cached, dtype=np.int64)


def two_step(ctx: PairContext, u: int, cap: int = NEAR) -> IntArray:
    """Actors sharing at least one partner with ``u`` (the ``cap`` best by resource
    allocation when there are more)."""
    lo, hi = ctx.ra.indptr[u], ctx.ra.indptr[u + 1]
    row = ctx.ra.indices[lo:hi]
    if len(row) > cap:
        row = row[np.argsort(-ctx.ra.data[lo:hi], kind="stable")[:cap]]
    return np.asarray(row, dtype=np.int64)


def complementary(ctx: PairContext, u: int, cap: int = COMPLEMENTARY) -> IntArray:
    """Actors of ``u``'s main territory, of another known world, sharing a theme."""
    if ctx.territory[u] < 0:
        return np.zeros(0, dtype=np.int64)
    themes = ctx.themes[u]
    if themes.nnz == 0:
        return np.zeros(0, dtype=np.int64)
    shared = np.asarray((ctx.themes @ themes.T).todense()).ravel() > 0
    world = ctx.graph.world
    mask = (
        shared
        & (ctx.territory == ctx.territory[u])
        & (world != world[u])
        & (world != UNKNOWN_WORLD)
    )
    found = np.flatnonzero(mask)
    if len(found) > cap:
        found = found[np.argsort(-ctx.degree[found], kind="stable")[:cap]]
    return found.astype(np.int64)


def candidates(ctx: PairContext, u: int) -> IntArray:
    """Sorted candidate partners of ``u`` (see module docstring)."""
    pool = np.unique(np.r_[two_step(ctx, u), complementary(ctx, u), active_actors(ctx)])
    partners = ctx.adj.indices[ctx.adj.indptr[u] : ctx.adj.indptr[u + 1]]
    keep = (pool != u) & ~np.isin(pool, partners)
    return np.asarray(pool[keep], dtype=np.int64)
