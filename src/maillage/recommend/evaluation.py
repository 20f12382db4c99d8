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

import math
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
from scipy.stats import rankdata

from maillage.analysis.graph import UNKNOWN_WORLD, ActorGraph, FloatArray, IntArray, build_graph
from maillage.model.records import ActorRecord, LinkRecord
from maillage.recommend.candidates import candidates
from maillage.recommend.features import PairContext, lookup, pair_context
from maillage.recommend.model import LinkModel, _near_pairs, fit_model, sample_non_edges
from maillage.recommend.recommendation import mode_scores

Scorer = Callable[[IntArray, IntArray], FloatArray]
METHODS = ("model", "adamic_adar", "preferential_attachment")


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
    pool_u, pool_v = _ranked_pool(ctx, len(tu))
    truth = np.isin(_keys(graph.n, pool_u, pool_v), _keys(graph.n, tu, tv))
    pool_scores = {name: f(pool_u, pool_v) for name, f in scorers.items()}
    per_actor = _per_actor(ctx, scorers, tu, tv, rng, max_actors)
    result: dict[str, Any] = {}
    for name, f in scorers.items():
        result[name] = {
            "auc": auc(f(tu, tv), f(nu, nv)),
            "precision_at_l": _precision(pool_scores[name], truth, len(tu)),
            **per_actor[name],
        }
    result.update(
        {
            "l": len(tu),
            "train_links": int(ctx.adj.nnz // 2),
            "test_links": len(tu),
            "split_year": split_year,
            "seed": seed,
            "actors_ranked": per_actor["count"],
            "bridging": _bridging(ctx, model, pool_u, pool_v, truth, pool_scores, tu, tv),
            "training": {
                **model.info,
                "near_positives": model.near.positives,
                "far_positives": model.far.positives,
            },
        }
    )
    return result


def _scorers(ctx: PairContext, model: LinkModel) -> dict[str, Scorer]:
    return {
        "model": lambda u, v: model.log_odds(ctx, u, v),
        "adamic_adar": lambda u, v: lookup(ctx.aa, u, v),
        "preferential_attachment": lambda u, v: ctx.degree[u] * ctx.degree[v],
    }


def _negatives(
    graph: ActorGraph, ctx: PairContext, size: int, rng: np.random.Generator
) -> tuple[IntArray, IntArray]:
    u, v = sample_non_edges(ctx, int(size * 1.2) + 10, rng)
    ever = _keys(graph.n, graph.pair_src, graph.pair_dst)
    keep = ~np.isin(_keys(graph.n, u, v), ever)
    return u[keep][:size], v[keep][:size]


def _ranked_pool(ctx: PairContext, l_size: int) -> tuple[IntArray, IntArray]:
    near_u, near_v = _near_pairs(ctx)
    k = min(int(math.ceil(math.sqrt(8 * l_size))), int((ctx.degree > 0).sum()))
    hubs = np.sort(np.argsort(-ctx.degree, kind="stable")[:k])
    iu, iv = np.triu_indices(len(hubs), 1)
    hu, hv = hubs[iu], hubs[iv]
    far = (lookup(ctx.adj, hu, hv) == 0) & (lookup(ctx.cn, hu, hv) == 0)
    return np.r_[near_u, hu[far]], np.r_[near_v, hv[far]]


def _precision(score: FloatArray, truth: np.ndarray[Any, Any], l_size: int) -> float:
    if len(score) == 0 or l_size == 0:
        return 0.0
    k = min(l_size, len(score))
    top = np.argsort(-score, kind="stable")[:k]
    return float(truth[top].sum() / l_size)


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
    hits = {name: [] for name in scorers}  # type: dict[str, list[float]]
    rr = {name: [] for name in scorers}  # type: dict[str, list[float]]
    for a in actors:
        cand = candidates(ctx, int(a))
        truth = np.isin(cand, others[ends == a])
        tail = present - 1 - int(ctx.degree[a]) - len(cand)
        us = np.full(len(cand), a, dtype=np.int64)
        for name, f in scorers.items():
            rank = _best_rank(
                f(us, cand), truth, tail, int((~np.isin(others[ends == a], cand)).any())
            )
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


def _bridging(
    ctx: PairContext,
    model: LinkModel,
    pool_u: IntArray,
    pool_v: IntArray,
    truth: np.ndarray[Any, Any],
    pool_scores: dict[str, FloatArray],
    tu: IntArray,
    tv: IntArray,
) -> dict[str, Any]:
    w = ctx.graph.world

    def cross(u: IntArray, v: IntArray) -> np.ndarray[Any, Any]:
        return np.asarray((w[u] != w[v]) & (w[u] != UNKNOWN_WORLD) & (w[v] != UNKNOWN_WORLD))

    l_cross = int(cross(tu, tv).sum())
    mask = cross(pool_u, pool_v)
    p = 1.0 / (1.0 + np.exp(-np.clip(pool_scores["model"][mask], -60, 60)))
    bridging = mode_scores(ctx, p, pool_u[mask], pool_v[mask], "bridging")
    return {
        "l_cross": l_cross,
        "model_precision_at_l": _precision(bridging, truth[mask], l_cross),
        "adamic_adar_precision_at_l": _precision(
            pool_scores["adamic_adar"][mask], truth[mask], l_cross
        ),
    }
