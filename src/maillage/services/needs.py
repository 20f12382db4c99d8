"""Territorial facts: needs (imported from a table or computed by a rule) and indicators.

Imports (``maillage import needs|indicators FILE``) follow the actor imports: one
transaction, one audit batch, one ``import_run``; all or nothing unless ``partial``;
re-importing the same source updates instead of duplicating. Columns are guessed
from French and English headers (``--map COLUMN=FIELD`` overrides, ``=ignore`` drops).

- A need row names a territory (``DEP:59``, ``59350``, ``59``...), a theme, and
  optionally publics, description, severity (1-4), status (observed | qualified |
  addressed), date and an id. It is the same need as a stored one of the same source
  with the same id, else with the same territory, theme and description.
- An indicator table is long (territory, indicator, value, year, unit) or wide (a
  territory column, then one column per indicator: every column whose cells are all
  numbers, except codes, names and a row index). The year comes from a year or date
  column, else ``year``. An indicator is the same as a stored one of the same source
  with the same territory, key and year.

Computed needs (:func:`compute_distance_needs`): communes whose centroid lies farther
than a distance from every place of given sources (mediation places, France Services)
become ``need`` rows (status ``observed``, source ``computed``) carrying the rule and
its parameters.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import sqlalchemy as sa
from scipy.spatial import cKDTree

from maillage.io import values as v
from maillage.io.columns import norm_header
from maillage.io.mediation import PLACE_THEME
from maillage.io.reading import Table
from maillage.io.result import RowLog
from maillage.model import taxonomy
from maillage.model.errors import InvalidInput
from maillage.model.numbers import number
from maillage.model.records import ImportIssue
from maillage.model.text import fold
from maillage.services.geography import known_territory_code
from maillage.services.importing import ImportReport, Progress, record_run
from maillage.storage.audit import Context, open_batch
from maillage.storage.engine import transaction
from maillage.storage.registry import indicators, needs
from maillage.storage.repository import Repository
from maillage.storage.tables import actor, actor_identifier, need, territory

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
    if code is None:
        raise InvalidInput(column, raw, "territoire inconnu (géographie 2026)",
                           "unknown territory (2026 geography)")  # fmt: skip
    return code


@dataclass
class _Planned:
    """Rows of a territorial table, validated, and what will be done with them."""

    new: list[dict[str, Any]] = field(default_factory=list)
    changes: list[tuple[int, dict[str, Any]]] = field(default_factory=list)


def _import_territorial(
    db: sa.Engine,
    report: ImportReport,
    repository: Repository,
    parse: Callable[[set[str]], list[dict[str, Any]]],
    identity: Callable[[Mapping[str, Any]], tuple[Any, ...]],
    options: dict[str, Any],
) -> ImportReport:
    """Validate (``parse`` gets the known territory codes), match, then write."""
    entity = repository.entity + "s"
    with transaction(db) as conn:
        known = set(conn.execute(sa.select(territory.c.code)).scalars())
        rows = parse(known)
        planned = _plan(conn, repository, rows, identity, report, entity)
        progress: Progress | None = options.get("progress")
        if progress:
            progress(len(rows), 2 * len(rows))
        anything = bool(planned.new or planned.changes)
        valid = report.created + report.updated + report.unchanged
        if report.issues and (not options.get("partial") or not valid):
            report.status = "failed"
            report.clear_writes()
        elif options.get("dry_run"):
            report.status = "dry_run"
            return report
        if report.status == "failed" or not anything:
            record_run(conn, report, None)
            return report
        user = options.get("user", "import")
        batch_id = open_batch(conn, kind="import", label=f"import {entity} {report.source}",
                              user=user)  # fmt: skip
        ctx = Context(user=user, source=report.source, batch_id=batch_id)
        repository.create_many(conn, planned.new, ctx=ctx)
        for entity_id, changes in planned.changes:
            repository.update(conn, entity_id, changes, ctx=ctx)
        if progress:
            progress(2 * len(rows), 2 * len(rows))
        report.batch_id = batch_id
        record_run(conn, report, batch_id)
    return report


def _plan(
    conn: sa.Connection,
    repository: Repository,
    rows: list[dict[str, Any]],
    identity: Callable[[Mapping[str, Any]], tuple[Any, ...]],
    report: ImportReport,
    entity: str,
) -> _Planned:
    """Split validated rows into new ones and changes to the stored ones."""
    table = repository.table
    query = sa.select(table).where(table.c.source == report.source, table.c.deleted_at.is_(None))
    stored = {identity(m): m for m in (dict(r._mapping) for r in conn.execute(query))}
    planned = _Planned()
    seen: set[tuple[Any, ...]] = set()
    for values in rows:
        key = identity(values)
        if key in seen:
            report.count(entity, "unchanged")
            continue
        seen.add(key)
        current = stored.get(key)
        if current is None:
            planned.new.append(values)
            continue
        changes = {k: val for k, val in values.items() if current[k] != val}
        if changes:
            planned.changes.append((current["id"], changes))
        report.count(entity, "updated" if changes else "unchanged")
    report.count(entity, "created", len(planned.new))
    return planned


def _reject(report: ImportReport, entity: str, log_issues: list[ImportIssue]) -> bool:
    """File a row's issues in the report; True when the row is rejected."""
    errors = [i for i in log_issues if i.severity == "error"]
    report.issues.extend(errors)
    report.warnings.extend(i for i in log_issues if i.severity != "error")
    if errors:
        report.count(entity, "rejected")
    return bool(errors)


