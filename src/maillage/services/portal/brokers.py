"""The facilitator's view of a territory: who bridges its worlds, and who could cover
each of its white zones.

Brokers: betweenness, Burt's constraint and effective size, and the Gould-Fernandez
roles of :mod:`maillage.analysis.brokers`, measured on the territory's own network (its
actors and the links among them, as :meth:`Analysis.territory_members` cuts it), listed
for the actors of a theme when one is asked for (the theme tree of
:func:`maillage.model.taxonomy.matching`: a theme finds the themes under it).

For a white zone (a need with no actor acting there, no solution and no place within
reach), who could cover it: the nearest places of its theme and the actors of the theme
(the need's coverage, already on the territory page), the carriers and funders active in
the territory (sources of ``holding`` and ``funding`` links to its actors, those whose
places or beneficiaries carry the theme first), and the cross-world alliances of the
recommender (:func:`maillage.recommend.recommend_for_territory` in ``bridging`` mode,
pairs with an end on the need's theme, ends in two worlds), each with its reasons.

Nothing waits on the analysis: the brokers table of every région and département and
the alliances of their needs' themes are computed in the background with the rest of the
analysis (:func:`precompute`) and kept on disk with it; a theme's table and the other
territories are computed on demand in the analysis worker. Until they are there,
``status`` says ``pending`` and the page asks again; ``computed_at`` says when they were
computed, ``fresher`` that a newer computation is under way, and ``status`` says
``failed`` when the analysis failed with nothing earlier to show.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any, Literal, TypedDict

import sqlalchemy as sa

from maillage.analysis.brokers import ROLES, BrokerRow, broker_measures, broker_rows
from maillage.analysis.coverage import NearPlace
from maillage.analysis.explanations import explain
from maillage.analysis.filter import theme_mask
from maillage.model import taxonomy
from maillage.model.numbers import number, plural_is_one
from maillage.recommend import recommend_for_territory
from maillage.services import portal
from maillage.services.analysis import territory_name, territory_prefixes_of
from maillage.services.filters import Filters, actor_conditions, commune_codes
from maillage.services.portal.providers import (
    Analysis,
    AnalysisFailed,
    Pending,
    Served,
    Snapshot,
)
from maillage.services.portal.territory import TerritoryNeed
from maillage.storage.tables import actor, actor_theme, link

Lang = Literal["fr", "en"]
Status = Literal["ready", "pending", "unavailable", "failed"]
CARRIER_KINDS = ("holding", "funding")
TOP = 100
PER_ZONE = 5
"""Alliances proposed per white zone."""
"""Rows of a brokers table (kept with the analysis for the table of all themes)."""
MEASURES = ("betweenness", "constraint", "effective_size", *ROLES, "cross_world_brokerage")
"""The columns of the brokers table, each explained by :func:`explain`."""

CARRIER_REASONS: dict[str, dict[str, tuple[str, str]]] = {
    # kind -> lang -> (one, many): the actors of the territory it carries or funds
    "holding": {
        "fr": ("Porte %(n)s structure du territoire", "Porte %(n)s structures du territoire"),
        "en": (
            "Carries %(n)s organisation of the territory",
            "Carries %(n)s organisations of the territory",
        ),
    },
    "funding": {
        "fr": ("Finance %(n)s acteur du territoire", "Finance %(n)s acteurs du territoire"),
        "en": ("Funds %(n)s actor of the territory", "Funds %(n)s actors of the territory"),
    },
}
ON_THEME = {
    "fr": ("dont %(n)s sur le thème « %(theme)s »", "dont %(n)s sur le thème « %(theme)s »"),
    "en": ("%(n)s of them on the theme “%(theme)s”", "%(n)s of them on the theme “%(theme)s”"),
}
ALL_ON_THEME = {"fr": "sur le thème « %s »", "en": "on the theme “%s”"}


class BrokerEntry(BrokerRow):
    """A row of the brokers table, with its world's label."""

    world_label: str | None


class BrokersTable(TypedDict):
    """A territory's brokers (see :func:`territory_brokers`); ``total`` before ``top``."""

    status: Status
    theme: str | None
    theme_label: str | None
    rows: list[BrokerEntry]
    total: int
    actors: int
    betweenness_sample: int | None
    explanations: dict[str, str]
    computed_at: dt.datetime | None
    fresher: bool


class Carrier(TypedDict):
    """A carrier or funder active in the territory."""

    actor_id: int
    name: str
    world: str
    world_label: str | None
    kind: str
    count: int
    on_theme: int
    reasons: list[str]


class AllianceEnd(TypedDict):
    actor_id: Any
    name: str
    world: str
    world_label: str | None


class Alliance(TypedDict):
    """A proposed link between two worlds, with the recommender's reasons."""

    source: AllianceEnd
    target: AllianceEnd
    score: float
    reasons: list[str]


class WhiteZoneProposal(TypedDict):
    """Who could cover one white zone of the territory."""

    need_id: int
    theme: str
    theme_label: str | None
    description: str | None
    place: str | None
    territory_code: str
    nearest: list[NearPlace]
    places_within_reach: int
    reach_km: float
    departement_actors: int
    carriers: list[Carrier]
    alliances: list[Alliance]


