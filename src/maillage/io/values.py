"""Cell-level parsing with French conventions and reported repairs.

Every ``parse_*`` function takes a raw cell (a string from a CSV file, or the value
openpyxl gives for a workbook cell: ``int``, ``float``, ``datetime``...), a
:class:`~maillage.io.result.RowLog` and the field name. It returns the clean value, or
``None`` for an empty cell or a rejected value. Repairs that change the text (a SIRET read
as ``3805449320029.0``, a postcode ``59 300``, an Excel serial date in a text file) are
logged as warnings; values that break a rule are logged as errors naming the rule.

References: SIREN/SIRET check digits with the La Poste exception are delegated to
python-stdnum (``stdnum.fr.siren``, ``stdnum.fr.siret``); RNA is ``W`` + 9 digits.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable
from typing import Any

from maillage.io.result import RowLog
from maillage.model import taxonomy
from maillage.model.fields import date_of_text, is_email, plausible, website_of_text
from maillage.model.identifiers import (
    is_commune_code,
    is_postcode,
    is_rna,
    pad_lost_zero,
    siren_ok,
    siret_ok,
)
from maillage.model.numbers import parse_number
from maillage.model.records import FIRST_YEAR, LAST_YEAR

__all__ = [
    "OTHERS_KEY",
    "Fields",
    "clean_text",
    "digits_of",
    "parse_bool",
    "parse_commune_code",
    "parse_coordinate",
    "parse_date",
    "parse_email",
    "parse_float",
    "parse_int",
    "parse_postcode",
    "parse_rna",
    "parse_siren",
    "parse_siret",
    "parse_url",
    "parse_world",
    "several",
    "siren_in_siret",
    "split_multi",
]

# Words that name a world in a file's column, beside its code (the codes and their order
# are the worlds taxonomy's).
_WORLD_ALIASES = {
    "economic": "economic",
    "economique": "economic",
    "entreprise": "economic",
    "entreprises": "economic",
    "associative": "associative",
    "associatif": "associative",
    "association": "associative",
    "social": "associative",
    "ess": "associative",
    "public": "public",
    "institutionnel": "public",
    "institution": "public",
    "academic": "academic",
    "academique": "academic",
    "recherche": "academic",
}
_SPACES = re.compile(r"[\s\u00a0\u202f]+")
_FLOAT_INT = re.compile(r"(\d+)\.0+")
_EXCEL_EPOCH = dt.date(1899, 12, 30)
_POSTCODE_IN_TEXT = re.compile(r"(?<![\dA-Za-z])(\d{2})[ \u00a0\u202f]?(\d{3})(?![\d])")


class Fields(dict[str, Any]):
    """What one cell gives to several fields of its record (the SIREN found in a SIRET
    column, the other e-mails of a cell kept in ``extra``): merged into the record."""

    __slots__ = ()


# Several values in one cell: how they are told apart, how each one looks, and the key of
# ``extra`` that keeps all but the first.
_SEVERAL: dict[str, tuple[re.Pattern[str], Callable[[str], bool]]] = {
    "email": (re.compile(r"[\s;,/|]+"), lambda part: "@" in part),
    "website": (re.compile(r"[\s;,|]+"), lambda part: "." in part),
    "phone": (
        re.compile(r"\s*[;,/|]\s*|\s+(?:ou|et|or|and)\s+"),
        lambda part: sum(c.isdigit() for c in part) >= 6,
    ),
}
OTHERS_KEY = {"email": "autres_courriels", "website": "autres_sites_web",
              "phone": "autres_telephones"}  # fmt: skip
"""The key of ``extra`` that keeps the values of a cell after its first, by field."""


def several(text: str, field: str) -> list[str] | None:
    """The values of a cell holding several e-mails, websites or phones (``field``),
    None when it holds one (``"a@x.fr; b@y.fr"`` -> ``["a@x.fr", "b@y.fr"]``)."""
    split, looks_like = _SEVERAL[field]
    parts = [p for p in split.split(text) if p]
    if len(parts) < 2 or not all(map(looks_like, parts)):
        return None
    return parts


def siren_in_siret(value: Any) -> str | None:
    """The SIREN a SIRET cell holds instead (9 digits, valid check digit), else None."""
    digits, _ = digits_of(value)
    if digits is not None and len(digits) == 9 and digits.isdigit() and siren_ok(digits):
        return digits
    return None


def clean_text(value: Any) -> str | None:
    """Return the cell as stripped text, ``None`` when empty.

    Integral floats (``59260.0``, as spreadsheets store codes) become ``"59260"``.
    """
    if type(value) is str:  # the common case, first
        return value.strip() or None
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isnan(value):
            return None
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value).strip()
    return text or None


def split_multi(value: Any, separators: str = "|;") -> list[str]:
    """Split a multi-valued cell on any of ``separators``; empty parts are dropped."""
    text = clean_text(value)
    if text is None:
        return []
    parts = re.split("[" + re.escape(separators) + "]", text)
    return [p.strip() for p in parts if p.strip()]


def parse_float(value: Any, log: RowLog, field: str) -> float | None:
    """Return a number from a cell, written the French or the English way (the rule of
    :func:`~maillage.model.numbers.parse_number`)."""
    if value is None or isinstance(value, bool):
        return None if value is None else float(value)
    if isinstance(value, int | float):
        return None if isinstance(value, float) and math.isnan(value) else float(value)
    text = clean_text(value)
    if text is None:
        return None
    number = parse_number(text)
    if number is None:
        log.error(field, value, "nombre attendu (ex. 1234,56 ou 1234.56)")
    return number


def parse_int(value: Any, log: RowLog, field: str) -> int | None:
    """Return an integer; ``2022.0`` is accepted, ``2022.5`` is an error."""
    number = parse_float(value, log, field)
    if number is None:
        return None
    if not number.is_integer():
        log.error(field, value, "nombre entier attendu")
        return None
    return int(number)


def _excel_date(serial: float) -> dt.date | None:
    """Return the date of an Excel serial number (1900 system), if plausible."""
    if 1 <= serial < 2958466:
        return _EXCEL_EPOCH + dt.timedelta(days=int(serial))
    return None


def parse_date(value: Any, log: RowLog, field: str) -> dt.date | None:
    """Return a date from ISO (``2019-03-12``, with time or zone), French
    (``12/03/2019``) or Excel serial forms; an unreadable date is an error."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return _plausible(value.date(), value, log, field)
    if isinstance(value, dt.date):
        return _plausible(value, value, log, field)
    if isinstance(value, int | float) and not isinstance(value, bool):
        serial = _excel_date(float(value))
        if serial is not None:
            return _plausible(serial, value, log, field)
    text = clean_text(value)
    if text is None:
        return None
    return _date_text(text, value, log, field)


