"""``maillage import FORMAT FILE``: generic tables, the national formats, needs and indicators.

Every command calls :func:`maillage.services.importing.import_file` (the format's parser,
then one import service: one import is one ImportRun and one audit batch) and prints its
report. Options are shared: ``--map COLUMN=FIELD`` (for the national formats, a column
or key renamed to the schema's name before parsing), ``--sheet NAME`` (the worksheet of
a workbook), ``--source``, ``--dry-run``, ``--partial``, ``--report FILE`` and ``--json``
(the last line printed is one JSON object). The formats that carry links take
``--map-kind KIND=CODE`` (repeatable): a link kind of the file mapped to one of ours.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
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
    shortened,
    shown_value,
)
from maillage.cli.demo import print_relation_report
from maillage.model.errors import InvalidInput
from maillage.model.records import ImportIssue
from maillage.services.importing import FORMATS, ImportReport, import_file
from maillage.services.importing.report import write_report

EXAMPLES = {
    "actors": "maillage import actors acteurs.csv --dry-run",
    "links": "maillage import links liens.csv --partial",
    "lieux": "maillage import lieux lieux-cnfs-idf.json",
    "data-inclusion": "maillage import data-inclusion structures.json --partial",
    "scdl": "maillage import scdl subventions.csv --repair",
    "decp": "maillage import decp decp.json --partial",
    "france-services": "maillage import france-services liste-fs.csv",
    "kumu": "maillage import kumu carte.xlsx",
    "gexf": "maillage import gexf reseau.gexf",
    "graphml": "maillage import graphml reseau.graphml",
    "needs": "maillage import needs besoins.csv --partial",
    "indicators": "maillage import indicators taux_couverture_mobile.csv --partial --year 2020",
}
"""The formats with a command, and the example that ends its help."""
LINK_FORMATS = ("links", "kumu", "gexf", "graphml")
"""The formats whose files carry link kinds (``--map-kind``)."""


def _mapping(
    pairs: tuple[str, ...], option: str = "--map", shape: tuple[str, str] = ("COLONNE=CHAMP",
                                                                          "COLUMN=FIELD"),
) -> dict[str, str] | None:  # fmt: skip
    mapping = {}
    for pair in pairs:
        column, sep, target = pair.partition("=")
        if not sep:
            raise InvalidInput(option, pair, f"forme attendue {shape[0]}", f"expected {shape[1]}")
        mapping[column.strip()] = target.strip()
    return mapping or None


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
    sheet: str | None = None
    kind_pairs: tuple[str, ...] = ()


def _progress(as_json: bool) -> Progress:
    return Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
        TimeElapsedColumn(), console=console, transient=True, disable=as_json,
    )  # fmt: skip


def run_import(fmt: str, file: Path, options: Options) -> ImportReport:
    """Import ``file`` as ``fmt`` (one service call) with a progress bar; returns the report."""
    mapping = _mapping(options.map_pairs)
    kind_map = _mapping(options.kind_pairs, "--map-kind", ("TYPE=CODE", "KIND=CODE"))
    db = engine_for(options.db_url)
    with _progress(options.as_json) as bar:
        task = bar.add_task(f"Lecture de {file.name}", total=None)

        def show(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total, description=f"Import {file.name}")

        return import_file(
            db=db, fmt=fmt, path=file, source=options.source, mapping=mapping,
            partial=options.partial, dry_run=options.dry_run, repair=options.repair,
            year=options.year, progress=show, sheet=options.sheet, kind_map=kind_map,
        )  # fmt: skip


def _finish(report: ImportReport, options: Options) -> None:
    if options.report_path:
        write_report(report, options.report_path)
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
    if not report.rows and not report.lines:  # nothing wrong was read, but nothing at all
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
    "records": "enregistrements (contrats, subventions, éléments de graphe)",
}
_COUNT_WORDS = {
    "created": "créés",
    "updated": "mis à jour",
    "merged": "fusionnés",
    "unchanged": "inchangés",
    "rejected": "rejetés",
}


def _not_written(n: int) -> str:
    """What follows the rejected count of a refused import: how many rows were valid."""
    return f" (dont {n} valide(s) non écrite(s))" if n else ""


def _print(report: ImportReport) -> None:
    verdict = {
        "done": "importé",
        "dry_run": "simulation (rien n'est écrit)",
        "failed": "refusé : rien n'a été écrit",
    }[report.status]
    if report.rows == 0 and report.status != "failed":
        verdict = "rien à importer"
    console.print(f"[bold]{report.file}[/bold] — {verdict} (source « {report.source} »)")
    lines = report.rows if report.lines is None else report.lines
    read = (
        f"lignes {lines}"
        if lines == report.rows
        else (f"lignes {lines} · enregistrements {report.rows}")
    )  # a row of a SCDL or DECP file gives several records
    console.print(
        f"  {read} · créés {report.created} · mis à jour {report.updated} · "
        f"fusionnés {report.merged} · inchangés {report.unchanged} · rejetés {report.rejected}"
        + _not_written(report.not_written)
    )
    entities = {e: c for e, c in report.details.items() if any(c.values())}
    for entity, counts in (entities or report.details).items():
        shown = " · ".join(f"{_COUNT_WORDS[k]} {v}" for k, v in counts.items()
                           if v and k in _COUNT_WORDS)  # fmt: skip
        shown += _not_written(counts.get("not_written", 0))
        console.print(f"  {_ENTITY_WORDS.get(entity, entity)} : {shown or 'rien'}")
    if report.not_written:
        console.print(
            "  rien n'est écrit tant qu'une ligne est rejetée : corrigez-la, ou --partial "
            "pour garder les lignes valides",
            highlight=False,
        )
    if len(report.issues) > report.rejected:  # a row may break several rules
        console.print(f"  {len(report.issues)} erreurs pour {report.rejected} rejet(s) :")
    issues = sorted(report.issues, key=lambda i: (i.row is None, i.row or 0))
    for issue in issues[:20]:
        console.print(f"  [red]•[/red] {_issue_line(issue)}", highlight=False)
    if len(issues) > 20:
        console.print(f"  … et {len(issues) - 20} autres (--report FICHIER pour la liste)")
    if report.warnings:
        console.print(f"  {len(report.warnings)} avertissement(s) (réparations) : --report")
    if report.batch_id:
        console.print(f"  Annuler cet import : maillage undo --batch {report.batch_id}")
    if report.relations is not None:
        _print_relations(report.relations)


def _print_relations(relations: dict[str, Any]) -> None:
    """The relations drawn after the import: links created per kind, then per rule and
    per reason left (:func:`maillage.services.relations.derive_relations`)."""
    created = relations["created"]
    shown = " · ".join(f"{kind} {n}" for kind, n in sorted(created.items())) or "aucun nouveau"
    console.print(f"  relations tirées des données : {shown} · acteurs créés "
                  f"{relations['actors_created']}", highlight=False)  # fmt: skip
    print_relation_report(relations["report"])
    for batch_id in relations["batch_ids"]:
        console.print(f"  Annuler ces relations : maillage undo --batch {batch_id}")


MESSAGE_LIMIT = 600
"""Characters of an issue's message shown on a terminal: a message lists the known link
kinds or the candidates of a name with the key to write for each; past this, a value
quoted in it is long (``--report`` and ``--json`` keep it whole)."""


def _issue_line(issue: ImportIssue) -> str:
    """One rejected row for the terminal, its value shortened (the --report file and
    --json keep the whole value)."""
    line = str(replace(issue, value=None, message=shortened(issue.message, MESSAGE_LIMIT)))
    if issue.value is None or issue.value == "":
        return line
    return f"{line} ({shown_value(issue.value)})"


def _shared_options(func: Callable[..., Any]) -> Callable[..., Any]:
    for option in reversed([
        click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path)),
        click.option("--source", default=None,
                     help="Nom de la source (défaut : celui du format, ou le dossier du fichier)."),
        click.option("--map", "map_pairs", multiple=True, help="COLONNE=CHAMP, répétable."),
        click.option("--sheet", default=None, metavar="NOM",
                     help="Feuille du classeur à lire (défaut : celle du nom du format, "
                     "« links » pour des liens, sinon la première)."),
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
    @click.option("--map-kind", "kind_pairs", multiple=True, metavar="TYPE=CODE",
                  hidden=fmt not in LINK_FORMATS,
                  help="Rattacher un type de lien du fichier à l'un des nôtres "
                  "(partenaire=partnership), répétable. Un type inconnu rejette sa ligne "
                  "en listant les types connus.")  # fmt: skip
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


for _fmt, _example in EXAMPLES.items():
    import_group.add_command(_import_command(_fmt, FORMATS[_fmt].what, _example))
