"""Features of a pair of actors for link prediction, computed from a graph at a date.

A :class:`PairContext` freezes what is known at a reference year (ties formed before
it): the adjacency matrix (scipy.sparse), its two-step products for common neighbours,
Adamic-Adar and resource allocation, and per-actor arrays (degree, ties formed in the
last one and three years, years since the last and the first tie, world, territory,
themes). :func:`pair_features` turns pairs of vertices into a float matrix whose
columns are :data:`FEATURES`.

Indices follow Liben-Nowell & Kleinberg (2007), Adamic & Adar (2003) and Zhou, Lü &
Zhang (2009) for resource allocation; recency of activity follows the temporal link
prediction literature (e.g. Tylenda, Angelova & Bedathur 2009). Link weights are not
used: a weight may summarise ties formed after the reference year (the ANR file counts
shared projects over all years), which would leak the future into the past.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from maillage.analysis.graph import NO_YEAR, WORLDS, ActorGraph, BoolArray, FloatArray, IntArray

FEATURES: tuple[str, ...] = (
    "log_degree_sum",
    "log_degree_min",
    "log_degree_max",
    "common_neighbours",
    "adamic_adar",
    "resource_allocation",
    "jaccard",
    "hub_promoted",
    "recent_common_neighbours",
    "recent_sum",
    "recent_min",
    "recent3_sum",
    "recent3_min",
    "idle_max",
    "idle_sum",
    "age_min",
    "same_territory",
    "same_world",
    "world_pair",
    "shared_themes",
    "strength_common_neighbours",
    "strength_resource_allocation",
)

HORIZON = 10  # years since last/first tie are capped here


@dataclass(eq=False)
class PairContext:
    """What is known at ``ref_year`` about ``graph`` (see module docstring)."""

    graph: ActorGraph
    ref_year: int
    adj: sp.csr_matrix
    cn: sp.csr_matrix
    aa: sp.csr_matrix
    ra: sp.csr_matrix
    recent_cn: sp.csr_matrix
    strength_cn: sp.csr_matrix
    strength_ra: sp.csr_matrix
    degree: FloatArray
    recent1: FloatArray
    recent3: FloatArray
    idle: FloatArray
    age: FloatArray
    territory: IntArray
    themes: sp.csr_matrix

    @property
    def n(self) -> int:
        """Number of vertices."""
        return self.graph.n


def adjacency(
    n: int, src: IntArray, dst: IntArray, weight: FloatArray | None = None
) -> sp.csr_matrix:
    """Symmetric adjacency matrix of the given distinct ties (0/1 unless ``weight``)."""
    w = np.ones(len(src)) if weight is None else weight
    return sp.csr_matrix((np.r_[w, w], (np.r_[src, dst], np.r_[dst, src])), shape=(n, n))


def tie_strength(n: int, s: IntArray, d: IntArray, y: IntArray) -> FloatArray:
    """Strength ``1 / sqrt(size)`` of each tie, ``size`` = the fewer ties its ends formed
    that same year.

    Many maps are projections of joint projects (every partner tied to every other);
    a tie formed in a year where its ends formed few ties comes from a small project
    and says more than one of a large consortium (after Newman 2001, "Scientific
    collaboration networks II", weighting co-authorships by ``1/(n - 1)``). Undated
    ties have strength 1.
    """
    dated = y != NO_YEAR
    out = np.ones(len(s))
    if not dated.any():
        return out
    yo = np.where(dated, y - y[dated].min(), 0)
    span = int(yo.max()) + 1
    both = np.r_[s[dated], d[dated]] * span + np.r_[yo[dated], yo[dated]]
    keys, counts = np.unique(both, return_counts=True)
    size_s = counts[np.searchsorted(keys, s[dated] * span + yo[dated])]
    size_d = counts[np.searchsorted(keys, d[dated] * span + yo[dated])]
    out[dated] = 1.0 / np.sqrt(np.minimum(size_s, size_d))
    return out


def pair_context(
    graph: ActorGraph, ref_year: int | None = None, known: BoolArray | None = None
) -> PairContext:
    """Freeze ``graph`` as known before ``ref_year`` (default: after the last tie).

    ``known`` optionally restricts further which ties (``graph.pair_*`` rows) are known.
    Undated ties count as known.
    """
    years = graph.pair_year
    ref = ref_year if ref_year is not None else (int(years.max()) + 1 if len(years) else 0)
    dated_known = (years < ref) | (years == NO_YEAR)
    known = dated_known if known is None else (known & dated_known)
    s, d, y = graph.pair_src[known], graph.pair_dst[known], years[known]
    adj = adjacency(graph.n, s, d)
    degree = np.asarray(adj.sum(axis=1)).ravel()
    recent = (y >= ref - 3) & (y != NO_YEAR)
    radj = adjacency(graph.n, s[recent], d[recent])
    strong = adjacency(graph.n, s, d, tie_strength(graph.n, s, d, y))
    return PairContext(
        graph=graph,
        ref_year=ref,
        adj=adj,
        cn=_two_step(adj, np.ones(graph.n)),
        aa=_two_step(adj, np.where(degree > 1, 1.0 / np.log(np.maximum(degree, 2)), 0.0)),
        ra=_two_step(adj, 1.0 / np.maximum(degree, 1)),
        recent_cn=_two_step(radj, np.ones(graph.n)),
        strength_cn=_two_step(strong, np.ones(graph.n)),
        strength_ra=_two_step(strong, 1.0 / np.maximum(degree, 1)),
        degree=degree,
        recent1=_count(graph.n, s, d, (y >= ref - 1) & (y != NO_YEAR)),
        recent3=_count(graph.n, s, d, recent),
        idle=_since(graph.n, s, d, y, ref, np.maximum, NO_YEAR, HORIZON),
        age=_since(graph.n, s, d, y, ref, np.minimum, 10**6, 0),
        territory=_codes(graph.territory),
        themes=_theme_matrix(graph),
    )


def _two_step(adj: sp.csr_matrix, weight: FloatArray) -> sp.csr_matrix:
    out = (adj @ sp.diags(weight) @ adj).tocsr()
    out.setdiag(0)
    out.eliminate_zeros()
    return out


def _count(n: int, s: IntArray, d: IntArray, mask: BoolArray) -> FloatArray:
    return np.bincount(np.r_[s[mask], d[mask]], minlength=n).astype(np.float64)


def _since(
    n: int, s: IntArray, d: IntArray, y: IntArray, ref: int, op: np.ufunc, fill: int, missing: int
) -> FloatArray:
    dated = y != NO_YEAR
    edge = np.full(n, fill, dtype=np.int64)
    op.at(edge, s[dated], y[dated])
    op.at(edge, d[dated], y[dated])
    out = np.clip(ref - edge, 0, HORIZON).astype(np.float64)
    out[edge == fill] = missing
    return out


def _codes(values: list[str]) -> IntArray:
    index: dict[str, int] = {}
    return np.array([index.setdefault(v, len(index)) if v else -1 for v in values], np.int64)


def _theme_matrix(graph: ActorGraph) -> sp.csr_matrix:
    vocab: dict[str, int] = {}
    rows, cols = [], []
    for i, themes in enumerate(graph.themes):
        for t in themes:
            rows.append(i)
            cols.append(vocab.setdefault(t, len(vocab)))
    data = np.ones(len(rows))
    return sp.csr_matrix((data, (rows, cols)), shape=(graph.n, max(len(vocab), 1)))


def lookup(matrix: sp.csr_matrix, u: IntArray, v: IntArray) -> FloatArray:
    """Entries ``matrix[u[i], v[i]]`` as a float array (0 where absent)."""
    if len(u) == 0:
        return np.zeros(0)
    return np.asarray(matrix[u, v]).ravel().astype(np.float64)


def pair_features(ctx: PairContext, u: IntArray, v: IntArray) -> FloatArray:
    """Feature matrix (pairs x :data:`FEATURES`) for the pairs ``(u[i], v[i])``."""
    out = np.empty((len(u), len(FEATURES)))
    for start in range(0, len(u), 1 << 17):
        sl = slice(start, start + (1 << 17))
        out[sl] = _features(ctx, u[sl], v[sl])
    return out


def _features(ctx: PairContext, u: IntArray, v: IntArray) -> FloatArray:
    du, dv = ctx.degree[u], ctx.degree[v]
    cn = lookup(ctx.cn, u, v)
    ld_u, ld_v = np.log1p(du), np.log1p(dv)
    r1u, r1v = np.log1p(ctx.recent1[u]), np.log1p(ctx.recent1[v])
    r3u, r3v = np.log1p(ctx.recent3[u]), np.log1p(ctx.recent3[v])
    wu, wv = ctx.graph.world[u], ctx.graph.world[v]
    k = len(WORLDS)
    tu, tv = ctx.territory[u], ctx.territory[v]
    shared = np.asarray(ctx.themes[u].multiply(ctx.themes[v]).sum(axis=1)).ravel()
    cols = (
        ld_u + ld_v,
        np.minimum(ld_u, ld_v),
        np.maximum(ld_u, ld_v),
        np.log1p(cn),
        np.log1p(lookup(ctx.aa, u, v)),
        np.log1p(lookup(ctx.ra, u, v)),
        cn / np.maximum(du + dv - cn, 1),
        cn / np.maximum(np.minimum(du, dv), 1),
        np.log1p(lookup(ctx.recent_cn, u, v)),
        r1u + r1v,
        np.minimum(r1u, r1v),
        r3u + r3v,
        np.minimum(r3u, r3v),
        np.maximum(ctx.idle[u], ctx.idle[v]),
        ctx.idle[u] + ctx.idle[v],
        np.minimum(ctx.age[u], ctx.age[v]),
        ((tu == tv) & (tu >= 0)).astype(np.float64),
        (wu == wv).astype(np.float64),
        (np.minimum(wu, wv) * k + np.maximum(wu, wv)).astype(np.float64),
        np.log1p(shared),
        np.log1p(lookup(ctx.strength_cn, u, v)),
        np.log1p(lookup(ctx.strength_ra, u, v)),
    )
    return np.column_stack(cols)
