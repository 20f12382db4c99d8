"""Data of the territory page: indicators, needs and their coverage, actors by world,
mixing between worlds, and the sub-territories where actors are.

The links between worlds are those of the territory's actors: both ends in the
territory, or one in it and the other with no known place (a national programme, a
company known by its SIRET only: it is nowhere else). The research network (ANR
co-partnerships, kind :data:`RESEARCH`) is a layer, off by default on this page: around
a territory's needs it would drown the ecosystem of mediation places, their holders,
funders and suppliers (``research=True`` shows it, as the explore view and the actor
pages always do).

The link kinds left out of the measures (``in_measures: false`` in the link kinds
taxonomy: the affiliations of places to a national programme, a star of thousands of
places around a few programme nodes) are left out of the mixing by the analysis graph's
rule (:data:`~maillage.analysis.graph.MEASURE_EXCLUDED_KINDS`), and counted apart, per
kind, as a layer (``left_out``).
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from dataclasses import dataclass
from itertools import chain
from typing import Any, Literal, TypedDict

import numpy as np
import sqlalchemy as sa

from maillage.analysis.coverage import NearPlace, NeedRecord
from maillage.analysis.graph import MEASURE_EXCLUDED_KINDS
from maillage.services.analysis import need_coverage
from maillage.services.filters import (
    Filters,
    actor_conditions,
    actor_scope,
    commune_codes,
    link_conditions,
    territory_parts,
)
from maillage.services.geography import READING_COLUMNS, resolve_territory
from maillage.services.needs import need_description
from maillage.services.portal import by_world, data_version, label
from maillage.services.portal.pages import territory_names
from maillage.services.portal.view import departements_of
from maillage.storage.tables import (
    actor,
    actor_territory,
    indicator,
    link,
    maturity,
    need,
    territory,
)

Lang = Literal["fr", "en"]
log = logging.getLogger(__name__)
RESEARCH = "research_collaboration"
"""The link kind of the research layer (see the module docstring)."""


class ParentTerritory(TypedDict):
    code: str
    name: str
    level: str


class WorldPair(TypedDict):
    """Links between two worlds (in alphabetical order), in both directions."""

    worlds: list[str]
    count: int


class WorldMixing(TypedDict):
    """Links between worlds inside a view (see :func:`mixing`); ``left_out``: the links
    of the view of the kinds left out of the measures, per kind (a layer)."""

    pairs: list[WorldPair]
    links: int
    cross_world_links: int
    cross_world_share: float | None
    ei_index: float | None
    left_out: dict[str, int]


class TerritoryNeed(TypedDict):
    """A need of the territory with its coverage where it is filed (see
    :class:`~maillage.analysis.coverage.CoverageCell`): ``actors_on_theme`` acting there
    and the first ``actor_names``, the ``nearest`` places of its theme, the actors of the
    theme in its ``departement``."""

    id: int
    theme: str
    theme_label: str | None
    description: str | None
    publics: list[str]
    severity: int | None
    status: str
    status_label: str | None
    date: str | None
    actors_on_theme: int
    actor_names: list[str]
    nearest: list[NearPlace]
    places_within_reach: int
    reach_km: float
    departement: str | None
    departement_actors: int
    white_zone: bool
    territory_code: str
    place: str | None  # where it was filed, when it is a part of this territory


class SubTerritory(TypedDict):
    code: str
    name: str
    actors: int


class TerritoryPage(TypedDict):
    """The data of a territory page (see :func:`territory_page`); ``indicators`` and
    ``maturity`` are rows of their tables, ``white_zones`` the needs with no actor."""

    code: str
    name: str
    level: str
    population: int | None
    latitude: float | None
    longitude: float | None
    parents: list[ParentTerritory]
    actors: int
    by_world: list[dict[str, Any]]
    mixing: WorldMixing
    research: bool  # the research layer is shown
    layers: list[dict[str, Any]]  # links left out of the mixing: code, label, count
    needs: list[TerritoryNeed]
    indicators: list[dict[str, Any]]
    maturity: list[dict[str, Any]]
    sub_territories: list[SubTerritory]
    white_zones: list[TerritoryNeed]


class TerritoryNeeds(TypedDict):
    """A territory's needs and white zones without the rest of its page (see
    :func:`territory_needs`)."""

    code: str
    name: str
    level: str
    needs: list[TerritoryNeed]
    white_zones: list[TerritoryNeed]


@dataclass(frozen=True, slots=True)
class _Arrays:
    """Live actors counted per commune and world, and the live links between live actors
    sorted by the commune of their source, with the commune and world of both ends."""

    communes: dict[str, int]  # commune code -> index; then: no place, declared elsewhere
    names: list[str]  # commune code by index
    worlds: list[str]
    per_commune_world: np.ndarray[Any, Any]  # (communes + 1, worlds) actor counts
    offsets: np.ndarray[Any, Any]  # links of source commune c: offsets[c]:offsets[c + 1]
    source_commune: np.ndarray[Any, Any]
    target_commune: np.ndarray[Any, Any]
    kind: np.ndarray[Any, Any]  # the link's kind, an index in ``kinds``
    kinds: list[str]
    source_world: np.ndarray[Any, Any]
    target_world: np.ndarray[Any, Any]

    def indexes(self, communes: list[str]) -> np.ndarray[Any, Any]:
        """Sorted indexes of the known ``communes``."""
        found = {self.communes[c] for c in communes if c in self.communes}
        return np.array(sorted(found), dtype=np.int64)


class TerritoryIndex:
    """Counts of a territory's actors and links by world, from arrays instead of SQL.

    The mixing of a département joins each of its ten thousand links to both ends: the
    arrays of the whole map (a few megabytes) answer it in a millisecond. They are built
    in a background thread for each data version (about a second per 100,000 links);
    until they are, and for territories that actors declare outside their commune,
    :func:`territory_page` reads SQL as before.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._built: dict[str, tuple[int, _Arrays]] = {}
        self._building: set[str] = set()

    def get(self, db: sa.Engine, *, wait: bool = False) -> _Arrays | None:
        """The arrays of ``db`` at its current version, or None while they are built
        (``wait``: build them now)."""
        version = data_version(db=db)
        key = db.url.render_as_string(hide_password=False)
        with self._lock:
            found = self._built.get(key)
            if found is not None and found[0] == version:
                return found[1]
            if key in self._building and not wait:
                return None
            self._building.add(key)
        if wait:
            self._build(db, key, version)
            return self._built[key][1]
        threading.Thread(target=self._build, args=(db, key, version), daemon=True).start()
        return None

    def _build(self, db: sa.Engine, key: str, version: int) -> None:
        try:
            arrays = build_arrays(db)
            with self._lock:
                self._built[key] = (version, arrays)
        except Exception:  # the pages go on with SQL
            log.exception("territory index of %s failed", db.url)
        finally:
            with self._lock:
                self._building.discard(key)