def _plausible(date: dt.date, value: Any, log: RowLog, field: str) -> dt.date | None:
    """``date``, or None with a warning when its year is outside FIRST_YEAR..LAST_YEAR
    (a typing slip such as 0218 for 2018: the row is kept, the date is not)."""
    if plausible(date):
        return date
    log.warn(
        field,
        value,
        f"année {date.year} invraisemblable (hors {FIRST_YEAR}–{LAST_YEAR}) : date ignorée",
    )
    return None


def _date_text(text: str, value: Any, log: RowLog, field: str) -> dt.date | None:
    """Parse the text forms of :func:`parse_date` (the rule of
    :func:`~maillage.model.fields.date_of_text`, then Excel serial numbers)."""
    try:
        date = date_of_text(text)
    except ValueError:
        log.error(field, value, "date impossible (jour ou mois hors limites)")
        return None
    if date is not None:
        return _plausible(date, value, log, field)
    if re.fullmatch(r"\d{5}(?:\.0+)?", text):
        serial = _excel_date(float(text))
        if serial is not None and 20000 <= float(text) <= 80000:
            log.warn(field, value, f"date série Excel convertie en {serial.isoformat()}")
            return serial
    log.error(field, value, "date attendue au format AAAA-MM-JJ ou JJ/MM/AAAA")
    return None


