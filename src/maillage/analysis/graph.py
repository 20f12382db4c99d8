"""The actor graph: built once from plain records, filtered cheaply.

:class:`ActorGraph` holds an undirected simple igraph ``Graph`` (one edge per pair of
actors, whatever the number of link records between them) and numpy arrays indexed by
vertex (world code, digital-native flag, main territory, first year seen) and by link
record (ends, year, kind). Filters return a new :class:`ActorGraph` made from the same
arrays, without reading the records again.

Directed links are treated as undirected ties: the measures of this package (mixing,
brokerage, communities, link prediction) are about who works with whom.

The link kinds marked ``in_measures: false`` in the link kinds taxonomy
(:data:`MEASURE_EXCLUDED_KINDS`: the affiliations of places to a national programme, a
star of thousands of places around a few programme nodes) are left out of the graph by
default, so out of every measure built on it; ``include_kinds`` brings them in.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import igraph as ig
import numpy as np
import numpy.typing as npt

from maillage.model import taxonomy
from maillage.model.records import FIRST_YEAR, LAST_YEAR, ActorRecord, LinkRecord

WORLDS: tuple[str, ...] = (*(term.code for term in taxonomy.load("worlds")), "unknown")
"""World codes in the taxonomy's order, then ``unknown``: an actor's world is its index here."""
UNKNOWN_WORLD = len(WORLDS) - 1
NO_YEAR = -1
MEASURE_EXCLUDED_KINDS: frozenset[str] = frozenset(
    t.code for t in taxonomy.load("link_kinds") if t.data.get("in_measures") is False
)
"""Link kinds left out of the analysis graph unless asked for (``include_kinds``)."""

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


def world_code(world: str | None) -> int:
    """Return the index of ``world`` in :data:`WORLDS` (unknown worlds map to the last)."""
    try:
        return WORLDS.index((world or "unknown").strip().lower())
    except ValueError:
        return UNKNOWN_WORLD


def departement_of_commune(code: str | None) -> str | None:
    """Return ``DEP:xx`` for an INSEE commune code (``59350`` -> ``DEP:59``).

    Overseas communes (``97411``) map to three-digit départements (``DEP:974``),
    Corsican ones keep ``2A``/``2B``. Returns ``None`` for an empty or short code.
    """
    raw = (code or "").strip().upper().removeprefix("COM:")
    if len(raw) < 5:
        return None
    return f"DEP:{raw[:3]}" if raw.startswith("97") else f"DEP:{raw[:2]}"


def actor_territories(actor: ActorRecord) -> tuple[str, ...]:
    """All territory codes of an actor: its territories, its commune and département."""
    codes = [c.strip() for c in actor.territories if c and c.strip()]
    if actor.commune_code:
        commune = actor.commune_code.strip().upper().removeprefix("COM:")
        codes.append(f"COM:{commune}")
        dep = departement_of_commune(commune)
        if dep:
            codes.append(dep)
    return tuple(dict.fromkeys(codes))


def main_territory(codes: Sequence[str]) -> str:
    """The territory used to group an actor: its first département, else its first code."""
    for code in codes:
        if code.startswith("DEP:"):
            return code
    return codes[0] if codes else ""


def is_deleted(actor: ActorRecord) -> bool:
    """True when a record carries the soft-delete flag ``extra["deleted"]``."""
    return bool(actor.extra.get("deleted"))


def _actor_id(actor: ActorRecord) -> Hashable:
    return actor.id if actor.id is not None else actor.key


def _link_ends(link: LinkRecord) -> tuple[Hashable, Hashable]:
    if link.source_id is not None and link.target_id is not None:
        return link.source_id, link.target_id
    return link.source_key, link.target_key


@dataclass(eq=False)
class ActorGraph:
    """Actors as vertices, link records as ties; see the module docstring.

    Vertex arrays: ``ids`` (actor id or key), ``names``, ``world`` (index into
    :data:`WORLDS`), ``native`` (digital native), ``territory`` (main territory code),
    ``territories`` (all codes), ``themes``. Link arrays (one row per link record):
    ``src``, ``dst``, ``year`` (:data:`NO_YEAR` when undated), ``kind`` (index into
    ``kinds``), ``link_themes``. ``graph`` is the simple undirected igraph of the pairs (built lazily).
    ``unit``: the structure each actor belongs to (:func:`structure_units`: one SIREN or
    RNA, a place and its holder); each actor its own when not given.
    """

    ids: list[Hashable]
    names: list[str]
    world: IntArray
    native: BoolArray
    territory: list[str]
    territories: list[tuple[str, ...]]
    themes: list[frozenset[str]]
    src: IntArray
    dst: IntArray
    year: IntArray
    kind: IntArray
    kinds: list[str]
    link_themes: list[frozenset[str]]
    unit: IntArray | None = None
    pair_src: IntArray = field(init=False)
    pair_dst: IntArray = field(init=False)
    pair_year: IntArray = field(init=False)
    cache: dict[str, Any] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        if self.unit is None:
            self.unit = np.arange(len(self.ids), dtype=np.int64)
        self.pair_src, self.pair_dst, self.pair_year = _unique_pairs(
            self.src, self.dst, self.year, len(self.ids)
        )

    @cached_property
    def graph(self) -> ig.Graph:
        """The simple undirected igraph of the pairs, built on first use.

        Recommendations work on sparse matrices only and never pay for it.
        """
        g = ig.Graph(n=len(self.ids), directed=False)
        g.add_edges(np.column_stack([self.pair_src, self.pair_dst]))
        return g

    @property
    def n(self) -> int:
        """Number of actors (vertices)."""
        return len(self.ids)

    @property
    def m(self) -> int:
        """Number of distinct ties (pairs of actors linked at least once)."""
        return len(self.pair_src)

    def index(self) -> dict[Hashable, int]:
        """Map actor id (or key) to vertex index; cached."""
        if "index" not in self.cache:
            self.cache["index"] = {a: i for i, a in enumerate(self.ids)}
        found: dict[Hashable, int] = self.cache["index"]
        return found

    def vertex(self, actor_id: Hashable) -> int:
        """Vertex index of an actor; raises ``KeyError`` when absent or deleted."""
        return self.index()[actor_id]

    def degree(self) -> IntArray:
        """Degree (number of distinct partners) of every actor."""
        both = np.r_[self.pair_src, self.pair_dst]
        return np.bincount(both, minlength=self.n).astype(np.int64)

    def first_year(self) -> IntArray:
        """Year of each actor's first dated tie (:data:`NO_YEAR` if none)."""
        big = np.iinfo(np.int64).max
        first = np.full(self.n, big, dtype=np.int64)
        dated = self.pair_year != NO_YEAR
        np.minimum.at(first, self.pair_src[dated], self.pair_year[dated])
        np.minimum.at(first, self.pair_dst[dated], self.pair_year[dated])
        first[first == big] = NO_YEAR
        return first

    def select(self, keep: BoolArray, link_keep: BoolArray) -> ActorGraph:
        """A new graph on the kept vertices and the kept links between them."""
        new_index = np.full(self.n, -1, dtype=np.int64)
        new_index[keep] = np.arange(int(keep.sum()))
        link_keep = link_keep & keep[self.src] & keep[self.dst]
        idx = np.flatnonzero(keep)
        lidx = np.flatnonzero(link_keep)
        return ActorGraph(
            ids=[self.ids[i] for i in idx],
            names=[self.names[i] for i in idx],
            world=self.world[idx],
            native=self.native[idx],
            territory=[self.territory[i] for i in idx],
            territories=[self.territories[i] for i in idx],
            themes=[self.themes[i] for i in idx],
            src=new_index[self.src[lidx]],
            dst=new_index[self.dst[lidx]],
            year=self.year[lidx],
            kind=self.kind[lidx],
            kinds=self.kinds,
            link_themes=[self.link_themes[i] for i in lidx],
            unit=None if self.unit is None else self.unit[idx],
        )


