"""Analysis and recommendation use cases: read the map once, hand plain data over.

The database is read with a few Core ``SELECT`` statements of the needed columns only
(no ORM object, no per-row record): live actors (``deleted_at IS NULL``, not merged),
their territories and themes, the live links between live actors (proposed links are
not ties yet), the link themes, and for coverage the needs, the solutions and the
territory parents. The arrays go straight into an
:class:`~maillage.analysis.graph.ActorGraph`; the algorithms of
:mod:`maillage.analysis` and :mod:`maillage.recommend` never see a connection.

An actor's territory codes are its ``actor_territory`` rows plus ``COM:<commune>``
and the commune's département, as :func:`maillage.analysis.graph.actor_territories`
does for records.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from itertools import chain, groupby
from operator import itemgetter
from typing import Any, TypedDict

import numpy as np
import sqlalchemy as sa

from maillage.analysis import GraphFilter, NeedRecord, SolutionRecord, analyse, render_report
from maillage.analysis.coverage import ActorTable, Coverage, Positions, coverage
from maillage.analysis.filter import needs_in
from maillage.analysis.graph import (
    HOLDING,
    NO_YEAR,
    UNKNOWN_WORLD,
    WORLDS,
    ActorGraph,
    BoolArray,
    IntArray,
    departement_of_commune,
    excluded_kinds,
    legal_unit,
    main_territory,
    structure_units,
    world_code,
)
from maillage.analysis.report import AnalysisResult, render_coverage
from maillage.geo import load_geography
from maillage.model import taxonomy
from maillage.model.errors import InvalidInput, MaillageError, NotFound
from maillage.model.records import FIRST_YEAR, LAST_YEAR
from maillage.recommend import MODES, evaluate_graph, recommend_for_actor, recommend_for_territory
from maillage.recommend.evaluation import METHODS as EVALUATED_METHODS
from maillage.recommend.recommendation import PairEnd as PairEnd  # shapes of the answers
from maillage.recommend.recommendation import Recommendation as Recommendation
from maillage.recommend.recommendation import TerritoryRecommendations as TerritoryRecommendations
from maillage.recommend.store import ModelStore
from maillage.services.filters import territory_prefixes
from maillage.services.geography import resolve_territory
from maillage.services.places import place_columns, placed_from
from maillage.settings import model_cache_dir
from maillage.storage.tables import (
    actor,
    actor_territory,
    actor_theme,
    link,
    link_theme,
    need,
    solution,
    solution_carrier,
    solution_territory,
    solution_theme,
    territory,
)

EMPTY: frozenset[str] = frozenset()
QUALITY_METHODS = EVALUATED_METHODS  # the model and every classic predictor
QUALITY_KEYS = ("auc", "precision_at_l", "hits_at_10", "mrr")


class NamedActor(TypedDict):
    """An actor by its id and name."""

    id: int
    name: str


class ActorRecommendations(TypedDict):
    """New partners for an actor (see :func:`recommend_actor`)."""

    actor: NamedActor
    mode: str
    recommendations: list[Recommendation]


class TerritoryAdvice(TerritoryRecommendations):
    """Recommendations for a territory with the coverage of its needs."""

    coverage: Coverage


@dataclass
class MapData:
    """The map as plain data: the graph plus what coverage needs."""

    graph: ActorGraph
    needs: list[NeedRecord] = field(default_factory=list)
    solutions: list[SolutionRecord] = field(default_factory=list)
    parents: dict[str, str] = field(default_factory=dict)


def _live_actor() -> sa.ColumnElement[bool]:
    return sa.and_(actor.c.deleted_at.is_(None), actor.c.merged_into_id.is_(None))


def _fetch(conn: sa.Connection, stmt: sa.Select[Any]) -> list[tuple[Any, ...]]:
    """Rows of ``stmt`` as plain tuples, straight from the driver's cursor.

    SQLAlchemy builds a ``Row`` per row; on 400k links that costs as much as the query.
    The statement is compiled once with its (trusted, internal) literals inlined.
    """
    sql = str(stmt.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    dbapi_error = conn.dialect.loaded_dbapi.Error
    try:
        cursor.execute(sql)
        return list(cursor.fetchall())
    except dbapi_error as exc:  # as SQLAlchemy would raise it (e.g. OperationalError)
        raise sa.exc.DBAPIError.instance(sql, None, exc, dbapi_error) from exc
    finally:
        cursor.close()


def _grouped(
    conn: sa.Connection, key: sa.Column[Any], value: sa.Column[Any]
) -> dict[Any, tuple[Any, ...]]:
    """``{key: (values, ...)}`` from a two-column association table (equal tuples of
    values are shared, so a million actors with a few themes cost a few objects)."""
    rows = _fetch(conn, sa.select(key, value).order_by(key, value))
    shared: dict[tuple[Any, ...], tuple[Any, ...]] = {}
    out = {}
    for k, group in groupby(rows, itemgetter(0)):
        values = tuple(v for _, v in group)
        out[k] = shared.setdefault(values, values)
    return out


def _commune_codes(communes: Iterable[str | None]) -> dict[str | None, tuple[str, ...]]:
    """``COM:<code>`` and its département for each distinct commune code."""
    out: dict[str | None, tuple[str, ...]] = {None: (), "": ()}
    for commune in set(communes) - {None, ""}:
        dep = departement_of_commune(commune)
        out[commune] = (f"COM:{commune}", dep) if dep else (f"COM:{commune}",)
    return out


def _actor_rows(conn: sa.Connection) -> list[tuple[Any, ...]]:
    """Live actors as ``(id * 16 + world * 2 + native, name, commune)``, by id."""
    world = sa.case(
        {w: world_code(w) for w in WORLDS}, value=sa.func.lower(actor.c.world), else_=UNKNOWN_WORLD
    )
    native = sa.case((actor.c.digital_profile == "native", 1), else_=0)
    packed = sa.cast(actor.c.id, sa.BigInteger) * 16 + world * 2 + native
    cols = (packed, actor.c.name, actor.c.commune_code)
    return _fetch(conn, sa.select(*cols).where(_live_actor()).order_by(actor.c.id))


def _actor_arrays(conn: sa.Connection) -> dict[str, Any]:
    rows = _actor_rows(conn)
    packed = np.array([r[0] for r in rows], dtype=np.int64)
    ids: list[int] = (packed >> 4).tolist()
    communes = [r[2] for r in rows]
    base = _commune_codes(communes)
    codes = [base[c] for c in communes]
    main_of = {c: main_territory(t) for c, t in base.items()}
    territory = [main_of[c] for c in communes]
    own = _grouped(conn, actor_territory.c.actor_id, actor_territory.c.territory_code)
    at, live = _positions(packed >> 4, np.fromiter(own, dtype=np.int64, count=len(own)))
    for i in at[live]:  # the rows of deleted or merged actors stay in the table: left out
        codes[i] = tuple(dict.fromkeys([*own[ids[i]], *codes[i]]))
        territory[i] = main_territory(codes[i])
    theme = _grouped(conn, actor_theme.c.actor_id, actor_theme.c.theme)
    theme_sets = {t: frozenset(t) for t in set(theme.values())}
    return {
        "ids": ids,
        "names": [r[1] for r in rows],
        "world": (packed >> 1) & 7,
        "native": (packed & 1).astype(bool),
        "territory": territory,
        "territories": codes,
        "themes": [theme_sets[theme[i]] if i in theme else EMPTY for i in ids],
    }


def _year(conn: sa.Connection) -> sa.ColumnElement[int]:
    """Start year of a link, :data:`NO_YEAR` when undated or implausible (a 0218 stored
    before imports checked years), dialect-aware and cheap on SQLite."""
    col = link.c.start_date
    if conn.dialect.name == "sqlite":  # dates are stored as ISO text
        year = sa.cast(sa.func.substr(col, 1, 4), sa.Integer)
    else:
        year = sa.cast(sa.extract("year", col), sa.Integer)
    plausible = sa.case((year.between(FIRST_YEAR, LAST_YEAR), year), else_=None)
    return sa.func.coalesce(plausible, NO_YEAR)


def _link_arrays(
    conn: sa.Connection, ids: list[int], include_kinds: Iterable[str] = ()
) -> dict[str, Any]:
    """Live links between live actors as index arrays (ends, year, kind, themes).

    Two integer columns per row (the driver's cost is per column): both ends packed in
    one 64-bit integer (ids are 32-bit), the year and the kind index in the other.
    """
    kinds = sorted(k for (k,) in _fetch(conn, sa.select(link.c.kind).distinct()))
    kind_code: sa.ColumnElement[int] = (
        sa.case({k: i for i, k in enumerate(kinds)}, value=link.c.kind, else_=0)
        if kinds
        else sa.literal(0)  # no link yet: a CASE without WHEN is not SQL
    )
    ends = sa.cast(link.c.source_id, sa.BigInteger) * 4294967296 + link.c.target_id
    cols: list[sa.ColumnElement[Any]] = [ends, _year(conn) * 65536 + kind_code]
    themed = bool(_fetch(conn, sa.select(link_theme.c.link_id).limit(1)))
    if themed:
        cols.append(link.c.id)
    where = sa.and_(link.c.deleted_at.is_(None), link.c.status != "proposed",
                    link.c.kind.not_in(sorted(excluded_kinds(include_kinds))))  # fmt: skip
    rows = _fetch(conn, sa.select(*cols).where(where).order_by(link.c.id))
    flat = chain.from_iterable(rows)
    data = np.fromiter(flat, dtype=np.int64, count=len(rows) * len(cols)).reshape(-1, len(cols))
    known = np.asarray(ids, dtype=np.int64)
    s_pos, s_ok = _positions(known, data[:, 0] >> 32)
    d_pos, d_ok = _positions(known, data[:, 0] & 0xFFFFFFFF)
    keep = s_ok & d_ok & (s_pos != d_pos)
    year_kind = data[keep, 1]
    return {
        "src": s_pos[keep],
        "dst": d_pos[keep],
        "year": year_kind >> 16,
        "kind": year_kind & 0xFFFF,
        "kinds": kinds,
        "link_themes": _link_themes(conn, data[keep, 2] if themed else None, int(keep.sum())),
    }


def _positions(known: IntArray, values: IntArray) -> tuple[IntArray, BoolArray]:
    """Index of each value in the sorted array ``known`` and whether it is there."""
    if len(known) == 0:
        return np.zeros(len(values), np.int64), np.zeros(len(values), bool)
    if known[-1] - known[0] == len(known) - 1:  # contiguous ids: no search needed
        pos = np.clip(values - known[0], 0, len(known) - 1).astype(np.int64)
        return pos, np.asarray(known[pos] == values, dtype=bool)
    pos = np.minimum(np.searchsorted(known, values), len(known) - 1).astype(np.int64)
    return pos, np.asarray(known[pos] == values, dtype=bool)


def _link_themes(conn: sa.Connection, link_ids: IntArray | None, size: int) -> list[frozenset[str]]:
    if link_ids is None:
        return [EMPTY] * size
    themes = _grouped(conn, link_theme.c.link_id, link_theme.c.theme)
    return [frozenset(themes[i]) if i in themes else EMPTY for i in link_ids.tolist()]


def load_graph(*, db: sa.Engine, include_kinds: Iterable[str] = ()) -> ActorGraph:
    """The whole live map as an :class:`~maillage.analysis.graph.ActorGraph`.

    Vertex ids are the actors' database ids. See the module docstring for what is read;
    the links of :data:`~maillage.analysis.graph.MEASURE_EXCLUDED_KINDS` (affiliations)
    are left out unless named in ``include_kinds``.
    """
    with db.connect() as conn:
        actors = _actor_arrays(conn)
        links = _link_arrays(conn, actors["ids"], include_kinds)
        units = _structure_units(conn, actors["ids"])
    return ActorGraph(**actors, **links, unit=units)


def _structure_units(conn: sa.Connection, ids: list[int]) -> IntArray:
    """:func:`~maillage.analysis.graph.structure_units` of the live actors ``ids`` (sorted):
    their legal units and their live holding links, whatever kinds the graph keeps."""
    cols = (actor.c.id, actor.c.siren, actor.c.siret, actor.c.holder_siret, actor.c.rna,
            actor.c.holder_rna)  # fmt: skip
    rows = _fetch(conn, sa.select(*cols).where(_live_actor()))
    known = {row[0]: legal_unit(*row[1:]) for row in rows}
    held = sa.select(link.c.source_id, link.c.target_id).where(
        link.c.kind == HOLDING, link.c.deleted_at.is_(None)
    )
    position = {actor_id: i for i, actor_id in enumerate(ids)}
    pairs = [(position[s], position[t]) for s, t in _fetch(conn, held)
             if s in position and t in position and s != t]  # fmt: skip
    return structure_units([known.get(i) for i in ids], pairs)


def load_needs(conn: sa.Connection) -> list[NeedRecord]:
    """Live needs as :class:`~maillage.analysis.coverage.NeedRecord`."""
    cols = (
        need.c.id,
        need.c.territory_code,
        need.c.theme,
        need.c.description,
        need.c.severity,
        need.c.status,
    )
    rows = conn.execute(sa.select(*cols).where(need.c.deleted_at.is_(None)).order_by(need.c.id))
    return [
        NeedRecord(territory=t, theme=th, id=i, description=d, severity=s, status=st)
        for i, t, th, d, s, st in rows
    ]


def load_solutions(conn: sa.Connection) -> list[SolutionRecord]:
    """Live solutions with their territories, themes and live carriers."""
    cols = (solution.c.id, solution.c.name, solution.c.modality, solution.c.stage)
    rows = conn.execute(
        sa.select(*cols).where(solution.c.deleted_at.is_(None)).order_by(solution.c.id)
    ).all()
    if not rows:
        return []
    terr = _grouped(conn, solution_territory.c.solution_id, solution_territory.c.territory_code)
    theme = _grouped(conn, solution_theme.c.solution_id, solution_theme.c.theme)
    carried = sa.select(solution_carrier.c.solution_id, solution_carrier.c.actor_id).join(
        actor, actor.c.id == solution_carrier.c.actor_id
    )
    carriers: dict[int, list[Hashable]] = defaultdict(list)
    for sid, aid in conn.execute(
        carried.where(_live_actor()).order_by(solution_carrier.c.actor_id)
    ):
        carriers[sid].append(aid)
    return [
        SolutionRecord(
            name=name,
            territories=list(terr.get(i, ())),
            themes=list(theme.get(i, ())),
            carriers=carriers.get(i, []),
            id=i,
            modality=modality,
            stage=stage,
        )
        for i, name, modality, stage in rows
    ]


def load_parents(conn: sa.Connection) -> dict[str, str]:
    """``{territory code: parent code}`` from the reference geography."""
    stmt = sa.select(territory.c.code, territory.c.parent_code).where(
        territory.c.parent_code.is_not(None)
    )
    return {code: parent for code, parent in conn.execute(stmt)}


def _coverage_actors(conn: sa.Connection, themes: Iterable[str]) -> tuple[ActorTable, Positions]:
    """The live actors carrying one of ``themes``, by id, as the graph has them (territory
    codes: :func:`_actor_arrays`), and where they are (:mod:`maillage.services.places`:
    their coordinates, else their commune's centroid, approximate)."""
    themed = sa.select(actor_theme.c.actor_id).where(actor_theme.c.theme.in_(sorted(themes)))
    query = (
        sa.select(actor.c.id, actor.c.name, actor.c.commune_code, *place_columns())
        .select_from(placed_from())
        .where(_live_actor(), actor.c.id.in_(themed))
        .order_by(actor.c.id)
    )
    rows = conn.execute(query).all()
    ids = [r[0] for r in rows]
    own, theme = defaultdict(list), defaultdict(set)
    for actor_id, code in conn.execute(
        sa.select(actor_territory.c.actor_id, actor_territory.c.territory_code)
        .where(actor_territory.c.actor_id.in_(themed))
        .order_by(actor_territory.c.actor_id, actor_territory.c.territory_code)
    ):
        own[actor_id].append(code)
    for actor_id, code in conn.execute(
        sa.select(actor_theme.c.actor_id, actor_theme.c.theme).where(
            actor_theme.c.actor_id.in_(themed)
        )
    ):
        theme[actor_id].add(code)
    base = _commune_codes(r[2] for r in rows)
    where: dict[Hashable, tuple[float, float]] = {}
    approximate = set()
    for r in rows:
        if r[3] is not None and r[4] is not None:
            where[r[0]] = (r[3], r[4])
            if r[5]:
                approximate.add(r[0])
    table = ActorTable(
        ids=list(ids),
        names=[r[1] for r in rows],
        territories=[tuple(dict.fromkeys([*own.get(r[0], ()), *base[r[2]]])) for r in rows],
        themes=[frozenset(theme[i]) for i in ids],
    )
    return table, Positions(actors=where, approximate=frozenset(approximate))


def _territory_rows(conn: sa.Connection, codes: Iterable[str]) -> dict[str, tuple[Any, ...]]:
    """``{code: (parent, latitude, longitude)}`` of ``codes`` and of all their ancestors."""
    found: dict[str, tuple[Any, ...]] = {}
    todo = sorted(set(codes))
    cols = (territory.c.code, territory.c.parent_code, territory.c.latitude, territory.c.longitude)
    while todo:
        rows: dict[str, tuple[Any, ...]] = {}
        for start in range(0, len(todo), 5000):  # under the bound-parameter limits
            query = sa.select(*cols).where(territory.c.code.in_(todo[start : start + 5000]))
            rows.update({r[0]: tuple(r[1:]) for r in conn.execute(query)})
        found.update(rows)
        todo = sorted({r[0] for r in rows.values() if r[0] is not None} - set(found))
    return found


def need_coverage(
    conn: sa.Connection,
    needs: Sequence[NeedRecord],
    solutions: Iterable[SolutionRecord] | None = None,
) -> Coverage:
    """The coverage of ``needs`` (:func:`maillage.analysis.coverage.coverage`): the one
    read behind the territory page, ``maillage analyse`` and ``maillage recommend
    territory``. Reads the actors of the needs' themes, their places, the needs'
    territories and the ancestors of every territory involved; ``solutions``: the live
    ones when not given."""
    if not needs:
        return {"cells": [], "white_zones": []}
    themes = set().union(*(taxonomy.matching("themes", n.theme) for n in needs))
    actors, positions = _coverage_actors(conn, themes)
    solutions = load_solutions(conn) if solutions is None else list(solutions)
    codes = {n.territory for n in needs}
    codes.update(chain.from_iterable(actors.territories))
    codes.update(chain.from_iterable(s.territories for s in solutions))
    known = _territory_rows(conn, codes)
    filed = {n.territory for n in needs}
    centroids = {
        code: (row[1], row[2])
        for code, row in known.items()
        if code in filed and row[1] is not None and row[2] is not None
    }
    return coverage(
        actors,
        needs,
        solutions,
        parents={code: row[0] for code, row in known.items() if row[0] is not None},
        positions=replace(positions, territories=centroids),
    )


def load_map(*, db: sa.Engine, coverage: bool = True, include_kinds: Iterable[str] = ()) -> MapData:
    """The graph (affiliations in it only when ``include_kinds`` names them), and with
    ``coverage`` the needs, solutions and territory parents."""
    graph = load_graph(db=db, include_kinds=include_kinds)
    if not coverage:
        return MapData(graph)
    with db.connect() as conn:
        needs = load_needs(conn)
        solutions = load_solutions(conn)
        parents = load_parents(conn) if needs else {}
    return MapData(graph, needs, solutions, parents)


def analyse_map(
    *, db: sa.Engine, flt: GraphFilter | None = None, seed: int = 0, samples: int = 256
) -> AnalysisResult:
    """Every measure of :func:`maillage.analysis.analyse` on the map or a filtered part.

    The filter's territory may be a code or code prefix known to the map, or anything
    the geography resolves (a name, a postcode, a bare commune code); its kind and theme
    must exist on the map or in the taxonomies. Raises ``NotFound`` or ``InvalidInput``
    otherwise, rather than analysing an empty part.
    """
    data = load_map(db=db)
    flt = _checked_filter(db, data, flt or GraphFilter())
    with db.connect() as conn:
        covered = need_coverage(conn, needs_in(data.needs, flt, data.parents), data.solutions)
    return analyse(
        data.graph,
        flt,
        needs=data.needs,
        solutions=data.solutions,
        parents=data.parents,
        seed=seed,
        samples=samples,
        covered=covered,
    )


def _territory_key(db: sa.Engine, data: MapData, key: str) -> str:
    """``key`` when some actor's territory code starts with it, else the code of the
    territory the geography resolves it to (name, postcode, commune code)."""
    key = key.strip()
    if any(c.startswith(key) for codes in data.graph.territories for c in codes):
        return key
    with db.connect() as conn:
        return str(resolve_territory(conn, key)["code"])


def territory_prefixes_of(*, db: sa.Engine, code: str) -> tuple[str, ...]:
    """The codes that hold territory ``code`` on the graph (a région's départements, an
    EPCI's communes, a commune's arrondissements): see
    :func:`~maillage.services.filters.territory_prefixes`."""
    with db.connect() as conn:
        return territory_prefixes(conn, code)


def territory_name(code: str) -> str | None:
    """The name of a territory of the shipped geography (``DEP:59`` -> ``Nord``), for the
    reasons of recommendations; ``None`` for an unknown or malformed code (``COM:9``)."""
    try:
        found = load_geography().get_or_none(code)
    except MaillageError:
        return None
    return found.name if found is not None else None


def _checked_filter(db: sa.Engine, data: MapData, flt: GraphFilter) -> GraphFilter:
    territory_code = _territory_key(db, data, flt.territory) if flt.territory else None
    within = territory_prefixes_of(db=db, code=territory_code) if territory_code else ()
    if flt.kind is not None:
        kinds = set(data.graph.kinds) | {t.code for t in taxonomy.load("link_kinds")}
        if flt.kind not in kinds:
            raise InvalidInput(
                "kind",
                flt.kind,
                "type de lien inconnu ; types : " + ", ".join(sorted(kinds)),
                "unknown link kind; kinds: " + ", ".join(sorted(kinds)),
            )
    if flt.theme is not None:
        carried = set(chain.from_iterable(data.graph.themes))
        carried |= set(chain.from_iterable(data.graph.link_themes))
        if flt.theme not in carried | {t.code for t in taxonomy.load("themes")}:
            raise InvalidInput(
                "theme",
                flt.theme,
                "thème inconnu : ni dans la taxonomie ni porté par un acteur",
                "unknown theme: neither in the taxonomy nor carried by an actor",
            )
    return replace(flt, territory=territory_code, within=within)


def analysis_report(result: AnalysisResult, lang: str = "fr") -> str:
    """The readable report of an :func:`analyse_map` result (``fr`` or ``en``)."""
    return render_report(result, lang)


def coverage_report(cov: Coverage, lang: str = "fr") -> str:
    """The coverage of needs as the analysis report writes it (``fr`` or ``en``)."""
    return render_coverage(cov, lang)


def _check_mode(mode: str) -> None:
    if mode not in MODES:
        raise InvalidInput("mode", mode, "likely ou bridging", "likely or bridging")


def recommend_actor(
    *,
    db: sa.Engine,
    actor_id: int,
    top: int = 10,
    mode: str = "likely",
    lang: str = "fr",
    seed: int = 0,
    store: ModelStore | None = None,
) -> ActorRecommendations:
    """New partners for one live actor, best first, each with reasons in words.

    Returns ``{"actor": {id, name}, "mode", "recommendations": [...]}`` (see
    :func:`maillage.recommend.recommend_for_actor`). ``store``: where fitted models are
    kept between runs (:func:`model_store`). Raises ``NotFound`` for an unknown,
    deleted or merged actor and ``InvalidInput`` for an unknown mode.
    """
    _check_mode(mode)
    data = load_map(db=db)
    graph = data.graph
    try:
        u = graph.vertex(actor_id)
    except KeyError:
        raise NotFound("actor", actor_id) from None
    found = recommend_for_actor(
        graph,
        actor_id,
        top=top,
        mode=mode,
        needs=data.needs,
        lang=lang,
        seed=seed,
        store=store,
        territory_names=territory_name,
    )
    return {
        "actor": {"id": actor_id, "name": graph.names[u]},
        "mode": mode,
        "recommendations": found,
    }


def recommend_territory(
    *,
    db: sa.Engine,
    code: str,
    top: int = 20,
    mode: str = "bridging",
    lang: str = "fr",
    seed: int = 0,
    store: ModelStore | None = None,
) -> TerritoryAdvice:
    """Missing links inside a territory, solutions to replicate for its needs, and the
    coverage of its needs (:func:`need_coverage`, as on its page and in ``analyse``).

    ``code`` is a territory code or prefix (``DEP:59``); ``store`` as for
    :func:`recommend_actor`. Raises ``NotFound`` when neither the reference geography
    nor any actor knows it, ``InvalidInput`` for a bad mode.
    """
    _check_mode(mode)
    data = load_map(db=db)
    code = _territory_key(db, data, code)
    within = territory_prefixes_of(db=db, code=code)
    local = needs_in(data.needs, GraphFilter(territory=code, within=within), data.parents)
    with db.connect() as conn:
        covered = need_coverage(conn, local, data.solutions)
    found = recommend_for_territory(
        data.graph,
        code,
        top=top,
        mode=mode,
        needs=data.needs,
        solutions=data.solutions,
        parents=data.parents,
        lang=lang,
        seed=seed,
        store=store,
        within=within,
        territory_names=territory_name,
    )
    return {**found, "coverage": covered}


def model_store() -> ModelStore | None:
    """The store of fitted models of this machine (:func:`maillage.settings.model_cache_dir`),
    ``None`` when switched off."""
    directory = model_cache_dir()
    return ModelStore(directory) if directory is not None else None


def evaluate_map(*, db: sa.Engine, split_year: int, seed: int = 0) -> dict[str, Any]:
    """Quality of the recommendations on the ties formed from ``split_year`` on.

    See :func:`maillage.recommend.evaluate_graph`. Raises ``InvalidInput`` when no new tie
    between actors already present is dated from ``split_year`` on.
    """
    graph = load_graph(db=db)
    try:
        result: dict[str, Any] = _finite(evaluate_graph(graph, split_year, seed))
    except ValueError as exc:
        raise InvalidInput(
            "split_year", split_year, str(exc), "no new tie between known actors from that year"
        ) from None
    return result


def _finite(value: Any) -> Any:
    """``value`` with NaN and infinities replaced by ``None`` (valid JSON)."""
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    if isinstance(value, float | np.floating):
        return float(value) if np.isfinite(value) else None
    if isinstance(value, np.integer):
        return int(value)
    return value
