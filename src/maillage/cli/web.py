"""``maillage serve``: the public portal on http://127.0.0.1:8000."""

from __future__ import annotations

import os
import secrets
from dataclasses import replace
from typing import Any

import click
from rich.markup import escape

from maillage.cli.common import db_option, err_console, handle_errors
from maillage.services import database
from maillage.settings import LOG_FORMATS, normalise_url
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
    envvar="MAILLAGE_TILE_URL",
    help="Fond de carte : « ign » (Plan IGN de la Géoplateforme, conseillé en déploiement) ou une"
    " adresse de tuiles raster ({z}, {x}, {y}) ; sans : contours et noms de communes livrés, rien"
    " ne sort du serveur / Map background: ign (IGN Géoplateforme's Plan IGN, advised for a"
    " deployment) or a raster tile URL; none: the shipped outlines and commune names, nothing"
    " leaves the server. [env: MAILLAGE_TILE_URL]",
)
@click.option(
    "--root-path",
    default=None,
    envvar="MAILLAGE_ROOT_PATH",
    help="Préfixe de chemin derrière un proxy (/maillage) / Path prefix behind a reverse proxy."
    " [env: MAILLAGE_ROOT_PATH]",
)
@click.option(
    "--public-url",
    default=None,
    envvar="MAILLAGE_PUBLIC_URL",
    help="Adresse publique pour les liens absolus (https://carto.example.org/maillage) / Public"
    " address of absolute links. [env: MAILLAGE_PUBLIC_URL]",
)
@click.option(
    "--trusted-hosts",
    default=None,
    envvar="MAILLAGE_TRUSTED_HOSTS",
    help="En-têtes Host acceptés, séparés par des virgules (défaut : localhost, 127.0.0.1,"
    " --host et l'hôte de --public-url ; * : tous) / Accepted Host headers, comma-separated."
    " [env: MAILLAGE_TRUSTED_HOSTS]",
)
@click.option(
    "--log-format",
    type=click.Choice(LOG_FORMATS),
    default=None,
    envvar="MAILLAGE_LOG_FORMAT",
    show_default=LOG_FORMATS[0],
    help="Journaux lisibles ou une ligne JSON par événement / Readable logs or one JSON line"
    " per event. [env: MAILLAGE_LOG_FORMAT]",
)
@click.option(
    "--geocoder-url",
    default=None,
    envvar="MAILLAGE_GEOCODER_URL",
    help="Géocodeur d'adresses compatible BAN, facultatif (https://api-adresse.data.gouv.fr/search/"
    " ou https://data.geopf.fr/geocodage/search) / Optional BAN-compatible address geocoder;"
    " without it, postcodes, communes and INSEE codes only. [env: MAILLAGE_GEOCODER_URL]",
)
@handle_errors
def serve_command(
    db_url: str,
    host: str,
    port: int,
    lang: str,
    workers: int,
    tile_url: str | None,
    root_path: str | None,
    public_url: str | None,
    trusted_hosts: str | None,
    log_format: str | None,
    geocoder_url: str | None,
) -> None:
    """Servir le portail public (carte, réseau, pages, API JSON).

    Serve the public portal (map, network, pages, JSON API). Behind a reverse proxy:
    --root-path, --public-url, --trusted-hosts; export limits: MAILLAGE_EXPORT_MAX_ROWS,
    MAILLAGE_EXPORT_RATE_LIMIT (see the README).

    Exemple : maillage serve --db var/demo.sqlite --port 8000
    """
    import uvicorn

    from maillage.web import deployment
    from maillage.web.access_log import logging_config
    from maillage.web.app import create_app
    from maillage.web.providers import analysis_providers  # measures, recommendations

    # Options left out (``maillage demo`` invokes this command) keep the environment's.
    given: dict[str, Any] = {
        "root_path": root_path,
        "public_url": public_url,
        "trusted_hosts": None if trusted_hosts is None else deployment.split_hosts(trusted_hosts),
        "log_format": log_format,
        "geocoder_url": geocoder_url,
    }
    settings = deployment.checked(
        replace(
            deployment.from_environment(),
            database_url=normalise_url(db_url),
            language=lang,
            tile_url=tile_url,
            host=host,
            port=port,
            **{name: value for name, value in given.items() if value is not None},
        )
    )
    engine = make_engine(settings.database_url)
    if database.current_revision(db=engine) is None:
        err_console.print(
            "[red]Erreur[/red] : la base n'est pas initialisée : lancez « maillage db upgrade --db … »"
        )
        raise SystemExit(1)
    click.echo(f"maillage : http://{host}:{port}{settings.root_path}/  (Ctrl+C pour arrêter)")
    if warning := deployment.host_warning(settings):
        err_console.print(f"[yellow]Attention[/yellow] : {escape(warning)}", soft_wrap=True)
    # maillage.access logs each request (one JSON line with --log-format json).
    options: dict[str, Any] = {
        "host": host,
        "port": port,
        "log_config": logging_config(settings.log_format),
        "access_log": False,
    }
    if workers == 1:
        app = create_app(settings, engine=engine, providers=analysis_providers())
        uvicorn.run(app, **options)
        return
    engine.dispose()
    if settings.secret_key is None:  # one key for every worker: a session holds in each
        settings = replace(settings, secret_key=secrets.token_urlsafe(48))
    os.environ.update(deployment.to_environment(settings))
    os.environ["MAILLAGE_DATABASE_URL"] = settings.database_url
    factory = "maillage.web.app:app_from_environment"
    uvicorn.run(factory, factory=True, workers=workers, **options)
