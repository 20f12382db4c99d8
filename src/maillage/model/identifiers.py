"""Identifier and field validation: pure functions, no I/O.

Each ``validate_*`` function returns the normalised value or raises
:class:`~maillage.model.errors.InvalidInput` naming the field, the value and the rule.
They are called once per imported row (100k+ times), so patterns are compiled once and
each call stays within a few microseconds.

References: SIREN/SIRET Luhn check with the La Poste exception (python-stdnum
``stdnum.fr.siren`` / ``stdnum.fr.siret``); RNA ``W`` + 9 digits (Waldec number, no
checksum); INSEE commune codes (COG), see ``docs/glossary.md``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Container, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

import numpy as np
from stdnum.fr import siren as _siren
from stdnum.fr import siret as _siret

from maillage.model.errors import InvalidInput

__all__ = [
    "FRANCE_BOXES",
    "BoundingBox",
    "check_commune_exists",
    "checked_sirens",
    "checked_sirets",
    "locate_point",
    "luhn_ok_many",
    "siren_of_siret",
    "siren_ok",
    "siret_ok",
    "validate_commune_code",
    "validate_coordinates",
    "validate_email",
    "validate_postcode",
    "validate_rna",
    "validate_siren",
    "validate_siret",
    "validate_website",
]

_SEPARATORS = str.maketrans("", "", " .-\u00a0\u202f\t")
_DIGITS9 = re.compile(r"[0-9]{9}")
_DIGITS14 = re.compile(r"[0-9]{14}")
_RNA = re.compile(r"W[0-9]{9}")
_POSTCODE = re.compile(r"(?!00)[0-9]{5}")
# Département part: 01-19, 21-95, 2A, 2B, then DROM/COM 97x / 98x (3-digit départements).
_COMMUNE = re.compile(r"(?:0[1-9]|1[0-9]|2[1-9AB]|[3-8][0-9]|9[0-5])[0-9]{3}|9[78][0-9]{3}")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]{2,}")
_HOST = re.compile(r"(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z][a-z0-9-]*[a-z0-9](?::\d{1,5})?")


_LA_POSTE_SIREN = "356000000"


_LUHN_DOUBLE = bytes.maketrans(b"0123456789", b"0246813579")  # digit -> digit sum of 2x


def luhn_ok(digits: str) -> bool:
    """Return True if the ASCII digit string passes the Luhn check (fast path).

    Digits are summed from the right, every second one doubled (its digit sum, by a
    byte translation); the sums of the ASCII codes run in C.
    """
    code = digits.encode()
    doubled = code[-2::-2].translate(_LUHN_DOUBLE)
    return (sum(code[-1::-2]) + sum(doubled) - 48 * len(code)) % 10 == 0


def siren_ok(code: str) -> bool:
    """True for a 9-digit SIREN with a right check digit (Luhn), separators already gone."""
    if code.isascii() and code.isdigit() and len(code) == 9 and luhn_ok(code):
        return True
    return bool(_siren.is_valid(code))  # the reference implementation decides the rest


def siret_ok(code: str) -> bool:
    """True for a 14-digit SIRET with right check digits: Luhn over the SIRET and its
    SIREN, except La Poste establishments (SIREN 356000000), whose digit sum must be a
    multiple of 5 (python-stdnum decides those, and the failures)."""
    if (
        code.isascii()
        and code.isdigit()
        and len(code) == 14
        and not code.startswith(_LA_POSTE_SIREN)
        and luhn_ok(code)
    ):
        return luhn_ok(code[:9])
    return bool(_siret.is_valid(code))


# Digit -> digit sum of twice the digit, for the doubled positions of a Luhn sum.
_DOUBLED = np.array([0, 2, 4, 6, 8, 1, 3, 5, 7, 9], dtype=np.uint8)
_LA_POSTE_DIGITS = np.frombuffer(b"356000000", dtype=np.uint8) - 48


def _luhn_rows(digits: np.ndarray) -> np.ndarray:
    """Luhn check of each row of a matrix of digits (rightmost digit undoubled)."""
    width = digits.shape[1]
    total = digits[:, width - 1 :: -2].sum(axis=1, dtype=np.int64)
    total += _DOUBLED[digits[:, width - 2 :: -2]].sum(axis=1, dtype=np.int64)
    return np.asarray(total % 10 == 0)


def _digit_matrix(codes: Sequence[str], width: int) -> tuple[list[int], np.ndarray]:
    """The codes of ``width`` ASCII digits (their positions, and their digits as a
    matrix with one row per code): the whole column at once when it is clean."""
    joined = "".join(codes)
    if (
        len(joined) == width * len(codes)
        and joined.isascii()
        and joined.isdigit()
        and set(map(len, codes)) <= {width}  # the common case: every code well formed
    ):
        picked = list(range(len(codes)))
        return picked, np.frombuffer(joined.encode(), np.uint8).reshape(-1, width) - 48
    picked = [i for i, c in enumerate(codes) if len(c) == width and c.isascii() and c.isdigit()]
    joined = "".join([codes[i] for i in picked])
    return picked, np.frombuffer(joined.encode(), np.uint8).reshape(-1, width) - 48


def luhn_ok_many(codes: Sequence[str], width: int) -> list[bool]:
    """Per code: True when it is ``width`` ASCII digits passing the Luhn check: the
    answer of :func:`luhn_ok` for a whole column at once (numpy)."""
    picked, digits = _digit_matrix(codes, width)
    out = [False] * len(codes)
    for i, valid in zip(picked, _luhn_rows(digits).tolist(), strict=True):
        out[i] = valid
    return out


def checked_sirets(codes: Sequence[str]) -> list[str | None]:
    """Per code: the code marked as checked (see :func:`checked_siret`) when it is a
    clean 14-digit SIRET whose SIRET and SIREN pass the Luhn check, else None; La
    Poste establishments and anything to repair are left to :func:`checked_siret`.
    Computed for a whole column at once (numpy)."""
    picked, digits = _digit_matrix(codes, 14)
    poste = (digits[:, :9] == _LA_POSTE_DIGITS).all(axis=1)
    valid = (_luhn_rows(digits) & _luhn_rows(digits[:, :9]) & ~poste).tolist()
    if len(picked) == len(codes) and all(valid):
        return list(map(_CheckedSiret, codes))
    out: list[str | None] = [None] * len(codes)
    for i, ok in zip(picked, valid, strict=True):
        if ok:
            out[i] = _CheckedSiret(codes[i])
    return out


def checked_sirens(codes: Sequence[str]) -> list[str | None]:
    """Per code: the code marked as checked when it is a clean 9-digit SIREN passing
    the Luhn check, else None (see :func:`checked_sirets`)."""
    return [
        _CheckedSiren(code) if ok else None
        for code, ok in zip(codes, luhn_ok_many(codes, 9), strict=True)
    ]


class CheckedCode(str):
    """A SIREN or SIRET that the file readers have already checked (digits, length,
    check digit): :func:`validate_siren` and :func:`validate_siret` return it as a
    plain string without checking it again (a large import would otherwise run
    each check twice). Only :func:`checked_siren` and :func:`checked_siret` make them."""

    __slots__ = ()


class _CheckedSiren(CheckedCode):
    __slots__ = ()


class _CheckedSiret(CheckedCode):
    __slots__ = ()


def checked_siren(code: str) -> str | None:
    """``code`` marked as checked if it is a valid 9-digit SIREN, else None."""
    return _CheckedSiren(code) if len(code) == 9 and siren_ok(code) else None


def checked_siret(code: str) -> str | None:
    """``code`` marked as checked if it is a valid 14-digit SIRET, else None."""
    return _CheckedSiret(code) if len(code) == 14 and siret_ok(code) else None


def _compact(value: object) -> str:
    """Return ``value`` as a string without spaces, dots, dashes or NBSP."""
    return str(value).translate(_SEPARATORS)


def validate_siren(value: object, *, field: str = "siren") -> str:
    """Return the 9-digit SIREN, separators removed.

    Raises ``InvalidInput`` if it is not 9 digits or fails the Luhn check.
    """
    if value.__class__ is _CheckedSiren:
        return str(value)
    code = _compact(value)
    if not _DIGITS9.fullmatch(code):
        raise InvalidInput(
            field, value, "un SIREN compte 9 chiffres", "a SIREN has exactly 9 digits"
        )
    if not siren_ok(code):
        raise InvalidInput(
            field,
            value,
            "clé de contrôle SIREN invalide (algorithme de Luhn)",
            "SIREN check digit is wrong (Luhn algorithm)",
        )
    return code


def validate_siret(value: object, *, field: str = "siret") -> str:
    """Return the 14-digit SIRET, separators removed.

    The check is Luhn over 14 digits, except for La Poste establishments (SIREN
    356000000) whose digit sum must be a multiple of 5. Raises ``InvalidInput``.
    """
    if value.__class__ is _CheckedSiret:
        return str(value)
    if isinstance(value, str) and len(value) == 14 and value.isascii() and value.isdigit():
        code = value  # the common case, already clean
        if not code.startswith(_LA_POSTE_SIREN) and luhn_ok(code) and luhn_ok(code[:9]):
            return code
    else:
        code = _compact(value)
    if not _DIGITS14.fullmatch(code):
        raise InvalidInput(
            field, value, "un SIRET compte 14 chiffres", "a SIRET has exactly 14 digits"
        )
    if not siret_ok(code):
        raise InvalidInput(
            field,
            value,
            "clé de contrôle SIRET invalide (Luhn, ou somme multiple de 5 pour La Poste)",
            "SIRET check digit is wrong (Luhn, or digit sum multiple of 5 for La Poste)",
        )
    return code


def siren_of_siret(siret: str) -> str:
    """Return the SIREN (first 9 digits) of an already validated SIRET."""
    return siret[:9]


def validate_rna(value: object, *, field: str = "rna") -> str:
    """Return the RNA number (``W`` + 9 digits, upper case). Raises ``InvalidInput``."""
    code = _compact(value).upper()
    if not _RNA.fullmatch(code):
        raise InvalidInput(
            field,
            value,
            "un numéro RNA s'écrit W suivi de 9 chiffres (ex. W751515517)",
            "an RNA number is W followed by 9 digits (e.g. W751515517)",
        )
    return code


def _pad_int_like(value: object, width: int) -> str:
    """Return ``value`` stripped, left-padded with zeros if it lost them (Excel)."""
    text = str(value).strip().replace(" ", "").replace("\u00a0", "")
    if len(text) == width - 1 and text.isdigit():
        return "0" + text
    return text


def validate_postcode(value: object, *, field: str = "postcode") -> str:
    """Return the 5-digit French postcode (a lost leading zero is restored).

    Raises ``InvalidInput`` if it is not 5 digits or starts with ``00``.
    """
    code = _pad_int_like(value, 5)
    if not _POSTCODE.fullmatch(code):
        raise InvalidInput(
            field, value, "un code postal compte 5 chiffres", "a postcode has 5 digits"
        )
    return code


def validate_commune_code(value: object, *, field: str = "commune_code") -> str:
    """Return the INSEE commune code (COG) in canonical form.

    Accepts ``01001`` (and ``1001``, leading zero restored), Corsica ``2A004`` /
    ``2b004`` and overseas ``97411``, ``98818``. Checks the shape only; use
    :func:`check_commune_exists` against the geography. Raises ``InvalidInput``.
    """
    if isinstance(value, str) and len(value) == 5 and value.isdigit():
        code = value
    else:
        code = _pad_int_like(value, 5).upper()
    if not _COMMUNE.fullmatch(code):
        raise InvalidInput(
            field,
            value,
            "un code commune INSEE compte 5 caractères : département (01-95, 2A, 2B, "
            "97x, 98x) puis numéro (ex. 59350, 2A004, 97411)",
            "an INSEE commune code has 5 characters: département (01-95, 2A, 2B, "
            "97x, 98x) then number (e.g. 59350, 2A004, 97411)",
        )
    return code


def check_commune_exists(
    value: object, known: Container[str], *, field: str = "commune_code"
) -> str:
    """Return the validated commune code if it is in ``known`` (a set of codes).

    ``known`` usually comes from ``maillage.geo`` (current communes, possibly with
    former ones). Raises ``InvalidInput`` on a bad shape or an unknown code.
    """
    code = validate_commune_code(value, field=field)
    if code not in known:
        raise InvalidInput(
            field,
            value,
            "code commune inconnu dans la géographie officielle (COG)",
            "commune code unknown in the official geography (COG)",
        )
    return code


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


def _to_float(value: object, field: str) -> float:
    """Parse a coordinate (float, int or string with ``.`` or ``,``) or raise."""
    if isinstance(value, float | int) and not isinstance(value, bool):
        number = float(value)
    else:
        try:
            number = float(str(value).strip().replace(",", "."))
        except ValueError:
            number = math.nan
    if not math.isfinite(number):
        raise InvalidInput(field, value, "nombre décimal attendu", "a decimal number is expected")
    return number


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


def validate_website(value: object, *, field: str = "website") -> str:
    """Return the website URL, with ``https://`` added when no scheme is given.

    Light check: http(s) scheme, a host name with a dot, no spaces. Scheme and host
    are lower-cased. Raises ``InvalidInput``.
    """
    text = str(value).strip()
    if "://" not in text:
        text = "https://" + text
    parts = urlsplit(text)
    host = parts.netloc.lower()
    if parts.scheme.lower() not in ("http", "https") or " " in text or not _HOST.fullmatch(host):
        raise InvalidInput(
            field,
            value,
            "adresse web attendue (ex. https://exemple.fr)",
            "a web address is expected (e.g. https://example.org)",
        )
    return parts._replace(scheme=parts.scheme.lower(), netloc=host).geturl()


def validate_email(value: object, *, field: str = "email") -> str:
    """Return the e-mail address with its domain lower-cased.

    Light check: one ``@``, no spaces, a domain with a dot. Raises ``InvalidInput``.
    """
    text = str(value).strip()
    if not _EMAIL.fullmatch(text):
        raise InvalidInput(
            field,
            value,
            "adresse électronique attendue (ex. contact@exemple.fr)",
            "an e-mail address is expected (e.g. contact@example.org)",
        )
    local, _, domain = text.rpartition("@")
    return f"{local}@{domain.lower()}"