# --- needs ---------------------------------------------------------------------------


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


def _need_identity(values: Mapping[str, Any]) -> tuple[Any, ...]:
    if values.get("source_ref"):
        return ("ref", values["source_ref"])
    return (values["territory_code"], values["theme"], fold(values.get("description") or ""))


def import_needs(
    *, db: sa.Engine, table: Table, source: str, mapping: Mapping[str, str] | None = None,
    **options: Any,
) -> ImportReport:  # fmt: skip
    """Import the needs of a table (see the module docstring). Returns the report."""
    report = ImportReport("needs", source, table.file, rows=len(table.rows))
    columns = _guess(table.header, NEED_GUESSES, mapping)
    where = _territory_column(table.header, mapping)

    def parse(known: set[str]) -> list[dict[str, Any]]:
        if where is None:
            report.issues.append(ImportIssue(1, "territory", table.header,
                                             "aucune colonne territoire", table.file))  # fmt: skip
            return []
        rows = []
        for row in table.rows:
            log = RowLog([], row.number, table.file)
            values = _need_row(row.values, columns, where, known, log)
            if not _reject(report, "needs", log.issues):
                rows.append({**values, "source": source})
        return rows

    return _import_territorial(db, report, needs, parse, _need_identity, options)


# --- indicators ----------------------------------------------------------------------


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


def import_indicators(
    *, db: sa.Engine, table: Table, source: str, mapping: Mapping[str, str] | None = None,
    year: int | None = None, **options: Any,
) -> ImportReport:  # fmt: skip
    """Import the indicators of a long or wide table (see the module docstring)."""
    report = ImportReport("indicators", source, table.file, rows=len(table.rows))
    columns = _guess(table.header, INDICATOR_GUESSES, mapping)
    where = _territory_column(table.header, mapping)
    long = "key" in columns and "value" in columns
    skip = {c for c, f in (mapping or {}).items() if f == "ignore"}
    skip |= {c for c in (where, *columns.values()) if c}
    wide = [] if long else _indicator_columns(table, skip)

    def parse(known: set[str]) -> list[dict[str, Any]]:
        if where is None or not (long or wide):
            report.issues.append(ImportIssue(1, "territory", table.header, "il faut une colonne "
                                             "territoire et des valeurs", table.file))  # fmt: skip
            return []
        rows: list[dict[str, Any]] = []
        for row in table.rows:
            log = RowLog([], row.number, table.file)
            found = _indicator_rows(row.values, where, columns, wide, known, year, log)
            if not _reject(report, "indicators", log.issues):
                rows.extend({**r, "source": source} for r in found)
        return rows

    return _import_territorial(db, report, indicators, parse, _indicator_identity, options)


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