def parse_bool(value: Any, log: RowLog, field: str) -> bool | None:
    """Return a boolean from oui/non, true/false, 1/0, yes/no."""
    if value is None or isinstance(value, bool):
        return value
    text = (clean_text(value) or "").lower()
    if not text:
        return None
    if text in {"oui", "o", "true", "vrai", "1", "yes", "y"}:
        return True
    if text in {"non", "n", "false", "faux", "0", "no"}:
        return False
    log.error(field, value, "valeur booléenne attendue (oui/non)")
    return None


def digits_of(value: Any) -> tuple[str | None, bool]:
    """Return the digit string of an identifier cell and whether it was repaired.

    Accepts spaces and NBSP between digits and the ``.0`` suffix of a number that a
    spreadsheet stored as a float.
    """
    if type(value) is str and value.isdigit():  # the common case, first
        return value, False
    if isinstance(value, float):
        if math.isnan(value) or not value.is_integer():
            return None, False
        return str(int(value)), True
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value), False
    text = clean_text(value)
    if text is None:
        return None, False
    repaired = False
    if match := _FLOAT_INT.fullmatch(text):
        text, repaired = match[1], True
    compact = _SPACES.sub("", text)
    if compact != text:
        repaired = True
    return compact, repaired


def _identifier(
    value: Any,
    log: RowLog,
    field: str,
    width: int,
    valid: Callable[[str], bool],
    label: str,
) -> str | None:
    """Shared SIREN/SIRET logic: digits, repairs, padding, then the model's rule
    (``valid``, the check digits of ``width`` digits)."""
    digits, repaired = digits_of(value)
    if digits is None:
        if clean_text(value) is not None:
            log.error(field, value, f"un {label} compte {width} chiffres")
        return None
    if not digits.isdigit():
        log.error(field, value, f"un {label} ne contient que des chiffres ({width})")
        return None
    padded = False
    if len(digits) == width - 1 and valid(digits.zfill(width)):
        digits, padded = digits.zfill(width), True
    if len(digits) != width:
        log.error(field, value, f"un {label} compte {width} chiffres, pas {len(digits)}")
        return None
    if not valid(digits):
        log.error(field, value, f"clé de contrôle {label} invalide (algorithme de Luhn)")
        return None
    if padded or repaired:
        log.warn(field, value, f"{label} réparé en {digits} ({_repair_of(value, padded)})")
    return digits


def _repair_of(value: Any, padded: bool) -> str:
    """What was repaired in an identifier cell, in the words of its warning: the zero
    a number loses, the ``.0`` of a number a spreadsheet stored, or separators."""
    what = []
    if padded:
        what.append("zéro initial perdu restauré")
    text = clean_text(value) or ""
    if isinstance(value, float) or _FLOAT_INT.fullmatch(_SPACES.sub("", text)):
        what.append("lu comme un nombre")
    elif _SPACES.search(text):
        what.append("espaces retirés")
    return ", ".join(what)


def parse_siret(value: Any, log: RowLog, field: str = "siret") -> str | None:
    """Return a valid 14-digit SIRET (Luhn, La Poste exception) or ``None``."""
    if value.__class__ is str and len(value) == 14 and siret_ok(value):
        return str(value)  # the common case: nothing to repair or report
    return _identifier(value, log, field, 14, siret_ok, "SIRET")


def parse_siren(value: Any, log: RowLog, field: str = "siren") -> str | None:
    """Return a valid 9-digit SIREN (Luhn) or ``None``."""
    return _identifier(value, log, field, 9, siren_ok, "SIREN")


def parse_rna(value: Any, log: RowLog, field: str = "rna") -> str | None:
    """Return an RNA number (``W`` + 9 digits); lower case or spaces are repaired."""
    text = clean_text(value)
    if text is None:
        return None
    code = _SPACES.sub("", text).upper()
    if not is_rna(code):
        log.error(field, value, "un numéro RNA s'écrit W suivi de 9 chiffres (^W\\d{9}$)")
        return None
    if code != text:
        log.warn(field, value, f"numéro RNA réparé en {code}")
    return code


