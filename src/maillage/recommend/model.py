"""The link-prediction model: boosted trees trained on the map's own history.

How it is trained (no constant is fitted to a particular data set):

1. *Internal temporal snapshots.* With ``Y`` the reference year (the split year in an
   evaluation, the year after the last tie otherwise), let ``k >= 1`` be the smallest
   number of years before ``Y`` holding at least 20 % of the dated ties. Snapshot ``j``
   (``j = 0 .. snapshots - 1``, at most five) cuts the history at ``Y - k - j``, kept
   while at least the same 20 % of the dated ties lie before its cut (a snapshot whose
   features rest on a sliver of history teaches the trees a map unlike the present
   one): features are computed on the ties before the cut
   (:func:`~maillage.recommend.features.pair_context`), labels are the ties formed in
   the next ``k`` years between actors already present. Several snapshots give the
   trees more, and more varied, examples of how the map grows (the "multiple snapshot"
   training of temporal link prediction, e.g. Potgieter et al. 2009). Without dates, a
   seeded random 20 % of the ties plays the part of the future.
2. *Two strata.* Pairs with a common partner ("near", distance two) and pairs without
   ("far") behave differently, so each stratum gets its own model, trained on its
   positives (at most ``max_positives`` over all snapshots, drawn with the seed) and
   ``negative_ratio`` times as many untied pairs of the same stratum
   (:mod:`~maillage.recommend.sampling`). Far negatives are drawn uniformly. Near
   negatives are drawn proportionally to their number ``c`` of common partners (one
   path of length two drawn uniformly): the best-ranked pairs, those that decide the
   precision of the top of the ranking, share many partners, and uniform negatives
   hardly show the trees any of them (hard-negative sampling). The bias is known, so it
   is undone exactly (importance sampling): the trees learn the log-odds minus
   ``log c`` up to a constant, and ``log c - log mu`` is added back, ``mu`` the mean
   ``c`` of uniform untied near pairs (``1 / mean(1 / c)`` over the drawn negatives).
3. *Model.* :class:`~maillage.recommend.boosting.BoostedTrees` (logistic loss,
   Friedman 2001) on :data:`~maillage.recommend.features.FEATURES`: common-neighbour
   indices, each end's activity history and its partners' recent activity, world,
   territory and themes, and the affinities of :mod:`~maillage.recommend.affinity`
   (Leiden communities at three resolutions, words shared by the names), all
   recomputed at each snapshot's cut.
4. *Calibration across strata.* Negatives and positives were subsampled at known rates
   in each stratum, so the log of their ratio is added to the model's log-odds (prior
   correction, King & Zeng 2001), with the ``log c - log mu`` of near pairs: scores of
   near and far pairs are then comparable probabilities.
5. The model learnt on the snapshots is applied to the features computed at ``Y``.

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
    """One fitted stratum: trees (or ``None`` for the fallback) and its log-rate offset;
    ``by_paths``: negatives drawn proportionally to common partners, whose log is added
    back to the trees' log-odds."""

    trees: BoostedTrees | None
    offset: float
    positives: int
    negatives: int
    by_paths: bool = False


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
    out = stratum.trees.decision(x) + stratum.offset
    if stratum.by_paths:
        out += np.log(np.maximum(np.expm1(x[:, COLUMN["common_neighbours"]]), 1.0))
    return out


def inner_split_year(years: IntArray, ref_year: int, share: float = 0.2) -> int | None:
    """Smallest cut ``Y - k`` (``k >= 1``) leaving ``share`` of dated ties after it."""
    dated = years[(years != NO_YEAR) & (years < ref_year)]
    if len(dated) == 0 or dated.min() >= ref_year - 1:
        return None
    for k in range(1, ref_year - int(dated.min()) + 1):
        if (dated >= ref_year - k).mean() >= share:
            return ref_year - k
    return None


@dataclass
class Sample:
    """Training rows of one stratum drawn from one snapshot of the map."""

    x: FloatArray
    y: FloatArray
    positives: int  # labelled ties in the stratum
    kept: int  # of which used (at most max_positives)
    population: float  # untied pairs of present actors in the stratum


