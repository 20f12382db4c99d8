"""``maillage serve``: the public portal on http://127.0.0.1:8000."""

from __future__ import annotations

import os

import click

from maillage.cli.common import db_option, err_console, handle_errors
from maillage.services import database
from maillage.settings import Settings, normalise_url
from maillage.storage.engine import make_engine


@click.command("serve")
@db_option
@click.option(
    "--host", default="127.0.0.1", show_default=True, help="Adresse d'écoute / Listen address."
)
@click.option(
    "--port", default=8000, show_default=True, type=click.IntRange(1, 65535), help="Port."
)
@click.option(
    "--lang",
    type=click.Choice(["fr", "en"]),
    default="fr",
    show_default=True,
    help="Langue par défaut / Default language.",
)
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Processus uvicorn / Number of uvicorn worker processes.",
)
@click.option(
    "--tile-url",
    default=None,
    help="Fond de carte raster optionnel ({z}/{x}/{y}) / Optional raster tile URL.",
)
@handle_errors
def serve_command(
    db_url: str, host: str, port: int, lang: str, workers: int, tile_url: str | None
) -> None:
    """Servir le portail public (carte, réseau, pages, API JSON).

    Serve the public portal (map, network, pages, JSON API).

    Exemple : maillage serve --db var/demo.sqlite --port 8000
    """
    import uvicorn

    from maillage.web.app import create_app
    from maillage.web.providers import analysis_providers  # measures, recommendations

    settings = Settings(
        database_url=normalise_url(db_url), language=lang, tile_url=tile_url, host=host, port=port
    )
    engine = make_engine(settings.database_url)
    if database.current_revision(db=engine) is None:
        err_console.print(
            "[red]Erreur[/red] : la base n'est pas initialisée : lancez « maillage db upgrade --db … »"
        )
        raise SystemExit(1)
    click.echo(f"maillage : http://{host}:{port}/  (Ctrl+C pour arrêter)")
    if workers == 1:
        app = create_app(settings, engine=engine, providers=analysis_providers())
        uvicorn.run(app, host=host, port=port, log_level="info")
        return
    engine.dispose()
    os.environ.update(MAILLAGE_DATABASE_URL=settings.database_url, MAILLAGE_LANGUAGE=lang)
    if tile_url:
        os.environ["MAILLAGE_TILE_URL"] = tile_url
    factory = "maillage.web.app:app_from_environment"
    uvicorn.run(factory, factory=True, workers=workers, host=host, port=port, log_level="info")
