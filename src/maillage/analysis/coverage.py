"""Coverage of the needs of each territory: who and what is within reach.

An actor is *within reach* of a need when it works on the need's theme and one of its
territory codes is the need's territory, one of its ancestors (an actor of the
département reaches a need of one of its communes) or one of its descendants (an
actor of a commune reaches a need of its département). Ancestors come from the
optional ``parents`` mapping (``{"DEP:59": "REG:32", "COM:59350": "DEP:59", ...}``);
without it, communes are attached to their département by their INSEE code.
A solution is within reach on the same rule, with its served territories. A *white
zone* is a need with neither an actor nor a solution within reach.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TypedDict

from maillage.analysis.graph import ActorGraph, departement_of_commune


@dataclass(slots=True)
class NeedRecord:
    """A need recorded in a territory for a theme (DESIGN.md section 5)."""

    territory: str
    theme: str
    id: Hashable | None = None
    description: str | None = None
    publics: list[str] = field(default_factory=list)
    severity: int | None = None
    status: str = "observed"  # observed | qualified | addressed


@dataclass(slots=True)
class SolutionRecord:
    """An initiative carried by actors, serving territories, on themes."""

    name: str
    territories: list[str] = field(default_factory=list)
    themes: list[str] = field(default_factory=list)
    carriers: list[Hashable] = field(default_factory=list)
    id: Hashable | None = None
    modality: str | None = None  # digital | proximity | hybrid
    stage: str | None = None  # initiative | invention | innovation | replication


class CoverageCell(TypedDict):
    """The needs of one territory on one theme, and what is within reach of them."""

    territory: str
    theme: str
    needs: int
    need_ids: list[Hashable]
    actors: int
    actor_names: list[str]
    solutions: int
    solution_names: list[str]
    white_zone: bool


class WhiteZone(TypedDict):
    """A territory and theme with needs and nothing within reach."""

    territory: str
    theme: str


class Coverage(TypedDict):
    """Coverage of the needs (see :func:`coverage`)."""

    cells: list[CoverageCell]
    white_zones: list[WhiteZone]


def ancestors(code: str, parents: Mapping[str, str] | None = None) -> list[str]:
    """The code and its ancestors, nearest first (cycle-safe)."""
    chain = [code]
    while True:
        parent = parents.get(chain[-1]) if parents else None
        if parent is None and chain[-1].startswith("COM:"):
            parent = departement_of_commune(chain[-1])
        if parent is None or parent in chain:
            return chain
        chain.append(parent)


def reach_keys(codes: Iterable[str], parents: Mapping[str, str] | None = None) -> set[str]:
    """Every territory a set of codes reaches upwards (the codes and their ancestors)."""
    keys: set[str] = set()
    for code in codes:
        keys.update(ancestors(code, parents))
    return keys


def acting_codes(codes: Sequence[str]) -> list[str]:
    """The territories an actor acts on: its codes without the département of its own
    commune, which the graph adds for filters and which would otherwise make every actor
    of a commune reach the needs of all the communes around it. (An actor placed in a
    commune that also declares that département acts on its commune.)"""
    derived = {departement_of_commune(c) for c in codes if c.startswith("COM:")}
    return [c for c in codes if c not in derived]


class ReachIndex:
    """Index of items (actors, solutions) by (territory, theme) for reach queries."""

    def __init__(
        self,
        items: Sequence[tuple[Sequence[str], Iterable[str]]],
        parents: Mapping[str, str] | None = None,
    ) -> None:
        self.up: dict[tuple[str, str], set[int]] = defaultdict(set)
        self.own: dict[tuple[str, str], set[int]] = defaultdict(set)
        self.parents = parents
        for i, (codes, themes) in enumerate(items):
            chain = reach_keys(codes, parents)
            for theme in themes:
                for code in codes:
                    self.own[(code, theme)].add(i)
                for code in chain:
                    self.up[(code, theme)].add(i)

    def within_reach(self, territory: str, theme: str) -> set[int]:
        """Items in the territory or below it (``up``) or acting above it (``own``)."""
        found = set(self.up.get((territory, theme), ()))
        for code in ancestors(territory, self.parents):
            found |= self.own.get((code, theme), set())
        return found


def coverage(
    graph: ActorGraph,
    needs: Iterable[NeedRecord],
    solutions: Iterable[SolutionRecord] = (),
    *,
    parents: Mapping[str, str] | None = None,
    names: int = 5,
) -> Coverage:
    """Needs per territory and theme, the actors and solutions within reach, white zones.

    Returns ``cells`` (one per territory and theme with a need: ``needs``, ``actors``,
    ``solutions`` counts, up to ``names`` actor and solution names, ``white_zone``),
    and ``white_zones`` (the cells with nothing within reach), sorted by territory.
    """
    cells: dict[tuple[str, str], list[NeedRecord]] = defaultdict(list)
    for need in needs:
        cells[(need.territory, need.theme)].append(need)
    if not cells:
        return {"cells": [], "white_zones": []}
    wanted = {theme for _, theme in cells}
    sols = list(solutions)
    concerned = [i for i, themes in enumerate(graph.themes) if not themes.isdisjoint(wanted)]
    actor_index = ReachIndex(
        [(acting_codes(graph.territories[i]), graph.themes[i] & wanted) for i in concerned],
        parents,
    )
    sol_index = ReachIndex([(s.territories, s.themes) for s in sols], parents)
    degree = graph.degree()
    rows = []
    for (territory, theme), recorded in sorted(cells.items()):
        found_actors = [concerned[k] for k in actor_index.within_reach(territory, theme)]
        actors = sorted(found_actors, key=lambda i: (-degree[i], i))
        found = sorted(sol_index.within_reach(territory, theme))
        rows.append(
            _cell(
                territory,
                theme,
                recorded,
                [graph.names[i] for i in actors],
                [sols[i].name for i in found],
                names,
            )
        )
    return {
        "cells": rows,
        "white_zones": [
            {"territory": r["territory"], "theme": r["theme"]} for r in rows if r["white_zone"]
        ],
    }


def _cell(
    territory: str,
    theme: str,
    recorded: list[NeedRecord],
    actors: list[str],
    solutions: list[str],
    names: int,
) -> CoverageCell:
    return {
        "territory": territory,
        "theme": theme,
        "needs": len(recorded),
        "need_ids": [n.id for n in recorded if n.id is not None],
        "actors": len(actors),
        "actor_names": actors[:names],
        "solutions": len(solutions),
        "solution_names": solutions[:names],
        "white_zone": not actors and not solutions,
    }