def fit_model(
    graph: ActorGraph,
    ref_year: int | None = None,
    *,
    seed: int = 0,
    negative_ratio: int = 10,
    min_positives: int = 30,
    max_positives: int = 20_000,
    n_trees: int = 60,
    snapshots: int = 5,
    share: float = 0.2,
) -> LinkModel:
    """Fit a :class:`LinkModel` on the ties of ``graph`` formed before ``ref_year``.

    See the module docstring for the procedure. Deterministic for a given seed.
    """
    years = graph.pair_year
    ref = ref_year if ref_year is not None else (int(years.max()) + 1 if len(years) else 0)
    rng = np.random.default_rng(seed)
    inner = inner_split_year(years, ref, share)
    windows = _windows(years, ref, inner, snapshots, share)
    masks = _masks(graph, ref, windows, rng)
    cap = max(max_positives // len(masks), 1)
    samples = [_snapshot(graph, mask, rng, negative_ratio, cap) for mask in masks]
    strata = [
        _fit_stratum([s[k] for s in samples], rng, min_positives, n_trees, by_paths=k == 0)
        for k in (0, 1)
    ]
    info: dict[str, object] = {
        "inner_year": inner,
        "ref_year": ref,
        "windows": [list(w) for w in windows],
        "positives": sum(s[0].positives + s[1].positives for s in samples),
    }
    return LinkModel(near=strata[0], far=strata[1], inner_year=inner, info=info)


def _windows(
    years: IntArray, ref: int, inner: int | None, snapshots: int, share: float
) -> list[tuple[int, int]]:
    """Label windows ``[cut, cut + h)``, ``h = ref - inner``, the latest first, each
    leaving at least ``share`` of the dated ties before ``ref`` before its cut."""
    if inner is None:
        return []
    dated = years[(years != NO_YEAR) & (years < ref)]
    need = share * len(dated)
    return [
        (inner - j, ref - j) for j in range(snapshots) if (dated < inner - j).sum() >= need
    ] or [(inner, ref)]


def _masks(
    graph: ActorGraph, ref: int, windows: list[tuple[int, int]], rng: np.random.Generator
) -> list[tuple[int, BoolArray, BoolArray]]:
    """(reference year, known ties, labelled ties) of each snapshot."""
    years = graph.pair_year
    undated = years == NO_YEAR
    if not windows:
        before = (years < ref) | undated
        future = before & (rng.random(len(years)) < 0.2)
        return [(ref, before & ~future, future)]
    return [(cut, (years < cut) | undated, (years >= cut) & (years < end)) for cut, end in windows]


def _snapshot(
    graph: ActorGraph,
    masks: tuple[int, BoolArray, BoolArray],
    rng: np.random.Generator,
    negative_ratio: int,
    max_positives: int,
) -> tuple[Sample, Sample]:
    """Near and far training rows: features before the cut, labels in the window."""
    cut, known, labelled = masks
    ctx = pair_context(graph, ref_year=cut, known=known)
    present = ctx.degree > 0
    pu, pv = graph.pair_src[labelled], graph.pair_dst[labelled]
    keep = present[pu] & present[pv]
    pu, pv = pu[keep], pv[keep]
    near_pos = common_count(ctx.adj, pu, pv) > 0
    near_u, near_v, near_population = sample_near_pairs(
        ctx.adj, negative_ratio * min(int(near_pos.sum()), max_positives), rng, by_paths=True
    )
    p = float(present.sum())
    far_population = p * (p - 1) / 2.0 - near_population - ctx.ties
    su, sv = pu[~near_pos], pv[~near_pos]
    far_neg = sample_pairs(
        ctx.adj, negative_ratio * min(len(su), max_positives), rng, present, far_only=True
    )
    return (
        _rows(
            ctx, (pu[near_pos], pv[near_pos]), (near_u, near_v), near_population, rng, max_positives
        ),
        _rows(ctx, (su, sv), far_neg, far_population, rng, max_positives),
    )


def _rows(
    ctx: PairContext,
    positives: tuple[IntArray, IntArray],
    negatives: tuple[IntArray, IntArray],
    population: float,
    rng: np.random.Generator,
    max_positives: int,
) -> Sample:
    pu, pv = positives
    total = len(pu)
    if total > max_positives:
        pick = np.sort(rng.choice(total, size=max_positives, replace=False))
        pu, pv = pu[pick], pv[pick]
    nu, nv = negatives
    ok = ~np.isin(
        np.minimum(nu, nv) * ctx.n + np.maximum(nu, nv),
        np.minimum(pu, pv) * ctx.n + np.maximum(pu, pv),
    )
    nu, nv = nu[ok], nv[ok]
    x = pair_features(ctx, np.r_[pu, nu], np.r_[pv, nv])
    y = np.r_[np.ones(len(pu)), np.zeros(len(nu))]
    return Sample(x, y, total, len(pu), population)


def _fit_stratum(
    samples: list[Sample],
    rng: np.random.Generator,
    min_positives: int,
    n_trees: int,
    *,
    by_paths: bool = False,
) -> Stratum:
    """Trees on the stratum's rows of every snapshot, with the prior correction of the
    module docstring (negatives and positives subsampled at known rates; ``by_paths``:
    negatives drawn proportionally to their common partners)."""
    total = sum(s.positives for s in samples)
    population = sum(s.population for s in samples)
    if total < min_positives or population <= 0:
        return Stratum(None, 0.0, total, 0)
    x = np.concatenate([s.x for s in samples])
    y = np.concatenate([s.y for s in samples])
    kept = sum(s.kept for s in samples)
    negatives = len(y) - kept
    trees = BoostedTrees(n_trees=n_trees, seed=int(rng.integers(2**31))).fit(x, y)
    offset = float(np.log(max(negatives, 1) / population) - np.log(kept / total))
    if by_paths and negatives:
        c = np.maximum(np.expm1(x[y == 0, COLUMN["common_neighbours"]]), 1.0)
        offset += float(np.log(np.mean(1.0 / c)))  # - log mu
    return Stratum(trees, offset, total, negatives, by_paths)