class Proposals(TypedDict):
    """Proposals for the first ``limit`` white zones (``total`` of them); ``status`` is
    that of the alliances (the rest is always there)."""

    status: Status
    total: int
    white_zones: list[WhiteZoneProposal]
    computed_at: dt.datetime | None  # of the oldest alliances shown
    fresher: bool


def territory_brokers(
    *,
    analysis: Analysis | None,
    db: sa.Engine,
    code: str,
    lang: Lang = "fr",
    theme: str | None = None,
    top: int = TOP,
) -> BrokersTable:
    """The actors of territory ``code`` (a code) that broker, by decreasing betweenness,
    measured on the territory's network; with ``theme``, only the actors carrying it.

    ``status`` is ``pending`` while the measures are computed, ``unavailable`` without
    an analysis, ``failed`` when the analysis failed. Raises nothing of its own; an
    unknown theme finds no actor.
    """
    table: BrokersTable = {
        "status": "unavailable",
        "theme": theme,
        "theme_label": portal.label("themes", theme, lang) if theme else None,
        "rows": [],
        "total": 0,
        "actors": 0,
        "betweenness_sample": None,
        "explanations": {m: explain(m, lang) for m in MEASURES},
        "computed_at": None,
        "fresher": False,
    }
    if analysis is None:
        return table
    try:
        served = analysis.serve(
            db, _table_key(code, theme), "graph", _table(analysis, db, code, theme)
        )
    except Pending:
        return {**table, "status": "pending"}
    except AnalysisFailed:
        return {**table, "status": "failed"}
    found = served.value
    rows: list[BrokerRow] = found["rows"][:top]
    entries: list[BrokerEntry] = [
        {**row, "world_label": portal.label("worlds", row["world"], lang)} for row in rows
    ]
    return {
        **table,
        "status": "ready",
        "rows": entries,
        "total": found["total"],
        "actors": found["actors"],
        "betweenness_sample": found["sample"],
        "computed_at": served.computed_at,
        "fresher": served.fresher,
    }


def _table_key(code: str, theme: str | None) -> tuple[str, ...]:
    return ("brokers", code) if theme is None else ("brokers", code, theme)


def _table(
    analysis: Analysis, db: sa.Engine, code: str, theme: str | None
) -> Callable[[Snapshot], dict[str, Any]]:
    """The first :data:`TOP` rows of the brokers table, their count, the territory's
    actors and the betweenness sample: plain data, kept on disk for all themes."""

    def compute(snap: Snapshot) -> dict[str, Any]:
        sub = analysis.territory_members(db, snap, code)
        measures = snap.kept(
            ("broker-measures", code),
            lambda: broker_measures(sub, samples=analysis.samples, seed=analysis.seed),
        )
        keep = theme_mask(sub, theme) if theme else None
        rows = broker_rows(sub, measures, keep=keep)
        return {
            "rows": rows[:TOP],
            "total": len(rows),
            "actors": sub.n,
            "sample": measures.betweenness_sample,
        }

    return compute


def precompute(
    analysis: Analysis,
    db: sa.Engine,
    snap: Snapshot,
    code: str,
    lang: Lang | str,
    themes: Sequence[str],
) -> None:
    """The brokers table of territory ``code`` (all themes) and the alliances of
    ``themes`` (those of its needs), computed in ``snap`` and kept with it."""
    language: Lang = "en" if lang == "en" else "fr"
    analysis.compute_in(
        snap, _table_key(code, None), _table(analysis, db, code, None), persist=True
    )
    for theme in themes:
        key = _alliances_key(code, theme, language, PER_ZONE)
        compute = _alliances(analysis, db, code, theme, language, PER_ZONE)
        analysis.compute_in(snap, key, compute, persist=True)


def white_zone_proposals(
    *,
    analysis: Analysis | None,
    db: sa.Engine,
    code: str,
    white_zones: Sequence[TerritoryNeed],
    lang: Lang = "fr",
    limit: int = 20,
    per_zone: int = PER_ZONE,
) -> Proposals:
    """For the first ``limit`` ``white_zones`` of territory ``code`` (most severe first,
    as the territory page lists them): their nearest places, the carriers and funders
    active in the territory and up to ``per_zone`` cross-world alliances on their theme.

    The alliances need the fitted model: ``status`` is ``pending`` until it is there
    (the rest is given at once), ``unavailable`` without an analysis.
    """
    shown = list(white_zones[:limit])
    themes = sorted({n["theme"] for n in shown})
    carriers: dict[str, list[Carrier]] = {}
    if themes:  # no white zone: nothing to read
        with db.connect() as conn:
            communes = commune_codes(conn, code)
            carriers = {t: _carriers(conn, code, communes, t, lang, per_zone) for t in themes}
    status: Status = "unavailable" if analysis is None else "ready"
    alliances: dict[str, list[Alliance]] = {}
    served: list[Served[list[Alliance]]] = []
    if analysis is not None:
        try:
            for t in themes:
                key = _alliances_key(code, t, lang, per_zone)
                compute = _alliances(analysis, db, code, t, lang, per_zone)
                served.append(analysis.serve(db, key, "model", compute))
                alliances[t] = served[-1].value
        except Pending:
            status = "pending"
        except AnalysisFailed:
            status = "failed"
    return {
        "status": status,
        "total": len(white_zones),
        "white_zones": [
            {
                "need_id": n["id"],
                "theme": n["theme"],
                "theme_label": n["theme_label"],
                "description": n["description"],
                "place": n["place"],
                "territory_code": n["territory_code"],
                "nearest": n["nearest"],
                "places_within_reach": n["places_within_reach"],
                "reach_km": n["reach_km"],
                "departement_actors": n["departement_actors"],
                "carriers": carriers[n["theme"]],
                "alliances": alliances.get(n["theme"], []),
            }
            for n in shown
        ],
        "computed_at": min((a.computed_at for a in served), default=None),
        "fresher": any(a.fresher for a in served),
    }


