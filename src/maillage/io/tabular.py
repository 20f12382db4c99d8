"""Generic actor and link tables (CSV or XLSX, any spreadsheet a user brings).

``parse_actor_table(table, mapping)`` turns rows into :class:`ActorRecord` objects and
``parse_link_table(table, mapping)`` into :class:`LinkRecord` objects. Columns are mapped
explicitly or guessed from French and English headers (see :mod:`maillage.io.columns`);
columns that map to no field go to ``extra``. Each cell is checked by the rule of its
field (SIRET/SIREN Luhn, RNA ``^W\\d{9}$``, 5-digit postcode...); errors reject the row,
repairs are reported as warnings. World and category are derived (and the rule recorded)
when the file says nothing about them, unless it carries a ``classification_rule``
column, as maillage exports do.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import MISSING, fields
from itertools import repeat
from pathlib import Path
from typing import Any

from maillage.io import values as v
from maillage.io.classify import apply_classification
from maillage.io.columns import (
    ACTOR_FIELDS,
    ACTOR_GUESSES,
    COORDINATES,
    LINK_FIELDS,
    LINK_GUESSES,
    axis_of,
    guess_mapping,
    ignored_columns,
    norm_header,
)
from maillage.io.flat import ACTORS_SHEET, LINKS_SHEET
from maillage.io.places import settle_result
from maillage.io.reading import Row, Table, read_table, table_from_records
from maillage.io.result import ParseResult, RowLog
from maillage.model import identifiers as ids
from maillage.model.errors import InvalidInput
from maillage.model.fields import YEAR, is_sdg, precision_key
from maillage.model.records import ActorRecord, CheckedActor, LinkRecord

__all__ = [
    "actor_mapping",
    "actor_table",
    "link_table",
    "link_mapping",
    "parse_actor_table",
    "parse_link_table",
    "read_actors",
    "read_links",
]

Converter = Callable[[Any, RowLog, str], Any]
DIGITAL_PROFILES = ("native", "adopter", "traditional", "unknown")
LINK_STATUSES = ("proposed", "active", "ended")


def _text(value: Any, log: RowLog, field: str) -> str | None:
    return v.clean_text(value)


def _list(value: Any, log: RowLog, field: str) -> list[str]:
    return v.split_multi(value)


def _sdgs(value: Any, log: RowLog, field: str) -> list[int]:
    goals: list[int] = []
    for part in v.split_multi(value, "|;,"):
        goal = v.parse_int(part, log, field)
        if goal is not None and not is_sdg(goal):
            log.error(field, part, "un ODD est un numéro de 1 à 17")
        elif goal is not None:
            goals.append(goal)
    return goals


def _legal_form(value: Any, log: RowLog, field: str) -> str | None:
    digits, _ = v.digits_of(value)
    if digits is None:
        return None
    if not ids.is_legal_form(digits):
        log.error(field, value, "catégorie juridique INSEE attendue : 4 chiffres (ex. 9220)")
        return None
    return digits


def _choice(options: tuple[str, ...]) -> Converter:
    def convert(value: Any, log: RowLog, field: str) -> str | None:
        text = v.clean_text(value)
        if text is not None and text not in options:
            log.error(field, value, "valeur attendue parmi : " + ", ".join(options))
            return None
        return text

    return convert


def _extra(value: Any, log: RowLog, field: str) -> dict[str, Any]:
    text = v.clean_text(value)
    if text is None:
        return {}
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    if not isinstance(data, dict):
        log.error(field, value, "objet JSON attendu")
        return {}
    return data


def _year_or_date(value: Any, log: RowLog, field: str) -> dt.date | v.Fields | None:
    """A date, or a year alone (``2011``): 1 January, its precision kept in ``extra``
    (:func:`~maillage.model.fields.date_text` writes it back as the year)."""
    year = None
    if isinstance(value, int | float) and not isinstance(value, bool) and 1000 < value < 3000:
        year = int(value)
    elif (text := v.clean_text(value)) is not None and text.isdigit() and len(text) == 4:
        year = int(text)
    if year is None:
        return v.parse_date(value, log, field)
    return v.Fields({field: dt.date(year, 1, 1), "extra": {precision_key(field): YEAR}})


def _coordinates(value: Any, log: RowLog, column: str) -> dict[str, float]:
    """Split ``"50.63, 3.06"`` (latitude first, as French open data writes it)."""
    text = v.clean_text(value)
    if text is None:
        return {}
    parts = [p for p in re.split(r"[,;\s]+", text) if p]
    if len(parts) != 2:
        log.error(column, value, "coordonnées attendues : « latitude, longitude »")
        return {}
    latitude = v.parse_float(parts[0], log, "latitude")
    longitude = v.parse_float(parts[1], log, "longitude")
    if latitude is None or longitude is None:
        return {}
    return {"latitude": latitude, "longitude": longitude}


def _bool(value: Any, log: RowLog, field: str) -> bool | None:
    return v.parse_bool(value, log, field)


def _coordinate(value: Any, log: RowLog, field: str) -> float | None:
    """A number: its bounds, its system (degrees or projected) and its order (latitude
    first) are settled per file by :func:`maillage.io.places.settle_points`."""
    number = v.parse_float(value, log, field)
    return None if number is None or math.isnan(number) else number


def _several(parse: Converter) -> Converter:
    """A converter of e-mails, websites or phones that reads a cell holding several:
    the first goes to the field, the others to ``extra`` (:data:`values.OTHERS_KEY`),
    with a warning naming them; a cell holding one is ``parse``'s."""

    def convert(value: Any, log: RowLog, field: str) -> Any:
        text = v.clean_text(value)
        parts = None if text is None or field not in v.OTHERS_KEY else v.several(text, field)
        if parts is None:
            return parse(value, log, field)
        key, others = v.OTHERS_KEY[field], parts[1:]
        log.warn(field, value, f"{len(parts)} valeurs dans la cellule : {parts[0]} gardée, "
                 f"{' | '.join(others)} dans extra « {key} »")  # fmt: skip
        return v.Fields({field: parse(parts[0], log, field), "extra": {key: "|".join(others)}})

    return convert


