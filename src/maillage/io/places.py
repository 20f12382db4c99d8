"""Where the rows of a table are: coordinates in WGS84 degrees, postcodes and communes.

Files from other territories give their points in a projected system (Lambert-93
``x``/``y``, a conical zone CC42-CC50, UTM overseas, Web Mercator), or with latitude
and longitude swapped, or give no postcode but an address ending in ``59000 Lille``.
:func:`settle_points` reads them as a person would, after the cells were parsed:

* coordinate columns the parser kept aside (``X``/``Y`` next to ``Latitude`` /
  ``Longitude``, or the file's own ``latitude``/``longitude`` when ``--map`` named other
  columns; any format that keeps unknown columns in ``extra``) give the points of the
  rows that have none, reported once per pair of columns;
* projected coordinates: the system is named by the columns' headers (``X_L93``,
  ``y_cc48``, ``x_3857``...), else it is the one of :data:`PROJECTIONS` whose area of
  use (pyproj) holds the points and that puts the most of them in France and in the
  département their row gives; the points are converted with pyproj and the conversion
  reported once per file and pair of columns (columns and system named). Two systems
  that fit the points equally well are reported and the points refused, never guessed;
* swapped latitude/longitude: a point outside France (or outside its row's
  département) that the swap puts inside is swapped, with a warning on its row;
* a coordinate still out of bounds rejects its row, as before;
* postcode and commune name read from the end of a free-text address when the row
  has none (``12 rue X 59000 Lille``), with a warning.

Département boxes come from the La Poste table of communes shipped with maillage
(``data/geo/laposte_hexasmal.csv.gz``: one point per commune and postcode).
"""

from __future__ import annotations

import csv
import gzip
import io
import math
import re
from collections.abc import Sequence
from functools import cache
from importlib import resources
from typing import Any

from maillage.io.columns import ACTOR_GUESSES, axis_of, header_key
from maillage.io.result import ParseResult, RowLog
from maillage.model.fields import FRANCE_BOXES, BoundingBox, locate_point
from maillage.model.identifiers import is_postcode
from maillage.model.numbers import parse_number
from maillage.model.records import ActorRecord

__all__ = [
    "PROJECTIONS",
    "coordinate_pairs",
    "department_box",
    "settle_points",
    "settle_result",
]

PROJECTIONS: dict[int, str] = {
    2154: "Lambert-93",
    **{3900 + zone: f"Lambert CC{zone}" for zone in range(42, 51)},
    3857: "Web Mercator",
    5490: "UTM 20N (Antilles)",
    2972: "UTM 22N (Guyane)",
    2975: "UTM 40S (La Réunion)",
    4471: "UTM 38S (Mayotte)",
}
"""The projected systems recognised, by EPSG code, in the order a tie is decided."""

# Headers naming their system: the folded header (columns.header_key) holds the pattern.
_HINTS: tuple[tuple[re.Pattern[str], int], ...] = (
    (re.compile(r"l93|lambert93|lamb93|2154|rgf93"), 2154),
    *((re.compile(rf"cc{zone}|39{zone}"), 3900 + zone) for zone in range(42, 51)),
    (re.compile(r"3857|mercator|900913"), 3857),
    (re.compile(r"utm20|5490|32620"), 5490),
    (re.compile(r"utm22|2972|32622"), 2972),
    (re.compile(r"utm40|2975|32740"), 2975),
    (re.compile(r"utm38|4471|32738"), 4471),
)
_ADDRESS_END = re.compile(
    r"(?:^|[\s,;-])(\d{2})[\s\u00a0]?(\d{3})[\s,]+([A-Za-zÀ-ÿŒœ'’][A-Za-zÀ-ÿŒœ'’ -]*?)"
    r"(?:\s+cedex(?:\s*\d+)?)?\s*$",
    re.IGNORECASE,
)
_MARGIN = 0.05  # degrees around a département's communes (their points are town halls)


def settle_points(
    actors: Sequence[ActorRecord],
    numbers: Sequence[int],
    log: RowLog,
    columns: Sequence[str] = (),
) -> set[int]:
    """Convert, swap and check the coordinates of ``actors`` (from rows ``numbers``),
    and fill postcode and commune from addresses; return the indexes of the actors
    whose row is rejected (a coordinate out of bounds, or projected in a system the
    points leave ambiguous). ``columns`` are the headers of the coordinate columns,
    which may name the projected system; a row without coordinates takes them from the
    coordinate columns kept in its ``extra`` (:func:`coordinate_pairs`)."""
    rejected: set[int] = set()
    origin = _spare_points(actors, numbers, log)
    groups: dict[tuple[str, ...], list[int]] = {}
    for i, a in enumerate(actors):
        if (a.latitude is not None and abs(a.latitude) > 180) or (
            a.longitude is not None and abs(a.longitude) > 180
        ):
            groups.setdefault(origin.get(i) or tuple(columns), []).append(i)
    for named, projected in groups.items():
        rejected |= _unproject(actors, numbers, projected, log, named)
    for index, actor in enumerate(actors):
        if actor.postcode is None and actor.address:
            _from_address(actor, numbers[index], log)
        if index in rejected or (actor.latitude is None and actor.longitude is None):
            continue
        log.row = numbers[index]
        if not _check(actor, log):
            rejected.add(index)
    return rejected


