"""Common-neighbour structure of pairs, computed from the CSR adjacency on demand.

Whole two-step products ``A W A`` cost ``sum_w deg(w)^2`` entries of memory: 35 M at
100k actors with heavy-tailed degrees, billions at 1M. Here nothing of the sort is
stored; the structure of a pair is computed when the pair is asked for:

* :func:`pair_structure` for given pairs ``(u, v)``: for each partner ``w`` of the end
  with fewer partners, is ``(w, v)`` a tie? (one binary search in the sorted tie keys,
  vectorised over all pairs; cost ``sum min(deg u, deg v) log m``);
* :func:`two_step` for given sources: every actor two steps away, with the structure,
  from one gather of the partners' partners (cost ``sum_{w in N(u)} deg w`` per source).

Both add up the same per-path quantities (:data:`STRUCTURE`): common neighbours,
Adamic-Adar (Adamic & Adar 2003), resource allocation (Zhou, Lü & Zhang 2009), paths
whose two ties are recent, tie-strength weighted paths (Newman 2001) and the age of
the most recent path (temporal link prediction, e.g. Tylenda, Angelova & Bedathur 2009).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import scipy.sparse as sp

from maillage.analysis.graph import NO_YEAR, BoolArray, FloatArray, IntArray

STRUCTURE: tuple[str, ...] = (
    "common_neighbours",
    "adamic_adar",
    "resource_allocation",
    "recent_common_neighbours",
    "strength_common_neighbours",
    "strength_resource_allocation",
    "fresh_paths",
    "path_age",
)
RECENT = 3  # a tie is recent when formed in the last RECENT years
FRESH = 2  # a path is fresh when one of its ties was formed in the last FRESH years
HORIZON = 10  # ages are capped here
CHUNK = 1 << 22  # paths expanded at once (bounds the working memory)


@dataclass(eq=False)
class Adjacency:
    """Symmetric CSR adjacency of distinct ties known at ``ref_year``, with per-entry
    tie year and strength and the per-actor weights of the indices."""

    n: int
    ref_year: int
    indptr: IntArray
    indices: IntArray
    keys: IntArray  # row * n + column, sorted
    year: IntArray  # per entry, NO_YEAR when undated
    strength: FloatArray  # per entry
    degree: FloatArray
    aa_weight: FloatArray
    ra_weight: FloatArray
    reach2: IntArray  # paths of length two from each actor: sum of its partners' degrees

    @classmethod
    def build(
        cls, n: int, src: IntArray, dst: IntArray, year: IntArray, strength: FloatArray, ref: int
    ) -> Adjacency:
        """From distinct undirected ties ``src[i] - dst[i]`` of year and strength."""
        rows, cols = np.r_[src, dst].astype(np.int64), np.r_[dst, src].astype(np.int64)
        keys = rows * n + cols
        order = np.argsort(keys, kind="stable")
        counts = np.bincount(rows, minlength=n).astype(np.int64)
        degree = counts.astype(np.float64)
        indptr = np.r_[np.int64(0), np.cumsum(counts)].astype(np.int64)
        reach2 = np.bincount(rows, weights=degree[cols], minlength=n).astype(np.int64)
        return cls(
            n=n,
            ref_year=ref,
            indptr=indptr,
            indices=cols[order],
            keys=keys[order],
            year=np.r_[year, year].astype(np.int64)[order],
            strength=np.r_[strength, strength][order],
            degree=degree,
            aa_weight=np.where(degree > 1, 1.0 / np.log(np.maximum(degree, 2)), 0.0),
            ra_weight=1.0 / np.maximum(degree, 1),
            reach2=reach2,
        )

    @cached_property
    def matrix(self) -> sp.csr_matrix:
        """The adjacency as a sparse 0/1 matrix (rows sorted), built once."""
        ones = np.ones(len(self.indices))
        return sp.csr_matrix((ones, self.indices, self.indptr), shape=(self.n, self.n))

    def neighbours(self, u: int) -> IntArray:
        """Partners of ``u``, sorted."""
        return self.indices[self.indptr[u] : self.indptr[u + 1]]

    def find(self, u: IntArray, v: IntArray) -> tuple[IntArray, BoolArray]:
        """Entry position of each tie ``(u[i], v[i])`` and whether it exists."""
        key = np.asarray(u, dtype=np.int64) * self.n + np.asarray(v, dtype=np.int64)
        if len(self.keys) == 0:
            return np.zeros(len(key), np.int64), np.zeros(len(key), bool)
        pos = np.minimum(np.searchsorted(self.keys, key), len(self.keys) - 1)
        return pos, np.asarray(self.keys[pos] == key, dtype=bool)

    def tied(self, u: IntArray, v: IntArray) -> BoolArray:
        """Whether ``u[i]`` and ``v[i]`` are tied."""
        return self.find(u, v)[1]


def expand(starts: IntArray, lengths: IntArray) -> IntArray:
    """Concatenation of ``range(starts[i], starts[i] + lengths[i])``."""
    lengths = np.asarray(lengths, dtype=np.int64)
    total = int(lengths.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    offsets = np.repeat(np.asarray(starts, dtype=np.int64) - np.cumsum(lengths) + lengths, lengths)
    return offsets + np.arange(total, dtype=np.int64)


def chunks(cost: IntArray, budget: int = CHUNK) -> list[slice]:
    """Consecutive slices of items whose summed ``cost`` stays near ``budget``."""
    if len(cost) == 0:
        return []
    bounds = np.searchsorted(np.cumsum(cost), np.arange(budget, int(cost.sum()), budget))
    edges = np.unique(np.r_[0, bounds + 1, len(cost)].clip(0, len(cost)))
    return [slice(int(a), int(b)) for a, b in zip(edges[:-1], edges[1:], strict=True)]


def aggregate(
    adj: Adjacency, pair: IntArray, n_pairs: int, w: IntArray, e1: IntArray, e2: IntArray
) -> FloatArray:
    """Sum the per-path quantities of :data:`STRUCTURE` by pair.

    Each path ``u - w - v`` is given by its pair index, its middle ``w`` and the entry
    positions ``e1`` of ``(u, w)`` and ``e2`` of ``(w, v)``.
    """
    ref = adj.ref_year
    y1, y2 = adj.year[e1], adj.year[e2]
    recent1 = (y1 >= ref - RECENT) & (y1 != NO_YEAR)
    recent2 = (y2 >= ref - RECENT) & (y2 != NO_YEAR)
    fresh = ((y1 >= ref - FRESH) & (y1 != NO_YEAR)) | ((y2 >= ref - FRESH) & (y2 != NO_YEAR))
    strong = adj.strength[e1] * adj.strength[e2]
    latest = np.full(n_pairs, NO_YEAR, dtype=np.int64)
    np.maximum.at(latest, pair, np.minimum(np.where(y1 == NO_YEAR, -(10**6), y1), y2))
    age = np.clip(ref - latest, 0, HORIZON).astype(np.float64)
    age[latest < 0] = HORIZON

    def total(weights: FloatArray | None) -> FloatArray:
        return np.bincount(pair, weights=weights, minlength=n_pairs).astype(np.float64)

    return np.column_stack(
        [
            total(None),
            total(adj.aa_weight[w]),
            total(adj.ra_weight[w]),
            total((recent1 & recent2).astype(np.float64)),
            total(strong),
            total(strong * adj.ra_weight[w]),
            total(fresh.astype(np.float64)),
            age,
        ]
    )


def _intersections(
    adj: Adjacency, u: IntArray, v: IntArray
) -> Iterator[tuple[slice, IntArray, IntArray, IntArray, IntArray]]:
    """Per chunk of pairs: the paths ``u - w - v`` as (pair index in chunk, w, e1, e2)."""
    u, v = np.asarray(u, dtype=np.int64), np.asarray(v, dtype=np.int64)
    swap = adj.degree[u] > adj.degree[v]
    a, b = np.where(swap, v, u), np.where(swap, u, v)
    lengths = adj.degree[a].astype(np.int64)
    for part in chunks(lengths):
        la = lengths[part]
        e1 = expand(adj.indptr[a[part]], la)
        pair = np.repeat(np.arange(len(la), dtype=np.int64), la)
        w = adj.indices[e1]
        e2, hit = adj.find(w, b[part][pair])
        yield part, pair[hit], w[hit], e1[hit], e2[hit]


def pair_structure(adj: Adjacency, u: IntArray, v: IntArray) -> FloatArray:
    """:data:`STRUCTURE` columns for the pairs ``(u[i], v[i])`` (see module docstring)."""
    out = np.empty((len(u), len(STRUCTURE)))
    for part, pair, w, e1, e2 in _intersections(adj, u, v):
        out[part] = aggregate(adj, pair, part.stop - part.start, w, e1, e2)
    return out


def common_count(adj: Adjacency, u: IntArray, v: IntArray, budget: int = CHUNK) -> FloatArray:
    """Number of common partners of each pair ``(u[i], v[i])``: the row products of the
    sparse adjacency (one merge of the two sorted partner lists per pair, in scipy's
    compiled loops; cost ``sum deg u + deg v``, cheaper than a binary search per partner
    of the smaller end when both ends have many partners, as the ends of random paths
    have). Pairs are taken in blocks of about ``budget`` partners."""
    u, v = np.asarray(u, dtype=np.int64), np.asarray(v, dtype=np.int64)
    out = np.zeros(len(u))
    cost = (adj.degree[u] + adj.degree[v]).astype(np.int64)
    for part in chunks(cost, budget):
        both = adj.matrix[u[part]].multiply(adj.matrix[v[part]])
        out[part] = np.asarray(both.sum(axis=1)).ravel()
    return out


def two_step(adj: Adjacency, sources: IntArray) -> tuple[IntArray, IntArray, FloatArray]:
    """Every pair ``(s, v)``, ``s`` in ``sources``, with a common partner, ``v != s``,
    with its :data:`STRUCTURE` row; tied pairs included. Sorted by ``(s, v)`` when
    ``sources`` is sorted. Sources are processed in blocks of bounded expansion."""
    sources = np.asarray(sources, dtype=np.int64)
    blocks = [_two_step_block(adj, sources[part]) for part in chunks(adj.reach2[sources])]
    if not blocks:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros((0, len(STRUCTURE)))
    return (
        np.concatenate([b[0] for b in blocks]),
        np.concatenate([b[1] for b in blocks]),
        np.concatenate([b[2] for b in blocks]),
    )


def _two_step_block(adj: Adjacency, sources: IntArray) -> tuple[IntArray, IntArray, FloatArray]:
    lengths = adj.degree[sources].astype(np.int64)
    e1 = expand(adj.indptr[sources], lengths)
    s1 = np.repeat(sources, lengths)
    w = adj.indices[e1]
    lengths = adj.degree[w].astype(np.int64)
    e2 = expand(adj.indptr[w], lengths)
    first = np.repeat(np.arange(len(w), dtype=np.int64), lengths)
    s, v = s1[first], adj.indices[e2]
    keep = v != s
    first, e2 = first[keep], e2[keep]
    uniq, pair = np.unique(s[keep] * adj.n + v[keep], return_inverse=True)
    rows = aggregate(adj, pair.ravel(), len(uniq), w[first], e1[first], e2)
    return uniq // adj.n, uniq % adj.n, rows
