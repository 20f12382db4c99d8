"""Precision@L over every pair worth ranking, streamed block by block.

The ranked pool (Lü & Zhou 2011 rank all non-observed pairs; pairs with no score rank
last): every untied pair of present actors with a common partner, listed source by
source with :func:`~maillage.recommend.structure.two_step`, then every untied pair
without one among the ``ceil(sqrt(8 L))`` most tied actors (where preferential
attachment and the far stratum of the model put their best pairs). Blocks are scored
as they come and only the ``L`` best pairs of each ranking are kept (:class:`TopL`),
so memory stays bounded whatever the number of pairs at distance two. Equal scores are
ordered by position in the pool (sources ascending, then partners ascending), as a
stable sort of the whole pool would.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np

from maillage.analysis.graph import BoolArray, FloatArray, IntArray
from maillage.recommend.features import PairContext
from maillage.recommend.structure import chunks, common_count, pair_structure, two_step

BLOCK = 1 << 21  # paths expanded per block of sources


@dataclass
class TopL:
    """The ``size`` best (score, pool position, truth) triples seen so far."""

    size: int
    score: FloatArray = field(default_factory=lambda: np.zeros(0))
    order: IntArray = field(default_factory=lambda: np.zeros(0, np.int64))
    truth: BoolArray = field(default_factory=lambda: np.zeros(0, bool))
    key: IntArray = field(default_factory=lambda: np.zeros(0, np.int64))

    def add(
        self, score: FloatArray, order: IntArray, truth: BoolArray, key: IntArray | None = None
    ) -> None:
        """Merge a block of scored pairs, keeping the best ``size`` (with their ``key``,
        when given: which pairs made the top)."""
        key = np.zeros(len(score), np.int64) if key is None else key
        if len(score) > self.size:  # only what can enter the top (equal scores kept)
            floor = np.partition(score, len(score) - self.size)[len(score) - self.size]
            keep = score >= floor
            score, order, truth, key = score[keep], order[keep], truth[keep], key[keep]
        s, o, t = np.r_[self.score, score], np.r_[self.order, order], np.r_[self.truth, truth]
        k = np.r_[self.key, key]
        if len(s) > self.size:
            best = np.lexsort((o, -s))[: self.size]
            s, o, t, k = s[best], o[best], t[best], k[best]
        self.score, self.order, self.truth, self.key = s, o, t, k

    def found(self, keys: IntArray) -> BoolArray:
        """Whether each of ``keys`` is a true pair of the top."""
        return np.isin(keys, self.key[self.truth])

    def precision(self, l_size: int) -> float:
        """Share of true pairs among the ``l_size`` best (0 when ``l_size`` is 0)."""
        return float(self.truth.sum() / l_size) if l_size else 0.0


def hub_count(ctx: PairContext, l_size: int) -> int:
    """Number of most tied actors whose far pairs enter the pool: ``ceil(sqrt(8 L))``."""
    return min(int(math.ceil(math.sqrt(8 * l_size))), int((ctx.degree > 0).sum()))


def pool_blocks(
    ctx: PairContext, l_size: int, budget: int = BLOCK
) -> Iterator[tuple[IntArray, IntArray, FloatArray]]:
    """The ranked pool in blocks ``(u, v, structure)`` with ``u < v`` (module docstring)."""
    adj = ctx.adj
    present = np.flatnonzero(ctx.degree > 0)
    for part in chunks(adj.reach2[present], budget):
        su, sv, st = two_step(adj, present[part])
        keep = sv > su
        keep[keep] &= ~adj.tied(su[keep], sv[keep])
        yield su[keep], sv[keep], st[keep]
    hubs = np.sort(np.argsort(-ctx.degree, kind="stable")[: hub_count(ctx, l_size)])
    iu, iv = np.triu_indices(len(hubs), 1)
    hu, hv = hubs[iu], hubs[iv]
    far = ~adj.tied(hu, hv)
    far[far] &= common_count(adj, hu[far], hv[far]) == 0
    hu, hv = hu[far], hv[far]
    yield hu, hv, pair_structure(adj, hu, hv)