def settle_result(
    result: ParseResult, numbers: Sequence[int], file: str | None, columns: Sequence[str] = ()
) -> None:
    """:func:`settle_points` on the actors of a parser's ``result`` (read from rows
    ``numbers`` of ``file``), the one rule every parser reading coordinates applies: a
    row it rejects leaves the records and joins ``result.rejected_rows``."""
    rejected = settle_points(result.actors, numbers, RowLog(result.issues, None, file), columns)
    if rejected:
        result.actors[:] = [a for i, a in enumerate(result.actors) if i not in rejected]
        result.rejected_rows = sorted({*result.rejected_rows, *(numbers[i] for i in rejected)})


_LATITUDES = frozenset(header_key(a) for a in ACTOR_GUESSES["latitude"])
_LONGITUDES = frozenset(header_key(a) for a in ACTOR_GUESSES["longitude"])


def coordinate_pairs(headers: Sequence[str]) -> list[tuple[str, str]]:
    """The ``(x or longitude, y or latitude)`` column pairs among ``headers``, as their
    names say (``X``/``Y``, ``coord_x``/``coord_y``, ``XL93``/``YL93``, ``Longitude`` /
    ``Latitude``), in the order the x columns come."""
    xs: list[str] = []
    ys: list[str] = []
    for header in headers:
        key = header_key(header)
        axis = (
            "longitude" if key in _LONGITUDES else "latitude" if key in _LATITUDES
            else axis_of(header)
        )  # fmt: skip
        if axis == "longitude":
            xs.append(header)
        elif axis == "latitude":
            ys.append(header)
    return list(zip(xs, ys, strict=False))


def _number(value: Any) -> float | None:
    """A finite number from a cell kept in ``extra`` (text or number), else None."""
    if isinstance(value, bool):
        return None
    number = float(value) if isinstance(value, int | float) else (
        parse_number(value) if isinstance(value, str) else None
    )  # fmt: skip
    return number if number is not None and math.isfinite(number) else None


def _spare_points(
    actors: Sequence[ActorRecord], numbers: Sequence[int], log: RowLog
) -> dict[int, tuple[str, str]]:
    """Give a row without coordinates those of the first coordinate columns its
    ``extra`` holds (a pair the parser did not map); return, per actor so filled, the
    pair of columns read. Each pair read is reported once."""
    keys: dict[str, None] = {}
    for actor in actors:
        if actor.extra and actor.latitude is None and actor.longitude is None:
            keys.update(dict.fromkeys(actor.extra))
    pairs = coordinate_pairs(list(keys)) if keys else []
    origin: dict[int, tuple[str, str]] = {}
    for index, actor in enumerate(actors):
        if not pairs or actor.latitude is not None or actor.longitude is not None:
            continue
        for x_column, y_column in pairs:
            x, y = _number(actor.extra.get(x_column)), _number(actor.extra.get(y_column))
            if x is not None and y is not None:
                actor.longitude, actor.latitude = x, y
                del actor.extra[x_column], actor.extra[y_column]
                origin[index] = (x_column, y_column)
                break
    for pair in dict.fromkeys(origin.values()):
        rows = [numbers[i] for i, used in origin.items() if used == pair]
        log.row = None
        log.warn(
            "longitude", f"{pair[0]}, {pair[1]}",
            f"colonnes {pair[0]}, {pair[1]} lues comme longitude, latitude : {len(rows)} "
            f"ligne(s) sans autres coordonnées, à partir de la ligne {rows[0]}",
        )  # fmt: skip
    return origin


