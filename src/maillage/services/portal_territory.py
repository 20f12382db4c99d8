"""Data of the territory page: indicators, needs and their coverage, actors by world,
mixing between worlds, and the sub-territories where actors are."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any, Literal

import sqlalchemy as sa

from maillage.model import taxonomy
from maillage.model.errors import NotFound
from maillage.services.geography import resolve_territory
from maillage.services.portal import label
from maillage.services.portal_filters import Filters, actor_conditions, actor_scope, link_conditions
from maillage.services.portal_pages import territory_names
from maillage.services.portal_view import departements_of
from maillage.storage.tables import actor, actor_theme, indicator, link, maturity, need, territory

Lang = Literal["fr", "en"]


# Columns the page shows: never the boundary (``geometry``), whose JSON a département
# holds by the hundred kilobytes and which would be decoded on every read.
LIGHT = (
    territory.c.code,
    territory.c.name,
    territory.c.level,
    territory.c.parent_code,
    territory.c.population,
    territory.c.latitude,
    territory.c.longitude,
)
_CODE = re.compile(r"^(REG|DEP|EPCI|COM):\S+$", re.IGNORECASE)


def find_territory(conn: sa.Connection, key: str) -> dict[str, Any]:
    """:func:`~maillage.services.geography.resolve_territory` without the boundary: a code
    (``DEP:59``) is read directly, postcodes and names go through the resolver. Raises
    NotFound."""
    key = key.strip()
    if _CODE.match(key):
        level, value = key.split(":", 1)
        code = f"{level.upper()}:{value.upper()}"
        row = conn.execute(sa.select(*LIGHT).where(territory.c.code == code)).first()
        if row is None:
            raise NotFound("territoire", key)
        return dict(row._mapping)
    found = resolve_territory(conn, key)
    return {c.name: found[c.name] for c in LIGHT}


def _parents(conn: sa.Connection, parent: str | None) -> list[dict[str, Any]]:
    chain: list[dict[str, Any]] = []
    while parent and len(chain) < 5:
        row = conn.execute(sa.select(*LIGHT).where(territory.c.code == parent)).first()
        if row is None:
            break
        chain.append({"code": row.code, "name": row.name, "level": row.level})
        parent = row.parent_code
    return chain


def _by_world(conn: sa.Connection, where: list[sa.ColumnElement[bool]]) -> Counter[str]:
    query = sa.select(actor.c.world, sa.func.count()).where(*where).group_by(actor.c.world)
    return Counter({(w or "unknown"): int(n) for w, n in conn.execute(query)})


def mixing(
    conn: sa.Connection, filters: Filters, scope: sa.Select[tuple[int]] | None = None
) -> dict[str, Any]:
    """World x world link counts inside the view, the cross-world share and E-I index.

    E-I index (Krackhardt & Stern 1988): (external - internal) / (external + internal),
    from -1 (links only inside worlds) to +1 (links only across worlds).
    """
    source, target = actor.alias("s"), actor.alias("t")
    query = (
        sa.select(source.c.world, target.c.world, sa.func.count())
        .select_from(
            link.join(source, source.c.id == link.c.source_id).join(
                target, target.c.id == link.c.target_id
            )
        )
        .where(*link_conditions(filters, actor_scope(conn, filters) if scope is None else scope))
        .group_by(source.c.world, target.c.world)
    )
    pairs: Counter[tuple[str, str]] = Counter()
    for a, b, n in conn.execute(query):
        pairs[tuple(sorted((a or "unknown", b or "unknown")))] += int(n)  # type: ignore[index]
    total = sum(pairs.values())
    external = sum(n for (a, b), n in pairs.items() if a != b)
    return {
        "pairs": [{"worlds": list(k), "count": n} for k, n in sorted(pairs.items())],
        "links": total,
        "cross_world_links": external,
        "cross_world_share": round(external / total, 4) if total else None,
        "ei_index": round((2 * external - total) / total, 4) if total else None,
    }


def _needs(
    conn: sa.Connection, code: str, scope: sa.Select[tuple[int]], lang: Lang
) -> list[dict[str, Any]]:
    rows = [
        dict(r._mapping)
        for r in conn.execute(
            sa.select(need)
            .where(need.c.territory_code == code, need.c.deleted_at.is_(None))
            .order_by(need.c.severity.desc().nulls_last(), need.c.id)
        )
    ]
    themes = sorted({r["theme"] for r in rows})
    covered: dict[str, int] = {}
    if themes:
        query = (
            sa.select(actor_theme.c.theme, sa.func.count())
            .where(actor_theme.c.theme.in_(themes), actor_theme.c.actor_id.in_(scope))
            .group_by(actor_theme.c.theme)
        )
        covered = {t: int(n) for t, n in conn.execute(query)}
    return [
        {
            "id": r["id"],
            "theme": r["theme"],
            "theme_label": label("themes", r["theme"], lang),
            "description": r["description"],
            "publics": r["publics"],
            "severity": r["severity"],
            "status": r["status"],
            "status_label": label("need_statuses", r["status"], lang),
            "date": r["date"].isoformat() if r["date"] else None,
            "actors_on_theme": covered.get(r["theme"], 0),
        }
        for r in rows
    ]


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


def _sub_territories(
    conn: sa.Connection, found: dict[str, Any], where: list[sa.ColumnElement[bool]]
) -> list[dict[str, Any]]:
    query = sa.select(actor.c.commune_code, sa.func.count()).where(
        *where, actor.c.commune_code.is_not(None)
    )
    per_commune = {c: int(n) for c, n in conn.execute(query.group_by(actor.c.commune_code))}
    counts: Counter[str] = Counter()
    if found["level"] == "region":
        mapping = departements_of(conn, set(per_commune))
        for commune, n in per_commune.items():
            counts[mapping.get(commune, "")] += n
    elif found["level"] != "commune":
        counts.update({"COM:" + c: n for c, n in per_commune.items()})
    counts.pop("", None)
    names = territory_names(conn, list(counts))
    top = counts.most_common(30)
    return [{"code": c, "name": names.get(c, c), "actors": n} for c, n in top]


def territory_code(*, db: sa.Engine, key: str) -> str:
    """The code of the territory ``key`` (code, postcode or name). Raises NotFound."""
    with db.connect() as conn:
        return str(find_territory(conn, key)["code"])


def territory_page(*, db: sa.Engine, key: str, lang: Lang = "fr") -> dict[str, Any]:
    """A territory with its indicators, needs (with white zones), actors by world,
    mixing between worlds and sub-territories. ``key`` is a code, postcode or name.

    Raises NotFound.
    """
    with db.connect() as conn:
        found = find_territory(conn, key)
        code = found["code"]
        filters = Filters(territory=code)
        where = actor_conditions(conn, filters)
        scope = sa.select(actor.c.id).where(*where)
        worlds = _by_world(conn, where)
        data = {
            k: found[k] for k in ("code", "name", "level", "population", "latitude", "longitude")
        }
        data.update(
            parents=_parents(conn, found.get("parent_code")),
            actors=sum(worlds.values()),
            by_world=[
                {"code": w, "label": label("worlds", w, lang), "count": worlds.get(w, 0)}
                for w in [t.code for t in taxonomy.load("worlds")]
            ],
            mixing=mixing(conn, filters, scope),
            needs=_needs(conn, code, scope, lang),
            indicators=_rows(conn, indicator, code, [indicator.c.key, indicator.c.year]),
            maturity=_rows(conn, maturity, code, [maturity.c.dimension, maturity.c.date]),
            sub_territories=_sub_territories(conn, found, where),
        )
    data["white_zones"] = [n for n in data["needs"] if n["actors_on_theme"] == 0]
    return data