def parse_postcode(value: Any, log: RowLog, field: str = "postcode") -> str | None:
    """Return a 5-digit postcode; ``59 300``, ``59300.0``, ``1200`` (lost zero) and a
    postcode inside ``69493 Pierre Bénite cedex`` are repaired with a warning."""
    digits, repaired = digits_of(value)
    if digits is None:
        return None
    padded = pad_lost_zero(digits)
    if is_postcode(padded):
        if padded != digits or repaired:
            how = _repair_of(value, padded != digits)
            log.warn(field, value, f"code postal réparé en {padded} ({how})")
        return padded
    text = clean_text(value) or ""
    found: list[str] = [a + b for a, b in _POSTCODE_IN_TEXT.findall(text)]
    if len(found) == 1 and not text.replace(" ", "").isdigit() and is_postcode(found[0]):
        code = found[0]
        log.warn(field, value, f"code postal extrait du texte : {code}")
        return code
    log.error(field, value, "code postal attendu : 5 chiffres (^\\d{5}$)")
    return None


def parse_commune_code(value: Any, log: RowLog, field: str = "commune_code") -> str | None:
    """Return an INSEE commune code (5 characters, Corsica ``2A``/``2B``)."""
    digits, repaired = digits_of(value)
    if digits is None:
        return None
    code = digits.upper()
    if (padded := pad_lost_zero(code)) != code:
        code, repaired = padded, True
    if not is_commune_code(code):
        log.error(field, value, "code commune INSEE attendu : 5 caractères (ex. 59350, 2A004)")
        return None
    if repaired:
        log.warn(field, value, f"code commune réparé en {code}")
    return code


def parse_coordinate(value: Any, log: RowLog, field: str, limit: float) -> float | None:
    """Return a latitude (``limit`` 90) or longitude (``limit`` 180) in WGS84 degrees."""
    number = parse_float(value, log, field)
    if number is None:
        return None
    if not -limit <= number <= limit or math.isnan(number):
        log.error(field, value, f"coordonnée hors limites (-{limit:g} à {limit:g} degrés)")
        return None
    return number


def parse_world(value: Any, log: RowLog, field: str = "world") -> str | None:
    """Return one of the four worlds from English or French labels."""
    text = clean_text(value)
    if text is None:
        return None
    world = _WORLD_ALIASES.get(text) or _WORLD_ALIASES.get(_fold(text))
    if world is None:
        *others, last = (term.code for term in taxonomy.load("worlds"))
        log.error(field, value, f"monde attendu : {', '.join(others)} ou {last}")
    return world


def parse_email(value: Any, log: RowLog, field: str, severity: str = "warning") -> str | None:
    """Return an e-mail address; a malformed one is dropped (warning) or rejected."""
    text = clean_text(value)
    if text is None:
        return None
    if is_email(text):
        return text
    _report(log, severity, field, value, "adresse électronique invalide (nom@domaine.fr)")
    return None


def parse_url(value: Any, log: RowLog, field: str, severity: str = "warning") -> str | None:
    """Return a web address, normalised by :func:`~maillage.model.fields.website_of_text`
    (``https://`` added to a bare domain, scheme and host lower-cased: a warning gives
    the address stored); a malformed one is dropped (warning) or rejected."""
    text = clean_text(value)
    if text is None:
        return None
    url = website_of_text(text)
    if url is None:
        _report(log, severity, field, value, "adresse web invalide (https://…)")
    elif url != text:
        log.warn(field, value, f"adresse web réparée en {url}")
    return url


def _report(log: RowLog, severity: str, field: str, value: Any, message: str) -> None:
    """Log as an error or as a warning (value dropped)."""
    if severity == "error":
        log.error(field, value, message)
    else:
        log.warn(field, value, message + " : valeur ignorée")


def _fold(text: str) -> str:
    """Lower case without accents, for vocabulary look-ups."""
    import unicodedata

    decomposed = unicodedata.normalize("NFKD", text.strip().lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))