_website = _several(lambda value, log, field: v.parse_url(value, log, field))
_email = _several(lambda value, log, field: v.parse_email(value, log, field))
_phone = _several(_text)


def _siret(value: Any, log: RowLog, field: str) -> Any:
    """A SIRET; a valid SIREN in its place goes to ``siren``, with a warning."""
    siren = v.siren_in_siret(value) if value.__class__ is not str or len(value) != 14 else None
    if siren is None:
        return v.parse_siret(value, log, field)
    log.warn(field, value, "SIREN (9 chiffres) dans une colonne SIRET : lu comme SIREN")
    return v.Fields({"siren": siren})


ACTOR_CONVERTERS: dict[str, Converter] = {
    "siret": _siret,
    "siren": v.parse_siren,
    "rna": v.parse_rna,
    "postcode": v.parse_postcode,
    "commune_code": v.parse_commune_code,
    "latitude": _coordinate,
    "longitude": _coordinate,
    "world": v.parse_world,
    "website": _website,
    "email": _email,
    "phone": _phone,
    "legal_form": _legal_form,
    "digital_profile": _choice(DIGITAL_PROFILES),
    "themes": _list,
    "territories": _list,
    "sdgs": _sdgs,
    "extra": _extra,
}
LINK_CONVERTERS: dict[str, Converter] = {
    "start_date": _year_or_date,
    "end_date": _year_or_date,
    "weight": v.parse_float,
    "amount": v.parse_float,
    "confidence": v.parse_float,
    "directed": _bool,
    "status": _choice(LINK_STATUSES),
    "themes": _list,
    "extra": _extra,
}


def _as_table(rows: Table | Iterable[Mapping[str, Any]], file: str | None) -> Table:
    """Accept a :class:`Table` or plain dicts (numbered from 2, as below a header)."""
    if isinstance(rows, Table):
        return rows
    return table_from_records((dict(r) for r in rows), file=file)


def actor_mapping(
    header: Iterable[str], explicit: Mapping[str, str] | None = None
) -> dict[str, str]:
    """Return the ``{column: field}`` mapping used for an actor table.

    Raises InvalidInput when ``explicit`` maps a column to a field actors lack."""
    fields = (*ACTOR_FIELDS, COORDINATES)
    _check_fields(explicit, fields, ("un acteur", "an actor"))
    columns = list(header)
    mapping = guess_mapping(columns, ACTOR_GUESSES, fields, explicit)
    free = [c for c in columns if c not in mapping and c not in (explicit or {})]
    for column in free:  # x and y named with their system (X_UTM20, Lambert93_Y)
        axis = axis_of(column)
        if axis is not None and axis not in mapping.values():
            mapping[column] = axis
    return mapping


