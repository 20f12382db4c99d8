"""GeoJSON for the map widget: actors as points, or aggregates when the view is large."""

from __future__ import annotations

from collections import Counter
from typing import Any, Generic, Literal, NotRequired, TypedDict, TypeVar

import sqlalchemy as sa

from maillage.services.filters import Filters, clean_filters
from maillage.services.portal.view import (
    VIEW_LIMIT,
    Aggregate,
    aggregate,
    count_actors,
    view_actors,
)


class ActorProperties(TypedDict):
    """What a point of an actor says about it."""

    id: int
    name: str
    world: str | None
    category: str | None
    commune: str | None


class AggregateProperties(TypedDict):
    """What a point of a territory group says: its actors, in all and by world. A
    group of actors placed at their commune's centroid (``approximate``) names them
    (``members``: id and name, by id): the map draws them as one point at the
    commune, never as points of its own making."""

    code: str
    name: str
    count: int
    world: str | None  # the world with the most actors
    worlds: dict[str, int]
    approximate: NotRequired[bool]
    members: NotRequired[list[tuple[int, str]]]


P = TypeVar("P", ActorProperties, AggregateProperties)


class Point(TypedDict):
    type: Literal["Point"]
    coordinates: list[float]  # longitude, latitude


class Feature(TypedDict, Generic[P]):
    """A GeoJSON point feature."""

    type: Literal["Feature"]
    geometry: Point
    properties: P


class MapMeta(TypedDict):
    """What a map answer holds (see :func:`map_geojson`)."""

    mode: Literal["actors", "aggregated"]
    level: str | None
    total: int
    unplaced: int
    approximate: int  # placed at their commune's centroid (grouped per commune)
    limit: int
    filters: dict[str, str]


class MapAnswer(TypedDict):
    """A GeoJSON FeatureCollection with its ``meta`` (and ``bbox`` when it has points)."""

    type: Literal["FeatureCollection"]
    features: list[Feature[Any]] | list[Feature[AggregateProperties]]
    meta: MapMeta
    bbox: NotRequired[list[float]]


def _point(lon: float, lat: float, properties: P) -> Feature[P]:
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [round(lon, 6), round(lat, 6)]},
        "properties": properties,
    }


def _bbox(coords: list[list[float]]) -> list[float] | None:
    if not coords:
        return None
    lons, lats = [c[0] for c in coords], [c[1] for c in coords]
    return [min(lons), min(lats), max(lons), max(lats)]


def actor_features(rows: list[dict[str, Any]]) -> list[Feature[Any]]:
    """Point features of the actors placed by their own coordinates, then one point per
    commune for those placed at its centroid (:func:`commune_groups`); unplaced actors
    are left out."""
    exact: list[Feature[Any]] = [
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
        if r["latitude"] is not None and not r.get("approximate")
    ]
    return exact + commune_groups([r for r in rows if r.get("approximate")])


def commune_groups(rows: list[dict[str, Any]]) -> list[Feature[Any]]:
    """One point per commune at its centroid for actors placed there (approximate):
    how many, by world, and who."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        groups.setdefault(r["commune_code"], []).append(r)
    features: list[Feature[Any]] = []
    for code, members in sorted(groups.items()):
        worlds = Counter(m["world"] or "unknown" for m in members)
        props: AggregateProperties = {
            "code": "COM:" + code,
            "name": members[0]["commune"] or code,
            "count": len(members),
            "world": max(sorted(worlds), key=lambda w: worlds[w]),
            "worlds": dict(sorted(worlds.items())),
            "approximate": True,
            "members": [(m["id"], m["name"]) for m in members],
        }
        features.append(_point(members[0]["longitude"], members[0]["latitude"], props))
    return features


def aggregate_features(agg: Aggregate) -> list[Feature[AggregateProperties]]:
    """One point per territory group, with its count and world breakdown."""
    features = []
    for code, worlds in sorted(agg.counts.items()):
        place = agg.places.get(code)
        if not place or place["lat"] is None:
            continue
        dominant = max(sorted(worlds), key=lambda w: worlds[w])
        props: AggregateProperties = {
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
) -> MapAnswer:
    """A FeatureCollection for the map, with ``meta`` saying what it holds.

    ``meta.mode`` is ``actors`` (one point per actor placed by its own coordinates,
    one per commune for those placed at its centroid, ``meta.approximate`` of them:
    :func:`commune_groups`) or ``aggregated``
    (one point per commune or département, ``meta.level``); ``meta.total`` counts
    the actors of the view, ``meta.unplaced`` those with no known position.
    """
    features: list[Feature[Any]] | list[Feature[AggregateProperties]]
    with db.connect() as conn:
        if not isinstance(filters, Filters):
            filters = clean_filters(conn, filters)
        total = count_actors(conn, filters)
        if total <= limit:
            rows = view_actors(conn, filters)
            features = actor_features(rows)
            mode: Literal["actors", "aggregated"] = "actors"
            level = None
            placed = sum(1 for r in rows if r["latitude"] is not None)
            approximate = sum(1 for r in rows if r["approximate"])
        else:
            agg = aggregate(conn, filters, limit=limit, per_world=False)
            features = aggregate_features(agg)
            mode, level = "aggregated", agg.level
            placed = sum(f["properties"]["count"] for f in features)
            approximate = 0  # every group is a commune's or a département's already
    meta = MapMeta(
        mode=mode,
        level=level,
        total=total,
        unplaced=total - placed,
        approximate=approximate,
        limit=limit,
        filters=filters.query(),
    )
    collection = MapAnswer(type="FeatureCollection", features=features, meta=meta)
    bbox = _bbox([f["geometry"]["coordinates"] for f in features])
    if bbox:
        collection["bbox"] = bbox
    return collection
