"""``maillage import resources PATH...`` and ``maillage resources``: the resource centre.

``import resources`` reads Markdown (YAML front matter), HTML, PDF, DOCX, ODT files, the
JSONL sets and the oral transcripts (folders walked), in one audited, undoable batch;
``resources search`` runs the French full-text search with facets; ``resources export``
writes every resource as CSV or JSON; ``resources mentions`` finds the known actors a
resource names and proposes them as links.
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path
from typing import Any

import click

from maillage.cli.common import (
    console,
    counted,
    db_option,
    emit_json,
    engine_for,
    handle_errors,
)
from maillage.model.errors import InvalidInput
from maillage.services import resources as service


@click.command("resources")
@click.argument("paths", nargs=-1, required=True,
                type=click.Path(exists=True, path_type=Path))  # fmt: skip
@click.option("--type", "default_type", type=click.Choice(service.TYPES), default="study",
              show_default=True, help="Type des documents qui n'en disent pas.")  # fmt: skip
@click.option("--source", default=None, help="Nom de la source (défaut : celui du jeu).")
@click.option("--dry-run", is_flag=True, help="Lire et compter sans écrire.")
@click.option("--json", "as_json", is_flag=True, help="Sortie JSON (dernière ligne).")
@db_option
@handle_errors
def import_resources_command(paths: tuple[Path, ...], default_type: str, source: str | None,
                             dry_run: bool, as_json: bool, db_url: str) -> None:  # fmt: skip
    """Importer des ressources (fichiers ou dossiers). / Import resources.

    Markdown avec en-tête YAML, HTML, PDF, DOCX, ODT, fiches JSONL (service-public.fr,
    Ministère du Travail), transcriptions .txt à tours de parole, fiches beta.gouv.fr.
    Les adresses électroniques personnelles sont masquées.

    Exemple : maillage import resources ressources/ retour-experience.md --dry-run
    """
    summary = service.import_resources(db=engine_for(db_url), paths=list(paths), source=source,
                                       default_type=default_type, dry_run=dry_run)  # fmt: skip
    if as_json:
        emit_json(summary.as_dict())
        return
    made = summary.read - summary.already if dry_run else summary.created
    console.print(
        f"{counted(summary.read, 'ressource lue', 'ressources lues')}, "
        f"{f'{made} à créer' if dry_run else counted(made, 'créée', 'créées')}, "
        f"{counted(summary.already, 'déjà présente', 'déjà présentes')} / "
        f"{counted(summary.read, 'resource', 'resources', 'en')} read, "
        f"{made} {'to create' if dry_run else 'created'}, {summary.already} already stored"
    )  # fmt: skip
    for name, count in sorted(summary.by_source.items()):
        console.print(f"  {name or '—'} : {count}")
    if summary.batch_id:
        console.print(f"Lot / batch {summary.batch_id} (maillage undo --batch {summary.batch_id})")


@click.group("resources")
def resources_group() -> None:
    """Centre de ressources : recherche, export, acteurs cités. / Resource centre."""


def _filters(pairs: tuple[str, ...]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for pair in pairs:
        facet, sep, value = pair.partition("=")
        if not sep:
            raise InvalidInput("--facet", pair, "forme attendue FACETTE=VALEUR",
                               "expected FACET=VALUE")  # fmt: skip
        found.setdefault(facet.strip(), []).append(value.strip())
    return found


@resources_group.command("search")
@click.argument("query", default="")
@click.option("--facet", "facets", multiple=True, metavar="FACETTE=VALEUR",
              help="type, theme, territory, world, year, licence ; répétable.")  # fmt: skip
@click.option("--limit", type=int, default=20, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Sortie JSON.")
@db_option
@handle_errors
def search_command(query: str, facets: tuple[str, ...], limit: int, as_json: bool,
                   db_url: str) -> None:  # fmt: skip
    """Chercher dans les ressources (texte intégral). / Full-text search of resources.

    Exemple : maillage resources search "déclaration association" --facet type=guide
    """
    page = service.search_resources(db=engine_for(db_url), query=query,
                                    filters=_filters(facets), limit=limit)  # fmt: skip
    if as_json:
        emit_json(page.as_dict())
        return
    console.print(f"{counted(page.total, 'ressource', 'ressources')} / "
                  f"{counted(page.total, 'resource', 'resources', 'en')}")  # fmt: skip
    for hit in page.hits:
        console.print(f"[bold]{hit.id}[/bold] {hit.title} ({hit.type}, {hit.date or '—'})",
                      highlight=False)  # fmt: skip
        for passage in hit.passages:
            text = "".join(f"[reverse]{t}[/reverse]" if m else t.replace("[", "\\[")
                           for t, m in passage)  # fmt: skip
            console.print(f"   {text}", highlight=False)


@resources_group.command("export")
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), default="csv",
              show_default=True)  # fmt: skip
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Fichier (défaut : sortie standard).")  # fmt: skip
@db_option
@handle_errors
def export_command(fmt: str, output: Path | None, db_url: str) -> None:
    """Exporter toutes les ressources. / Export every resource.

    Exemple : maillage resources export --format csv -o ressources.csv
    """
    rows = service.export_resources(db=engine_for(db_url))
    stream: Any = output.open("w", encoding="utf-8", newline="") if output else sys.stdout
    try:
        if fmt == "json":
            json.dump(rows, stream, ensure_ascii=False, default=str)
            stream.write("\n")
        else:
            writer = csv.DictWriter(stream, fieldnames=service.EXPORT_COLUMNS)
            writer.writeheader()
            writer.writerows(rows)
    finally:
        if output:
            stream.close()


@resources_group.command("mentions")
@click.option("--json", "as_json", is_flag=True, help="Sortie JSON.")
@db_option
@handle_errors
def mentions_command(as_json: bool, db_url: str) -> None:
    """Proposer les acteurs cités dans les ressources. / Propose the actors resources name.

    Chaque acteur connu nommé (nom complet, nom proche, sigle) devient une proposition de
    lien ressource ↔ acteur, acceptée en un clic sur la page de la ressource.

    Exemple : maillage resources mentions
    """
    counts = service.find_mentions(db=engine_for(db_url))
    if as_json:
        emit_json(counts)
        return
    proposed, read = counts["proposed"], counts["resources"]
    console.print(f"{counted(proposed, 'proposition', 'propositions')} dans "
                  f"{counted(read, 'ressource', 'ressources')} / "
                  f"{counted(proposed, 'proposal', 'proposals', 'en')} in "
                  f"{counted(read, 'resource', 'resources', 'en')}")  # fmt: skip
