"""``maillage export FORMAT FILE``: a filtered view in a standard format."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import click

from maillage.cli.common import (
    console,
    db_option,
    emit_json,
    engine_for,
    err_console,
    handle_errors,
    json_option,
)
from maillage.model import taxonomy
from maillage.model.errors import InvalidInput
from maillage.services.exports import FORMATS, LEVELS, ExportReport, export_file


def period(text: str | None) -> tuple[str | None, str | None]:
    """``2015:2020`` -> ``("2015", "2020")``; ``2015:`` and ``:2020`` leave one end open."""
    if not text:
        return None, None
    start, sep, end = text.partition(":")
    if not sep:
        start = end = text
    if not all(p.strip().isdigit() for p in (start, end) if p.strip()):
        raise InvalidInput("--period", text, "forme attendue AAAA:AAAA (ex. 2015:2020)",
                           "expected YYYY:YYYY (e.g. 2015:2020)")  # fmt: skip
    return start.strip() or None, end.strip() or None


@click.command("export")
@click.argument("fmt", metavar="FORMAT", type=click.Choice(FORMATS))
@click.argument("file", type=click.Path(dir_okay=False, writable=True, path_type=Path))
@click.option(
    "--territory",
    default=None,
    help="Territoire : DEP:59, REG:32, EPCI:…, COM:59350, un code postal ou un nom.",
)
@click.option(
    "--world",
    default=None,
    help="Monde : " + ", ".join(t.code for t in taxonomy.load("worlds")) + ".",
)
@click.option("--category", default=None, help="Catégorie d'acteur (code ou libellé).")
@click.option("--theme", default=None, help="Thème (code ou libellé).")
@click.option("--kind", default=None, help="Type de lien (code ou libellé).")
@click.option(
    "--period",
    "period_text",
    default=None,
    help="Liens actifs pendant la période AAAA:AAAA (ex. 2015:2020).",
)
@click.option("--search", "q", default=None, help="Recherche plein texte sur les acteurs.")
@click.option("--linked-only", is_flag=True, help="Seulement les acteurs qui ont un lien.")
@click.option(
    "--excel-fr", is_flag=True, help="CSV pour Excel en français : BOM, « ; » et virgule décimale."
)
@click.option(
    "--territories",
    type=click.Choice(sorted(LEVELS)),
    default=None,
    help="GeoJSON : ajouter les polygones des régions ou départements, avec leurs indicateurs.",
)
@db_option
@json_option
@handle_errors
def export_command(fmt: str, file: Path, period_text: str | None, linked_only: bool,
                   excel_fr: bool, territories: str | None, db_url: str, as_json: bool,
                   **filters: str | None) -> None:  # fmt: skip
    """Exporter une vue filtrée : CSV, XLSX, JSON, GeoJSON, GEXF (Gephi), GraphML, lieux CSV.

    Export a filtered view. The CSV export writes the links beside the actors
    (acteurs.csv and acteurs-liens.csv).

    Exemple : maillage export gexf nord.gexf --territory DEP:59 --period 2015:2020
    """
    if excel_fr and fmt != "csv":
        raise click.UsageError("--excel-fr ne s'applique qu'au format csv")
    if territories and fmt != "geojson":
        raise click.UsageError("--territories ne s'applique qu'au format geojson")
    raw: dict[str, str | None] = {k: val for k, val in filters.items() if val}
    raw["year_from"], raw["year_to"] = period(period_text)
    with console.status(f"Export {fmt} en cours…", spinner="dots"):
        report = export_file(db=engine_for(db_url), fmt=fmt, path=file, filters=raw,
                             excel_fr=excel_fr, territories=territories,
                             linked_only=linked_only)  # fmt: skip
    if as_json:
        emit_json(asdict(report))
        return
    console.print(f"[bold]{', '.join(report.files)}[/bold] : {report.actors} acteur(s), "
                  f"{report.links} lien(s), {report.territories} territoire(s)",
                  soft_wrap=True)  # file paths are never cut  # fmt: skip
    if report.left_out and fmt == "geojson":
        _unplaced(report)
    elif report.left_out:
        console.print(f"  {report.left_out} acteur(s) sans id, nom, adresse, code postal ou "
                      "commune : non exportables au schéma des lieux")  # fmt: skip


def _unplaced(report: ExportReport) -> None:
    """Say which actors a GeoJSON file leaves out (no coordinates), louder when the file
    holds no actor at all."""
    line = (f"{report.left_out} acteur(s) sans coordonnées laissé(s) hors du fichier "
            f"(« metadata.unplaced_actors ») / {report.left_out} actor(s) without "
            "coordinates left out")  # fmt: skip
    if report.actors:
        console.print(f"  {line}", highlight=False)
        return
    err_console.print(f"[yellow]Attention[/yellow] : aucun acteur de la vue n'a de coordonnées : "
                      f"le fichier n'a aucun point ; {line}", highlight=False)  # fmt: skip
