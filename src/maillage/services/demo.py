"""The demo database, built from the open data shipped in the package only.

Geography (COG 2026, La Poste, IGN boundaries); the ANR co-partnership network
2010-2022; the lieux de médiation numérique of the national map exports; France
Services; the SCDL grants of the Ville d'Antibes; four DECP public-contract files; then
the relations the places' own data gives (affiliations to national programmes, holding
structures, France Services carriers: :mod:`maillage.services.relations`); then the
identity resolution across every source (:func:`maillage.services.review.run`: the sure
duplicates merged, each an undoable batch, the others queued for a person) and the
relations again (a holder named by two merged records is now found); then the
computed digital-inclusion needs (communes farther than ``distance_km`` from every
mediation place and France Services). Each file is one import (one undoable batch)
through :func:`maillage.services.importing.import_file`, as ``maillage import`` does,
partial: rows the schema rejects are listed in the summary. Safe to run again: a second
run duplicates nothing (places published in two map exports with different details are
updated to the later file's). Each DECP platform is its own source, so a company found
on two platforms is merged on its SIRET. Sources and licences: ``data/demo/SOURCE.md``.
"""

from __future__ import annotations

import gzip
import shutil
import tempfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path, PurePosixPath
from typing import Any

import sqlalchemy as sa

from maillage.services import database, review
from maillage.services.importing import ImportReport, import_file
from maillage.services.needs import DistanceRule, compute_distance_needs
from maillage.services.places import place_counts
from maillage.services.relations import derive_relations, relation_coverage
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


@dataclass(frozen=True)
class DemoFile:
    """One shipped file (or folder of files, each gzipped under ``maillage/data``),
    imported as one batch in the format ``fmt`` (see ``services.importing.FORMATS``)."""

    fmt: str
    source: str
    shipped: str
    label: str = ""  # its name in the summary, when not the file's own

    @property
    def name(self) -> str:
        """The file's name in the summary."""
        return self.label or PurePosixPath(self.shipped).name


FILES = (
    DemoFile("network", ANR, f"networks/{ANR}", "actors.csv + links.csv"),
    *(DemoFile("lieux", "cartographie-nationale", f"demo/{n}") for n in LIEUX),
    DemoFile("france-services", "france-services", "demo/liste-fs-20240801.csv"),
    DemoFile("scdl", "scdl-subventions", "demo/scdl-exemple_valide.csv"),
    *(DemoFile("decp", f"decp:{n.removesuffix('.json')}", f"demo/{n}") for n in DECP),
)


def _gunzip(packed: Traversable, target: Path) -> None:
    with packed.open("rb") as raw, gzip.open(raw) as data, target.open("wb") as out:
        shutil.copyfileobj(data, out)


def _unpacked(shipped: str, into: Path) -> Path:
    """A shipped file, or folder of files, decompressed under ``into``: the path to import."""
    packed = resources.files("maillage") / "data" / shipped
    target = into / shipped
    target.parent.mkdir(parents=True, exist_ok=True)
    if not packed.is_dir():
        _gunzip(resources.files("maillage") / "data" / f"{shipped}.gz", target)
        return target
    target.mkdir(exist_ok=True)
    for item in packed.iterdir():
        if item.name.endswith(".gz"):
            _gunzip(item, target / item.name.removesuffix(".gz"))
    return target


def _import(db: sa.Engine, spec: DemoFile, into: Path) -> ImportReport:
    return import_file(
        db=db, fmt=spec.fmt, path=_unpacked(spec.shipped, into), source=spec.source,
        partial=True, user="demo", file=spec.name, relations=False,
    )  # fmt: skip