def build_arrays(db: sa.Engine) -> _Arrays:
    """Read the communes and worlds of live actors and links (see :class:`TerritoryIndex`)."""
    actors = sa.select(actor.c.id, actor.c.commune_code, actor.c.world).where(
        actor.c.deleted_at.is_(None)
    )
    links = sa.select(link.c.source_id, link.c.target_id, link.c.kind).where(
        link.c.deleted_at.is_(None)
    )
    with db.connect() as conn:
        actor_rows = conn.execute(actors).all()
        rows = conn.execute(links).all()
        declared = set(conn.execute(sa.select(actor_territory.c.actor_id)).scalars())
    pairs = [(a, b) for a, b, _ in rows]
    kinds: dict[str, int] = {}
    kind = np.fromiter((kinds.setdefault(k, len(kinds)) for _, _, k in rows), np.int64, len(rows))
    # fromiter over plain integers: numpy's array() probes each Row as a sequence (slow)
    ends = np.fromiter(chain.from_iterable(pairs), np.int64, 2 * len(pairs)).reshape(-1, 2)
    communes: dict[str | None, int] = {}
    worlds: dict[str | None, int] = {}
    for _, c, w in actor_rows:
        if c is not None:
            communes.setdefault(c, len(communes))
        worlds.setdefault(w, len(worlds))
    none = len(communes)  # no place; none + 1: no commune, a declared territory
    top = max([r[0] for r in actor_rows] + [int(ends.max()) if len(ends) else 0]) + 1
    commune_of = np.full(top, -1, dtype=np.int64)  # -1: not a live actor
    world_of = np.zeros(top, dtype=np.int64)
    ids = np.fromiter((r[0] for r in actor_rows), np.int64, len(actor_rows))
    commune_of[ids] = [
        (none + (i in declared)) if c is None else communes[c] for i, c, _ in actor_rows
    ]
    world_of[ids] = [worlds[w] for _, _, w in actor_rows]
    per = np.zeros((none + 2, len(worlds)), dtype=np.int64)
    np.add.at(per, (commune_of[ids], world_of[ids]), 1)
    src, dst = commune_of[ends[:, 0]], commune_of[ends[:, 1]]
    live = (src >= 0) & (dst >= 0)
    order = np.argsort(src[live], kind="stable")
    sources = src[live][order]
    return _Arrays(
        communes={c: i for c, i in communes.items() if c is not None},
        names=[c for c in communes if c is not None],
        worlds=[w or "unknown" for w in worlds],
        per_commune_world=per,
        offsets=np.searchsorted(sources, np.arange(none + 3)),
        source_commune=sources,
        target_commune=dst[live][order],
        kind=kind[live][order],
        kinds=list(kinds),
        source_world=world_of[ends[live, 0]][order],
        target_world=world_of[ends[live, 1]][order],
    )


