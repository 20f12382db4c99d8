"""Territorial facts: needs (imported from a table or computed by a rule) and indicators.

Imports (``maillage import needs|indicators FILE``) follow the actor imports: one
transaction, one audit batch, one ``import_run``; all or nothing unless ``partial``;
re-importing the same source updates instead of duplicating. The table is read by
:mod:`maillage.io.needs` (columns guessed from French and English headers, ``--map
COLUMN=FIELD`` overrides, ``=ignore`` drops; territory codes checked against the
geography). A need is the same as a stored one of the same source with the same id,
else with the same territory, theme and description. An indicator is the same as a
stored one of the same source with the same territory, key and year.

Computed needs (:func:`compute_distance_needs`): communes whose centroid lies farther
than a distance from every place of given sources (mediation places, France Services)
become ``need`` rows (status ``observed``, source ``computed``) carrying the rule and
its parameters.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import sqlalchemy as sa

from maillage.analysis.coverage import REACH_KM, nearest_distances_km
from maillage.io.mediation import PLACE_THEME
from maillage.io.needs import FactsResult, parse_indicators, parse_needs
from maillage.io.reading import Table
from maillage.model.numbers import number
from maillage.model.records import ImportIssue
from maillage.model.text import fold
from maillage.services.importing.report import ImportReport, Progress, record_run
from maillage.services.places import place_columns, placed_from
from maillage.storage.audit import Context, open_batch
from maillage.storage.engine import transaction
from maillage.storage.registry import indicators, needs
from maillage.storage.repository import Repository
from maillage.storage.tables import actor, actor_identifier, need, territory


@dataclass
class _Planned:
    """Rows of a territorial table, validated, and what will be done with them."""

    new: list[dict[str, Any]] = field(default_factory=list)
    changes: list[tuple[int, dict[str, Any]]] = field(default_factory=list)


def _import_territorial(
    db: sa.Engine,
    report: ImportReport,
    repository: Repository,
    parse: Callable[[set[str]], list[tuple[int | None, dict[str, Any]]]],
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
            report.check_balance()
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
    rows: list[tuple[int | None, dict[str, Any]]],
    identity: Callable[[Mapping[str, Any]], tuple[Any, ...]],
    report: ImportReport,
    entity: str,
) -> _Planned:
    """Split validated rows into new ones and changes to the stored ones. Rows with
    one identity are kept once when they say the same, else all rejected with the rows
    named (:func:`_repeated`): never merged into the first row's values."""
    table = repository.table
    query = sa.select(table).where(table.c.source == report.source, table.c.deleted_at.is_(None))
    stored = {identity(m): m for m in (dict(r._mapping) for r in conn.execute(query))}
    planned = _Planned()
    groups: dict[tuple[Any, ...], list[tuple[int | None, dict[str, Any]]]] = {}
    for row, values in rows:
        groups.setdefault(identity(values), []).append((row, values))
    for key, group in groups.items():
        values = group[0][1]
        if len(group) > 1:
            issues = _repeated(entity, key, group)
            for issue in issues:
                issue.file = report.file
            if issues[0].severity == "error":
                report.issues.extend(issues)
                report.count(entity, "rejected", len(group))
                continue
            report.warnings.extend(issues)
            report.count(entity, "unchanged", len(group) - 1)
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


_SAME = {"indicators": "même territoire, indicateur et année", "needs": "même besoin"}


def _repeated(
    entity: str, key: tuple[Any, ...], group: list[tuple[int | None, dict[str, Any]]]
) -> list[ImportIssue]:
    """The issues of rows sharing one identity: a warning on each repeat when they say
    the same (kept once), else an error on every row, naming the rows and what differs
    (several rows of one commune with other values are sub-commune rows, IRIS, or rows
    of several types: none of them is the commune's)."""
    (first_row, kept), others = group[0], group[1:]
    shown = ", ".join(str(part) for part in key if part not in (None, "", "ref"))
    same = _SAME.get(entity, "même identité")
    differ = sorted({name for _, values in others for name, value in values.items()
                     if kept.get(name) != value})  # fmt: skip
    code = kept.get("territory_code")
    if not differ:
        return [ImportIssue(row, "territory_code", code, f"{same} que la ligne {first_row} "
                            f"({shown}), mêmes valeurs : gardée une fois", severity="warning")
                for row, _ in others]  # fmt: skip
    numbers = ", ".join(str(row) for row, _ in group)
    was = " ; ".join(f"{name} : " + ", ".join(str(values.get(name)) for _, values in group)
                     for name in differ)  # fmt: skip
    message = (
        f"lignes {numbers} : {same} ({shown}) mais des valeurs différentes ({was}) : "
        "plusieurs lignes pour un même territoire (infra-communales, IRIS, ou d'autres "
        "types ?) ne sont pas fusionnées ; agrégez-les, ou distinguez-les par une colonne "
        "indicateur"
    )
    return [ImportIssue(row, ", ".join(differ), code, message) for row, _ in group]


# --- needs and indicators ------------------------------------------------------------


