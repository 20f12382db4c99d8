"""``maillage import FORMAT FILE``: generic tables and the national formats.

Every command reads its file with the format's parser (:mod:`maillage.io`), then
calls one import service: one import is one ImportRun and one audit batch. Options
are shared: ``--map COLUMN=FIELD`` (for the national formats, a column or key renamed
to the schema's name before parsing), ``--source``, ``--dry-run``, ``--partial``,
``--report FILE`` and ``--json`` (the last line printed is one JSON object).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from maillage.cli.common import (
    console,
    db_option,
    emit_json,
    engine_for,
    err_console,
    handle_errors,
)
from maillage.io.data_inclusion import parse_data_inclusion, read_data_inclusion_xlsx
from maillage.io.decp import decp_records, parse_decp
from maillage.io.france_services import parse_france_services
from maillage.io.gexf import read_gexf
from maillage.io.graphml import read_graphml
from maillage.io.kumu import read_kumu
from maillage.io.mediation import parse_lieux_csv, parse_lieux_json
from maillage.io.reading import Table, read_csv_table, read_table
from maillage.io.result import ParseResult
from maillage.io.scdl import parse_scdl
from maillage.io.tabular import parse_actor_table, parse_link_table
from maillage.model.errors import InvalidInput
from maillage.services import importing, needs
from maillage.services.importing import ImportReport
from maillage.storage.bulk import paused_gc


@dataclass
class Parsed:
    """A file read by a format's parser, with the file row of each record when known."""

    result: ParseResult
    actor_rows: list[int | None] | None = None
    link_rows: list[int | None] | None = None


Reader = Callable[[Path, dict[str, str] | None, str, bool], Parsed]


def _renamed(table: Table, mapping: Mapping[str, str] | None) -> Table:
    """Rename columns (``--map COLUMN=FIELD``) before a format's parser reads them."""
    if not mapping:
        return table
    for row in table.rows:  # the rows are built under the file's own header first
        row.values = {mapping.get(k, k): v for k, v in row.values.items()}
    table.header = [mapping.get(c, c) for c in table.header]
    return table


def _renamed_records(records: Any, mapping: Mapping[str, str] | None) -> list[dict[str, Any]]:
    if not isinstance(records, list):
        raise InvalidInput("FILE", type(records).__name__, "tableau JSON attendu", "JSON array")
    return [{(mapping or {}).get(k, k): v for k, v in r.items()} for r in records]


def _rows_of(table: Table, result: ParseResult) -> list[int | None]:
    """File rows of the records of a generic table (one record per kept row)."""
    rejected = set(result.rejected_rows)
    return [n for n in table.numbers if n not in rejected]


def _generic(kind: str) -> Reader:
    def read(path: Path, mapping: dict[str, str] | None, source: str, repair: bool) -> Parsed:
        table = read_table(path)
        parse = parse_actor_table if kind == "actors" else parse_link_table
        result = parse(table, mapping, source=source)
        rows = _rows_of(table, result)
        return Parsed(result, rows, None) if kind == "actors" else Parsed(result, None, rows)

    return read


def _lieux(path: Path, mapping: dict[str, str] | None, source: str, repair: bool) -> Parsed:
    if path.suffix.lower() == ".json":
        data = json.loads(path.read_text("utf-8"))
        result = parse_lieux_json(_renamed_records(data, mapping), file=path.name, source=source)
    else:
        result = parse_lieux_csv(_renamed(read_csv_table(path), mapping), source=source)
    importing.qualify_keys(result.actors)
    return Parsed(result)


def _data_inclusion(
    path: Path, mapping: dict[str, str] | None, source: str, repair: bool
) -> Parsed:
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        _no_mapping(mapping, "classeur data·inclusion")
        return Parsed(read_data_inclusion_xlsx(path, source=source))
    if suffix == ".json":
        records = _renamed_records(json.loads(path.read_text("utf-8")), mapping)
        return Parsed(parse_data_inclusion(records, file=path.name, source=source))
    return Parsed(parse_data_inclusion(_renamed(read_table(path), mapping), source=source))


