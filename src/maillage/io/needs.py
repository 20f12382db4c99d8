"""Needs and indicator tables (CSV or XLSX): territorial facts read the French way.

``parse_needs(table, known=...)`` and ``parse_indicators(table, known=...)`` turn the
rows of a :class:`Table` into the stored values of ``need`` and ``indicator`` rows;
``known`` is the set of territory codes of the geography (a code outside it rejects the
row). Columns are guessed from French and English headers (``mapping`` overrides:
``{column: field}``, ``ignore`` drops a column). Pure functions: they never raise on bad
data, every problem is an :class:`ImportIssue` in the result.

- A need row names a territory (``DEP:59``, ``59350``, ``59``...), a theme, and
  optionally publics, description, severity (1-4), status (observed | qualified |
  addressed), date and an id.
- An indicator table is long (territory, indicator, value, year, unit) or wide (a
  territory column, then one column per indicator: every column whose cells are all
  numbers, except codes, names and a row index). The year comes from a year or date
  column, else ``year``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from maillage.io import values as v
from maillage.io.columns import norm_header
from maillage.io.reading import Table
from maillage.io.result import IssueViews, RowLog
from maillage.model import taxonomy
from maillage.model.errors import InvalidInput
from maillage.model.identifiers import known_territory_code
from maillage.model.records import ImportIssue

__all__ = [
    "INDICATOR_GUESSES",
    "NEED_GUESSES",
    "TERRITORY_COLUMNS",
    "FactsResult",
    "parse_indicators",
    "parse_needs",
    "territory_code",
]

TERRITORY_COLUMNS = {
    "COM": ("territory", "territory_code", "territoire", "code_territoire", "code_insee", "insee",
            "code_commune", "commune_code", "insee_com", "depcom", "codgeo", "code_geo"),
    "EPCI": ("code_epci", "epci", "siren_epci"),
    "DEP": ("code_dep", "code_departement", "dep", "departement", "insee_dep"),
    "REG": ("code_reg", "code_region", "reg", "region", "insee_reg"),
}  # fmt: skip
NEED_GUESSES = {
    "theme": ("theme", "thematique", "themes", "thematiques"),
    "publics": ("publics", "public", "publics_concernes", "public_cible", "publics_cibles"),
    "description": ("description", "besoin", "libelle", "intitule"),
    "severity": ("severite", "gravite", "severity", "priorite", "intensite"),
    "status": ("statut", "status", "etat"),
    "date": ("date", "date_observation", "annee", "year"),
    "source_ref": ("id", "identifiant", "ref", "reference", "key"),
}
INDICATOR_GUESSES = {
    "key": ("indicateur", "indicator", "key", "cle", "variable", "mesure"),
    "value": ("valeur", "value", "val"),
    "year": ("annee", "year", "millesime", "date"),
    "unit": ("unite", "unit"),
}
_CODES = {alias for aliases in TERRITORY_COLUMNS.values() for alias in aliases}
_NOT_INDICATORS = ("nom", "lib", "code", "name", "label", "type", "date", "annee", "year")


@dataclass(slots=True)
class FactsResult(IssueViews):
    """The values of the needs or indicators read from one table, with every problem met.

    ``records`` are the stored values (without ``source``); ``rows`` counts the data rows
    read; ``rejected_rows`` lists the row numbers that carried an error.
    """

    records: list[dict[str, Any]] = field(default_factory=list)
    issues: list[ImportIssue] = field(default_factory=list)
    rows: int = 0
    rejected_rows: list[int] = field(default_factory=list)
    record_rows: list[int] = field(default_factory=list)  # the file row of each record


def _guess(header: Sequence[str], guesses: Mapping[str, tuple[str, ...]],
           explicit: Mapping[str, str] | None) -> dict[str, str]:  # fmt: skip
    """``{field: column}``: explicit mapping first, then the first matching header."""
    found = {f: c for c, f in (explicit or {}).items() if c in header and f != "ignore"}
    for name, aliases in guesses.items():
        if name in found:
            continue
        for column in header:
            if norm_header(column) in (name, *aliases) and column not in found.values():
                found[name] = column
                break
    return found


def _territory_column(header: Sequence[str], explicit: Mapping[str, str] | None) -> str | None:
    for column, target in (explicit or {}).items():
        if target in ("territory", "territory_code") and column in header:
            return column
    for aliases in TERRITORY_COLUMNS.values():
        for column in header:
            if norm_header(column) in aliases:
                return column
    return None


def territory_code(raw: Any, column: str, known: set[str]) -> str:
    """A territory code from a cell: prefixed (``DEP:59``) or bare (``59350`` a commune,
    ``59`` a département, 9 digits an EPCI; the column name may say the level).
    Raises InvalidInput for an empty or unknown code."""
    text = v.clean_text(raw)
    if text is None:
        raise InvalidInput(column, raw, "territoire requis", "a territory is required")
    named = [lvl for lvl, names in TERRITORY_COLUMNS.items()
             if norm_header(column) in names and lvl != "COM"]  # fmt: skip
    code = known_territory_code(text, known, named[0] if named else None)
    if code is None and not named and len(text) == 9 and text.isdigit():
        return _iris(text, column, raw, known)
    if code is None:
        raise InvalidInput(column, raw, "territoire inconnu (géographie 2026)",
                           "unknown territory (2026 geography)")  # fmt: skip
    return code


def _iris(text: str, column: str, raw: Any, known: set[str]) -> str:
    """A 9-digit code that is no EPCI, in a commune column: an IRIS (a commune's code
    and 4 digits), kept as its own territory when the geography knows IRIS, else refused
    with the reason (never stored under its commune)."""
    if f"IRIS:{text}" in known:
        return f"IRIS:{text}"
    commune = known_territory_code(text[:5], known)
    if commune is None:
        raise InvalidInput(column, raw, "territoire inconnu (géographie 2026)",
                           "unknown territory (2026 geography)")  # fmt: skip
    raise InvalidInput(
        column, raw,
        f"code IRIS (infra-communal) de la commune {commune[4:]} : la géographie ne connaît "
        "pas les IRIS ; agrégez ces lignes par commune avant l'import",
        f"IRIS (sub-commune) code of commune {commune[4:]}: the geography has no IRIS; "
        "aggregate these rows by commune before importing",
    )  # fmt: skip


# --- needs ---------------------------------------------------------------------------


def parse_needs(
    table: Table, *, known: set[str], mapping: Mapping[str, str] | None = None
) -> FactsResult:
    """The needs of ``table`` (see the module docstring); a table without a territory
    column gives one issue and no record."""
    result = FactsResult(rows=len(table.rows))
    columns = _guess(table.header, NEED_GUESSES, mapping)
    where = _territory_column(table.header, mapping)
    if where is None:
        result.issues.append(ImportIssue(1, "territory", table.header,
                                         "aucune colonne territoire", table.file))  # fmt: skip
        return result
    for row in table.rows:
        log = RowLog(result.issues, row.number, table.file)
        values = _need_row(row.values, columns, where, known, log)
        if log.failed:
            result.rejected_rows.append(row.number)
        else:
            result.records.append(values)
            result.record_rows.append(row.number)
    return result


def _need_row(cells: Mapping[str, Any], columns: Mapping[str, str], where: str,
              known: set[str], log: RowLog) -> dict[str, Any]:  # fmt: skip
    """The stored values of one need row; problems go to ``log``."""
    values: dict[str, Any] = {"publics": v.split_multi(cells.get(columns.get("publics", "")),
                                                       "|;,")}  # fmt: skip
    try:
        values["territory_code"] = territory_code(cells.get(where), where, known)
    except InvalidInput as exc:
        log.error(exc.field, exc.value, exc.rule)
    theme = v.clean_text(cells.get(columns.get("theme", "")))
    if theme is None:
        log.error(columns.get("theme", "theme"), None, "thème requis")
    values["theme"] = _code("themes", theme, log, columns.get("theme", "theme"), keep=True)
    status = v.clean_text(cells.get(columns.get("status", ""))) or "observed"
    values["status"] = _code("need_statuses", status, log, columns.get("status", "status"))
    severity = v.parse_int(cells.get(columns.get("severity", "")), log, "severity")
    if severity is not None and not 1 <= severity <= 4:
        log.error(columns["severity"], severity, "gravité attendue de 1 à 4")
    values["severity"] = severity
    values["date"] = v.parse_date(cells.get(columns.get("date", "")), log, "date")
    for name in ("description", "source_ref"):
        values[name] = v.clean_text(cells.get(columns.get(name, "")))
    return values


def _code(name: str, text: str | None, log: RowLog, column: str, keep: bool = False) -> Any:
    """A taxonomy code from a code or label; other text kept as given when ``keep``."""
    if text is None:
        return None
    try:
        return taxonomy.resolve(name, text, field=column)
    except InvalidInput as exc:
        if keep and len(text) <= 100:
            return text
        log.error(column, text, exc.rule)
        return None


# --- indicators ----------------------------------------------------------------------


def parse_indicators(
    table: Table, *, known: set[str], mapping: Mapping[str, str] | None = None,
    year: int | None = None,
) -> FactsResult:  # fmt: skip
    """The indicators of a long or wide ``table`` (see the module docstring); ``year``
    when the table has no year or date column. A table without a territory column or
    without values gives one issue and no record."""
    result = FactsResult(rows=len(table.rows))
    columns = _guess(table.header, INDICATOR_GUESSES, mapping)
    where = _territory_column(table.header, mapping)
    long = "key" in columns and "value" in columns
    skip = {c for c, f in (mapping or {}).items() if f == "ignore"}
    skip |= {c for c in (where, *columns.values()) if c}
    wide = [] if long else _indicator_columns(table, skip)
    if where is None or not (long or wide):
        result.issues.append(ImportIssue(1, "territory", table.header, "il faut une colonne "
                                         "territoire et des valeurs", table.file))  # fmt: skip
        return result
    for row in table.rows:
        log = RowLog(result.issues, row.number, table.file)
        found = _indicator_rows(row.values, where, columns, wide, known, year, log)
        if log.failed:
            result.rejected_rows.append(row.number)
        else:
            result.records.extend(found)
            result.record_rows.extend([row.number] * len(found))
    return result


def _is_number(value: Any) -> bool:
    probe = RowLog([], None, None)
    return v.parse_float(value, probe, "x") is not None and not probe.failed


def _indicator_columns(table: Table, skip: set[str]) -> list[str]:
    """Columns of a wide table whose non-empty cells are all numbers: not a territory
    code, a name, a type or a date, nor a row index."""
    found = []
    for column in table.header:
        name = norm_header(column)
        if column in skip or name in _CODES or any(name.startswith(p) for p in _NOT_INDICATORS):
            continue
        cells = [r.values.get(column) for r in table.rows]
        filled = [c for c in cells if v.clean_text(c) is not None]
        if filled and all(_is_number(c) for c in filled) and not _is_index(filled):
            found.append(column)
    return found


def _is_index(cells: list[Any]) -> bool:
    """A pandas-style row index: 0, 1, 2... (or 1, 2, 3...)."""
    first = v.clean_text(cells[0])
    if first not in ("0", "1") or len(cells) < 3:
        return False
    start = int(first)
    return all(v.clean_text(c) == str(start + i) for i, c in enumerate(cells))


def _year(cells: Mapping[str, Any], column: str | None, default: int | None, log: RowLog) -> Any:
    if column is None:
        return default
    raw = cells.get(column)
    text = v.clean_text(raw)
    if text is not None and text.isdigit() and len(text) == 4:
        return int(text)
    date = v.parse_date(raw, log, column)
    return date.year if date else default


def _indicator_rows(
    cells: Mapping[str, Any], where: str, columns: Mapping[str, str], wide: list[str],
    known: set[str], year: int | None, log: RowLog,
) -> list[dict[str, Any]]:  # fmt: skip
    """The indicators of one row (one in a long table, one per column in a wide one)."""
    try:
        code = territory_code(cells.get(where), where, known)
    except InvalidInput as exc:
        log.error(exc.field, exc.value, exc.rule)
        return []
    when = _year(cells, columns.get("year"), year, log)
    pairs: list[tuple[str, Any, str | None]]
    if wide:
        pairs = [(norm_header(c), cells.get(c), None) for c in wide]
    else:
        key = v.clean_text(cells.get(columns["key"]))
        unit = v.clean_text(cells.get(columns.get("unit", "")))
        pairs = [(key, cells.get(columns["value"]), unit)] if key else []
    out = []
    for key, raw, unit in pairs:
        value = v.parse_float(raw, log, key)
        if value is not None and key and len(key) <= 100:
            out.append({"territory_code": code, "key": key, "value": value, "year": when,
                        "unit": unit})  # fmt: skip
    return out
