"""``maillage demo``: build the demo database from shipped open data, then serve it."""

from __future__ import annotations

import importlib.util
import time
from pathlib import Path
from typing import Any

import click
from rich.markup import escape

from maillage.cli.common import (
    console,
    db_option,
    display_url,
    emit_json,
    engine_for,
    handle_errors,
    json_option,
)
from maillage.services.demo import build_demo
from maillage.services.resources import find_mentions, import_resources
from maillage.services.solution_demo import load_startups


@click.command("demo")
@click.option("--serve/--no-serve", default=True, help="Démarrer le portail ensuite.")
@click.option("--port", default=8000, show_default=True)
@click.option(
    "--distance",
    "distance_km",
    default=10.0,
    show_default=True,
    help="Besoins calculés : distance (km) au lieu de médiation le plus proche.",
)
@click.option(
    "--startups",
    "startups_dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=None,
    help="Solutions de démo : copie locale des Startups d'État de beta.gouv.fr (jamais livrée).",
)
@click.option(
    "--resources",
    "resource_paths",
    multiple=True,
    type=click.Path(exists=True, path_type=Path),
    help="Centre de ressources : fichiers ou dossiers à importer, puis les acteurs qu'ils citent.",
)
@db_option
@json_option
@handle_errors
def demo_command(
    serve: bool, port: int, distance_km: float, startups_dir: Path | None,
    resource_paths: tuple[Path, ...], db_url: str, as_json: bool,
) -> None:  # fmt: skip
    """Construire la base de démonstration (données ouvertes livrées) et la servir.

    Build the demo database from the shipped open data (geography, national map of the
    mediation places, France Services, SCDL, DECP, ANR network, computed needs) and serve it.

    Exemple : maillage demo --db var/demo.sqlite
    """
    engine = engine_for(db_url, create=True)
    started = time.perf_counter()
    with console.status("Construction de la base de démonstration…", spinner="dots") as status:
        summary = build_demo(
            db=engine, distance_km=distance_km, step=lambda text: status.update(f"Démo : {text}…")
        )
    if startups_dir is not None:  # local demo only: their licence is non-commercial
        summary["solutions"] = load_startups(db=engine, directory=startups_dir)
    if resource_paths:
        with console.status("Démo : centre de ressources…", spinner="dots"):
            stored = import_resources(db=engine, paths=resource_paths, user="demo")
            summary["resources"] = {**stored.as_dict(), "mentions": find_mentions(db=engine)}
    summary["seconds"] = round(time.perf_counter() - started, 1)
    if as_json:
        emit_json(summary)
    else:
        _print(summary, db_url)
    if serve and importlib.util.find_spec("maillage.cli.web") is not None:
        from maillage.cli.web import serve_command

        click.get_current_context().invoke(serve_command, db_url=db_url, port=port)
    elif serve:
        console.print("Le portail web n'est pas encore disponible : base prête pour la CLI.")