def _scdl(path: Path, mapping: dict[str, str] | None, source: str, repair: bool) -> Parsed:
    table = _renamed(read_table(path), mapping)
    return Parsed(parse_scdl(table, repair=repair, source=source))


def _decp(path: Path, mapping: dict[str, str] | None, source: str, repair: bool) -> Parsed:
    records = _renamed_records(decp_records(json.loads(path.read_text("utf-8"))), mapping)
    return Parsed(parse_decp(records, file=path.name, source=source))


def _france_services(
    path: Path, mapping: dict[str, str] | None, source: str, repair: bool
) -> Parsed:
    return Parsed(parse_france_services(_renamed(read_table(path), mapping), source=source))


def _graph(reader: Callable[[Path], ParseResult], what: str) -> Reader:
    def read(path: Path, mapping: dict[str, str] | None, source: str, repair: bool) -> Parsed:
        _no_mapping(mapping, what)
        return Parsed(reader(path))

    return read


def _kumu(path: Path, mapping: dict[str, str] | None, source: str, repair: bool) -> Parsed:
    _no_mapping(mapping, "classeur Kumu")
    return Parsed(read_kumu(path, source=source))


def _no_mapping(mapping: dict[str, str] | None, what: str) -> None:
    if mapping:
        raise InvalidInput(
            "--map",
            ", ".join(f"{k}={v}" for k, v in mapping.items()),
            f"--map ne s'applique pas à un {what} (colonnes fixées par le format)",
            f"--map does not apply to a {what}",
        )


@dataclass(frozen=True)
class Format:
    """One importable format: its reader, default source and help text."""

    reader: Reader
    source: str | None  # None: the file's folder (generic tables) or its stem (graphs)
    what: str
    example: str


FORMATS: dict[str, Format] = {
    "actors": Format(_generic("actors"), None, "des acteurs (CSV, XLSX)",
                     "maillage import actors acteurs.csv --dry-run"),
    "links": Format(_generic("links"), None, "des liens (CSV, XLSX) entre acteurs d'une "
                    "même source ou nommés par SIRET/SIREN/RNA",
                    "maillage import links liens.csv --partial"),
    "lieux": Format(_lieux, "cartographie-nationale", "des lieux de médiation numérique "
                    "(CSV schéma 1.0.2 ou export JSON de la cartographie nationale)",
                    "maillage import lieux lieux-cnfs-idf.json"),
    "data-inclusion": Format(_data_inclusion, "data-inclusion", "des structures "
                             "data·inclusion (JSON, CSV ou classeur)",
                             "maillage import data-inclusion structures.json --partial"),
    "scdl": Format(_scdl, "scdl-subventions", "des subventions SCDL (financeurs, "
                   "bénéficiaires et liens de financement)",
                   "maillage import scdl subventions.csv --repair"),
    "decp": Format(_decp, "decp", "des marchés publics DECP (acheteurs, titulaires et "
                   "contrats)", "maillage import decp decp.json --partial"),
    "france-services": Format(_france_services, "france-services", "la liste des France "
                              "Services", "maillage import france-services liste-fs.csv"),
    "kumu": Format(_kumu, None, "un classeur Kumu (éléments et connexions)",
                   "maillage import kumu carte.xlsx"),
    "gexf": Format(_graph(read_gexf, "fichier GEXF"), None, "un réseau GEXF (Gephi)",
                   "maillage import gexf reseau.gexf"),
    "graphml": Format(_graph(read_graphml, "fichier GraphML"), None, "un réseau GraphML",
                      "maillage import graphml reseau.graphml"),
}  # fmt: skip
GRAPHS = ("kumu", "gexf", "graphml")


