"""Numbers as French and English readers write them, both ways.

Formatting uses Babel's CLDR patterns: ``1 317`` and ``13,1`` in French, ``1,317`` and
``13.1`` in English. Reading (:func:`parse_number`) is the one rule every file reader,
form and command line uses for number text.
"""

from __future__ import annotations

import functools
import math
import re

from babel import Locale
from babel.numbers import NumberPattern, format_percent, parse_pattern

NOTHING = "—"  # what an absent value reads as

# One mark at most, used as the decimal mark (``1,5``, ``1.5``, ``1.500``), an exponent.
_PLAIN = re.compile(r"[+-]?(?:\d+(?:[.,]\d*)?|[.,]\d+)(?:[eE][+-]?\d+)?")
# Thousands grouped by 3 with one separator (space, NBSP, narrow NBSP, thin space, dot or
# comma), then the other mark as the decimal mark.
_GROUPED = re.compile(
    r"(?P<sign>[+-]?)(?P<head>\d{1,3})(?P<sep>[ \u00a0\u202f\u2009.,])\d{3}(?:(?P=sep)\d{3})*"
    r"(?:(?P<mark>[.,])\d*)?"
)
_NOT_DIGITS = re.compile(r"[^\d]")


def parse_number(text: str) -> float | None:
    """The number ``text`` writes, the French way or the English way; None if it is none.

    The rule, the same for files, forms and the command line:

    - a lone mark, dot or comma, is the decimal mark: ``1,5`` and ``1.5`` are 1.5, and
      so are ``1.500`` and ``1,500`` (as a spreadsheet or a program writes 1.5 with
      three decimals, and as a French reader reads ``1,500``); thousands are written
      with a space, which is how French writes them (``1 500`` is 1500);
    - thousands may be grouped by three with spaces (NBSP and narrow NBSP too), dots
      or commas when the separator comes back (``1.234.567`` is 1234567) or when the
      other mark ends the number (``1.500,5`` and ``1 500,5`` are 1500.5, ``1,234.5``
      is 1234.5, ``1 234.5`` is 1234.5);
    - a sign and, without thousands, an exponent (``1e3``, ``1,5e3``) are read too.

    Anything else (``1.2.3``, ``12 34``, ``1 500 €``, ``inf``, ``1e999``, ``1_000``) is not
    a number.
    """
    text = text.strip()
    if _PLAIN.fullmatch(text):
        value = float(text.replace(",", "."))
    elif (match := _GROUPED.fullmatch(text)) and match["sep"] != match["mark"]:
        whole, _, decimals = text.rpartition(match["mark"]) if match["mark"] else (text, "", "")
        value = float(f"{match['sign']}{_NOT_DIGITS.sub('', whole)}.{decimals or '0'}")
    else:
        return None
    return value if math.isfinite(value) else None


def number(
    value: float | int | None, lang: str, digits: int = 0, *, trailing_zeros: bool = True
) -> str:
    """``value`` with thousands separators and ``digits`` decimal places (dropped when
    zero unless ``trailing_zeros``), in ``lang`` (``fr`` or ``en``)."""
    if value is None:
        return NOTHING
    negative = math.copysign(1.0, value) < 0  # -0.0 equals 0.0 but reads "-0"
    return _formatted(value, negative, lang, digits, trailing_zeros)


@functools.lru_cache(maxsize=65536)
def _formatted(
    value: float | int, negative: bool, lang: str, digits: int, trailing_zeros: bool
) -> str:
    """:func:`number`, kept for the values that come back: small counts (a table of a
    hundred rows formats near a thousand numbers), populations and rounded distances (the
    thirty thousand needs the distance rule computes)."""
    locale, pattern = _decimal_format(lang, digits, trailing_zeros)
    return str(pattern.apply(value, locale))


@functools.cache
def _decimal_format(lang: str, digits: int, trailing_zeros: bool) -> tuple[Locale, NumberPattern]:
    """The locale and the parsed pattern of :func:`number`, read once (Babel's
    ``format_decimal`` reads them again for every number: two thirds of its time)."""
    places = ("0" if trailing_zeros else "#") * digits
    return Locale.parse(lang), parse_pattern("#,##0" + ("." + places if digits else ""))


def plural_is_one(n: float, lang: str) -> bool:
    """Whether ``n`` takes the singular in ``lang`` by its CLDR plural rule: in French
    0 and 1 do (« 0 ressource », « 1 ressource »), in English only 1 ("0 resources")."""
    return bool(_locale(lang).plural_form(n) == "one")


@functools.cache
def _locale(lang: str) -> Locale:
    return Locale.parse(lang)


def percent(value: float | None, lang: str) -> str:
    """A share as a percentage in ``lang`` (``34 %`` in French, ``34%`` in English)."""
    return NOTHING if value is None else format_percent(value, locale=lang)
