"""Uniform samples of untied pairs, without listing all pairs.

* :func:`sample_pairs`: pairs of present actors drawn uniformly, the tied ones (and,
  for the "far" stratum, those with a common partner) rejected.
* :func:`sample_near_pairs`: untied pairs with a common partner, uniform over such
  pairs. A path ``a - w - b`` is drawn uniformly among all paths of length two (``w``
  with probability proportional to ``deg(w) (deg(w) - 1)``, then two distinct partners
  of ``w``); a pair with ``c`` common partners lies on ``c`` such paths, so it is kept
  with probability ``1 / c`` (rejection sampling, von Neumann 1951). The same draws
  estimate the number of such pairs: ``P2 * E[1{untied} / c]`` with ``P2`` the number of
  paths of length two (an importance-sampling identity), which calibrates the strata of
  :mod:`maillage.recommend.model`. With ``by_paths`` the rejection is skipped: a pair
  is then drawn with probability proportional to its number of common partners.
"""

from __future__ import annotations

import numpy as np

from maillage.analysis.graph import BoolArray, IntArray
from maillage.recommend.structure import Adjacency, common_count


def sample_pairs(
    adj: Adjacency,
    size: int,
    rng: np.random.Generator,
    present: BoolArray,
    *,
    far_only: bool = False,
) -> tuple[IntArray, IntArray]:
    """About ``size`` uniform untied pairs of ``present`` actors (``far_only``: with no
    common partner). May return fewer pairs."""
    nodes = np.flatnonzero(present)
    if len(nodes) < 2 or size <= 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    u = rng.choice(nodes, size=3 * size + 16)
    v = rng.choice(nodes, size=3 * size + 16)
    ok = (u != v) & ~adj.tied(u, v)
    if far_only:
        ok[ok] &= common_count(adj, u[ok], v[ok]) == 0
    return u[ok][:size].astype(np.int64), v[ok][:size].astype(np.int64)


def sample_near_pairs(
    adj: Adjacency,
    size: int,
    rng: np.random.Generator,
    rounds: int = 50,
    *,
    by_paths: bool = False,
) -> tuple[IntArray, IntArray, float]:
    """Up to ``size`` distinct untied pairs ``u < v`` with a common partner, uniformly
    (``by_paths``: proportionally to their number of common partners), and the
    estimated number of such pairs (see the module docstring)."""
    d = adj.degree
    paths = d * (d - 1)
    total = float(paths.sum()) / 2.0
    empty = np.zeros(0, np.int64)
    if total == 0 or size <= 0:
        return empty, empty, 0.0
    p = paths / paths.sum()
    found: list[IntArray] = []
    got, weight, drawn = 0, 0.0, 0
    for _ in range(rounds):
        a, b = _random_paths(adj, max(4 * (size - got), 1024), p, rng)
        c = common_count(adj, a, b)
        untied = ~adj.tied(a, b)
        weight += float((untied / c).sum())
        drawn += len(a)
        keep = untied & (by_paths | (rng.random(len(a)) * c < 1.0))
        found.append(np.minimum(a, b)[keep] * adj.n + np.maximum(a, b)[keep])
        got = len(np.unique(np.concatenate(found)))
        if got >= size:
            break
    keys = np.concatenate(found)
    _, first = np.unique(keys, return_index=True)
    keys = keys[np.sort(first)][:size]
    return keys // adj.n, keys % adj.n, total * weight / drawn


def _random_paths(
    adj: Adjacency, size: int, p: np.ndarray, rng: np.random.Generator
) -> tuple[IntArray, IntArray]:
    """``size`` paths ``a - w - b`` (``a != b``) drawn uniformly; returns ``(a, b)``."""
    w = rng.choice(adj.n, size=size, p=p)
    dw = adj.degree[w].astype(np.int64)
    i = rng.integers(0, dw)
    j = rng.integers(0, dw - 1)
    j += j >= i
    start = adj.indptr[w]
    return adj.indices[start + i], adj.indices[start + j]
