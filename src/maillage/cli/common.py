"""Shared CLI plumbing: the ``--db`` and ``--json`` options, output, errors."""

from __future__ import annotations

import errno
import functools
import json
import sys
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, TypeVar

import click
import sqlalchemy as sa
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from maillage.model.errors import InvalidInput, MaillageError
from maillage.model.numbers import plural_is_one
from maillage.settings import default_database_url, normalise_url
from maillage.storage.engine import make_engine

F = TypeVar("F", bound=Callable[..., Any])

console = Console()
err_console = Console(stderr=True)


def db_option(func: F) -> F:
    """Add ``--db URL`` (default: MAILLAGE_DATABASE_URL or ./maillage.sqlite)."""
    return click.option(
        "--db",
        "db_url",
        default=default_database_url,
        show_default="MAILLAGE_DATABASE_URL or ./maillage.sqlite",
        help="Base de données : fichier SQLite ou URL postgresql://… / Database URL or file.",
    )(func)


def json_option(func: F) -> F:
    return click.option("--json", "as_json", is_flag=True, help="Sortie JSON / JSON output.")(func)


def engine_for(url: str, *, create: bool = False) -> sa.Engine:
    """The engine of ``--db``. A SQLite file that does not exist is refused (SQLite would
    create an empty one) unless ``create``: only ``db upgrade`` and ``demo`` make one."""
    parsed = sa.engine.make_url(normalise_url(url))
    path = parsed.database
    is_file = parsed.get_backend_name() == "sqlite" and path and path != ":memory:"
    if is_file and not create and not Path(str(path)).exists():
        raise InvalidInput(
            "--db",
            path,
            f"cette base n'existe pas ; créez-la : maillage db upgrade --db {path}",
            f"no such database; create it: maillage db upgrade --db {path}",
        )
    return make_engine(url)


DISPLAY_LIMIT = 80
"""Characters of a value shown on a terminal; files and --json keep the whole value."""


def shortened(text: str, limit: int = DISPLAY_LIMIT) -> str:
    """``text`` cut to its first ``limit`` characters, saying how long it was: a rejected
    value of megabytes would otherwise fill the terminal (and take seconds to print)."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… ({len(text)} caractères)"


def shown_value(value: Any, limit: int = DISPLAY_LIMIT) -> str:
    """``repr(value)`` for a terminal: a long text shows its first ``limit`` characters
    and its length, any other long value its first ``limit`` characters."""
    if isinstance(value, str) and len(value) > limit:
        return f"{value[:limit]!r}… ({len(value)} caractères)"
    text = repr(value)
    return text if len(text) <= limit else f"{text[:limit]}…"


def counted(n: int, one: str, other: str, lang: str = "fr") -> str:
    """``n`` and the word that goes with it by ``lang``'s plural rule (:func:`plural_is_one`):
    « 0 ressource », « 1 ressource », « 2 ressources »; "1 resource", "0 resources"."""
    return f"{n} {one if plural_is_one(n, lang) else other}"


def display_url(url: str) -> str:
    """The database URL ``url`` as it may be shown: its password hidden (``***``)."""
    return sa.engine.make_url(normalise_url(url)).render_as_string(hide_password=True)


def _default(value: Any) -> Any:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "__dataclass_fields__"):
        from dataclasses import asdict

        return asdict(value)
    return str(value)


def emit_json(data: Any) -> None:
    """Print ``data`` as one JSON document (one line)."""
    click.echo(json.dumps(data, ensure_ascii=False, default=_default))


def print_record(record: Mapping[str, Any], *, title: str | None = None) -> None:
    table = Table(title=title, show_header=False, box=None)
    table.add_column(style="bold cyan")
    table.add_column()
    for key, value in record.items():
        if value in (None, [], {}):
            continue
        table.add_row(key, ", ".join(map(str, value)) if isinstance(value, list) else str(value))
    console.print(table)


def print_rows(
    rows: Iterable[Mapping[str, Any]],
    columns: list[str],
    *,
    title: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> None:
    """A table of ``rows``; ``headers`` names the columns for the reader (default: keys).
    A value too wide for its column is folded onto the next line, never cut: an address
    or an identifier read from the table is whole."""
    table = Table(title=title)
    for col in columns:
        table.add_column((headers or {}).get(col, col), overflow="fold")
    for row in rows:
        table.add_row(*("" if row.get(c) is None else str(row.get(c)) for c in columns))
    console.print(table)


_OS_REASONS = {
    errno.ENOENT: "fichier ou dossier introuvable / no such file or directory",
    errno.EACCES: "accès refusé / permission denied",
    errno.EISDIR: "c'est un dossier / is a directory",
    errno.ENOSPC: "plus de place sur le disque / no space left on device",
    errno.EROFS: "système de fichiers en lecture seule / read-only file system",
}


def handle_errors(func: F) -> F:
    """Turn library errors into one clear line on stderr and exit code 1."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except MaillageError as exc:
            err_console.print(
                f"[red]Erreur[/red] : {escape(str(exc))}", highlight=False, soft_wrap=True
            )
            sys.exit(1)
        except sa.exc.DatabaseError as exc:  # OperationalError among them
            msg = str(exc.orig).splitlines()[0] if exc.orig else str(exc)
            if isinstance(exc, sa.exc.OperationalError) and (
                "no such table" in msg or "does not exist" in msg
            ):
                msg += " — la base n'est pas initialisée : lancez « maillage db upgrade »"
            elif "not a database" in msg:
                msg += " — ce fichier n'est pas une base maillage (option --db)"
            err_console.print(
                f"[red]Erreur de base de données[/red] : {escape(msg)}",
                highlight=False,
                soft_wrap=True,
            )
            sys.exit(1)
        except sa.exc.ArgumentError as exc:
            err_console.print(
                f"[red]Erreur[/red] : URL de base de données invalide : {escape(str(exc))}"
            )
            sys.exit(1)
        except BrokenPipeError:
            raise
        except OSError as exc:
            where = f" « {exc.filename} »" if exc.filename else ""
            reason = _OS_REASONS.get(exc.errno or 0, exc.strerror or str(exc))
            err_console.print(
                f"[red]Erreur[/red] : fichier{escape(where)} : {escape(reason)}",
                highlight=False,
                soft_wrap=True,
            )
            sys.exit(1)

    return wrapper  # type: ignore[return-value]