def _check(actor: ActorRecord, log: RowLog) -> bool:
    """Swap a point its row's place says is swapped; refuse one out of bounds."""
    lat, lon = actor.latitude, actor.longitude
    if lat is not None and lon is not None and _swapped(actor, lat, lon):
        actor.latitude, actor.longitude = lon, lat
        log.warn("latitude", f"{lat}, {lon}", f"latitude et longitude inversées : lues "
                 f"comme {lon}, {lat}")  # fmt: skip
    ok = True
    for field, value, limit in (("latitude", actor.latitude, 90), ("longitude", actor.longitude,
                                                                   180)):  # fmt: skip
        if value is not None and not -limit <= value <= limit:
            log.error(field, value, f"coordonnée hors limites (-{limit} à {limit} degrés)")
            ok = False
    return ok


def _swapped(actor: ActorRecord, lat: float, lon: float) -> bool:
    """True when the row's département (else France) holds the point swapped only."""
    box = _row_box(actor)
    if box is not None:
        return not box.contains(lat, lon) and box.contains(lon, lat)
    return locate_point(lat, lon) is None and locate_point(lon, lat) is not None


def _row_box(actor: ActorRecord) -> BoundingBox | None:
    """The box of the département the row names (commune code, postcode, DEP: territory)."""
    if actor.commune_code:
        return department_box(_department(actor.commune_code))
    for territory in actor.territories:
        if territory.startswith("DEP:"):
            return department_box(territory[4:])
    if actor.postcode:
        return _postcode_boxes().get(_department(actor.postcode))
    return None


def _department(code: str) -> str:
    """The département part of a commune code or postcode (``97411`` -> ``974``)."""
    return code[:3] if code.startswith("97") else code[:2]


def department_box(code: str) -> BoundingBox | None:
    """The box around the communes of département ``code`` (``59``, ``2A``, ``974``)."""
    return _boxes()[0].get(code)


def _postcode_boxes() -> dict[str, BoundingBox]:
    return _boxes()[1]


@cache
def _boxes() -> tuple[dict[str, BoundingBox], dict[str, BoundingBox]]:
    """Boxes by département code and by postcode prefix (``20`` covers Corsica)."""
    path = resources.files("maillage.data.geo").joinpath("laposte_hexasmal.csv.gz")
    text = gzip.decompress(path.read_bytes()).decode("utf-8")
    by_code: dict[str, list[float]] = {}
    by_post: dict[str, list[float]] = {}
    for row in csv.DictReader(io.StringIO(text), delimiter=";"):
        point = (row.get("coordonnees_gps") or "").split(",")
        if len(point) != 2:
            continue
        lat, lon = float(point[0]), float(point[1])
        for key, table in ((_department(row["Code_commune_INSEE"]), by_code),
                           (_department(row["Code_postal"]), by_post)):  # fmt: skip
            box = table.setdefault(key, [lat, lat, lon, lon])
            box[:] = [min(box[0], lat), max(box[1], lat), min(box[2], lon), max(box[3], lon)]
    return tuple(  # type: ignore[return-value]
        {
            key: BoundingBox(key, b[0] - _MARGIN, b[1] + _MARGIN, b[2] - _MARGIN, b[3] + _MARGIN)
            for key, b in table.items()
        }
        for table in (by_code, by_post)
    )


def _unproject(
    actors: Sequence[ActorRecord],
    numbers: Sequence[int],
    projected: list[int],
    log: RowLog,
    columns: Sequence[str],
) -> set[int]:
    """Convert the projected points to WGS84 in the system the headers name or the
    points fit best; report the conversion once, naming columns and system. Points two
    systems fit equally well are left as they are and their rows refused (returned)."""
    from pyproj import Transformer

    pairs = [(i, actors[i].longitude, actors[i].latitude) for i in projected]
    points = [(i, x, y) for i, x, y in pairs if x is not None and y is not None]
    if not points:
        return set()
    named = _named_system(columns)
    scored: list[tuple[float, int, list[tuple[float, float]]]] = []
    xs, ys = [p[1] for p in points], [p[2] for p in points]
    for epsg in [named] if named is not None else _systems_holding(xs, ys):
        transformer = Transformer.from_crs(epsg, 4326, always_xy=True)
        lons, lats = transformer.transform(xs, ys)
        converted = list(zip(lats, lons, strict=True))
        score = sum(_fits(actors[i], lat, lon) for (i, _, _), (lat, lon) in
                    zip(points, converted, strict=True))  # fmt: skip
        scored.append((score, epsg, converted))
    said = ", ".join(columns) if columns else "longitude, latitude"
    scored.sort(key=lambda s: -s[0])  # stable: PROJECTIONS' order decides nothing else
    if not scored or scored[0][0] == 0 or (len(scored) > 1 and scored[1][0] == scored[0][0]):
        return _refuse_projected(points, numbers, log, said, scored)
    _, epsg, converted = scored[0]
    for (index, _, _), (lat, lon) in zip(points, converted, strict=True):
        if math.isfinite(lat) and math.isfinite(lon):
            actors[index].latitude, actors[index].longitude = round(lat, 7), round(lon, 7)
    first = numbers[points[0][0]]
    log.row = None
    log.warn(
        "latitude", f"{PROJECTIONS[epsg]} (EPSG:{epsg})",
        f"coordonnées projetées en {PROJECTIONS[epsg]} (EPSG:{epsg}) converties en degrés "
        f"WGS84 (colonnes {said}) : {len(points)} point(s), à partir de la ligne {first}"
        + ("" if named is not None else " (système reconnu aux valeurs)"),
    )  # fmt: skip
    return set()


