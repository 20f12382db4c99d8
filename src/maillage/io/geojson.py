"""GeoJSON (RFC 7946): actors as points, territories as polygons with indicators.

Written: one FeatureCollection. An actor with coordinates is a ``Point`` feature
(``[longitude, latitude]``, WGS84) whose properties are every other field of the record
(JSON types: lists stay arrays, ``extra`` an object) plus ``"feature_type": "actor"``;
actors without coordinates are left out and counted (``"metadata": {"unplaced_actors": N}``). A territory is a dict ``{"code", "name",
"geometry", "indicators": {key: value}}``; its feature carries ``feature_type``
``"territory"``, ``code``, ``name`` and one flat property per indicator (flat so map
styles can use them; the names ``feature_type``, ``code`` and ``name`` are reserved).

Read: our features back to records and territories; features from elsewhere become
actors (points, properties mapped like spreadsheet headers) or territories (polygons,
``code``/``nom``/``name`` properties, numeric properties as indicators).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from maillage.io.jsonfile import record_dict, records_from_dicts
from maillage.io.reading import table_from_records
from maillage.io.result import ParseResult, Territory
from maillage.io.tabular import parse_actor_table
from maillage.io.unreadable import UnreadableFile, json_objects, parse_json_bytes, read_data
from maillage.model.records import ActorRecord, ImportIssue

__all__ = [
    "generate_geojson",
    "is_feature_collection",
    "parse_features",
    "parse_geojson",
    "read_geojson",
    "unplaced",
    "write_geojson",
]

_RESERVED = ("feature_type", "code", "name")


def _actor_feature(actor: ActorRecord) -> dict[str, Any] | None:
    if actor.latitude is None or actor.longitude is None:
        return None
    properties = {"feature_type": "actor"}
    properties.update(
        {k: val for k, val in record_dict(actor).items() if k not in ("latitude", "longitude")}
    )
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [actor.longitude, actor.latitude]},
        "properties": properties,
    }


def _territory_feature(territory: Mapping[str, Any]) -> dict[str, Any]:
    properties: dict[str, Any] = {
        "feature_type": "territory",
        "code": territory.get("code"),
        "name": territory.get("name"),
    }
    for key, value in (territory.get("indicators") or {}).items():
        if key not in _RESERVED:
            properties[key] = value
    return {"type": "Feature", "geometry": territory.get("geometry"), "properties": properties}


def unplaced(actors: Iterable[ActorRecord]) -> int:
    """How many of ``actors`` have no coordinates (left out of a GeoJSON document)."""
    return sum(1 for a in actors if a.latitude is None or a.longitude is None)


def generate_geojson(
    actors: Iterable[ActorRecord] = (), territories: Iterable[Mapping[str, Any]] = ()
) -> Iterator[str]:
    """Yield a GeoJSON FeatureCollection in chunks (one feature per chunk).

    The actors without coordinates are left out, and counted in the collection's
    foreign member ``"metadata": {"unplaced_actors": N}`` (RFC 7946 section 6.1; it
    follows the features, counted as they go), written whenever actors were given."""
    yield '{"type": "FeatureCollection", "features": ['
    first = True
    left_out = given = 0
    for actor in actors:
        given += 1
        feature = _actor_feature(actor)
        if feature is None:
            left_out += 1
            continue
        yield ("" if first else ",\n") + json.dumps(feature, ensure_ascii=False)
        first = False
    for territory in territories:
        yield ("" if first else ",\n") + json.dumps(
            _territory_feature(territory), ensure_ascii=False
        )
        first = False
    yield f'], "metadata": {{"unplaced_actors": {left_out}}}}}\n' if given else "]}\n"


def parse_geojson(data: str | bytes, *, file: str | None = None) -> ParseResult:
    """Read a FeatureCollection: point features as actors, polygons as territories."""
    try:
        name = file or "JSON"
        document = parse_json_bytes(data if isinstance(data, bytes) else data.encode(), name)
        return parse_features(document, file=file)
    except UnreadableFile as error:
        result = ParseResult()
        result.issues.append(ImportIssue(None, None, None, str(error), file))
        return result


def is_feature_collection(data: Any) -> bool:
    """Whether a parsed JSON value is a GeoJSON FeatureCollection."""
    return isinstance(data, dict) and data.get("type") == "FeatureCollection"


def parse_features(document: Any, *, file: str | None = None) -> ParseResult:
    """The actors and territories of a parsed FeatureCollection (see
    :func:`parse_geojson`); raises :class:`UnreadableFile` when its features are not an
    array of objects."""
    result = ParseResult()
    name = file or "JSON"
    features = json_objects(
        document.get("features") if isinstance(document, dict) else document, name
    )
    ours: list[tuple[int, dict[str, Any]]] = []
    foreign: list[tuple[int, dict[str, Any]]] = []
    for number, feature in enumerate(features, start=1):
        geometry, properties = feature.get("geometry") or {}, feature.get("properties") or {}
        if not isinstance(geometry, dict) or not isinstance(properties, dict):
            result.issues.append(ImportIssue(number, None, None, "objet attendu", file))
            result.rejected_rows.append(number)
            continue
        properties = dict(properties)
        kind = properties.pop("feature_type", None)
        if kind == "territory" or (kind is None and geometry.get("type") != "Point"):
            result.territories.append(_territory(properties, geometry))
            continue
        point = _point(geometry)
        properties["latitude"], properties["longitude"] = point or (None, None)
        (ours if kind == "actor" else foreign).append((number, properties))
    result.extend(records_from_dicts(ours, ActorRecord, file=file))
    foreign_rows = [p for _, p in foreign]
    if foreign_rows:
        result.extend(parse_actor_table(table_from_records(foreign_rows, file=file, start=1)))
    return result


def _point(geometry: Mapping[str, Any]) -> tuple[float, float] | None:
    coordinates = geometry.get("coordinates")
    if geometry.get("type") == "Point" and isinstance(coordinates, list) and len(coordinates) >= 2:
        longitude, latitude = coordinates[0], coordinates[1]
        if all(isinstance(c, int | float) and math.isfinite(c) for c in (longitude, latitude)):
            return float(latitude), float(longitude)
    return None


def _territory(properties: dict[str, Any], geometry: Mapping[str, Any]) -> Territory:
    code = properties.pop("code", None)
    name = properties.pop("name", None) or properties.pop("nom", None)
    indicators = {
        k: val
        for k, val in properties.items()
        if isinstance(val, int | float | str) and not isinstance(val, bool) or val is None
    }
    return {"code": code, "name": name, "geometry": dict(geometry), "indicators": indicators}


def write_geojson(
    path: str | Path,
    actors: Iterable[ActorRecord] = (),
    territories: Iterable[Mapping[str, Any]] = (),
) -> None:
    """Write the FeatureCollection to ``path`` (UTF-8)."""
    with open(path, "w", encoding="utf-8") as handle:
        handle.writelines(generate_geojson(actors, territories))


def read_geojson(path: str | Path) -> ParseResult:
    """Read a GeoJSON file."""
    data, name = read_data(path)
    return parse_geojson(data, file=name)
