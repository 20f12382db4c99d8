"""``maillage solution``: digital solutions from a spreadsheet, their list, their CSV
export and the CSR summary of their evaluations (thin over
:mod:`maillage.services.solutions` and :mod:`maillage.services.evaluation`)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from maillage.cli.common import (
    console,
    db_option,
    emit_json,
    engine_for,
    handle_errors,
    json_option,
)
from maillage.model.errors import InvalidInput
from maillage.services import evaluation, solutions
from maillage.services import solution_demo as solution_demo_service
from maillage.services.portal.export import generate_csv


@click.group("solution")
def solution_group() -> None:
    """Solutions numériques : importer, lister, exporter, évaluations. / Digital solutions."""


@solution_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--sheet", default=None, help="Feuille d'un classeur XLSX / Workbook sheet.")
@db_option
@json_option
@handle_errors
def solution_import(file: Path, sheet: str | None, db_url: str, as_json: bool) -> None:
    """Importer des solutions d'un CSV ou XLSX, tout ou rien. / Import solutions, all or nothing.

    Colonnes : nom, type (plateforme, application, service, dispositif), description,
    licence, code ouvert, données ouvertes, site, porteurs (numéros d'acteurs ou SIRET,
    séparés par « ; »), territoires, thèmes, besoins, ressources (« titre|https://… »).
    Une cellule fautive est nommée par fichier, ligne et colonne ; rien n'est écrit.

    Exemple : maillage solution import solutions.xlsx --sheet Solutions
    """
    batch_id, ids = solutions.import_solutions(db=engine_for(db_url), path=file, sheet=sheet)
    if as_json:
        emit_json({"batch": batch_id, "ids": ids})
    else:
        console.print(f"{len(ids)} solutions importées (lot {batch_id})")


@solution_group.command("list")
@click.option("--territory", default=None, help="ex. DEP:59")
@click.option("--theme", default=None)
@db_option
@json_option
@handle_errors
def solution_list(territory: str | None, theme: str | None, db_url: str, as_json: bool) -> None:
    """Lister les solutions et leur synthèse RSO (sur 100). / List solutions and CSR summary.

    Exemple : maillage solution list --territory DEP:59 --json
    """
    db = engine_for(db_url)
    codes = solutions.territory_family(db=db, code=territory) if territory else None
    found = solutions.list_solutions(db=db, territories=codes, theme=theme)
    summaries = evaluation.solution_summaries(db=db, solution_ids=[s["id"] for s in found])
    rows = [{"id": s["id"], "name": s["name"], "kind": s["kind"],
             **{d: round(v * 100) for d, v in summaries[s["id"]]["dimensions"].items()},
             "evaluators": summaries[s["id"]]["evaluators"]} for s in found]  # fmt: skip
    if as_json:
        emit_json(rows)
        return
    for r in rows:
        console.print(" · ".join(f"{k}: {v}" for k, v in r.items()), highlight=False)


@solution_group.command("export")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Fichier CSV (défaut : la sortie standard) / CSV file (default: stdout).")  # fmt: skip
@db_option
@handle_errors
def solution_export(output: Path | None, db_url: str) -> None:
    """Exporter les solutions en CSV (relisible par « solution import »). / Export as CSV.

    Exemple : maillage solution export -o solutions.csv
    """
    rows = solutions.solution_rows(db=engine_for(db_url))
    handle = output.open("w", newline="", encoding="utf-8") if output else sys.stdout
    try:
        for chunk in generate_csv(rows, list(solutions.COLUMNS)):
            handle.write(chunk)
    finally:
        if output:
            handle.close()


@solution_group.command("demo")
@click.argument("directory", required=False,
                type=click.Path(exists=True, file_okay=False, path_type=Path))  # fmt: skip
@click.option("--limit", type=click.IntRange(1, None), default=None)
@db_option
@json_option
@handle_errors
def solution_demo(directory: Path | None, limit: int | None, db_url: str, as_json: bool) -> None:
    """Solutions de démo : les Startups d'État de beta.gouv.fr, depuis une copie locale
    (licence non commerciale : jamais livrées avec maillage). / Demo solutions.

    Sans DIRECTORY : shared/data/resources/betagouv-startups à côté du dépôt.

    Exemple : maillage solution demo ../shared/data/resources/betagouv-startups
    """
    found = directory or solution_demo_service.find_startups()
    if found is None:
        raise InvalidInput("directory", None, "aucune copie locale des Startups d'État",
                           "no local copy of the Startups d'État")  # fmt: skip
    done = solution_demo_service.load_startups(db=engine_for(db_url), directory=found, limit=limit)
    if as_json:
        emit_json(done)
    else:
        console.print(f"{done['solutions']} solutions de démo, {done['carriers']} porteurs")
