"""Actor and link CSV exports, and their readers (the generic table importer).

``generate_actors_csv``/``generate_links_csv`` yield the lines of a UTF-8 CSV with one
column per record field (see :mod:`maillage.io.flat`). ``dialect="excel-fr"`` writes what
a French Excel opens directly: a BOM, ``;`` as delimiter and a decimal comma. The
``parse_*`` functions read either dialect back to the same records.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

from maillage.io.flat import ACTOR_COLUMNS, LINK_COLUMNS, actor_row, link_row
from maillage.io.reading import decode, parse_csv_text
from maillage.io.result import ParseResult
from maillage.io.spreadsheet import safe_row
from maillage.io.tabular import parse_actor_table, parse_link_table
from maillage.io.unreadable import read_data
from maillage.model.records import ActorRecord, LinkRecord

__all__ = [
    "DIALECTS",
    "generate_actors_csv",
    "generate_links_csv",
    "parse_actors_csv",
    "parse_links_csv",
    "read_actors_csv",
    "read_links_csv",
    "write_actors_csv",
    "write_links_csv",
]

DIALECTS = ("utf-8", "excel-fr")


def _lines(
    header: tuple[str, ...], rows: Iterable[Mapping[str, str]], dialect: str
) -> Iterator[str]:
    if dialect not in DIALECTS:
        raise ValueError(f"dialect must be one of {DIALECTS}, not {dialect!r}")
    buffer = io.StringIO()
    writer = csv.DictWriter(
        buffer, fieldnames=header, delimiter=";" if dialect == "excel-fr" else ","
    )
    writer.writeheader()
    prefix = "\ufeff" if dialect == "excel-fr" else ""
    yield prefix + buffer.getvalue()
    for row in rows:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow(safe_row(row))
        yield buffer.getvalue()


def generate_actors_csv(actors: Iterable[ActorRecord], *, dialect: str = "utf-8") -> Iterator[str]:
    """Yield the lines of the actors CSV (header first, ``\\r\\n`` line ends)."""
    comma = dialect == "excel-fr"
    return _lines(ACTOR_COLUMNS, (actor_row(a, decimal_comma=comma) for a in actors), dialect)


def generate_links_csv(links: Iterable[LinkRecord], *, dialect: str = "utf-8") -> Iterator[str]:
    """Yield the lines of the links CSV (header first, ``\\r\\n`` line ends)."""
    comma = dialect == "excel-fr"
    return _lines(LINK_COLUMNS, (link_row(x, decimal_comma=comma) for x in links), dialect)


def _text(data: str | bytes) -> str:
    return decode(data)[0] if isinstance(data, bytes) else data.removeprefix("\ufeff")


def parse_actors_csv(data: str | bytes, *, file: str | None = None) -> ParseResult:
    """Read an actors CSV (text or bytes of any supported encoding)."""
    return parse_actor_table(parse_csv_text(_text(data), file=file))


def parse_links_csv(data: str | bytes, *, file: str | None = None) -> ParseResult:
    """Read a links CSV (text or bytes of any supported encoding)."""
    return parse_link_table(parse_csv_text(_text(data), file=file))


def _write(lines: Iterable[str], path: str | Path, dialect: str) -> None:
    with open(path, "w", encoding="utf-8", newline="") as handle:
        handle.writelines(lines)


def write_actors_csv(
    actors: Iterable[ActorRecord], path: str | Path, *, dialect: str = "utf-8"
) -> None:
    """Write the actors CSV to ``path``."""
    _write(generate_actors_csv(actors, dialect=dialect), path, dialect)


def write_links_csv(
    links: Iterable[LinkRecord], path: str | Path, *, dialect: str = "utf-8"
) -> None:
    """Write the links CSV to ``path``."""
    _write(generate_links_csv(links, dialect=dialect), path, dialect)


def read_actors_csv(path: str | Path) -> ParseResult:
    """Read an actors CSV file."""
    data, name = read_data(path)
    return parse_actors_csv(data, file=name)


def read_links_csv(path: str | Path) -> ParseResult:
    """Read a links CSV file."""
    data, name = read_data(path)
    return parse_links_csv(data, file=name)
