"""``maillage import actors|links FILE``: tabular imports with a row-level report."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from rich.progress import Progress

from maillage.cli.common import console, db_option, emit_json, engine_for, handle_errors
from maillage.io.tabular import read_actors, read_links
from maillage.model.errors import InvalidInput
from maillage.services import imports
from maillage.services.imports import ImportReport


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
    rows = [
        {"file": i.file, "row": i.row, "field": i.field, "value": i.value, "message": i.message}
        for i in report.issues
    ]
    if path.suffix.lower() == ".json":
        path.write_text(json.dumps(rows, ensure_ascii=False, indent=1, default=str), "utf-8")
        return
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=["file", "row", "field", "value", "message"])
        writer.writeheader()
        writer.writerows(rows)


def _run(
    kind: str,
    file: Path,
    db_url: str,
    source: str | None,
    map_pairs: tuple[str, ...],
    dry_run: bool,
    partial: bool,
    report_path: Path | None,
    as_json: bool,
) -> None:
    source = source or file.resolve().parent.name
    reader: Callable[..., Any] = read_actors if kind == "actors" else read_links
    parsed = reader(file, _mapping(map_pairs), source=source)
    service = imports.import_actors if kind == "actors" else imports.import_links
    records = parsed.actors if kind == "actors" else parsed.links
    with Progress(console=console, transient=True, disable=as_json) as bar:
        task = bar.add_task(f"Import {file.name}", total=len(records))
        report = service(
            db=engine_for(db_url),
            records=records,
            source=source,
            file=str(file),
            parse_issues=parsed.issues,
            rows=parsed.rows,
            partial=partial,
            dry_run=dry_run,
            progress=lambda n: bar.advance(task, n),
        )
    if report_path:
        _write_report(report, report_path)
    data = report.to_dict()
    if report_path:
        data["issues"] = len(report.issues)
    if as_json:
        emit_json(data)
    else:
        _print(report)
    if report.status == "failed":
        raise SystemExit(1)


def _print(report: ImportReport) -> None:
    verdict = {
        "done": "importé",
        "dry_run": "simulation (rien n'est écrit)",
        "failed": "refusé : rien n'a été écrit",
    }[report.status]
    console.print(f"[bold]{report.file}[/bold] — {verdict}")
    console.print(
        f"  lignes {report.rows} · créés {report.created} · mis à jour {report.updated} · "
        f"inchangés {report.unchanged} · rejetés {report.rejected}"
    )
    for issue in report.issues[:20]:
        console.print(f"  [red]•[/red] {issue}", highlight=False)
    if len(report.issues) > 20:
        console.print(f"  … et {len(report.issues) - 20} autres (--report FICHIER pour la liste)")
    if report.batch_id:
        console.print(f"  Annuler cet import : maillage undo --batch {report.batch_id}")


def _import_command(kind: str, example: str) -> click.Command:
    @click.command(
        kind,
        help=f"Importer des {'acteurs' if kind == 'actors' else 'liens'} "
        f"(CSV, XLSX). / Import {kind}.\n\nExemple : {example}",
    )
    @click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--source", default=None, help="Nom de la source (défaut : dossier du fichier).")
    @click.option("--map", "map_pairs", multiple=True, help="COLONNE=CHAMP, répétable.")
    @click.option("--dry-run", is_flag=True, help="Valider et prévisualiser sans écrire.")
    @click.option("--partial", is_flag=True, help="Garder les lignes valides.")
    @click.option(
        "--report",
        "report_path",
        type=click.Path(dir_okay=False, path_type=Path),
        help="Rapport des lignes rejetées (.csv ou .json).",
    )
    @click.option("--json", "as_json", is_flag=True, help="Sortie JSON (dernière ligne).")
    @db_option
    @handle_errors
    def command(
        file: Path,
        db_url: str,
        source: str | None,
        map_pairs: tuple[str, ...],
        dry_run: bool,
        partial: bool,
        report_path: Path | None,
        as_json: bool,
    ) -> None:
        _run(kind, file, db_url, source, map_pairs, dry_run, partial, report_path, as_json)

    return command


@click.group("import")
def import_group() -> None:
    """Importer des fichiers. / Import files."""


import_group.add_command(_import_command("actors", "maillage import actors acteurs.csv --dry-run"))
import_group.add_command(_import_command("links", "maillage import links liens.csv --partial"))