def _indicator_identity(values: Mapping[str, Any]) -> tuple[Any, ...]:
    return (values["territory_code"], values["key"], values["year"])


# --- computed needs ------------------------------------------------------------------

EARTH_RADIUS_KM = 6371.0088
DIGITAL_INCLUSION_SOURCES = ("cartographie-nationale", "france-services")
RULE_NAME = "distance-au-lieu-de-mediation-numerique"


def unit_vectors(latitudes: Iterable[float], longitudes: Iterable[float]) -> np.ndarray:
    """Points on the unit sphere (x, y, z) for WGS84 degrees: chord distances between
    them are monotone in great-circle distance, so a k-d tree finds true nearest points."""
    lat = np.radians(np.asarray(list(latitudes), dtype=float))
    lon = np.radians(np.asarray(list(longitudes), dtype=float))
    return np.column_stack((np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)))


def nearest_distances_km(
    points: tuple[Sequence[float], Sequence[float]], places: tuple[Sequence[float], Sequence[float]]
) -> np.ndarray:
    """Great-circle distance (km) from each point to the nearest place, each given as
    ``(latitudes, longitudes)``; ``inf`` when there is no place. Uses
    :class:`scipy.spatial.cKDTree` on unit-sphere coordinates."""
    if len(places[0]) == 0:
        return np.full(len(points[0]), np.inf)
    tree = cKDTree(unit_vectors(*places))
    chord, _ = tree.query(unit_vectors(*points), k=1)
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.clip(np.asarray(chord) / 2, 0, 1))


@dataclass(frozen=True)
class DistanceRule:
    """Communes farther than ``distance_km`` from every place of ``sources``.

    Severity: 1 up to 1.5 x the distance, 2 up to 2 x, 3 beyond.
    """

    distance_km: float = 10.0
    sources: tuple[str, ...] = DIGITAL_INCLUSION_SOURCES
    theme: str = PLACE_THEME  # what the places carry: a commune far from all of them lacks it
    name: str = RULE_NAME

    def as_json(self) -> dict[str, Any]:
        """The rule as stored on each need it computed."""
        return {"name": self.name, "parameters": {
            "distance_km": self.distance_km, "sources": list(self.sources),
            "severity_km": [1.5 * self.distance_km, 2 * self.distance_km],
            "metric": "distance orthodromique du centroïde communal (La Poste) au lieu le "
                      "plus proche (coordonnées du lieu, sinon centroïde de sa commune)",
        }}  # fmt: skip

    def severity(self, distance: float) -> int:
        """1, 2 or 3 by distance band."""
        return (
            1
            if distance <= 1.5 * self.distance_km
            else 2
            if distance <= 2 * self.distance_km
            else 3
        )


def _places(conn: sa.Connection, sources: Sequence[str]) -> tuple[list[float], list[float]]:
    """Coordinates of the live actors imported from ``sources`` (commune centroid when
    the place has none), also when they were merged into an actor of another source."""
    prefixes = [actor_identifier.c.identifier.startswith(f"source:{s}:", autoescape=True)
                for s in sources]  # fmt: skip
    from_source = sa.select(actor_identifier.c.actor_id).where(sa.or_(*prefixes))
    commune = territory.alias("commune")
    query = (
        sa.select(sa.func.coalesce(actor.c.latitude, commune.c.latitude),
                  sa.func.coalesce(actor.c.longitude, commune.c.longitude))
        .select_from(actor.outerjoin(commune, commune.c.code == "COM:" + actor.c.commune_code))
        .where(actor.c.deleted_at.is_(None),
               sa.or_(actor.c.source.in_(sources), actor.c.id.in_(from_source)))
    )  # fmt: skip
    pairs = [(lat, lon) for lat, lon in conn.execute(query) if lat is not None]
    return [p[0] for p in pairs], [p[1] for p in pairs]


