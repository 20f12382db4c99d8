"""Boundaries of régions and départements for the map, the communes' names and centres
that the map writes at street zoom when it has no tile server, and the values that shade
the départements.

Geometries come from the shipped geography (``territory.geometry``), lightened for the
browser: coordinates rounded to 3 decimals (about 100 m) and points closer than a
tolerance to the previous kept one dropped (radial-distance simplification).
"""

from __future__ import annotations

import functools
import math
from collections import Counter
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import sqlalchemy as sa

from maillage.geo import load_geography
from maillage.model.errors import InvalidInput
from maillage.services.filters import (
    Filters,
    actor_conditions,
    clean_filters,
    link_conditions,
    link_scope,
)
from maillage.services.portal.view import departements_of
from maillage.storage.tables import actor, indicator, link, territory

Level = Literal["region", "departement"]
TOLERANCE = {"region": 0.02, "departement": 0.01}
SHADES = ("actors", "cross_world")

Ring = list[list[float]]


def simplify_ring(ring: Ring, tolerance: float) -> Ring | None:
    """The ring with near points dropped; None when too little is left to draw."""
    tol2 = tolerance * tolerance
    kept = [[round(ring[0][0], 3), round(ring[0][1], 3)]]
    for x, y in ring[1:-1]:
        last = kept[-1]
        if (x - last[0]) ** 2 + (y - last[1]) ** 2 >= tol2:
            kept.append([round(x, 3), round(y, 3)])
    kept.append(list(kept[0]))
    return kept if len(kept) >= 4 else None


