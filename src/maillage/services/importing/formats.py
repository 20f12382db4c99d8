"""The importable formats, and :func:`import_file`: read a file with its format's parser
(:mod:`maillage.io`), then call one import service (one import is one ``import_run``
and one audit batch). Used by ``maillage import``, the demo and web uploads.

``sheet`` names the worksheet of a workbook to read (default: the one named for what
the format reads, ``links``/``liens`` for links, ``actors``/``acteurs`` for actors, as
``maillage export xlsx`` writes them, else the first); ``kind_map`` (``{kind in the
file: link kind}``) maps link kinds our list lacks. ``mapping`` (``{column: field}``) renames a column or key to the schema's name before a
national format's parser reads it (for generic tables and needs/indicators it maps a
column to a field); it is refused by the formats whose columns are fixed (graphs,
workbooks). ``network`` is a folder holding ``actors.csv`` and ``links.csv`` of one
source, imported as one batch (the shipped networks).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypedDict

import sqlalchemy as sa

from maillage.io.data_inclusion import parse_data_inclusion, read_data_inclusion_xlsx
from maillage.io.decp import decp_records, parse_decp_rows
from maillage.io.france_services import parse_france_services
from maillage.io.geojson import is_feature_collection, parse_features
from maillage.io.gexf import read_gexf
from maillage.io.graphml import read_graphml
from maillage.io.jsonfile import is_document, parse_document
from maillage.io.kumu import read_kumu
from maillage.io.mediation import parse_lieux_csv, parse_lieux_json
from maillage.io.reading import Table, read_csv_table, read_table, table_from_records
from maillage.io.result import ParseResult
from maillage.io.scdl import parse_scdl
from maillage.io.tabular import parse_actor_table, parse_link_table
from maillage.io.unreadable import (
    UnreadableFile,
    data_suffix,
    json_objects,
    load_json,
    open_workbook,
)
from maillage.model.errors import InvalidInput
from maillage.services import importing, needs  # importing: this package, used at call time
from maillage.services.importing.report import ImportReport, Progress
from maillage.services.relations import derive_relations
from maillage.storage.bulk import paused_gc

__all__ = ["FORMATS", "RELATION_FORMATS", "Format", "default_source", "import_file"]

ColumnMap = dict[str, str] | None


@dataclass
class Parsed:
    """A file read by a format's parser, with the file row of each record when known."""

    result: ParseResult
    actor_rows: list[int | None] | None = None
    link_rows: list[int | None] | None = None


class ImportOptions(TypedDict):
    """What every import service takes beside the records: see :func:`import_file`."""

    partial: bool
    dry_run: bool
    user: str
    progress: Progress | None


@dataclass(frozen=True)
class Job:
    """One import asked for: the file, what the format's reader needs, the import's options."""

    db: sa.Engine
    fmt: str
    path: Path
    source: str
    mapping: ColumnMap
    repair: bool
    year: int | None
    file: str | None
    options: ImportOptions
    sheet: str | None = None
    kind_map: Mapping[str, str] | None = None


Reader = Callable[[Job], Parsed]
Importer = Callable[[Job], ImportReport]


def _renamed(table: Table, mapping: ColumnMap) -> Table:
    """Rename columns (``COLUMN=FIELD``) before a format's parser reads them."""
    if not mapping:
        return table
    for row in table.rows:  # the rows are built under the file's own header first
        row.values = _renamed_values(row.values, mapping)
    table.header = list(dict.fromkeys(mapping.get(c, c) for c in table.header))
    return table


def _renamed_values(values: Mapping[str, Any], mapping: Mapping[str, str]) -> dict[str, Any]:
    """``values`` with their keys renamed; a column renamed to a name the file also has
    (``X=longitude`` next to a ``longitude`` column) wins where its cell is not empty,
    the file's own column giving the others."""
    out: dict[str, Any] = {}
    for key, value in values.items():
        name = mapping.get(key, key)
        if (
            name not in out
            or (key in mapping and not _blank(value))
            or (key not in mapping and _blank(out[name]))
        ):
            out[name] = value
    return out


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _renamed_records(
    records: Sequence[Mapping[str, Any]], mapping: ColumnMap
) -> list[dict[str, Any]]:
    """Rename keys (``COLUMN=FIELD``) of JSON records (an array of objects, as
    :func:`~maillage.io.unreadable.json_objects` or ``decp_records`` give them)."""
    if not mapping:
        return [dict(r) for r in records]
    return [_renamed_values(r, mapping) for r in records]


def _no_mapping(mapping: ColumnMap, what: str) -> None:
    if mapping:
        raise InvalidInput(
            "--map",
            ", ".join(f"{k}={v}" for k, v in mapping.items()),
            f"--map ne s'applique pas à un {what} (colonnes fixées par le format)",
            f"--map does not apply to a {what}",
        )