def _check_fields(
    explicit: Mapping[str, str] | None, fields: Iterable[str], what: tuple[str, str]
) -> None:
    """Refuse an explicit mapping (``--map COLUMN=FIELD``) to an unknown field;
    ``what`` names the record in French and in English."""
    known = set(fields)
    for column, target in (explicit or {}).items():
        if target not in known and not ignored_columns({column: target}):
            names = ", ".join(sorted(known))
            raise InvalidInput(
                "--map", f"{column}={target}", f"champ inconnu pour {what[0]} ; champs : {names}",
                f"unknown field for {what[1]}; fields: {names}",
            )  # fmt: skip


def link_mapping(
    header: Iterable[str], explicit: Mapping[str, str] | None = None
) -> dict[str, str]:
    """Return the ``{column: field}`` mapping used for a link table.

    A ``source`` column names the source actor unless a ``source_key`` column exists,
    in which case ``source`` is the provenance field.
    """
    columns = list(header)
    _check_fields(explicit, LINK_FIELDS, ("un lien", "a link"))
    record_fields = [f for f in LINK_FIELDS if f != "source" or "source_key" in columns]
    return guess_mapping(columns, LINK_GUESSES, record_fields, explicit)


Plan = dict[str, tuple[str, Converter] | None]
"""Per column: ``(field, converter)``, or ``None`` for a column that goes to ``extra``."""