def _print(summary: dict[str, Any], db_url: str) -> None:
    counts = summary["counts"]
    console.print(f"[bold]Base de démonstration prête[/bold] en {summary['seconds']} s : "
                  f"{escape(display_url(db_url))}", highlight=False)  # fmt: skip
    console.print("[bold]Imports[/bold] (lignes · créés · mis à jour · fusionnés · rejetés)")
    for report in summary["imports"]:
        console.print(f"  {report['kind']} {report['file']} : {report['rows']} · "
                      f"{report['created']} · {report['updated']} · {report['merged']} · "
                      f"{report['rejected']}", highlight=False)  # fmt: skip
    _print_relations(summary["relations"])
    found = summary["resolution"]
    console.print(f"[bold]Identités entre sources[/bold] : {found['merged']} acteurs fusionnés "
                  f"en {found['groups']} groupes (fusions annulables) ; {found['queued']} "
                  "paires à revoir (maillage review list)", highlight=False)  # fmt: skip
    needs = summary["needs"]
    console.print(f"[bold]Besoins calculés[/bold] : {needs['needs']} communes "
                  f"({needs['population']} habitants) à plus de "
                  f"{needs['rule']['parameters']['distance_km']:g} km des {needs['places']} "
                  "lieux de médiation numérique et France Services")  # fmt: skip
    if "solutions" in summary:  # the local demo's beta.gouv.fr services (never shipped)
        made = summary["solutions"]
        console.print(f"[bold]Solutions de démonstration[/bold] (Startups d'État, beta.gouv.fr) : "
                      f"{made['solutions']} solutions, {made['carriers']} porteurs ajoutés")  # fmt: skip
    if "resources" in summary:
        stored = summary["resources"]
        console.print(f"[bold]Centre de ressources[/bold] : {stored['created']} ressources "
                      f"importées ; {stored['mentions']['proposed']} acteurs cités proposés "
                      "(maillage resources mentions)", highlight=False)  # fmt: skip
    for title, key in (("Acteurs par monde", "actors_by_world"),
                       ("Acteurs par région", "actors_by_region")):  # fmt: skip
        console.print(f"[bold]{title}[/bold]")
        for name, count in counts[key].items():
            console.print(f"  {name} : {count}")
    console.print("[bold]Territoires par niveau[/bold] (territoires · avec acteurs · besoins)")
    for level, row in counts["territories_by_level"].items():
        console.print(f"  {level} : {row['territoires']} · {row['avec_acteurs']} · "
                      f"{row['besoins']}")  # fmt: skip
    _print_closing(summary["relations"]["coverage"], counts["coverage"])


_SECTIONS = (
    ("affiliations", "Affiliations par programme"),
    ("labels_unknown", "Labels sans programme connu"),
    ("holders", "Structures porteuses (pivot) par règle"),
    ("holders_unknown", "Structure porteuse inconnue, par raison"),
    ("carriers", "Porteurs dits par le nom (France Services, lieux sans pivot), par règle"),
    ("carriers_unknown", "Porteur non identifié par le nom, par raison"),
    ("memberships", "Adhésions à un réseau porteur (data·inclusion)"),
    ("networks_unknown", "Réseau porteur sans acteur, par raison"),
)


def _print_relations(relations: dict[str, Any]) -> None:
    coverage = relations["coverage"]
    console.print(f"[bold]Relations[/bold] tirées des lieux et des France Services : "
                  f"{sum(relations['created'].values())} liens créés")  # fmt: skip
    for key, title in (
        ("links_by_kind", "Liens par type"),
        ("links_by_source", "Liens par source"),
    ):
        console.print(f"  [bold]{title}[/bold]")
        for name, count in coverage[key].items():
            console.print(f"    {escape(name)} : {count}", highlight=False)
    print_relation_report(relations["report"])


def print_relation_report(report: dict[str, dict[str, int]]) -> None:
    """The relations drawn per rule and the ends left unidentified per reason, section
    by section (the demo's summary and ``maillage import``'s)."""
    for key, title in _SECTIONS:
        if found := report.get(key):
            console.print(f"  [bold]{title}[/bold]")
            for name, count in found.items():
                console.print(f"    {escape(name)} : {count}", highlight=False)


def _print_closing(coverage: dict[str, Any], actors: dict[str, Any]) -> None:
    places = coverage["places"]
    console.print(
        f"[bold]Écosystème[/bold] : {coverage['with_relation']} des {places} lieux de médiation "
        f"et France Services ({coverage['with_relation_share']:.1%}) portent une relation "
        f"sourcée (affiliations comprises) ; {coverage['tied']} ({coverage['tied_share']:.1%}) "
        "sont liés à un autre acteur (structure porteuse, financeur ou titulaire) ; les "
        "autres, par raison, ci-dessus (Relations).", highlight=False,
    )  # fmt: skip
    console.print(
        f"[bold]Acteurs[/bold] : monde connu pour {actors['worlds_known']} des "
        f"{actors['actors']} ({actors['worlds_share']:.1%}), catégorie pour "
        f"{actors['categories_known']} ({actors['categories_share']:.1%}) ; un lieu pour "
        f"{actors['placed']} des {actors['addressed']} ayant une adresse, un code postal ou "
        f"une commune ({actors['places_share']:.1%}, dont {actors['approximate']} au centre "
        "de leur commune).", highlight=False,
    )  # fmt: skip
