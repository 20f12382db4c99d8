"""``maillage demo``: build the demo database from shipped open data, then serve it."""

from __future__ import annotations

import importlib.util

import click

from maillage.cli.common import console, db_option, emit_json, engine_for, handle_errors, json_option
from maillage.services.demo import build_demo


@click.command("demo")
@click.option("--serve/--no-serve", default=True, help="Démarrer le portail ensuite.")
@click.option("--port", default=8000, show_default=True)
@db_option
@json_option
@handle_errors
def demo_command(serve: bool, port: int, db_url: str, as_json: bool) -> None:
    """Construire la base de démonstration (données ouvertes livrées) et la servir.

    Build the demo database from the shipped open data and serve it.

    Exemple : maillage demo --db var/demo.sqlite
    """
    engine = engine_for(db_url)
    with console.status("Construction de la base de démonstration…", spinner="dots"):
        summary = build_demo(db=engine)
    if as_json:
        emit_json(summary)
    else:
        _print(summary, db_url)
    if serve and importlib.util.find_spec("maillage.cli.web") is not None:
        from maillage.cli.web import serve_command

        click.get_current_context().invoke(serve_command, db_url=db_url, port=port)
    elif serve:
        console.print("Le portail web n'est pas encore disponible : base prête pour la CLI.")


def _print(summary: dict[str, object], db_url: str) -> None:
    counts = summary["counts"]
    assert isinstance(counts, dict)
    console.print(f"[bold]Base de démonstration prête[/bold] : {db_url}")
    for title, key in (("Acteurs par monde", "actors_by_world"), ("Liens par type", "links_by_kind"),
                       ("Acteurs par région", "actors_by_region")):
        console.print(f"[bold]{title}[/bold]")
        for name, count in counts[key].items():
            console.print(f"  {name} : {count}")
