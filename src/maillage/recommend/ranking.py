"""The two rankings measured on held-out ties, in one place for the evaluation
(:mod:`~maillage.recommend.evaluation`) and the model's inner split
(:func:`~maillage.recommend.model.select_form`).

*Precision@L over every pair worth ranking, streamed block by block* (:func:`rank_pool`).

The ranked pool (Lü & Zhou 2011 rank all non-observed pairs; pairs with no score rank
last): every untied pair of present actors with a common partner, listed source by
source with :func:`~maillage.recommend.structure.two_step`, then every untied pair
without one among the ``ceil(sqrt(8 L))`` most tied actors (where preferential
attachment and the far stratum of the model put their best pairs). Blocks are scored
as they come and only the ``L`` best pairs of each ranking are kept (:class:`TopL`),
so memory stays bounded whatever the number of pairs at distance two. Equal scores are
ordered by position in the pool (sources ascending, then partners ascending), as a
stable sort of the whole pool would. The same pass ranks the cross-world pairs alone
against the cross-world test ties (the bridging mode's precision).

*Per actor* (:func:`rank_actors`): for each actor with a test tie, the rank of its best
test partner among its candidates (:func:`~maillage.recommend.candidates.candidates`;
other actors rank last, ties share the mean rank), from which hits@10 and the
reciprocal rank follow. Candidates are scored in blocks of actors.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from maillage.analysis.graph import UNKNOWN_WORLD, ActorGraph, BoolArray, FloatArray, IntArray
from maillage.recommend.candidates import candidates
from maillage.recommend.features import PairContext
from maillage.recommend.structure import chunks, common_count, pair_structure, two_step

BLOCK = 1 << 21  # paths expanded per block of sources
ACTOR_BLOCK = 1 << 18  # candidate pairs scored at once in the per-actor ranking

Scores = Callable[[IntArray, IntArray, FloatArray], dict[str, FloatArray]]
"""Scores of every ranking (by name) of a block of pairs ``(u, v, structure)``."""
CrossScores = Callable[
    [IntArray, IntArray, FloatArray, dict[str, FloatArray]], dict[str, FloatArray]
]
"""Scores of the cross-world rankings of the cross-world pairs of a block, given the
block's scores restricted to them."""


def cross_world(graph: ActorGraph, u: IntArray, v: IntArray) -> BoolArray:
    """Pairs of two known, different worlds (the pairs the bridging mode favours)."""
    w = graph.world
    return np.asarray((w[u] != w[v]) & (w[u] != UNKNOWN_WORLD) & (w[v] != UNKNOWN_WORLD))


def pair_keys(n: int, u: IntArray, v: IntArray) -> IntArray:
    """One integer per unordered pair."""
    return np.asarray(np.minimum(u, v) * n + np.maximum(u, v), dtype=np.int64)


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
        if self.size == 0:  # no test tie: nothing to rank
            return
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


@dataclass
class Ranked:
    """The tops of :func:`rank_pool`: ``tops`` over every pair, ``cross`` over the
    cross-world pairs, with the test ties' keys (sorted) and their counts ``L``."""

    tops: dict[str, TopL]
    cross: dict[str, TopL]
    keys: IntArray
    cross_keys: IntArray

    @property
    def l_size(self) -> int:
        return len(self.keys)

    @property
    def l_cross(self) -> int:
        return len(self.cross_keys)

    def precision(self, name: str) -> float:
        return self.tops[name].precision(self.l_size)

    def cross_precision(self, name: str) -> float:
        return self.cross[name].precision(self.l_cross)

    def found(self, name: str) -> BoolArray:
        """Per test tie (in key order), whether the ranking ``name`` put it in its top."""
        return self.tops[name].found(self.keys)

    def cross_found(self, name: str) -> BoolArray:
        return self.cross[name].found(self.cross_keys)


def rank_pool(
    ctx: PairContext,
    tu: IntArray,
    tv: IntArray,
    scores: Scores,
    cross_scores: CrossScores | None = None,
) -> Ranked:
    """Precision@L of every ranking of ``scores`` over the pool (module docstring),
    against the test ties ``(tu[i], tv[i])``; with ``cross_scores``, the rankings it
    gives of the cross-world pairs against the cross-world test ties."""
    graph = ctx.graph
    keys = np.sort(pair_keys(ctx.n, tu, tv))
    cross_keys = np.sort(pair_keys(ctx.n, tu, tv)[cross_world(graph, tu, tv)])
    l_size, l_cross = len(keys), len(cross_keys)
    tops: dict[str, TopL] = {}
    cross_tops: dict[str, TopL] = {}
    offset = 0
    for u, v, st in pool_blocks(ctx, l_size):
        k = pair_keys(ctx.n, u, v)
        pos = np.minimum(np.searchsorted(keys, k), max(len(keys) - 1, 0))
        truth = keys[pos] == k if len(keys) else np.zeros(len(k), bool)
        order = offset + np.arange(len(u))
        offset += len(u)
        block = scores(u, v, st)
        for name, score in block.items():
            tops.setdefault(name, TopL(l_size)).add(score, order, truth, k)
        if cross_scores is None:
            continue
        c = cross_world(graph, u, v)
        own = {name: score[c] for name, score in block.items()}
        for name, score in cross_scores(u[c], v[c], st[c], own).items():
            cross_tops.setdefault(name, TopL(l_cross)).add(score, order[c], truth[c], k[c])
    return Ranked(tops, cross_tops, keys, cross_keys)


def best_rank(score: FloatArray, truth: np.ndarray[Any, Any], tail: int, in_tail: int) -> float:
    """Rank of the best test partner; ties (and the unscored tail) share the mean rank."""
    if truth.any():
        best = score[truth].max()
        above = int((score > best).sum())
        tied = int((score == best).sum())
        return above + (tied + 1) / 2.0
    return len(score) + (max(tail, 1) + 1) / 2.0 if in_tail else float("inf")


def rank_actors(
    ctx: PairContext,
    tu: IntArray,
    tv: IntArray,
    actors: IntArray,
    scores: Scores,
    budget: int = ACTOR_BLOCK,
) -> dict[str, FloatArray]:
    """Per actor of ``actors`` (each with a test tie among ``(tu, tv)``), the rank of its
    best test partner under every ranking of ``scores`` (module docstring)."""
    ends, others = np.r_[tu, tv], np.r_[tv, tu]
    present = int((ctx.degree > 0).sum())
    ranks: dict[str, list[float]] = {}
    batch: list[tuple[int, IntArray, FloatArray, BoolArray, int, int]] = []

    def flush() -> None:
        if not batch:
            return
        u = np.concatenate([np.full(len(b[1]), b[0], dtype=np.int64) for b in batch])
        v = np.concatenate([b[1] for b in batch])
        st = np.concatenate([b[2] for b in batch])
        block = scores(u, v, st)
        start = 0
        for _, cand, _, truth, tail, missed in batch:
            end = start + len(cand)
            for name, score in block.items():
                ranks.setdefault(name, []).append(best_rank(score[start:end], truth, tail, missed))
            start = end
        batch.clear()

    size = 0
    for a in actors:
        cand, st = candidates(ctx, int(a))
        partners = others[ends == a]
        truth = np.isin(cand, partners)
        tail = present - 1 - int(ctx.degree[a]) - len(cand)
        missed = int((~np.isin(partners, cand)).any())
        batch.append((int(a), cand, st, truth, tail, missed))
        size += len(cand)
        if size >= budget:
            flush()
            size = 0
    flush()
    return {name: np.asarray(r, dtype=np.float64) for name, r in ranks.items()}
