"""Recommend new alliances for an actor or inside a territory.

Two modes: ``likely`` ranks by the model's probability of a future tie (see
:mod:`maillage.recommend.model`); ``bridging`` favours the alliances the field wants
more of: ``p * (0.4 + 0.4 * complementary_worlds + 0.2 * shared_theme_or_need)``, which
stays in [0, 1] and at most halves a same-world proposal's score.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from typing import TypedDict

import numpy as np

from maillage.analysis.coverage import (
    NeedRecord,
    SolutionRecord,
    coverage,
    reach_keys,
)
from maillage.analysis.filter import GraphFilter, needs_in, territory_mask, theme_mask
from maillage.analysis.graph import WORLDS, ActorGraph, FloatArray, IntArray
from maillage.recommend.candidates import apart, candidates, complementary
from maillage.recommend.explain import Reasons, TerritoryNames, explain_pair, matching_needs
from maillage.recommend.features import PairContext, pair_context
from maillage.recommend.model import LinkModel, fit_model
from maillage.recommend.ranking import cross_world
from maillage.recommend.store import ModelStore
from maillage.recommend.structure import two_step

MODES = ("likely", "bridging")


class Recommendation(Reasons):
    """A proposed partner of an actor (see :func:`recommend_for_actor`), with the
    reasons of :class:`~maillage.recommend.explain.Reasons`."""

    id: Hashable
    name: str
    world: str
    score: float
    probability: float


class PairEnd(TypedDict):
    """An actor of a proposed link."""

    id: Hashable
    name: str
    world: str


class PairRecommendation(Reasons):
    """A proposed link inside a territory (see :func:`recommend_for_territory`)."""

    source: PairEnd
    target: PairEnd
    score: float
    probability: float


class ReplicableSolution(TypedDict):
    """A solution carried elsewhere, with the number of its carriers."""

    id: Hashable | None
    name: str
    territories: list[str]
    carriers: int


class ReplicableNeed(TypedDict):
    """Needs of a territory on a theme that no solution reaches, and solutions to
    replicate for them (see :func:`replicable_solutions`)."""

    territory: str
    theme: str
    solutions: list[ReplicableSolution]


class TerritoryRecommendations(TypedDict):
    """Missing links inside a territory and solutions to replicate for its needs."""

    territory: str
    mode: str
    links: list[PairRecommendation]
    solutions: list[ReplicableNeed]


def prepare(
    graph: ActorGraph, *, seed: int = 0, store: ModelStore | None = None
) -> tuple[PairContext, LinkModel]:
    """The pair context and fitted model of ``graph``, built once and cached on it;
    with ``store``, the model is read from it when this graph was fitted before."""
    if "recommend" not in graph.cache:
        fitted = store.fitted(graph, seed) if store else fit_model(graph, seed=seed)
        graph.cache["recommend"] = (pair_context(graph), fitted)
    ctx, model = graph.cache["recommend"]
    return ctx, model


def mode_scores(
    ctx: PairContext,
    p: FloatArray,
    u: IntArray,
    v: IntArray,
    mode: str,
    needs: Sequence[NeedRecord] = (),
) -> FloatArray:
    """Scores in [0, 1] of the pairs for ``mode`` from probabilities ``p``."""
    if mode not in MODES:
        raise ValueError(f"mode inconnu : {mode!r} (likely ou bridging)")
    if mode == "likely":
        return p
    cross = cross_world(ctx.graph, u, v)
    themed = np.asarray(ctx.themes[u].multiply(ctx.themes[v]).sum(axis=1)).ravel() > 0
    if needs:
        themed |= np.array(
            [bool(matching_needs(ctx, int(a), int(b), needs)) for a, b in zip(u, v, strict=True)],
            dtype=bool,  # an empty list of pairs is still a boolean array
        )
    return np.asarray(p * (0.4 + 0.4 * cross + 0.2 * themed), dtype=np.float64)


def recommend_for_actor(
    graph: ActorGraph,
    actor_id: Hashable,
    *,
    top: int = 10,
    mode: str = "likely",
    needs: Sequence[NeedRecord] = (),
    model: LinkModel | None = None,
    lang: str = "fr",
    seed: int = 0,
    store: ModelStore | None = None,
    territory_names: TerritoryNames | None = None,
) -> list[Recommendation]:
    """New partners for ``actor_id``, best first, each with its reasons in words.

    Returns up to ``top`` :class:`Recommendation`: ``id``, ``name``, ``world``, ``score`` (in [0, 1]),
    ``probability``, ``reason_codes``, ``reasons``, ``shared_partners``. Never the actor,
    an existing partner or a deleted actor. ``store``: see :func:`prepare`.
    ``territory_names`` names the territories in the reasons (``Nord (DEP:59)``; the
    code alone without it). Raises ``KeyError`` for an unknown (or deleted) actor and
    ``ValueError`` for an unknown mode.
    """
    ctx, fitted = prepare(graph, seed=seed, store=store)
    model = model or fitted
    u = graph.vertex(actor_id)
    cand, structure = candidates(ctx, u)
    us = np.full(len(cand), u, dtype=np.int64)
    rank, p = _probabilities(model, ctx, us, cand, structure, mode=mode, per_actor=True)
    score = mode_scores(ctx, rank, us, cand, mode, needs)
    order = _ranking(graph, score, cand)[:top]
    return [
        {
            "id": graph.ids[cand[i]],
            "name": graph.names[cand[i]],
            "world": WORLDS[graph.world[cand[i]]],
            "score": float(score[i]),
            "probability": float(p[i]),
            **explain_pair(ctx, u, int(cand[i]), needs, lang, territory_names),
        }
        for i in order
    ]


def _probabilities(
    model: LinkModel,
    ctx: PairContext,
    u: IntArray,
    v: IntArray,
    structure: FloatArray | None = None,
    *,
    mode: str = "likely",
    per_actor: bool = False,
) -> tuple[FloatArray, FloatArray]:
    """The ranking score of ``mode`` (the bridging mode ranks by the form chosen on the
    cross-world ties; ``per_actor``: the likely mode ranks one actor's candidates by the
    form chosen for that) squashed into (0, 1), and the calibrated probability."""
    bridging = mode == "bridging"
    score, trees = model.scores(
        ctx, u, v, structure, bridging=bridging, per_actor=per_actor and not bridging
    )
    return 1.0 / (1.0 + np.exp(-np.clip(score, -60, 60))), 1.0 / (
        1.0 + np.exp(-np.clip(trees, -60, 60))
    )


def _ranking(graph: ActorGraph, score: FloatArray, cand: IntArray) -> list[int]:
    """Indices by decreasing score, ties broken by actor id (independent of vertex order)."""
    keys = [str(graph.ids[c]) for c in cand]
    return sorted(range(len(cand)), key=lambda i: (-float(score[i]), keys[i]))


def territory_pairs(ctx: PairContext, members: IntArray) -> tuple[IntArray, IntArray]:
    """Untied pairs inside ``members`` at distance two or complementary on a theme."""
    inside = np.zeros(ctx.n, dtype=bool)
    inside[members] = True
    su, sv, _ = two_step(ctx.adj, np.sort(members))
    keep = inside[sv] & (sv > su)
    us, vs = [su[keep]], [sv[keep]]
    for u in members:
        others = complementary(ctx, int(u))
        others = others[inside[others] & (others > u)]
        us.append(np.full(len(others), u, dtype=np.int64))
        vs.append(others)
    keys = np.unique(np.concatenate(us) * ctx.n + np.concatenate(vs))
    u_all, v_all = keys // ctx.n, keys % ctx.n
    untied = apart(ctx, u_all, v_all)
    return u_all[untied], v_all[untied]


def recommend_for_territory(
    graph: ActorGraph,
    territory: str,
    *,
    top: int = 20,
    mode: str = "bridging",
    needs: Sequence[NeedRecord] = (),
    solutions: Iterable[SolutionRecord] = (),
    parents: Mapping[str, str] | None = None,
    model: LinkModel | None = None,
    lang: str = "fr",
    seed: int = 0,
    store: ModelStore | None = None,
    within: tuple[str, ...] = (),
    territory_names: TerritoryNames | None = None,
    theme: str | None = None,
) -> TerritoryRecommendations:
    """The most valuable missing links inside ``territory`` and solutions to replicate.

    ``links``: up to ``top`` pairs of actors of the territory (code prefix, or the
    prefixes ``within``, as in :class:`~maillage.analysis.filter.GraphFilter`), best
    first, with score and reasons. The territory's needs are those filed on it or inside it.
    ``solutions``: for each need of the territory with no solution within reach, the
    solutions carried elsewhere on the same theme, most carried first. ``store``: see
    :func:`prepare`; ``territory_names``: see :func:`recommend_for_actor`. ``theme``:
    only the pairs with at least one end carrying it (or a theme under it), and the needs
    of that theme.
    """
    ctx, fitted = prepare(graph, seed=seed, store=store)
    model = model or fitted
    part = GraphFilter(territory=territory, theme=theme, within=within)
    members = np.flatnonzero(territory_mask(graph, within or territory))
    local_needs = needs_in(needs, part, parents)
    u, v = territory_pairs(ctx, members)
    if theme is not None:
        carries = theme_mask(graph, theme)
        themed = carries[u] | carries[v]
        u, v = u[themed], v[themed]
    rank, p = _probabilities(model, ctx, u, v, mode=mode)
    score = mode_scores(ctx, rank, u, v, mode, local_needs)
    order = np.lexsort((v, u, -score))[:top]
    links = [
        _pair_entry(ctx, int(u[i]), int(v[i]), score[i], p[i], local_needs, lang, territory_names)
        for i in order
    ]
    return {
        "territory": territory,
        "mode": mode,
        "links": links,
        "solutions": replicable_solutions(graph, local_needs, list(solutions), parents),
    }


def _pair_entry(
    ctx: PairContext,
    u: int,
    v: int,
    score: float,
    p: float,
    needs: Sequence[NeedRecord],
    lang: str,
    territory_names: TerritoryNames | None = None,
) -> PairRecommendation:
    g = ctx.graph
    return {
        "source": {"id": g.ids[u], "name": g.names[u], "world": WORLDS[g.world[u]]},
        "target": {"id": g.ids[v], "name": g.names[v], "world": WORLDS[g.world[v]]},
        "score": float(score),
        "probability": float(p),
        **explain_pair(ctx, u, v, needs, lang, territory_names),
    }


def replicable_solutions(
    graph: ActorGraph,
    needs: Sequence[NeedRecord],
    solutions: Sequence[SolutionRecord],
    parents: Mapping[str, str] | None = None,
    limit: int = 5,
) -> list[ReplicableNeed]:
    """Solutions carried elsewhere matching the needs that no solution reaches."""
    cells = coverage(graph, needs, solutions, parents=parents)["cells"]
    out: list[ReplicableNeed] = []
    for cell in cells:
        if cell["solutions"]:
            continue
        here = reach_keys([cell["territory"]], parents)
        found = [
            s
            for s in solutions
            if cell["theme"] in s.themes and not here & reach_keys(s.territories, parents)
        ]
        found.sort(key=lambda s: (-len(s.carriers), s.name))
        out.append(
            {
                "territory": cell["territory"],
                "theme": cell["theme"],
                "solutions": [
                    {
                        "id": s.id,
                        "name": s.name,
                        "territories": s.territories,
                        "carriers": len(s.carriers),
                    }
                    for s in found[:limit]
                ],
            }
        )
    return out
