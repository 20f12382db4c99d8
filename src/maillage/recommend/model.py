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
from maillage.recommend.features import COLUMN, PairContext, pair_context, pair_features
from maillage.recommend.sampling import sample_near_pairs, sample_pairs
from maillage.recommend.structure import common_count


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

    def log_odds(
        self, ctx: PairContext, u: IntArray, v: IntArray, structure: FloatArray | None = None
    ) -> FloatArray:
        """Calibrated log-odds that ``u[i]`` and ``v[i]`` tie in the future (``structure``:
        see :func:`~maillage.recommend.features.pair_features`)."""
        x = pair_features(ctx, u, v, structure)
        near = x[:, COLUMN["common_neighbours"]] > 0
        out = np.empty(len(u))
        for mask, stratum in ((near, self.near), (~near, self.far)):
            if mask.any():
                out[mask] = _stratum_score(stratum, x[mask])
        return out

    def probability(
        self, ctx: PairContext, u: IntArray, v: IntArray, structure: FloatArray | None = None
    ) -> FloatArray:
        """Probability in (0, 1) of a future tie for each pair."""
        return 1.0 / (1.0 + np.exp(-np.clip(self.log_odds(ctx, u, v, structure), -60, 60)))


def _stratum_score(stratum: Stratum, x: FloatArray) -> FloatArray:
    if stratum.trees is None:
        return np.asarray(
            np.log(np.expm1(x[:, COLUMN["resource_allocation"]]) + 1e-3)
            + 0.5 * x[:, COLUMN["log_degree_sum"]]
            - 6.0
            + stratum.offset,
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
    max_positives: int = 20_000,
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
    near_pos = common_count(ctx.adj, pu, pv) > 0
    near_u, near_v, near_population = sample_near_pairs(
        ctx.adj, negative_ratio * min(int(near_pos.sum()), max_positives), rng
    )
    p = float(present.sum())
    populations = (near_population, p * (p - 1) / 2.0 - near_population - ctx.ties)
    strata = []
    for is_near, population in zip((True, False), populations, strict=True):
        su, sv = pu[near_pos == is_near], pv[near_pos == is_near]
        if is_near:
            negatives = (near_u, near_v)
        else:
            negatives = sample_pairs(
                ctx.adj, negative_ratio * min(len(su), max_positives), rng, present, far_only=True
            )
        strata.append(
            _fit_stratum(
                ctx, (su, sv), negatives, population, rng, min_positives, max_positives, n_trees
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
    positives: tuple[IntArray, IntArray],
    negatives: tuple[IntArray, IntArray],
    population: float,
    rng: np.random.Generator,
    min_positives: int,
    max_positives: int,
    n_trees: int,
) -> Stratum:
    """Trees on the stratum's positives (at most ``max_positives``, drawn with the seed)
    and sampled negatives, with the prior correction of the module docstring."""
    pu, pv = positives
    total = len(pu)
    if total < min_positives or population <= 0:
        return Stratum(None, 0.0, total, 0)
    if total > max_positives:
        pick = np.sort(rng.choice(total, size=max_positives, replace=False))
        pu, pv = pu[pick], pv[pick]
    keys = set((np.minimum(pu, pv) * ctx.n + np.maximum(pu, pv)).tolist())
    nu, nv = negatives
    ok = np.array(
        [k not in keys for k in (np.minimum(nu, nv) * ctx.n + np.maximum(nu, nv)).tolist()],
        dtype=bool,
    )
    nu, nv = nu[ok], nv[ok]
    x = pair_features(ctx, np.r_[pu, nu], np.r_[pv, nv])
    y = np.r_[np.ones(len(pu)), np.zeros(len(nu))]
    trees = BoostedTrees(n_trees=n_trees, seed=int(rng.integers(2**31))).fit(x, y)
    offset = float(np.log(max(len(nu), 1) / population) - np.log(len(pu) / total))
    return Stratum(trees, offset, total, len(nu))