def build_demo(
    *, db: sa.Engine, distance_km: float = 10.0, step: Step | None = None
) -> dict[str, Any]:
    """Create (or complete) the demo database; safe to run again.

    Returns the reference data loaded, one summary per import (counts and the number
    of issues), the relations drawn (:func:`~maillage.services.relations.derive_relations`,
    with ``coverage``: :func:`~maillage.services.relations.relation_coverage`), the
    identity resolution (``resolution``: actors merged, groups, pairs queued for review),
    the computed needs and :func:`demo_counts`. ``step`` is told what is
    being done (for a progress display).
    """
    say = step or (lambda _: None)
    say("géographie et référentiels")
    reference = database.upgrade(db=db)
    reports = []
    with tempfile.TemporaryDirectory(prefix="maillage-demo-") as folder:
        for spec in FILES:
            say(f"import {spec.fmt} : {spec.name}")
            report = _import(db, spec, Path(folder))
            summary = {k: v for k, v in report.to_dict().items()
                       if k not in ("issues", "warnings", "relations")}  # fmt: skip
            reports.append({**summary, "issues": len(report.issues),
                            "warnings": len(report.warnings)})  # fmt: skip
    say("relations : programmes nationaux, structures porteuses")
    first = derive_relations(db=db, user="demo")
    say("identités : doublons entre sources")
    resolution = review.run(db=db, user="demo")
    say("relations : structures porteuses des acteurs fusionnés")
    relations = _after_merges(first, derive_relations(db=db, user="demo"))
    say(f"besoins calculés : communes à plus de {distance_km:g} km d'un lieu")
    computed = compute_distance_needs(
        db=db, rule=DistanceRule(distance_km=distance_km), user="demo"
    )
    relations["coverage"] = relation_coverage(db=db)
    found = {"candidates": resolution.candidates, "merged": resolution.merged,
             "groups": len(resolution.merges), "queued": resolution.queued}  # fmt: skip
    return {"reference": reference["reference"], "imports": reports, "relations": relations,
            "resolution": found, "needs": computed, "counts": demo_counts(db=db)}  # fmt: skip


def _after_merges(first: dict[str, Any], second: dict[str, Any]) -> dict[str, Any]:
    """The relations of both passes: the second one, run once duplicates are merged
    (a holder's SIREN carried by two records is one actor's), gives the report; the
    links and actors created are those of both."""
    created = Counter(first["created"]) + Counter(second["created"])
    return {**second, "created": dict(created),
            "actors_created": first["actors_created"] + second["actors_created"],
            "batch_ids": [*first["batch_ids"], *second["batch_ids"]]}  # fmt: skip


def _grouped(conn: sa.Connection, query: sa.Executable) -> dict[str, int]:
    return {str(key): int(count) for key, count in conn.execute(query)}


def demo_counts(*, db: sa.Engine) -> dict[str, Any]:
    """Live actors per world, links per kind, actors per région, per territory level
    the number of territories, of those with actors, and of needs, and the coverage of
    actors (``coverage``: with a known world, with a category, and
    :func:`~maillage.services.places.place_counts`)."""
    world = sa.func.coalesce(actor.c.world, "unknown")
    with db.connect() as conn:
        levels, regions = _levels(conn)
        return {
            "coverage": _coverage(conn),
            "actors_by_world": _grouped(conn, sa.select(world, sa.func.count())
                                        .where(actor.c.deleted_at.is_(None)).group_by(world)),
            "links_by_kind": _grouped(conn, sa.select(link.c.kind, sa.func.count())
                                      .where(link.c.deleted_at.is_(None)).group_by(link.c.kind)),
            "actors_by_region": regions,
            "territories_by_level": levels,
        }  # fmt: skip


def _coverage(conn: sa.Connection) -> dict[str, Any]:
    """Live actors, those of a known world, those with a category, and the places of
    those having an address, a postcode or a commune (shares rounded to 0.1 %)."""
    live = actor.c.deleted_at.is_(None)
    known = sa.func.sum(sa.case((actor.c.world.is_not(None) & (actor.c.world != "unknown"), 1),
                                else_=0))  # fmt: skip
    categorised = sa.func.sum(sa.case((sa.func.coalesce(actor.c.category, "") != "", 1), else_=0))
    total, worlds, categories = conn.execute(
        sa.select(sa.func.count(), known, categorised).where(live)
    ).one()
    places = place_counts(conn)
    return {
        "actors": int(total),
        "worlds_known": int(worlds or 0),
        "worlds_share": round(int(worlds or 0) / total, 3) if total else 0.0,
        "categories_known": int(categories or 0),
        "categories_share": round(int(categories or 0) / total, 3) if total else 0.0,
        "addressed": places.addressed,
        "placed": places.placed,
        "approximate": places.approximate,
        "places_share": round(places.share, 3),
    }


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
