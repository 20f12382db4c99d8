"""``maillage db …``: administration of the database."""

from __future__ import annotations

import click

from maillage.cli.common import (
    console,
    db_option,
    emit_json,
    engine_for,
    handle_errors,
    json_option,
)
from maillage.services import database


@click.group("db")
def db_group() -> None:
    """Administration de la base. / Database administration."""


@db_group.command("upgrade")
@db_option
@json_option
@handle_errors
def db_upgrade(db_url: str, as_json: bool) -> None:
    """Créer ou mettre à jour le schéma et les référentiels (sans risque si relancé).

    Create or upgrade the schema and load the reference data (safe to run twice).

    Exemple : maillage db upgrade --db postgresql://localhost/maillage
    """
    report = database.upgrade(db=engine_for(db_url, create=True))
    if as_json:
        emit_json(report)
        return
    console.print(f"Schéma à la révision [bold]{report['revision']}[/bold].")
    for key, value in report["reference"].items():
        console.print(f"  {key} : {value}")