def _rows_of(table: Table, result: ParseResult) -> list[int | None]:
    """File rows of the records of a generic table (one record per kept row)."""
    rejected = set(result.rejected_rows)
    return [n for n in table.numbers if n not in rejected]


WORKBOOKS = (".xlsx", ".xlsm")
ARCHIVES = (".gz", ".zip")  # read by maillage.io.unreadable.read_data; --sheet names a member
SHEETS = {"links": ("links", "liens"), "actors": ("actors", "acteurs")}
"""The worksheet read by default for each generic format, when a workbook has it (the
sheets of ``maillage export xlsx``)."""


def _sheet(job: Job, kind: str | None = None) -> str | int | None:
    """The worksheet of ``job``'s workbook to read: ``--sheet``, else the one named for
    ``kind`` (:data:`SHEETS`), else the first; in a ``.zip``, the member ``--sheet``
    names. Raises InvalidInput for ``--sheet`` on a file that is neither."""
    if job.path.suffix.lower() in ARCHIVES:
        return _member(job)
    if job.path.suffix.lower() not in WORKBOOKS:
        if job.sheet is not None:
            raise InvalidInput("--sheet", job.sheet, "--sheet ne s'applique qu'à un classeur "
                               "(.xlsx)", "--sheet applies to a workbook (.xlsx) only")  # fmt: skip
        return None
    if job.sheet is not None:
        return job.sheet
    if kind in SHEETS:
        workbook = open_workbook(job.path, job.path.name, read_only=True)
        names: dict[str, str] = {str(name).casefold(): str(name) for name in workbook.sheetnames}
        workbook.close()
        for wanted in SHEETS[kind]:
            if wanted in names and len(names) > 1:
                return names[wanted]
    return 0


def _member(job: Job) -> str | None:
    """The file of a ``.zip`` that ``--sheet`` names (None: its one data file)."""
    return job.sheet if job.path.suffix.lower() in ARCHIVES else None


def _no_sheet(job: Job, what: str) -> None:
    if job.sheet is not None:
        raise InvalidInput("--sheet", job.sheet, f"--sheet ne s'applique pas à un {what} "
                           "(feuilles fixées par le format)",
                           f"--sheet does not apply to a {what}")  # fmt: skip


def _read_table(job: Job, kind: str | None = None) -> Table:
    return read_table(job.path, sheet=_sheet(job, kind))


JSON_FILES = (".json", ".geojson")


def _json_records(job: Job, kind: str) -> Parsed:
    """The ``kind`` records (``actors`` or ``links``) of a JSON file: our own export
    (``maillage export json``: that part of the document, as it is), a GeoJSON
    FeatureCollection (its points, as actors), or an array of objects read as a table
    (one object a row, keys as headers, numbered from 1)."""
    member = _member(job)
    if member is None:
        _no_sheet(job, "fichier JSON")
    data, name = load_json(job.path, member), job.path.name
    if is_document(data):
        _no_mapping(job.mapping, "document JSON de maillage")
        result = parse_document(data, file=name, parts=(kind,), source=job.source)
        rejected = set(result.rejected_rows)
        kept: list[int | None] = [n for n in range(1, result.rows + 1) if n not in rejected]
        return Parsed(result, kept, None) if kind == "actors" else Parsed(result, None, kept)
    if is_feature_collection(data):
        _no_mapping(job.mapping, "fichier GeoJSON")
        if kind != "actors":
            raise UnreadableFile(name, "un GeoJSON ne porte pas de liens (ses points sont des "
                                 "acteurs : maillage import actors)", "a GeoJSON file holds "
                                 "no links (its points are actors)")  # fmt: skip
        return Parsed(parse_features(data, file=name))
    table = table_from_records(map(dict, json_objects(data, name)), file=name, start=1)
    parse = parse_actor_table if kind == "actors" else parse_link_table
    result = parse(table, job.mapping, source=job.source)
    rows = _rows_of(table, result)
    return Parsed(result, rows, None) if kind == "actors" else Parsed(result, None, rows)


def _not_ours(data: Any, name: str) -> Any:
    """``data``, unless it is our own export (a document of ``maillage export json``,
    or a GeoJSON FeatureCollection), which a national format's parser cannot read."""
    if is_document(data) or is_feature_collection(data):
        raise UnreadableFile(name, "export de maillage (JSON ou GeoJSON) : à importer avec "
                             "maillage import actors (et import links)", "a maillage export "
                             "(JSON or GeoJSON): import it with maillage import actors (and "
                             "import links)")  # fmt: skip
    return data


