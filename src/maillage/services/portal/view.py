"""What the map and network widgets draw for a filtered view.

Below ``limit`` actors the widgets get the actors themselves; above, the server
aggregates actors by commune, then by département, so the browser never receives
more than ``limit`` points or nodes (DESIGN.md section 7).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from maillage.services.filters import Filters, actor_conditions, link_conditions, link_scope
from maillage.services.places import COMMUNE, place_columns, placed_from
from maillage.storage.tables import actor, link, territory

VIEW_LIMIT = 5000
UNPLACED = ""


@dataclass(slots=True)
class Aggregate:
    """Actors of a view counted per territory group and world."""

    level: str  # "commune" | "departement"
    counts: dict[str, Counter[str]] = field(default_factory=dict)  # group -> world -> n
    places: dict[str, dict[str, Any]] = field(default_factory=dict)  # group -> name, lat, lon

    @property
    def total(self) -> int:
        return sum(sum(c.values()) for c in self.counts.values())


def count_actors(conn: sa.Connection, filters: Filters) -> int:
    """Number of actors in the view."""
    query = sa.select(sa.func.count()).select_from(actor).where(*actor_conditions(conn, filters))
    return int(conn.execute(query).scalar_one())


def _centroids(conn: sa.Connection, codes: set[str]) -> dict[str, dict[str, Any]]:
    """Name, centroid and parent of territories, by code."""
    found: dict[str, dict[str, Any]] = {}
    ordered = sorted(c for c in codes if c)
    for start in range(0, len(ordered), 2000):
        query = sa.select(
            territory.c.code,
            territory.c.name,
            territory.c.latitude,
            territory.c.longitude,
            territory.c.parent_code,
        ).where(territory.c.code.in_(ordered[start : start + 2000]))
        for code, name, lat, lon, parent in conn.execute(query):
            found[code] = {"name": name, "lat": lat, "lon": lon, "parent": parent}
    return found


def departements_of(conn: sa.Connection, communes: set[str]) -> dict[str, str]:
    """Map INSEE commune codes to their département (or overseas collectivity) code."""
    places = _centroids(conn, {"COM:" + c for c in communes})
    parents = {p["parent"] for p in places.values() if p["parent"]}
    upper = _centroids(conn, {p for p in parents if p.startswith("COM:")})
    out: dict[str, str] = {}
    for code, place in places.items():
        parent = place["parent"] or UNPLACED
        if parent.startswith("COM:"):  # municipal arrondissement
            parent = upper.get(parent, {}).get("parent") or UNPLACED
        out[code[4:]] = parent
    return out


def _by_commune(conn: sa.Connection, filters: Filters) -> list[tuple[str, str, int]]:
    query = (
        sa.select(actor.c.commune_code, actor.c.world, sa.func.count())
        .where(*actor_conditions(conn, filters))
        .group_by(actor.c.commune_code, actor.c.world)
    )
    return [(c or UNPLACED, w or "", int(n)) for c, w, n in conn.execute(query)]


def aggregate(
    conn: sa.Connection, filters: Filters, *, limit: int, per_world: bool, level: str | None = None
) -> Aggregate:
    """Group the view by commune, or by département when communes are too many
    (or when ``level`` says so).

    ``per_world`` counts one group per (territory, world), as network nodes do.
    """
    rows = _by_commune(conn, filters)
    size = len(rows) if per_world else len({c for c, _, _ in rows})
    level = level or ("commune" if size <= limit else "departement")
    mapping = departements_of(conn, {c for c, _, _ in rows if c}) if level == "departement" else {}
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for commune, world, n in rows:
        group = ("COM:" + commune if commune else UNPLACED) if level == "commune" else None
        if group is None:
            group = mapping.get(commune, UNPLACED)
        counts[group][world] += n
    places = _centroids(conn, set(counts))
    return Aggregate(level=level, counts=dict(counts), places=places)


def view_actors(conn: sa.Connection, filters: Filters) -> list[dict[str, Any]]:
    """The actors of the view with their place (:mod:`maillage.services.places`: their
    own, or their commune's centroid, then ``approximate``) and commune name."""
    query = (
        sa.select(
            actor.c.id,
            actor.c.name,
            actor.c.world,
            actor.c.category,
            actor.c.commune_code,
            *place_columns(),
            COMMUNE.c.name.label("commune"),
        )
        .select_from(placed_from())
        .where(*actor_conditions(conn, filters))
        .order_by(actor.c.id)
    )
    rows = [dict(r._mapping) for r in conn.execute(query)]
    for row in rows:
        row["approximate"] = bool(row["approximate"])
    return rows


def view_links(conn: sa.Connection, filters: Filters) -> list[dict[str, Any]]:
    """The links of the view: id, ends, kind, years, weight."""
    scope = link_scope(conn, filters)
    query = (
        sa.select(
            link.c.id,
            link.c.source_id,
            link.c.target_id,
            link.c.kind,
            link.c.directed,
            link.c.start_date,
            link.c.end_date,
            link.c.weight,
        )
        .where(*link_conditions(filters, scope))
        .order_by(link.c.id)
    )
    keys = ("id", "source_id", "target_id", "kind", "directed")
    out = []
    for *values, start, end, weight in conn.execute(query):  # tuples: no mapping per row
        item = dict(zip(keys, values, strict=True))
        item["weight"] = weight
        item["start_year"] = start.year if start else None
        item["end_year"] = end.year if end else None
        out.append(item)
    return out


def aggregated_links(conn: sa.Connection, filters: Filters) -> list[tuple[str, str, str, str, int]]:
    """Link counts between (commune, world) pairs of the view."""
    source, target = actor.alias("s"), actor.alias("t")
    query = (
        sa.select(
            source.c.commune_code,
            source.c.world,
            target.c.commune_code,
            target.c.world,
            sa.func.count(),
        )
        .select_from(
            link.join(source, source.c.id == link.c.source_id).join(
                target, target.c.id == link.c.target_id
            )
        )
        .where(*link_conditions(filters, link_scope(conn, filters)))
        .group_by(source.c.commune_code, source.c.world, target.c.commune_code, target.c.world)
    )
    return [
        (a or UNPLACED, b or "", c or UNPLACED, d or "", int(n))
        for a, b, c, d, n in conn.execute(query)
    ]
