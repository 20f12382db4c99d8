"""Measured quality of the recommendations on held-out future ties.

Protocol (Liben-Nowell & Kleinberg 2007; Lü & Zhou 2011): the model is fitted on the
ties formed before ``split_year`` only (:func:`~maillage.recommend.model.fit_model`);
the test ties are the pairs first tied from ``split_year`` on between actors already
tied before it. In the same run, for the model, Adamic-Adar (Adamic & Adar 2003) and
preferential attachment:

* ``auc``: probability that a test tie scores above a pair never tied (sampled
  uniformly among actors present in training, seeded; ties count one half);
* ``precision_at_l``: share of test ties among the ``L`` best-scored pairs, ``L`` = the
  number of test ties. Pairs ranked: every untied pair with a common partner, plus
  every pair among the ``ceil(sqrt(8 L))`` most tied actors (where preferential
  attachment puts its best pairs); other pairs rank last;
* ``hits_at_10`` and ``mrr``: for each actor with a test tie (at most ``max_actors``,
  drawn with the seed), whether one of its test partners is in its top 10 and the
  reciprocal rank of the first one; its candidates are those of
  :func:`~maillage.recommend.candidates.candidates`, other actors rank last (ties
  share the mean rank);
* ``bridging``: precision@L restricted to cross-world pairs and test ties, for the
  model in bridging mode and for Adamic-Adar.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
from scipy.stats import rankdata

from maillage.analysis.graph import (
    UNKNOWN_WORLD,
    ActorGraph,
    BoolArray,
    FloatArray,
    IntArray,
    build_graph,
)
from maillage.model.records import ActorRecord, LinkRecord
from maillage.recommend.candidates import candidates
from maillage.recommend.features import PairContext, pair_context
from maillage.recommend.model import LinkModel, fit_model
from maillage.recommend.ranking import TopL, pool_blocks
from maillage.recommend.recommendation import mode_scores
from maillage.recommend.sampling import sample_pairs
from maillage.recommend.structure import STRUCTURE, pair_structure

Scorer = Callable[[IntArray, IntArray, FloatArray], FloatArray]
METHODS = ("model", "adamic_adar", "preferential_attachment")
AA = STRUCTURE.index("adamic_adar")


def auc(positive: FloatArray, negative: FloatArray) -> float:
    """Mann-Whitney AUC with ties counted one half."""
    if len(positive) == 0 or len(negative) == 0:
        return float("nan")
    ranks = rankdata(np.r_[positive, negative])
    n_pos = len(positive)
    return float((ranks[:n_pos].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * len(negative)))


def _keys(n: int, u: IntArray, v: IntArray) -> IntArray:
    return np.asarray(np.minimum(u, v) * n + np.maximum(u, v), dtype=np.int64)


def evaluate(
    actors: Iterable[ActorRecord],
    links: Iterable[LinkRecord],
    split_year: int,
    seed: int = 0,
    *,
    negatives: int = 100_000,
    max_actors: int = 1_000,
) -> dict[str, Any]:
    """Quality of the model, Adamic-Adar and preferential attachment (module docstring).

    Returns ``{"model": {...}, "adamic_adar": {...}, "preferential_attachment": {...}}``
    each with ``auc``, ``precision_at_l``, ``hits_at_10``, ``mrr``; plus ``l``,
    ``train_links``, ``test_links``, ``split_year``, ``seed``, ``actors_ranked``,
    ``bridging`` and ``training`` (how the model was fitted). Raises ``ValueError`` when
    there is no test tie.
    """
    return evaluate_graph(
        build_graph(actors, links), split_year, seed, negatives=negatives, max_actors=max_actors
    )


def evaluate_graph(
    graph: ActorGraph,
    split_year: int,
    seed: int = 0,
    *,
    negatives: int = 100_000,
    max_actors: int = 1_000,
) -> dict[str, Any]:
    """:func:`evaluate` on an already built graph."""
    ctx = pair_context(graph, split_year)
    present = ctx.degree > 0
    test = (graph.pair_year >= split_year) & present[graph.pair_src] & present[graph.pair_dst]
    tu, tv = graph.pair_src[test], graph.pair_dst[test]
    if len(tu) == 0:
        raise ValueError(f"aucun nouveau lien à partir de {split_year} entre acteurs connus")
    model = fit_model(graph, split_year, seed=seed)
    scorers = _scorers(ctx, model)
    rng = np.random.default_rng(seed)
    nu, nv = _negatives(graph, ctx, negatives, rng)
    pos_st, neg_st = pair_structure(ctx.adj, tu, tv), pair_structure(ctx.adj, nu, nv)
    ranked = _rank(ctx, scorers, tu, tv)
    per_actor = _per_actor(ctx, scorers, tu, tv, rng, max_actors)
    result: dict[str, Any] = {
        name: {
            "auc": auc(f(tu, tv, pos_st), f(nu, nv, neg_st)),
            "precision_at_l": ranked[name],
            **per_actor[name],
        }
        for name, f in scorers.items()
    }
    result.update(_summary(ctx, model, len(tu), split_year, seed, per_actor["count"]))
    result["bridging"] = ranked["bridging"]
    return result


def _summary(
    ctx: PairContext, model: LinkModel, l_size: int, split_year: int, seed: int, ranked: int
) -> dict[str, Any]:
    return {
        "l": l_size,
        "train_links": ctx.ties,
        "test_links": l_size,
        "split_year": split_year,
        "seed": seed,
        "actors_ranked": ranked,
        "training": {
            **model.info,
            "near_positives": model.near.positives,
            "far_positives": model.far.positives,
        },
    }


def _scorers(ctx: PairContext, model: LinkModel) -> dict[str, Scorer]:
    return {
        "model": lambda u, v, st: model.log_odds(ctx, u, v, st),
        "adamic_adar": lambda u, v, st: np.asarray(st[:, AA], dtype=np.float64),
        "preferential_attachment": lambda u, v, st: ctx.degree[u] * ctx.degree[v],
    }


def _negatives(
    graph: ActorGraph, ctx: PairContext, size: int, rng: np.random.Generator
) -> tuple[IntArray, IntArray]:
    u, v = sample_pairs(ctx.adj, int(size * 1.2) + 10, rng, ctx.degree > 0)
    ever = _keys(graph.n, graph.pair_src, graph.pair_dst)
    keep = ~np.isin(_keys(graph.n, u, v), ever)
    return u[keep][:size], v[keep][:size]


def _cross(ctx: PairContext, u: IntArray, v: IntArray) -> BoolArray:
    w = ctx.graph.world
    return np.asarray((w[u] != w[v]) & (w[u] != UNKNOWN_WORLD) & (w[v] != UNKNOWN_WORLD))


def _rank(
    ctx: PairContext, scorers: dict[str, Scorer], tu: IntArray, tv: IntArray
) -> dict[str, Any]:
    """Precision@L of every scorer over the pool, and the bridging precision."""
    l_size, l_cross = len(tu), int(_cross(ctx, tu, tv).sum())
    test_keys = np.sort(_keys(ctx.n, tu, tv))
    tops = {name: TopL(l_size) for name in scorers}
    bridge = {name: TopL(l_cross) for name in ("model", "adamic_adar")}
    offset = 0
    for u, v, st in pool_blocks(ctx, l_size):
        keys = _keys(ctx.n, u, v)
        pos = np.minimum(np.searchsorted(test_keys, keys), len(test_keys) - 1)
        truth, order = test_keys[pos] == keys, offset + np.arange(len(u))
        offset += len(u)
        scores = {name: f(u, v, st) for name, f in scorers.items()}
        for name, top in tops.items():
            top.add(scores[name], order, truth)
        cross = _cross(ctx, u, v)
        p = 1.0 / (1.0 + np.exp(-np.clip(scores["model"][cross], -60, 60)))
        bridging = mode_scores(ctx, p, u[cross], v[cross], "bridging")
        bridge["model"].add(bridging, order[cross], truth[cross])
        bridge["adamic_adar"].add(scores["adamic_adar"][cross], order[cross], truth[cross])
    out: dict[str, Any] = {name: top.precision(l_size) for name, top in tops.items()}
    out["bridging"] = {
        "l_cross": l_cross,
        "model_precision_at_l": bridge["model"].precision(l_cross),
        "adamic_adar_precision_at_l": bridge["adamic_adar"].precision(l_cross),
    }
    return out


def _per_actor(
    ctx: PairContext,
    scorers: dict[str, Scorer],
    tu: IntArray,
    tv: IntArray,
    rng: np.random.Generator,
    max_actors: int,
) -> dict[str, Any]:
    ends = np.r_[tu, tv]
    others = np.r_[tv, tu]
    actors = np.unique(ends)
    if len(actors) > max_actors:
        actors = np.sort(rng.choice(actors, size=max_actors, replace=False))
    present = int((ctx.degree > 0).sum())
    hits: dict[str, list[float]] = {name: [] for name in scorers}
    rr: dict[str, list[float]] = {name: [] for name in scorers}
    for a in actors:
        cand, st = candidates(ctx, int(a))
        partners = others[ends == a]
        truth = np.isin(cand, partners)
        tail = present - 1 - int(ctx.degree[a]) - len(cand)
        missed = int((~np.isin(partners, cand)).any())
        us = np.full(len(cand), a, dtype=np.int64)
        for name, f in scorers.items():
            rank = _best_rank(f(us, cand, st), truth, tail, missed)
            hits[name].append(float(rank <= 10))
            rr[name].append(1.0 / rank)
    out: dict[str, Any] = {
        name: {"hits_at_10": float(np.mean(hits[name])), "mrr": float(np.mean(rr[name]))}
        for name in scorers
    }
    out["count"] = len(actors)
    return out


def _best_rank(score: FloatArray, truth: np.ndarray[Any, Any], tail: int, in_tail: int) -> float:
    """Rank of the best test partner; ties (and the unscored tail) share the mean rank."""
    if truth.any():
        best = score[truth].max()
        above = int((score > best).sum())
        tied = int((score == best).sum())
        return above + (tied + 1) / 2.0
    return len(score) + (max(tail, 1) + 1) / 2.0 if in_tail else float("inf")
