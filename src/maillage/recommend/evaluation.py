"""Measured quality of the recommendations on held-out future ties.

Protocol (Liben-Nowell & Kleinberg 2007; Lü & Zhou 2011): the model is fitted on the
ties formed before ``split_year`` only (:func:`~maillage.recommend.model.fit_model`);
the test ties are the pairs first tied from ``split_year`` on between actors already
tied before it. In the same run, for the model and every classic predictor
(:data:`CLASSICS`: common neighbours, Jaccard, Adamic-Adar (Adamic & Adar 2003),
resource allocation (Zhou, Lü & Zhang 2009), preferential attachment):

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
  share the mean rank; :func:`~maillage.recommend.ranking.rank_actors`); the model
  ranks them in the form chosen for one actor's candidates, as
  :func:`~maillage.recommend.recommend_for_actor` does;
* ``bridging``: precision@L restricted to cross-world pairs and test ties, for the
  model in bridging mode and for Adamic-Adar.

Every figure comes with a bootstrap 95 % interval (percentile, :data:`RESAMPLES`
resamples drawn with the seed; Efron & Tibshirani 1993): precision@L and AUC resample
the test ties (with replacement, ``L`` and the ranking fixed; the AUC's negatives are
kept, their 100,000 draws weigh little in its variance), hits@10 and MRR resample the
ranked actors, the bridging precision the cross-world test ties. The same resamples
serve every method, so the ratio of the model's precision@L to the best classic's (the
classic with the best point estimate) gets a paired interval too.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
from scipy.stats import rankdata

from maillage.analysis.graph import (
    ActorGraph,
    BoolArray,
    FloatArray,
    IntArray,
    build_graph,
)
from maillage.model.records import ActorRecord, LinkRecord
from maillage.recommend.features import PairContext, pair_context
from maillage.recommend.model import CLASSICS, LinkModel, fit_model
from maillage.recommend.ranking import pair_keys, rank_actors, rank_pool
from maillage.recommend.recommendation import mode_scores
from maillage.recommend.sampling import sample_pairs
from maillage.recommend.structure import STRUCTURE, pair_structure

Scorer = Callable[[IntArray, IntArray, FloatArray], FloatArray]
METHODS = ("model", *CLASSICS)
METRICS = ("auc", "precision_at_l", "hits_at_10", "mrr")
AA = STRUCTURE.index("adamic_adar")
CN = STRUCTURE.index("common_neighbours")
RA = STRUCTURE.index("resource_allocation")
RESAMPLES = 1_000


def auc(positive: FloatArray, negative: FloatArray) -> float:
    """Mann-Whitney AUC with ties counted one half."""
    if len(positive) == 0 or len(negative) == 0:
        return float("nan")
    ranks = rankdata(np.r_[positive, negative])
    n_pos = len(positive)
    return float((ranks[:n_pos].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * len(negative)))


def auc_parts(positive: FloatArray, negative: FloatArray) -> FloatArray:
    """Per positive, the share of negatives scored below it (ties one half): their mean
    is :func:`auc`."""
    if len(negative) == 0:
        return np.full(len(positive), np.nan)
    neg = np.sort(negative)
    below = np.searchsorted(neg, positive, side="left")
    above = np.searchsorted(neg, positive, side="right")
    return np.asarray((below + above) / (2.0 * len(neg)), dtype=np.float64)


def classic_scorers(ctx: PairContext) -> dict[str, Scorer]:
    """The classic predictors of :data:`CLASSICS`, from a pair's structure row."""
    d = ctx.degree
    return {
        "common_neighbours": lambda u, v, st: np.asarray(st[:, CN], dtype=np.float64),
        "jaccard": lambda u, v, st: np.asarray(
            st[:, CN] / np.maximum(d[u] + d[v] - st[:, CN], 1.0), dtype=np.float64
        ),
        "adamic_adar": lambda u, v, st: np.asarray(st[:, AA], dtype=np.float64),
        "resource_allocation": lambda u, v, st: np.asarray(st[:, RA], dtype=np.float64),
        "preferential_attachment": lambda u, v, st: np.asarray(d[u] * d[v], dtype=np.float64),
    }


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
    model: LinkModel | None = None,
) -> dict[str, Any]:
    """:func:`evaluate` on an already built graph (``model``: already fitted on the ties
    before ``split_year``, else fitted here)."""
    ctx = pair_context(graph, split_year)
    present = ctx.degree > 0
    test = (graph.pair_year >= split_year) & present[graph.pair_src] & present[graph.pair_dst]
    tu, tv = graph.pair_src[test], graph.pair_dst[test]
    if len(tu) == 0:
        raise ValueError(f"aucun nouveau lien à partir de {split_year} entre acteurs connus")
    model = model if model is not None else fit_model(graph, split_year, seed=seed)
    scorers = _scorers(ctx, model)
    rng = np.random.default_rng(seed)
    nu, nv = _negatives(graph, ctx, negatives, rng)
    pos_st, neg_st = pair_structure(ctx.adj, tu, tv), pair_structure(ctx.adj, nu, nv)
    ranked = _rank(
        ctx, scorers, lambda u, v, st: model.scores(ctx, u, v, st, bridging=True)[0], tu, tv
    )
    per_actor = _per_actor(ctx, _scorers(ctx, model, per_actor=True), tu, tv, rng, max_actors)
    parts = {
        name: {
            "auc": auc_parts(f(tu, tv, pos_st), f(nu, nv, neg_st)),
            "precision_at_l": ranked["found"][name].astype(np.float64),
            "hits_at_10": per_actor["hits"][name],
            "mrr": per_actor["rr"][name],
        }
        for name, f in scorers.items()
    }
    result: dict[str, Any] = {
        name: {metric: _mean(values) for metric, values in parts[name].items()} for name in scorers
    }
    result.update(_summary(ctx, model, len(tu), split_year, seed, per_actor["count"]))
    result["bridging"] = ranked["bridging"]
    result.update(_intervals(parts, ranked["bridging_found"], rng))
    result["bridging"].update(result.pop("bridging_intervals"))
    return result