def default_source(fmt: str, file: Path) -> str:
    """The source name of an import when ``--source`` is not given."""
    spec = FORMATS.get(fmt)
    if spec is not None and spec.source is not None:
        return spec.source
    return file.stem if fmt in GRAPHS else file.resolve().parent.name


def _mapping(pairs: tuple[str, ...]) -> dict[str, str] | None:
    mapping = {}
    for pair in pairs:
        column, sep, target = pair.partition("=")
        if not sep:
            raise InvalidInput(
                "--map", pair, "forme attendue COLONNE=CHAMP", "expected COLUMN=FIELD"
            )
        mapping[column.strip()] = target.strip()
    return mapping or None


def _write_report(report: ImportReport, path: Path) -> None:
    columns = ["file", "row", "field", "value", "message", "severity"]
    rows = [{c: getattr(i, c) for c in columns} for i in (*report.issues, *report.warnings)]
    if path.suffix.lower() == ".json":
        path.write_text(json.dumps(rows, ensure_ascii=False, indent=1, default=str), "utf-8")
        return
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)


@dataclass
class Options:
    """What the user asked for, shared by every ``import`` command."""

    db_url: str
    source: str | None
    map_pairs: tuple[str, ...]
    dry_run: bool
    partial: bool
    report_path: Path | None
    as_json: bool
    repair: bool = False
    year: int | None = None


def _progress(as_json: bool) -> Progress:
    return Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
        TimeElapsedColumn(), console=console, transient=True, disable=as_json,
    )  # fmt: skip


def run_import(fmt: str, file: Path, options: Options) -> ImportReport:
    """Read ``file`` as ``fmt`` and import it (one service call); returns the report."""
    source = options.source or default_source(fmt, file)
    mapping = _mapping(options.map_pairs)
    db = engine_for(options.db_url)
    with _progress(options.as_json) as bar, paused_gc():  # parsing too
        task = bar.add_task(f"Lecture de {file.name}", total=None)
        common: dict[str, Any] = {
            "db": db, "source": source, "partial": options.partial,
            "dry_run": options.dry_run,
            "progress": lambda done, total: bar.update(task, completed=done, total=total,
                                                       description=f"Import {file.name}"),
        }  # fmt: skip
        if fmt in ("needs", "indicators"):
            table = read_table(file)
            if fmt == "needs":
                return needs.import_needs(table=table, mapping=mapping, **common)
            return needs.import_indicators(
                table=table, mapping=mapping, year=options.year, **common
            )
        parsed = FORMATS[fmt].reader(file, mapping, source, options.repair)
        result = parsed.result
        return importing.import_records(
            kind=fmt, actor_records=result.actors, link_records=result.links, file=str(file),
            parse_issues=result.issues, rows=result.rows, parse_rejected=result.rejected,
            actor_rows=parsed.actor_rows, link_rows=parsed.link_rows, **common,
        )  # fmt: skip


def _finish(report: ImportReport, options: Options) -> None:
    if options.report_path:
        _write_report(report, options.report_path)
    data = report.to_dict()
    if options.report_path:
        data["issues"] = len(report.issues)
        data["warnings"] = len(report.warnings)
    if options.as_json:
        emit_json(data)
    else:
        _print(report)
    if report.status == "failed":
        raise SystemExit(1)
    if report.rows == 0:  # nothing wrong was read, but nothing was read at all
        err_console.print(
            "[yellow]Attention[/yellow] : aucune ligne lue dans ce fichier : est-il vide, ou"
            " d'un autre format que celui de la commande ? / no row read: empty file or"
            " another format?",
            highlight=False,
        )


_ENTITY_WORDS = {
    "actors": "acteurs",
    "links": "liens",
    "needs": "besoins",
    "indicators": "indicateurs",
    "solutions": "solutions",
}
_COUNT_WORDS = {
    "created": "créés",
    "updated": "mis à jour",
    "merged": "fusionnés",
    "unchanged": "inchangés",
    "rejected": "rejetés",
}


