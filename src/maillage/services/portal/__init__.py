"""Read-side queries of the public portal: key figures, search, labels.

Pages and their JSON twins call these; the map and network widgets call
:mod:`maillage.services.portal.map` and :mod:`maillage.services.portal.network`,
the entity pages :mod:`maillage.services.portal.pages`. Every function takes the
engine as ``db=`` and returns plain dicts and lists.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any, Literal

import sqlalchemy as sa

from maillage.model import taxonomy
from maillage.model.errors import NotFound
from maillage.model.identifiers import is_postcode, pad_lost_zero, territory_code_of
from maillage.model.records import FIRST_YEAR, LAST_YEAR
from maillage.model.text import fold
from maillage.services.actors import search_actors
from maillage.services.filters import Filters, clean_filters, commune_codes
from maillage.services.geography import territory_readings
from maillage.services.portal.map import map_geojson
from maillage.services.portal.network import network_json
from maillage.storage.tables import actor, change, link
from maillage.storage.tables import territory as territory_table

Lang = Literal["fr", "en"]

__all__ = [
    "Filters",
    "by_world",
    "clean_filters",
    "commune_codes",
    "data_version",
    "key_figures",
    "label",
    "map_geojson",
    "network_json",
    "read_filters",
    "search",
    "terms",
    "years",
]


def label(name: str, code: str | None, lang: Lang = "fr") -> str | None:
    """The label of a taxonomy code in ``lang``; for ``unknown`` (the code the counts use
    for an empty field) the label of the taxonomy's ``unknown`` entry ("Non renseigné"),
    the worlds' one when it has none; the code itself when the taxonomy does not know it."""
    if code is None:
        return None
    try:
        return taxonomy.label(name, code, lang)
    except NotFound:
        if code != "unknown":
            return code
    try:
        return taxonomy.unknown(name).label(lang)
    except NotFound:
        return taxonomy.unknown("worlds").label(lang)


def by_world(counts: Mapping[str, int], lang: Lang = "fr") -> list[dict[str, Any]]:
    """``[{"code", "label", "count"}]`` for each world in taxonomy order, then the actors
    with no world (``unknown``) when there are some."""
    codes = [t.code for t in taxonomy.load("worlds")]
    if counts.get("unknown"):
        codes.append("unknown")
    return [
        {"code": c, "label": label("worlds", c, lang), "count": counts.get(c, 0)} for c in codes
    ]


def terms(name: str, lang: Lang = "fr") -> list[dict[str, Any]]:
    """``[{"code", "label", "depth"}]`` of a shipped taxonomy in tree order (a term
    followed by the terms under it, ``depth`` 0 for a root), for filter menus."""
    return [
        {"code": t.code, "label": t.label(lang), "depth": depth} for t, depth in taxonomy.tree(name)
    ]


def _grouped(conn: sa.Connection, column: sa.ColumnElement[Any], table: sa.Table) -> dict[str, int]:
    query = (
        sa.select(column, sa.func.count())
        .where(table.c.deleted_at.is_(None))
        .group_by(column)
        .order_by(sa.func.count().desc())
    )
    return {(k or "unknown"): int(n) for k, n in conn.execute(query)}


def _cross_world(conn: sa.Connection) -> tuple[int, int]:
    source, target = actor.alias("s"), actor.alias("t")
    query = (
        sa.select(
            sa.func.count(),
            sa.func.sum(sa.case((source.c.world != target.c.world, 1), else_=0)),
        )
        .select_from(
            link.join(source, source.c.id == link.c.source_id).join(
                target, target.c.id == link.c.target_id
            )
        )
        .where(
            link.c.deleted_at.is_(None),
            source.c.deleted_at.is_(None),
            target.c.deleted_at.is_(None),
        )
    )
    total, crossing = conn.execute(query).one()
    return int(total or 0), int(crossing or 0)


def years(*, db: sa.Engine) -> tuple[int | None, int | None]:
    """First and last start year of the links (the range of the timeline)."""
    with db.connect() as conn:
        return _years(conn)


def _years(conn: sa.Connection) -> tuple[int | None, int | None]:
    query = sa.select(sa.func.min(link.c.start_date), sa.func.max(link.c.start_date)).where(
        link.c.deleted_at.is_(None),
        # Dates stored before the import checked them may be typing slips (0218).
        link.c.start_date.between(dt.date(FIRST_YEAR, 1, 1), dt.date(LAST_YEAR, 12, 31)),
    )
    first, last = conn.execute(query).one()
    return (first.year if first else None, last.year if last else None)


def _territories_covered(conn: sa.Connection) -> int:
    query = (
        sa.select(sa.func.count(sa.distinct(territory_table.c.parent_code)))
        .select_from(
            actor.join(
                territory_table, territory_table.c.code == sa.literal("COM:") + actor.c.commune_code
            )
        )
        .where(actor.c.deleted_at.is_(None), territory_table.c.parent_code.like("DEP:%"))
    )
    return int(conn.execute(query).scalar_one())