def _parents(conn: sa.Connection, parent: str | None) -> list[ParentTerritory]:
    chain: list[ParentTerritory] = []
    while parent and len(chain) < 5:
        row = conn.execute(sa.select(*READING_COLUMNS).where(territory.c.code == parent)).first()
        if row is None:
            break
        chain.append({"code": row.code, "name": row.name, "level": row.level})
        parent = row.parent_code
    return chain


def _by_world(conn: sa.Connection, where: list[sa.ColumnElement[bool]]) -> Counter[str]:
    query = sa.select(actor.c.world, sa.func.count()).where(*where).group_by(actor.c.world)
    return Counter({(w or "unknown"): int(n) for w, n in conn.execute(query)})


def mixing(
    conn: sa.Connection,
    filters: Filters,
    scope: sa.Select[tuple[int]] | None = None,
    *,
    research: bool = True,
    unplaced: bool = False,
) -> WorldMixing:
    """World x world link counts inside the view, the cross-world share and E-I index,
    without the kinds left out of the measures (counted apart in ``left_out``);
    ``research=False`` leaves the research layer out, ``unplaced`` counts the links of
    the view's actors whose other end has no known place (see the module docstring).

    E-I index (Krackhardt & Stern 1988): (external - internal) / (external + internal),
    from -1 (links only inside worlds) to +1 (links only across worlds).
    """
    source, target = actor.alias("s"), actor.alias("t")
    where = _link_where(conn, filters, scope, research=research, unplaced=unplaced)
    query = (
        sa.select(source.c.world, target.c.world, sa.func.count())
        .select_from(
            link.join(source, source.c.id == link.c.source_id).join(
                target, target.c.id == link.c.target_id
            )
        )
        .where(*where, link.c.kind.not_in(sorted(MEASURE_EXCLUDED_KINDS)))
        .group_by(source.c.world, target.c.world)
    )
    pairs: Counter[tuple[str, str]] = Counter()
    for a, b, n in conn.execute(query):
        pairs[tuple(sorted((a or "unknown", b or "unknown")))] += int(n)  # type: ignore[index]
    layers = (
        sa.select(link.c.kind, sa.func.count())
        .where(*where, link.c.kind.in_(sorted(MEASURE_EXCLUDED_KINDS)))
        .group_by(link.c.kind)
    )
    return _mixing_of(pairs, {str(k): int(n) for k, n in conn.execute(layers)})