def _carriers(
    conn: sa.Connection, code: str, communes: list[str], theme: str, lang: Lang, top: int
) -> list[Carrier]:
    """Sources of holding and funding links to actors of the territory, those carrying
    or funding actors of ``theme`` first, then the most active."""
    scope = sa.select(actor.c.id).where(*actor_conditions(conn, Filters(territory=code), communes))
    themed = sa.select(actor_theme.c.actor_id).where(
        actor_theme.c.theme.in_(sorted(taxonomy.matching("themes", theme)))
    )
    on_theme = sa.func.count(sa.distinct(sa.case((link.c.target_id.in_(themed), link.c.target_id))))
    query = (
        sa.select(
            link.c.source_id,
            link.c.kind,
            sa.func.count(sa.distinct(link.c.target_id)),
            on_theme,
            actor.c.name,
            actor.c.world,
        )
        .join(actor, actor.c.id == link.c.source_id)
        .where(
            link.c.deleted_at.is_(None),
            link.c.kind.in_(CARRIER_KINDS),
            link.c.target_id.in_(scope),
            actor.c.deleted_at.is_(None),
        )
        .group_by(link.c.source_id, link.c.kind, actor.c.name, actor.c.world)
        .order_by(
            on_theme.desc(), sa.func.count(sa.distinct(link.c.target_id)).desc(), actor.c.name
        )
        .limit(top)
    )
    label = portal.label("themes", theme, lang) or theme
    out: list[Carrier] = []
    for source, kind, count, themed_count, name, world in conn.execute(query):
        reason = _plural(CARRIER_REASONS[kind][lang], int(count), lang, theme=label)
        if themed_count == count:
            reason += " " + ALL_ON_THEME[lang] % label
        elif themed_count:
            reason += ", " + _plural(ON_THEME[lang], int(themed_count), lang, theme=label)
        out.append(
            {
                "actor_id": int(source),
                "name": name,
                "world": world or "unknown",
                "world_label": portal.label("worlds", world or "unknown", lang),
                "kind": kind,
                "count": int(count),
                "on_theme": int(themed_count),
                "reasons": [reason],
            }
        )
    return out


def _plural(forms: tuple[str, str], n: int, lang: Lang, **values: str) -> str:
    """``forms`` (one, other) by the CLDR plural rule of ``lang`` (French: 0 and 1 are
    one), the number written in ``lang``."""
    return (forms[0] if plural_is_one(n, lang) else forms[1]) % {"n": number(n, lang, 0), **values}


def _alliances_key(code: str, theme: str, lang: str, top: int) -> tuple[Any, ...]:
    return ("alliances", code, theme, lang, top)


def _alliances(
    analysis: Analysis, db: sa.Engine, code: str, theme: str, lang: Lang, top: int
) -> Callable[[Snapshot], list[Alliance]]:
    """Cross-world pairs of the territory with an end on ``theme``, best first, with
    reasons (the recommender in bridging mode), computed in a snapshot with its model."""

    def compute(snap: Snapshot) -> list[Alliance]:
        data = snap.data
        assert data is not None
        found = recommend_for_territory(
            data.graph,
            code,
            within=territory_prefixes_of(db=db, code=code),
            top=20 * top,
            mode="bridging",
            needs=data.needs,
            lang=lang,
            seed=analysis.seed,
            territory_names=territory_name,
            theme=theme,
        )
        out: list[Alliance] = []
        seen: set[Any] = set()  # an actor in one proposal at most: more actors to call
        for r in found["links"]:
            pair = (r["source"]["id"], r["target"]["id"])
            if r["source"]["world"] == r["target"]["world"] or seen.intersection(pair):
                continue
            seen.update(pair)
            ends = [
                {
                    "actor_id": end["id"],
                    "name": end["name"],
                    "world": end["world"],
                    "world_label": portal.label("worlds", end["world"], lang),
                }
                for end in (r["source"], r["target"])
            ]
            out.append(
                {
                    "source": ends[0],  # type: ignore[typeddict-item]
                    "target": ends[1],  # type: ignore[typeddict-item]
                    "score": round(r["score"], 4),
                    "reasons": r["reasons"],
                }
            )
        return out[:top]

    return compute
