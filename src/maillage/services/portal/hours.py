"""Opening hours of a place, readable in French or English.

The lieux de médiation numérique schema writes ``horaires`` in the OpenStreetMap
``opening_hours`` syntax (``Mo-Fr 09:00-12:00,14:00-17:30; Sa 10:00-12:00; PH off``);
the France Services lists give one text per day (kept by the import as a mapping
``{"lundi": "9h-12h", ...}``). :func:`opening_hours` reads both into the seven days of a
week, Monday first, each with its opening periods, parsed by the ``opening-hours-py``
library (the Rust ``opening-hours`` crate). A text that library cannot read is shown as
it is, its day abbreviations (``Mo``, ``Tu``...) written out in the page's language.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any, Literal

from babel.dates import get_day_names
from opening_hours import OpeningHours, State, validate

Lang = Literal["fr", "en"]

_OSM_DAYS = ("Mo", "Tu", "We", "Th", "Fr", "Sa", "Su")
_FRENCH_DAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
_ABBREVIATION = re.compile(r"\b(Mo|Tu|We|Th|Fr|Sa|Su|PH)\b")


def day_names(lang: Lang) -> list[str]:
    """The seven day names in ``lang``, Monday first (``lundi``, ``Monday``...)."""
    names = get_day_names("wide", locale=lang)
    return [names[i] for i in range(7)]


def opening_hours(
    value: Any, lang: Lang = "fr", *, today: dt.date | None = None
) -> dict[str, Any] | None:
    """The opening hours ``value`` (an OSM ``opening_hours`` text or a mapping of French
    day names to texts) as ``{"raw", "days", "readable", "varies"}``, or None for no value.

    ``days`` holds seven ``{"day", "periods"}`` (Monday first; ``periods`` like
    ``["09:00–12:00", "14:00–17:30"]``, empty on a closed day) for the week that holds
    ``today`` (rules by week number or by month differ from week to week), or is None
    when the text cannot be read; ``groups`` the runs of days with the same periods
    (:func:`_groups`). ``readable`` is the text with its day abbreviations
    written out in ``lang`` when it cannot be read or when the hours of the next week
    differ (``varies``: a rule by week number, by month or by date).
    """
    if isinstance(value, Mapping):
        return _by_day(value, lang)
    text = str(value).strip() if value is not None else ""
    if not text:
        return None
    if not validate(text):
        return _answer(text, None, _spelled_out(text, lang), False)
    parsed = OpeningHours(text)
    day = today or dt.date.today()
    week = _week(parsed, day, lang)
    varies = week != _week(parsed, day + dt.timedelta(days=7), lang)
    readable = _spelled_out(text, lang) if varies else None
    return _answer(text, week, readable, varies)


def _answer(
    raw: str, days: list[dict[str, Any]] | None, readable: str | None, varies: bool
) -> dict[str, Any]:
    return {
        "raw": raw,
        "days": days,
        "groups": _groups(days) if days else None,
        "readable": readable,
        "varies": varies,
    }


def _groups(days: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Runs of consecutive days with the same periods: ``{"first", "last", "periods"}``
    (``last`` None for a single day), Monday first."""
    groups: list[dict[str, Any]] = []
    for item in days:
        if groups and groups[-1]["periods"] == item["periods"]:
            groups[-1]["last"] = item["day"]
        else:
            groups.append({"first": item["day"], "last": None, "periods": item["periods"]})
    return groups


def _week(parsed: OpeningHours, today: dt.date, lang: Lang) -> list[dict[str, Any]]:
    monday = today - dt.timedelta(days=today.weekday())
    start = dt.datetime.combine(monday, dt.time())
    periods: list[list[str]] = [[] for _ in range(7)]
    for begin, end, state, _comment in parsed.intervals(start, start + dt.timedelta(days=7)):
        if state != State.OPEN:
            continue
        day = begin.date()
        while day < end.date() or (day == end.date() and end.time() != dt.time()):
            first = begin if begin.date() == day else dt.datetime.combine(day, dt.time())
            last = min(end, dt.datetime.combine(day + dt.timedelta(days=1), dt.time()))
            index = (day - monday).days
            if 0 <= index < 7:
                closing = "24:00" if last.time() == dt.time() else f"{last:%H:%M}"
                periods[index].append(f"{first:%H:%M}–{closing}")
            day += dt.timedelta(days=1)
    names = day_names(lang)
    return [{"day": names[i], "periods": periods[i]} for i in range(7)]


def _by_day(value: Mapping[str, Any], lang: Lang) -> dict[str, Any] | None:
    texts = {str(k).strip().lower(): str(v).strip() for k, v in value.items() if v}
    if not texts:
        return None
    names = day_names(lang)
    days = [
        {"day": names[i], "periods": [texts[d]] if texts.get(d) else []}
        for i, d in enumerate(_FRENCH_DAYS)
    ]
    raw = "; ".join(f"{d} {texts[d]}" for d in _FRENCH_DAYS if d in texts)
    return _answer(raw, days, None, False)


def _spelled_out(text: str, lang: Lang) -> str:
    names = day_names(lang)
    holidays = "jours fériés" if lang == "fr" else "public holidays"

    def name(match: re.Match[str]) -> str:
        code = match[1]
        return holidays if code == "PH" else names[_OSM_DAYS.index(code)]

    return _ABBREVIATION.sub(name, text)
