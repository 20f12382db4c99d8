"""Reasons, in words, for a proposed alliance between two actors.

Worlds and themes are named by their taxonomies; territories by the caller, who passes a
:data:`TerritoryNames` (code -> name, ``None`` when unknown): recommend reads no
geography itself.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from typing import TypedDict

import numpy as np

from maillage.analysis.coverage import NeedRecord, ancestors
from maillage.analysis.graph import NO_YEAR, UNKNOWN_WORLD, WORLDS
from maillage.model import taxonomy
from maillage.model.errors import MaillageError
from maillage.model.numbers import number
from maillage.model.text import stop_words
from maillage.recommend.affinity import graph_name_words, words_of
from maillage.recommend.features import PairContext
from maillage.recommend.projects import KEY as PROJECTS
from maillage.recommend.projects import Projects

TerritoryNames = Callable[[str], str | None]
"""The name of a territory code (``"DEP:59"`` -> ``"Nord"``), ``None`` when unknown."""

TEXT = {
    "fr": {
        "world": "le monde {name}",
        "partners": "partenaires communs : {names}",
        "worlds": "mondes complémentaires : {a} et {b}",
        "themes": "thèmes partagés : {themes}",
        "territory": "même territoire : {place}",
        "distance2": "à deux pas dans le réseau",
        "far": "pas encore reliés, même indirectement, par un partenaire commun",
        "need": "besoin de {place} sur « {theme} » que ce binôme peut traiter",
        "community": "même communauté du réseau ({size} acteurs reliés entre eux plus qu'au reste)",
        "names": "noms proches (mots communs : {words})",
        "consortium": "dans le voisinage d'un même consortium : {a} a déjà travaillé avec "
        "{count} membre(s) du projet {project}, dont {b} faisait partie",
    },
    "en": {
        "world": "the {name} world",
        "partners": "shared partners: {names}",
        "worlds": "complementary worlds: {a} and {b}",
        "themes": "shared themes: {themes}",
        "territory": "same territory: {place}",
        "distance2": "two steps apart in the network",
        "far": "not yet joined, even through a shared partner",
        "need": "need of {place} on “{theme}” this pair could address",
        "community": "same network community ({size} actors tied more to each other than to the rest)",
        "names": "similar names (shared words: {words})",
        "consortium": "in the same consortium's neighbourhood: {a} already worked with "
        "{count} member(s) of project {project}, of which {b} was a member",
    },
}


def place_name(code: str, names: TerritoryNames | None = None) -> str:
    """``Nord (DEP:59)`` for a code ``names`` knows, the code itself otherwise."""
    found = names(code) if names is not None else None
    return f"{found} ({code})" if found else code


def world_name(code: str, lang: str) -> str:
    """``le monde économique`` / ``the economic world``: the world's short name (from its
    taxonomy) in a sentence."""
    short = taxonomy.term("worlds", code).short("en" if lang == "en" else "fr")
    return TEXT["en" if lang == "en" else "fr"]["world"].format(name=short)


def theme_name(code: str, lang: str) -> str:
    """The label of a theme of the taxonomy in ``lang``; a free-text theme as it is."""
    try:
        return taxonomy.label("themes", code, "en" if lang == "en" else "fr")
    except MaillageError:
        return code


def shared_partners(ctx: PairContext, u: int, v: int, limit: int = 3) -> list[int]:
    """Common partners of ``u`` and ``v``, the most specific (fewest ties) first."""
    pu = ctx.adj.indices[ctx.adj.indptr[u] : ctx.adj.indptr[u + 1]]
    pv = ctx.adj.indices[ctx.adj.indptr[v] : ctx.adj.indptr[v + 1]]
    common = np.intersect1d(pu, pv)
    order = np.lexsort((common, ctx.degree[common]))
    return [int(c) for c in common[order][:limit]]


COMMON_WORD_SHARE = 0.01  # a word more than 1 % of the names hold says nothing of a pair


def shared_name_words(ctx: PairContext, u: int, v: int, limit: int = 3) -> list[str]:
    """Words both names hold (three letters or more, French stop words left out), the
    rarest on the map first: what the name-similarity feature sees. Words that more
    than :data:`COMMON_WORD_SHARE` of the map's names hold (at least two) are left out:
    "université" shared by two of 20,000 research partners is no reason to ally them."""
    names = ctx.graph.names
    common = words_of(names[u] or "") & words_of(names[v] or "")
    common -= stop_words()
    if not common:
        return []
    rarity = graph_name_words(ctx.graph).counts
    most = max(2.0, COMMON_WORD_SHARE * len(names))
    rare = [w for w in common if rarity.get(w, 0) <= most]
    return sorted(rare, key=lambda w: (rarity.get(w, 0), w))[:limit]


def consortium_neighbourhood(ctx: PairContext, u: int, v: int) -> tuple[int, int, int] | None:
    """The project (known at the context's year, from
    :func:`~maillage.recommend.projects.attach_projects`) holding one end of the pair and
    the most partners of the other end: ``(project, member end, partners of the other
    end in it)``; ``None`` without projects or without such a partner."""
    projects = ctx.graph.cache.get(PROJECTS)
    if not isinstance(projects, Projects):
        return None
    known = (projects.year < ctx.ref_year) | (projects.year == NO_YEAR)
    best: tuple[int, int, int] | None = None
    for member, other in ((v, u), (u, v)):
        partners = ctx.adj.indices[ctx.adj.indptr[other] : ctx.adj.indptr[other + 1]]
        mine = projects.project[(projects.actor == member) & known[projects.project]]
        inside = np.isin(projects.project, mine) & np.isin(projects.actor, partners)
        if not inside.any():
            continue
        found, counts = np.unique(projects.project[inside], return_counts=True)
        k = int(np.argmax(counts))  # the first of the largest (lowest project number)
        if best is None or counts[k] > best[2]:
            best = (int(found[k]), member, int(counts[k]))
    return best


def matching_needs(
    ctx: PairContext, u: int, v: int, needs: Sequence[NeedRecord]
) -> list[NeedRecord]:
    """Needs of a territory of ``u`` or ``v`` (or above) on a theme one of them carries."""
    g = ctx.graph
    themes = g.themes[u] | g.themes[v]
    reach: set[str] = set()
    for code in (*g.territories[u], *g.territories[v]):
        reach.update(ancestors(code))
    return [n for n in needs if n.theme in themes and n.territory in reach]


class SharedPartner(TypedDict):
    """A partner both actors of a pair already have."""

    id: Hashable
    name: str


class Reasons(TypedDict):
    """Why a pair is proposed: reason codes, the same reasons in words, partners named."""

    reason_codes: list[str]
    reasons: list[str]
    shared_partners: list[SharedPartner]


def explain_pair(
    ctx: PairContext,
    u: int,
    v: int,
    needs: Sequence[NeedRecord] = (),
    lang: str = "fr",
    territory_names: TerritoryNames | None = None,
) -> Reasons:
    """Reasons for the pair ``(u, v)``: codes, sentences and the shared partners named.
    Territories are named by ``territory_names`` (their codes alone without it)."""
    g, text = ctx.graph, TEXT.get(lang, TEXT["fr"])
    codes: list[str] = []
    reasons: list[str] = []
    partners = shared_partners(ctx, u, v)
    if partners:
        codes.append("shared_partners")
        reasons.append(text["partners"].format(names=", ".join(g.names[p] for p in partners)))
        codes.append("distance_2")
        reasons.append(text["distance2"])
    wu, wv = int(g.world[u]), int(g.world[v])
    if wu != wv and UNKNOWN_WORLD not in (wu, wv):
        codes.append("complementary_worlds")
        a, b = world_name(WORLDS[wu], lang), world_name(WORLDS[wv], lang)
        reasons.append(text["worlds"].format(a=a, b=b))
    themes = sorted(g.themes[u] & g.themes[v])
    if themes:
        codes.append("shared_themes")
        reasons.append(text["themes"].format(themes=", ".join(theme_name(t, lang) for t in themes)))
    if g.territory[u] and g.territory[u] == g.territory[v]:
        codes.append("same_territory")
        place = place_name(g.territory[u], territory_names)
        reasons.append(text["territory"].format(place=place))
    elif not partners:
        codes.append("far")
        reasons.append(text["far"])
    level = ctx.community.shape[1] // 2  # the middle resolution (modularity's own, 1.0)
    size = int(ctx.community_size[u, level])
    if size > 1 and ctx.community[u, level] == ctx.community[v, level]:
        codes.append("same_community")
        reasons.append(text["community"].format(size=number(size, "fr" if lang == "fr" else "en")))
    consortium = consortium_neighbourhood(ctx, u, v)
    if consortium is not None:
        project, member, count = consortium
        other = v if member == u else u
        codes.append("consortium_neighbourhood")
        reasons.append(
            text["consortium"].format(
                a=g.names[other],
                b=g.names[member],
                count=count,
                project=g.cache[PROJECTS].names[project],
            )
        )
    words = shared_name_words(ctx, u, v)
    if words:
        codes.append("similar_names")
        reasons.append(text["names"].format(words=", ".join(words)))
    for need in matching_needs(ctx, u, v, needs)[:2]:
        codes.append("territory_need")
        reasons.append(
            text["need"].format(
                place=place_name(need.territory, territory_names),
                theme=theme_name(need.theme, lang),
            )
        )
    return {
        "reason_codes": codes,
        "reasons": reasons,
        "shared_partners": [{"id": g.ids[p], "name": g.names[p]} for p in partners],
    }