def _unique_pairs(
    src: IntArray, dst: IntArray, year: IntArray, n: int
) -> tuple[IntArray, IntArray, IntArray]:
    """Collapse link records to distinct unordered pairs with their earliest year."""
    lo = np.minimum(src, dst).astype(np.int64)
    hi = np.maximum(src, dst).astype(np.int64)
    key = lo * max(n, 1) + hi
    sort_year = np.where(year == NO_YEAR, np.iinfo(np.int64).max, year)
    order = np.lexsort((sort_year, key))
    key_sorted = key[order]
    first = np.ones(len(order), dtype=bool)
    first[1:] = key_sorted[1:] != key_sorted[:-1]
    chosen = order[first]
    return lo[chosen], hi[chosen], year[chosen].astype(np.int64)


HOLDING = "holding"
"""The link kind tying a place to the structure that holds it (its legal entity)."""


def legal_unit(siren: str | None, siret: str | None, holder_siret: str | None,
               rna: str | None, holder_rna: str | None) -> str | None:  # fmt: skip
    """The legal unit an actor's identifiers name: its SIREN (own, or read from its SIRET
    or its holder's SIRET), else its RNA or its holder's; None when it has none."""
    siren = siren or (siret or "")[:9] or (holder_siret or "")[:9]
    if siren:
        return f"siren:{siren}"
    rna = rna or holder_rna
    return f"rna:{rna}" if rna else None