def simplify(geometry: dict[str, Any], tolerance: float) -> dict[str, Any] | None:
    """A lighter Polygon or MultiPolygon; None if nothing drawable remains."""
    polygons = (
        [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
    )
    out = []
    for polygon in polygons:
        rings = [simplify_ring(r, tolerance) for r in polygon]
        if rings and rings[0] is not None:
            out.append([r for r in rings if r is not None])
    if not out:
        return None
    return {"type": "MultiPolygon", "coordinates": out}


def boundaries(*, db: sa.Engine, level: str) -> dict[str, Any]:
    """A FeatureCollection of the ``region`` or ``departement`` boundaries (code, name)."""
    if level not in TOLERANCE:
        raise InvalidInput("level", level, "region ou departement", "region or departement")
    query = (
        sa.select(territory.c.code, territory.c.name, territory.c.geometry)
        .where(territory.c.level == level, territory.c.geometry.is_not(None))
        .order_by(territory.c.code)
    )
    features = []
    with db.connect() as conn:
        for code, name, geometry in conn.execute(query):
            shape = simplify(geometry, TOLERANCE[level]) if geometry else None
            if shape is not None:
                props = {"code": code, "name": name}
                features.append(
                    {"type": "Feature", "id": code, "geometry": shape, "properties": props}
                )
    return {"type": "FeatureCollection", "features": features}


COMMUNE_LIMIT = 300  # names in one answer: the most populated communes of the box
_ROUNDING = 0.05  # degrees: boxes are widened to this grid, so that answers are shared


@dataclass(frozen=True, slots=True)
class _CommunePoints:
    """The communes with a centre, most populated first, as arrays to select from."""

    lon: np.ndarray
    lat: np.ndarray
    rows: tuple[tuple[str, str, int], ...]  # INSEE code, name, population


@functools.cache
def _commune_points() -> _CommunePoints:
    geography = load_geography()
    placed = [c for c in geography.communes.values() if c.latitude is not None]
    placed.sort(key=lambda c: (-(c.population or 0), c.code))
    return _CommunePoints(
        lon=np.array([c.longitude for c in placed], dtype=float),
        lat=np.array([c.latitude for c in placed], dtype=float),
        rows=tuple((c.code, c.name, c.population or 0) for c in placed),
    )


def commune_box(bbox: str) -> tuple[float, float, float, float]:
    """``"west,south,east,north"`` (degrees) as four numbers widened to a 0.05° grid.
    Raises InvalidInput naming the field and what is expected."""
    parts = bbox.split(",")
    try:
        west, south, east, north = (float(p) for p in parts)
    except ValueError:
        west = south = east = north = float("nan")
    if not (-180 <= west < east <= 180 and -90 <= south < north <= 90):
        raise InvalidInput(
            "bbox",
            bbox,
            "ouest,sud,est,nord en degrés (ouest < est, sud < nord)",
            "west,south,east,north in degrees (west < east, south < north)",
        )
    step = _ROUNDING
    return (
        round(max(-180.0, math.floor(west / step) * step), 2),
        round(max(-90.0, math.floor(south / step) * step), 2),
        round(min(180.0, math.ceil(east / step) * step), 2),
        round(min(90.0, math.ceil(north / step) * step), 2),
    )


@functools.lru_cache(maxsize=1024)  # the boxes asked for: shipped data, never stale
def communes_in(
    box: tuple[float, float, float, float], *, limit: int = COMMUNE_LIMIT
) -> dict[str, Any]:
    """A FeatureCollection of the communes whose centre lies in ``box`` (west, south,
    east, north), the ``limit`` most populated first: points with ``code``, ``name``
    and ``population`` (shipped geography, no database). ``meta.total`` counts those of
    the box, ``meta.truncated`` says when some were left out. Cached: do not mutate."""
    west, south, east, north = box
    points = _commune_points()  # about a second the first time (the shipped geography)
    inside = np.flatnonzero(
        (points.lon >= west) & (points.lon <= east) & (points.lat >= south) & (points.lat <= north)
    )
    features = []
    for i in inside[:limit]:
        code, name, population = points.rows[i]
        features.append(
            {
                "type": "Feature",
                "id": code,
                "geometry": {
                    "type": "Point",
                    "coordinates": [round(float(points.lon[i]), 5), round(float(points.lat[i]), 5)],
                },
                "properties": {"code": code, "name": name, "population": population},
            }
        )
    meta = {"bbox": list(box), "total": int(inside.size), "truncated": bool(inside.size > limit)}
    return {"type": "FeatureCollection", "features": features, "meta": meta}


def _actors_per_departement(conn: sa.Connection, filters: Filters) -> dict[str, float]:
    query = (
        sa.select(actor.c.commune_code, sa.func.count())
        .where(*actor_conditions(conn, filters), actor.c.commune_code.is_not(None))
        .group_by(actor.c.commune_code)
    )
    per_commune = {c: int(n) for c, n in conn.execute(query)}
    mapping = departements_of(conn, set(per_commune))
    counts: Counter[str] = Counter()
    for commune, n in per_commune.items():
        if mapping.get(commune):
            counts[mapping[commune]] += n
    return {k: float(v) for k, v in counts.items()}


def _cross_world_per_departement(conn: sa.Connection, filters: Filters) -> dict[str, float]:
    source, target = actor.alias("s"), actor.alias("t")
    crossing = sa.case((source.c.world != target.c.world, 1), else_=0)
    query = (
        sa.select(source.c.commune_code, sa.func.count(), sa.func.sum(crossing))
        .select_from(
            link.join(source, source.c.id == link.c.source_id).join(
                target, target.c.id == link.c.target_id
            )
        )
        .where(*link_conditions(filters, link_scope(conn, filters)))
        .group_by(source.c.commune_code)
    )
    rows = [(c, int(n), int(k or 0)) for c, n, k in conn.execute(query) if c]
    mapping = departements_of(conn, {c for c, _, _ in rows})
    totals: Counter[str] = Counter()
    crossed: Counter[str] = Counter()
    for commune, n, k in rows:
        dep = mapping.get(commune)
        if dep:
            totals[dep] += n
            crossed[dep] += k
    return {dep: round(crossed[dep] / n, 4) for dep, n in totals.items() if n}


def _indicator(conn: sa.Connection, key: str) -> dict[str, float]:
    query = (
        sa.select(indicator.c.territory_code, indicator.c.value)
        .where(
            indicator.c.key == key,
            indicator.c.deleted_at.is_(None),
            indicator.c.value.is_not(None),
            indicator.c.territory_code.like("DEP:%"),
        )
        .order_by(indicator.c.territory_code, indicator.c.year.desc().nulls_last())
    )
    out: dict[str, float] = {}
    for code, value in conn.execute(query):
        out.setdefault(code, float(value))
    return out


def indicator_keys(*, db: sa.Engine) -> list[str]:
    """Keys of the indicators known for départements (to offer them as map shading)."""
    query = (
        sa.select(indicator.c.key)
        .where(indicator.c.territory_code.like("DEP:%"), indicator.c.deleted_at.is_(None))
        .distinct()
        .order_by(indicator.c.key)
    )
    with db.connect() as conn:
        return list(conn.execute(query).scalars())


def shading(*, db: sa.Engine, measure: str, filters: Filters | dict[str, Any]) -> dict[str, Any]:
    """Values per département for the view: ``actors`` (count), ``cross_world`` (share
    of links across worlds) or ``indicator:<key>`` (latest value). Raises InvalidInput."""
    with db.connect() as conn:
        if not isinstance(filters, Filters):
            filters = clean_filters(conn, filters)
        if measure == "actors":
            values = _actors_per_departement(conn, filters)
        elif measure == "cross_world":
            values = _cross_world_per_departement(conn, filters)
        elif measure.startswith("indicator:") and 0 < len(measure) <= 110:
            values = _indicator(conn, measure.split(":", 1)[1])
        else:
            raise InvalidInput(
                "measure",
                measure,
                "actors, cross_world ou indicator:<clé>",
                "actors, cross_world or indicator:<key>",
            )
    top = max(values.values(), default=0.0)
    return {"measure": measure, "level": "departement", "values": values, "max": top}