def key_figures(*, db: sa.Engine, lang: Lang = "fr") -> dict[str, Any]:
    """What the map holds: actors by world, links by kind, cross-world share, years."""
    with db.connect() as conn:
        worlds = _grouped(conn, actor.c.world, actor)
        kinds = _grouped(conn, link.c.kind, link)
        total_links, crossing = _cross_world(conn)
        first, last = _years(conn)
        departements = _territories_covered(conn)
    return {
        "actors": sum(worlds.values()),
        "links": sum(kinds.values()),
        "by_world": by_world(worlds, lang),
        "by_kind": [
            {"code": code, "label": label("link_kinds", code, lang), "count": n}
            for code, n in kinds.items()
        ],
        "cross_world_links": crossing,
        "cross_world_share": round(crossing / total_links, 4) if total_links else None,
        "departements": departements,
        "first_year": first,
        "last_year": last,
    }


def _territory_hits(conn: sa.Connection, query: str, limit: int) -> list[dict[str, Any]]:
    """Territories ``query`` names: every reading of a code or a postcode (``59000`` is
    Lille by its postcode, ``69001`` both Lyon 1er by its postcode and Affoux by its
    INSEE code: see :func:`~maillage.services.geography.territory_readings`), else the
    territories whose name starts like it, most populated first. Each has ``reading``
    (``postcode``, ``code`` or ``name``), ``postcode`` for a postcode, and its centre."""
    keys = ("code", "name", "level", "population", "latitude", "longitude", "reading")
    if territory_code_of(query) is not None or is_postcode(pad_lost_zero(query.strip())):
        readings = territory_readings(conn, query)
        return [
            {**{k: r.get(k) for k in keys}, "postcode": r.get("postcode")} for r in readings[:limit]
        ]
    folded = fold(query)
    if not folded:
        return []
    select = (
        sa.select(
            territory_table.c.code,
            territory_table.c.name,
            territory_table.c.level,
            territory_table.c.population,
            territory_table.c.latitude,
            territory_table.c.longitude,
        )
        .where(
            territory_table.c.name_folded.like(folded.replace("%", "").replace("_", " ") + "%"),
            territory_table.c.level.in_(["region", "departement", "epci", "commune"]),
        )
        .order_by(sa.func.coalesce(territory_table.c.population, 0).desc(), territory_table.c.code)
        .limit(limit)
    )
    return [{**r._mapping, "reading": "name", "postcode": None} for r in conn.execute(select)]


SEARCH_COUNT_CAP = 1000  # matches counted beyond the ones shown ("more than 1,000")


def search(*, db: sa.Engine, query: str, limit: int = 50, lang: Lang = "fr") -> dict[str, Any]:
    """Actors matching a French full-text query (best first) and territories by name.

    ``total`` counts the matching actors up to :data:`SEARCH_COUNT_CAP` (``capped`` says
    when there are more); the first ``limit`` are returned.
    """
    text = query.strip()[:200].replace("\x00", "")
    cap = max(limit, SEARCH_COUNT_CAP)
    found = search_actors(db=db, query=text, limit=cap + 1) if text else []
    hits = found[:limit]
    with db.connect() as conn:
        places = _commune_names(conn, {h["commune_code"] for h in hits if h.get("commune_code")})
        territories = _territory_hits(conn, text, 10) if text else []
    actors = [
        {
            "id": h["id"],
            "name": h["name"],
            "acronym": h.get("acronym"),
            "world": h.get("world"),
            "world_label": label("worlds", h.get("world") or "unknown", lang),
            "category_label": label("categories", h.get("category"), lang),
            "commune": places.get(h.get("commune_code") or ""),
            "description": (h.get("description") or "")[:280] or None,
            "rank": round(float(h["rank"]), 4),
        }
        for h in hits
    ]
    total = min(len(found), cap)
    return {
        "query": text,
        "actors": actors,
        "territories": territories,
        "total": total,
        "capped": len(found) > cap,
    }


def _commune_names(conn: sa.Connection, codes: set[str]) -> dict[str, str]:
    if not codes:
        return {}
    query = sa.select(territory_table.c.code, territory_table.c.name).where(
        territory_table.c.code.in_(sorted("COM:" + c for c in codes))
    )
    return {code[4:]: name for code, name in conn.execute(query)}


PEOPLE_ENTITIES = (
    "user_account", "api_token", "email_token", "comment", "comment_report", "follow",
    "notification_setting", "proposal", "proposal_vote",
)  # fmt: skip
"""Audited entities that never change what the map, its pages and its analysis show:
accounts, the debate, pending proposals (an accepted one writes actors and links)."""


def data_version(*, db: sa.Engine) -> int:
    """The id of the latest change to the map in the audit log: it moves with every write
    to the map, so answers cached under it stay right (every write is audited, DESIGN.md
    section 4); a comment, a vote or a sign-in leaves it (:data:`PEOPLE_ENTITIES`)."""
    query = sa.select(sa.func.coalesce(sa.func.max(change.c.id), 0)).where(
        change.c.entity.not_in(PEOPLE_ENTITIES)
    )
    with db.connect() as conn:
        return int(conn.execute(query).scalar_one())


def read_filters(*, db: sa.Engine, raw: dict[str, Any]) -> Filters:
    """Validate raw query values into :class:`Filters` (territory resolved). Raises InvalidInput."""
    with db.connect() as conn:
        return clean_filters(conn, raw)