def structure_units(units: Sequence[str | None], holding: Iterable[tuple[int, int]]) -> IntArray:
    """One number per actor, equal for actors of one structure: those of one legal unit
    (:func:`legal_unit`, ``units[i]`` for actor ``i``) and the ends of each ``holding``
    pair (a place and its holder), transitively. Two actors of one structure are never
    proposed to each other as partners."""
    parent = list(range(len(units)))

    def root(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    first: dict[str, int] = {}
    pairs = [(first.setdefault(u, i), i) for i, u in enumerate(units) if u is not None]
    for a, b in [*pairs, *holding]:
        ra, rb = root(a), root(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    return np.array([root(i) for i in range(len(units))], dtype=np.int64)


def excluded_kinds(include_kinds: Iterable[str] = ()) -> frozenset[str]:
    """The link kinds left out of the analysis graph: :data:`MEASURE_EXCLUDED_KINDS`
    but those of ``include_kinds``."""
    return MEASURE_EXCLUDED_KINDS - frozenset(include_kinds)


def build_graph(
    actors: Iterable[ActorRecord],
    links: Iterable[LinkRecord],
    *,
    include_kinds: Iterable[str] = (),
) -> ActorGraph:
    """Build an :class:`ActorGraph` from plain records.

    Links of :data:`MEASURE_EXCLUDED_KINDS` (affiliations) are left out unless named
    in ``include_kinds``.

    Deleted actors (``extra["deleted"]``) are left out, with their links. Links whose
    ends are unknown, deleted or equal (self-loops) are skipped. Ends are matched by
    ``source_id``/``target_id`` when both are set, else by ``source_key``/``target_key``
    against the actors' ``id`` (or ``key`` when the actor has no id).
    """
    kept = [a for a in actors if not is_deleted(a)]
    ids = [_actor_id(a) for a in kept]
    index = {a: i for i, a in enumerate(ids) if a is not None}
    for i, actor in enumerate(kept):
        if actor.key is not None:
            index.setdefault(actor.key, i)
    terr = [actor_territories(a) for a in kept]
    rows: list[tuple[int, int, int, str, frozenset[str]]] = []
    held: list[tuple[int, int]] = []
    left_out = excluded_kinds(include_kinds)
    for link in links:
        s_id, t_id = _link_ends(link)
        s = index.get(s_id) if s_id is not None else None
        t = index.get(t_id) if t_id is not None else None
        if s is None or t is None or s == t:
            continue
        if link.kind == HOLDING:
            held.append((s, t))
        if link.kind in left_out:
            continue
        year = link.start_date.year if link.start_date else NO_YEAR
        year = year if FIRST_YEAR <= year <= LAST_YEAR else NO_YEAR  # a 0218 is a slip
        rows.append((s, t, year, link.kind, frozenset(link.themes)))
    kinds = sorted({r[3] for r in rows})
    kind_index = {k: i for i, k in enumerate(kinds)}
    return ActorGraph(
        ids=ids,
        names=[a.name for a in kept],
        world=np.array([world_code(a.world) for a in kept], dtype=np.int64),
        native=np.array([a.digital_profile == "native" for a in kept], dtype=bool),
        territory=[main_territory(c) for c in terr],
        territories=terr,
        themes=[frozenset(a.themes) for a in kept],
        src=np.array([r[0] for r in rows], dtype=np.int64),
        dst=np.array([r[1] for r in rows], dtype=np.int64),
        year=np.array([r[2] for r in rows], dtype=np.int64),
        kind=np.array([kind_index[r[3]] for r in rows], dtype=np.int64),
        kinds=kinds,
        link_themes=[r[4] for r in rows],
        unit=structure_units(
            [legal_unit(a.siren, a.siret, a.holder_siret, a.rna, a.holder_rna) for a in kept], held
        ),
    )
