"""``maillage coding …``: REFI-QDA import and export of the qualitative coding, the
agreement between coders and the seven hypotheses substantiated."""

from __future__ import annotations

from pathlib import Path

import click

from maillage.cli.common import (
    console,
    counted,
    db_option,
    emit_json,
    engine_for,
    handle_errors,
    json_option,
)
from maillage.model.errors import InvalidInput
from maillage.services import coding


@click.group("coding")
def coding_group() -> None:
    """Codage qualitatif (REFI-QDA) et les sept hypothèses. / Qualitative coding
    (REFI-QDA) and the seven hypotheses.

    Exemple : maillage coding import projet.qdpx && maillage coding agreement
    """


@coding_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@db_option
@json_option
@handle_errors
def coding_import(file: Path, db_url: str, as_json: bool) -> None:
    """Importer un projet REFI-QDA (.qdpx : ses textes deviennent des ressources) ou un
    livre de codes (.qdc). / Import a REFI-QDA project (.qdpx) or codebook (.qdc).

    Exemple : maillage coding import projet.qdpx
    """
    db = engine_for(db_url)
    work = coding.import_codebook if file.suffix.lower() == ".qdc" else coding.import_project
    report = work(db=db, data=file.read_bytes(), file=file.name, by="cli")
    if as_json:
        emit_json(report)
        return
    console.print(
        f"{file.name} : {counted(report['codes'], 'code', 'codes')} "
        f"({counted(report['codes_added'], 'nouveau', 'nouveaux')}), "
        f"{counted(report.get('codings', 0), 'codage', 'codages')}, "
        f"{counted(report.get('resources', 0), 'ressource', 'ressources')}, "
        f"{counted(len(report['warnings']), 'avertissement', 'avertissements')}.",
        highlight=False,
    )  # fmt: skip
    for warning in report["warnings"][:50]:
        console.print(f"  {warning['where']} : {warning['message_fr']}", highlight=False)


@coding_group.command("export")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@db_option
@handle_errors
def coding_export(file: Path, db_url: str) -> None:
    """Exporter le projet (.qdpx) ou le livre de codes (.qdc), selon l'extension. /
    Export the project (.qdpx) or the codebook (.qdc), by the file's extension.

    Exemple : maillage coding export codage.qdpx
    """
    suffix = file.suffix.lower()
    if suffix not in (".qdpx", ".qdc"):
        raise InvalidInput("file", file.name, "un fichier .qdpx ou .qdc", "a .qdpx or .qdc file")
    db = engine_for(db_url)
    data = coding.export_codebook(db=db) if suffix == ".qdc" else coding.export_project(db=db)
    file.write_bytes(data)
    console.print(f"{file} : {len(data)} octets.", highlight=False)


@coding_group.command("agreement")
@db_option
@handle_errors
def coding_agreement(db_url: str) -> None:
    """Accord entre codeurs par code (kappa de Cohen, alpha de Krippendorff), en JSON. /
    Agreement between coders per code (Cohen's kappa, Krippendorff's alpha), as JSON.

    Exemple : maillage coding agreement > accord.json
    """
    emit_json(coding.agreement(db=engine_for(db_url)))


@coding_group.command("hypotheses")
@db_option
@handle_errors
def coding_hypotheses(db_url: str) -> None:
    """Les sept hypothèses et leurs preuves, en JSON. / The seven hypotheses and their
    evidence, as JSON.

    Exemple : maillage coding hypotheses > hypotheses.json
    """
    emit_json(coding.hypotheses(db=engine_for(db_url)))