def _generic(kind: str) -> Reader:
    def read(job: Job) -> Parsed:
        if data_suffix(job.path, _member(job)) in JSON_FILES:
            return _json_records(job, kind)
        table = _read_table(job, kind)
        parse = parse_actor_table if kind == "actors" else parse_link_table
        result = parse(table, job.mapping, source=job.source)
        rows = _rows_of(table, result)
        return Parsed(result, rows, None) if kind == "actors" else Parsed(result, None, rows)

    return read


def _network(job: Job) -> Parsed:
    _no_mapping(job.mapping, "réseau livré")
    _no_sheet(job, "réseau livré")
    path, source = job.path, job.source
    result = parse_actor_table(read_table(path / "actors.csv"), source=source)
    result.extend(parse_link_table(read_table(path / "links.csv"), source=source))
    return Parsed(result)


def _lieux(job: Job) -> Parsed:
    path, mapping, source, member = job.path, job.mapping, job.source, _member(job)
    if data_suffix(path, member) in JSON_FILES:
        if member is None:
            _no_sheet(job, "fichier JSON")
        data = json_objects(_not_ours(load_json(path, member), path.name), path.name)
        result = parse_lieux_json(_renamed_records(data, mapping), file=path.name, source=source)
    else:
        _sheet(job)
        table = read_csv_table(path, member=member)
        result = parse_lieux_csv(_renamed(table, mapping), source=source)
    importing.qualify_keys(result.actors)
    return Parsed(result)


def _data_inclusion(job: Job) -> Parsed:
    path, mapping, source, member = job.path, job.mapping, job.source, _member(job)
    suffix = data_suffix(path, member)
    if suffix in WORKBOOKS:
        _no_mapping(mapping, "classeur data·inclusion")
        _no_sheet(job, "classeur data·inclusion")
        return Parsed(read_data_inclusion_xlsx(path, source=source))
    if suffix == ".json":
        if member is None:
            _no_sheet(job, "fichier JSON")
        data = _not_ours(load_json(path, member), path.name)
        records = _renamed_records(json_objects(data, path.name), mapping)
        return Parsed(parse_data_inclusion(records, file=path.name, source=source))
    return Parsed(parse_data_inclusion(_renamed(_read_table(job), mapping), source=source))


def _scdl(job: Job) -> Parsed:
    table = _renamed(_read_table(job), job.mapping)
    return Parsed(parse_scdl(table, repair=job.repair, source=job.source))


def _decp(job: Job) -> Parsed:
    _no_sheet(job, "fichier DECP")
    path = job.path
    records = _renamed_records(decp_records(load_json(path), path.name), job.mapping)
    result, link_rows = parse_decp_rows(records, file=path.name, source=job.source)
    return Parsed(result, None, link_rows)


def _france_services(job: Job) -> Parsed:
    table = _renamed(_read_table(job), job.mapping)
    return Parsed(parse_france_services(table, source=job.source))


def _graph(reader: Callable[[Path], ParseResult], what: str) -> Reader:
    def read(job: Job) -> Parsed:
        _no_mapping(job.mapping, what)
        _no_sheet(job, what)
        return Parsed(reader(job.path))

    return read


def _kumu(job: Job) -> Parsed:
    _no_mapping(job.mapping, "classeur Kumu")
    _no_sheet(job, "classeur Kumu")
    return Parsed(read_kumu(job.path, source=job.source))


def _records(reader: Reader) -> Importer:
    """Read the actors and links of a file, then import them as one batch."""

    def run(job: Job) -> ImportReport:
        parsed = reader(job)
        result = parsed.result
        return importing.import_records(
            db=job.db, kind=job.fmt, source=job.source, actor_records=result.actors,
            link_records=result.links, file=job.file or str(job.path),
            parse_issues=result.issues, rows=result.rows, parse_rejected=result.rejected,
            actor_rows=parsed.actor_rows, link_rows=parsed.link_rows, kind_map=job.kind_map,
            **job.options,
        )  # fmt: skip

    return run


def _table(job: Job) -> Table:
    table = _read_table(job)
    table.file = job.file or table.file
    return table


def _needs(job: Job) -> ImportReport:
    return needs.import_needs(
        db=job.db, table=_table(job), source=job.source, mapping=job.mapping, **job.options
    )


def _indicators(job: Job) -> ImportReport:
    return needs.import_indicators(
        db=job.db, table=_table(job), source=job.source, mapping=job.mapping, year=job.year,
        **job.options,
    )  # fmt: skip


@dataclass(frozen=True)
class Format:
    """One importable format: how its file is imported, its default source, what it holds."""

    run: Importer
    source: str | None  # None: the file's folder (tables) or its own name (graphs, networks)
    what: str