def _plan(
    columns: Iterable[str],
    mapping: Mapping[str, str],
    converters: Mapping[str, Converter],
    sample: Mapping[str, Sequence[Any]],
) -> Plan:
    """Decide once per table how each column is read: a column of codes (postcodes,
    communes, worlds), or whose first rows repeat their values, has its clean
    conversions remembered (see :class:`_Remembered`)."""
    plan: Plan = {}
    for column in columns:
        target = mapping.get(column)
        if target is None:
            plan[column] = None
        elif target == COORDINATES:
            plan[column] = (target, _coordinates)
        elif target == "commune_code" and norm_header(column) == "territory_code":
            plan[column] = (target, _territory_code)
        elif (
            target in ("commune_code", "commune_name")
            and "classification_rule" not in mapping.values()  # an export: as it is
            and _mixed_communes(target, sample.get(column, ()))
        ):
            plan[column] = (target, _commune_cell)
        else:
            convert = converters.get(target, _text)
            texts = [x for x in sample.get(column, ()) if x.__class__ is str]
            if target in _BOUNDED or (len(texts) == _SAMPLE and len(set(texts)) <= _SAMPLE // 2):
                convert = _Remembered(convert)
            plan[column] = (target, convert)
    return plan


_SAMPLE = 2000


def _sample(table: Table) -> dict[str, list[Any]]:
    """The cells of the first rows of a table, by column (as :func:`_plan` reads them)."""
    if table.records is not None:
        head = table.records[:_SAMPLE]
        return {c: [r[i] for r in head if len(r) > i] for i, c in enumerate(table.header)}
    rows = table.rows[:_SAMPLE]
    return {c: [row.values.get(c) for row in rows] for c in table.header}


# Fields whose values are codes of a bounded set (about 6,000 postcodes, 35,000 communes):
# their conversions are always remembered.
_BOUNDED = frozenset(
    ["postcode", "commune_code", "world", "legal_form", "digital_profile", "status", "directed"]
)


class _Remembered:
    """A converter that remembers its results for the text values it met, where the
    conversion reported nothing and gave an immutable value: the same cell then
    costs one dictionary look-up. A value that gave an issue is converted (and
    reported) again on every row."""

    __slots__ = ("convert", "seen")

    def __init__(self, convert: Converter) -> None:
        self.convert = convert
        self.seen: dict[str, Any] = {}

    def __call__(self, value: Any, log: RowLog, field: str) -> Any:
        if value.__class__ is not str:
            return self.convert(value, log, field)
        found = self.seen.get(value, _UNSEEN)
        if found is not _UNSEEN:
            return found
        before = len(log.issues)
        result = self.convert(value, log, field)
        if len(log.issues) == before and (result is None or isinstance(result, _IMMUTABLE)):
            self.seen[value] = result
        return result


_UNSEEN = object()
_IMMUTABLE = (str, int, float)


def _territory_code(value: Any, log: RowLog, field: str) -> Any:
    """A département code (``59``, ``2A``, ``974``) is a territory (``DEP:59``), any other
    cell a commune code (see :func:`~maillage.model.identifiers.territory_code_of`)."""
    text = v.clean_text(value)
    code = None if text is None else ids.territory_code_of(text)
    if code is not None and code.startswith("DEP:"):
        return {"territories": [code]}
    return {"commune_code": v.parse_commune_code(value, log, field)}


def _mixed_communes(target: str, cells: Sequence[Any]) -> bool:
    """True when a commune column holds the other form too: codes among the names of a
    ``commune`` column, names among the codes of a ``code_commune`` column."""
    other = _is_code if target == "commune_name" else _is_name
    return any(text is not None and other(text) for text in map(v.clean_text, cells))


def _is_code(text: str) -> bool:
    """True for a cell written as a commune code (``59350``, ``2A004``, ``1001``)."""
    return ids.is_commune_code(ids.pad_lost_zero(text.upper()))


def _is_name(text: str) -> bool:
    """True for a cell written as a name: letters, and not a code (``2A004``)."""
    return any(c.isalpha() for c in text) and not _is_code(text)


def _commune_cell(value: Any, log: RowLog, field: str) -> Any:
    """A commune column holding INSEE codes and names: a code goes to ``commune_code``
    (checked), a name to ``commune_name``; other cells are read as the column's field."""
    text = v.clean_text(value)
    if text is None:
        return {}
    if _is_code(text) or (field == "commune_code" and not _is_name(text)):
        return {"commune_code": v.parse_commune_code(value, log, "commune_code")}
    return {"commune_name": text}


_SPREAD = (_territory_code, _commune_cell)  # converters that give several fields


def _convert_row(
    row: Row, plan: Plan, skip: set[str], log: RowLog
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Return ``(fields, extra)`` for one row; problems go to ``log``."""
    data: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    for column, raw in row.values.items():
        step = plan.get(column)
        if step is None:
            if column not in skip and (text := v.clean_text(raw)) is not None:
                extra[column] = text
            continue
        target, convert = step
        # The usual cells first, without a call: text, and codes met before.
        if raw.__class__ is str:
            if convert is _text:
                if text := raw.strip():
                    data[target] = text
                continue
            if convert.__class__ is _Remembered:
                value = convert.seen.get(raw, _UNSEEN)
                if value.__class__ is str:
                    data[target] = value
                    continue
        value = convert(raw, log, target)
        if value.__class__ is v.Fields:
            extra.update(value.pop("extra", {}))
            data.update({k: val for k, val in value.items() if val is not None})
        elif target == COORDINATES or convert in _SPREAD:
            data.update({k: val for k, val in value.items() if val is not None})
        elif value is not None and value != [] and value != {}:
            data[target] = value
    if "extra" in data:
        extra = {**data.pop("extra"), **extra}
    return data, extra


def parse_actor_table(
    rows: Table | Iterable[Mapping[str, Any]],
    mapping: Mapping[str, str] | None = None,
    *,
    file: str | None = None,
    source: str | None = None,
    classify: bool = True,
) -> ParseResult:
    """Return the actors of a table, with every row-level issue.

    ``mapping`` is ``{column: field}`` (field names of :class:`ActorRecord`); unmapped
    columns are guessed from their header. ``source`` fills ``ActorRecord.source``
    when the file has no ``source`` column. A row without a name, with an invalid
    identifier or a duplicate key is rejected. ``classify=False`` leaves world and
    category as the file gives them. Never raises on bad data.

    The records are :class:`~maillage.model.records.CheckedActor` objects: the import
    service does not check again the fields checked here. A CSV table is converted
    column by column first (see :func:`_actors_by_column`);
    a row with anything to report is then read again on its own, as every row of
    other tables is, so the records and issues are the same either way.
    """
    table = _as_table(rows, file)
    result = ParseResult(issues=list(table.issues), rows=len(table))
    columns = actor_mapping(table.header, mapping)
    derive = classify and "classification_rule" not in columns.values()
    skip = ignored_columns(mapping)
    plan = _plan(table.header, columns, ACTOR_CONVERTERS, _sample(table))
    records = table.records
    built = None if records is None else _actors_by_column(table, records, plan, skip, source)
    keys: set[str] = set()
    log = RowLog(result.issues, None, table.file)  # one log, moved from row to row
    actors = result.actors
    numbers = table.numbers
    kept: list[int] = []  # the row number of each actor
    for index in range(len(table)):
        actor = None if built is None else built[index]
        if actor is None or (actor.key is not None and actor.key in keys):
            # a row that may have something to report: read on its own
            row = table.row(index)
            actor = _actor_row(row, plan, skip, log, keys)
            if actor is None:
                result.rejected_rows.append(row.number)
                continue
            if actor.source is None:
                actor.source = source
        elif actor.key is not None:
            keys.add(actor.key)
        if derive:
            apply_classification(actor)
        actors.append(actor)
        kept.append(numbers[index])
    if "classification_rule" not in columns.values():  # an export of maillage: as it is
        _settle(result, kept, columns, table.file)
    return result


def _settle(result: ParseResult, numbers: list[int], columns: Mapping[str, str],
            file: str | None) -> None:  # fmt: skip
    """Coordinates and addresses read per file (:func:`~maillage.io.places.settle_points`);
    a row it rejects leaves the records."""
    fields = set(columns.values())
    if not fields & {"latitude", "longitude", COORDINATES, "address"}:
        return
    if not fields & {"latitude", "longitude", COORDINATES} and all(
        a.postcode is not None or not a.address for a in result.actors
    ):
        return  # an address column and every postcode given: the common case, at once
    named = [c for c, f in columns.items() if f in ("latitude", "longitude", COORDINATES)]
    settle_result(result, numbers, file, named)


def _actor_row(
    row: Row, plan: Plan, skip: set[str], log: RowLog, keys: set[str]
) -> ActorRecord | None:
    """The actor of one row, or None when the row is rejected (reasons go to ``log``)."""
    log.row, log.failed = row.number, False
    data, extra = _convert_row(row, plan, skip, log)
    if "name" not in data:
        log.error("name", None, "nom de l'acteur requis")
    key = data.get("key")
    if key is not None and key in keys:
        log.error("key", key, "identifiant déjà utilisé plus haut dans le fichier")
    if log.failed:
        return None
    if key is not None:
        keys.add(key)
    return CheckedActor(**data, extra=extra)


_ACTOR_DEFAULTS: dict[str, Any] = {
    f.name: (f.default_factory if f.default is MISSING else f.default) for f in fields(ActorRecord)
}


def _actors_by_column(
    table: Table, records: list[list[Any]], plan: Plan, skip: set[str], source: str | None
) -> list[ActorRecord | None] | None:
    """Convert a table column by column: each cell conversion runs in C (``map``) or
    once per distinct code. Returns one record per row, or None for a row with
    anything to report (an issue, a missing name), which the caller reads on its
    own; None for the whole table when a column needs the row-by-row reading
    (coordinates, territory codes, an ``extra`` column, rows shorter than the
    header, two columns for one field)."""
    width = len(table.header)
    if not records or min(map(len, records)) < width:
        return None
    count = len(records)
    bad: set[int] = set()  # rows with something to report
    scratch = RowLog([], None, table.file)
    values: dict[str, list[Any]] = {}
    extra: list[tuple[str, list[str | None]]] = []
    for column, cells in zip(table.header, zip(*records, strict=True), strict=True):
        step = plan.get(column)
        if step is None:
            if column not in skip:
                extra.append((column, [text or None for text in map(str.strip, cells)]))
            continue
        target, convert = step
        if target in values or target in (COORDINATES, "extra") or convert in _SPREAD:
            return None
        values[target] = _column(cells, convert, target, scratch, bad)
    if "name" not in values:
        return None
    if None in values["name"]:
        bad.update(i for i, name in enumerate(values["name"]) if name is None)
    arguments: list[Iterable[Any]] = []
    for name, default in _ACTOR_DEFAULTS.items():
        column_values = values.get(name)
        if name == "source" and source is not None:
            default = source
        if name == "extra":
            arguments.append(_extras(extra, count))
        elif column_values is None:
            arguments.append(
                map(default, repeat((), count)) if callable(default) else repeat(default, count)
            )
        elif callable(default):
            arguments.append([default() if x is None else x for x in column_values])
        elif default is not None:
            arguments.append([default if x is None else x for x in column_values])
        else:
            arguments.append(column_values)
    built: list[ActorRecord | None] = list(map(CheckedActor, *arguments))
    for index in bad:
        built[index] = None
    return built


def _column(
    cells: Sequence[str], convert: Converter, target: str, scratch: RowLog, bad: set[int]
) -> list[Any]:
    """The converted cells of one column (None for an empty one); the rows whose cell
    reported an issue are added to ``bad``."""
    if convert is _text:
        return [text or None for text in map(str.strip, cells)]
    issues = scratch.issues
    if convert.__class__ is _Remembered:
        seen = convert.seen
        failed, kept = set(), True
        for value in set(cells).difference(seen):  # each new value converted once
            convert(value, scratch, target)
            if issues:
                failed.add(value)
                issues.clear()
            elif value not in seen:  # a list or a dict: one per cell, as below
                kept = False
        if kept and failed:
            bad.update(i for i, cell in enumerate(cells) if cell in failed)
            return [seen.get(cell) for cell in cells]
        if kept:
            return list(map(seen.__getitem__, cells))
    whole = _WHOLE_COLUMN.get(convert)
    if whole is not None:
        out = whole(cells)
        if None in out:  # the cells left: blanks, repairs, errors, La Poste SIRETs
            for index, cell in enumerate(cells):
                if out[index] is None:
                    out[index] = convert(cell, scratch, target)
                    if issues:
                        bad.add(index)
                        issues.clear()
        return out
    out = list(map(convert, cells, repeat(scratch), repeat(target)))
    if issues:  # find the cells that reported something
        issues.clear()
        for index, cell in enumerate(cells):
            convert(cell, scratch, target)
            if issues:
                bad.add(index)
                issues.clear()
    return [None if x == [] or x == {} else x for x in out]


# Converters with a whole-column form for the common, clean cells (numpy Luhn sums).
_WHOLE_COLUMN: dict[Converter, Callable[[Sequence[str]], list[Any]]] = {
    _siret: ids.valid_sirets,
    v.parse_siren: ids.valid_sirens,
}


def _extras(columns: list[tuple[str, list[str | None]]], count: int) -> Iterable[dict[str, Any]]:
    """Per row, the texts of the columns that map to no field (``extra``)."""
    if not columns:
        return map(dict, repeat((), count))
    names = [name for name, _ in columns]
    return [
        {k: text for k, text in zip(names, texts, strict=True) if text is not None}
        for texts in zip(*(cells for _, cells in columns), strict=True)
    ]


def parse_link_table(
    rows: Table | Iterable[Mapping[str, Any]],
    mapping: Mapping[str, str] | None = None,
    *,
    file: str | None = None,
    source: str | None = None,
) -> ParseResult:
    """Return the links of a table, with every row-level issue.

    Ends are named by ``source_key``/``target_key`` (a key of the actors of the same
    source, or a SIRET/SIREN/RNA). A 4-digit year is read as 1 January of that year.
    A row without both ends, or tying an actor to itself, is rejected.
    """
    table = _as_table(rows, file)
    result = ParseResult(issues=list(table.issues), rows=len(table.rows))
    columns = link_mapping(table.header, mapping)
    skip = ignored_columns(mapping)
    plan = _plan(table.header, columns, LINK_CONVERTERS, _sample(table))
    log = RowLog(result.issues, None, table.file)  # one log, moved from row to row
    for row in table.rows:
        log.row, log.failed = row.number, False
        data, extra = _convert_row(row, plan, skip, log)
        for end in ("source_key", "target_key"):
            if end not in data:
                log.error(end, None, "extrémité du lien requise")
        if data.get("source_key") is not None and data.get("source_key") == data.get("target_key"):
            log.error("target_key", data["target_key"], "un lien relie deux acteurs différents")
        if log.failed:
            result.rejected_rows.append(row.number)
            continue
        link = LinkRecord(**data, extra=extra)
        if link.source is None:
            link.source = source
        result.links.append(link)
    return result


def actor_table(path: str | Path, sheet: str | None = None) -> Table:
    """The table of an actor file (CSV or XLSX, compressed or not): the ``sheet`` named,
    else a workbook's ``actors`` sheet (an export of maillage), else its first."""
    return read_table(path, sheet=sheet, prefer=ACTORS_SHEET)


def link_table(path: str | Path, sheet: str | None = None) -> Table:
    """The table of a link file: the ``sheet`` named, else a workbook's ``links`` sheet
    (an export of maillage holds ``actors`` then ``links``), else its first."""
    return read_table(path, sheet=sheet, prefer=LINKS_SHEET)


def read_actors(
    path: str | Path,
    mapping: Mapping[str, str] | None = None,
    *,
    source: str | None = None,
    sheet: str | None = None,
) -> ParseResult:
    """Read an actor table from a CSV or XLSX file (see :func:`actor_table` and
    :func:`parse_actor_table`)."""
    return parse_actor_table(actor_table(path, sheet), mapping, source=source)


def read_links(
    path: str | Path,
    mapping: Mapping[str, str] | None = None,
    *,
    source: str | None = None,
    sheet: str | None = None,
) -> ParseResult:
    """Read a link table from a CSV or XLSX file (see :func:`link_table` and
    :func:`parse_link_table`)."""
    return parse_link_table(link_table(path, sheet), mapping, source=source)
