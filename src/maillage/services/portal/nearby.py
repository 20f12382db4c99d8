"""The places nearest to a point, for the citizen: distance, hours, contacts, directions.

A place is a live actor one can go to: one with its own coordinates, or with opening
hours (then placed at its commune's centre when it has no coordinates, approximately:
:mod:`maillage.services.places`); an actor known only by its commune is no address to
send a visitor to, and is left out. :func:`nearest_places` sorts
them by great-circle distance from a point (a searched territory's centre or the
browser's position); :func:`place_details` gives what a visitor needs to go there: opening
hours (:mod:`maillage.services.portal.hours`), phone, e-mail, website, services (the
themes), accessibility and access conditions (fields of the lieux de médiation
numérique schema kept in ``extra``) and directions links built from the coordinates
(an OpenStreetMap directions address and a ``geo:`` URI): nothing is asked of any other
server.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from typing import Any, Literal
from urllib.parse import quote

import sqlalchemy as sa

from maillage.model.errors import InvalidInput, NotFound
from maillage.services.geocoding import Geocoder, GeocoderUnavailable, looks_like_address
from maillage.services.geography import (
    COMMUNE_LEVELS,
    READING_COLUMNS,
    readings_in_text,
    resolve_territory,
    territory_readings,
)
from maillage.services.places import COMMUNE, place_columns, placed_from
from maillage.services.portal import label
from maillage.services.portal import search as portal_search
from maillage.services.portal.hours import opening_hours
from maillage.storage.tables import actor, actor_theme

Lang = Literal["fr", "en"]

EARTH_RADIUS_KM = 6371.0088
RADII_KM = (5.0, 20.0, 80.0, 320.0)
"""The search widens through these radii until it holds enough places, then takes all."""
MAX_PLACES = 50

HOURS_FIELDS = ("horaires", "horaires_accueil", "horaires_ouverture")
"""Where imports keep opening hours in ``extra``: the lieux de médiation numérique and
France Services (``horaires``), data·inclusion (``horaires_accueil``, older exports
``horaires_ouverture``)."""
ACCESSIBILITY_FIELDS = ("prise_en_charge_specifique",)
ACCESS_FIELDS = ("modalites_acces", "conditions_acces", "conditions_access")
FEES_FIELDS = ("frais_a_charge",)
ACCESLIBRE_FIELDS = ("fiche_acces_libre", "accessibilite")
PUBLICS_FIELDS = ("publics_specifiquement_adresses", "publics_accueillis")


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in kilometres (haversine formula, mean Earth radius)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def check_point(latitude: float, longitude: float) -> None:
    """Raise InvalidInput for a point off the globe."""
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        raise InvalidInput(
            "lat",
            f"{latitude}, {longitude}",
            "une latitude entre -90 et 90 et une longitude entre -180 et 180",
            "a latitude between -90 and 90 and a longitude between -180 and 180",
        )


_COLUMNS = (
    actor.c.id,
    actor.c.name,
    actor.c.world,
    actor.c.category,
    actor.c.address,
    actor.c.postcode,
    actor.c.phone,
    actor.c.email,
    actor.c.website,
    actor.c.extra,
    COMMUNE.c.name.label("commune"),
)


def nearest_places(
    *,
    db: sa.Engine,
    latitude: float,
    longitude: float,
    limit: int = 10,
    lang: Lang = "fr",
    today: dt.date | None = None,
) -> list[dict[str, Any]]:
    """The ``limit`` live actors nearest to the point, nearest first (at the same
    distance as shown, to the tenth of a kilometre, those whose opening hours are known
    first), each with ``distance_km`` and :func:`place_details`. Raises InvalidInput for
    a point off the globe."""
    check_point(latitude, longitude)
    limit = max(1, min(limit, MAX_PLACES))
    with db.connect() as conn:
        rows: list[tuple[float, dict[str, Any]]] = []
        for radius in (*RADII_KM, None):
            rows = _within(conn, latitude, longitude, radius)
            if len(rows) >= limit:
                break
        rows.sort(key=lambda p: (round(p[0], 1), not has_hours(p[1]), p[0], p[1]["id"]))
        chosen = rows[:limit]
        themes = _themes(conn, [row["id"] for _, row in chosen])
    return [
        {
            "distance_km": round(km, 1),
            **place_details(row, themes.get(row["id"], []), lang=lang, today=today),
        }
        for km, row in chosen
    ]


def _within(
    conn: sa.Connection, latitude: float, longitude: float, radius: float | None
) -> list[tuple[float, dict[str, Any]]]:
    lat, lon, approximate = place_columns()
    query = (
        sa.select(*_COLUMNS, lat, lon, approximate)
        .select_from(placed_from())
        .where(
            actor.c.deleted_at.is_(None),
            actor.c.merged_into_id.is_(None),
            lat.is_not(None),
            sa.or_(
                actor.c.latitude.is_not(None),
                *(actor.c.extra[name].as_string() != "" for name in HOURS_FIELDS),
            ),
        )
    )
    if radius is not None:
        dlat = math.degrees(radius / EARTH_RADIUS_KM)
        dlon = dlat / max(math.cos(math.radians(min(abs(latitude) + dlat, 89.9))), 1e-6)
        query = query.where(
            lat.between(latitude - dlat, latitude + dlat),
            lon.between(longitude - dlon, longitude + dlon),
        )
    found = []
    for row in conn.execute(query):
        item = dict(row._mapping)
        km = distance_km(latitude, longitude, item["latitude"], item["longitude"])
        if radius is None or km <= radius:
            found.append((km, item))
    return found


def has_hours(row: Mapping[str, Any]) -> bool:
    """Whether the actor ``row`` (with its ``extra``) says its opening hours: a place to go to."""
    extra = row.get("extra") or {}
    return any(extra.get(name) for name in HOURS_FIELDS)


def _themes(conn: sa.Connection, ids: Sequence[int]) -> dict[int, list[str]]:
    if not ids:
        return {}
    found: dict[int, list[str]] = {}
    query = (
        sa.select(actor_theme.c.actor_id, actor_theme.c.theme)
        .where(actor_theme.c.actor_id.in_(list(ids)))
        .order_by(actor_theme.c.actor_id, actor_theme.c.theme)
    )
    for actor_id, theme in conn.execute(query):
        found.setdefault(actor_id, []).append(theme)
    return found


def place_details(
    row: Mapping[str, Any],
    themes: Sequence[str],
    *,
    lang: Lang = "fr",
    today: dt.date | None = None,
) -> dict[str, Any]:
    """What a visitor needs to reach the actor ``row`` (its columns, ``extra`` and,
    when placed, ``latitude``, ``longitude``, ``approximate``, ``commune``): name,
    address, opening hours, phone, e-mail, website, services, accessibility, access,
    fees, appointment link and directions."""
    extra = row.get("extra") or {}
    phone = row.get("phone")
    return {
        "id": row.get("id"),
        "name": row.get("name"),
        "world": row.get("world"),
        "world_label": label("worlds", row.get("world") or "unknown", lang),
        "category_label": label("categories", row.get("category"), lang),
        "address": row.get("address"),
        "address_more": _text(extra.get("complement_adresse")),
        "postcode": row.get("postcode"),
        "commune": row.get("commune"),
        "latitude": row.get("latitude"),
        "longitude": row.get("longitude"),
        "approximate": bool(row.get("approximate")),
        "hours": opening_hours(
            next((extra[k] for k in HOURS_FIELDS if extra.get(k)), None), lang, today=today
        ),
        "phone": phone_text(phone),
        "phone_uri": f"tel:{phone_digits(phone)}" if phone else None,
        "email": row.get("email"),
        "website": row.get("website"),
        "services": [label("themes", t, lang) for t in themes],
        "accessibility": _values(extra, ACCESSIBILITY_FIELDS),
        "acceslibre_url": _url(extra, ACCESLIBRE_FIELDS),
        "access": _values(extra, ACCESS_FIELDS),
        "publics": _values(extra, PUBLICS_FIELDS),
        "fees": _values(extra, FEES_FIELDS),
        "appointment_url": _url(extra, ("prise_rdv",)),
        "directions": directions(row),
    }


def directions(row: Mapping[str, Any]) -> dict[str, str] | None:
    """Links to go to the place: ``osm`` (OpenStreetMap's directions page, to the
    coordinates, or to the address when the place is only its commune's centre) and
    ``geo`` (a ``geo:`` URI a phone opens in its map application); None unplaced."""
    lat, lon = row.get("latitude"), row.get("longitude")
    if lat is None or lon is None:
        return None
    point = f"{lat:.6f},{lon:.6f}"
    where = point
    if row.get("approximate") and row.get("address"):
        parts = (row.get("address"), row.get("postcode"), row.get("commune"))
        where = " ".join(str(p) for p in parts if p)
    return {
        "osm": "https://www.openstreetmap.org/directions?to=" + quote(where, safe=""),
        "geo": f"geo:{point}",
    }


def phone_digits(phone: str) -> str:
    """The phone number with its separators left out (for a ``tel:`` link)."""
    return "".join(c for c in phone if c.isdigit() or c == "+")


def phone_text(phone: str | None) -> str | None:
    """A French number written as French readers do (``+33320112233`` ->
    ``03 20 11 22 33``); any other number as it is stored."""
    if not phone:
        return None
    digits = phone_digits(phone)
    if digits.startswith("+33") and len(digits) == 12:
        digits = "0" + digits[3:]
    if len(digits) == 10 and digits.isdigit() and digits.startswith("0"):
        return " ".join(digits[i : i + 2] for i in range(0, 10, 2))
    return phone


def _text(value: Any) -> str | None:
    return str(value).strip() or None if value not in (None, "") else None


def _values(extra: Mapping[str, Any], fields: Sequence[str]) -> list[str]:
    """The values of the first of ``fields`` present, split on ``|`` or ``;``."""
    for name in fields:
        value = extra.get(name)
        if isinstance(value, list):
            return [str(v).strip() for v in value if str(v).strip()]
        if isinstance(value, str) and value.strip():
            text = value.replace(";", "|")
            return [part.strip() for part in text.split("|") if part.strip()]
    return []


def _url(extra: Mapping[str, Any], fields: Sequence[str]) -> str | None:
    for name in fields:
        value = extra.get(name)
        if isinstance(value, str) and value.strip().startswith(("https://", "http://")):
            return value.strip()
    return None


def places_near(
    *,
    db: sa.Engine,
    key: str | None = None,
    latitude: float | None = None,
    longitude: float | None = None,
    limit: int = 10,
    lang: Lang = "fr",
    today: dt.date | None = None,
    geocoder: Geocoder | None = None,
) -> dict[str, Any]:
    """The places nearest to ``key`` (see :func:`locate`: a postcode, commune name or
    INSEE code, its other readings coming back as ``readings``; or a street address
    through the ``geocoder``) or to the point given: ``{"centre", "readings", "address",
    "places"}``. An address that could not be placed gives ``centre`` None, no places,
    and ``address`` saying why with the communes its text names (``offers``). Raises
    InvalidInput without a usable point, NotFound for a key that names nothing."""
    readings: list[dict[str, Any]] = []
    address = None
    if key is not None and key.strip():
        found = locate(db=db, key=key, geocoder=geocoder)
        centre, readings, address = found["centre"], found["readings"], found["address"]
        if centre is None:
            return {"centre": None, "readings": [], "address": address, "places": []}
    elif latitude is not None and longitude is not None:
        check_point(latitude, longitude)
        centre = {"reading": "position", "latitude": latitude, "longitude": longitude}
    else:
        raise InvalidInput(
            "near",
            None,
            "un code postal, une commune, un code INSEE, une adresse ou une position (lat et lon)",
            "a postcode, a commune, an INSEE code, an address or a position (lat and lon)",
        )
    if centre.get("latitude") is None:
        raise InvalidInput(
            "near", key, "un territoire dont le centre est connu", "a territory with a known centre"
        )
    places = nearest_places(
        db=db,
        latitude=centre["latitude"],
        longitude=centre["longitude"],
        limit=limit,
        lang=lang,
        today=today,
    )
    return {"centre": centre, "readings": readings, "address": address, "places": places}


def locate(*, db: sa.Engine, key: str, geocoder: Geocoder | None = None) -> dict[str, Any]:
    """Where ``key`` is: ``{"centre", "readings", "address"}``. A postcode, a commune
    name or an INSEE code is read offline (:func:`territory_centres`: ``readings``, the
    first the centre); a street address (:func:`~maillage.services.geocoding.looks_like_address`),
    or with a geocoder any text not found offline, is asked of the geocoder
    (:func:`address_search`: ``address``, and the centre when found, else None). Raises
    NotFound for a text that is no address and names nothing."""
    if not looks_like_address(key):
        try:
            readings = territory_centres(db=db, key=key)
        except NotFound:
            if geocoder is None:
                raise
        else:
            return {"centre": readings[0], "readings": readings, "address": None}
    address = address_search(db=db, text=key, geocoder=geocoder)
    if address["status"] == "not_found" and not looks_like_address(key):
        raise NotFound("territory", key)
    centre = None
    if address["status"] == "found":
        centre = {
            "reading": "address",
            "code": None,
            "name": address["label"],
            "latitude": address["latitude"],
            "longitude": address["longitude"],
        }
    return {"centre": centre, "readings": [], "address": address}


def address_search(*, db: sa.Engine, text: str, geocoder: Geocoder | None) -> dict[str, Any]:
    """The street address ``text`` through the ``geocoder``: ``{"text", "status",
    "offers"}`` and, found, the geocoder's :class:`~maillage.services.geocoding.Address`
    fields (``label``, ``latitude``, ``longitude``, ``score``, ``postcode``, ``city``…).
    ``status`` is ``found``, ``not_found`` (the geocoder knows no such address),
    ``unavailable`` (it did not answer usefully in time) or ``no_geocoder`` (none is
    configured); unless found, ``offers`` holds the communes the text names offline
    (:func:`~maillage.services.geography.readings_in_text`), to search near instead."""
    found = None
    if geocoder is None:
        status = "no_geocoder"
    else:
        try:
            found = geocoder.geocode(text)
        except GeocoderUnavailable:
            status = "unavailable"  # logged by the geocoder, with the reason
        else:
            status = "found" if found is not None else "not_found"
    offers: list[dict[str, Any]] = []
    if found is None:
        with db.connect() as conn:
            offers = [r for r in readings_in_text(conn, text) if r.get("latitude") is not None]
    answer: dict[str, Any] = {"text": " ".join(text.split()), "status": status, "offers": offers}
    return {**answer, **found.as_dict()} if found is not None else answer


def territory_centres(*, db: sa.Engine, key: str) -> list[dict[str, Any]]:
    """The readings of ``key`` (postcode, code, else the territory of that name, the
    most populated first), each with its centre. Raises NotFound."""
    with db.connect() as conn:
        readings = territory_readings(conn, key)
        if readings:
            return readings
        found = resolve_territory(conn, key, READING_COLUMNS)
    return [{**found, "reading": "name"}]


PLACED_LEVELS = COMMUNE_LEVELS
"""The territories whose centre is a fair start for "near here" (a département's is not)."""


def search(
    *,
    db: sa.Engine,
    query: str,
    limit: int = 50,
    places: int = 5,
    lang: Lang = "fr",
    geocoder: Geocoder | None = None,
) -> dict[str, Any]:
    """:func:`maillage.services.portal.search` with the ``places`` nearest to what the
    query names (``near``: ``{"territory", "address", "places"}``, else None): a street
    address (:func:`address_search`, ``address`` set; or, with a ``geocoder``, a text
    nothing matched offline), else the first territory when it is a commune (a postcode,
    an INSEE code or a commune name). ``address`` says how an address was searched
    (None for no address)."""
    found = portal_search(db=db, query=query, limit=limit, lang=lang)
    first = next(iter(found["territories"]), None)
    found["near"] = found["address"] = None
    nothing = not found["territories"] and not found["actors"]
    if looks_like_address(query) or (geocoder is not None and nothing):
        address = address_search(db=db, text=query, geocoder=geocoder)
        if address["status"] == "found" or looks_like_address(query):
            found["address"] = address
        if address["status"] == "found":
            near = nearest_places(
                db=db, latitude=address["latitude"], longitude=address["longitude"],
                limit=places, lang=lang,
            )  # fmt: skip
            found["near"] = {"territory": None, "address": address, "places": near}
    elif first and first.get("level") in PLACED_LEVELS and first.get("latitude") is not None:
        near = nearest_places(
            db=db, latitude=first["latitude"], longitude=first["longitude"], limit=places,
            lang=lang,
        )  # fmt: skip
        found["near"] = {"territory": first, "address": None, "places": near}
    return found
