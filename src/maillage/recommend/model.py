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
6. *Form chosen on the map's own history* (:func:`select_form`). No single form wins on
   every map: the trees rank the whole list best, but on maps of large consortia the
   top of the list may belong to Adamic-Adar or preferential attachment. So, before
   ``Y``, the same procedure is run once more at the inner cut ``Y - k`` (trees fitted on
   the ties before it), and on the ties formed in ``[Y - k, Y)`` every candidate form is
   ranked over the same pool as the evaluation
   (:func:`~maillage.recommend.ranking.pool_blocks`): the trees alone, each classic
   predictor alone (the trees breaking its ties) and the blends
   ``trees + w log(ra + eps)`` of the trees with resource allocation (:data:`BLENDED`)
   for ``w`` in :data:`BLEND_WEIGHTS` (stacking on the log scale): eleven forms, fixed
   in advance. The inner split is small on a map of a few thousand actors (480 to
   1,900 test ties on the CORDIS networks), where most forms lie within a few per cent
   of each other and the one found best is mostly best by chance (winner's curse): the
   more forms compared, the more its inner figure overstates its outer one. So the
   blends are made with one classic only, chosen in advance as the most precise of the
   common-neighbour indices over many real networks (Zhou, Lü & Zhang 2009). Measured
   at split 2019 over eight seeds, against blends with each of the five classics (31
   forms): on CORDIS UK the form chosen lost at worst 5 % of the best classic's
   precision@L at the outer split instead of 11 %, the geometric mean of the ratios
   over the five CORDIS networks rose from 1.02x to 1.03x, ANR's did not move. The
   form with the best figure there is taken, so it is never below the best classic on
   the inner split; when it is a blend, half its weight is applied if the half-weight
   blend also holds the best classic's figure there. The inner trees learn from less
   history than the final ones, so the weight that best corrects them overstates what
   the final trees need (measured on ANR at 2019: the inner split prefers ``w = 0.5``
   or ``1``, while at the outer split the trees alone are best and ``w = 0.25`` is
   within 2 % of them; without the halving ANR's ratio to the best classic fell from
   1.63-1.68x to 1.57-1.66x over three seeds). Three rankings, three forms, each chosen
   on the figure that measures it (:mod:`~maillage.recommend.ranking` ranks them as
   the evaluation does): the ranking of all pairs (territories) by precision@L
   (:attr:`LinkModel.form`); the ranking of one actor's candidates by the hits@10 of
   up to :data:`INNER_ACTORS` actors with a tie in ``[Y - k, Y)``, then their
   reciprocal rank (:attr:`LinkModel.actor_form`: on maps of large consortia the
   actors with most partners lead each actor's list while Adamic-Adar leads the list
   of all pairs, so one form cannot serve both); the bridging mode's ranking of
   cross-world pairs (:attr:`LinkModel.bridging_form`): Adamic-Adar, the trees breaking
   its ties (:func:`_bridging_chosen`; the cross-world figures of every form are kept in
   the selection table). The cross-world ties are a small share of the ties (a few
   dozen found on a map of 20,000 actors), and what the inner split shows of them does
   not carry over: a form replacing Adamic-Adar when it beat it there beyond chance
   (McNemar's exact test, 5 % shared among the forms) was taken once in 36 fits (six
   networks, six seeds) and then found 11 % fewer cross-world ties than Adamic-Adar at
   the outer split (ANR, seed 4). ``eps`` is half the smallest positive value the
   classic can take on the map (scale-free).
   Measured and not kept: choosing on two or three inner windows pooled (cuts
   ``Y - k - j``, each with trees fitted before it): the older windows' trees learn
   from a sliver of history (on CORDIS, whose ties start in 2015, the trees cut at 2016
   fall back, in one stratum or both, on the formula below), so the pooled figure
   favoured forms that lose at the outer split (geometric mean over CORDIS 0.90 to
   0.98x); keeping the best classic unless a form beats it beyond chance (McNemar,
   Bonferroni over the forms compared) held every network near 1.0x but gave up the
   trees' real gain on Italy (1.16x), whose 569 inner test ties cannot show it.

With too little history (fewer than ``min_positives`` labelled ties in a stratum) the
stratum falls back on resource allocation (Zhou, Lü & Zhang 2009) plus preferential
attachment, squashed into (0, 1).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from maillage.analysis.graph import (
    NO_YEAR,
    ActorGraph,
    BoolArray,
    FloatArray,
    IntArray,
)
from maillage.recommend.boosting import BoostedTrees
from maillage.recommend.features import COLUMN, PairContext, pair_context, pair_features
from maillage.recommend.ranking import rank_actors, rank_pool
from maillage.recommend.sampling import sample_near_pairs, sample_pairs
from maillage.recommend.structure import common_count

CLASSICS = (
    "common_neighbours",
    "jaccard",
    "adamic_adar",
    "resource_allocation",
    "preferential_attachment",
)
BLENDED = "resource_allocation"  # the one classic blended with the trees (module docstring)
BLEND_WEIGHTS = (0.25, 0.5, 1.0, 2.0, 4.0)
INNER_ACTORS = 500  # actors whose hits@10 the inner split measures (drawn with the seed)


@dataclass(frozen=True)
class Form:
    """How the trees' log-odds and a classic predictor make the ranking score:
    ``classic`` ``None``: the trees alone; ``pure``: the classic alone (its log), the
    trees breaking ties; else ``trees + weight * log(classic + eps)``."""

    classic: str | None = None
    weight: float = 0.0
    pure: bool = False
    eps: float = 1.0

    @property
    def name(self) -> str:
        """``trees``, ``adamic_adar`` or ``trees+1.0*log(adamic_adar)``."""
        if self.classic is None:
            return "trees"
        if self.pure:
            return self.classic
        return f"trees+{self.weight:g}*log({self.classic})"

    def apply(
        self, trees: FloatArray, classic: FloatArray | None, logged: FloatArray | None = None
    ) -> FloatArray:
        """The ranking score from the trees' log-odds and the classic's values (or their
        ``logged`` ``log(classic + eps)``, when already computed)."""
        if self.classic is None or (classic is None and logged is None):
            return trees
        if logged is None:
            assert classic is not None
            logged = np.log(classic + self.eps)
        if self.pure:
            return np.asarray(logged + 1e-6 * np.tanh(trees / 20.0), dtype=np.float64)
        return np.asarray(trees + self.weight * logged, dtype=np.float64)


def classic_values(
    name: str, ctx: PairContext, u: IntArray, v: IntArray, x: FloatArray
) -> FloatArray:
    """The classic predictor ``name`` of the pairs, from their feature rows ``x``."""
    if name == "preferential_attachment":
        return np.asarray(ctx.degree[u] * ctx.degree[v], dtype=np.float64)
    if name == "jaccard":
        return np.asarray(x[:, COLUMN["jaccard"]], dtype=np.float64)
    return np.asarray(np.expm1(x[:, COLUMN[name]]), dtype=np.float64)


def classic_eps(name: str, ctx: PairContext) -> float:
    """Half the smallest positive value of the classic ``name`` on the map."""
    d = ctx.degree[ctx.degree > 0]
    top = float(d.max()) if len(d) else 1.0
    smallest = {
        "common_neighbours": 1.0,
        "jaccard": 1.0 / max(2.0 * top, 1.0),
        "adamic_adar": 1.0 / np.log(max(top, 2.0)),
        "resource_allocation": 1.0 / max(top, 1.0),
        "preferential_attachment": 1.0,
    }[name]
    return 0.5 * float(smallest)


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
    form: Form = field(default_factory=Form)
    bridging_form: Form = field(default_factory=Form)
    actor_form: Form = field(default_factory=Form)

    def scores(
        self,
        ctx: PairContext,
        u: IntArray,
        v: IntArray,
        structure: FloatArray | None = None,
        *,
        bridging: bool = False,
        per_actor: bool = False,
    ) -> tuple[FloatArray, FloatArray]:
        """The ranking score of the model's form (``bridging``: of the form chosen on the
        cross-world ties; ``per_actor``: of the form chosen to rank each actor's
        candidates) and the trees' calibrated log-odds."""
        form = self.bridging_form if bridging else self.actor_form if per_actor else self.form
        x = pair_features(ctx, u, v, structure)
        trees = self._trees(x)
        classic = classic_values(form.classic, ctx, u, v, x) if form.classic else None
        return form.apply(trees, classic), trees

    def _trees(self, x: FloatArray) -> FloatArray:
        near = x[:, COLUMN["common_neighbours"]] > 0
        out = np.empty(len(x))
        for mask, stratum in ((near, self.near), (~near, self.far)):
            if mask.any():
                out[mask] = _stratum_score(stratum, x[mask])
        return out

    def log_odds(
        self, ctx: PairContext, u: IntArray, v: IntArray, structure: FloatArray | None = None
    ) -> FloatArray:
        """The ranking score of each pair (``structure``: see
        :func:`~maillage.recommend.features.pair_features`): the trees' calibrated
        log-odds that ``u[i]`` and ``v[i]`` tie in the future, in the form chosen on the
        map's own history (module docstring, step 6)."""
        return self.scores(ctx, u, v, structure)[0]

    def probability(
        self, ctx: PairContext, u: IntArray, v: IntArray, structure: FloatArray | None = None
    ) -> FloatArray:
        """Calibrated probability in (0, 1) of a future tie for each pair (the trees)."""
        return _sigmoid(self.scores(ctx, u, v, structure)[1])


def _sigmoid(x: FloatArray) -> FloatArray:
    return np.asarray(1.0 / (1.0 + np.exp(-np.clip(x, -60, 60))), dtype=np.float64)


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
    select: bool = True,
) -> LinkModel:
    """Fit a :class:`LinkModel` on the ties of ``graph`` formed before ``ref_year``.

    See the module docstring for the procedure (``select``: choose the form on an inner
    split, step 6). Deterministic for a given seed.
    """
    years = graph.pair_year
    ref = ref_year if ref_year is not None else (int(years.max()) + 1 if len(years) else 0)
    rng = np.random.default_rng(seed)
    inner = inner_split_year(years, ref, share)
    windows = _windows(years, ref, inner, snapshots, share)
    masks = _masks(graph, ref, windows, rng)
    cap = max(max_positives // len(masks), 1)
    if windows:
        samples = [
            _window_sample(graph, window, mask, seed, negative_ratio, cap)
            for window, mask in zip(windows, masks, strict=True)
        ]
    else:
        samples = [_snapshot(graph, masks[0], rng, negative_ratio, cap)]
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
    fitted = LinkModel(near=strata[0], far=strata[1], inner_year=inner, info=info)
    if select and inner is not None:
        kwargs = {
            "negative_ratio": negative_ratio,
            "max_positives": max_positives,
            "n_trees": n_trees,
            "snapshots": snapshots,
            "share": share,
        }
        form, bridging, actor, table = select_form(
            graph, inner, ref, seed=seed, min_positives=min_positives, **kwargs
        )
        fitted.form, fitted.bridging_form, fitted.actor_form = form, bridging, actor
        info["form"], info["bridging_form"] = form.name, bridging.name
        info["actor_form"] = actor.name
        info["selection"] = table
    if select:
        graph.cache.pop(CONTEXTS, None)
    return fitted


CONTEXTS = "fit_contexts"  # graph.cache key of the contexts shared while fitting


def _window_sample(
    graph: ActorGraph,
    window: tuple[int, int],
    masks: tuple[int, BoolArray, BoolArray],
    seed: int,
    negative_ratio: int,
    cap: int,
) -> tuple[Sample, Sample]:
    """:func:`_snapshot` of the label window ``[cut, end)``, drawn with a generator of
    its own, seeded by the seed and the window: a window's rows do not depend on how
    many other windows were drawn before it."""
    rng = np.random.default_rng((seed, *window, negative_ratio, cap))
    return _snapshot(graph, masks, rng, negative_ratio, cap)


def _context(graph: ActorGraph, cut: int, known: BoolArray | None = None) -> PairContext:
    """:func:`pair_context` at ``cut``, shared by the snapshots of the outer and inner fits
    that cut at the same year (the communities are the costly part)."""
    dated = (graph.pair_year < cut) | (graph.pair_year == NO_YEAR)
    if known is not None and not np.array_equal(known, dated):
        return pair_context(graph, ref_year=cut, known=known)
    shared: dict[int, PairContext] = graph.cache.setdefault(CONTEXTS, {})
    if cut not in shared:
        shared[cut] = pair_context(graph, ref_year=cut)
    return shared[cut]


def candidate_forms(ctx: PairContext) -> list[Form]:
    """The trees, each classic alone, and the blends of the trees with :data:`BLENDED`
    (module docstring, step 6)."""
    forms = [Form()]
    forms.extend(Form(name, pure=True, eps=classic_eps(name, ctx)) for name in CLASSICS)
    eps = classic_eps(BLENDED, ctx)
    forms.extend(Form(BLENDED, weight=w, eps=eps) for w in BLEND_WEIGHTS)
    return forms


@dataclass
class InnerSplit:
    """Every candidate form measured on the inner split: precision@L over all pairs
    (``all``, ``ties`` test ties), hits@10 and reciprocal rank of ``actors`` actors
    with a test tie (``hits``, ``rr``, means over the actors), and precision@L over the cross-world pairs only (``cross``,
    ``cross_ties``)."""

    forms: list[Form]
    all: list[float]
    hits: list[float]
    rr: list[float]
    cross: list[float]
    ties: int
    cross_ties: int
    actors: int


def inner_precision(
    graph: ActorGraph, trees: LinkModel, cut: int, end: int, seed: int = 0
) -> InnerSplit:
    """Every candidate form on the ties formed in ``[cut, end)`` between actors present
    before ``cut``, the trees of ``trees`` (fitted before ``cut``) giving the log-odds:
    precision@L over the evaluation's pool at ``cut`` and among its cross-world pairs,
    and hits@10 of at most :data:`INNER_ACTORS` actors, ranked as the evaluation ranks
    them (:mod:`~maillage.recommend.ranking`, the one place of both rankings)."""
    ctx = _context(graph, cut)
    present = ctx.degree > 0
    years, src, dst = graph.pair_year, graph.pair_src, graph.pair_dst
    test = (years >= cut) & (years < end) & present[src] & present[dst]
    tu, tv = src[test], dst[test]
    forms = candidate_forms(ctx)
    if len(tu) == 0:
        zero = [0.0] * len(forms)
        return InnerSplit(forms, zero, zero, zero, zero, 0, 0, 0)

    def scores(u: IntArray, v: IntArray, st: FloatArray) -> dict[str, FloatArray]:
        x = pair_features(ctx, u, v, st)
        base = trees._trees(x)
        logged = {  # once per classic: every form of a classic has its eps
            name: np.log(classic_values(name, ctx, u, v, x) + classic_eps(name, ctx))
            for name in CLASSICS
        }
        return {
            str(i): form.apply(base, None, logged[form.classic] if form.classic else None)
            for i, form in enumerate(forms)
        }

    ranked = rank_pool(ctx, tu, tv, scores, lambda u, v, st, own: own)
    actors = np.unique(np.r_[tu, tv])
    if len(actors) > INNER_ACTORS:
        pick = np.random.default_rng((seed, cut)).choice(len(actors), INNER_ACTORS, replace=False)
        actors = actors[np.sort(pick)]
    ranks = rank_actors(ctx, tu, tv, actors, scores)
    keys = [str(i) for i in range(len(forms))]
    return InnerSplit(
        forms,
        [ranked.precision(k) for k in keys],
        [float(np.mean(ranks[k] <= 10)) for k in keys],
        [float(np.mean(1.0 / ranks[k])) for k in keys],
        [ranked.cross_precision(k) if ranked.l_cross else 0.0 for k in keys],
        ranked.l_size,
        ranked.l_cross,
        len(actors),
    )


def _halved(forms: list[Form], chosen: Form, holds: list[bool]) -> Form:
    """``chosen``, or its half-weight blend when that one ``holds`` too (the inner trees
    learn from less history than the final ones, so the weight that best corrects them
    overstates what the final trees need; module docstring, step 6)."""
    if chosen.classic is None or chosen.pure:
        return chosen
    for form, ok in zip(forms, holds, strict=True):
        same = form.classic == chosen.classic and not form.pure
        if same and form.weight == chosen.weight / 2 and ok:
            return form
    return chosen


def _chosen(split: InnerSplit, least: int) -> Form:
    """The form ranking all pairs (module docstring, step 6): the first with the best
    precision@L on the inner split, its weight halved as :func:`_halved` says."""
    forms, precision = split.forms, split.all
    if split.ties < least:
        return Form()
    best = max(range(len(forms)), key=lambda i: (precision[i], -i))
    classic = max(p for f, p in zip(forms, precision, strict=True) if f.pure)
    return _halved(forms, forms[best], [p >= classic for p in precision])


def _actor_chosen(split: InnerSplit, least: int) -> Form:
    """The form ranking one actor's candidates (module docstring, step 6): the first
    with the best hits@10 of the inner split's actors, then the best reciprocal rank,
    its weight halved as :func:`_halved` says."""
    forms, hits, rr = split.forms, split.hits, split.rr
    if split.actors < least:
        return Form()
    best = max(range(len(forms)), key=lambda i: (hits[i], rr[i], -i))
    classic = max(h for f, h in zip(forms, hits, strict=True) if f.pure)
    return _halved(forms, forms[best], [h >= classic for h in hits])


def _bridging_chosen(split: InnerSplit) -> Form:
    """The bridging mode's form (module docstring, step 6): Adamic-Adar, the trees
    breaking its ties."""
    return next(f for f in split.forms if f.pure and f.classic == "adamic_adar")


def select_form(
    graph: ActorGraph,
    cut: int,
    ref: int,
    *,
    seed: int = 0,
    min_positives: int = 30,
    **kwargs: int | float,
) -> tuple[Form, Form, Form, dict[str, object]]:
    """The forms of the model, of its bridging mode and of its ranking of one actor's
    candidates chosen on the inner split ``[cut, ref)`` (:func:`_chosen`,
    :func:`_bridging_chosen`, :func:`_actor_chosen`; module docstring, step 6) and the
    table of every form's figures there."""
    trees = fit_model(graph, cut, seed=seed, select=False, min_positives=min_positives, **kwargs)  # type: ignore[arg-type]
    split = inner_precision(graph, trees, cut, ref, seed)
    names = [f.name for f in split.forms]
    table: dict[str, object] = {
        "inner_year": cut,
        "l": split.ties,
        "l_cross": split.cross_ties,
        "actors": split.actors,
        "precision_at_l": dict(zip(names, split.all, strict=True)),
        "hits_at_10": dict(zip(names, split.hits, strict=True)),
        "mrr": dict(zip(names, split.rr, strict=True)),
        "cross_precision_at_l": dict(zip(names, split.cross, strict=True)),
    }
    bridging = _bridging_chosen(split)
    return _chosen(split, min_positives), bridging, _actor_chosen(split, min_positives), table


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
    ctx = _context(graph, cut, known)
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
