"""``maillage db …``: administration of the database."""

from __future__ import annotations

from pathlib import Path

import click

from maillage.cli.common import (
    console,
    db_option,
    display_url,
    emit_json,
    engine_for,
    err_console,
    handle_errors,
    json_option,
    print_rows,
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


@db_group.command("backup")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@db_option
@json_option
@handle_errors
def db_backup(file: Path, db_url: str, as_json: bool) -> None:
    """Sauvegarder toute la base dans FILE, même pendant que le serveur écrit.

    Back up the whole database to FILE, also while the server runs and writes
    (SQLite: online backup API; PostgreSQL: pg_dump -Fc). FILE is written only when
    complete.

    Exemple : maillage db backup /var/backups/maillage-$(date +%F).dump --db postgresql://…
    """
    info = database.backup(db=engine_for(db_url), path=file)
    report = {"file": str(info.path), "engine": info.engine, "revision": info.revision}
    if as_json:
        emit_json({**report, "bytes": info.size})
        return
    console.print(
        f"Sauvegarde {info.engine} écrite : {info.path} ({info.size} octets, "
        f"révision {info.revision}).",
        highlight=False,
    )


@db_group.command("restore")
@click.argument("file", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@db_option
@click.option(
    "--force",
    is_flag=True,
    help="Remplacer une base qui contient des données / Overwrite a database holding data.",
)
@json_option
@handle_errors
def db_restore(file: Path, db_url: str, force: bool, as_json: bool) -> None:
    """Restaurer la sauvegarde FILE (faite par « maillage db backup ») dans la base.

    Restore the backup FILE (made by `maillage db backup`). The backup is checked
    first; a database that holds data is only replaced with --force. Restart the
    server afterwards.

    Exemple : maillage db restore maillage-2024-05-01.sqlite --db var/maillage.sqlite
    """
    report = database.restore(db=engine_for(db_url, create=True), path=file, force=force)
    if as_json:
        emit_json(report)
        return
    console.print(
        f"Sauvegarde restaurée (révision {report['revision']}) dans {display_url(db_url)}.",
        highlight=False,
    )
    if report["needs_upgrade"]:
        console.print("Révision ancienne : lancez « maillage db upgrade » avant de servir.")


@db_group.command("copy")
@click.option("--from", "source_url", required=True, help="Base SQLite source / Source map.")
@click.option("--to", "target_url", required=True, help="Base PostgreSQL vide / Empty target.")
@json_option
@handle_errors
def db_copy(source_url: str, target_url: str, as_json: bool) -> None:
    """Copier une carte SQLite dans une base PostgreSQL vide, puis comparer ligne à ligne.

    Copy a SQLite map into an empty PostgreSQL database (schema created if missing),
    then compare both, table by table (row counts and content digests). Exits 1 when
    a table differs.

    Exemple : maillage db copy --from var/maillage.sqlite --to postgresql://maillage@db/maillage
    """
    done = database.copy(
        source=engine_for(source_url),
        target=engine_for(target_url, create=True),
        progress=None if as_json else _copied,
    )
    differing = [c.table for c in done if not c.identical]
    if as_json:
        emit_json(
            {
                "identical": not differing,
                "tables": [
                    {
                        "table": c.table,
                        "source_rows": c.source.rows,
                        "target_rows": c.target.rows,
                        "identical": c.identical,
                    }
                    for c in done
                ],
            }
        )
    else:
        rows = [
            {
                "table": c.table,
                "source": c.source.rows,
                "target": c.target.rows,
                "same": "oui" if c.identical else "NON",
            }
            for c in done
        ]
        print_rows(rows, ["table", "source", "target", "same"], title="Comparaison")
        console.print(
            f"Copie vers {display_url(target_url)} : "
            + ("identique, table par table." if not differing else f"DIFFÉRENCES : {differing}"),
            highlight=False,
        )
    if differing:
        raise SystemExit(1)


def _copied(table: str, rows: int) -> None:
    err_console.print(f"  {table} : {rows} ligne(s) copiée(s)", highlight=False)
