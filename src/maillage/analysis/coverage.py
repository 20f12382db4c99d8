"""Coverage of the needs of each territory: who and what is within reach.

For each territory and theme with a need (a *cell*), three figures, the same on the
territory page, in ``maillage analyse`` and in ``maillage recommend territory``:

* the **nearest places** offering the theme: the actors carrying the need's theme (a
  theme under it in the tree or a source value meaning one of them:
  :func:`maillage.model.taxonomy.matching`) that have a position (their own
  coordinates, else their commune's centroid, marked approximate), the ``nearest``
  closest to the centroid of the need's territory whatever the distance, with their
  great-circle distance in km, and how many lie within :data:`REACH_KM`;
* the **actors acting there**, by territory of action, not distance: an actor of the
  theme is *within reach* of a need when one of its territory codes is the need's
  territory, one of its ancestors (an actor of the département reaches a need of one of
  its communes) or one of its descendants (an actor of a commune reaches a need of its
  département). Ancestors come from the optional ``parents`` mapping (``{"DEP:59":
  "REG:32", "COM:59350": "DEP:59", ...}``); without it, communes are attached to their
  département by their INSEE code. A place reaches its own commune, not the communes
  around it (:func:`acting_codes`);
* the **actors of the theme in the need's département** (placed in it or acting on a
  territory inside it), for scale.

A solution is within reach on the territory rule, with its served territories. A *white
zone* is a need with no actor acting there, no solution within reach and no place
within :data:`REACH_KM`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol, TypedDict

import numpy as np
from scipy.spatial import cKDTree

from maillage.analysis.graph import departement_of_commune
from maillage.model import taxonomy

REACH_KM = 10.0
"""A place farther than this from a need's territory (centroid to place) is out of reach:
the distance of the computed digital-inclusion needs (``maillage demo``)."""
NEAREST = 5  # nearest places listed for each need
EARTH_RADIUS_KM = 6371.0088  # mean Earth radius (IUGG)


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


class Actors(Protocol):
    """What coverage reads of actors: an :class:`~maillage.analysis.graph.ActorGraph` or
    an :class:`ActorTable`, by position (``ids``, ``names``, territory codes with the
    commune and its département, ``themes``)."""

    @property
    def ids(self) -> Sequence[Hashable]: ...
    @property
    def names(self) -> Sequence[str]: ...
    @property
    def territories(self) -> Sequence[Sequence[str]]: ...
    @property
    def themes(self) -> Sequence[frozenset[str]]: ...


@dataclass(frozen=True, slots=True)
class ActorTable:
    """Actors as plain columns, without links (what the territory page loads)."""

    ids: list[Hashable] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    territories: list[tuple[str, ...]] = field(default_factory=list)
    themes: list[frozenset[str]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Positions:
    """Where actors and territories are, in WGS84 degrees ``(latitude, longitude)``:
    ``actors`` by actor id (those of ``approximate`` sit at their commune's centroid),
    ``territories`` (centroids) by territory code."""

    actors: Mapping[Hashable, tuple[float, float]] = field(default_factory=dict)
    approximate: frozenset[Hashable] = frozenset()
    territories: Mapping[str, tuple[float, float]] = field(default_factory=dict)


class NearPlace(TypedDict):
    """A place offering a need's theme, and its distance to the need's territory."""

    id: Hashable
    name: str
    distance_km: float  # great-circle, to 0.1 km
    approximate: bool  # placed at its commune's centroid


class CoverageCell(TypedDict):
    """The needs of one territory on one theme, and what is within reach of them."""

    territory: str
    theme: str
    needs: int
    need_ids: list[Hashable]
    reach_km: float
    nearest: list[NearPlace]
    places_within_reach: int
    actors: int
    actor_names: list[str]
    departement: str | None
    departement_actors: int
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


def unit_vectors(latitudes: Iterable[float], longitudes: Iterable[float]) -> np.ndarray:
    """Points on the unit sphere (x, y, z) for WGS84 degrees: chord distances between
    them are monotone in great-circle distance, so a k-d tree finds true nearest points."""
    lat = np.radians(np.asarray(list(latitudes), dtype=float))
    lon = np.radians(np.asarray(list(longitudes), dtype=float))
    return np.column_stack((np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)))


def chord_km(chord: np.ndarray) -> np.ndarray:
    """Great-circle distance (km) of chord lengths between unit vectors."""
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.clip(np.asarray(chord) / 2, 0, 1))


def km_chord(km: float) -> float:
    """Chord length between unit vectors ``km`` apart on the Earth (inverse of
    :func:`chord_km`)."""
    return float(2 * np.sin(min(km / (2 * EARTH_RADIUS_KM), np.pi / 2)))


def nearest_distances_km(
    points: tuple[Sequence[float], Sequence[float]], places: tuple[Sequence[float], Sequence[float]]
) -> np.ndarray:
    """Great-circle distance (km) from each point to the nearest place, each given as
    ``(latitudes, longitudes)``; ``inf`` when there is no place. Uses
    :class:`scipy.spatial.cKDTree` on unit-sphere coordinates."""
    if len(places[0]) == 0:
        return np.full(len(points[0]), np.inf)
    tree = cKDTree(unit_vectors(*places))
    chord, _ = tree.query(unit_vectors(*points), k=1)
    return chord_km(chord)


def departement_of(code: str, parents: Mapping[str, str] | None = None) -> str | None:
    """The département that is ``code`` or holds it (``None`` for a région or a code
    outside the hierarchy)."""
    return next((c for c in ancestors(code, parents) if c.startswith("DEP:")), None)


class _Places:
    """The actors of one theme that have a position, in a k-d tree on the unit sphere."""

    def __init__(self, members: list[int], actors: Actors, positions: Positions) -> None:
        self.members = [i for i in members if actors.ids[i] in positions.actors]
        points = [positions.actors[actors.ids[i]] for i in self.members]
        self.tree = (
            cKDTree(unit_vectors([p[0] for p in points], [p[1] for p in points]))
            if points
            else None
        )

    def nearest(
        self, points: Sequence[tuple[float, float]], k: int, reach_km: float
    ) -> list[tuple[list[tuple[float, int]], int]]:
        """For each point, ``([(km, actor index), ...], places within reach_km)``, the
        ``k`` nearest first, ties by actor order (one k-d tree query for all points)."""
        if self.tree is None or k <= 0 or not points:
            return [([], 0) for _ in points]
        here = unit_vectors([p[0] for p in points], [p[1] for p in points])
        k = min(k, len(self.members))
        chord, found = self.tree.query(here, k=k)
        km = chord_km(np.asarray(chord).reshape(len(points), k))
        found = np.asarray(found).reshape(len(points), k)
        within = self.tree.query_ball_point(here, km_chord(reach_km), return_length=True)
        return [
            (
                sorted((float(d), self.members[int(j)]) for d, j in zip(row, ids, strict=True)),
                int(n),
            )
            for row, ids, n in zip(km, found, np.atleast_1d(within), strict=True)
        ]


def _by_distance(
    found: Iterable[int], actors: Actors, positions: Positions, point: tuple[float, float] | None
) -> list[int]:
    """Actor indexes nearest first to ``point`` (those without a position last), then
    by name and order."""
    found = sorted(found)
    if point is None or not found:
        return sorted(found, key=lambda i: (actors.names[i], i))
    where = [positions.actors.get(actors.ids[i]) for i in found]
    known = [w for w in where if w is not None]
    here = unit_vectors([point[0]], [point[1]])[0]
    chords = (
        np.linalg.norm(unit_vectors([w[0] for w in known], [w[1] for w in known]) - here, axis=1)
        if known
        else np.zeros(0)
    )
    km = iter(chord_km(chords).tolist())
    keys = [next(km) if w is not None else np.inf for w in where]
    order = sorted(range(len(found)), key=lambda j: (keys[j], actors.names[found[j]], found[j]))
    return [found[j] for j in order]


def coverage(
    actors: Actors,
    needs: Iterable[NeedRecord],
    solutions: Iterable[SolutionRecord] = (),
    *,
    parents: Mapping[str, str] | None = None,
    positions: Positions | None = None,
    names: int = 5,
    nearest: int = NEAREST,
    reach_km: float = REACH_KM,
) -> Coverage:
    """Needs per territory and theme, what is within reach of them, white zones.

    ``actors``: the map (an :class:`~maillage.analysis.graph.ActorGraph`) or the actors
    of the needs' themes (:class:`ActorTable`); ``positions``: where actors and the
    needs' territories are (without it, no nearest place). Returns ``cells`` (one per
    territory and theme with a need, sorted: ``needs``; the ``nearest`` places of the
    theme with their distance and ``places_within_reach`` of ``reach_km``; the
    ``actors`` acting there and up to ``names`` of them, nearest first; the
    ``departement`` and its ``departement_actors``; the ``solutions`` within reach and
    up to ``names`` of them; ``white_zone``) and ``white_zones`` (see the module
    docstring).
    """
    cells: dict[tuple[str, str], list[NeedRecord]] = defaultdict(list)
    for need in needs:
        cells[(need.territory, need.theme)].append(need)
    if not cells:
        return {"cells": [], "white_zones": []}
    positions = positions or Positions()
    wanted = {theme: taxonomy.matching("themes", theme) for _, theme in cells}

    def meant(themes: Iterable[str]) -> frozenset[str]:
        carried = frozenset(themes)
        return frozenset(t for t, codes in wanted.items() if not codes.isdisjoint(carried))

    carried = [meant(themes) for themes in actors.themes]
    concerned = [i for i, themes in enumerate(carried) if themes]
    acting = ReachIndex(
        [(acting_codes(actors.territories[i]), carried[i]) for i in concerned], parents
    )
    inside = ReachIndex([(actors.territories[i], carried[i]) for i in concerned], parents)
    sols = list(solutions)
    sol_index = ReachIndex([(s.territories, meant(s.themes)) for s in sols], parents)
    places = {
        t: _Places([i for i in concerned if t in carried[i]], actors, positions) for t in wanted
    }
    located: dict[str, list[str]] = defaultdict(list)  # theme -> territories with a centroid
    for territory, theme in cells:
        if territory in positions.territories:
            located[theme].append(territory)
    near_of = {
        (territory, theme): found
        for theme, codes in located.items()
        for territory, found in zip(
            codes,
            places[theme].nearest([positions.territories[c] for c in codes], nearest, reach_km),
            strict=True,
        )
    }
    rows: list[CoverageCell] = []
    for (territory, theme), recorded in sorted(cells.items()):
        point = positions.territories.get(territory)
        near, within = near_of.get((territory, theme), ([], 0))
        found = [concerned[k] for k in acting.within_reach(territory, theme)]
        dep = departement_of(territory, parents)
        reached = sorted(sol_index.within_reach(territory, theme))
        rows.append(
            {
                "territory": territory,
                "theme": theme,
                "needs": len(recorded),
                "need_ids": [n.id for n in recorded if n.id is not None],
                "reach_km": reach_km,
                "nearest": [_near(actors, positions, i, km) for km, i in near],
                "places_within_reach": within,
                "actors": len(found),
                "actor_names": [
                    actors.names[i] for i in _by_distance(found, actors, positions, point)[:names]
                ],
                "departement": dep,
                "departement_actors": len(inside.up.get((dep, theme), ())) if dep else 0,
                "solutions": len(reached),
                "solution_names": [sols[i].name for i in reached[:names]],
                "white_zone": not found and not reached and not within,
            }
        )
    return {
        "cells": rows,
        "white_zones": [
            {"territory": r["territory"], "theme": r["theme"]} for r in rows if r["white_zone"]
        ],
    }


def _near(actors: Actors, positions: Positions, i: int, km: float) -> NearPlace:
    return {
        "id": actors.ids[i],
        "name": actors.names[i],
        "distance_km": round(km, 1),
        "approximate": actors.ids[i] in positions.approximate,
    }
