"""The link-prediction model: boosted trees trained on the map's own history.

How it is trained (no constant is fitted to a particular data set):

1. *Internal temporal split.* With ``Y`` the reference year (the split year in an
   evaluation, the year after the last tie otherwise), the ties formed before ``Y`` are
   cut at ``Y - k``, where ``k >= 1`` is the smallest number of years holding at least
   20 % of the dated ties. Features are computed on the ties before ``Y - k``
   (:func:`~maillage.recommend.features.pair_context`); the labels are the ties formed
   in ``[Y - k, Y)`` between actors already present. Without dates, a seeded random
   20 % of the ties plays the part of the future.
2. *Two strata.* Pairs with a common partner ("near", distance two) and pairs without
   ("far") behave differently, so each stratum gets its own model, trained on all its
   positives and ``negative_ratio`` times as many sampled non-tied pairs of the same
   stratum (seeded).
3. *Model.* :class:`~maillage.recommend.boosting.BoostedTrees` (logistic loss,
   Friedman 2001) on :data:`~maillage.recommend.features.FEATURES`.
4. *Calibration across strata.* Negatives were subsampled at rate ``r`` in each stratum,
   so ``log r`` is added to the model's log-odds (prior correction, King & Zeng 2001):
   scores of near and far pairs are then comparable probabilities.
5. The model learnt on ``Y - k`` is applied to the features computed at ``Y``.

With too little history (fewer than ``min_positives`` labelled ties in a stratum) the
stratum falls back on resource allocation (Zhou, Lü & Zhang 2009) plus preferential
attachment, squashed into (0, 1).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from maillage.analysis.graph import NO_YEAR, ActorGraph, BoolArray, FloatArray, IntArray
from maillage.recommend.boosting import BoostedTrees
from maillage.recommend.features import PairContext, lookup, pair_context, pair_features


@dataclass
class Stratum:
    """One fitted stratum: trees (or ``None`` for the fallback) and its log-rate offset."""

    trees: BoostedTrees | None
    offset: float
    positives: int
    negatives: int


@dataclass
class LinkModel:
    """Fitted link-prediction model; :meth:`log_odds` and :meth:`probability` score pairs."""

    near: Stratum
    far: Stratum
    inner_year: int | None
    info: dict[str, object] = field(default_factory=dict)

    def log_odds(self, ctx: PairContext, u: IntArray, v: IntArray) -> FloatArray:
        """Calibrated log-odds that ``u[i]`` and ``v[i]`` tie in the future."""
        x = pair_features(ctx, u, v)
        near = x[:, 3] > 0  # common_neighbours
        out = np.empty(len(u))
        for mask, stratum in ((near, self.near), (~near, self.far)):
            if mask.any():
                out[mask] = _stratum_score(stratum, x[mask])
        return out

    def probability(self, ctx: PairContext, u: IntArray, v: IntArray) -> FloatArray:
        """Probability in (0, 1) of a future tie for each pair."""
        return 1.0 / (1.0 + np.exp(-np.clip(self.log_odds(ctx, u, v), -60, 60)))


def _stratum_score(stratum: Stratum, x: FloatArray) -> FloatArray:
    if stratum.trees is None:
        return np.asarray(
            np.log(np.expm1(x[:, 5]) + 1e-3) + 0.5 * x[:, 0] - 6.0 + stratum.offset,
            dtype=np.float64,
        )
    return stratum.trees.decision(x) + stratum.offset


def inner_split_year(years: IntArray, ref_year: int, share: float = 0.2) -> int | None:
    """Smallest cut ``Y - k`` (``k >= 1``) leaving ``share`` of dated ties after it."""
    dated = years[(years != NO_YEAR) & (years < ref_year)]
    if len(dated) == 0 or dated.min() >= ref_year - 1:
        return None
    for k in range(1, ref_year - int(dated.min()) + 1):
        if (dated >= ref_year - k).mean() >= share:
            return ref_year - k
    return None


def fit_model(
    graph: ActorGraph,
    ref_year: int | None = None,
    *,
    seed: int = 0,
    negative_ratio: int = 10,
    min_positives: int = 30,
    n_trees: int = 60,
) -> LinkModel:
    """Fit a :class:`LinkModel` on the ties of ``graph`` formed before ``ref_year``.

    See the module docstring for the procedure. Deterministic for a given seed.
    """
    years = graph.pair_year
    ref = ref_year if ref_year is not None else (int(years.max()) + 1 if len(years) else 0)
    rng = np.random.default_rng(seed)
    inner = inner_split_year(years, ref)
    past_mask, future_mask = _split_masks(graph, ref, inner, rng)
    ctx = pair_context(graph, ref_year=inner if inner is not None else ref, known=past_mask)
    present = ctx.degree > 0
    pu, pv = graph.pair_src[future_mask], graph.pair_dst[future_mask]
    keep = present[pu] & present[pv]
    pu, pv = pu[keep], pv[keep]
    near_pos = lookup(ctx.cn, pu, pv) > 0
    strata = []
    for is_near in (True, False):
        su, sv = pu[near_pos == is_near], pv[near_pos == is_near]
        strata.append(
            _fit_stratum(
                ctx, su, sv, is_near, present, rng, negative_ratio, min_positives, n_trees, seed
            )
        )
    info: dict[str, object] = {"inner_year": inner, "ref_year": ref, "positives": len(pu)}
    return LinkModel(near=strata[0], far=strata[1], inner_year=inner, info=info)


def _split_masks(
    graph: ActorGraph, ref: int, inner: int | None, rng: np.random.Generator
) -> tuple[BoolArray, BoolArray]:
    years = graph.pair_year
    before = (years < ref) | (years == NO_YEAR)
    if inner is not None:
        future = (years >= inner) & (years < ref)
        return before & ~future, future
    future = before & (rng.random(len(years)) < 0.2)
    return before & ~future, future


def _fit_stratum(
    ctx: PairContext,
    pu: IntArray,
    pv: IntArray,
    near: bool,
    present: BoolArray,
    rng: np.random.Generator,
    ratio: int,
    min_positives: int,
    n_trees: int,
    seed: int,
) -> Stratum:
    population = _population(ctx, present, near)
    if len(pu) < min_positives or population <= 0:
        return Stratum(None, 0.0, len(pu), 0)
    positives = set((np.minimum(pu, pv) * ctx.n + np.maximum(pu, pv)).tolist())
    nu, nv = sample_non_edges(ctx, ratio * len(pu), rng, near=near, present=present)
    keys = np.minimum(nu, nv) * ctx.n + np.maximum(nu, nv)
    ok = np.array([k not in positives for k in keys.tolist()], dtype=bool)
    nu, nv = nu[ok], nv[ok]
    x = pair_features(ctx, np.r_[pu, nu], np.r_[pv, nv])
    y = np.r_[np.ones(len(pu)), np.zeros(len(nu))]
    trees = BoostedTrees(n_trees=n_trees, seed=seed).fit(x, y)
    offset = float(np.log(max(len(nu), 1) / population))
    return Stratum(trees, offset, len(pu), len(nu))


def _population(ctx: PairContext, present: BoolArray, near: bool) -> float:
    """Number of untied pairs of present actors in the stratum."""
    near_pairs = float(ctx.cn.nnz - ctx.cn.multiply(ctx.adj).nnz) / 2.0
    if near:
        return near_pairs
    p = float(present.sum())
    return p * (p - 1) / 2.0 - near_pairs - float(ctx.adj.nnz) / 2.0


def sample_non_edges(
    ctx: PairContext,
    size: int,
    rng: np.random.Generator,
    *,
    near: bool | None = None,
    present: BoolArray | None = None,
) -> tuple[IntArray, IntArray]:
    """Uniform sample of untied pairs of present actors (``near``: only distance two).

    ``near=None`` samples all untied pairs; ``True`` only pairs with a common partner;
    ``False`` only pairs without. May return fewer than ``size`` pairs.
    """
    present = ctx.degree > 0 if present is None else present
    nodes = np.flatnonzero(present)
    if len(nodes) < 2 or size <= 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    if near:
        upper = _near_pairs(ctx)
        pick = rng.choice(len(upper[0]), size=min(size, len(upper[0])), replace=False)
        return upper[0][pick], upper[1][pick]
    u = rng.choice(nodes, size=3 * size + 16)
    v = rng.choice(nodes, size=3 * size + 16)
    ok = (u != v) & (lookup(ctx.adj, u, v) == 0)
    if near is False:
        ok &= lookup(ctx.cn, u, v) == 0
    u, v = u[ok][:size], v[ok][:size]
    return u, v


def _near_pairs(ctx: PairContext) -> tuple[IntArray, IntArray]:
    """All untied pairs ``u < v`` with a common partner."""
    cached = ctx.__dict__.get("_near")
    if cached is None:
        upper = (ctx.cn - ctx.cn.multiply(ctx.adj)).tocsr()
        upper.eliminate_zeros()
        coo = upper.tocoo()
        keep = coo.row < coo.col
        cached = (coo.row[keep].astype(np.int64), coo.col[keep].astype(np.int64))
        ctx.__dict__["_near"] = cached
    return cached
