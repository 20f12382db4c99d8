"""Features of a pair of actors for link prediction, computed from a graph at a date.

A :class:`PairContext` freezes what is known at a reference year (ties formed before
it): the CSR adjacency with tie years and strengths
(:class:`~maillage.recommend.structure.Adjacency`, from which the common-neighbour
structure of any pair is computed on demand) and per-actor arrays (degree, ties formed
in each of the last five years, years with a new tie, years since the last and the
first tie, world, territory, themes, the mean recent activity of the partners, the
words of the names and the Leiden communities of :mod:`~maillage.recommend.affinity`).
:func:`pair_features` turns pairs of vertices into a float matrix whose columns are
:data:`FEATURES`.

Indices follow Liben-Nowell & Kleinberg (2007), Adamic & Adar (2003) and Zhou, Lü &
Zhang (2009) for resource allocation; recency and the activity history of each actor
follow the temporal link prediction literature (e.g. Tylenda, Angelova & Bedathur 2009;
Potgieter et al. 2009, "Temporal metrics for exploiting network evolution"). Link
weights are not used: a weight may summarise ties formed after the reference year (the
ANR file counts shared projects over all years), which would leak the future into the
past.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from maillage.analysis.graph import NO_YEAR, WORLDS, ActorGraph, BoolArray, FloatArray, IntArray
from maillage.recommend.affinity import (
    RESOLUTIONS,
    canonical_order,
    communities,
    graph_name_words,
    row_dot,
)
from maillage.recommend.structure import STRUCTURE, Adjacency, pair_structure

YEARS = 5  # yearly activity kept for the last YEARS years
HORIZON = 10  # years since last/first tie are capped here

FEATURES: tuple[str, ...] = (
    "log_degree_sum",
    "log_degree_min",
    "log_degree_max",
    *STRUCTURE,
    "jaccard",
    "hub_promoted",
    "recent_sum",
    "recent_min",
    "recent3_sum",
    "recent3_min",
    *(f"year{k}_{f}" for k in range(2, YEARS + 1) for f in ("min", "max")),
    "active_years_min",
    "active_years_max",
    "idle_max",
    "idle_sum",
    "age_min",
    "same_territory",
    "same_world",
    "world_pair",
    "shared_themes",
    "name_similarity",
    "partner_recent_min",
    "partner_recent_max",
    "partner_recent3_min",
    "partner_recent3_max",
    *(f"community{j}_{f}" for j in range(len(RESOLUTIONS)) for f in ("same", "size_min")),
)
COLUMN = {name: i for i, name in enumerate(FEATURES)}


@dataclass(eq=False)
class PairContext:
    """What is known at ``ref_year`` about ``graph`` (see module docstring)."""

    graph: ActorGraph
    ref_year: int
    adj: Adjacency
    degree: FloatArray
    yearly: FloatArray  # actors x YEARS: ties formed in ref-1, ref-2, ...
    active_years: FloatArray
    idle: FloatArray
    age: FloatArray
    territory: IntArray
    themes: sp.csr_matrix
    names: sp.csr_matrix  # TF-IDF words of the names, unit rows
    partner_recent: FloatArray  # actors x 2: mean recent1, recent3 of the partners
    community: IntArray  # actors x RESOLUTIONS
    community_size: FloatArray  # actors x RESOLUTIONS

    @property
    def n(self) -> int:
        """Number of vertices."""
        return self.graph.n

    @property
    def recent1(self) -> FloatArray:
        """Ties formed in the year before the reference year."""
        return np.asarray(self.yearly[:, 0], dtype=np.float64)

    @property
    def recent3(self) -> FloatArray:
        """Ties formed in the three years before the reference year."""
        return np.asarray(self.yearly[:, :3].sum(axis=1), dtype=np.float64)

    @property
    def ties(self) -> int:
        """Number of distinct known ties."""
        return len(self.adj.indices) // 2


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
    adj = Adjacency.build(graph.n, s, d, y, tie_strength(graph.n, s, d, y), ref)
    yearly = np.column_stack([_count(graph.n, s, d, y == ref - k) for k in range(1, YEARS + 1)])
    if "canonical_order" not in graph.cache:
        graph.cache["canonical_order"] = canonical_order(graph.ids)
    community, community_size = communities(graph.n, s, d, graph.cache["canonical_order"])
    return PairContext(
        graph=graph,
        ref_year=ref,
        adj=adj,
        degree=adj.degree,
        yearly=yearly,
        active_years=_active_years(graph.n, s, d, y),
        idle=_since(graph.n, s, d, y, ref, np.maximum, NO_YEAR, HORIZON),
        age=_since(graph.n, s, d, y, ref, np.minimum, 10**6, 0),
        territory=_codes(graph.territory),
        themes=_theme_matrix(graph),
        names=graph_name_words(graph).matrix,
        partner_recent=_partner_mean(adj, yearly[:, 0], yearly[:, :3].sum(axis=1)),
        community=community,
        community_size=community_size,
    )


def _partner_mean(adj: Adjacency, *values: FloatArray) -> FloatArray:
    """Mean of each of ``values`` over the partners of every actor (0 without partner).

    Whether an actor's partners are still forming ties says whether its part of the map
    is alive: organisations are renamed, merged or stop being used as a project's
    partner, and their partners' activity drops with them.
    """
    a = sp.csr_matrix((np.ones(len(adj.indices)), adj.indices, adj.indptr), shape=(adj.n, adj.n))
    means = a @ np.column_stack(values) / np.maximum(adj.degree, 1.0)[:, None]
    return np.asarray(means, dtype=np.float64)


def _count(n: int, s: IntArray, d: IntArray, mask: BoolArray) -> FloatArray:
    return np.bincount(np.r_[s[mask], d[mask]], minlength=n).astype(np.float64)


def _active_years(n: int, s: IntArray, d: IntArray, y: IntArray) -> FloatArray:
    """Number of distinct years in which each actor formed a dated tie."""
    dated = y != NO_YEAR
    if not dated.any():
        return np.zeros(n)
    span = int(y[dated].max() - y[dated].min()) + 1
    offset = y[dated] - y[dated].min()
    keys = np.unique(np.r_[s[dated], d[dated]] * span + np.r_[offset, offset])
    return np.bincount(keys // span, minlength=n).astype(np.float64)


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


def pair_features(
    ctx: PairContext, u: IntArray, v: IntArray, structure: FloatArray | None = None
) -> FloatArray:
    """Feature matrix (pairs x :data:`FEATURES`) for the pairs ``(u[i], v[i])``.

    ``structure`` (pairs x :data:`~maillage.recommend.structure.STRUCTURE`) may be
    given when already known (from :func:`~maillage.recommend.structure.two_step`).
    """
    out = np.empty((len(u), len(FEATURES)))
    for start in range(0, len(u), 1 << 17):
        sl = slice(start, start + (1 << 17))
        part = None if structure is None else structure[sl]
        out[sl] = _features(ctx, u[sl], v[sl], part)
    return out


def _pair(a: FloatArray, b: FloatArray) -> tuple[FloatArray, FloatArray]:
    return np.minimum(a, b), np.maximum(a, b)


def _features(
    ctx: PairContext, u: IntArray, v: IntArray, structure: FloatArray | None
) -> FloatArray:
    st = pair_structure(ctx.adj, u, v) if structure is None else structure
    du, dv = ctx.degree[u], ctx.degree[v]
    cn = st[:, 0]
    ld_min, ld_max = _pair(np.log1p(du), np.log1p(dv))
    r1 = _pair(np.log1p(ctx.yearly[u, 0]), np.log1p(ctx.yearly[v, 0]))
    r3 = _pair(np.log1p(ctx.recent3[u]), np.log1p(ctx.recent3[v]))
    years = [
        col
        for k in range(1, YEARS)
        for col in _pair(np.log1p(ctx.yearly[u, k]), np.log1p(ctx.yearly[v, k]))
    ]
    wu, wv = ctx.graph.world[u], ctx.graph.world[v]
    tu, tv = ctx.territory[u], ctx.territory[v]
    shared = np.asarray(ctx.themes[u].multiply(ctx.themes[v]).sum(axis=1)).ravel()
    cols = (
        ld_min + ld_max,
        ld_min,
        ld_max,
        *(
            np.log1p(st[:, j]) if name != "path_age" else st[:, j]
            for j, name in enumerate(STRUCTURE)
        ),
        cn / np.maximum(du + dv - cn, 1),
        cn / np.maximum(np.minimum(du, dv), 1),
        r1[0] + r1[1],
        r1[0],
        r3[0] + r3[1],
        r3[0],
        *years,
        *_pair(ctx.active_years[u], ctx.active_years[v]),
        np.maximum(ctx.idle[u], ctx.idle[v]),
        ctx.idle[u] + ctx.idle[v],
        np.minimum(ctx.age[u], ctx.age[v]),
        ((tu == tv) & (tu >= 0)).astype(np.float64),
        (wu == wv).astype(np.float64),
        (np.minimum(wu, wv) * len(WORLDS) + np.maximum(wu, wv)).astype(np.float64),
        np.log1p(shared),
        row_dot(ctx.names, u, v),
        *_pair(ctx.partner_recent[u, 0], ctx.partner_recent[v, 0]),
        *_pair(ctx.partner_recent[u, 1], ctx.partner_recent[v, 1]),
        *(
            col
            for j in range(ctx.community.shape[1])
            for col in (
                (ctx.community[u, j] == ctx.community[v, j]).astype(np.float64),
                np.log1p(np.minimum(ctx.community_size[u, j], ctx.community_size[v, j])),
            )
        ),
    )
    return np.column_stack(cols)
