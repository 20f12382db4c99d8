"""Restrict an :class:`~maillage.analysis.graph.ActorGraph` to a part of the map.

Semantics of each criterion (they combine with AND):

* ``territory``: a code prefix (``DEP:59``, ``COM:59350``, ``REG:32``) matched against
  every territory code of an actor (its territories, its commune and the commune's
  département). Only matching actors are kept, with the links among them. ``within``,
  when given, replaces it by several prefixes (a région and its départements, a commune
  and its municipal arrondissements, an EPCI and its communes); ``territory`` then only
  names the part.
* ``world``: the links that touch at least one actor of that world, and their ends
  (the ego network of the world, so that its mixing with the others stays visible).
* ``theme``: the links carrying the theme, or whose two ends carry it; the actors
  carrying the theme are kept even without such a link. A theme is carried by a
  record carrying it, a theme under it in the tree or a source value meaning one of
  them (:func:`maillage.model.taxonomy.matching`, the rule of the SQL filters too).
* ``kind``: only the links of that kind; actors are kept.
* ``period``: only the links whose start year lies in ``[start, end]`` (undated links
  are left out); actors are kept.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np

from maillage.analysis.coverage import NeedRecord, ancestors
from maillage.analysis.graph import ActorGraph, BoolArray, world_code
from maillage.model import taxonomy


@dataclass(frozen=True, slots=True)
class GraphFilter:
    """What part of the map to analyse; ``None`` means no restriction."""

    territory: str | None = None
    theme: str | None = None
    world: str | None = None
    kind: str | None = None
    period: tuple[int, int] | None = None
    within: tuple[str, ...] = ()

    def is_empty(self) -> bool:
        """True when the filter keeps the whole map."""
        return not self.within and all(
            v is None for v in (self.territory, self.theme, self.world, self.kind, self.period)
        )

    def territory_prefixes(self) -> tuple[str, ...]:
        """The code prefixes an actor's territory must start with (empty: any)."""
        if self.within:
            return self.within
        return (self.territory.strip(),) if self.territory else ()


def parse_period(text: str) -> tuple[int, int]:
    """Parse ``"2015:2020"`` (or ``"2015"``) into ``(2015, 2020)``; raises ``ValueError``."""
    parts = text.replace("-", ":").split(":")
    start = int(parts[0])
    end = int(parts[-1]) if parts[-1] else start
    if end < start:
        raise ValueError(f"période inversée : {text!r}")
    return start, end


def territory_mask(graph: ActorGraph, prefix: str | tuple[str, ...]) -> BoolArray:
    """Actors with at least one territory code starting with ``prefix`` (or one of them)."""
    prefix = prefix.strip() if isinstance(prefix, str) else prefix
    return np.array(
        [any(c.startswith(prefix) for c in codes) for codes in graph.territories], dtype=bool
    )


def theme_mask(graph: ActorGraph, theme: str) -> BoolArray:
    """Actors carrying ``theme``, a theme under it or a source value meaning one of them
    (:func:`maillage.model.taxonomy.matching`)."""
    wanted = taxonomy.matching("themes", theme)
    return np.array([not wanted.isdisjoint(t) for t in graph.themes], dtype=bool)


def apply_filter(graph: ActorGraph, flt: GraphFilter) -> ActorGraph:
    """Return the part of ``graph`` described by ``flt`` (see the module docstring)."""
    if flt.is_empty():
        return graph
    keep = np.ones(graph.n, dtype=bool)
    links = np.ones(len(graph.src), dtype=bool)
    if prefixes := flt.territory_prefixes():
        keep &= territory_mask(graph, prefixes)
    if flt.kind is not None:
        kinds = np.array([k == flt.kind for k in graph.kinds] + [False], dtype=bool)
        links &= kinds[graph.kind] if len(graph.kinds) else links
    if flt.period is not None:
        start, end = flt.period
        links &= (graph.year >= start) & (graph.year <= end)
    if flt.theme is not None:
        wanted = taxonomy.matching("themes", flt.theme)
        carries = theme_mask(graph, flt.theme)
        tagged = np.array([not wanted.isdisjoint(t) for t in graph.link_themes], dtype=bool)
        links &= tagged | (carries[graph.src] & carries[graph.dst])
        keep &= carries | _touched(graph, links)
    if flt.world is not None:
        in_world = graph.world == world_code(flt.world)
        links &= in_world[graph.src] | in_world[graph.dst]
        keep &= _touched(graph, links & keep[graph.src] & keep[graph.dst]) | in_world
    return graph.select(keep, links)


def _touched(graph: ActorGraph, links: BoolArray) -> BoolArray:
    touched = np.zeros(graph.n, dtype=bool)
    touched[graph.src[links]] = True
    touched[graph.dst[links]] = True
    return touched


def needs_in(
    needs: Iterable[NeedRecord], flt: GraphFilter, parents: Mapping[str, str] | None = None
) -> list[NeedRecord]:
    """The needs of the part of the map ``flt`` describes: filed on a territory inside the
    filter's territory (by the same code prefix as actors), and on its theme or a theme
    under it (:func:`maillage.model.taxonomy.matching`). World, kind
    and period select actors and ties, not needs."""
    prefixes = flt.territory_prefixes()
    wanted = taxonomy.matching("themes", flt.theme) if flt.theme is not None else None
    return [
        need
        for need in needs
        if (wanted is None or need.theme in wanted)
        and (
            not prefixes or any(c.startswith(prefixes) for c in ancestors(need.territory, parents))
        )
    ]
