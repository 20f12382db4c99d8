"""The demo database, built from the open data shipped in the package only.

Geography (COG 2026, La Poste, IGN boundaries); the ANR co-partnership network
2010-2022; the lieux de médiation numérique of the national map exports; France
Services; the SCDL grants of the Ville d'Antibes; four DECP public-contract files; then
the computed digital-inclusion needs (communes farther than ``distance_km`` from every
mediation place and France Services). Each file is one import (one undoable batch),
partial: rows the schema rejects are listed in the summary. Safe to run again: a second
run duplicates nothing (places published in two map exports with different details are
updated to the later file's). Each DECP platform is its own source, so a company found
on two platforms is merged on its SIRET. Sources and licences: ``data/demo/SOURCE.md``.
"""

from __future__ import annotations

import gzip
import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from typing import Any

import sqlalchemy as sa

from maillage.io.decp import decp_records, parse_decp
from maillage.io.france_services import parse_france_services
from maillage.io.mediation import parse_lieux_json
from maillage.io.reading import Table, parse_csv_text
from maillage.io.result import ParseResult
from maillage.io.scdl import parse_scdl
from maillage.io.tabular import parse_actor_table, parse_link_table
from maillage.services import database, importing
from maillage.services.needs import DistanceRule, compute_distance_needs
from maillage.storage.tables import actor, link, need, territory, territory_member

ANR = "anr-partenariats"
LIEUX = (
    "20230517-hub-du-sud-lieux-de-mediation-numeriques-provence-alpes-cote-d-azur.json",
    "20230711-charente-lieux-de-mediation-numeriques-nouvelle-aquitaine.json",
    "20231003-bus-france-services-en-charente-lieux-de-mediation-numeriques-nouvelle-aquitaine.json",
    "20240320-nouvelle-caledonie-lieux-de-mediation-numeriques-nouvelle-caledonie.json",
    "lieux-cnfs-idf.json",
    "lieux-de-mediation-numerique.cnfs.json",
)
DECP = (
    "data.gouv.fr_pes.json",
    "e-marchespublics.json",
    "data.gouv.fr_aife.json",
    "marches-publics.info.json",
)
LEVELS = ("region", "departement", "epci", "commune")
Step = Callable[[str], None]


def _read(folder: str, name: str) -> bytes:
    with (resources.files("maillage") / "data" / folder / f"{name}.gz").open("rb") as raw:
        return gzip.decompress(raw.read())


def _table(folder: str, name: str) -> Table:
    return parse_csv_text(_read(folder, name).decode("utf-8"), file=name)


@dataclass(frozen=True)
class DemoFile:
    """One shipped file: its import kind, source, and how to parse it."""

    kind: str
    source: str
    name: str
    parse: Callable[[str], ParseResult]


def _anr(name: str) -> ParseResult:
    result = parse_actor_table(_table(f"networks/{ANR}", "actors.csv"), source=ANR)
    result.extend(parse_link_table(_table(f"networks/{ANR}", "links.csv"), source=ANR))
    return result


def _lieux(name: str) -> ParseResult:
    result = parse_lieux_json(json.loads(_read("demo", name)), file=name)
    importing.qualify_keys(result.actors)
    return result


def _decp(name: str) -> ParseResult:
    return parse_decp(decp_records(json.loads(_read("demo", name))), file=name)


FILES = (
    DemoFile("network", ANR, "actors.csv + links.csv", _anr),
    *(DemoFile("lieux", "cartographie-nationale", n, _lieux) for n in LIEUX),
    DemoFile("france-services", "france-services", "liste-fs-20240801.csv",
             lambda n: parse_france_services(_table("demo", n))),
    DemoFile("scdl", "scdl-subventions", "scdl-exemple_valide.csv",
             lambda n: parse_scdl(_table("demo", n))),
    *(DemoFile("decp", f"decp:{n.removesuffix('.json')}", n, _decp) for n in DECP),
)  # fmt: skip


def _import(db: sa.Engine, spec: DemoFile) -> importing.ImportReport:
    parsed = spec.parse(spec.name)
    return importing.import_records(
        db=db, kind=spec.kind, source=spec.source, actor_records=parsed.actors,
        link_records=parsed.links, file=spec.name, parse_issues=parsed.issues,
        rows=parsed.rows, parse_rejected=parsed.rejected, partial=True, user="demo",
    )  # fmt: skip