def _link_where(
    conn: sa.Connection,
    filters: Filters,
    scope: sa.Select[tuple[int]] | None,
    *,
    research: bool,
    unplaced: bool,
) -> list[sa.ColumnElement[bool]]:
    scope = actor_scope(conn, filters) if scope is None else scope
    if not unplaced:
        where = link_conditions(filters, scope)
    else:
        nowhere = sa.select(actor.c.id).where(
            actor.c.deleted_at.is_(None),
            actor.c.commune_code.is_(None),
            actor.c.id.not_in(sa.select(actor_territory.c.actor_id)),
        )
        where = [
            *link_conditions(filters, None),
            sa.or_(
                sa.and_(link.c.source_id.in_(scope),
                        sa.or_(link.c.target_id.in_(scope), link.c.target_id.in_(nowhere))),
                sa.and_(link.c.source_id.in_(nowhere), link.c.target_id.in_(scope)),
            ),
        ]  # fmt: skip
    return where if research else [*where, link.c.kind != RESEARCH]


def _mixing_of(pairs: Counter[tuple[str, str]], left_out: dict[str, int]) -> WorldMixing:
    total = sum(pairs.values())
    external = sum(n for (a, b), n in pairs.items() if a != b)
    return {
        "pairs": [{"worlds": list(k), "count": n} for k, n in sorted(pairs.items())],
        "links": total,
        "cross_world_links": external,
        "cross_world_share": round(external / total, 4) if total else None,
        "ei_index": round((2 * external - total) / total, 4) if total else None,
        "left_out": dict(sorted(left_out.items())),
    }


