"""Field rules other than identifiers: e-mail, web address, coordinates, dates.

Each ``validate_*`` function returns the normalised value or raises
:class:`~maillage.model.errors.InvalidInput` naming the field, the value and the rule;
each ``is_*`` / ``*_of_text`` function is the same rule for a reader (``maillage.io``)
that repairs a cell first and reports in its own words. Pure functions, no I/O.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from maillage.model.errors import InvalidInput
from maillage.model.numbers import parse_number
from maillage.model.records import FIRST_YEAR, LAST_YEAR

__all__ = [
    "FRANCE_BOXES",
    "BoundingBox",
    "date_of_text",
    "is_email",
    "is_sdg",
    "locate_point",
    "plausible",
    "validate_coordinates",
    "validate_date",
    "validate_email",
    "validate_website",
    "website_of_text",
]

_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]{2,}")
_HOST = re.compile(r"(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z][a-z0-9-]*[a-z0-9](?::\d{1,5})?")
_DATE_FR = re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})")
_DATE_ISO = re.compile(r"(\d{4})-(\d{2})-(\d{2})(?:[T ][\d:.]+)?(?:Z|[+-]\d{2}:?\d{2})?")


@dataclass(frozen=True, slots=True)
class BoundingBox:
    """A latitude/longitude box (WGS84 degrees) around one French territory."""

    name: str
    lat_min: float
    lat_max: float
    lon_min: float
    lon_max: float

    def contains(self, lat: float, lon: float) -> bool:
        """Return True if the point lies inside the box (edges included)."""
        return self.lat_min <= lat <= self.lat_max and self.lon_min <= lon <= self.lon_max


# Boxes are generous (a few km of margin) so that coastal and island points pass.
FRANCE_BOXES: tuple[BoundingBox, ...] = (
    BoundingBox("France métropolitaine et Corse", 41.2, 51.2, -5.5, 9.7),
    BoundingBox("Guadeloupe", 15.8, 16.6, -61.9, -60.9),
    BoundingBox("Martinique", 14.3, 14.95, -61.3, -60.75),
    BoundingBox("Guyane", 2.1, 5.9, -54.7, -51.5),
    BoundingBox("La Réunion", -21.45, -20.8, 55.15, 55.9),
    BoundingBox("Mayotte", -13.1, -12.55, 44.9, 45.35),
    BoundingBox("Saint-Pierre-et-Miquelon", 46.7, 47.2, -56.5, -56.1),
    BoundingBox("Saint-Barthélemy", 17.82, 17.98, -62.96, -62.75),
    BoundingBox("Saint-Martin", 18.0, 18.15, -63.2, -62.95),
    BoundingBox("Wallis-et-Futuna", -14.45, -13.1, -178.3, -176.05),
    BoundingBox("Polynésie française", -28.0, -7.7, -155.0, -134.0),
    BoundingBox("Nouvelle-Calédonie", -23.0, -17.8, 158.0, 168.5),
    BoundingBox("Clipperton", 10.2, 10.4, -109.3, -109.1),
    BoundingBox("TAAF : Kerguelen", -50.1, -48.4, 68.4, 70.7),
    BoundingBox("TAAF : Crozet", -46.6, -45.9, 50.0, 52.5),
    BoundingBox("TAAF : Amsterdam et Saint-Paul", -39.0, -37.7, 77.4, 77.7),
    BoundingBox("TAAF : Îles Éparses", -22.5, -11.3, 39.6, 54.6),
    BoundingBox("TAAF : Terre Adélie", -67.0, -65.9, 136.0, 142.1),
)


def locate_point(lat: float, lon: float) -> str | None:
    """Return the name of the French territory whose box holds the point, or None."""
    for box in FRANCE_BOXES:
        if box.contains(lat, lon):
            return box.name
    return None


def validate_coordinates(
    latitude: object, longitude: object, *, field: str = "coordinates"
) -> tuple[float, float]:
    """Return ``(latitude, longitude)`` as floats if they fall in France or overseas.

    The point must lie in one of :data:`FRANCE_BOXES` (metropolitan France and
    Corsica, DROM, COM, Nouvelle-Calédonie, TAAF). Raises ``InvalidInput``; the rule
    hints at swapped latitude/longitude when the swapped point would be valid.
    """
    lat = _to_float(latitude, "latitude")
    lon = _to_float(longitude, "longitude")
    if locate_point(lat, lon) is not None:
        return lat, lon
    rule = "le point doit être en France (métropole, Corse ou outre-mer)"
    rule_en = "the point must lie in France (mainland, Corsica or overseas)"
    if locate_point(lon, lat) is not None:
        rule += " ; latitude et longitude semblent inversées"
        rule_en += "; latitude and longitude look swapped"
    raise InvalidInput(field, f"{latitude}, {longitude}", rule, rule_en)


def _to_float(value: object, field: str) -> float:
    """Parse a coordinate (float, int or number text, see
    :func:`~maillage.model.numbers.parse_number`) or raise."""
    if isinstance(value, float | int) and not isinstance(value, bool):
        number: float | None = float(value)
    else:
        number = parse_number(str(value))
    if number is None or not math.isfinite(number):
        raise InvalidInput(field, value, "nombre décimal attendu", "a decimal number is expected")
    return number


def website_of_text(text: str) -> str | None:
    """The web address ``text`` gives, normalised (``https://`` added when no scheme is
    given, scheme and host lower-cased), or None when it is not one.

    Light check: http(s) scheme, a host name with a dot, no spaces."""
    text = text.strip()
    if "://" not in text:
        text = "https://" + text
    parts = urlsplit(text)
    host = parts.netloc.lower()
    if parts.scheme.lower() not in ("http", "https") or " " in text or not _HOST.fullmatch(host):
        return None
    return parts._replace(scheme=parts.scheme.lower(), netloc=host).geturl()


def validate_website(value: object, *, field: str = "website") -> str:
    """Return the website URL of :func:`website_of_text`. Raises ``InvalidInput``."""
    url = website_of_text(str(value))
    if url is None:
        raise InvalidInput(
            field,
            value,
            "adresse web attendue (ex. https://exemple.fr)",
            "a web address is expected (e.g. https://example.org)",
        )
    return url


def is_email(text: str) -> bool:
    """True for an e-mail address (stripped): one ``@``, no spaces, a domain with a dot."""
    return _EMAIL.fullmatch(text) is not None


def validate_email(value: object, *, field: str = "email") -> str:
    """Return the e-mail address with its domain lower-cased (see :func:`is_email`).

    Raises ``InvalidInput``.
    """
    text = str(value).strip()
    if not is_email(text):
        raise InvalidInput(
            field,
            value,
            "adresse électronique attendue (ex. contact@exemple.fr)",
            "an e-mail address is expected (e.g. contact@example.org)",
        )
    local, _, domain = text.rpartition("@")
    return f"{local}@{domain.lower()}"


def is_sdg(goal: float) -> bool:
    """True for the number of one of the 17 UN Sustainable Development Goals."""
    return float(goal).is_integer() and 1 <= goal <= 17


def date_of_text(text: str, *, year_alone: bool = False) -> dt.date | None:
    """The date ``text`` writes: ISO (``2019-03-12``, with a time or a zone), French
    (``12/03/2019``, ``12.03.2019``) or, with ``year_alone``, a year (``2019`` is 1
    January). None when it has none of these shapes; raises ValueError for an
    impossible date (``31/02/2019``). The year is not checked (see :func:`plausible`)."""
    text = text.strip()
    if match := _DATE_ISO.fullmatch(text):
        return dt.date(int(match[1]), int(match[2]), int(match[3]))
    if match := _DATE_FR.fullmatch(text):
        return dt.date(int(match[3]), int(match[2]), int(match[1]))
    if year_alone and len(text) == 4 and text.isdigit():
        return dt.date(int(text), 1, 1)
    return None


YEAR = "year"
"""The precision of a date read from a year alone (``2011``), kept in the record's
``extra`` under :func:`precision_key`: the date is stored as 1 January and shown,
exported and read back as the year."""


def precision_key(field: str) -> str:
    """The key of ``extra`` that says a date ``field`` is a year alone."""
    return f"{field}_precision"


def date_text(
    value: dt.date | str | None, extra: dict[str, object] | None, field: str
) -> str | None:
    """How a date ``field`` (a date or its ISO text) is written: ``2011`` when ``extra``
    says it is a year alone, else ISO (``2011-03-12``); None without a date."""
    if value is None:
        return None
    text = value if isinstance(value, str) else value.isoformat()
    return text[:4] if (extra or {}).get(precision_key(field)) == YEAR else text


def plausible(date: dt.date) -> bool:
    """True when the date's year is one maillage keeps (FIRST_YEAR..LAST_YEAR)."""
    return FIRST_YEAR <= date.year <= LAST_YEAR


def validate_date(value: object, *, field: str = "date") -> dt.date:
    """Return the date of a ``date`` or of a text of :func:`date_of_text` (a year alone
    is 1 January). Raises ``InvalidInput`` for another text or an implausible year."""
    if isinstance(value, dt.date):
        date: dt.date | None = value
    else:
        try:
            date = date_of_text(str(value), year_alone=True)
        except ValueError:
            date = None
    if date is None:
        raise InvalidInput(
            field,
            value,
            "date AAAA-MM-JJ ou année AAAA attendue",
            "a YYYY-MM-DD date or a YYYY year is expected",
        )
    if not plausible(date):
        raise InvalidInput(
            field,
            value,
            f"année hors des limites ({FIRST_YEAR}–{LAST_YEAR})",
            f"year out of range ({FIRST_YEAR}–{LAST_YEAR})",
        )
    return date
