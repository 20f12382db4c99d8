"""Numbers as French and English readers write them (Babel's CLDR patterns):
``1 317`` and ``13,1`` in French, ``1,317`` and ``13.1`` in English."""

from __future__ import annotations

from babel.numbers import format_decimal, format_percent

NOTHING = "—"  # what an absent value reads as


def number(
    value: float | int | None, lang: str, digits: int = 0, *, trailing_zeros: bool = True
) -> str:
    """``value`` with thousands separators and ``digits`` decimal places (dropped when
    zero unless ``trailing_zeros``), in ``lang`` (``fr`` or ``en``)."""
    if value is None:
        return NOTHING
    places = ("0" if trailing_zeros else "#") * digits
    pattern = "#,##0" + ("." + places if digits else "")
    return format_decimal(value, format=pattern, locale=lang)


def percent(value: float | None, lang: str) -> str:
    """A share as a percentage in ``lang`` (``34 %`` in French, ``34%`` in English)."""
    return NOTHING if value is None else format_percent(value, locale=lang)