def _fast_counts(
    arrays: _Arrays, communes: list[str], research: bool = False
) -> tuple[Counter[str], WorldMixing, dict[str, int]]:
    """Actors by world, mixing and actors per commune of the actors placed in
    ``communes``, from the arrays (the same numbers as the SQL of the page): only the
    links leaving these communes, or leaving an actor with no place, are read."""
    inside = arrays.indexes(communes)
    nowhere = len(arrays.names)
    labels, k = arrays.worlds, len(arrays.worlds)
    counts = arrays.per_commune_world[inside]
    worlds: Counter[str] = Counter()
    for w, n in enumerate(counts.sum(axis=0)):
        if n:
            worlds[labels[w]] += int(n)
    names = arrays.names
    per_commune = {names[c]: int(n) for c, n in zip(inside, counts.sum(axis=1), strict=True) if n}
    read = np.append(inside, nowhere)
    starts, ends = arrays.offsets[read], arrays.offsets[read + 1]
    sizes = ends - starts
    rows = np.repeat(starts - np.cumsum(sizes) + sizes, sizes) + np.arange(int(sizes.sum()))
    member = np.zeros(len(arrays.per_commune_world), dtype=bool)
    member[inside] = True
    source_in, target_in = member[arrays.source_commune[rows]], member[arrays.target_commune[rows]]
    target_nowhere = arrays.target_commune[rows] == nowhere
    rows = rows[(source_in & (target_in | target_nowhere)) | (~source_in & target_in)]
    kinds = arrays.kinds
    if not research and RESEARCH in kinds:
        rows = rows[arrays.kind[rows] != kinds.index(RESEARCH)]
    apart = [i for i, k in enumerate(kinds) if k in MEASURE_EXCLUDED_KINDS]
    excluded = np.isin(arrays.kind[rows], apart)
    found = np.bincount(arrays.kind[rows][excluded], minlength=len(kinds))
    left_out = {kinds[i]: int(found[i]) for i in apart if found[i]}
    rows = rows[~excluded]
    cells = np.bincount(arrays.source_world[rows] * k + arrays.target_world[rows], minlength=k * k)
    pairs: Counter[tuple[str, str]] = Counter()
    for cell, n in enumerate(cells):
        if n:
            a, b = labels[cell // k], labels[cell % k]
            pairs[(a, b) if a <= b else (b, a)] += int(n)
    return worlds, _mixing_of(pairs, left_out), per_commune


def _needs(conn: sa.Connection, code: str, places: list[str], lang: Lang) -> list[TerritoryNeed]:
    """The needs filed on ``code`` or on one of the ``places`` inside it, most severe
    first, each with its coverage where it is filed (:func:`need_coverage`: the nearest
    places of its theme, the actors of the theme acting there), as ``maillage analyse``
    and ``maillage recommend territory`` give it."""
    rows = [
        dict(r._mapping)
        for r in conn.execute(
            sa.select(need)
            .where(need.c.territory_code.in_(places), need.c.deleted_at.is_(None))
            .order_by(need.c.severity.desc().nulls_last(), need.c.id)
        )
    ]
    names = territory_names(conn, sorted({r["territory_code"] for r in rows} - {code}))
    records = [
        NeedRecord(territory=r["territory_code"], theme=r["theme"], id=r["id"]) for r in rows
    ]
    cells = {(c["territory"], c["theme"]): c for c in need_coverage(conn, records)["cells"]}
    out: list[TerritoryNeed] = []
    for r in rows:
        cell = cells[(r["territory_code"], r["theme"])]
        out.append(
            {
                "id": r["id"],
                "theme": r["theme"],
                "theme_label": label("themes", r["theme"], lang),
                "description": need_description(r, lang),
                "publics": r["publics"],
                "severity": r["severity"],
                "status": r["status"],
                "status_label": label("need_statuses", r["status"], lang),
                "date": r["date"].isoformat() if r["date"] else None,
                "actors_on_theme": cell["actors"],
                "actor_names": cell["actor_names"],
                "nearest": cell["nearest"],
                "places_within_reach": cell["places_within_reach"],
                "reach_km": cell["reach_km"],
                "departement": cell["departement"],
                "departement_actors": cell["departement_actors"],
                "white_zone": cell["white_zone"],
                "territory_code": r["territory_code"],
                # Where the need was filed, when it is a part of this territory.
                "place": None
                if r["territory_code"] == code
                else names.get(r["territory_code"], r["territory_code"]),
            }
        )
    return out


def _rows(
    conn: sa.Connection, table: sa.Table, code: str, order: list[Any]
) -> list[dict[str, Any]]:
    query = sa.select(table).where(table.c.territory_code == code, table.c.deleted_at.is_(None))
    out = []
    for row in conn.execute(query.order_by(*order)):
        item = {
            k: v
            for k, v in row._mapping.items()
            if k not in ("created_at", "updated_at", "deleted_at", "version")
        }
        out.append({k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in item.items()})
    return out


def _per_commune(conn: sa.Connection, where: list[sa.ColumnElement[bool]]) -> dict[str, int]:
    query = sa.select(actor.c.commune_code, sa.func.count()).where(
        *where, actor.c.commune_code.is_not(None)
    )
    return {c: int(n) for c, n in conn.execute(query.group_by(actor.c.commune_code))}


def _sub_territories(
    conn: sa.Connection, found: dict[str, Any], per_commune: dict[str, int]
) -> list[SubTerritory]:
    per_commune = dict(sorted(per_commune.items()))
    counts: Counter[str] = Counter()
    if found["level"] == "region":
        mapping = departements_of(conn, set(per_commune))
        for commune, n in per_commune.items():
            counts[mapping.get(commune, "")] += n
    elif found["level"] not in ("commune", "arrondissement_municipal"):
        counts.update({"COM:" + c: n for c, n in per_commune.items()})
        # Municipal arrondissements (Paris, Lyon, Marseille) count in their commune.
        query = sa.select(territory.c.code, territory.c.parent_code).where(
            territory.c.code.in_(list(counts)), territory.c.parent_code.like("COM:%")
        )
        for part, commune in conn.execute(query).all():
            counts[commune] += counts.pop(part)
    counts.pop("", None)
    top = counts.most_common(30)
    names = territory_names(conn, [c for c, _ in top])
    return [{"code": c, "name": names.get(c, c), "actors": n} for c, n in top]


def territory_page(
    *,
    db: sa.Engine,
    key: str,
    lang: Lang = "fr",
    index: TerritoryIndex | None = None,
    research: bool = False,
) -> TerritoryPage:
    """A territory with its indicators, needs (with white zones), actors by world,
    mixing between worlds (the research layer with ``research``, see the module
    docstring) and sub-territories. ``key`` is a code, postcode or name.
    ``index`` counts actors and links from arrays when it has them (the same numbers).

    Raises NotFound.
    """
    arrays = index.get(db) if index is not None else None
    with db.connect() as conn:
        found = resolve_territory(conn, key, READING_COLUMNS)
        code = found["code"]
        filters = Filters(territory=code)
        communes = commune_codes(conn, code)
        parts = territory_parts(conn, code)
        where = actor_conditions(conn, filters, communes)
        scope = sa.select(actor.c.id).where(*where)
        if arrays is not None and not _declared(conn, parts):
            worlds, mixed, per_commune = _fast_counts(arrays, communes, research)
        else:
            worlds = _by_world(conn, where)
            mixed = mixing(conn, filters, scope, research=research, unplaced=True)
            per_commune = _per_commune(conn, where)
        needs = _needs(conn, code, _need_places(parts, communes), lang)
        return {
            "code": code,
            "name": found["name"],
            "level": found["level"],
            "population": found["population"],
            "latitude": found["latitude"],
            "longitude": found["longitude"],
            "parents": _parents(conn, found.get("parent_code")),
            "actors": sum(worlds.values()),
            "by_world": by_world(worlds, lang),
            "mixing": mixed,
            "research": research,
            "layers": [
                {"code": k, "label": label("link_kinds", k, lang), "count": n}
                for k, n in mixed["left_out"].items()
            ],  # fmt: skip
            "needs": needs,
            "indicators": _rows(conn, indicator, code, [indicator.c.key, indicator.c.year]),
            "maturity": _rows(conn, maturity, code, [maturity.c.dimension, maturity.c.date]),
            "sub_territories": _sub_territories(conn, found, per_commune),
            "white_zones": [n for n in needs if n["white_zone"]],
        }


def territory_needs(*, db: sa.Engine, key: str, lang: Lang = "fr") -> TerritoryNeeds:
    """The needs of a territory and its white zones as :func:`territory_page` gives them,
    without its counts (the brokers page: no mixing nor sub-territories to read).
    ``key`` is a code, postcode or name. Raises NotFound."""
    with db.connect() as conn:
        found = resolve_territory(conn, key, READING_COLUMNS)
        code = found["code"]
        places = _need_places(territory_parts(conn, code), commune_codes(conn, code))
        needs = _needs(conn, code, places, lang)
    return {
        "code": code,
        "name": found["name"],
        "level": found["level"],
        "needs": needs,
        "white_zones": [n for n in needs if n["white_zone"]],
    }


def _need_places(parts: list[str], communes: list[str]) -> list[str]:
    """Where the needs of a territory may be filed: itself, its parts and its communes."""
    return sorted({*parts, *(f"COM:{c}" for c in communes)})


def _declared(conn: sa.Connection, parts: list[str]) -> bool:
    """Whether some actor declares a territory of ``parts`` (a territory and those inside
    it, communes aside: :func:`territory_parts`) as a territory of action (then it is in
    the territory wherever its commune is: the arrays, by commune, do not know it)."""
    query = sa.select(actor_territory.c.actor_id).where(actor_territory.c.territory_code.in_(parts))
    return conn.execute(query.limit(1)).first() is not None