def _refuse_projected(
    points: list[tuple[int, float, float]],
    numbers: Sequence[int],
    log: RowLog,
    said: str,
    scored: list[tuple[float, int, list[tuple[float, float]]]],
) -> set[int]:
    """Refuse the rows of projected points whose system is unknown or ambiguous."""
    best = [epsg for score, epsg, _ in scored if score == scored[0][0] and score > 0]
    if best:
        systems = " ou ".join(f"{PROJECTIONS[e]} (EPSG:{e})" for e in best)
        message = (
            f"coordonnées projetées ambiguës (colonnes {said}) : {systems} y placent "
            f"aussi bien les points ; nommez le système dans l'en-tête (X_L93, X_3857...) "
            f"ou donnez le code postal ou la commune des lignes"
        )
    else:
        message = (
            f"coordonnées projetées dans un système non reconnu (colonnes {said}) : "
            f"aucun de Lambert-93, CC42 à CC50, Web Mercator ou UTM outre-mer ne les "
            f"place en France"
        )
    for index, x, y in points:
        log.row = numbers[index]
        log.error("longitude", f"{x}, {y}", message)
    return {index for index, _, _ in points}


@cache
def _areas() -> dict[int, tuple[tuple[float, float, float, float], ...]]:
    """Per system of :data:`PROJECTIONS`, the projected boxes (x min, y min, x max,
    y max) of its area of use as pyproj gives it; Web Mercator, of world-wide use, gets
    the boxes of :data:`~maillage.model.fields.FRANCE_BOXES`."""
    from pyproj import CRS, Transformer

    areas: dict[int, tuple[tuple[float, float, float, float], ...]] = {}
    for epsg in PROJECTIONS:
        transformer = Transformer.from_crs(4326, epsg, always_xy=True)
        area = CRS.from_epsg(epsg).area_of_use
        boxes = (
            [(b.lon_min, b.lat_min, b.lon_max, b.lat_max) for b in FRANCE_BOXES]
            if epsg == 3857 or area is None
            else [area.bounds]
        )
        areas[epsg] = tuple(transformer.transform_bounds(*box) for box in boxes)
    return areas


def _systems_holding(xs: Sequence[float], ys: Sequence[float]) -> list[int]:
    """The systems of :data:`PROJECTIONS` whose area of use holds at least half the
    points, in the order of :data:`PROJECTIONS`."""
    found = []
    for epsg, boxes in _areas().items():
        inside = sum(
            any(b[0] <= x <= b[2] and b[1] <= y <= b[3] for b in boxes)
            for x, y in zip(xs, ys, strict=True)
        )
        if inside and 2 * inside >= len(xs):
            found.append(epsg)
    return found


def _named_system(columns: Sequence[str]) -> int | None:
    """The EPSG code the coordinate columns' headers name, if any."""
    for column in columns:
        key = header_key(column)
        for pattern, epsg in _HINTS:
            if pattern.search(key):
                return epsg
    return None


def _fits(actor: ActorRecord, lat: float, lon: float) -> float:
    """How well a converted point fits its row: 2 inside its département, 1 in France."""
    if not (math.isfinite(lat) and math.isfinite(lon)) or locate_point(lat, lon) is None:
        return 0.0
    box = _row_box(actor)
    return 1.0 if box is None else 1.0 + box.contains(lat, lon)


def _from_address(actor: ActorRecord, row: int, log: RowLog) -> None:
    """Postcode (and commune when missing) read from the end of the address."""
    match = _ADDRESS_END.search(actor.address or "")
    if match is None:
        return
    postcode, commune = match[1] + match[2], match[3].strip(" -")
    if not is_postcode(postcode):
        return
    actor.postcode = postcode
    log.row = row
    said = f"code postal {postcode}"
    if actor.commune_name is None and actor.commune_code is None and commune:
        actor.commune_name = commune
        said += f" et commune « {commune} »"
    log.warn("postcode", actor.address, f"{said} lus dans l'adresse")