def _mean(values: FloatArray) -> float:
    return float(np.mean(values)) if len(values) else float("nan")


def _intervals(
    parts: dict[str, dict[str, FloatArray]],
    bridging: dict[str, BoolArray],
    rng: np.random.Generator,
    resamples: int = RESAMPLES,
) -> dict[str, Any]:
    """Bootstrap 95 % intervals of every figure, the best classic of each metric and the
    paired ratio of the model's precision@L to the best classic's (module docstring)."""
    any_method = next(iter(parts.values()))
    draws = {metric: _draws(len(values), resamples, rng) for metric, values in any_method.items()}
    boot = {
        name: {m: _resampled(values, draws[m]) for m, values in metrics.items()}
        for name, metrics in parts.items()
    }
    intervals = {
        name: {m: _percentiles(b) for m, b in metrics.items()} for name, metrics in boot.items()
    }
    best = {m: _best_classic(parts, m) for m in METRICS}
    ratio: dict[str, Any] = {}
    for m in METRICS:
        ref, own = boot[best[m]][m], boot["model"][m]
        point = _mean(parts["model"][m]) / max(_mean(parts[best[m]][m]), 1e-12)
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio[m] = {
                "best_classic": best[m],
                "ratio": point,
                "ratio_interval": _percentiles(own / np.where(ref > 0, ref, np.nan)),
                "difference_interval": _percentiles(own - ref),
            }
    cross = _draws(len(bridging["model"]), resamples, rng)
    bridge_boot = {
        name: _resampled(found.astype(np.float64), cross) for name, found in bridging.items()
    }
    return {
        "intervals": intervals,
        "versus_best_classic": ratio,
        "bootstrap": {"resamples": resamples, "confidence": 0.95},
        "bridging_intervals": {
            "model_interval": _percentiles(bridge_boot["model"]),
            "adamic_adar_interval": _percentiles(bridge_boot["adamic_adar"]),
            "difference_interval": _percentiles(bridge_boot["model"] - bridge_boot["adamic_adar"]),
        },
    }


