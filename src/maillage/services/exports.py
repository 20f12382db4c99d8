"""Exports of a filtered view to the standard formats (CSV, XLSX, JSON, GeoJSON, GEXF,
GraphML, lieux de médiation numérique CSV).

The filters are the views' (:mod:`maillage.services.filters`): territory (actors
whose commune is in it or whose territories include it), world, category, theme, text,
link kind and period (links active during ``year_from``-``year_to``). Links are kept
when both ends are in the view. Records carry their database ids as keys, so the links
of an export name their ends by the actors' ``key``.

GeoJSON can add région or département polygons with indicators: the population, the
actors and needs of the view inside each, actors per 10,000 inhabitants, and the latest
value of every indicator stored for the territory.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from maillage.io.csvfile import generate_actors_csv, generate_links_csv
from maillage.io.geojson import generate_geojson, unplaced
from maillage.io.gexf import generate_gexf
from maillage.io.graphml import generate_graphml
from maillage.io.jsonfile import generate_json
from maillage.io.mediation import generate_lieux_csv, lieux_rows
from maillage.io.xlsx import generate_xlsx
from maillage.model.errors import InvalidInput
from maillage.model.records import ActorRecord, LinkRecord
from maillage.services.filters import (
    Filters,
    actor_conditions,
    clean_filters,
    link_conditions,
    link_scope,
)
from maillage.storage.tables import (
    actor,
    actor_sdg,
    actor_territory,
    actor_theme,
    indicator,
    link,
    link_theme,
    need,
    territory,
)

FORMATS = ("csv", "xlsx", "json", "geojson", "gexf", "graphml", "lieux-csv")
LEVELS = {"regions": "region", "departements": "departement"}
_ACTOR_COLUMNS = (
    "name", "acronym", "description", "world", "category", "digital_profile", "siren",
    "siret", "rna", "holder_siret", "holder_rna", "legal_form", "naf", "address", "postcode",
    "commune_code", "latitude", "longitude", "website", "email", "phone", "source",
    "source_ref", "classification_rule", "extra",
)  # fmt: skip
_LINK_COLUMNS = (
    "kind", "form", "subtype", "directed", "weight", "amount", "status", "start_date",
    "end_date", "purpose", "evidence", "evidence_url", "confidence", "source", "source_ref",
    "extra",
)  # fmt: skip


def _filters(conn: sa.Connection, filters: Filters | Mapping[str, Any] | None) -> Filters:
    if isinstance(filters, Filters):
        return filters
    return clean_filters(conn, dict(filters or {}))


def _many(conn: sa.Connection, table: sa.Table, owner: str, value: str,
          scope: sa.Select[Any]) -> dict[int, list[Any]]:  # fmt: skip
    """A collection (themes, territories...) of the owners in ``scope``, sorted."""
    out: dict[int, list[Any]] = defaultdict(list)
    query = sa.select(table.c[owner], table.c[value]).where(table.c[owner].in_(scope))
    for owner_id, item in conn.execute(query.order_by(table.c[owner], table.c[value])):
        out[owner_id].append(item)
    return out


def _actors(conn: sa.Connection, filters: Filters) -> list[ActorRecord]:
    """The live actors of the view, with collections and commune names, by id."""
    where = actor_conditions(conn, filters)
    scope = sa.select(actor.c.id).where(*where)
    commune = territory.alias("commune")
    query = (
        sa.select(actor.c.id, commune.c.name.label("commune_name"),
                  *(actor.c[c] for c in _ACTOR_COLUMNS))
        .select_from(actor.outerjoin(commune, commune.c.code == "COM:" + actor.c.commune_code))
        .where(*where).order_by(actor.c.id)
    )  # fmt: skip
    themes = _many(conn, actor_theme, "actor_id", "theme", scope)
    sdgs = _many(conn, actor_sdg, "actor_id", "sdg", scope)
    places = _many(conn, actor_territory, "actor_id", "territory_code", scope)
    records = []
    for row in conn.execute(query):
        data = dict(row._mapping)
        actor_id = data.pop("id")
        data["extra"] = dict(data.get("extra") or {})
        records.append(ActorRecord(**data, key=str(actor_id), id=actor_id,
                                   themes=themes.get(actor_id, []), sdgs=sdgs.get(actor_id, []),
                                   territories=places.get(actor_id, [])))  # fmt: skip
    return records


def _links(conn: sa.Connection, filters: Filters) -> list[LinkRecord]:
    """The live links of the view (both ends in it), by id."""
    where = link_conditions(filters, link_scope(conn, filters))
    query = sa.select(link.c.id, link.c.source_id, link.c.target_id, link.c.territory_code,
                      *(link.c[c] for c in _LINK_COLUMNS)).where(*where).order_by(link.c.id)  # fmt: skip
    themes = _many(conn, link_theme, "link_id", "theme", sa.select(link.c.id).where(*where))
    records = []
    for row in conn.execute(query):
        data = dict(row._mapping)
        link_id, territory_code = data.pop("id"), data.pop("territory_code")
        data["extra"] = dict(data.get("extra") or {})
        records.append(LinkRecord(**data, id=link_id, territory=territory_code,
                                  source_key=str(data["source_id"]),
                                  target_key=str(data["target_id"]),
                                  themes=themes.get(link_id, [])))  # fmt: skip
    return records


def export_view(
    *,
    db: sa.Engine,
    filters: Filters | Mapping[str, Any] | None = None,
    linked_only: bool = False,
) -> tuple[list[ActorRecord], list[LinkRecord]]:
    """Every actor and link of a filtered view, as records keyed by database id.

    ``filters`` is a :class:`Filters` or raw values (``territory``, ``world``,
    ``category``, ``theme``, ``kind``, ``year_from``, ``year_to``, ``q``) validated by
    :func:`clean_filters`, which raises InvalidInput. ``linked_only`` keeps only the
    actors that have a link in the export.
    """
    with db.connect() as conn:
        clean = _filters(conn, filters)
        actors = _actors(conn, clean)
        links = _links(conn, clean)
    if linked_only:
        ends = {i for x in links for i in (x.source_id, x.target_id)}
        actors = [a for a in actors if a.id in ends]
    return actors, links


# --- territories as polygons ---------------------------------------------------------


def _ancestors(conn: sa.Connection) -> dict[str, str | None]:
    """Parent code of every commune, arrondissement, département and EPCI."""
    query = sa.select(territory.c.code, territory.c.parent_code).where(
        territory.c.level.in_(("commune", "arrondissement_municipal", "departement", "epci"))
    )
    return {code: parent for code, parent in conn.execute(query)}


def _up(code: str | None, parents: Mapping[str, str | None], prefix: str) -> str | None:
    """The territory of ``prefix`` (``DEP:``, ``REG:``) containing ``code``."""
    seen = 0
    while code and not code.startswith(prefix) and seen < 5:
        code, seen = parents.get(code), seen + 1
    return code if code and code.startswith(prefix) else None


def _actor_places(actors: Iterable[ActorRecord]) -> Iterator[list[str]]:
    for record in actors:
        codes = [f"COM:{record.commune_code}"] if record.commune_code else []
        yield codes + [t for t in record.territories if t.startswith(("DEP:", "REG:"))]


def _latest_indicators(conn: sa.Connection, codes: list[str]) -> dict[str, dict[str, float]]:
    """The latest stored value of each indicator of each territory."""
    query = (
        sa.select(indicator.c.territory_code, indicator.c.key, indicator.c.value)
        .where(indicator.c.territory_code.in_(codes), indicator.c.deleted_at.is_(None))
        .order_by(sa.func.coalesce(indicator.c.year, 0), indicator.c.id)
    )
    found: dict[str, dict[str, float]] = defaultdict(dict)
    for code, key, value in conn.execute(query):
        found[code][key] = value
    return found


@dataclass
class _Counts:
    actors: Counter[str] = field(default_factory=Counter)
    needs: Counter[str] = field(default_factory=Counter)


def _count_inside(
    conn: sa.Connection, actors: list[ActorRecord], prefix: str, parents: Mapping[str, Any]
) -> _Counts:
    """Actors of the export and live needs inside each territory of the level."""
    counts = _Counts()
    for codes in _actor_places(actors):
        inside = {found for c in codes if (found := _up(c, parents, prefix))}
        counts.actors.update(inside)
    query = sa.select(need.c.territory_code).where(need.c.deleted_at.is_(None))
    for (code,) in conn.execute(query):
        if found := _up(code, parents, prefix):
            counts.needs[found] += 1
    return counts


def territory_features(
    *, db: sa.Engine, level: str, actors: list[ActorRecord], within: str | None = None
) -> list[dict[str, Any]]:
    """Région or département polygons (``level`` ``regions``/``departements``) with
    indicators, for :func:`maillage.io.geojson.generate_geojson`. ``within`` (a territory
    code) keeps the polygons that are it, inside it, or contain it. Raises InvalidInput."""
    if level not in LEVELS:
        raise InvalidInput("territories", level, "regions ou departements attendu",
                           "regions or departements expected")  # fmt: skip
    prefix = "REG:" if level == "regions" else "DEP:"
    with db.connect() as conn:
        parents = _ancestors(conn)
        rows = conn.execute(
            sa.select(territory.c.code, territory.c.name, territory.c.population,
                      territory.c.geometry, territory.c.parent_code)
            .where(territory.c.level == LEVELS[level], territory.c.geometry.is_not(None))
            .order_by(territory.c.code)
        ).all()  # fmt: skip
        if within:
            chain = {within, _up(within, parents, "DEP:"), _up(within, parents, "REG:")}
            rows = [r for r in rows if r.code in chain or r.parent_code == within]
        counts = _count_inside(conn, actors, prefix, parents)
        stored = _latest_indicators(conn, [r.code for r in rows])
    return [_feature(r, counts, stored.get(r.code, {})) for r in rows]


def _feature(row: Any, counts: _Counts, stored: dict[str, float]) -> dict[str, Any]:
    population = row.population or 0
    n = counts.actors[row.code]
    indicators: dict[str, Any] = {
        "population": population,
        "acteurs": n,
        "besoins": counts.needs[row.code],
        "acteurs_pour_10000_habitants": round(n * 10000 / population, 3) if population else None,
    }
    indicators.update({k: val for k, val in stored.items() if k not in indicators})
    return {"code": row.code, "name": row.name, "geometry": row.geometry,
            "indicators": indicators}  # fmt: skip


# --- lieux de médiation numérique ----------------------------------------------------

LIEUX_SERVICES = (
    "Aide aux démarches administratives", "Maîtrise des outils numériques du quotidien",
    "Insertion professionnelle via le numérique", "Utilisation sécurisée du numérique",
    "Parentalité et éducation avec le numérique", "Loisirs et créations numériques",
    "Compréhension du monde numérique", "Accès internet et matériel informatique",
    "Acquisition de matériel informatique à prix solidaire",
)  # fmt: skip
# The v0 labels of the Conseillers numériques exports, as the national map reads them.
V0_SERVICES = {
    "Prendre en main un smartphone ou une tablette": LIEUX_SERVICES[1],
    "Prendre en main un ordinateur": LIEUX_SERVICES[1],
    "Utiliser le numérique au quotidien": LIEUX_SERVICES[1],
    "Échanger avec mes proches": LIEUX_SERVICES[1],
    "Approfondir ma culture numérique": LIEUX_SERVICES[6],
    "Promouvoir la citoyenneté numérique": LIEUX_SERVICES[6],
    "Favoriser mon insertion professionnelle": LIEUX_SERVICES[2],
    "Créer et développer mon entreprise": LIEUX_SERVICES[2],
    "Réaliser des démarches administratives avec un accompagnement": LIEUX_SERVICES[0],
    "Devenir autonome dans les démarches administratives": LIEUX_SERVICES[0],
    "Soutenir la parentalité et l'éducation avec le numérique": LIEUX_SERVICES[4],
    "Créer avec le numérique": LIEUX_SERVICES[5],
    "Accéder à une connexion internet": LIEUX_SERVICES[7],
    "Accéder à du matériel": LIEUX_SERVICES[7],
    "Équiper en matériel informatique": LIEUX_SERVICES[8],
}


def lieux_services(themes: Iterable[str]) -> list[str]:
    """The themes of a place in the schema 1.0.2 ``services`` vocabulary: v0 labels
    translated, other themes (not services) left out, each service once."""
    found = [t if t in LIEUX_SERVICES else V0_SERVICES.get(t) for t in themes]
    return list(dict.fromkeys(t for t in found if t))


def _as_places(actors: list[ActorRecord]) -> list[ActorRecord]:
    return [replace(a, themes=lieux_services(a.themes)) for a in actors]


# --- files ---------------------------------------------------------------------------


@dataclass
class ExportReport:
    """What an export wrote."""

    format: str
    files: list[str]
    actors: int
    links: int
    territories: int = 0
    left_out: int = 0  # actors a format cannot carry (GeoJSON: no coordinates; lieux CSV:
    # no address, no postcode...)


def links_path(path: Path) -> Path:
    """Where the links CSV goes beside the actors CSV: ``acteurs.csv`` -> ``acteurs-liens.csv``."""
    return path.with_name(f"{path.stem}-liens{path.suffix or '.csv'}")


def _write_text(path: Path, chunks: Iterable[str]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        handle.writelines(chunks)


def export_file(
    *,
    db: sa.Engine,
    fmt: str,
    path: Path,
    filters: Filters | Mapping[str, Any] | None = None,
    excel_fr: bool = False,
    territories: str | None = None,
    linked_only: bool = False,
) -> ExportReport:
    """Write the view to ``path`` in ``fmt`` (see :data:`FORMATS`); CSV writes the links
    beside the actors (:func:`links_path`). Raises InvalidInput."""
    if fmt not in FORMATS:
        raise InvalidInput("format", fmt, "formats : " + ", ".join(FORMATS),
                           "formats: " + ", ".join(FORMATS))  # fmt: skip
    actors, links = export_view(db=db, filters=filters, linked_only=linked_only)
    report = ExportReport(fmt, [str(path)], len(actors), len(links))
    if fmt == "csv":
        dialect = "excel-fr" if excel_fr else "utf-8"
        _write_text(path, generate_actors_csv(actors, dialect=dialect))
        _write_text(links_path(path), generate_links_csv(links, dialect=dialect))
        report.files.append(str(links_path(path)))
    elif fmt == "xlsx":
        path.write_bytes(generate_xlsx(actors, links))
    elif fmt == "geojson":
        report.left_out = unplaced(actors)
        report.actors = len(actors) - report.left_out
        polygons = _polygons(db, territories, actors, filters)
        report.territories = len(polygons)
        _write_text(path, generate_geojson(actors, polygons))
    elif fmt == "lieux-csv":
        places = _as_places(actors)
        kept, _ = lieux_rows(places)
        report.left_out, report.actors, report.links = len(actors) - len(kept), len(kept), 0
        _write_text(path, generate_lieux_csv(places))
    else:
        writers: dict[str, Callable[[list[ActorRecord], list[LinkRecord]], Iterable[str]]] = {
            "json": generate_json, "gexf": generate_gexf, "graphml": generate_graphml,
        }  # fmt: skip
        _write_text(path, writers[fmt](actors, links))
    return report


def _polygons(
    db: sa.Engine,
    level: str | None,
    actors: list[ActorRecord],
    filters: Filters | Mapping[str, Any] | None,
) -> list[dict[str, Any]]:
    if level is None:
        return []
    within = filters.territory if isinstance(filters, Filters) else None
    if within is None and filters:
        with db.connect() as conn:
            within = _filters(conn, filters).territory
    return territory_features(db=db, level=level, actors=actors, within=within)