def build_demo(
    *, db: sa.Engine, distance_km: float = 10.0, step: Step | None = None
) -> dict[str, Any]:
    """Create (or complete) the demo database; safe to run again.

    Returns the reference data loaded, one summary per import (counts and the number
    of issues), the computed needs and :func:`demo_counts`. ``step`` is told what is
    being done (for a progress display).
    """
    say = step or (lambda _: None)
    say("géographie et référentiels")
    reference = database.upgrade(db=db)
    reports = []
    for spec in FILES:
        say(f"import {spec.kind} : {spec.name}")
        report = _import(db, spec)
        summary = {k: v for k, v in report.to_dict().items() if k not in ("issues", "warnings")}
        reports.append({**summary, "issues": len(report.issues), "warnings": len(report.warnings)})
    say(f"besoins calculés : communes à plus de {distance_km:g} km d'un lieu")
    computed = compute_distance_needs(
        db=db, rule=DistanceRule(distance_km=distance_km), user="demo"
    )
    return {"reference": reference["reference"], "imports": reports, "needs": computed,
            "counts": demo_counts(db=db)}  # fmt: skip


def _grouped(conn: sa.Connection, query: sa.Executable) -> dict[str, int]:
    return {str(key): int(count) for key, count in conn.execute(query)}


def demo_counts(*, db: sa.Engine) -> dict[str, Any]:
    """Live actors per world, links per kind, actors per région, and per territory level
    the number of territories, of those with actors, and of needs."""
    world = sa.func.coalesce(actor.c.world, "unknown")
    with db.connect() as conn:
        levels, regions = _levels(conn)
        return {
            "actors_by_world": _grouped(conn, sa.select(world, sa.func.count())
                                        .where(actor.c.deleted_at.is_(None)).group_by(world)),
            "links_by_kind": _grouped(conn, sa.select(link.c.kind, sa.func.count())
                                      .where(link.c.deleted_at.is_(None)).group_by(link.c.kind)),
            "actors_by_region": regions,
            "territories_by_level": levels,
        }  # fmt: skip


def _levels(conn: sa.Connection) -> tuple[dict[str, dict[str, int]], dict[str, int]]:
    """Per level: territories, territories with at least one actor, needs recorded; and
    the actors per région (by name, most first)."""
    rows = conn.execute(sa.select(territory.c.code, territory.c.parent_code, territory.c.name))
    parents, names = {}, {}
    for code, parent, name in rows:
        parents[code], names[code] = parent or "", name
    epcis: dict[str, list[str]] = {}
    for epci, member in conn.execute(sa.select(territory_member)):
        epcis.setdefault(member, []).append(epci)
    with_actors: dict[str, set[str]] = {level: set() for level in LEVELS}
    by_region: Counter[str] = Counter()
    query = (sa.select(actor.c.commune_code, sa.func.count()).where(actor.c.deleted_at.is_(None),
             actor.c.commune_code.is_not(None)).group_by(actor.c.commune_code))  # fmt: skip
    for code, count in conn.execute(query):
        commune = f"COM:{code}"
        if parents.get(commune, "").startswith("COM:"):  # arrondissement municipal
            commune = parents[commune]
        departement = parents.get(commune, "")
        region = parents.get(departement, "")
        found = {"commune": commune, "departement": departement, "region": region}
        for level, value in found.items():
            if value.startswith(("COM:", "DEP:", "REG:")):
                with_actors[level].add(value)
        with_actors["epci"].update(epcis.get(commune, ()))
        if region.startswith("REG:"):
            by_region[names[region]] += count
    totals = _grouped(conn, sa.select(territory.c.level, sa.func.count())
                      .group_by(territory.c.level))  # fmt: skip
    needs = _grouped(conn, sa.select(territory.c.level, sa.func.count())
                     .select_from(need.join(territory, territory.c.code == need.c.territory_code))
                     .where(need.c.deleted_at.is_(None)).group_by(territory.c.level))  # fmt: skip
    levels = {level: {"territoires": totals.get(level, 0), "avec_acteurs": len(with_actors[level]),
                      "besoins": needs.get(level, 0)} for level in LEVELS}  # fmt: skip
    return levels, dict(by_region.most_common())