def _best_classic(parts: dict[str, dict[str, FloatArray]], metric: str) -> str:
    """The classic with the best point estimate of ``metric`` (NaN counts as worst)."""
    means = {c: _mean(parts[c][metric]) for c in CLASSICS}
    return max(CLASSICS, key=lambda c: means[c] if np.isfinite(means[c]) else -1.0)


def _draws(size: int, resamples: int, rng: np.random.Generator) -> IntArray:
    if size == 0:
        return np.zeros((resamples, 0), np.int64)
    return rng.integers(0, size, size=(resamples, size))


def _resampled(values: FloatArray, draws: IntArray) -> FloatArray:
    """The mean of ``values`` over each resample (rows of ``draws``)."""
    if draws.shape[1] == 0:
        return np.full(len(draws), np.nan)
    return np.asarray(values[draws].mean(axis=1), dtype=np.float64)


def _percentiles(values: FloatArray) -> list[float]:
    finite = values[np.isfinite(values)]
    if len(finite) == 0:
        return [float("nan"), float("nan")]
    lo, hi = np.percentile(finite, [2.5, 97.5])
    return [float(lo), float(hi)]


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


def _scorers(ctx: PairContext, model: LinkModel, *, per_actor: bool = False) -> dict[str, Scorer]:
    """The model (``per_actor``: in the form ranking one actor's candidates) and the
    classics."""
    return {
        "model": lambda u, v, st: model.scores(ctx, u, v, st, per_actor=per_actor)[0],
        **classic_scorers(ctx),
    }


def _negatives(
    graph: ActorGraph, ctx: PairContext, size: int, rng: np.random.Generator
) -> tuple[IntArray, IntArray]:
    u, v = sample_pairs(ctx.adj, int(size * 1.2) + 10, rng, ctx.degree > 0)
    ever = pair_keys(graph.n, graph.pair_src, graph.pair_dst)
    keep = ~np.isin(pair_keys(graph.n, u, v), ever)
    return u[keep][:size], v[keep][:size]


def _rank(
    ctx: PairContext,
    scorers: dict[str, Scorer],
    bridging_scorer: Scorer,
    tu: IntArray,
    tv: IntArray,
) -> dict[str, Any]:
    """Precision@L of every scorer over the pool, and the bridging precision (the
    model's bridging mode, from ``bridging_scorer``, against Adamic-Adar)."""

    def bridging(
        u: IntArray, v: IntArray, st: FloatArray, own: dict[str, FloatArray]
    ) -> dict[str, FloatArray]:
        chosen = bridging_scorer(u, v, st)
        p = 1.0 / (1.0 + np.exp(-np.clip(chosen, -60, 60)))
        return {
            "model": mode_scores(ctx, p, u, v, "bridging"),
            "adamic_adar": own["adamic_adar"],
        }

    ranked = rank_pool(
        ctx, tu, tv, lambda u, v, st: {n: f(u, v, st) for n, f in scorers.items()}, bridging
    )
    out: dict[str, Any] = {name: ranked.precision(name) for name in scorers}
    out["found"] = {name: ranked.found(name) for name in scorers}
    out["bridging"] = {
        "l_cross": ranked.l_cross,
        "model_precision_at_l": ranked.cross_precision("model"),
        "adamic_adar_precision_at_l": ranked.cross_precision("adamic_adar"),
    }
    out["bridging_found"] = {name: ranked.cross_found(name) for name in ("model", "adamic_adar")}
    return out


def _per_actor(
    ctx: PairContext,
    scorers: dict[str, Scorer],
    tu: IntArray,
    tv: IntArray,
    rng: np.random.Generator,
    max_actors: int,
) -> dict[str, Any]:
    actors = np.unique(np.r_[tu, tv])
    if len(actors) > max_actors:
        actors = np.sort(rng.choice(actors, size=max_actors, replace=False))
    ranks = rank_actors(
        ctx, tu, tv, actors, lambda u, v, st: {n: f(u, v, st) for n, f in scorers.items()}
    )
    return {
        "hits": {name: (ranks[name] <= 10).astype(np.float64) for name in scorers},
        "rr": {name: 1.0 / ranks[name] for name in scorers},
        "count": len(actors),
    }