def _filed(
    report: ImportReport, entity: str, result: FactsResult, source: str
) -> list[tuple[int | None, dict[str, Any]]]:
    """File the parse issues in the report and count its rejected rows; returns the
    values to store, with their source, each with its file row."""
    report.issues.extend(result.errors)
    report.warnings.extend(result.warnings)
    rejected = len(result.rejected_rows)
    if not rejected and not result.records and result.errors:
        rejected = result.rows  # the table refused whole (no territory column)
    report.read(entity, len(result.records) + rejected)
    report.count(entity, "rejected", rejected)
    rows: list[int | None] = [*result.record_rows] or [None] * len(result.records)
    return [(row, {**values, "source": source})
            for row, values in zip(rows, result.records, strict=True)]  # fmt: skip


def _need_identity(values: Mapping[str, Any]) -> tuple[Any, ...]:
    if values.get("source_ref"):
        return ("ref", values["source_ref"])
    return (values["territory_code"], values["theme"], fold(values.get("description") or ""))


def import_needs(
    *, db: sa.Engine, table: Table, source: str, mapping: Mapping[str, str] | None = None,
    **options: Any,
) -> ImportReport:  # fmt: skip
    """Import the needs of a table (see the module docstring). Returns the report."""
    report = ImportReport("needs", source, table.file, lines=len(table.rows))

    def parse(known: set[str]) -> list[tuple[int | None, dict[str, Any]]]:
        return _filed(report, "needs", parse_needs(table, known=known, mapping=mapping), source)

    return _import_territorial(db, report, needs, parse, _need_identity, options)


def import_indicators(
    *, db: sa.Engine, table: Table, source: str, mapping: Mapping[str, str] | None = None,
    year: int | None = None, **options: Any,
) -> ImportReport:  # fmt: skip
    """Import the indicators of a long or wide table (see the module docstring)."""
    report = ImportReport("indicators", source, table.file, lines=len(table.rows))

    def parse(known: set[str]) -> list[tuple[int | None, dict[str, Any]]]:
        result = parse_indicators(table, known=known, mapping=mapping, year=year)
        return _filed(report, "indicators", result, source)

    return _import_territorial(db, report, indicators, parse, _indicator_identity, options)


def _indicator_identity(values: Mapping[str, Any]) -> tuple[Any, ...]:
    return (values["territory_code"], values["key"], values["year"])


# --- computed needs ------------------------------------------------------------------

DIGITAL_INCLUSION_SOURCES = ("cartographie-nationale", "france-services")
RULE_NAME = "distance-au-lieu-de-mediation-numerique"


@dataclass(frozen=True)
class DistanceRule:
    """Communes farther than ``distance_km`` from every place of ``sources``.

    Severity: 1 up to 1.5 x the distance, 2 up to 2 x, 3 beyond.
    """

    distance_km: float = REACH_KM  # the reach of coverage (analysis.coverage)
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
    """Coordinates of the live actors imported from ``sources`` (their place:
    :mod:`maillage.services.places`), also when they were merged into an actor of another source."""
    prefixes = [actor_identifier.c.identifier.startswith(f"source:{s}:", autoescape=True)
                for s in sources]  # fmt: skip
    from_source = sa.select(actor_identifier.c.actor_id).where(sa.or_(*prefixes))
    query = (
        sa.select(*place_columns()[:2])
        .select_from(placed_from())
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


_SENTENCE = {
    "fr": "{commune} : {population} {people} à {distance} km du lieu de médiation numérique "
          "ou France Services le plus proche (seuil {threshold} km).",
    "en": "{commune}: {population} {people} {distance} km from the nearest digital "
          "mediation place or France Services (threshold {threshold} km).",
}  # fmt: skip
_PEOPLE = {"fr": ("habitant", "habitants"), "en": ("inhabitant", "inhabitants")}


def need_description(values: Mapping[str, Any], lang: str = "fr") -> str | None:
    """The description of a need in ``lang``: a computed need's sentence written from
    the facts its rule measured (``rule["measured"]``: commune, population, distance),
    any other need's own text (as filed, in the language it was filed in)."""
    rule = values.get("rule") or {}
    measured = rule.get("measured") if isinstance(rule, Mapping) else None
    if not measured:
        return values.get("description")
    lang = "en" if lang == "en" else "fr"
    population = int(measured["population"])
    threshold = rule["parameters"]["distance_km"]
    one = population == 1 if lang == "en" else population < 2  # CLDR: French 0 and 1 are one
    return _SENTENCE[lang].format(
        commune=measured["commune"],
        population=number(population, lang),
        people=_PEOPLE[lang][0 if one else 1],
        distance=number(measured["distance_km"], lang, 1),
        threshold=number(round(threshold, 1), lang, 1, trailing_zeros=False),
    )


def _computed_needs(
    communes: list[tuple[str, str, int, float, float]], distances: np.ndarray, rule: DistanceRule
) -> dict[str, dict[str, Any]]:
    """The needs of the communes beyond the rule's distance, by territory code: each
    with the facts measured (in its rule) and its French sentence (:func:`need_description`)."""
    found = {}
    for (code, name, population, _, _), distance in zip(communes, distances, strict=True):
        if not math.isfinite(distance) or distance <= rule.distance_km:
            continue
        measured = {"commune": name, "population": population,
                    "distance_km": round(float(distance), 1)}  # fmt: skip
        values = {
            "territory_code": code, "theme": rule.theme, "status": "observed",
            "severity": rule.severity(distance), "publics": ["habitants"],
            "source": "computed", "source_ref": f"{rule.name}:{code}",
            "rule": {**rule.as_json(), "measured": measured},
        }  # fmt: skip
        values["description"] = need_description(values, "fr")
        found[code] = values
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
