"""GeoJSON for the map widget: actors as points, or aggregates when the view is large."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from maillage.services.filters import Filters, clean_filters
from maillage.services.portal.view import (
    VIEW_LIMIT,
    Aggregate,
    aggregate,
    count_actors,
    view_actors,
)


def _point(lon: float, lat: float, properties: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [round(lon, 6), round(lat, 6)]},
        "properties": properties,
    }


def _bbox(features: list[dict[str, Any]]) -> list[float] | None:
    coords = [f["geometry"]["coordinates"] for f in features]
    if not coords:
        return None
    lons, lats = [c[0] for c in coords], [c[1] for c in coords]
    return [min(lons), min(lats), max(lons), max(lats)]


def actor_features(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Point features of placed actors (unplaced ones are left out)."""
    return [
        _point(
            r["longitude"],
            r["latitude"],
            {
                "id": r["id"],
                "name": r["name"],
                "world": r["world"],
                "category": r["category"],
                "commune": r.get("commune"),
            },
        )
        for r in rows
        if r["latitude"] is not None
    ]


def aggregate_features(agg: Aggregate) -> list[dict[str, Any]]:
    """One point per territory group, with its count and world breakdown."""
    features = []
    for code, worlds in sorted(agg.counts.items()):
        place = agg.places.get(code)
        if not place or place["lat"] is None:
            continue
        dominant = max(sorted(worlds), key=lambda w: worlds[w])
        props = {
            "code": code,
            "name": place["name"],
            "count": sum(worlds.values()),
            "world": dominant or None,
            "worlds": {w or "unknown": n for w, n in sorted(worlds.items())},
        }
        features.append(_point(place["lon"], place["lat"], props))
    return features


def map_geojson(
    *, db: sa.Engine, filters: Filters | dict[str, Any], limit: int = VIEW_LIMIT
) -> dict[str, Any]:
    """A FeatureCollection for the map, with ``meta`` saying what it holds.

    ``meta.mode`` is ``actors`` (one point per placed actor) or ``aggregated``
    (one point per commune or département, ``meta.level``); ``meta.total`` counts
    the actors of the view, ``meta.unplaced`` those with no known position.
    """
    with db.connect() as conn:
        if not isinstance(filters, Filters):
            filters = clean_filters(conn, filters)
        total = count_actors(conn, filters)
        if total <= limit:
            features = actor_features(view_actors(conn, filters))
            meta: dict[str, Any] = {"mode": "actors", "level": None}
        else:
            agg = aggregate(conn, filters, limit=limit, per_world=False)
            features = aggregate_features(agg)
            meta = {"mode": "aggregated", "level": agg.level}
    placed = sum(f["properties"].get("count", 1) for f in features)
    meta.update(total=total, unplaced=total - placed, limit=limit, filters=filters.query())
    collection: dict[str, Any] = {"type": "FeatureCollection", "features": features, "meta": meta}
    bbox = _bbox(features)
    if bbox:
        collection["bbox"] = bbox
    return collection