FORMATS: dict[str, Format] = {
    "actors": Format(_records(_generic("actors")), None, "des acteurs (CSV, XLSX, JSON, GeoJSON)"),
    "links": Format(_records(_generic("links")), None, "des liens (CSV, XLSX, JSON) entre "
                    "acteurs nommés par leur clé dans la même source, leur SIRET/SIREN/RNA, "
                    "leur numéro (n°42), leur nom, ou leur nom et code commune ou postal "
                    "(Centre social@59512)"),
    "lieux": Format(_records(_lieux), "cartographie-nationale", "des lieux de médiation "
                    "numérique (CSV schéma 1.0.2 ou export JSON de la cartographie nationale)"),
    "data-inclusion": Format(_records(_data_inclusion), "data-inclusion", "des structures "
                             "data·inclusion (JSON, CSV ou classeur)"),
    "scdl": Format(_records(_scdl), "scdl-subventions", "des subventions SCDL (financeurs, "
                   "bénéficiaires et liens de financement)"),
    "decp": Format(_records(_decp), "decp", "des marchés publics DECP (acheteurs, titulaires "
                   "et contrats)"),
    "france-services": Format(_records(_france_services), "france-services", "la liste des "
                              "France Services"),
    "kumu": Format(_records(_kumu), None, "un classeur Kumu (éléments et connexions)"),
    "gexf": Format(_records(_graph(read_gexf, "fichier GEXF")), None,
                   "un réseau GEXF (Gephi)"),
    "graphml": Format(_records(_graph(read_graphml, "fichier GraphML")), None,
                      "un réseau GraphML"),
    "network": Format(_records(_network), None, "un réseau livré (dossier avec actors.csv "
                      "et links.csv d'une même source)"),
    "needs": Format(_needs, None, "des besoins territoriaux (territoire, thème, publics, "
                    "description, gravité, statut, date)"),
    "indicators": Format(_indicators, None, "des indicateurs territoriaux (une colonne "
                         "territoire, puis une colonne par indicateur, ou "
                         "territoire/indicateur/valeur/année)"),
}  # fmt: skip
_NAMED_BY_FILE = ("kumu", "gexf", "graphml", "network")
RELATION_FORMATS = ("lieux", "france-services", "data-inclusion", "scdl", "decp")
"""The formats whose import is followed by :func:`~maillage.services.relations.derive_relations`."""


def default_source(fmt: str, path: Path) -> str:
    """The source name of an import when none is given: the format's, else the file's
    own name (graphs, networks), else the name of its folder (tables)."""
    spec = FORMATS.get(fmt)
    if spec is not None and spec.source is not None:
        return spec.source
    return path.stem if fmt in _NAMED_BY_FILE else path.resolve().parent.name


def import_file(
    *,
    db: sa.Engine,
    fmt: str,
    path: Path,
    source: str | None = None,
    mapping: Mapping[str, str] | None = None,
    partial: bool = False,
    dry_run: bool = False,
    repair: bool = False,
    year: int | None = None,
    user: str = "import",
    progress: Progress | None = None,
    file: str | None = None,
    sheet: str | None = None,
    kind_map: Mapping[str, str] | None = None,
    relations: bool = True,
) -> ImportReport:
    """Read ``path`` as ``fmt`` (a key of :data:`FORMATS`) and import it; returns the report.

    ``source`` defaults to :func:`default_source`; ``repair`` applies the SCDL repairs
    before the schema check; ``year`` is the indicators' year when the file has none;
    ``file`` names the file in the report (default: the path, or the table's name for
    needs and indicators); ``sheet`` and ``kind_map``: see the module docstring. After a
    written import of a format of :data:`RELATION_FORMATS`, ``relations`` draws the
    relations of the stored data (:func:`maillage.services.relations.derive_relations`,
    in ``report.relations``; the demo draws them once after all its files). Raises
    InvalidInput for an unknown format, a mapping or a sheet the format refuses, or a
    kind mapped to no link kind; a file's bad rows are in the report, never raised.
    """
    spec = FORMATS.get(fmt)
    if spec is None:
        raise InvalidInput("format", fmt, "formats : " + ", ".join(FORMATS),
                           "formats: " + ", ".join(FORMATS))  # fmt: skip
    options = ImportOptions(partial=partial, dry_run=dry_run, user=user, progress=progress)
    job = Job(db, fmt, Path(path), source or default_source(fmt, Path(path)),
              dict(mapping) if mapping else None, repair, year, file, options, sheet,
              dict(kind_map) if kind_map else None)  # fmt: skip
    with paused_gc():  # parsing too: millions of short-lived objects, no cycles
        report = spec.run(job)
    if relations and fmt in RELATION_FORMATS and report.status == "done" and report.rows:
        found = derive_relations(db=db, user=user)
        report.relations = {k: found[k] for k in ("created", "actors_created", "report")}
        report.relations["batch_ids"] = found["batch_ids"]
    return report