def _print(report: ImportReport) -> None:
    verdict = {
        "done": "importé",
        "dry_run": "simulation (rien n'est écrit)",
        "failed": "refusé : rien n'a été écrit",
    }[report.status]
    if report.rows == 0 and report.status != "failed":
        verdict = "rien à importer"
    console.print(f"[bold]{report.file}[/bold] — {verdict} (source « {report.source} »)")
    console.print(
        f"  lignes {report.rows} · créés {report.created} · mis à jour {report.updated} · "
        f"fusionnés {report.merged} · inchangés {report.unchanged} · rejetés {report.rejected}"
    )
    for entity, counts in report.details.items():
        shown = " · ".join(f"{_COUNT_WORDS.get(k, k)} {v}" for k, v in counts.items() if v)
        console.print(f"  {_ENTITY_WORDS.get(entity, entity)} : {shown or 'rien'}")
    for issue in report.issues[:20]:
        console.print(f"  [red]•[/red] {issue}", highlight=False)
    if len(report.issues) > 20:
        console.print(f"  … et {len(report.issues) - 20} autres (--report FICHIER pour la liste)")
    if report.warnings:
        console.print(f"  {len(report.warnings)} avertissement(s) (réparations) : --report")
    if report.batch_id:
        console.print(f"  Annuler cet import : maillage undo --batch {report.batch_id}")


def _shared_options(func: Callable[..., Any]) -> Callable[..., Any]:
    for option in reversed([
        click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path)),
        click.option("--source", default=None,
                     help="Nom de la source (défaut : celui du format, ou le dossier du fichier)."),
        click.option("--map", "map_pairs", multiple=True, help="COLONNE=CHAMP, répétable."),
        click.option("--dry-run", is_flag=True, help="Valider et prévisualiser sans écrire."),
        click.option("--partial", is_flag=True, help="Garder les lignes valides."),
        click.option("--report", "report_path", type=click.Path(dir_okay=False, path_type=Path),
                     help="Rapport des lignes rejetées et réparées (.csv ou .json)."),
        click.option("--json", "as_json", is_flag=True, help="Sortie JSON (dernière ligne)."),
        db_option,
    ]):  # fmt: skip
        func = option(func)
    return func


def _import_command(fmt: str, what: str, example: str) -> click.Command:
    @click.command(fmt, help=f"Importer {what}. / Import {fmt}.\n\nExemple : {example}")
    @_shared_options
    @click.option("--repair", is_flag=True, hidden=fmt != "scdl",
                  help="Appliquer les réparations signalées (SIRET lu comme nombre, dates "
                  "françaises ou Excel, virgule décimale…) avant le contrôle du schéma.")  # fmt: skip
    @click.option("--year", type=int, default=None, hidden=fmt != "indicators",
                  help="Année des valeurs quand le fichier n'a pas de colonne année.")  # fmt: skip
    @handle_errors
    def command(file: Path, **kwargs: Any) -> None:
        options = Options(**kwargs)
        _finish(run_import(fmt, file, options), options)

    return command


@click.group("import")
def import_group() -> None:
    """Importer des fichiers : une importation = un lot annulable. / Import files.

    Exemple : maillage import france-services liste-fs-20240801.csv --json
    """


for _fmt, _spec in FORMATS.items():
    import_group.add_command(_import_command(_fmt, _spec.what, _spec.example))
import_group.add_command(_import_command(
    "needs", "des besoins territoriaux (territoire, thème, publics, description, gravité, "
    "statut, date)", "maillage import needs besoins.csv --partial"))  # fmt: skip
import_group.add_command(_import_command(
    "indicators", "des indicateurs territoriaux (une colonne territoire, puis une colonne "
    "par indicateur, ou territoire/indicateur/valeur/année)",
    "maillage import indicators taux_couverture_mobile.csv --partial --year 2020"))  # fmt: skip