def _communes(conn: sa.Connection) -> list[tuple[str, str, int, float, float]]:
    """Current communes with people and a centroid: code, name, population, lat, lon."""
    query = sa.select(
        territory.c.code, territory.c.name, territory.c.population, territory.c.latitude,
        territory.c.longitude,
    ).where(territory.c.level == "commune", territory.c.latitude.is_not(None),
            territory.c.population > 0)  # fmt: skip
    return [(r[0], r[1], r[2], r[3], r[4]) for r in conn.execute(query)]


def _computed_needs(
    communes: list[tuple[str, str, int, float, float]], distances: np.ndarray, rule: DistanceRule
) -> dict[str, dict[str, Any]]:
    """The needs of the communes beyond the rule's distance, by territory code."""
    found = {}
    for (code, name, population, _, _), distance in zip(communes, distances, strict=True):
        if not math.isfinite(distance) or distance <= rule.distance_km:
            continue
        found[code] = {
            "territory_code": code, "theme": rule.theme, "status": "observed",
            "severity": rule.severity(distance), "publics": ["habitants"],
            "source": "computed", "source_ref": f"{rule.name}:{code}", "rule": rule.as_json(),
            "description": f"{name} : {number(population, 'fr')} habitants à "
                           f"{number(round(distance, 1), 'fr', 1)} km du lieu de médiation "
                           f"numérique ou France Services le plus proche (seuil "
                           f"{number(round(rule.distance_km, 1), 'fr', 1, trailing_zeros=False)} km).",
        }  # fmt: skip
    return found


def compute_distance_needs(
    *, db: sa.Engine, rule: DistanceRule | None = None, user: str = "computed"
) -> dict[str, Any]:
    """Record (or refresh) the computed needs of ``rule``, in one audited batch.

    Needs of communes that no longer meet the rule are deleted (soft); changed ones
    updated. Returns counts: places, communes, needs, population concerned, created,
    updated, deleted, batch_id.
    """
    rule = rule or DistanceRule()
    with transaction(db) as conn:
        places = _places(conn, rule.sources)
        communes = _communes(conn)
        distances = nearest_distances_km(([c[3] for c in communes], [c[4] for c in communes]),
                                         places)  # fmt: skip
        wanted = _computed_needs(communes, distances, rule)
        stored = {r.territory_code: dict(r._mapping) for r in conn.execute(
            sa.select(need).where(need.c.source == "computed", need.c.deleted_at.is_(None),
                                  need.c.source_ref.startswith(f"{rule.name}:")))}  # fmt: skip
        plan = _diff(wanted, stored)
        batch_id = None
        if any(plan):
            batch_id = open_batch(conn, kind="service", label=f"besoins calculés {rule.name}",
                                  user=user)  # fmt: skip
            _apply(conn, plan, Context(user, "computed", batch_id))
    counts = {"created": len(plan[0]), "updated": len(plan[1]), "deleted": len(plan[2])}
    population = sum(c[2] for c, d in zip(communes, distances, strict=True)
                     if c[0] in wanted)  # fmt: skip
    return {"rule": rule.as_json(), "places": len(places[0]), "communes": len(communes),
            "needs": len(wanted), "population": population, "batch_id": batch_id, **counts}  # fmt: skip


Diff = tuple[list[dict[str, Any]], list[tuple[int, dict[str, Any]]], list[int]]


def _diff(wanted: dict[str, dict[str, Any]], stored: Mapping[str, Mapping[str, Any]]) -> Diff:
    """``(new, changes, gone)``: what makes the stored computed needs the ``wanted`` ones."""
    new = [values for code, values in wanted.items() if code not in stored]
    changes: list[tuple[int, dict[str, Any]]] = []
    gone: list[int] = []
    for code, current in stored.items():
        if code not in wanted:
            gone.append(current["id"])
            continue
        diff = {k: val for k, val in wanted[code].items() if current[k] != val}
        if diff:
            changes.append((current["id"], diff))
    return new, changes, gone


def _apply(conn: sa.Connection, plan: Diff, ctx: Context) -> None:
    new, changes, gone = plan
    needs.create_many(conn, new, ctx=ctx)
    for need_id, diff in changes:
        needs.update(conn, need_id, diff, ctx=ctx)
    for need_id in gone:
        needs.delete(conn, need_id, ctx=ctx)
